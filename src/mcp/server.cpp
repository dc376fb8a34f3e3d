// Server: the dispatcher for both protocol eras. This file is the only place where failures
// become JSON-RPC errors (error_outcome); tool failures become `isError` results (run_tool).
#include "mcp/server.hpp"
#include "core/json.hpp"

#include "mcp/crypto.hpp"
#include "mcp/headers.hpp"
#include "mcp/log_context.hpp"
#include "mcp/work_queue.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace mcp {

namespace {

using Clock = std::chrono::steady_clock;

const json& empty_object() {
    static const json kEmpty = json::object();
    return kEmpty;
}

const json& get_meta(const json& params) {
    if (params.is_object()) {
        auto it = params.find("_meta");
        if (it != params.end() && it->is_object()) return *it;
    }
    return empty_object();
}

std::string require_string(const json& params, const char* key, const char* what) {
    auto it = params.find(key);
    if (it == params.end() || !it->is_string())
        throw RpcError(ErrorCode::kInvalidParams,
                       std::string("Invalid params: '") + key + "' (" + what +
                           ") is required and must be a string");
    return it->get<std::string>();
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

/// " [tools.not_found]" when an isError result's text starts with such an error id, else "".
std::string error_tag(const json& result) {
    auto content = result.find("content");
    if (content == result.end() || !content->is_array() || content->empty()) return {};
    const json& first = content->front();
    if (!first.is_object() || !first.contains("text") || !first["text"].is_string()) return {};
    const std::string& text = first["text"].get_ref<const std::string&>();
    if (text.size() < 3 || text[0] != '[') return {};
    const auto close = text.find(']');
    if (close == std::string::npos || close > 64) return {};
    for (std::size_t i = 1; i < close; ++i) {
        const char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return {};
    }
    return " " + text.substr(0, close + 1);
}

/// Client-chosen text (a method name, a request id) as it may appear in a log line: JSON-quoted
/// and escaped (no line breaks or control characters to forge lines with), at most 80 bytes.
std::string log_safe(const json& value) {
    std::string out = value.dump(-1, ' ', true, json::error_handler_t::replace);
    if (out.size() > 80) out = out.substr(0, 77) + "...";
    return out;
}
std::string log_safe(const std::string& text) { return log_safe(json(text)); }

/// The client capabilities a session keeps: which capabilities and sub-capabilities were
/// declared (ToolContext::client_supports reads nothing more), bounded in count and size, so a
/// multi-megabyte `capabilities` object costs nothing after initialize.
json trim_capabilities(const json& caps) {
    constexpr size_t kMaxKeys = 32, kMaxKeyLength = 64;
    json out = json::object();
    if (!caps.is_object()) return out;
    for (const auto& [key, value] : caps.items()) {
        if (out.size() >= kMaxKeys) break;
        if (key.size() > kMaxKeyLength || value.is_null()) continue;
        json sub = json::object();
        if (value.is_object())
            for (const auto& [sub_key, sub_value] : value.items()) {
                if (sub.size() >= kMaxKeys) break;
                if (sub_key.size() <= kMaxKeyLength && !sub_value.is_null()) sub[sub_key] = json::object();
            }
        out[key] = std::move(sub);
    }
    return out;
}

/// At most `max` bytes of `text`, never ending inside a UTF-8 sequence.
std::string utf8_cut(const std::string& text, size_t max) {
    if (text.size() <= max) return text;
    size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

/// clientInfo as kept for a session: its short string fields, each cut to 128 bytes.
json trim_client_info(const json& info) {
    json out = json::object();
    if (!info.is_object()) return out;
    for (const char* key : {"name", "title", "version"})
        if (auto it = info.find(key); it != info.end() && it->is_string())
            out[key] = utf8_cut(it->get_ref<const std::string&>(), 128);
    return out;
}

/// Drops definition fields a client of an older revision does not know.
json wire_tool(const json& def, const std::string& version, bool modern) {
    json out = def;
    if (!modern) {
        if (!version_at_least(version, kV20250618)) {
            out.erase("title");
            out.erase("outputSchema");
        }
        if (!version_at_least(version, kV20251125)) {
            out.erase("icons");
            out.erase("execution");
        }
        if (!version_at_least(version, kV20250326)) out.erase("annotations");
    }
    return out;
}

}  // namespace

struct Server::Listener {
    json id;  // the subscriptions/listen request id (the subscriptionId)
    std::shared_ptr<Channel> channel;
    bool tools = false, prompts = false, resources = false;
    std::set<std::string> uris;
    std::set<std::string> task_ids;  // notifications/tasks (tasks extension)
    CancelFlag cancelled;
};

/// A 2025-11-25 task: bound to the principal (ServerOptions::task_owner) and the session that
/// created it, forgotten when its TTL ends, run on the bounded legacy task queue.
struct Server::Task {
    std::string id;
    std::string owner;       // task_owner(principal) of the creator
    std::string session_id;  // the creating session ("" without one)
    std::string status = "working";
    std::string created_at;
    std::string updated_at;
    int64_t ttl_ms = 60'000;
    Clock::time_point expires_at = Clock::time_point::max();  // guarded by Server::mu_
    std::optional<json> result;  // the final result or an error object
    bool is_error_response = false;
    bool expired = false;  // forgotten at its TTL (guarded by mu)
    std::mutex mu;
    std::condition_variable cv;
    CancelFlag cancel = std::make_shared<std::atomic<bool>>(false);
};

std::pair<size_t, size_t> paginate(size_t total, const json& cursor, size_t page_size,
                                   std::string& next_cursor) {
    size_t begin = 0;
    if (!cursor.is_null()) {
        if (!cursor.is_string())
            throw RpcError(ErrorCode::kInvalidParams, "Invalid cursor: must be a string");
        const std::string& c = cursor.get_ref<const std::string&>();
        bool ok = c.size() > 1 && c[0] == 'o' &&
                  std::all_of(c.begin() + 1, c.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) &&
                  c.size() < 12;
        if (ok) begin = std::stoul(c.substr(1));
        if (!ok || begin > total)
            throw RpcError(ErrorCode::kInvalidParams, "Invalid cursor: " + c);
    }
    if (page_size == 0) page_size = total == 0 ? 1 : total;
    size_t end = std::min(total, begin + page_size);
    next_cursor = end < total ? "o" + std::to_string(end) : "";
    return {begin, end};
}

Server::Server(ServerOptions options, std::shared_ptr<Registry> registry)
    : options_(std::move(options)), registry_(std::move(registry)) {
    state_key_ = options_.state_key.empty() ? random_bytes(32) : options_.state_key;
    legacy_tasks_ = std::make_unique<WorkQueue>(std::max<size_t>(1, options_.legacy_tasks.threads),
                                                options_.legacy_tasks.max_queued);
    // A task dropped from the queue at shutdown still runs its job, which sees stopping_ and
    // records "shut down before the task ran" instead of leaving the task working forever.
    legacy_tasks_->set_on_dropped([](std::function<void()>& job) { job(); });
    task_manager_ = std::make_shared<TaskManager>(options_.task_extension);
    task_manager_->set_observer([this](const TaskRecord& r) { notify_task(r); });
}

Server::~Server() {
    shutdown();
    task_manager_->set_observer(nullptr);
}

void Server::shutdown() {
    stopping_ = true;
    {
        std::lock_guard lock(mu_);
        for (auto& l : listeners_) l->cancelled->store(true);
        for (auto& [id, s] : sessions_) s->close();
        for (auto& [id, t] : tasks_) t->cancel->store(true);
    }
    // Queued legacy tasks fail with "shutting down" (their job sees stopping_); running ones were
    // told to stop and are waited for.
    legacy_tasks_->stop();
    task_manager_->shutdown();
}

json Server::server_info() const {
    json info{{"name", options_.name}, {"version", options_.version}};
    if (!options_.title.empty()) info["title"] = options_.title;
    if (!options_.description.empty()) info["description"] = options_.description;
    return info;
}

json Server::capabilities(bool modern) const {
    json caps{{"tools", {{"listChanged", true}}},
              {"resources", {{"subscribe", true}, {"listChanged", true}}},
              {"prompts", {{"listChanged", true}}},
              {"logging", json::object()},
              {"completions", json::object()}};
    if (options_.tasks && !modern)
        caps["tasks"] = {{"list", json::object()},
                         {"cancel", json::object()},
                         {"requests", {{"tools", {{"call", json::object()}}}}}};
    if (options_.task_extension.enabled && modern)
        caps["extensions"] = {{kTasksExtension, json::object()}};
    return caps;
}

// --- sessions -----------------------------------------------------------------------------

std::shared_ptr<Session> Server::create_session(const std::string& owner) {
    const auto& limits = options_.session_limits;
    auto s = std::make_shared<Session>(random_id(), owner);
    std::shared_ptr<Session> evicted;
    {
        std::lock_guard lock(mu_);
        std::shared_ptr<Session> oldest;  // the owner's least recently used session not streaming
        size_t mine = 0;
        for (const auto& [id, other] : sessions_) {
            if (other->owner() != owner) continue;
            ++mine;
            auto standalone = other->standalone();
            if (standalone && standalone->open()) continue;
            if (!oldest || other->last_seen() < oldest->last_seen()) oldest = other;
        }
        if (mine >= limits.max_per_owner) {
            // A key that keeps opening sessions (a client that never sends DELETE) only ever
            // displaces its own least recently used one, never one with a stream open.
            if (!oldest)
                throw RpcError(ErrorCode::kInternalError,
                               "Too many open sessions for this key (" + std::to_string(limits.max_per_owner) +
                                   ", each with a stream open): close some (DELETE) first",
                               nullptr, 503);
            evicted = oldest;
            sessions_.erase(oldest->id());
        } else if (sessions_.size() >= limits.max_sessions) {
            throw RpcError(ErrorCode::kInternalError,
                           "Too many open sessions (" + std::to_string(limits.max_sessions) +
                               "): try again later, or close sessions you no longer use (DELETE)",
                           nullptr, 503);
        }
        sessions_[s->id()] = s;
    }
    if (evicted) {
        spdlog::info("session limit of {} per key reached: closed the least recently used one",
                     limits.max_per_owner);
        evicted->close();
    }
    return s;
}

void Server::attach_session(std::shared_ptr<Session> session) {
    std::lock_guard lock(mu_);
    sessions_[session->id()] = std::move(session);
}

void Server::detach_session(const std::string& id) {
    std::lock_guard lock(mu_);
    sessions_.erase(id);
}

std::shared_ptr<Session> Server::find_session(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
}

void Server::close_session(const std::string& id) {
    std::shared_ptr<Session> s;
    {
        std::lock_guard lock(mu_);
        auto it = sessions_.find(id);
        if (it == sessions_.end()) return;
        s = it->second;
        sessions_.erase(it);
    }
    s->close();
}

size_t Server::session_count() const {
    std::lock_guard lock(mu_);
    return sessions_.size();
}

void Server::expire_sessions(std::chrono::seconds idle) {
    std::vector<std::shared_ptr<Session>> dead;
    auto cutoff = Clock::now() - idle;
    {
        std::lock_guard lock(mu_);
        for (auto it = sessions_.begin(); it != sessions_.end();) {
            auto standalone = it->second->standalone();
            bool streaming = standalone && standalone->open();
            if (!streaming && it->second->last_seen() < cutoff) {
                dead.push_back(it->second);
                it = sessions_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& s : dead) s->close();
}

// --- entry points -------------------------------------------------------------------------

bool Server::runs_long(const json& payload) {
    if (payload.is_array())
        return std::any_of(payload.begin(), payload.end(), [](const json& m) { return runs_long(m); });
    if (!payload.is_object() || !payload.contains("id")) return false;
    auto it = payload.find("method");
    if (it == payload.end() || !it->is_string()) return false;
    const auto& m = it->get_ref<const std::string&>();
    return m == "tools/call" || m == "subscriptions/listen" || m == "resources/read" ||
           m == "prompts/get" || m == "tasks/result";
}

bool Server::is_modern(const json& payload, const HeaderMap* headers) {
    if (payload.is_object()) {
        auto p = payload.find("params");
        if (p != payload.end() && p->is_object()) {
            auto m = p->find("_meta");
            if (m != p->end() && m->is_object() && m->contains(meta::kProtocolVersion))
                return true;
        }
        auto method = payload.find("method");
        if (method != payload.end() && *method == "server/discover") return true;
    }
    if (headers) {
        auto h = headers->find("mcp-protocol-version");
        if (h != headers->end() && is_modern_version(h->second)) return true;
    }
    return false;
}

Outcome Server::handle_text(std::string_view text, const Incoming& in) {
    json payload;
    try {
        payload = core::parse_json(text);
    } catch (const json::parse_error& e) {
        return Outcome{make_error(nullptr, ErrorCode::kParseError,
                                  std::string("Parse error: ") + e.what()),
                       400};
    } catch (const core::JsonTooDeep& e) {
        return Outcome{make_error(nullptr, ErrorCode::kParseError, std::string("Parse error: ") + e.what()),
                       400};
    }
    return handle(payload, in);
}

Outcome Server::handle(const json& payload, const Incoming& in) {
    if (!payload.is_array()) return handle_single(payload, in);
    // Batches exist only in 2025-03-26 (received, never sent); earlier and later reject them.
    std::string version = in.session ? in.session->version() : std::string();
    if (version != kV20250326)
        return Outcome{make_error(nullptr, ErrorCode::kInvalidRequest,
                                  "Invalid Request: JSON-RPC batches are not supported by the "
                                  "negotiated protocol version (only 2025-03-26 allows them)"),
                       400};
    if (payload.empty())
        return Outcome{make_error(nullptr, ErrorCode::kInvalidRequest, "Invalid Request: empty batch"),
                       400};
    if (payload.size() > options_.max_batch)
        return Outcome{make_error(nullptr, ErrorCode::kInvalidRequest,
                                  "Invalid Request: a batch may hold at most " +
                                      std::to_string(options_.max_batch) + " messages (this one has " +
                                      std::to_string(payload.size()) + "); send the rest separately"),
                       400};
    // The batch shares one deadline: calls not started by then are answered, not run.
    const auto deadline = Clock::now() + options_.default_timeout;
    json responses = json::array();
    for (const auto& m : payload) {
        if (Clock::now() >= deadline || stopping_.load()) {
            if (m.is_object() && m.contains("id") && m.contains("method"))
                responses.push_back(make_error(m["id"], ErrorCode::kInternalError,
                                               stopping_.load() ? "Not run: the server is shutting down"
                                                                : "Not run: the batch's deadline passed"));
            continue;
        }
        if (m.is_object() && m.value("method", "") == "initialize") {
            responses.push_back(make_error(m.value("id", json()), ErrorCode::kInvalidRequest,
                                           "Invalid Request: initialize must not be batched"));
            continue;
        }
        Outcome o = handle_single(m, in);
        if (o.response) responses.push_back(std::move(*o.response));
    }
    if (responses.empty()) return Outcome{std::nullopt, 202};
    return Outcome{std::move(responses), 200};
}

Outcome Server::error_outcome(const json& id, const RpcError& e, bool modern) const {
    int status = e.http_status();
    if (status == 0) status = (modern && e.code() == ErrorCode::kMethodNotFound) ? 404 : 200;
    return Outcome{make_error(id, e.code(), e.what(), e.data()), status};
}

Outcome Server::handle_single(const json& msg, const Incoming& in) {
    if (!msg.is_object())
        return Outcome{make_error(nullptr, ErrorCode::kInvalidRequest,
                                  "Invalid Request: a message must be a JSON object"),
                       400};
    json id = msg.contains("id") ? msg["id"] : json();
    auto jsonrpc = msg.find("jsonrpc");
    if (jsonrpc == msg.end() || *jsonrpc != "2.0")
        return Outcome{make_error(id, ErrorCode::kInvalidRequest,
                                  "Invalid Request: \"jsonrpc\" must be \"2.0\""),
                       400};
    auto method_it = msg.find("method");
    if (method_it == msg.end()) {
        // A response to one of our requests (sampling, elicitation, roots).
        if (msg.contains("id") && (msg.contains("result") || msg.contains("error"))) {
            if (in.session && !in.session->resolve(msg["id"], msg))
                spdlog::debug("response to unknown request id {}", log_safe(msg["id"]));
            return Outcome{std::nullopt, 202};
        }
        return Outcome{make_error(id, ErrorCode::kInvalidRequest,
                                  "Invalid Request: neither a request, a notification nor a response"),
                       400};
    }
    if (!method_it->is_string())
        return Outcome{make_error(id, ErrorCode::kInvalidRequest,
                                  "Invalid Request: \"method\" must be a string"),
                       400};
    if (!msg.contains("id")) {
        handle_notification(msg, in);
        return Outcome{std::nullopt, 202};
    }
    if (!valid_request_id(id))
        return Outcome{make_error(nullptr, ErrorCode::kInvalidRequest,
                                  "Invalid Request: \"id\" must be a string or an integer (never null)"),
                       400};

    CallInfo call;
    call.id = id;
    call.method = method_it->get<std::string>();
    call.channel = in.channel;
    call.principal = in.principal;
    call.deadline = Clock::now() + options_.default_timeout;
    bool modern = in.modern ? *in.modern : is_modern(msg, in.http_headers);
    try {
        auto params = msg.find("params");
        if (params != msg.end() && !params->is_null()) {
            if (!params->is_object())
                throw RpcError(ErrorCode::kInvalidParams, "Invalid params: must be an object",
                               nullptr, modern ? 400 : 0);
            call.params = *params;
        }
        if (modern)
            prepare_modern(call, in);
        else
            prepare_legacy(call, in);
        bool created = false;
        json result;
        try {
            result = dispatch(call, in, created);
        } catch (...) {
            if (call.cancel_scope) call.cancel_scope->end_request(call.id);
            throw;
        }
        if (call.cancel_scope) call.cancel_scope->end_request(call.id);
        // A cancelled request is not answered (notifications/cancelled).
        if (call.cancelled->load() && call.method != "initialize")
            return Outcome{std::nullopt, 200};
        Outcome o{make_result(id, std::move(result)), 200, created};
        if (created && call.session) o.session_id = call.session->id();
        return o;
    } catch (const RpcError& e) {
        return error_outcome(id, e, modern);
    } catch (const std::exception& e) {
        spdlog::error("request {} ({}) failed: {}", log_safe(id), log_safe(call.method), e.what());
        return error_outcome(id, RpcError(ErrorCode::kInternalError, "Internal error"), modern);
    }
}

void Server::handle_notification(const json& msg, const Incoming& in) {
    const std::string method = msg["method"];
    const json& params = msg.contains("params") ? msg["params"] : empty_object();
    if (method == "notifications/initialized") {
        if (in.session) {
            std::lock_guard lock(in.session->mu);
            in.session->initialized = true;
        }
    } else if (method == "notifications/cancelled") {
        if (params.is_object() && params.contains("requestId")) {
            const json& rid = params["requestId"];
            if (in.session) in.session->cancel_request(rid);
            std::lock_guard lock(mu_);
            for (auto& l : listeners_)
                if (l->id == rid) l->cancelled->store(true);
        }
    } else if (method == "notifications/roots/list_changed" || method == "notifications/progress") {
        // Nothing to do: we ask for roots when a tool needs them.
    } else {
        spdlog::debug("ignoring notification {}", log_safe(method));
    }
}

// --- era preparation ----------------------------------------------------------------------

void Server::prepare_modern(CallInfo& call, const Incoming& in) const {
    call.modern = true;
    const json& m = get_meta(call.params);
    auto v = m.find(meta::kProtocolVersion);
    if (v == m.end() || !v->is_string())
        throw RpcError(ErrorCode::kInvalidParams,
                       std::string("Invalid params: _meta[\"") + meta::kProtocolVersion +
                           "\"] is required (2026-07-28 requests are stateless and carry the "
                           "protocol version and client capabilities in params._meta)",
                       nullptr, 400);
    const std::string version = v->get<std::string>();
    auto caps = m.find(meta::kClientCapabilities);
    if (caps == m.end() || !caps->is_object())
        throw RpcError(ErrorCode::kInvalidParams,
                       std::string("Invalid params: _meta[\"") + meta::kClientCapabilities +
                           "\"] is required and must be an object",
                       nullptr, 400);
    call.protocol_version = version;
    call.client_capabilities = *caps;
    // Header/body agreement first: a mismatch is -32020 even for an unsupported version.
    if (in.http_headers) validate_version_header(*in.http_headers, version);
    if (!is_modern_version(version))
        throw RpcError(ErrorCode::kUnsupportedProtocolVersion,
                       "Unsupported protocol version: " + version,
                       json{{"supported", modern_versions()}, {"requested", version}}, 400);
    if (auto lvl = m.find(meta::kLogLevel); lvl != m.end()) {
        auto parsed = lvl->is_string() ? parse_log_level(lvl->get<std::string>()) : std::nullopt;
        if (!parsed)
            throw RpcError(ErrorCode::kInvalidParams, "Invalid params: unknown log level", nullptr,
                           400);
        call.log_level = parsed;
    }
    if (auto pt = m.find("progressToken"); pt != m.end()) call.progress_token = *pt;
    if (in.http_headers) validate_http_headers(*in.http_headers, call, registry_.get());
    if (auto rs = call.params.find("requestState"); rs != call.params.end() && !rs->is_null()) {
        auto opened = rs->is_string() ? open_state(rs->get<std::string>(), call) : std::nullopt;
        if (!opened)
            throw RpcError(ErrorCode::kInvalidParams,
                           "Invalid params: requestState is not one this server issued for this "
                           "request (tampered, expired or from another call); start over without it");
        call.request_state = std::move(opened);
    }
    // Over stdio the connection outlives the stateless request, and notifications/cancelled is
    // how a client stops it (over HTTP it closes the response stream instead).
    if (in.session && !in.http_headers) {
        call.cancel_scope = in.session;
        call.cancelled = in.session->begin_request(call.id);
    }
}

void Server::prepare_legacy(CallInfo& call, const Incoming& in) const {
    call.session = in.session;
    if (call.method != "initialize" && call.method != "ping") {
        if (!in.session || !in.session->handshake_done())
            throw RpcError(ErrorCode::kInvalidRequest,
                           "Server not initialized: send initialize first", nullptr, 400);
    }
    if (in.session) {
        std::lock_guard lock(in.session->mu);
        call.protocol_version = in.session->protocol_version;
        call.client_capabilities = in.session->client_capabilities;
        call.log_level = in.session->log_level ? in.session->log_level : LogLevel::kInfo;
    }
    const json& m = get_meta(call.params);
    if (auto pt = m.find("progressToken"); pt != m.end()) call.progress_token = *pt;
    if (in.session && call.method != "initialize") {
        call.cancel_scope = in.session;
        call.cancelled = in.session->begin_request(call.id);
    }
}

// --- dispatch -----------------------------------------------------------------------------

json Server::finish_result(const CallInfo& call, json result, bool cacheable, int64_t ttl_ms) const {
    if (!call.modern) return result;
    if (!result.contains("resultType")) result["resultType"] = "complete";
    result["_meta"][meta::kServerInfo] = server_info();
    if (cacheable && result["resultType"] == "complete") {
        result["ttlMs"] = ttl_ms;
        // Lists can differ per API key, so no shared caches.
        result["cacheScope"] = "private";
    }
    return result;
}

json Server::dispatch(CallInfo& call, const Incoming& in, bool& created_session) {
    const std::string& m = call.method;
    if (call.modern) {
        if (m == "initialize" || m == "ping" || m == "logging/setLevel" ||
            m == "resources/subscribe" || m == "resources/unsubscribe")
            throw RpcError(ErrorCode::kMethodNotFound,
                           "Method not found: " + m + " (removed in 2026-07-28)", nullptr, 404);
    } else if (m == "server/discover" || m == "subscriptions/listen") {
        throw RpcError(ErrorCode::kMethodNotFound, "Method not found: " + m);
    }
    if (m == "initialize") return do_initialize(call, in, created_session);
    if (m == "ping") return json::object();
    if (m == "server/discover") return do_discover(call);
    if (m == "tools/list") return finish_result(call, do_tools_list(call), true, options_.list_ttl_ms);
    if (m == "tools/call") return finish_result(call, do_tools_call(call), false, 0);
    if (m == "resources/list")
        return finish_result(call, do_resources_list(call), true, options_.list_ttl_ms);
    if (m == "resources/templates/list")
        return finish_result(call, do_templates_list(call), true, options_.list_ttl_ms);
    if (m == "resources/read") {
        json r = do_resources_read(call);
        return finish_result(call, std::move(r), true, options_.read_ttl_ms);
    }
    if (m == "prompts/list")
        return finish_result(call, do_prompts_list(call), true, options_.list_ttl_ms);
    if (m == "prompts/get") return finish_result(call, do_prompts_get(call), false, 0);
    if (m == "completion/complete") return finish_result(call, do_complete(call), false, 0);
    if (m == "logging/setLevel") return do_set_level(call);
    if (m == "resources/subscribe") return do_subscribe(call, true);
    if (m == "resources/unsubscribe") return do_subscribe(call, false);
    if (m == "subscriptions/listen") return finish_result(call, do_listen(call), false, 0);
    if (m.rfind("tasks/", 0) == 0 && options_.tasks && !call.modern) return do_tasks(call);
    if (call.modern && options_.task_extension.enabled &&
        (m == "tasks/get" || m == "tasks/update" || m == "tasks/cancel"))
        return finish_result(call, do_task_method(call), false, 0);
    throw RpcError(ErrorCode::kMethodNotFound, "Method not found: " + m, nullptr,
                   call.modern ? 404 : 0);
}

json Server::do_initialize(CallInfo& call, const Incoming& in, bool& created_session) {
    const json& p = call.params;
    auto v = p.find("protocolVersion");
    if (v == p.end() || !v->is_string())
        throw RpcError(ErrorCode::kInvalidParams,
                       "Invalid params: protocolVersion is required and must be a string");
    const std::string requested = v->get<std::string>();
    const std::string negotiated =
        is_legacy_version(requested) ? requested : std::string(kV20251125);
    auto session = in.session;
    if (!session) {
        session = create_session(task_owner(call));
        created_session = true;
    } else if (session->handshake_done()) {
        throw RpcError(ErrorCode::kInvalidRequest, "Invalid Request: already initialized");
    }
    {
        std::lock_guard lock(session->mu);
        session->protocol_version = negotiated;
        // Kept for the session's lifetime and copied into every call: only what the server reads.
        session->client_capabilities = trim_capabilities(p.value("capabilities", json::object()));
        session->client_info = trim_client_info(p.value("clientInfo", json::object()));
    }
    call.session = session;
    json result{{"protocolVersion", negotiated},
                {"capabilities", capabilities(false)},
                {"serverInfo", server_info()}};
    if (!options_.instructions.empty()) result["instructions"] = options_.instructions;
    return result;
}

json Server::do_discover(CallInfo& call) const {
    json result{{"supportedVersions", json::array()},
                {"capabilities", capabilities(true)},
                {"serverInfo", server_info()}};
    for (const auto& v : modern_versions()) result["supportedVersions"].push_back(v);
    for (const auto& v : legacy_versions()) result["supportedVersions"].push_back(v);
    if (!options_.instructions.empty()) result["instructions"] = options_.instructions;
    return finish_result(call, std::move(result), true, options_.list_ttl_ms);
}

json Server::do_tools_list(CallInfo& call) const {
    std::vector<const Tool*> visible;
    for (const auto& t : registry_->tools())
        if (registry_->tool_visible(*t, call.principal)) visible.push_back(t.get());
    std::string next;
    auto [b, e] = paginate(visible.size(), call.params.value("cursor", json()), options_.page_size, next);
    json tools = json::array();
    for (size_t i = b; i < e; ++i)
        tools.push_back(wire_tool(visible[i]->definition, call.protocol_version, call.modern));
    json result{{"tools", std::move(tools)}};
    if (!next.empty()) result["nextCursor"] = next;
    return result;
}

json Server::do_tools_call(CallInfo& call) {
    const std::string name = require_string(call.params, "name", "the tool name");
    // One id for the whole call, tasks and input rounds included (they copy or reuse `call`).
    call.call_id = new_call_id();
    auto tool = registry_->find_tool(name);
    if (!tool || !registry_->tool_visible(*tool, call.principal)) {
        if (options_.on_refused_call)
            options_.on_refused_call(name, call.principal, call.params.value("arguments", json()),
                                     "unknown_tool");
        throw RpcError(ErrorCode::kInvalidParams, "Unknown tool: " + name);
    }
    json arguments = call.params.value("arguments", json::object());
    if (arguments.is_null()) arguments = json::object();
    if (!arguments.is_object())
        throw RpcError(ErrorCode::kInvalidParams, "Invalid params: arguments must be an object");
    auto task = call.params.find("task");
    if (task != call.params.end() && options_.tasks && !call.modern && task->is_object())
        return start_legacy_task(call, tool, arguments, *task);
    if (call.modern && options_.task_extension.enabled) {
        // Tasks extension: the server decides; only for requests that declare the extension.
        const bool declared = declares_tasks_extension(call.client_capabilities);
        if (tool->task_support == TaskSupport::kRequired && !declared)
            throw RpcError(ErrorCode::kMissingClientCapability,
                           "Missing required client capability: tool " + name +
                               " runs only as a task; declare the " + kTasksExtension +
                               " extension in this request's client capabilities",
                           json{{"requiredCapabilities",
                                 {{"extensions", {{kTasksExtension, json::object()}}}}}},
                           400);
        if (tool->task_support != TaskSupport::kForbidden && declared) {
            try {
                return task_manager_->run(
                    call, [this, tool, arguments](CallInfo& c) { return run_tool(*tool, c, arguments); },
                    tool->task_start == TaskStart::kBeforeHandler, task_owner(call));
            } catch (const InputRequired& ir) {
                return input_required_result(ir, call);  // MRTR before the task exists
            }
        }
    }
    return run_tool(*tool, call, arguments);
}

json Server::input_required_result(const InputRequired& ir, const CallInfo& call) const {
    json out{{"resultType", "input_required"}};
    if (!ir.input_requests.is_null()) out["inputRequests"] = ir.input_requests;
    if (!ir.state.is_null()) out["requestState"] = seal_state(ir.state, call);
    return out;
}

json Server::run_tool(const Tool& tool, CallInfo& call, const json& arguments) {
    if (call.call_id.empty()) call.call_id = new_call_id();
    const auto& session = call.session ? call.session : call.cancel_scope;
    LogScope scope({call.call_id, tool.name(), session ? session_log_tag(session->id()) : std::string()});
    const auto start = Clock::now();
    // One line per finished call: its id ties it to the GHL requests logged while it ran. No
    // argument values or result text (personal data): the outcome, and an error's [id] tag.
    auto finished = [&](const std::string& outcome) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        spdlog::info("tool {} [{}] {} in {} ms", tool.name(), call.call_id, outcome, ms.count());
    };
    try {
        json out = invoke_tool(tool, call, arguments);
        if (call.cancelled->load())
            finished("cancelled");
        else if (out.value("resultType", "") == "input_required")
            finished("input_required");
        else if (out.value("isError", false))
            finished("error" + error_tag(out));
        else
            finished("ok");
        return out;
    } catch (const InputRequired&) {
        finished("input_required");
        throw;
    } catch (const RpcError& e) {
        finished("failed with JSON-RPC error " + std::to_string(static_cast<int>(e.code())));
        throw;
    } catch (...) {
        finished("failed");
        throw;
    }
}

json Server::invoke_tool(const Tool& tool, CallInfo& call, const json& arguments) {
    auto problems = tool.input_validator->validate(arguments);
    if (!problems.empty()) {
        if (options_.on_refused_call)
            options_.on_refused_call(tool.name(), call.principal, arguments, "invalid_arguments");
        return json{{"content",
                     json::array({{{"type", "text"},
                                   {"text", "[mcp.invalid_arguments] Invalid arguments for tool " +
                                                tool.name() + ": " + join(problems, "; ") +
                                                ". Fix the arguments to match the tool's "
                                                "inputSchema and call it again."}}})},
                    {"isError", true}};
    }
    ToolContext ctx(*this, call);
    ToolResult r;
    try {
        r = tool.handler(arguments, ctx);
    } catch (const InputRequired& ir) {
        if (call.task) throw;  // the task runner handles input rounds (and MRTR before a task)
        if (!call.modern)
            return json{{"content", json::array({{{"type", "text"},
                                                  {"text", "This tool needs input the client "
                                                           "cannot provide in this session."}}})},
                        {"isError", true}};
        json out{{"resultType", "input_required"}};
        if (!ir.input_requests.is_null()) out["inputRequests"] = ir.input_requests;
        if (!ir.state.is_null()) out["requestState"] = seal_state(ir.state, call);
        return out;
    } catch (const RpcError&) {
        throw;
    } catch (const std::exception& e) {
        spdlog::warn("tool {} [{}] failed: {}", tool.name(), call.call_id, e.what());
        r = ToolResult::error(std::string(e.what()));
    }
    json out{{"content", std::move(r.content)}};
    if (r.structured) {
        if (options_.validate_output && tool.output_validator && !r.is_error) {
            auto bad = tool.output_validator->validate(*r.structured);
            if (!bad.empty()) {
                spdlog::error("tool {} [{}] returned structuredContent that violates its outputSchema: {}",
                              tool.name(), call.call_id, join(bad, "; "));
                return json{{"content", json::array({{{"type", "text"},
                                                      {"text", "[mcp.output_schema] tool " +
                                                                   tool.name() +
                                                                   " produced an invalid result: " +
                                                                   join(bad, "; ")}}})},
                            {"isError", true}};
            }
        }
        if (out["content"].empty())
            out["content"].push_back({{"type", "text"}, {"text", r.structured->dump()}});
        if (call.modern || version_at_least(call.protocol_version, kV20250618))
            out["structuredContent"] = std::move(*r.structured);
    }
    if (r.is_error) out["isError"] = true;
    return out;
}

json Server::do_resources_list(CallInfo& call) const {
    const auto& all = registry_->resources();
    std::string next;
    auto [b, e] = paginate(all.size(), call.params.value("cursor", json()), options_.page_size, next);
    json list = json::array();
    for (size_t i = b; i < e; ++i) list.push_back(all[i].definition);
    json result{{"resources", std::move(list)}};
    if (!next.empty()) result["nextCursor"] = next;
    return result;
}

json Server::do_templates_list(CallInfo& call) const {
    const auto& all = registry_->resource_templates();
    std::string next;
    auto [b, e] = paginate(all.size(), call.params.value("cursor", json()), options_.page_size, next);
    json list = json::array();
    for (size_t i = b; i < e; ++i) list.push_back(all[i].definition);
    json result{{"resourceTemplates", std::move(list)}};
    if (!next.empty()) result["nextCursor"] = next;
    return result;
}

json Server::do_resources_read(CallInfo& call) {
    const std::string uri = require_string(call.params, "uri", "the resource URI");
    ToolContext ctx(*this, call);
    auto wrap = [&](json contents) -> json {
        if (contents.is_object() && contents.contains("resultType")) return contents;  // MRTR
        return json{{"contents", std::move(contents)}};
    };
    try {
        for (const auto& r : registry_->resources())
            if (r.definition.at("uri") == uri) return wrap(r.reader(uri, ctx));
        for (const auto& t : registry_->resource_templates())
            if (auto vars = t.match(uri)) return wrap(t.reader(uri, *vars, ctx));
    } catch (const InputRequired& ir) {
        if (!call.modern) throw RpcError(ErrorCode::kInternalError, "input required");
        json out{{"resultType", "input_required"}};
        if (!ir.input_requests.is_null()) out["inputRequests"] = ir.input_requests;
        if (!ir.state.is_null()) out["requestState"] = seal_state(ir.state, call);
        return out;
    }
    if (call.modern)
        throw RpcError(ErrorCode::kInvalidParams, "Resource not found: " + uri, json{{"uri", uri}});
    throw RpcError(ErrorCode::kResourceNotFound, "Resource not found: " + uri, json{{"uri", uri}});
}

json Server::do_prompts_list(CallInfo& call) const {
    const auto& all = registry_->prompts();
    std::string next;
    auto [b, e] = paginate(all.size(), call.params.value("cursor", json()), options_.page_size, next);
    json list = json::array();
    for (size_t i = b; i < e; ++i) list.push_back(all[i].definition);
    json result{{"prompts", std::move(list)}};
    if (!next.empty()) result["nextCursor"] = next;
    return result;
}

json Server::do_prompts_get(CallInfo& call) {
    const std::string name = require_string(call.params, "name", "the prompt name");
    const Prompt* prompt = registry_->find_prompt(name);
    if (!prompt) throw RpcError(ErrorCode::kInvalidParams, "Unknown prompt: " + name);
    std::map<std::string, std::string> args;
    const json& given = call.params.contains("arguments") && call.params["arguments"].is_object()
                            ? call.params["arguments"]
                            : empty_object();
    for (const auto& [k, v] : given.items()) {
        if (!v.is_string())
            throw RpcError(ErrorCode::kInvalidParams,
                           "Invalid params: prompt argument '" + k + "' must be a string");
        args[k] = v.get<std::string>();
    }
    for (const auto& a : prompt->definition.value("arguments", json::array()))
        if (a.value("required", false) && !args.count(a.value("name", "")))
            throw RpcError(ErrorCode::kInvalidParams, "Invalid params: prompt " + name +
                                                          " requires argument '" +
                                                          a.value("name", "") + "'");
    ToolContext ctx(*this, call);
    try {
        return prompt->handler(args, ctx);
    } catch (const InputRequired& ir) {
        if (!call.modern) throw RpcError(ErrorCode::kInternalError, "input required");
        json out{{"resultType", "input_required"}};
        if (!ir.input_requests.is_null()) out["inputRequests"] = ir.input_requests;
        if (!ir.state.is_null()) out["requestState"] = seal_state(ir.state, call);
        return out;
    }
}

json Server::do_complete(CallInfo& call) {
    const json& p = call.params;
    auto ref = p.find("ref");
    auto arg = p.find("argument");
    if (ref == p.end() || !ref->is_object() || arg == p.end() || !arg->is_object())
        throw RpcError(ErrorCode::kInvalidParams, "Invalid params: ref and argument are required");
    const std::string type = ref->value("type", "");
    std::string target;
    if (type == "ref/prompt") {
        target = ref->value("name", "");
        if (!registry_->find_prompt(target))
            throw RpcError(ErrorCode::kInvalidParams, "Unknown prompt: " + target);
    } else if (type == "ref/resource") {
        target = ref->value("uri", "");
    } else {
        throw RpcError(ErrorCode::kInvalidParams, "Invalid params: unknown ref type " + type);
    }
    const std::string name = arg->value("name", "");
    const std::string value = arg->value("value", "");
    std::map<std::string, std::string> context;
    if (auto c = p.find("context"); c != p.end() && c->is_object() && c->contains("arguments"))
        for (const auto& [k, v] : (*c)["arguments"].items())
            if (v.is_string()) context[k] = v.get<std::string>();
    std::vector<std::string> values;
    if (const Completer* completer = registry_->find_completer(type, target, name)) {
        ToolContext ctx(*this, call);
        values = (*completer)(value, context, ctx);
    }
    json out = json::array();
    for (size_t i = 0; i < values.size() && i < 100; ++i) out.push_back(values[i]);
    return json{{"completion",
                 {{"values", out}, {"total", values.size()}, {"hasMore", values.size() > 100}}}};
}

json Server::do_set_level(CallInfo& call) {
    const std::string level = require_string(call.params, "level", "a log level");
    auto parsed = parse_log_level(level);
    if (!parsed) throw RpcError(ErrorCode::kInvalidParams, "Invalid params: unknown log level " + level);
    std::lock_guard lock(call.session->mu);
    call.session->log_level = parsed;
    return json::object();
}

json Server::do_subscribe(CallInfo& call, bool subscribe) {
    const std::string uri = require_string(call.params, "uri", "the resource URI");
    if (subscribe) authorize_subscription(uri, call);
    std::lock_guard lock(call.session->mu);
    if (subscribe) {
        auto& subs = call.session->subscriptions;
        if (!subs.count(uri) && subs.size() >= options_.session_limits.max_subscriptions)
            throw RpcError(ErrorCode::kInvalidParams,
                           "Too many subscriptions: a session may hold " +
                               std::to_string(options_.session_limits.max_subscriptions) +
                               "; unsubscribe from some first");
        subs.insert(uri);
    } else {
        call.session->subscriptions.erase(uri);
    }
    return json::object();
}

void Server::authorize_subscription(const std::string& uri, CallInfo& call) {
    if (!options_.authorize_subscription) return;
    ToolContext ctx(*this, call);
    options_.authorize_subscription(uri, ctx);
}

json Server::do_listen(CallInfo& call) {
    if (!call.channel) throw RpcError(ErrorCode::kInternalError, "no stream for subscriptions");
    const json n = call.params.value("notifications", json::object());
    auto l = std::make_shared<Listener>();
    l->id = call.id;
    l->channel = call.channel;
    l->cancelled = call.cancelled;
    json honored = json::object();
    if (n.value("toolsListChanged", false)) honored["toolsListChanged"] = l->tools = true;
    if (n.value("promptsListChanged", false)) honored["promptsListChanged"] = l->prompts = true;
    if (n.value("resourcesListChanged", false)) honored["resourcesListChanged"] = l->resources = true;
    if (auto subs = n.find("resourceSubscriptions"); subs != n.end() && subs->is_array()) {
        const size_t limit = options_.session_limits.max_subscriptions;
        if (subs->size() > limit)
            throw RpcError(ErrorCode::kInvalidParams,
                           "Invalid params: at most " + std::to_string(limit) +
                               " resourceSubscriptions per listen request",
                           nullptr, 400);
        json agreed = json::array();
        for (const auto& u : *subs) {
            if (!u.is_string()) continue;
            authorize_subscription(u.get<std::string>(), call);
            l->uris.insert(u.get<std::string>());
            agreed.push_back(u);
        }
        honored["resourceSubscriptions"] = std::move(agreed);
    }
    if (auto ids = n.find("taskIds"); ids != n.end() && options_.task_extension.enabled) {
        if (!declares_tasks_extension(call.client_capabilities))
            throw RpcError(ErrorCode::kMissingClientCapability,
                           std::string("Missing required client capability: taskIds needs the ") +
                               kTasksExtension + " extension in this request's client capabilities",
                           json{{"requiredCapabilities",
                                 {{"extensions", {{kTasksExtension, json::object()}}}}}},
                           400);
        if (!ids->is_array())
            throw RpcError(ErrorCode::kInvalidParams, "Invalid params: taskIds must be an array");
        json agreed = json::array();
        const std::string owner = task_owner(call);
        for (const auto& id : *ids)
            if (id.is_string() && task_manager_->visible(id.get<std::string>(), owner)) {
                l->task_ids.insert(id.get<std::string>());
                agreed.push_back(id);
            }
        honored["taskIds"] = std::move(agreed);
    }
    call.channel->send(make_notification(
        "notifications/subscriptions/acknowledged",
        json{{"notifications", honored}, {"_meta", {{meta::kSubscriptionId, call.id}}}}));
    {
        std::lock_guard lock(mu_);
        listeners_.push_back(l);
    }
    while (!stopping_ && !l->cancelled->load() && call.channel->open())
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    {
        std::lock_guard lock(mu_);
        listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), l), listeners_.end());
    }
    return json::object();
}

