#include "voice/service.hpp"
#include "core/json.hpp"

#include "mcp/crypto.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

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

/// Signatures are valid 5 minutes either way of their time stamp (protocol.hpp): remembered
/// for both halves, a replay within the tolerance is always recognised.
constexpr std::chrono::milliseconds kSignatureWindow{10 * 60 * 1000};

/// Why a tunnelled request is refused when the server has no credential, and how to fix it.
constexpr std::string_view kNoCredential =
    "Unauthorized: this request came through a tunnel or proxy and no voice credential is "
    "configured, so the voice endpoints answer only callers on this machine. Configure one and "
    "restart: GHL_MCP_VAPI_SECRET (Vapi X-Vapi-Secret), GHL_MCP_VAPI_HMAC_SECRET (Vapi HMAC "
    "credential) or GHL_MCP_RETELL_API_KEY (Retell), or an API key from `ghl-mcp keys create NAME` "
    "(with GHL_MCP_API_KEYS_FILE) sent as Authorization: Bearer";

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

/// One call's answer, shared by the request that started it and every retry that joins it.
struct VoiceService::Entry {
    enum class State { kQueued, kRunning, kDone };
    std::mutex mu;
    std::condition_variable cv;
    State state = State::kQueued;  // guarded by mu
    CallResult result;             // guarded by mu, set with kDone
    // Guarded by Core::mu:
    Clock::time_point finished = Clock::time_point::max();  // when the answer came
    bool ok = false;         // the answer was a success
    bool not_run = false;    // it never started: a retry must run it
    bool ended = false;      // a later write touched one of its records: a new tool call runs anew
    std::vector<std::string> records;  // ids of the records it touched (arguments, result refs)
};

struct VoiceService::Job {
    std::shared_ptr<Entry> entry;
    std::string name;
    json arguments;
    std::any principal;
    Clock::time_point deadline;  // its request's: a call still queued past it never starts
    bool write = false;
    bool calendar_write = false;
    std::string slot_key;  // get_free_slots: where its answer is cached
    std::uint64_t slot_generation = 0;
};

struct VoiceService::Core {
    Core(mcp::Server& s, VoiceOptions o) : server(s), options(std::move(o)) {}

    mcp::Server& server;
    const VoiceOptions options;
    // Keys of remembered writes are MACs of their parts under this per-process key: fixed size
    // whatever the arguments weigh, and not guessable from outside.
    const std::string key = mcp::random_bytes(32);

    /// A remembered write under one of its keys: `attempt` keys (same call and tool call id, or
    /// the same signed request) replay for idempotency_ttl, argument keys for retry_window.
    struct Remembered {
        std::shared_ptr<Entry> entry;
        bool attempt = false;
        std::uint64_t seq = 0;
    };
    struct Slots {
        std::shared_ptr<Entry> entry;
        Clock::time_point expires;
    };
    struct Signature {
        std::string path;
        Clock::time_point expires;
        std::uint64_t seq = 0;
    };

    mutable std::mutex mu;
    std::unordered_map<std::string, Remembered> writes;
    std::deque<std::pair<std::uint64_t, std::string>> write_order;  // oldest first, for eviction
    std::unordered_map<std::string, Slots> slots;
    std::unordered_map<std::string, Signature> signatures;
    std::deque<std::pair<std::uint64_t, std::string>> signature_order;
    std::uint64_t seq = 0;
    std::uint64_t slot_generation = 0;
    Clock::time_point last_prune{};
    Counters counters;

    std::atomic<std::size_t> in_flight{0};  // calls queued or running
    std::atomic<bool> stopping{false};
    std::mutex workers_mu;
    std::condition_variable workers_cv;
    std::size_t threads = 0;  // guarded by workers_mu

    std::string digest(std::initializer_list<std::string_view> parts) const {
        std::string text;
        for (auto part : parts) {  // length-prefixed: no two part lists give the same text
            text += std::to_string(part.size());
            text += ':';
            text += part;
        }
        return mcp::hmac_sha256(key, text);
    }

