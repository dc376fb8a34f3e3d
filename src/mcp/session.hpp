// Sessions (legacy handshake era) and channels: where the server writes messages to a client.
#pragma once

#include "mcp/json_rpc.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace mcp {

/// A destination for server-to-client messages (stdout, an SSE stream, ...).
/// Thread-safety contract: send() may be called from any thread concurrently; implementations
/// serialize writes so messages never interleave.
class Channel {
public:
    virtual ~Channel() = default;
    /// Sends one message. Returns false when the client is gone (the message is dropped).
    virtual bool send(const json& message) = 0;
    virtual bool open() const = 0;
    /// Drops the current connection but keeps the channel (the client may resume).
    virtual void disconnect() {}
    /// Ends the channel for good: its session is gone (DELETE, expiry, shutdown).
    virtual void close() {}
};

/// Shared cancellation flag of one in-flight request.
using CancelFlag = std::shared_ptr<std::atomic<bool>>;

/// State of one legacy-era connection: stdio process, Streamable HTTP session or HTTP+SSE stream.
class Session {
public:
    explicit Session(std::string id, std::string owner = {}) : id_(std::move(id)), owner_(std::move(owner)) {}

    const std::string& id() const { return id_; }
    /// Whose session this is (ServerOptions::task_owner of the principal that created it): a
    /// request from another principal is treated as if the session did not exist.
    const std::string& owner() const { return owner_; }

    // Handshake results (guarded by mu).
    mutable std::mutex mu;
    std::string protocol_version;  // empty until initialize succeeded
    json client_capabilities = json::object();
    json client_info = json::object();
    bool initialized = false;  // notifications/initialized received
    std::optional<LogLevel> log_level;
    std::set<std::string> subscriptions;

    /// Where notifications not tied to a request go (stdio: stdout; HTTP: the GET stream).
    void set_standalone(std::shared_ptr<Channel> channel);
    std::shared_ptr<Channel> standalone() const;

    std::string version() const {
        std::lock_guard lock(mu);
        return protocol_version;
    }
    bool handshake_done() const {
        std::lock_guard lock(mu);
        return !protocol_version.empty();
    }

    // In-flight requests from the client, for notifications/cancelled.
    CancelFlag begin_request(const json& id);
    void end_request(const json& id);
    bool cancel_request(const json& id);

    // Requests from the server to the client (sampling, elicitation, roots).
    std::pair<json, std::future<json>> new_outbound_request();
    /// Delivers a client response; false when no request with that id is pending.
    bool resolve(const json& id, json response);
    void abandon(const json& id);

    void close();
    bool closed() const { return closed_.load(); }
    void touch() { last_seen_ = std::chrono::steady_clock::now().time_since_epoch().count(); }
    std::chrono::steady_clock::time_point last_seen() const {
        return std::chrono::steady_clock::time_point(
            std::chrono::steady_clock::duration(last_seen_.load()));
    }

private:
    const std::string id_;
    const std::string owner_;
    std::shared_ptr<Channel> standalone_;
    std::map<std::string, CancelFlag> in_flight_;
    static constexpr size_t kMaxEarlyCancels = 256;
    std::set<std::string> early_cancelled_;  // cancelled before they started
    std::deque<std::string> early_order_;
    std::map<std::string, std::promise<json>> pending_;
    int64_t next_outbound_id_ = 1;
    std::atomic<bool> closed_{false};
    std::atomic<std::chrono::steady_clock::rep> last_seen_{
        std::chrono::steady_clock::now().time_since_epoch().count()};
};

/// Cryptographically random identifier (hex, 32 chars): session ids, stream ids.
std::string random_id();

}  // namespace mcp
