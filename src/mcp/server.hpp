// The MCP server core: one dispatcher for both protocol eras (the 2025-11-25-and-older
// handshake and the stateless 2026-07-28 revision), shared by every transport.
#pragma once

#include "mcp/context.hpp"
#include "mcp/json_rpc.hpp"
#include "mcp/registry.hpp"
#include "mcp/session.hpp"
#include "mcp/tasks.hpp"

#include <any>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mcp {

/// Bounds of the experimental 2025-11-25 tasks (tools/call with `task`).
struct LegacyTaskLimits {
    size_t threads = 8;            // tasks running at once
    size_t max_queued = 64;        // tasks waiting for a thread; more are refused
    size_t max_tasks = 1'000;      // records kept in all (running or finished, until their TTL)
    size_t max_per_session = 100;  // records one session (and key) keeps
    std::chrono::milliseconds default_ttl{60'000};
    std::chrono::milliseconds min_ttl{1'000};
    std::chrono::milliseconds max_ttl{std::chrono::hours(1)};
};

/// Bounds of legacy-era sessions (each holds memory for up to ServerOptions' idle time).
struct SessionLimits {
    size_t max_sessions = 4'096;       // in all; initialize beyond it is refused (503)
    size_t max_per_owner = 256;        // per key; a new one closes that key's least recently used
                                       // session without an open stream (503 when all have one)
    size_t max_subscriptions = 256;    // resources/subscribe URIs per session
};

class WorkQueue;

struct ServerOptions {
    std::string name = "ghl-mcp";
    std::string version = "0.0.0";
    std::string title;
    std::string description;
    std::string instructions;
    size_t page_size = 50;  // tools/list, prompts/list, resources/list page size
    size_t max_batch = 16;  // messages in one 2025-03-26 JSON-RPC batch (<= InflightLimits::per_session)
    std::chrono::milliseconds default_timeout{std::chrono::minutes(5)};
    int64_t list_ttl_ms = 60'000;  // 2026-07-28 caching hint for list results
    int64_t read_ttl_ms = 0;       // and for resources/read
    /// Check structuredContent against outputSchema (tests and debug builds).
    bool validate_output = false;
    /// Key for sealing MRTR requestState (HMAC-SHA256); random per process when empty.
    std::string state_key;
    std::chrono::seconds state_lifetime{std::chrono::minutes(10)};
    /// Advertise the experimental 2025-11-25 tasks capability (tools/call with `task`).
    bool tasks = true;
    LegacyTaskLimits legacy_tasks;
    SessionLimits session_limits;
    /// The 2026-07-28 tasks extension (`io.modelcontextprotocol/tasks`).
    TaskExtensionOptions task_extension;
    /// Binds tasks (both dialects) and sessions to their creator: maps a request's principal (API
    /// key scope) to an owner key; another owner gets "unknown task" / "session not found".
    /// Empty: every principal is the same owner.
    std::function<std::string(const std::any& principal)> task_owner;
    /// Told about every tools/call refused before a handler ran: "unknown_tool" (no such tool, or
    /// hidden from this principal) or "invalid_arguments" (the input schema rejected them), e.g.
    /// for an audit log. `arguments` is what the client sent (may not be an object).
    std::function<void(const std::string& tool, const std::any& principal, const json& arguments,
                       const char* outcome)>
        on_refused_call;
    /// Checked before a resource subscription is recorded (resources/subscribe, and the
    /// resourceSubscriptions of subscriptions/listen): throws RpcError when the caller may not
    /// read `uri`. Empty: every subscription is allowed.
    std::function<void(const std::string& uri, ToolContext& ctx)> authorize_subscription;
};

/// Request headers of a Streamable HTTP POST, lower-cased names (2026-07-28 validation).
using HeaderMap = std::multimap<std::string, std::string>;

/// Where a message came from and where its side messages go.
struct Incoming {
    std::shared_ptr<Session> session;   // legacy session (stdio: the process's one session)
    std::shared_ptr<Channel> channel;   // request-related outbound messages
    const HeaderMap* http_headers = nullptr;  // set by Streamable HTTP
    std::any principal;
    /// Era chosen by the transport (Streamable HTTP routes by headers); unset: by the body.
    std::optional<bool> modern;
};

/// Result of handling one message or batch.
struct Outcome {
    std::optional<json> response;  // absent for notifications, client responses, cancelled calls
    int http_status = 200;         // for Streamable HTTP
    bool created_session = false;  // an initialize succeeded (HTTP: send Mcp-Session-Id)
    std::string session_id;        // the new session's id when created_session
};

class Server {
public:
    Server(ServerOptions options, std::shared_ptr<Registry> registry);
    ~Server();

    const ServerOptions& options() const { return options_; }
    Registry& registry() { return *registry_; }

    /// Handles one parsed JSON-RPC payload (object or batch). Never throws.
    Outcome handle(const json& payload, const Incoming& in);
    /// Parses and handles one raw message; malformed JSON becomes -32700.
    Outcome handle_text(std::string_view text, const Incoming& in);

    /// True for messages a transport should run off its reader thread (tools/call, ...).
    static bool runs_long(const json& payload);
    /// True when a payload is in the 2026-07-28 stateless era (by `_meta` or header).
    static bool is_modern(const json& payload, const HeaderMap* headers);

    // Sessions (legacy era).
    /// A new session owned by `owner` (see owner_of). Past SessionLimits::max_per_owner the
    /// owner's least recently used session is closed; past max_sessions it throws RpcError
    /// (HTTP status 503).
    std::shared_ptr<Session> create_session(const std::string& owner = {});
    /// Registers a session created by a transport (stdio) so it receives change notifications.
    void attach_session(std::shared_ptr<Session> session);
    /// Forgets a session without closing it.
    void detach_session(const std::string& id);
    std::shared_ptr<Session> find_session(const std::string& id) const;
    void close_session(const std::string& id);
    size_t session_count() const;
    /// Closes sessions idle for longer than `idle` (HTTP transports call this periodically).
    void expire_sessions(std::chrono::seconds idle);

    // Change notifications, delivered to legacy sessions and 2026 subscription listeners.
    void notify_tools_changed();
    void notify_prompts_changed();
    void notify_resources_changed();
    void notify_resource_updated(const std::string& uri);

    /// Stops listeners (subscriptions/listen) and wakes waiting handlers; used at shutdown.
    void shutdown();

    json server_info() const;
    json capabilities(bool modern) const;

    // Used by ToolContext.
    std::string seal_state(const json& state, const CallInfo& call) const;
    std::optional<json> open_state(const std::string& sealed, const CallInfo& call) const;
    void send_log(CallInfo& call, LogLevel level, const json& data, const std::string& logger);

    /// The tasks extension's runner and store.
    TaskManager& task_manager() { return *task_manager_; }
    /// 2025-11-25 tasks currently kept (running or finished, until their TTL).
    size_t legacy_task_count() const;
    /// The owner key of a principal (ServerOptions::task_owner; "" without one).
    std::string owner_of(const std::any& principal) const {
        return options_.task_owner ? options_.task_owner(principal) : std::string();
    }

private:
    struct Listener;
    struct Task;

    Outcome handle_single(const json& msg, const Incoming& in);
    json dispatch(CallInfo& call, const Incoming& in, bool& created_session);
    json finish_result(const CallInfo& call, json result, bool cacheable, int64_t ttl_ms) const;
    Outcome error_outcome(const json& id, const RpcError& e, bool modern) const;

    void prepare_modern(CallInfo& call, const Incoming& in) const;
    void prepare_legacy(CallInfo& call, const Incoming& in) const;
    void handle_notification(const json& msg, const Incoming& in);

    json do_initialize(CallInfo& call, const Incoming& in, bool& created_session);
    json do_discover(CallInfo& call) const;
    json do_tools_list(CallInfo& call) const;
    json do_tools_call(CallInfo& call);
    /// Runs a tool under its call's log context and logs how it finished.
    json run_tool(const Tool& tool, CallInfo& call, const json& arguments);
    json invoke_tool(const Tool& tool, CallInfo& call, const json& arguments);
    json do_resources_list(CallInfo& call) const;
    json do_templates_list(CallInfo& call) const;
    json do_resources_read(CallInfo& call);
    json do_prompts_list(CallInfo& call) const;
    json do_prompts_get(CallInfo& call);
    json do_complete(CallInfo& call);
    /// Runs ServerOptions::authorize_subscription (throws RpcError to refuse).
    void authorize_subscription(const std::string& uri, CallInfo& call);
    json do_set_level(CallInfo& call);
    json do_subscribe(CallInfo& call, bool subscribe);
    json do_listen(CallInfo& call);
    json do_tasks(CallInfo& call);
    json start_legacy_task(CallInfo& call, const std::shared_ptr<const Tool>& tool, const json& arguments,
                           const json& task_params);
    std::shared_ptr<Task> find_legacy_task(const CallInfo& call, const std::string& id);
    void purge_legacy_tasks_locked(std::chrono::steady_clock::time_point now);
    json do_task_method(CallInfo& call);
    std::string task_owner(const CallInfo& call) const;
    void notify_task(const TaskRecord& record);
    json input_required_result(const InputRequired& ir, const CallInfo& call) const;

    void broadcast(const std::string& method, const json& params, const std::string& kind,
                   const std::string& uri = {});

    ServerOptions options_;
    std::shared_ptr<Registry> registry_;
    std::string state_key_;
    mutable std::mutex mu_;
    std::map<std::string, std::shared_ptr<Session>> sessions_;
    std::vector<std::shared_ptr<Listener>> listeners_;
    std::map<std::string, std::shared_ptr<Task>> tasks_;
    std::unique_ptr<WorkQueue> legacy_tasks_;  // runs 2025-11-25 tasks (bounded)
    std::shared_ptr<TaskManager> task_manager_;
    std::atomic<bool> stopping_{false};
};

/// Splits `items` into a page starting at the opaque `cursor`; throws -32602 on a bad cursor.
/// Returns [begin, end) and sets `next_cursor` (empty when last page).
std::pair<size_t, size_t> paginate(size_t total, const json& cursor, size_t page_size,
                                   std::string& next_cursor);

}  // namespace mcp