// --- 2025-11-25 tasks ------------------------------------------------------------------------

namespace {

json legacy_task_wire(const std::string& id, const std::string& status, const std::string& created,
                      const std::string& updated, int64_t ttl_ms) {
    return json{{"taskId", id},           {"status", status}, {"createdAt", created},
                {"lastUpdatedAt", updated}, {"ttl", ttl_ms},   {"pollInterval", 100}};
}

}  // namespace

json Server::start_legacy_task(CallInfo& call, const std::shared_ptr<const Tool>& tool,
                               const json& arguments, const json& task_params) {
    const auto& limits = options_.legacy_tasks;
    auto t = std::make_shared<Task>();
    t->id = random_id();
    t->owner = task_owner(call);
    t->session_id = call.session ? call.session->id() : "";
    t->created_at = t->updated_at = iso_now();
    // The requested retention, within the server's bounds (the answer says which was used).
    int64_t ttl = limits.default_ttl.count();
    if (auto it = task_params.find("ttl"); it != task_params.end() && it->is_number_integer())
        ttl = it->get<int64_t>();
    t->ttl_ms = std::clamp<int64_t>(ttl, limits.min_ttl.count(), limits.max_ttl.count());
    t->expires_at = Clock::now() + std::chrono::milliseconds(t->ttl_ms);
    {
        std::lock_guard lock(mu_);
        purge_legacy_tasks_locked(Clock::now());
        size_t mine = 0;
        for (const auto& [id, other] : tasks_)
            if (other->owner == t->owner && other->session_id == t->session_id) ++mine;
        if (tasks_.size() >= limits.max_tasks || mine >= limits.max_per_session)
            throw RpcError(ErrorCode::kInvalidRequest,
                           "Too many tasks: this session keeps " + std::to_string(mine) +
                               " (at most " + std::to_string(limits.max_per_session) +
                               " per session, " + std::to_string(limits.max_tasks) +
                               " in all). Fetch their results with tasks/result, cancel the ones "
                               "you no longer need, or call the tool without `task`.");
        tasks_[t->id] = t;
    }
    CallInfo bg = call;
    bg.cancelled = t->cancel;
    bg.progress_token = nullptr;
    auto job = [this, t, tool, bg, arguments]() mutable {
        json result;
        bool error = false;
        if (stopping_.load() || t->cancel->load()) {
            result = {{"code", static_cast<int>(ErrorCode::kInternalError)},
                      {"message", stopping_.load() ? "The server shut down before the task ran"
                                                   : "The task was cancelled before it ran"}};
            error = true;
        } else {
            try {
                result = run_tool(*tool, bg, arguments);
            } catch (const RpcError& e) {
                result = {{"code", static_cast<int>(e.code())}, {"message", e.what()}};
                error = true;
            } catch (const std::exception&) {
                result = {{"code", -32603}, {"message", "Internal error"}};
                error = true;
            }
        }
        std::lock_guard lock(t->mu);
        if (t->status == "working") {
            t->status = error ? "failed" : (result.value("isError", false) ? "failed" : "completed");
            t->result = std::move(result);
            t->is_error_response = error;
        }
        t->updated_at = iso_now();
        t->cv.notify_all();
    };
    if (!legacy_tasks_->try_submit(std::move(job))) {
        {
            std::lock_guard lock(mu_);
            tasks_.erase(t->id);
        }
        throw RpcError(ErrorCode::kInternalError,
                       "The server is busy: " + std::to_string(legacy_tasks_->threads()) +
                           " tasks are running and " + std::to_string(limits.max_queued) +
                           " are waiting. Try again shortly or call the tool without `task`.");
    }
    return json{{"task", legacy_task_wire(t->id, "working", t->created_at, t->updated_at, t->ttl_ms)}};
}

