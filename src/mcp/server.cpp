// Server: the dispatcher for both protocol eras. This file is the only place where failures
// become JSON-RPC errors (error_outcome); tool failures become `isError` results (run_tool).
#include "mcp/server.hpp"
#include "core/json.hpp"

#include "mcp/crypto.hpp"
#include "mcp/headers.hpp"
#include "mcp/log_context.hpp"

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

struct Server::Task {
    std::string id;
    std::string status = "working";
    std::string created_at;
    std::string updated_at;
    int64_t ttl_ms = 60'000;
    std::optional<json> result;  // the final result or an error object
    bool is_error_response = false;
    std::mutex mu;
    std::condition_variable cv;
    CancelFlag cancel = std::make_shared<std::atomic<bool>>(false);
    std::string session_id;
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
    }
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

std::shared_ptr<Session> Server::create_session() {
    auto s = std::make_shared<Session>(random_id());
    std::lock_guard lock(mu_);
    sessions_[s->id()] = s;
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
    json responses = json::array();
    for (const auto& m : payload) {
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
                spdlog::debug("response to unknown request id {}", msg["id"].dump());
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
        spdlog::error("request {} ({}) failed: {}", id.dump(), call.method, e.what());
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
        spdlog::debug("ignoring notification {}", method);
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
        session = create_session();
        created_session = true;
    } else if (session->handshake_done()) {
        throw RpcError(ErrorCode::kInvalidRequest, "Invalid Request: already initialized");
    }
    {
        std::lock_guard lock(session->mu);
        session->protocol_version = negotiated;
        session->client_capabilities = p.value("capabilities", json::object());
        if (!session->client_capabilities.is_object()) session->client_capabilities = json::object();
        session->client_info = p.value("clientInfo", json::object());
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
    if (task != call.params.end() && options_.tasks && !call.modern && task->is_object()) {
        // 2025-11-25 experimental tasks: run in the background, answer with the task handle.
        auto t = std::make_shared<Task>();
        t->id = random_id();
        t->created_at = t->updated_at = iso_now();
        t->ttl_ms = task->value("ttl", int64_t{60'000});
        t->session_id = call.session ? call.session->id() : "";
        {
            std::lock_guard lock(mu_);
            tasks_[t->id] = t;
        }
        CallInfo bg = call;
        bg.cancelled = t->cancel;
        bg.progress_token = nullptr;
        std::thread([this, t, tool, bg, arguments]() mutable {
            json result;
            bool error = false;
            try {
                result = run_tool(*tool, bg, arguments);
            } catch (const RpcError& e) {
                result = {{"code", static_cast<int>(e.code())}, {"message", e.what()}};
                error = true;
            } catch (const std::exception& e) {
                result = {{"code", -32603}, {"message", "Internal error"}};
                error = true;
            }
            std::lock_guard lock(t->mu);
            if (t->status == "working") {
                t->status = error ? "failed" : (result.value("isError", false) ? "failed" : "completed");
                t->result = std::move(result);
                t->is_error_response = error;
            }
            t->updated_at = iso_now();
            t->cv.notify_all();
        }).detach();
        return json{{"task",
                     {{"taskId", t->id},
                      {"status", "working"},
                      {"createdAt", t->created_at},
                      {"lastUpdatedAt", t->updated_at},
                      {"ttl", t->ttl_ms},
                      {"pollInterval", 100}}}};
    }
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

json Server::do_complete(CallInfo& call) const {
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
    if (const Completer* completer = registry_->find_completer(type, target, name))
        values = (*completer)(value, context);
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
    std::lock_guard lock(call.session->mu);
    if (subscribe)
        call.session->subscriptions.insert(uri);
    else
        call.session->subscriptions.erase(uri);
    return json::object();
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
        for (const auto& u : *subs)
            if (u.is_string()) l->uris.insert(u.get<std::string>());
        honored["resourceSubscriptions"] = *subs;
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

json Server::do_tasks(CallInfo& call) {
    const std::string& m = call.method;
    if (m == "tasks/list") {
        json list = json::array();
        std::lock_guard lock(mu_);
        for (auto& [id, t] : tasks_) {
            std::lock_guard tl(t->mu);
            list.push_back({{"taskId", t->id},
                            {"status", t->status},
                            {"createdAt", t->created_at},
                            {"lastUpdatedAt", t->updated_at},
                            {"ttl", t->ttl_ms},
                            {"pollInterval", 100}});
        }
        return json{{"tasks", list}};
    }
    const std::string id = require_string(call.params, "taskId", "the task id");
    std::shared_ptr<Task> t;
    {
        std::lock_guard lock(mu_);
        auto it = tasks_.find(id);
        if (it != tasks_.end()) t = it->second;
    }
    if (!t) throw RpcError(ErrorCode::kInvalidParams, "Unknown task: " + id);
    auto status_json = [&]() {
        return json{{"taskId", t->id},
                    {"status", t->status},
                    {"createdAt", t->created_at},
                    {"lastUpdatedAt", t->updated_at},
                    {"ttl", t->ttl_ms},
                    {"pollInterval", 100}};
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
        while (t->status == "working" && !call.cancelled->load() && !stopping_)
            t->cv.wait_for(tl, std::chrono::milliseconds(100));
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
