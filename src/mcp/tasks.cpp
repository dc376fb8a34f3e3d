// The tasks extension: the in-memory store, the task runner (background work with input rounds)
// and tasks/get|update|cancel. See tasks.hpp for the model.
#include "mcp/tasks.hpp"

#include "mcp/context.hpp"
#include "mcp/crypto.hpp"

#include <spdlog/spdlog.h>

#include <thread>

namespace mcp {

namespace {

using SystemClock = std::chrono::system_clock;
using SteadyClock = std::chrono::steady_clock;

RpcError task_not_found(const std::string& id) {
    return RpcError(ErrorCode::kInvalidParams,
                    "Failed to retrieve task: no task " + id +
                        " (unknown, expired, or not yours); create a new one with tools/call",
                    json{{"taskId", id}});
}

json rpc_error_object(const RpcError& e) {
    json err{{"code", static_cast<int>(e.code())}, {"message", e.what()}};
    if (!e.data().is_null()) err["data"] = e.data();
    return err;
}

/// Removes the task's cancellation flag when its worker ends, however it ends.
struct ForgetOnExit {
    std::function<void()> fn;
    ~ForgetOnExit() {
        if (fn) fn();
    }
};

}  // namespace

bool declares_tasks_extension(const json& client_capabilities) {
    if (!client_capabilities.is_object()) return false;
    auto ext = client_capabilities.find("extensions");
    if (ext == client_capabilities.end() || !ext->is_object()) return false;
    auto it = ext->find(kTasksExtension);
    return it != ext->end() && !it->is_null();
}

std::string_view to_string(TaskStatus status) {
    switch (status) {
        case TaskStatus::kWorking: return "working";
        case TaskStatus::kInputRequired: return "input_required";
        case TaskStatus::kCompleted: return "completed";
        case TaskStatus::kFailed: return "failed";
        case TaskStatus::kCancelled: return "cancelled";
    }
    return "failed";
}

bool is_terminal(TaskStatus status) {
    return status == TaskStatus::kCompleted || status == TaskStatus::kFailed ||
           status == TaskStatus::kCancelled;
}

json task_to_wire(const TaskRecord& r, bool detailed) {
    json out{{"taskId", r.id},
             {"status", to_string(r.status)},
             {"createdAt", r.created_at},
             {"lastUpdatedAt", r.updated_at},
             {"ttlMs", r.ttl_ms ? json(*r.ttl_ms) : json(nullptr)},
             {"pollIntervalMs", r.poll_interval_ms}};
    if (!r.status_message.empty()) out["statusMessage"] = r.status_message;
    if (!detailed) return out;
    switch (r.status) {
        case TaskStatus::kInputRequired: out["inputRequests"] = r.input_requests; break;
        case TaskStatus::kCompleted: out["result"] = r.result.value_or(json::object()); break;
        case TaskStatus::kFailed:
            out["error"] = r.error.value_or(json{{"code", -32603}, {"message", "Internal error"}});
            break;
        default: break;
    }
    return out;
}

// --- InMemoryTaskStore ----------------------------------------------------------------------

bool InMemoryTaskStore::insert(const TaskRecord& record) {
    std::lock_guard lock(mu_);
    if (records_.size() >= max_records_ || records_.count(record.id)) return false;
    TaskRecord copy = record;
    copy.version = 1;
    records_.emplace(copy.id, std::move(copy));
    return true;
}

std::optional<TaskRecord> InMemoryTaskStore::get(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = records_.find(id);
    if (it == records_.end()) return std::nullopt;
    return it->second;
}

std::optional<TaskRecord> InMemoryTaskStore::update(const std::string& id,
                                                    const std::function<bool(TaskRecord&)>& mutate) {
    std::lock_guard lock(mu_);
    auto it = records_.find(id);
    if (it == records_.end()) return std::nullopt;
    if (mutate(it->second)) {
        ++it->second.version;
        cv_.notify_all();
    }
    return it->second;
}

std::optional<TaskRecord> InMemoryTaskStore::wait_change(const std::string& id, uint64_t seen_version,
                                                         std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] {
        auto it = records_.find(id);
        return it == records_.end() || it->second.version != seen_version;
    });
    auto it = records_.find(id);
    if (it == records_.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> InMemoryTaskStore::purge_expired(SystemClock::time_point now) {
    std::vector<std::string> gone;
    std::lock_guard lock(mu_);
    for (auto it = records_.begin(); it != records_.end();) {
        if (it->second.expires_at < now) {
            gone.push_back(it->first);
            it = records_.erase(it);
        } else {
            ++it;
        }
    }
    if (!gone.empty()) cv_.notify_all();
    return gone;
}

size_t InMemoryTaskStore::size() {
    std::lock_guard lock(mu_);
    return records_.size();
}

// --- TaskCall -------------------------------------------------------------------------------

void TaskCall::start(CallInfo& call) {
    if (in_task_.load()) return;
    TaskRecord r = manager_->create(owner_);
    // From now on the request is answered: the work belongs to the task.
    call.cancelled = manager_->flag_of(r.id);
    call.channel = nullptr;
    call.progress_token = nullptr;
    call.log_level.reset();
    call.deadline = SteadyClock::now() + (r.ttl_ms ? std::chrono::milliseconds(*r.ttl_ms)
                                                   : std::chrono::milliseconds(std::chrono::hours(24)));
    json created = task_to_wire(r, false);
    created["resultType"] = "task";
    {
        std::lock_guard lock(mu_);
        task_id_ = r.id;
        created_ = std::move(created);
        phase_ = Phase::kTask;
    }
    in_task_.store(true);
    cv_.notify_all();
    manager_->changed(r);
}

std::string TaskCall::task_id() const {
    std::lock_guard lock(mu_);
    return task_id_;
}

// --- TaskManager ----------------------------------------------------------------------------

TaskManager::TaskManager(TaskExtensionOptions options) : options_(std::move(options)) {
    store_ = options_.store ? options_.store : std::make_shared<InMemoryTaskStore>(options_.max_tasks);
}

TaskManager::~TaskManager() = default;

void TaskManager::set_observer(std::function<void(const TaskRecord&)> observer) {
    std::lock_guard lock(mu_);
    observer_ = std::move(observer);
}

void TaskManager::changed(const TaskRecord& record) {
    std::function<void(const TaskRecord&)> observer;
    {
        std::lock_guard lock(mu_);
        observer = observer_;
    }
    if (!observer) return;
    try {
        observer(record);
    } catch (const std::exception& e) {
        spdlog::warn("task {} status observer failed: {}", record.id, e.what());
    }
}

CancelFlag TaskManager::flag_of(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = running_.find(id);
    return it == running_.end() ? std::make_shared<std::atomic<bool>>(true) : it->second;
}

void TaskManager::forget(const std::string& id) {
    std::lock_guard lock(mu_);
    running_.erase(id);
}

void TaskManager::purge(bool force) {
    {
        std::lock_guard lock(mu_);
        auto now = SteadyClock::now();
        if (!force && now - last_purge_ < std::chrono::seconds(1)) return;
        last_purge_ = now;
    }
    for (const auto& id : store_->purge_expired(SystemClock::now())) {
        std::lock_guard lock(mu_);
        // Work still running past its TTL is stopped; its outcome has nowhere to go.
        if (auto it = running_.find(id); it != running_.end()) it->second->store(true);
    }
}

TaskRecord TaskManager::create(const std::string& owner) {
    if (stopping_.load()) throw RpcError(ErrorCode::kInternalError, "The server is shutting down");
    purge();
    TaskRecord r;
    r.id = random_id();
    r.owner = owner;
    r.created_at = r.updated_at = iso_now();
    if (options_.ttl.count() > 0) {
        r.ttl_ms = options_.ttl.count();
        r.expires_at = SystemClock::now() + options_.ttl;
    }
    r.poll_interval_ms = std::max<int64_t>(1, options_.poll_interval.count());
    if (!store_->insert(r)) {
        purge(true);
        if (!store_->insert(r))
            throw RpcError(ErrorCode::kInternalError,
                           "Too many tasks are being kept; try again once some have expired");
    }
    r.version = 1;
    std::lock_guard lock(mu_);
    running_[r.id] = std::make_shared<std::atomic<bool>>(false);
    return r;
}

json TaskManager::run(CallInfo& call, Invoke invoke, bool start_now, std::string owner) {
    // Each running task holds a thread: past the bound the request is refused before anything
    // starts (the client may retry, or call without the extension).
    if (workers_.fetch_add(1) >= static_cast<int>(options_.max_running)) {
        --workers_;
        throw RpcError(ErrorCode::kInternalError,
                       "The server is busy: " + std::to_string(options_.max_running) +
                           " tasks are running. Try again shortly.");
    }
    auto tc = std::make_shared<TaskCall>(shared_from_this(), std::move(owner));
    auto bg = std::make_shared<CallInfo>(call);
    bg->task = tc;
    if (start_now) {
        try {
            tc->start(*bg);
        } catch (...) {
            --workers_;
            throw;
        }
    }
    try {
        std::thread([self = shared_from_this(), tc, bg, invoke = std::move(invoke)] {
            self->work(tc, bg, invoke);
            --self->workers_;
        }).detach();
    } catch (const std::system_error& e) {
        --workers_;
        if (!tc->in_task()) throw;
        settle(tc->task_id(), TaskStatus::kFailed,
               json{{"code", -32603}, {"message", "Internal error: could not start the task"}},
               e.what());
    }
    std::unique_lock lock(tc->mu_);
    tc->cv_.wait(lock, [&] { return tc->phase_ != TaskCall::Phase::kRunning; });
    if (tc->phase_ == TaskCall::Phase::kTask) return tc->created_;
    if (tc->sync_error_) std::rethrow_exception(tc->sync_error_);
    return tc->sync_result_;
}

void TaskManager::work(const std::shared_ptr<TaskCall>& tc, const std::shared_ptr<CallInfo>& call,
                       const Invoke& invoke) {
    // Before start(): the outcome answers the request. After: it settles the task.
    auto answer_request = [&](json result, std::exception_ptr error) {
        {
            std::lock_guard lock(tc->mu_);
            tc->sync_result_ = std::move(result);
            tc->sync_error_ = std::move(error);
            tc->phase_ = TaskCall::Phase::kDone;
        }
        tc->cv_.notify_all();
    };
    ForgetOnExit forget_flag{[&] {
        if (tc->in_task()) forget(tc->task_id());
    }};
    for (;;) {
        try {
            json result = invoke(*call);
            if (!tc->in_task()) return answer_request(std::move(result), nullptr);
            if (!result.contains("resultType")) result["resultType"] = "complete";
            settle(tc->task_id(), TaskStatus::kCompleted, std::move(result), {});
            return;
        } catch (const InputRequired& ir) {
            if (!tc->in_task()) return answer_request(nullptr, std::current_exception());
            if (!await_input(*tc, *call, ir)) return;
        } catch (const RpcError& e) {
            if (!tc->in_task()) return answer_request(nullptr, std::current_exception());
            settle(tc->task_id(), TaskStatus::kFailed, rpc_error_object(e), e.what());
            return;
        } catch (const std::exception& e) {
            if (!tc->in_task()) return answer_request(nullptr, std::current_exception());
            spdlog::error("task {} failed: {}", tc->task_id(), e.what());
            settle(tc->task_id(), TaskStatus::kFailed, json{{"code", -32603}, {"message", "Internal error"}},
                   "Internal error");
            return;
        }
    }
}

bool TaskManager::await_input(TaskCall& tc, CallInfo& call, const InputRequired& ir) {
    const std::string id = tc.task_id();
    // Keys are unique over the task's lifetime: a handler asking again under a key it already
    // used gets a fresh wire key, and its answers are mapped back to the handler's key.
    std::map<std::string, std::string> handler_key;
    json wire = json::object();
    if (ir.input_requests.is_object()) {
        for (const auto& [key, request] : ir.input_requests.items()) {
            std::string w = key;
            for (int n = 2; tc.used_keys_.count(w); ++n) w = key + "#" + std::to_string(n);
            tc.used_keys_.insert(w);
            handler_key[w] = key;
            wire[w] = request;
        }
    }
    json responses = json::object();
    if (!wire.empty()) {
        bool parked = false;
        auto rec = store_->update(id, [&](TaskRecord& r) {
            if (is_terminal(r.status)) return false;
            r.status = TaskStatus::kInputRequired;
            r.status_message = "Waiting for the client's answers (tasks/update)";
            r.input_requests = wire;
            r.input_responses = json::object();
            r.updated_at = iso_now();
            parked = true;
            return true;
        });
        if (!rec || !parked) return false;
        changed(*rec);
        uint64_t seen = rec->version;
        for (;;) {
            if (call.cancelled->load() || stopping_.load()) return false;
            auto cur = store_->wait_change(id, seen, std::chrono::milliseconds(200));
            if (!cur || is_terminal(cur->status)) return false;
            seen = cur->version;
            // tasks/update moves the task back to working once every request is answered.
            if (cur->status == TaskStatus::kWorking) {
                responses = cur->input_responses;
                break;
            }
        }
        store_->update(id, [](TaskRecord& r) {
            if (r.input_responses.empty()) return false;
            r.input_responses = json::object();
            return true;
        });
    } else {
        // Only state, no questions: run again after a poll interval.
        auto until = SteadyClock::now() + options_.poll_interval;
        while (SteadyClock::now() < until) {
            if (call.cancelled->load() || stopping_.load()) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    json mapped = json::object();
    for (const auto& [w, value] : responses.items())
        if (auto it = handler_key.find(w); it != handler_key.end()) mapped[it->second] = value;
    call.params["inputResponses"] = std::move(mapped);
    if (ir.state.is_null())
        call.request_state.reset();
    else
        call.request_state = ir.state;  // never left the server: no sealing needed
    return true;
}

void TaskManager::settle(const std::string& id, TaskStatus status, json payload, std::string message) {
    bool did = false;
    auto rec = store_->update(id, [&](TaskRecord& r) {
        if (is_terminal(r.status)) return false;  // cancelled first: the outcome is dropped
        r.status = status;
        r.status_message = std::move(message);
        r.input_requests = json::object();
        r.input_responses = json::object();
        if (status == TaskStatus::kCompleted) r.result = std::move(payload);
        if (status == TaskStatus::kFailed) r.error = std::move(payload);
        r.updated_at = iso_now();
        did = true;
        return true;
    });
    if (rec && did) changed(*rec);
}

std::optional<TaskRecord> TaskManager::owned(const std::string& id, const std::string& owner) {
    auto rec = store_->get(id);
    if (!rec || rec->owner != owner) return std::nullopt;
    if (rec->expires_at < SystemClock::now()) {
        purge(true);
        return std::nullopt;
    }
    return rec;
}

bool TaskManager::visible(const std::string& id, const std::string& owner) {
    return owned(id, owner).has_value();
}

json TaskManager::get(const std::string& id, const std::string& owner) {
    purge();
    auto rec = owned(id, owner);
    if (!rec) throw task_not_found(id);
    return task_to_wire(*rec, true);
}

void TaskManager::update(const std::string& id, const std::string& owner, const json& input_responses) {
    if (!input_responses.is_object())
        throw RpcError(ErrorCode::kInvalidParams,
                       "Invalid params: inputResponses must be an object keyed by the task's "
                       "inputRequests keys");
    for (const auto& [key, value] : input_responses.items())
        if (!value.is_object())
            throw RpcError(ErrorCode::kInvalidParams,
                           "Invalid params: inputResponses['" + key +
                               "'] must be the result object of the corresponding request");
    if (!owned(id, owner)) throw task_not_found(id);
    bool did = false;
    auto rec = store_->update(id, [&](TaskRecord& r) {
        if (r.owner != owner || r.status != TaskStatus::kInputRequired) return false;
        // Keys that are not outstanding (never issued, already answered) are ignored.
        for (const auto& [key, value] : input_responses.items()) {
            if (!r.input_requests.contains(key)) continue;
            r.input_requests.erase(key);
            r.input_responses[key] = value;
            did = true;
        }
        if (!did) return false;
        if (r.input_requests.empty()) {
            r.status = TaskStatus::kWorking;
            r.status_message.clear();
        }
        r.updated_at = iso_now();
        return true;
    });
    if (!rec) throw task_not_found(id);
    if (did) changed(*rec);
}

void TaskManager::cancel(const std::string& id, const std::string& owner) {
    if (!owned(id, owner)) throw task_not_found(id);
    bool did = false;
    auto rec = store_->update(id, [&](TaskRecord& r) {
        if (r.owner != owner || is_terminal(r.status)) return false;  // terminal: idempotent ack
        r.status = TaskStatus::kCancelled;
        r.status_message = "Cancelled by the client";
        r.input_requests = json::object();
        r.input_responses = json::object();
        r.updated_at = iso_now();
        did = true;
        return true;
    });
    if (!rec) throw task_not_found(id);
    {
        std::lock_guard lock(mu_);
        if (auto it = running_.find(id); it != running_.end()) it->second->store(true);
    }
    if (did) changed(*rec);
}

void TaskManager::shutdown(std::chrono::milliseconds grace) {
    stopping_.store(true);
    {
        std::lock_guard lock(mu_);
        for (auto& [id, flag] : running_) flag->store(true);
    }
    auto until = SteadyClock::now() + grace;
    while (workers_.load() > 0 && SteadyClock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (workers_.load() > 0)
        spdlog::warn("{} task worker(s) still running at shutdown", workers_.load());
}

}  // namespace mcp