void Server::purge_legacy_tasks_locked(Clock::time_point now) {
    for (auto it = tasks_.begin(); it != tasks_.end();) {
        if (it->second->expires_at > now) {
            ++it;
            continue;
        }
        auto t = it->second;
        it = tasks_.erase(it);
        t->cancel->store(true);  // work still running for a forgotten task is told to stop
        std::lock_guard tl(t->mu);
        t->expired = true;
        t->cv.notify_all();
    }
}

std::shared_ptr<Server::Task> Server::find_legacy_task(const CallInfo& call, const std::string& id) {
    const std::string owner = task_owner(call);
    const std::string session = call.session ? call.session->id() : "";
    std::lock_guard lock(mu_);
    purge_legacy_tasks_locked(Clock::now());
    auto it = tasks_.find(id);
    // Another key's or another session's task is indistinguishable from one that never existed.
    if (it == tasks_.end() || it->second->owner != owner || it->second->session_id != session)
        return nullptr;
    return it->second;
}

size_t Server::legacy_task_count() const {
    std::lock_guard lock(mu_);
    return tasks_.size();
}

json Server::do_tasks(CallInfo& call) {
    const std::string& m = call.method;
    if (m == "tasks/list") {
        const std::string owner = task_owner(call);
        const std::string session = call.session ? call.session->id() : "";
        std::vector<std::shared_ptr<Task>> mine;
        {
            std::lock_guard lock(mu_);
            purge_legacy_tasks_locked(Clock::now());
            for (const auto& [id, t] : tasks_)
                if (t->owner == owner && t->session_id == session) mine.push_back(t);
        }
        std::string next;
        auto [b, e] = paginate(mine.size(), call.params.value("cursor", json()), options_.page_size, next);
        json list = json::array();
        for (size_t i = b; i < e; ++i) {
            const auto& t = mine[i];
            std::lock_guard tl(t->mu);
            list.push_back(legacy_task_wire(t->id, t->status, t->created_at, t->updated_at, t->ttl_ms));
        }
        json out{{"tasks", std::move(list)}};
        if (!next.empty()) out["nextCursor"] = next;
        return out;
    }
    const std::string id = require_string(call.params, "taskId", "the task id");
    std::shared_ptr<Task> t = find_legacy_task(call, id);
    if (!t) throw RpcError(ErrorCode::kInvalidParams, "Unknown task: " + id);
    auto status_json = [&]() {
        return legacy_task_wire(t->id, t->status, t->created_at, t->updated_at, t->ttl_ms);
    };
    if (m == "tasks/get") {
        std::lock_guard tl(t->mu);
        return status_json();
    }
    if (m == "tasks/cancel") {
        std::lock_guard tl(t->mu);
        if (t->status != "working" && t->status != "input_required")
            throw RpcError(ErrorCode::kInvalidParams,
                           "Cannot cancel task " + id + ": it is already " + t->status);
        t->status = "cancelled";
        t->updated_at = iso_now();
        t->cancel->store(true);
        t->cv.notify_all();
        return status_json();
    }
    if (m == "tasks/result") {
        std::unique_lock tl(t->mu);
        while (t->status == "working" && !t->expired && !call.cancelled->load() && !stopping_)
            t->cv.wait_for(tl, std::chrono::milliseconds(100));
        if (t->expired) throw RpcError(ErrorCode::kInvalidParams, "Unknown task: " + id + " (its TTL ended)");
        if (t->status == "cancelled")
            throw RpcError(ErrorCode::kInvalidParams, "Task " + id + " was cancelled");
        if (!t->result) throw RpcError(ErrorCode::kInternalError, "task has no result");
        if (t->is_error_response)
            throw RpcError(static_cast<ErrorCode>((*t->result).value("code", -32603)),
                           (*t->result).value("message", "error"));
        json r = *t->result;
        r["_meta"][meta::kRelatedTask] = {{"taskId", id}};
        return r;
    }
    throw RpcError(ErrorCode::kMethodNotFound, "Method not found: " + m);
}

