// Operating the HTTP server: /healthz (liveness), /readyz (GHL reachable, stores writable) and
// /metrics (Prometheus text format, serialized by prometheus-cpp).
#pragma once

#include "events/receiver.hpp"
#include "ghl/credentials.hpp"
#include "ghl/metrics.hpp"
#include "mcp/http_transport.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace httplib {
class Server;
}
namespace prometheus {
class Registry;
class Counter;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace app {

/// The process's metrics. Tool calls are counted as they finish (tool_call()); everything else
/// (the GHL client per endpoint, the limiter queue, token renewals, webhook deliveries, sessions)
/// is read from its owner when scraped, so recording costs the hot paths nothing new.
class ServerMetrics {
  public:
    /// `tools`: the names tool calls may be labelled with; anything else is counted as "unknown"
    /// (refused calls carry client-chosen names, which must not grow the label set).
    explicit ServerMetrics(std::set<std::string> tools);
    ~ServerMetrics();
    ServerMetrics(const ServerMetrics&) = delete;
    ServerMetrics& operator=(const ServerMetrics&) = delete;

    /// One finished tools/call: `outcome` is ok, tool_error, error, refused or input_required.
    void tool_call(const std::string& tool, std::string_view outcome,
                   std::chrono::steady_clock::duration latency);

    /// Read at scrape time; each may be empty (that part is then left out).
    struct Sources {
        std::function<ghl::MetricsSnapshot()> ghl;
        std::function<ghl::RenewalCounters()> renewals;
        std::function<std::optional<events::Receiver::Counters>()> webhooks;
        std::function<std::size_t()> sessions;
        std::function<std::size_t()> streams;
        std::string mode;  ///< "sandbox" or "live", on ghl_mcp_info
    };
    /// Set before serving (not thread-safe against scrape()).
    void set_sources(Sources sources) { sources_ = std::move(sources); }

    /// Everything in the Prometheus text exposition format 0.0.4.
    std::string scrape() const;

  private:
    std::set<std::string> tools_;
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Counter>* calls_;
    prometheus::Family<prometheus::Histogram>* latency_;
    mutable std::mutex mu_;  // guards the caches below (Family::Add builds a metric per call)
    std::map<std::pair<std::string, std::string>, prometheus::Counter*, std::less<>> call_counters_;
    std::map<std::string, prometheus::Histogram*, std::less<>> histograms_;
    Sources sources_;
    std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
};

/// One readiness check's verdict.
struct ReadyCheck {
    std::string name;  ///< "ghl", "store:events", ...
    bool ok = true;
    std::string detail;
};

/// What /readyz needs from the application (App provides it; tests may fake it).
struct ReadinessSources {
    /// GHL answered something within this long: reachable, no probe needed.
    std::chrono::seconds fresh{60};
    /// When GHL last answered (steady clock; default-constructed: never).
    std::function<std::chrono::steady_clock::time_point()> last_ghl_response;
    /// One cheap authenticated GHL call; returns "" when it succeeded, else why not. Empty
    /// function: no GHL access to check.
    std::function<std::string()> probe_ghl;
    /// SQLite files that must be writable (token store, event store, audit log); ":memory:" and
    /// "" are skipped.
    std::vector<std::pair<std::string, std::string>> stores;  ///< (name, path)
};

/// Readiness with a short memory: concurrent probes share one check, and a verdict is reused
/// for `ttl`, so a load balancer polling every second costs GHL at most one call per `ttl`.
class Readiness {
  public:
    explicit Readiness(ReadinessSources sources,
                       std::chrono::seconds ttl = std::chrono::seconds(15));
    /// The checks, run now or remembered from less than ttl ago.
    std::vector<ReadyCheck> check();

  private:
    ReadinessSources sources_;
    std::chrono::seconds ttl_;
    std::mutex mu_;
    std::chrono::steady_clock::time_point checked_at_{};
    std::vector<ReadyCheck> last_;
};

/// Throws app::sqlite::Error unless the SQLite file at `path` can be opened for writing and its
/// write lock taken (BEGIN IMMEDIATE, then ROLLBACK: nothing is written).
void check_writable(const std::string& path);

struct OpsOptions {
    /// The MCP server's options: Host/Origin rules (DNS rebinding) and the bind address.
    mcp::HttpOptions http;
    /// The server listens off loopback: /readyz and /metrics then require an API key.
    bool exposed = false;
};

/// Mounts GET /healthz, /readyz and /metrics on `http`.
void mount_operations(httplib::Server& http, const OpsOptions& options,
                      std::shared_ptr<ServerMetrics> metrics, std::shared_ptr<Readiness> readiness);

}  // namespace app
