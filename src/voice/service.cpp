#include "voice/service.hpp"
#include "core/json.hpp"

#include "mcp/crypto.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace voice {
namespace {

using Clock = std::chrono::steady_clock;

/// Side messages (logs, progress) of a voice call have nobody to go to.
class NullChannel : public mcp::Channel {
public:
    bool send(const json&) override { return false; }
    bool open() const override { return false; }
};

std::string text_of(const json& result) {
    std::string out;
    if (result.contains("content") && result["content"].is_array())
        for (const auto& b : result["content"])
            if (b.value("type", "") == "text" && b.contains("text") && b["text"].is_string())
                out += (out.empty() ? "" : " ") + b["text"].get<std::string>();
    return out;
}

bool takes_phone(const mcp::Tool& tool) {
    const json& schema = tool.definition.at("inputSchema");
    auto props = schema.find("properties");
    return props != schema.end() && props->is_object() && props->contains("phone");
}


/// A request a platform's credential or an API key vouched for, or why not.
struct Admission {
    bool ok = false;
    int status = 401;
    std::string message;
    std::any principal;
    bool platform_only = false;
};

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    // Text from tools is valid UTF-8; replacing anything else beats failing the whole answer.
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

std::string bearer_of(const httplib::Request& req) {
    const std::string given = req.get_header_value("Authorization");
    if (given.size() <= 7) return {};
    std::string scheme = given.substr(0, 7);
    for (auto& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return scheme == "bearer " ? given.substr(7) : std::string();
}

}  // namespace

struct VoiceService::Entry {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    CallResult result;
    Clock::time_point expires = Clock::time_point::max();  // guarded by VoiceService::mu_
};

struct VoiceService::Job {
    std::shared_ptr<Entry> entry;
    std::string name;
    json arguments;
    std::any principal;
    bool write = false;
    bool calendar_write = false;
    std::string slot_key;  // get_free_slots: where its answer is cached
    std::uint64_t slot_generation = 0;
};

VoiceService::VoiceService(mcp::Server& server, VoiceOptions options)
    : server_(server), options_(std::move(options)) {}

VoiceService::~VoiceService() {
    std::unique_lock lock(workers_mu_);
    workers_cv_.wait(lock, [&] { return in_flight_ == 0; });
}

VoiceService::Counters VoiceService::counters() const {
    std::lock_guard lock(mu_);
    return counters_;
}

void VoiceService::invalidate_slots() {
    std::lock_guard lock(mu_);
    ++slot_generation_;
    slots_.clear();
}

void VoiceService::prune_locked(Clock::time_point now) {
    if (now - last_prune_ < std::chrono::seconds(1)) return;
    last_prune_ = now;
    std::erase_if(writes_, [&](const auto& kv) { return kv.second->expires <= now; });
    std::erase_if(slots_, [&](const auto& kv) { return kv.second->expires <= now; });
}

CallResult VoiceService::dispatch(const std::string& name, const json& arguments, const std::any& principal) {
    static const auto channel = std::make_shared<NullChannel>();
    json request = {
        {"jsonrpc", "2.0"},
        {"id", ++rpc_id_},
        {"method", "tools/call"},
        {"params",
         {{"name", name},
          {"arguments", arguments},
          {"_meta",
           {{mcp::meta::kProtocolVersion, std::string(mcp::kV20260728)},
            {mcp::meta::kClientInfo, {{"name", "ghl-mcp voice"}, {"version", "1"}}},
            {mcp::meta::kClientCapabilities, json::object()}}}}},
    };
    mcp::Incoming in;
    in.channel = channel;
    in.modern = true;
    in.principal = principal;
    mcp::Outcome o = server_.handle(request, in);
    CallResult r;
    r.name = name;
    if (!o.response) {
        r.say = speak_error(name, "no answer from the tool");
        return r;
    }
    const json& response = *o.response;
    if (response.contains("error")) {
        r.say = speak_error(name, response["error"].value("message", "the request was refused"));
        return r;
    }
    const json& result = response["result"];
    if (result.value("isError", false)) {
        r.say = speak_error(name, text_of(result));
        return r;
    }
    r.ok = true;
    r.data = result.contains("structuredContent") ? result["structuredContent"] : json{{"text", text_of(result)}};
    Speech sp = speak_result(name, r.data);
    r.say = std::move(sp.say);
    r.refs = std::move(sp.refs);
    return r;
}

void VoiceService::work(std::vector<Job> jobs) {
    for (auto& job : jobs) {
        CallResult r;
        try {
            r = dispatch(job.name, job.arguments, job.principal);
        } catch (const std::exception& e) {  // Server::handle never throws; belt and braces
            r.name = job.name;
            r.say = speak_error(job.name, "internal error");
            spdlog::error("voice: {} failed: {}", job.name, e.what());
        }
        const auto now = Clock::now();
        {
            std::lock_guard lock(mu_);
            ++counters_.dispatched;
            if (job.write)
                job.entry->expires = now + (r.ok ? options_.idempotency_ttl : options_.failed_write_ttl);
            if (!job.slot_key.empty() && r.ok && job.slot_generation == slot_generation_) {
                job.entry->expires = now + options_.slot_ttl;
                slots_[job.slot_key] = job.entry;
            }
        }
        if (job.calendar_write && r.ok) invalidate_slots();
        {
            std::lock_guard lock(job.entry->mu);
            job.entry->result = std::move(r);
            job.entry->done = true;
        }
        job.entry->cv.notify_all();
    }
}

std::vector<CallResult> VoiceService::run(const VoiceRequest& request, const std::any& principal,
                                          bool platform_only) {
    const auto deadline = Clock::now() + options_.budget;
    const std::string who = options_.principal_name ? options_.principal_name(principal) : std::string();
    const std::size_t n = request.calls.size();
    std::vector<CallResult> results(n);
    std::vector<std::shared_ptr<Entry>> waits(n);
    std::vector<bool> writes(n, false);
    std::vector<Job> jobs;

    bool busy = false;
    {
        std::lock_guard lock(workers_mu_);
        busy = in_flight_ >= options_.max_in_flight;
    }
    for (std::size_t i = 0; i < n; ++i) {
        const ToolCall& call = request.calls[i];
        CallResult& r = results[i];
        r.tool_call_id = call.id;
        r.name = call.name;
        if (!call.problem.empty()) {
            r.say = speak_error(call.name, call.problem);
            continue;
        }
        const auto& offered = options_.tools;
        if (platform_only && std::find(offered.begin(), offered.end(), call.name) == offered.end()) {
            std::string names;
            for (const auto& t : offered) names += (names.empty() ? "" : ", ") + t;
            r.say = speak_error(call.name, "\"" + utf8_prefix(call.name, 64) + "\" is not one of the voice tools (" +
                                               names + ")");
            continue;
        }
        if (busy) {
            r.say = speak_error(call.name, "the system is busy right now; please try again in a moment");
            continue;
        }
        const auto tool = server_.registry().find_tool(call.name);
        json args = call.arguments;
        // The caller's own number fills `phone` when the model left it out.
        if (tool && !request.caller_number.empty() && takes_phone(*tool)) {
            auto it = args.find("phone");
            if (it == args.end() || it->is_null() || (it->is_string() && it->get_ref<const std::string&>().empty()))
                args["phone"] = request.caller_number;
        }
        Job job;
        job.name = call.name;
        job.principal = principal;
        job.write = tool && !tool->read_only();
        job.calendar_write = job.write && tool->toolset == "calendars";
        writes[i] = job.write;
        const auto now = Clock::now();
        if (job.write) {
            const std::string args_key = "a\n" + who + "\n" + call.name + "\n" + args.dump();
            std::string id_key;
            if (!request.call_id.empty() && !call.id.empty())
                id_key = "i\n" + who + "\n" + request.platform + "\n" + request.call_id + "\n" + call.id;
            std::lock_guard lock(mu_);
            ++counters_.calls;
            prune_locked(now);
            std::shared_ptr<Entry> found;
            for (const std::string* key : {static_cast<const std::string*>(&id_key), &args_key}) {
                if (key->empty()) continue;
                auto it = writes_.find(*key);
                if (it != writes_.end() && it->second->expires > now) {
                    found = it->second;
                    break;
                }
            }
            if (found) {
                ++counters_.replayed;
                if (!id_key.empty()) writes_[id_key] = found;
                waits[i] = std::move(found);
                r.replayed = true;
                continue;
            }
            job.entry = std::make_shared<Entry>();
            writes_[args_key] = job.entry;
            if (!id_key.empty()) writes_[id_key] = job.entry;
        } else {
            job.entry = std::make_shared<Entry>();
            std::lock_guard lock(mu_);
            ++counters_.calls;
            if (call.name == "get_free_slots") {
                prune_locked(now);
                job.slot_key = who + "\n" + args.dump();
                auto it = slots_.find(job.slot_key);
                if (it != slots_.end() && it->second->expires > now) {
                    ++counters_.slot_hits;
                    waits[i] = it->second;  // done: cached answers are complete
                    continue;
                }
                job.slot_generation = slot_generation_;
            }
        }
        job.arguments = std::move(args);
        waits[i] = job.entry;
        jobs.push_back(std::move(job));
    }

    if (!jobs.empty()) {
        {
            std::lock_guard lock(workers_mu_);
            ++in_flight_;
        }
        try {
            std::thread([this, jobs]() mutable {
                work(std::move(jobs));
                std::lock_guard lock(workers_mu_);
                --in_flight_;
                workers_cv_.notify_all();
            }).detach();
        } catch (const std::system_error& e) {
            spdlog::error("voice: cannot start a worker: {}", e.what());
            {
                std::lock_guard lock(workers_mu_);
                --in_flight_;
            }
            for (auto& job : jobs) {  // nothing ran: a retry must be free to run it
                CallResult r;
                r.name = job.name;
                r.say = speak_error(job.name, "the system is busy right now; please try again in a moment");
                {
                    std::lock_guard lock(mu_);
                    job.entry->expires = Clock::now();
                }
                std::lock_guard lock(job.entry->mu);
                job.entry->result = std::move(r);
                job.entry->done = true;
            }
        }
    }

    for (std::size_t i = 0; i < n; ++i) {
        if (!waits[i]) continue;
        Entry& e = *waits[i];
        CallResult& r = results[i];
        std::unique_lock lock(e.mu);
        if (e.cv.wait_until(lock, deadline, [&] { return e.done; })) {
            const std::string id = r.tool_call_id, name = r.name;
            const bool replayed = r.replayed;
            r = e.result;
            r.tool_call_id = id;
            r.name = name;
            r.replayed = replayed;
        } else {
            r.timed_out = true;
            r.say = speak_timeout(r.name, writes[i]);
            std::lock_guard count(mu_);
            ++counters_.timed_out;
        }
    }
    return results;
}

json VoiceService::vapi_response(const std::vector<CallResult>& results) {
    json out = json::array();
    for (const auto& r : results) {
        json item = {{"toolCallId", r.tool_call_id}, {"name", r.name}};
        if (r.ok) {
            // One line for the conversation; the exact ids and times the model needs next ride
            // on the same line, and the whole structured result beside it.
            item["result"] = r.refs.empty() ? r.say : r.say + " Details: " + r.refs.dump();
            item["metadata"] = {{"data", r.data}};
        } else {
            item["error"] = r.say;
            if (r.timed_out) item["metadata"] = {{"timedOut", true}};
        }
        out.push_back(std::move(item));
    }
    return {{"results", std::move(out)}};
}

json VoiceService::retell_response(const CallResult& r) {
    if (r.ok) return {{"ok", true}, {"say", r.say}, {"refs", r.refs}, {"result", r.data}};
    json out = {{"ok", false}, {"say", r.say}, {"error", r.say}};
    if (r.timed_out) out["timedOut"] = true;
    return out;
}

void VoiceService::mount(httplib::Server& http) {
    // Secrets are compared as MACs under a per-process key, so timing says nothing about them.
    const auto mac_key = std::make_shared<const std::string>(mcp::random_bytes(32));
    const auto vapi_secret_mac = std::make_shared<const std::string>(
        options_.vapi_secret.empty() ? std::string() : mcp::hmac_sha256(*mac_key, options_.vapi_secret));
    auto matches_secret = [mac_key, vapi_secret_mac](const std::string& given) {
        return !vapi_secret_mac->empty() && !given.empty() &&
               mcp::constant_time_equal(mcp::hmac_sha256(*mac_key, given), *vapi_secret_mac);
    };

    // Server-to-server callers send JSON and no browser Origin: refusing anything else keeps a
    // web page from driving an open loopback server with a simple cross-site POST.
    auto precheck = [](const httplib::Request& req, httplib::Response& res) {
        const std::string origin = req.get_header_value("Origin");
        if (!origin.empty()) {
            std::string host = origin;
            if (auto p = host.find("://"); p != std::string::npos) host = host.substr(p + 3);
            if (!mcp::is_loopback_host(host)) {
                reply(res, 403, {{"error", "Forbidden: voice endpoints do not serve browsers"}});
                return false;
            }
        }
        if (req.get_header_value("Content-Type").find("application/json") == std::string::npos) {
            reply(res, 415, {{"error", "send the body as Content-Type: application/json"}});
            return false;
        }
        return true;
    };

    auto api_key = [this](const httplib::Request& req, Admission& a) {
        mcp::AuthDecision d = options_.authenticate(mcp::header_map(req));
        a.ok = d.allowed;
        a.status = d.allowed ? 200 : d.status;
        a.message = d.message;
        a.principal = std::move(d.principal);
    };
    auto platform = [this](Admission& a, const char* name) {
        a.ok = true;
        a.platform_only = true;
        if (options_.platform_principal) a.principal = options_.platform_principal(name);
    };
    const bool anything = options_.authenticate || !options_.vapi_secret.empty() ||
                          !options_.vapi_hmac_secret.empty() || !options_.retell_api_key.empty();

    auto admit_vapi = [this, anything, matches_secret, api_key, platform](const httplib::Request& req) {
        Admission a;
        const std::string signature = req.get_header_value("x-signature");
        if (!options_.vapi_hmac_secret.empty() && !signature.empty()) {
            auto c = verify_vapi_signature(options_.vapi_hmac_secret, req.body, signature,
                                           req.get_header_value("x-timestamp"), now_epoch_ms());
            if (c == SignatureCheck::kValid) platform(a, "vapi");
            else a.message = std::string("Unauthorized: the x-signature is ") + to_string(c);
            return a;
        }
        if (!options_.vapi_secret.empty() && req.has_header("X-Vapi-Secret")) {
            if (matches_secret(req.get_header_value("X-Vapi-Secret"))) platform(a, "vapi");
            else a.message = "Unauthorized: the X-Vapi-Secret is not valid";
            return a;
        }
        const std::string bearer = bearer_of(req);
        if (matches_secret(bearer)) {
            platform(a, "vapi");
            return a;
        }
        if (options_.authenticate) {
            api_key(req, a);
            return a;
        }
        if (!anything) {
            a.ok = true;  // nothing configured: open, as /mcp is (loopback only, see serve)
            return a;
        }
        a.message = "Unauthorized: send the Vapi credential (X-Vapi-Secret, Authorization: Bearer, "
                    "or an HMAC x-signature)";
        return a;
    };
    auto admit_retell = [this, anything, api_key, platform](const httplib::Request& req) {
        Admission a;
        const std::string signature = req.get_header_value("X-Retell-Signature");
        if (!options_.retell_api_key.empty() && !signature.empty()) {
            auto c = verify_retell_signature(options_.retell_api_key, req.body, signature, now_epoch_ms());
            if (c == SignatureCheck::kValid) platform(a, "retell");
            else a.message = std::string("Unauthorized: the X-Retell-Signature is ") + to_string(c);
            return a;
        }
        if (options_.authenticate && req.has_header("Authorization")) {
            api_key(req, a);
            return a;
        }
        if (!anything) {
            a.ok = true;
            return a;
        }
        a.message = options_.retell_api_key.empty()
                        ? "Unauthorized: send Authorization: Bearer <API key>"
                        : "Unauthorized: the X-Retell-Signature header is missing";
        return a;
    };

    http.Post("/voice/vapi", [this, precheck, admit_vapi](const httplib::Request& req, httplib::Response& res) {
        if (!precheck(req, res)) return;
        Admission a = admit_vapi(req);
        if (!a.ok) {
            reply(res, a.status, {{"error", a.message}});
            return;
        }
        // From here on always 200: Vapi ignores any other status (integrations.md 1.3).
        bool too_deep = false;
        json body = core::parse_json_or_discard(req.body, core::kMaxJsonDepth, &too_deep);
        if (body.is_discarded()) {
            reply(res, 200, {{"error", too_deep ? "the request body nests JSON too deeply"
                                                 : "the request body is not valid JSON"}});
            return;
        }
        std::string type;
        VoiceRequest vr;
        try {
            vr = parse_vapi(body, type);
        } catch (const std::invalid_argument& e) {
            reply(res, 200, {{"error", e.what()}});
            return;
        }
        if (type != "tool-calls") {  // status updates, reports, ...: nothing to answer
            reply(res, 200, json::object());
            return;
        }
        reply(res, 200, vapi_response(run(vr, a.principal, a.platform_only)));
    });

    auto retell = [this, precheck, admit_retell](const httplib::Request& req, httplib::Response& res,
                                                 const std::string& tool) {
        if (!precheck(req, res)) return;
        Admission a = admit_retell(req);
        if (!a.ok) {
            reply(res, a.status, {{"ok", false}, {"error", a.message}});
            return;
        }
        bool too_deep = false;
        json body = core::parse_json_or_discard(req.body, core::kMaxJsonDepth, &too_deep);
        if (body.is_discarded()) {
            reply(res, 400, {{"ok", false},
                             {"error", too_deep ? "the request body nests JSON too deeply"
                                                : "the request body is not valid JSON"}});
            return;
        }
        VoiceRequest vr;
        try {
            vr = parse_retell(body, tool);
        } catch (const std::invalid_argument& e) {
            reply(res, 400, {{"ok", false}, {"error", e.what()}});
            return;
        }
        // 200 even when the call failed: a non-2xx makes Retell retry (integrations.md 2.3).
        reply(res, 200, retell_response(run(vr, a.principal, a.platform_only).front()));
    };
    http.Post("/voice/retell", [retell](const httplib::Request& req, httplib::Response& res) { retell(req, res, {}); });
    http.Post(R"(/voice/retell/([A-Za-z0-9_-]{1,64}))",
              [retell](const httplib::Request& req, httplib::Response& res) { retell(req, res, req.matches[1].str()); });
}

}  // namespace voice