json Server::do_task_method(CallInfo& call) {
    const std::string& m = call.method;
    if (!declares_tasks_extension(call.client_capabilities))
        throw RpcError(ErrorCode::kMissingClientCapability,
                       "Missing required client capability: " + m + " needs the " +
                           kTasksExtension + " extension in this request's client capabilities",
                       json{{"requiredCapabilities", {{"extensions", {{kTasksExtension, json::object()}}}}}},
                       400);
    const std::string id = require_string(call.params, "taskId", "the task id");
    const std::string owner = task_owner(call);
    if (m == "tasks/get") return task_manager_->get(id, owner);
    if (m == "tasks/update") {
        auto responses = call.params.find("inputResponses");
        if (responses == call.params.end())
            throw RpcError(ErrorCode::kInvalidParams,
                           "Invalid params: inputResponses (answers keyed like the task's "
                           "inputRequests) is required");
        task_manager_->update(id, owner, *responses);
        return json::object();
    }
    task_manager_->cancel(id, owner);
    return json::object();
}

std::string Server::task_owner(const CallInfo& call) const {
    return options_.task_owner ? options_.task_owner(call.principal) : std::string();
}

void Server::notify_task(const TaskRecord& record) {
    std::vector<std::shared_ptr<Listener>> listeners;
    {
        std::lock_guard lock(mu_);
        for (const auto& l : listeners_)
            if (l->task_ids.count(record.id)) listeners.push_back(l);
    }
    for (const auto& l : listeners) {
        if (!l->channel->open()) continue;
        json p = task_to_wire(record, true);
        p["_meta"][meta::kSubscriptionId] = l->id;
        l->channel->send(make_notification("notifications/tasks", std::move(p)));
    }
}