    /// A call slot under max_in_flight, or false when the server is full.
    bool reserve() {
        std::size_t n = in_flight.load();
        do {
            if (n >= options.max_in_flight) return false;
        } while (!in_flight.compare_exchange_weak(n, n + 1));
        return true;
    }

    bool replayable_locked(const Remembered& m, Clock::time_point now) const {
        const Entry& e = *m.entry;
        if (e.not_run) return false;
        // Still queued or running: whoever asks again is waiting for the same write.
        if (e.finished == Clock::time_point::max()) return true;
        // A record it is about changed since: a new request with the same words must act anew
        // (book, cancel, "keep it" books again). The platform resending the very same attempt
        // still gets that attempt's answer: running it twice would duplicate the write, and the
        // answer is what happened to that call (a sibling call of the same request, adding a
        // note to the same contact, must not make the first note's retry add it again).
        if (e.ended && !m.attempt) return false;
        auto ttl = m.attempt ? options.idempotency_ttl : options.retry_window;
        if (!e.ok) ttl = std::min(ttl, options.failed_write_ttl);
        return now < e.finished + ttl;
    }

    void prune_locked(Clock::time_point now, bool force = false) {
        if (!force && now - last_prune < std::chrono::seconds(1)) return;
        last_prune = now;
        std::erase_if(writes, [&](const auto& kv) { return !replayable_locked(kv.second, now); });
        std::erase_if(slots, [&](const auto& kv) { return kv.second.expires <= now; });
        std::erase_if(signatures, [&](const auto& kv) { return kv.second.expires <= now; });
        // The order queues only name keys; drop the names of keys already gone.
        std::erase_if(write_order, [&](const auto& p) {
            auto it = writes.find(p.second);
            return it == writes.end() || it->second.seq != p.first;
        });
        std::erase_if(signature_order, [&](const auto& p) {
            auto it = signatures.find(p.second);
            return it == signatures.end() || it->second.seq != p.first;
        });
    }

    void remember_locked(const std::string& k, const std::shared_ptr<Entry>& entry, bool attempt,
                         Clock::time_point now) {
        if (writes.size() >= options.max_remembered) prune_locked(now, true);
        // Still full: forget the oldest finished writes. Unfinished ones stay (a retry must
        // still find them); there are at most max_in_flight of them.
        std::size_t rotations = write_order.size();
        while (writes.size() >= options.max_remembered && !write_order.empty() && rotations-- > 0) {
            auto [s, name] = std::move(write_order.front());
            write_order.pop_front();
            auto it = writes.find(name);
            if (it == writes.end() || it->second.seq != s) continue;
            if (it->second.entry->finished == Clock::time_point::max()) {
                write_order.emplace_back(s, std::move(name));
                continue;
            }
            writes.erase(it);
        }
        writes[k] = Remembered{entry, attempt, ++seq};
        write_order.emplace_back(seq, k);
    }

    /// A write touched `records`: every other remembered result about them may be stale, so
    /// none is replayed to a new request once finished (see replayable_locked).
    void end_replays_locked(const std::vector<std::string>& records, const Entry* except) {
        if (records.empty()) return;
        for (auto& [k, m] : writes) {
            Entry& e = *m.entry;
            if (&e == except || e.ended) continue;
            for (const auto& r : e.records)
                if (std::find(records.begin(), records.end(), r) != records.end()) {
                    e.ended = true;
                    break;
                }
        }
    }

    /// Verified signatures, each with the path it was sent to: Retell's does not cover the path,
    /// so the same signature on another path is a replay of someone else's body. False then.
    bool note_signature(const std::string& signature, const std::string& path,
                        std::chrono::milliseconds window) {
        const auto now = Clock::now();
        const std::string k = digest({"sig", signature});
        std::lock_guard lock(mu);
        prune_locked(now);
        if (auto it = signatures.find(k); it != signatures.end() && it->second.expires > now)
            return it->second.path == path;
        // Only verified signatures get here, so only the platforms' own traffic fills this; room
        // for four times the writes, since every signed request (reads too) is remembered.
        const std::size_t cap = options.max_remembered * 4;
        if (signatures.size() >= cap) prune_locked(now, true);
        while (signatures.size() >= cap && !signature_order.empty()) {
            auto [s, name] = std::move(signature_order.front());
            signature_order.pop_front();
            if (auto it = signatures.find(name); it != signatures.end() && it->second.seq == s)
                signatures.erase(it);
        }
        signatures[k] = Signature{path, now + window, ++seq};
        signature_order.emplace_back(seq, k);
        return true;
    }

