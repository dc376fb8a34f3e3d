// ToolContext: what a tool, resource or prompt handler may use while it runs: cancellation,
// deadline, progress, client logging, requests to the client (legacy) and MRTR input (2026).
#pragma once

#include "mcp/json_rpc.hpp"
#include "mcp/session.hpp"

#include <any>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace mcp {

class Server;
class TaskCall;

/// Thrown by a handler (through ToolContext::require_input) to answer with an
/// `input_required` result in the 2026-07-28 era (MRTR).
struct InputRequired {
    json input_requests;  // object: key -> {method, params}
    json state;           // opaque server state; sealed (HMAC) before it leaves the server
};

/// Per-request data the server fills before a handler runs.
struct CallInfo {
    json id;
    /// Server-generated id of a tools/call (mcp::new_call_id), unique unlike the client's `id`:
    /// it ties the call's log lines (and the GHL requests it makes) together. Empty otherwise.
    std::string call_id;
    std::string method;
    json params = json::object();
    bool modern = false;
    std::string protocol_version;
    json client_capabilities = json::object();
    std::shared_ptr<Session> session;  // legacy era only
    // The connection whose notifications/cancelled can stop this call (a legacy session, or the
    // stdio connection in the modern era); end_request() is owed to it when the call finishes.
    std::shared_ptr<Session> cancel_scope;
    std::shared_ptr<Channel> channel;  // request-related messages (progress, logs, requests)
    json progress_token;               // null when the client asked for no progress
    std::optional<LogLevel> log_level; // minimum level forwarded to the client; none: no logs
    CancelFlag cancelled = std::make_shared<std::atomic<bool>>(false);
    std::chrono::steady_clock::time_point deadline;
    std::any principal;  // who is calling (API key scope), set by the transport
    std::optional<json> request_state;  // verified MRTR state (modern era)
    std::shared_ptr<TaskCall> task;     // set when the call may run as a task (tasks extension)
};

class ToolContext {
public:
    ToolContext(Server& server, CallInfo& call) : server_(server), call_(call) {}

    bool modern() const { return call_.modern; }
    const std::string& protocol_version() const { return call_.protocol_version; }
    const json& client_capabilities() const { return call_.client_capabilities; }
    /// "sampling", "elicitation", "roots", or "elicitation.form" / "elicitation.url".
    bool client_supports(std::string_view capability) const;
    const json& params() const { return call_.params; }
    /// The JSON-RPC method being served (tools/call, resources/read, completion/complete, ...).
    const std::string& method() const { return call_.method; }
    /// The client's JSON-RPC request id (unique within one session or connection at most).
    const json& request_id() const { return call_.id; }
    /// This tool call's server-generated id (16 hex characters), unique across sessions and
    /// clients: pass it on to log lines and downstream requests (GHL) that the call causes.
    const std::string& call_id() const { return call_.call_id; }
    const std::any& principal() const { return call_.principal; }

    bool cancelled() const;
    std::chrono::steady_clock::time_point deadline() const { return call_.deadline; }
    /// Remaining time before the deadline (zero when past it).
    std::chrono::milliseconds remaining() const;

    /// notifications/progress when the client sent a progressToken; no-op otherwise.
    void progress(double progress, std::optional<double> total = std::nullopt,
                  const std::string& message = {});
    /// notifications/message to the client when `level` passes the client's level.
    void log(LogLevel level, const json& data, const std::string& logger = {});

    /// Legacy era: sends a request to the client and waits for its result. Throws RpcError
    /// when the client did not declare the capability, answered with an error, or timed out.
    json request_client(const std::string& method, const json& params,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

    /// Modern era (MRTR): responses the client sent for earlier input requests (object or null).
    const json& input_responses() const;
    /// Modern era: the verified state from the previous round, if any.
    const std::optional<json>& request_state() const { return call_.request_state; }
    /// Modern era: ends the handler with an `input_required` result.
    [[noreturn]] void require_input(json input_requests, json state = nullptr);

    /// 2026-07-28: fails the request with -32021 (HTTP 400) unless the client declared
    /// `capability` ("sampling", "elicitation", "roots") in this request's _meta.
    void require_client_capability(const std::string& capability) const;
    /// Ends the current HTTP connection of this request's stream without ending the request;
    /// the client resumes with Last-Event-ID (SSE polling). No-op elsewhere.
    void disconnect();
    /// Tasks extension (2026-07-28): true while this call runs as a task (its outcome is read
    /// with tasks/get; require_input then parks the task in `input_required` until tasks/update).
    bool in_task() const;
    /// Tasks extension: from here on, run as a task when this call may be one (the client
    /// declared `io.modelcontextprotocol/tasks` and the tool's taskSupport allows it): the
    /// client gets a CreateTaskResult now and the rest of the handler runs in the background,
    /// without progress or log notifications. No-op otherwise (the call stays synchronous) and
    /// when already a task. For tools registered with TaskStart::kInHandler that first gather
    /// input synchronously with require_input (MRTR). Throws RpcError when no task can be kept.
    void continue_as_task();
    /// Sends a notification on this request's channel (e.g. list_changed in a fixture).
    void notify(const std::string& method, json params);
    Server& server() { return server_; }

private:
    Server& server_;
    CallInfo& call_;
};

}  // namespace mcp