// --- notifications ------------------------------------------------------------------------

void Server::broadcast(const std::string& method, const json& params, const std::string& kind,
                       const std::string& uri) {
    std::vector<std::shared_ptr<Session>> sessions;
    std::vector<std::shared_ptr<Listener>> listeners;
    {
        std::lock_guard lock(mu_);
        for (auto& [id, s] : sessions_) sessions.push_back(s);
        listeners = listeners_;
    }
    const json note = make_notification(method, params);
    for (auto& s : sessions) {
        if (!s->handshake_done()) continue;
        if (kind == "updated") {
            std::lock_guard lock(s->mu);
            if (!s->subscriptions.count(uri)) continue;
        }
        if (auto ch = s->standalone(); ch && ch->open()) ch->send(note);
    }
    for (auto& l : listeners) {
        bool want = (kind == "tools" && l->tools) || (kind == "prompts" && l->prompts) ||
                    (kind == "resources" && l->resources) ||
                    (kind == "updated" && l->uris.count(uri));
        if (!want || !l->channel->open()) continue;
        json p = params.is_null() ? json::object() : params;
        p["_meta"][meta::kSubscriptionId] = l->id;
        l->channel->send(make_notification(method, p));
    }
}

void Server::notify_tools_changed() { broadcast("notifications/tools/list_changed", nullptr, "tools"); }
void Server::notify_prompts_changed() {
    broadcast("notifications/prompts/list_changed", nullptr, "prompts");
}
void Server::notify_resources_changed() {
    broadcast("notifications/resources/list_changed", nullptr, "resources");
}
void Server::notify_resource_updated(const std::string& uri) {
    broadcast("notifications/resources/updated", json{{"uri", uri}}, "updated", uri);
}