    CallResult dispatch(const std::string& name, const json& arguments, const std::any& principal);
    void finish(Job& job, CallResult r);
    /// Under e.mu, for a call still queued: it will never start; its answer says nothing ran.
    static void give_up_locked(Entry& e, const std::string& name, bool write);
    /// After give_up_locked: a retry must run it, not replay it.
    void forget_not_run(Entry& e);
    void work(std::vector<Job>& jobs);
};

namespace {

/// Ids naming the records a write touches: "...Id"/"...Ids" inputs and result refs. Containers
/// (a calendar, a pipeline, a sub-account, a user) are not records of their own here: two
/// bookings on one calendar are different records and must not end each other's retries.
bool is_record_key(const std::string& k) {
    static const std::vector<std::string> containers = {
        "calendarId", "locationId", "pipelineId", "pipelineStageId", "stageId", "userId",
        "assignedUserId", "assignedTo", "workflowId", "campaignId", "customFieldId", "groupId"};
    const bool id = (k.size() > 2 && k.ends_with("Id")) || (k.size() > 3 && k.ends_with("Ids"));
    return id && std::find(containers.begin(), containers.end(), k) == containers.end();
}

void collect_records(const json& j, std::vector<std::string>& out) {
    if (!j.is_object()) return;
    auto add = [&](const json& v) {
        if (v.is_string() && !v.get_ref<const std::string&>().empty() &&
            std::find(out.begin(), out.end(), v.get<std::string>()) == out.end())
            out.push_back(v.get<std::string>());
    };
    for (const auto& [k, v] : j.items()) {
        if (!is_record_key(k)) continue;
        if (v.is_array())
            for (const auto& x : v) add(x);
        else
            add(v);
    }
}

}  // namespace

VoiceService::VoiceService(mcp::Server& server, VoiceOptions options)
    : core_(std::make_shared<Core>(server, std::move(options))) {}

VoiceService::~VoiceService() {
    // Queued calls do not start any more (they answer "nothing was done"); running ones get
    // shutdown_wait to finish. Past it they are abandoned: they hold the Core, not this object.
    core_->stopping = true;
    std::unique_lock lock(core_->workers_mu);
    if (!core_->workers_cv.wait_for(lock, core_->options.shutdown_wait, [&] { return core_->threads == 0; }))
        spdlog::warn("voice: {} call(s) still running after {} ms at shutdown; not waiting for them",
                     core_->in_flight.load(), core_->options.shutdown_wait.count());
}

VoiceService::Counters VoiceService::counters() const {
    std::lock_guard lock(core_->mu);
    Counters c = core_->counters;
    c.remembered = core_->writes.size();
    return c;
}

void VoiceService::invalidate_slots() {
    std::lock_guard lock(core_->mu);
    ++core_->slot_generation;
    core_->slots.clear();
}

