// The 2026-07-28 tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663): the server may
// answer a tools/call with a task handle (`resultType: "task"`) instead of the result; the client
// polls tasks/get (which inlines the final result or error), answers input requests with
// tasks/update and stops the work with tasks/cancel. Only for requests whose per-request client
// capabilities declare the extension.
//
// Layers: TaskRecord (plain data) lives in a TaskStore (in-memory here; the interface is what a
// shared store would implement); TaskManager runs the work and implements the methods; TaskCall
// is the per-request hook a handler reaches through ToolContext (continue_as_task, in_task).
// The experimental 2025-11-25 tasks (tasks/list, tasks/result) stay in server.cpp.
#pragma once

#include "mcp/json_rpc.hpp"
#include "mcp/session.hpp"

#include <any>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mcp {

struct CallInfo;
struct InputRequired;

/// The extension's identifier (capabilities.extensions key, per-request opt-in).
inline constexpr const char* kTasksExtension = "io.modelcontextprotocol/tasks";

/// True when (per-request) client capabilities declare the extension under `extensions`.
bool declares_tasks_extension(const json& client_capabilities);

enum class TaskStatus { kWorking, kInputRequired, kCompleted, kFailed, kCancelled };
std::string_view to_string(TaskStatus status);
bool is_terminal(TaskStatus status);

/// One task's state, as stored. Plain data so a store can keep it anywhere.
struct TaskRecord {
    std::string id;     // unguessable (128 random bits): holding it is the access right
    std::string owner;  // who may use it (ServerOptions::task_owner); empty: anyone with the id
    TaskStatus status = TaskStatus::kWorking;
    std::string status_message;
    std::string created_at;  // ISO 8601
    std::string updated_at;
    std::optional<int64_t> ttl_ms;  // retention from creation; nullopt: unlimited
    int64_t poll_interval_ms = 500;
    json input_requests = json::object();   // outstanding requests (input_required), by wire key
    json input_responses = json::object();  // answers of the current round, not yet consumed
    std::optional<json> result;             // completed: the request's result
    std::optional<json> error;              // failed: the JSON-RPC error object
    uint64_t version = 0;                   // maintained by the store: bumped on every change
    std::chrono::system_clock::time_point expires_at = std::chrono::system_clock::time_point::max();
};

/// The wire shape: `Task` (CreateTaskResult body) or, with `detailed`, `DetailedTask` (tasks/get,
/// notifications/tasks) with inputRequests / result / error by status. No resultType.
json task_to_wire(const TaskRecord& record, bool detailed);

/// Where task state lives. Every call is atomic on its own. The in-memory store serves one
/// process; a shared store (SQLite, Redis, ...) implementing the same calls lets several server
/// instances answer tasks/get for each other's tasks (the runner itself stays in-process).
class TaskStore {
public:
    virtual ~TaskStore() = default;
    /// Adds a new record (version 1). False when the id exists or the store is full.
    virtual bool insert(const TaskRecord& record) = 0;
    virtual std::optional<TaskRecord> get(const std::string& id) = 0;
    /// Applies `mutate` atomically. It returns true when it changed the record (the version is
    /// then bumped and waiters woken). Returns the record after the call; nullopt when unknown.
    virtual std::optional<TaskRecord> update(const std::string& id,
                                             const std::function<bool(TaskRecord&)>& mutate) = 0;
    /// Waits until the record's version differs from `seen_version`, the record is gone, or
    /// `timeout` passes; returns the current record (nullopt when gone).
    virtual std::optional<TaskRecord> wait_change(const std::string& id, uint64_t seen_version,
                                                  std::chrono::milliseconds timeout) = 0;
    /// Removes records whose `expires_at` is before `now`; returns their ids.
    virtual std::vector<std::string> purge_expired(std::chrono::system_clock::time_point now) = 0;
    virtual size_t size() = 0;
};

class InMemoryTaskStore final : public TaskStore {
public:
    explicit InMemoryTaskStore(size_t max_records = 10'000) : max_records_(max_records) {}
    bool insert(const TaskRecord& record) override;
    std::optional<TaskRecord> get(const std::string& id) override;
    std::optional<TaskRecord> update(const std::string& id,
                                     const std::function<bool(TaskRecord&)>& mutate) override;
    std::optional<TaskRecord> wait_change(const std::string& id, uint64_t seen_version,
                                          std::chrono::milliseconds timeout) override;
    std::vector<std::string> purge_expired(std::chrono::system_clock::time_point now) override;
    size_t size() override;

private:
    const size_t max_records_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::map<std::string, TaskRecord> records_;
};

struct TaskExtensionOptions {
    /// Advertise the extension and serve tasks/get|update|cancel to declaring clients.
    bool enabled = true;
    /// Retention of a task from its creation (its `ttlMs`); zero: unlimited. A task still
    /// running when its TTL ends is cancelled and forgotten.
    std::chrono::milliseconds ttl{std::chrono::minutes(30)};
    std::chrono::milliseconds poll_interval{500};  // the `pollIntervalMs` hint
    size_t max_tasks = 10'000;                     // for the default in-memory store
    size_t max_running = 64;  // tasks (and would-be tasks) running at once, a thread each
    /// Where records live; null: an InMemoryTaskStore of max_tasks.
    std::shared_ptr<TaskStore> store;
};

class TaskManager;

/// A request that may become a task, reachable from its handler through CallInfo::task.
/// Before start() the handler runs as part of the request (its result, InputRequired or error
/// answers the request); after start() the request has been answered with a CreateTaskResult
/// and the handler's outcome goes to the task.
class TaskCall {
public:
    TaskCall(std::shared_ptr<TaskManager> manager, std::string owner)
        : manager_(std::move(manager)), owner_(std::move(owner)) {}