// --- context support ----------------------------------------------------------------------

void Server::send_log(CallInfo& call, LogLevel level, const json& data, const std::string& logger) {
    std::optional<LogLevel> threshold = call.log_level;
    if (!call.modern && call.session) {
        std::lock_guard lock(call.session->mu);
        threshold = call.session->log_level ? call.session->log_level : LogLevel::kInfo;
    }
    if (!threshold || level < *threshold || !call.channel) return;
    json p{{"level", to_string(level)}, {"data", data}};
    if (!logger.empty()) p["logger"] = logger;
    call.channel->send(make_notification("notifications/message", std::move(p)));
}

std::string Server::seal_state(const json& state, const CallInfo& call) const {
    auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch() + options_.state_lifetime)
                   .count();
    json payload{{"s", state}, {"m", call.method}, {"n", call.params.value("name", call.params.value("uri", ""))},
                 {"e", exp}};
    std::string body = base64url_encode(payload.dump());
    return body + "." + base64url_encode(hmac_sha256(state_key_, body));
}

std::optional<json> Server::open_state(const std::string& sealed, const CallInfo& call) const {
    auto dot = sealed.find('.');
    if (dot == std::string::npos) return std::nullopt;
    std::string body = sealed.substr(0, dot);
    std::string mac = base64url_decode(sealed.substr(dot + 1));
    if (!constant_time_equal(mac, hmac_sha256(state_key_, body))) return std::nullopt;
    json payload;
    try {
        payload = json::parse(base64url_decode(body));
    } catch (...) {
        return std::nullopt;
    }
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    if (payload.value("e", int64_t{0}) < now) return std::nullopt;
    if (payload.value("m", "") != call.method) return std::nullopt;
    if (payload.value("n", "") != call.params.value("name", call.params.value("uri", "")))
        return std::nullopt;
    return payload["s"];
}

}  // namespace mcp
