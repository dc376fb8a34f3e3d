// A fixed set of worker threads with a bounded queue: background work that a client can start
// (2025-11-25 tasks, ...) must never cost more threads or memory than configured. Submitting past
// the bound is refused at once so the caller can answer "busy" instead of queueing forever.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mcp {

class WorkQueue {
  public:
    /// `threads` workers (started on the first submit), at most `max_queued` jobs waiting.
    WorkQueue(std::size_t threads, std::size_t max_queued);
    ~WorkQueue();
    WorkQueue(const WorkQueue&) = delete;
    WorkQueue& operator=(const WorkQueue&) = delete;

    /// Queues `job`; false (nothing queued) when the queue is full or the queue is stopped.
    bool try_submit(std::function<void()> job);
    /// Drops the jobs not started yet (each is told through `on_dropped`, when set) and joins the
    /// workers once their current jobs return. Idempotent.
    void stop();

    std::size_t queued() const;
    std::size_t busy() const;
    std::size_t threads() const { return max_threads_; }

    /// Called with each job dropped by stop() instead of running it.
    void set_on_dropped(std::function<void(std::function<void()>&)> on_dropped) {
        on_dropped_ = std::move(on_dropped);
    }

  private:
    void loop();

    const std::size_t max_threads_;
    const std::size_t max_queued_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> workers_;
    std::size_t busy_ = 0;
    bool stopped_ = false;
    std::function<void(std::function<void()>&)> on_dropped_;
};

}  // namespace mcp