    /// Turns the request into a task now (no-op when it already is one): creates the record,
    /// detaches the call from the request's stream (no progress or logs from here on, as the
    /// extension requires) and lets the request answer with the CreateTaskResult.
    /// Called on the thread running the handler. Throws RpcError when the store is full.
    void start(CallInfo& call);
    bool in_task() const { return in_task_.load(); }
    std::string task_id() const;

private:
    friend class TaskManager;
    enum class Phase { kRunning, kTask, kDone };

    std::shared_ptr<TaskManager> manager_;
    const std::string owner_;
    std::atomic<bool> in_task_{false};
    // Outcome for the request thread (guarded by mu_).
    mutable std::mutex mu_;
    std::condition_variable cv_;
    Phase phase_ = Phase::kRunning;
    std::string task_id_;
    json created_;  // CreateTaskResult body
    json sync_result_;
    std::exception_ptr sync_error_;
    // Worker-thread state.
    std::set<std::string> used_keys_;  // input request keys issued over the task's lifetime
};

/// Runs task-augmented requests and serves tasks/get, tasks/update and tasks/cancel. Thread-safe.
class TaskManager : public std::enable_shared_from_this<TaskManager> {
public:
    /// One run of the handler on `call`. Returns the request's result; throws InputRequired for
    /// a round of input, RpcError for a protocol error.
    using Invoke = std::function<json(CallInfo& call)>;

    explicit TaskManager(TaskExtensionOptions options);
    ~TaskManager();

    const TaskExtensionOptions& options() const { return options_; }
    TaskStore& store() { return *store_; }

    /// Executes a request that may become a task. With `start_now` the task exists before the
    /// handler runs; otherwise the handler starts it (ToolContext::continue_as_task), so it can
    /// first gather input synchronously (MRTR). Returns a CreateTaskResult (`resultType: "task"`)
    /// or, when no task was started, the request's own result; rethrows what the handler threw
    /// before a task existed (InputRequired, RpcError).
    json run(CallInfo& call, Invoke invoke, bool start_now, std::string owner);

    /// tasks/get: the DetailedTask. Throws RpcError -32602 for an unknown (or another owner's) id.
    json get(const std::string& id, const std::string& owner);
    /// tasks/update: delivers input responses; keys not outstanding are ignored. Throws -32602
    /// for an unknown id or malformed responses.
    void update(const std::string& id, const std::string& owner, const json& input_responses);
    /// tasks/cancel: a non-terminal task becomes `cancelled` and its work is told to stop;
    /// a terminal one is left as it is. Throws -32602 for an unknown id.
    void cancel(const std::string& id, const std::string& owner);
    /// True when the id names a task `owner` may see.
    bool visible(const std::string& id, const std::string& owner);

    /// Called after every status change with the record (for notifications/tasks).
    void set_observer(std::function<void(const TaskRecord&)> observer);

    /// Cancels every running task and waits (up to `grace`) for the workers to return.
    void shutdown(std::chrono::milliseconds grace = std::chrono::seconds(3));

private:
    friend class TaskCall;

    TaskRecord create(const std::string& owner);
    void work(const std::shared_ptr<TaskCall>& tc, const std::shared_ptr<CallInfo>& call,
              const Invoke& invoke);
    bool await_input(TaskCall& tc, CallInfo& call, const InputRequired& ir);
    void settle(const std::string& id, TaskStatus status, json payload, std::string message);
    std::optional<TaskRecord> owned(const std::string& id, const std::string& owner);
    void changed(const TaskRecord& record);
    void purge(bool force = false);
    CancelFlag flag_of(const std::string& id);
    void forget(const std::string& id);

    TaskExtensionOptions options_;
    std::shared_ptr<TaskStore> store_;
    std::mutex mu_;
    std::map<std::string, CancelFlag> running_;  // cancellation flags of live local work
    std::function<void(const TaskRecord&)> observer_;
    std::chrono::steady_clock::time_point last_purge_{};
    std::atomic<int> workers_{0};
    std::atomic<bool> stopping_{false};
};

}  // namespace mcp
