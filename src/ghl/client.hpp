// ghl::Client: one GHL API call = endpoint table lookup, id-validated path, headers (Bearer,
// Version, Accept), client-side rate limiting per location, bounded retries, typed errors.
//
// Usage:
//   auto transport = std::make_shared<ghl::CurlTransport>();
//   ghl::Client client({}, transport);
//   nlohmann::json contact = client.call("contacts.get", {{"contactId", id}}, {}, nullptr,
//                                        {.token = token, .resource_key = location_id});
//
// Thread-safe: one Client serves every thread and every location.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ghl/clock.hpp"
#include "ghl/endpoints.hpp"
#include "ghl/errors.hpp"
#include "ghl/http.hpp"
#include "ghl/metrics.hpp"
#include "ghl/rate_limiter.hpp"
#include "ghl/retry.hpp"

namespace spdlog {
class logger;
}

namespace ghl {

inline constexpr std::string_view kDefaultBaseUrl = "https://services.leadconnectorhq.com";

struct ClientOptions {
    /// Overridable (--base-url, GHL_BASE_URL), e.g. "http://127.0.0.1:8080" for the simulator.
    std::string base_url = std::string(kDefaultBaseUrl);
    std::string user_agent = "ghl-mcp/0.1";
    RetryPolicy retry;
    /// Deadline of a call whose CallOptions has none.
    std::chrono::milliseconds default_timeout{30000};
    /// Sent as `Version` instead of each endpoint's spec value (e.g. "2023-02-21"; whether GHL
    /// accepts it on every endpoint is UNVERIFIED). Empty: the spec value.
    std::string version_override;
    /// Plain http:// is accepted for loopback hosts only (the simulator), unless this is set:
    /// a bearer token must not cross a network in clear text by accident.
    bool allow_insecure_http = false;
    /// Where the client logs (never tokens, bodies or query strings). Null: spdlog's default.
    std::shared_ptr<spdlog::logger> logger;
    /// Seed of the backoff jitter; 0 seeds from std::random_device.
    std::uint64_t jitter_seed = 0;
};

struct CallOptions {
    /// Bearer token (Location or Agency token per the endpoint). Never logged, redacted from
    /// error text. Ignored by endpoints without a token (oauth.token).
    std::string token;
    /// The resource GHL counts the rate limit by: the location id, or the company id for agency
    /// calls. Calls with the same key share one budget.
    std::string resource_key;
    /// The call is over by then, retries and limiter waits included. Default: now +
    /// default_timeout.
    std::optional<Clock::time_point> deadline;
    /// Cancels waits (limiter queue, backoff); an HTTP request in flight runs to its deadline.
    std::stop_token cancel;
    /// Correlates log lines with the MCP request that caused them.
    std::string request_id;
};

/// A successful call: the 2xx status, the response headers and the parsed body ({} if empty).
struct Reply {
    int status = 0;
    Headers headers;
    nlohmann::json body;
    int attempts = 1;
};

class Client {
  public:
    /// `limiter` null: an InMemoryRateLimiter with GHL's defaults on `clock`. `clock` null: the
    /// system clock. Throws std::invalid_argument for an unusable base URL.
    Client(ClientOptions options, std::shared_ptr<HttpTransport> transport,
           std::shared_ptr<RateLimiter> limiter = nullptr, std::shared_ptr<Clock> clock = nullptr);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Calls endpoint `endpoint_id` (see endpoints.hpp). `path_params` fill the path template
    /// (validated as ids, percent-encoded); `query` values are raw (encoded once, here); a
    /// non-null `body` is sent as JSON (or as a form for oauth endpoints).
    /// Returns the parsed 2xx body. Throws ApiError for every API or network failure, and
    /// std::invalid_argument for programming errors (unknown endpoint id, path parameter
    /// missing from or not in the template).
    nlohmann::json call(std::string_view endpoint_id, const Params& path_params,
                        const Params& query, const nlohmann::json& body,
                        const CallOptions& options);

    /// Like call(), with the status and headers too.
    Reply call_reply(std::string_view endpoint_id, const Params& path_params, const Params& query,
                     const nlohmann::json& body, const CallOptions& options);

    const Metrics& metrics() const { return metrics_; }
    MetricsSnapshot snapshot() const { return metrics_.snapshot(); }
    const ClientOptions& options() const { return options_; }
    RateLimiter& limiter() { return *limiter_; }
    Clock& clock() { return *clock_; }

  private:
    Request build_request(const Endpoint& ep, const Params& path_params, const Params& query,
                          const nlohmann::json& body, const CallOptions& options) const;
    std::chrono::milliseconds jitter(int retry);

    ClientOptions options_;
    std::shared_ptr<HttpTransport> transport_;
    std::shared_ptr<Clock> clock_;
    std::shared_ptr<RateLimiter> limiter_;
    std::shared_ptr<spdlog::logger> log_;
    Metrics metrics_;
    std::mutex rng_mutex_;
    std::mt19937_64 rng_;
};

}  // namespace ghl
