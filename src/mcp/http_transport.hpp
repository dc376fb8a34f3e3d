// HTTP transports on one cpp-httplib server: Streamable HTTP at /mcp (both protocol eras) and
// the legacy HTTP+SSE transport (GET /sse + POST /messages). Other doors (voice, webhooks,
// health) mount their routes through raw().
#pragma once

#include "mcp/server.hpp"

#include <any>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace httplib {
class Server;
struct Request;
}

namespace mcp {

/// Result of authenticating an HTTP request: a principal, or a refusal.
struct AuthDecision {
    bool allowed = true;
    std::any principal;
    int status = 401;            // when refused
    std::string www_authenticate;  // when refused with 401
    std::string message;
};

/// Calls that may block (tools/call, prompts/get, resources/read, ...) in flight at once; a
/// request past a bound gets 429 with Retry-After. A batch counts each of its calls.
struct InflightLimits {
    size_t per_session = 16;
    size_t per_key = 64;
    size_t total = 256;
};

struct HttpOptions {
    std::string host = "127.0.0.1";
    int port = 8787;  // 0: an ephemeral port (see HttpTransport::port())
    size_t max_body_bytes = 4 * 1024 * 1024;
    size_t threads = 32;             // connection threads kept ready; SSE streams each hold one
    size_t max_connections = 2'048;  // connection threads at most (one per open connection)
    /// Each read or write on a connection must progress within this time (a peer that trickles
    /// headers or a body slower is cut off); idle keep-alive connections close after
    /// keep_alive_timeout.
    std::chrono::seconds read_timeout{10};
    std::chrono::seconds write_timeout{30};
    std::chrono::seconds keep_alive_timeout{5};
    size_t max_streams = 128;  // open SSE streams at once (more get 503)
    size_t max_streams_per_key = 64;  // of which one key (or all unkeyed clients) may hold
    InflightLimits inflight;
    /// A long-lived stream re-checks the credential that opened it this often (revoked keys).
    std::chrono::milliseconds reauth_interval{std::chrono::seconds(10)};
    std::chrono::seconds session_idle{std::chrono::minutes(30)};
    std::chrono::seconds keepalive{std::chrono::seconds(15)};
    int sse_retry_ms = 1000;
    /// Extra Host names / Origins accepted besides loopback ones (DNS-rebinding protection).
    std::vector<std::string> allowed_hosts;
    std::vector<std::string> allowed_origins;
    bool legacy_sse = true;
    /// Called for every MCP request (not for routes mounted by others). Empty: allow all.
    std::function<AuthDecision(const HeaderMap& headers)> authenticate;
};

class HttpTransport {
public:
    HttpTransport(Server& server, HttpOptions options);
    ~HttpTransport();
    HttpTransport(const HttpTransport&) = delete;
    HttpTransport& operator=(const HttpTransport&) = delete;

    /// Binds the listening socket; throws std::runtime_error when it cannot.
    void bind();
    int port() const;
    /// Serves until stop(). Call bind() first.
    void run();
    void stop();
    /// For mounting further routes (/healthz, /voice/..., /webhooks/...).
    httplib::Server& raw();
    size_t open_streams() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// True when `host` (a Host header value or an Origin's host, with or without port) is a
/// loopback name: localhost, 127.0.0.1 (any 127/8), [::1].
bool is_loopback_host(const std::string& host);

/// A request relayed by a tunnel or reverse proxy: a Host that is not loopback (one admitted by
/// --allowed-host), or the forwarding headers proxies add (X-Forwarded-For, Forwarded,
/// X-Forwarded-Host). With no credential configured, every door refuses such a request.
bool came_through_proxy(const HeaderMap& headers);

/// The request's headers with lower-case names, as `HttpOptions::authenticate` takes them (for
/// routes others mount on raw()).
HeaderMap header_map(const httplib::Request& req);

/// DNS-rebinding protection for any route of the server `options` describes: why a request with
/// this Host header and Origin (when `has_origin`) must be refused, or "" when it may proceed.
std::string origin_problem(const HttpOptions& options, const std::string& host, const std::string& origin,
                           bool has_origin);

}  // namespace mcp