CallResult VoiceService::Core::dispatch(const std::string& name, const json& arguments,
                                        const std::any& principal) {
    static const auto channel = std::make_shared<NullChannel>();
    static std::atomic<std::int64_t> rpc_id{0};
    json request = {
        {"jsonrpc", "2.0"},
        {"id", ++rpc_id},
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
    mcp::Outcome o = server.handle(request, in);
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

void VoiceService::Core::finish(Job& job, CallResult r) {
    const auto now = Clock::now();
    {
        std::lock_guard lock(mu);
        ++counters.dispatched;
        if (job.write) {
            Entry& e = *job.entry;
            e.finished = now;
            e.ok = r.ok;
            if (r.ok) {  // a new record (the booking made) ends replays about it too
                std::vector<std::string> made;
                collect_records(r.refs, made);
                for (auto& id : made)
                    if (std::find(e.records.begin(), e.records.end(), id) == e.records.end())
                        e.records.push_back(id);
                end_replays_locked(made, &e);
            }
        }
        if (!job.slot_key.empty() && r.ok && job.slot_generation == slot_generation &&
            slots.size() < options.max_remembered)
            slots[job.slot_key] = Slots{job.entry, now + options.slot_ttl};
    }
    if (job.calendar_write && r.ok) {
        std::lock_guard lock(mu);
        ++slot_generation;
        slots.clear();
    }
    {
        std::lock_guard lock(job.entry->mu);
        job.entry->result = std::move(r);
        job.entry->state = Entry::State::kDone;
    }
    job.entry->cv.notify_all();
}

void VoiceService::Core::give_up_locked(Entry& e, const std::string& name, bool write) {
    CallResult r;
    r.name = name;
    r.timed_out = true;
    r.not_started = true;
    r.say = speak_not_started(name, write);
    e.result = std::move(r);
    e.state = Entry::State::kDone;
}

void VoiceService::Core::forget_not_run(Entry& e) {
    {
        std::lock_guard lock(mu);
        e.not_run = true;  // no longer replayed: a retry runs it
        e.finished = Clock::now();
        ++counters.not_started;
    }
    e.cv.notify_all();
}

void VoiceService::Core::work(std::vector<Job>& jobs) {
    for (auto& job : jobs) {
        Entry& e = *job.entry;
        bool start = false, gave_up = false;
        {
            std::lock_guard lock(e.mu);
            // Not kQueued: its request gave up on it already (the deadline passed while queued).
            if (e.state == Entry::State::kQueued) {
                if (!stopping && Clock::now() < job.deadline) {
                    e.state = Entry::State::kRunning;
                    start = true;
                } else {
                    give_up_locked(e, job.name, job.write);
                    gave_up = true;
                }
            }
        }
        if (!start) {
            if (gave_up) forget_not_run(e);
            --in_flight;
            continue;
        }
        CallResult r;
        try {
            r = dispatch(job.name, job.arguments, job.principal);
        } catch (const std::exception& ex) {  // Server::handle never throws; belt and braces
            r.name = job.name;
            r.say = speak_error(job.name, "internal error");
            spdlog::error("voice: {} failed: {}", job.name, ex.what());
        }
        finish(job, std::move(r));
        --in_flight;
    }
}

std::vector<CallResult> VoiceService::run(const VoiceRequest& request, const std::any& principal,
                                          bool platform_only) {
    const std::shared_ptr<Core> core = core_;  // a request still waiting at shutdown keeps it
    Core& c = *core;
    const VoiceOptions& options = c.options;
    const auto deadline = Clock::now() + options.budget;
    const std::string who = options.principal_name ? options.principal_name(principal) : std::string();
    const std::size_t n = request.calls.size();
    std::vector<CallResult> results(n);
    std::vector<std::shared_ptr<Entry>> waits(n);
    std::vector<bool> writes(n, false);
    std::vector<Job> jobs;

    for (std::size_t i = 0; i < n; ++i) {
        const ToolCall& call = request.calls[i];
        CallResult& r = results[i];
        r.tool_call_id = call.id;
        r.name = call.name;
        if (i >= options.max_calls_per_request) {
            // One request must not fan out into minutes of GHL calls behind everyone else.
            r.say = speak_error(call.name, "that was more than " + std::to_string(options.max_calls_per_request) +
                                               " things at once, so I did not start this one; "
                                               "please ask me for it again");
            continue;
        }
        if (!call.problem.empty()) {
            r.say = speak_error(call.name, call.problem);
            continue;
        }
        const auto& offered = options.tools;
        if (platform_only && std::find(offered.begin(), offered.end(), call.name) == offered.end()) {
            std::string names;
            for (const auto& t : offered) names += (names.empty() ? "" : ", ") + t;
            r.say = speak_error(call.name, "\"" + utf8_prefix(call.name, 64) + "\" is not one of the voice tools (" +
                                               names + ")");
            continue;
        }
        const auto tool = c.server.registry().find_tool(call.name);
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
        job.deadline = deadline;
        job.write = tool && !tool->read_only();
        job.calendar_write = job.write && tool->toolset == "calendars";
        writes[i] = job.write;
        const auto now = Clock::now();
        bool busy = false;
        if (job.write) {
            const std::string text = args.dump();
            const std::string args_key = c.digest({"a", who, call.name, text});
            // The same attempt: the platform's ids for it, or the very signed request, and the
            // same arguments (the same tool call id with other arguments is a new action).
            std::string attempt_key;
            if (!request.call_id.empty() && !call.id.empty())
                attempt_key = c.digest({"i", who, request.platform, request.call_id, call.id, call.name, text});
            else if (!request.attempt.empty())
                attempt_key = c.digest({"s", who, request.platform, request.attempt, std::to_string(i), call.name, text});
            std::lock_guard lock(c.mu);
            ++c.counters.calls;
            c.prune_locked(now);
            std::shared_ptr<Entry> found;
            for (const std::string* key : {static_cast<const std::string*>(&attempt_key), &args_key}) {
                if (key->empty()) continue;
                auto it = c.writes.find(*key);
                if (it != c.writes.end() && c.replayable_locked(it->second, now)) {
                    found = it->second.entry;
                    break;
                }
            }
            if (found) {
                ++c.counters.replayed;
                if (!attempt_key.empty()) c.remember_locked(attempt_key, found, true, now);
                waits[i] = std::move(found);
                r.replayed = true;
                continue;
            }
            if (!c.reserve()) {
                busy = true;
            } else {
                job.entry = std::make_shared<Entry>();
                collect_records(args, job.entry->records);
                // This write may change those records: what was remembered about them is over.
                c.end_replays_locked(job.entry->records, job.entry.get());
                c.remember_locked(args_key, job.entry, false, now);
                if (!attempt_key.empty()) c.remember_locked(attempt_key, job.entry, true, now);
            }
        } else {
            std::lock_guard lock(c.mu);
            ++c.counters.calls;
            if (call.name == "get_free_slots") {
                c.prune_locked(now);
                job.slot_key = c.digest({who, args.dump()});
                auto it = c.slots.find(job.slot_key);
                if (it != c.slots.end() && it->second.expires > now) {
                    ++c.counters.slot_hits;
                    waits[i] = it->second.entry;  // done: cached answers are complete
                    continue;
                }
                job.slot_generation = c.slot_generation;
            }
            if (!c.reserve()) busy = true;
            else job.entry = std::make_shared<Entry>();
        }
        if (busy) {
            r.say = speak_error(call.name, "the system is busy right now; please try again in a moment");
            continue;
        }
        job.arguments = std::move(args);
        waits[i] = job.entry;
        jobs.push_back(std::move(job));
    }

    if (!jobs.empty()) {
        {
            std::lock_guard lock(c.workers_mu);
            ++c.threads;
        }
        auto shared = std::make_shared<std::vector<Job>>(std::move(jobs));
        try {
            std::thread([core = core_, shared] {
                core->work(*shared);
                std::lock_guard lock(core->workers_mu);
                --core->threads;
                core->workers_cv.notify_all();
            }).detach();
        } catch (const std::system_error& e) {
            spdlog::error("voice: cannot start a worker: {}", e.what());
            {
                std::lock_guard lock(c.workers_mu);
                --c.threads;
            }
            for (auto& job : *shared) {  // nothing ran: a retry must be free to run it
                {
                    std::lock_guard lock(job.entry->mu);
                    c.give_up_locked(*job.entry, job.name, job.write);
                }
                c.forget_not_run(*job.entry);
                --c.in_flight;
            }
        }
    }

    for (std::size_t i = 0; i < n; ++i) {
        if (!waits[i]) continue;
        const std::shared_ptr<Entry> entry = waits[i];
        Entry& e = *entry;
        CallResult& r = results[i];
        std::unique_lock lock(e.mu);
        if (!e.cv.wait_until(lock, deadline, [&] { return e.state == Entry::State::kDone; })) {
            if (e.state == Entry::State::kQueued) {
                // It never started and now never will (the worker skips it): say so, truly.
                c.give_up_locked(e, r.name, writes[i]);
                lock.unlock();
                c.forget_not_run(e);
                lock.lock();
            } else {
                r.timed_out = true;
                r.say = speak_timeout(r.name, writes[i]);
                lock.unlock();
                std::lock_guard count(c.mu);
                ++c.counters.timed_out;
                continue;
            }
        }
        const std::string id = r.tool_call_id, name = r.name;
        const bool replayed = r.replayed;
        r = e.result;
        r.tool_call_id = id;
        r.name = name;
        r.replayed = replayed;
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
            if (r.not_started) item["metadata"]["notStarted"] = true;
        }
        out.push_back(std::move(item));
    }
    return {{"results", std::move(out)}};
}

json VoiceService::retell_response(const CallResult& r) {
    if (r.ok) return {{"ok", true}, {"say", r.say}, {"refs", r.refs}, {"result", r.data}};
    json out = {{"ok", false}, {"say", r.say}, {"error", r.say}};
    if (r.timed_out) out["timedOut"] = true;
    if (r.not_started) out["notStarted"] = true;
    return out;
}

void VoiceService::mount(httplib::Server& http) {
    const VoiceOptions& options = core_->options;
    // Secrets are compared as MACs under a per-process key, so timing says nothing about them.
    const auto mac_key = std::make_shared<const std::string>(mcp::random_bytes(32));
    const auto vapi_secret_mac = std::make_shared<const std::string>(
        options.vapi_secret.empty() ? std::string() : mcp::hmac_sha256(*mac_key, options.vapi_secret));
    auto matches_secret = [mac_key, vapi_secret_mac](const std::string& given) {
        return !vapi_secret_mac->empty() && !given.empty() &&
               mcp::constant_time_equal(mcp::hmac_sha256(*mac_key, given), *vapi_secret_mac);
    };

    // The Host/Origin rule every door of the HTTP server applies (DNS-rebinding protection).
    auto door = std::make_shared<mcp::HttpOptions>();
    door->host = options.listen_host;
    door->allowed_hosts = options.allowed_hosts;
    door->allowed_origins = options.allowed_origins;

    // Server-to-server callers send JSON and no browser Origin: refusing anything else keeps a
    // web page from driving an open loopback server with a simple cross-site POST.
    auto precheck = [door](const httplib::Request& req, httplib::Response& res) {
        const std::string origin = req.get_header_value("Origin");
        std::string problem = mcp::origin_problem(*door, req.get_header_value("Host"), origin, req.has_header("Origin"));
        if (!problem.empty()) {
            reply(res, 403, {{"error", problem}});
            return false;
        }
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
        mcp::AuthDecision d = core_->options.authenticate(mcp::header_map(req));
        a.ok = d.allowed;
        a.status = d.allowed ? 200 : d.status;
        a.message = d.message;
        a.principal = std::move(d.principal);
    };
    auto platform = [this](Admission& a, const char* name) {
        a.ok = true;
        a.platform_only = true;
        if (core_->options.platform_principal) a.principal = core_->options.platform_principal(name);
    };
    const bool anything = options.authenticate || !options.vapi_secret.empty() ||
                          !options.vapi_hmac_secret.empty() || !options.retell_api_key.empty();
    // Nothing configured: open as /mcp is, but only to a caller on this machine. A tunnel
    // (ngrok, cloudflared, a reverse proxy) to 127.0.0.1 would otherwise hand every tool to the
    // internet; such requests name a public Host or carry forwarding headers.
    auto open_door = [](const httplib::Request& req, Admission& a) {
        if (!mcp::came_through_proxy(mcp::header_map(req))) {
            a.ok = true;
            return a;
        }
        a.status = 401;
        a.message = std::string(kNoCredential);
        return a;
    };
    // A signed request may come again only to the path it was signed for (Retell's signature
    // does not cover the path), and then it is the same attempt: its writes are answered again.
    auto signed_once = [this](Admission& a, const std::string& signature, const std::string& path,
                              VoiceRequest& vr) {
        if (!core_->note_signature(signature, path, kSignatureWindow)) {
            a.ok = false;
            a.status = 401;
            a.message = "Unauthorized: this signature was already used for another endpoint; "
                        "a signed request is valid only where it was sent";
            return;
        }
        vr.attempt = signature;
    };

    auto admit_vapi = [this, anything, matches_secret, api_key, platform, open_door,
                       signed_once](const httplib::Request& req, VoiceRequest& vr) {
        const VoiceOptions& o = core_->options;
        Admission a;
        const std::string signature = req.get_header_value("x-signature");
        if (!o.vapi_hmac_secret.empty() && !signature.empty()) {
            auto c = verify_vapi_signature(o.vapi_hmac_secret, req.body, signature,
                                           req.get_header_value("x-timestamp"), now_epoch_ms());
            if (c == SignatureCheck::kValid) {
                platform(a, "vapi");
                signed_once(a, signature, req.path, vr);
            } else {
                a.message = std::string("Unauthorized: the x-signature is ") + to_string(c);
            }
            return a;
        }
        if (!o.vapi_secret.empty() && req.has_header("X-Vapi-Secret")) {
            if (matches_secret(req.get_header_value("X-Vapi-Secret"))) platform(a, "vapi");
            else a.message = "Unauthorized: the X-Vapi-Secret is not valid";
            return a;
        }
        const std::string bearer = bearer_of(req);
        if (matches_secret(bearer)) {
            platform(a, "vapi");
            return a;
        }
        if (o.authenticate) {
            api_key(req, a);
            return a;
        }
        if (!anything) return open_door(req, a);
        a.message = "Unauthorized: send the Vapi credential (X-Vapi-Secret, Authorization: Bearer, "
                    "or an HMAC x-signature)";
        return a;
    };
    auto admit_retell = [this, anything, api_key, platform, open_door,
                         signed_once](const httplib::Request& req, VoiceRequest& vr) {
        const VoiceOptions& o = core_->options;
        Admission a;
        const std::string signature = req.get_header_value("X-Retell-Signature");
        if (!o.retell_api_key.empty() && !signature.empty()) {
            auto c = verify_retell_signature(o.retell_api_key, req.body, signature, now_epoch_ms());
            if (c == SignatureCheck::kValid) {
                platform(a, "retell");
                signed_once(a, signature, req.path, vr);
            } else {
                a.message = std::string("Unauthorized: the X-Retell-Signature is ") + to_string(c);
            }
            return a;
        }
        if (o.authenticate && req.has_header("Authorization")) {
            api_key(req, a);
            return a;
        }
        if (!anything) return open_door(req, a);
        a.message = o.retell_api_key.empty() ? "Unauthorized: send Authorization: Bearer <API key>"
                                             : "Unauthorized: the X-Retell-Signature header is missing";
        return a;
    };

    http.Post("/voice/vapi", [this, precheck, admit_vapi](const httplib::Request& req, httplib::Response& res) {
        if (!precheck(req, res)) return;
        VoiceRequest signed_vr;  // carries the attempt of a signed request
        Admission a = admit_vapi(req, signed_vr);
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
        vr.attempt = std::move(signed_vr.attempt);
        reply(res, 200, vapi_response(run(vr, a.principal, a.platform_only)));
    });

    auto retell = [this, precheck, admit_retell](const httplib::Request& req, httplib::Response& res,
                                                 const std::string& tool) {
        if (!precheck(req, res)) return;
        VoiceRequest signed_vr;
        Admission a = admit_retell(req, signed_vr);
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
        vr.attempt = std::move(signed_vr.attempt);
        // 200 even when the call failed: a non-2xx makes Retell retry (integrations.md 2.3).
        reply(res, 200, retell_response(run(vr, a.principal, a.platform_only).front()));
    };
    http.Post("/voice/retell", [retell](const httplib::Request& req, httplib::Response& res) { retell(req, res, {}); });
    http.Post(R"(/voice/retell/([A-Za-z0-9_-]{1,64}))",
              [retell](const httplib::Request& req, httplib::Response& res) { retell(req, res, req.matches[1].str()); });
}

}  // namespace voice
