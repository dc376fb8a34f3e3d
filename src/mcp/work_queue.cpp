#include "mcp/work_queue.hpp"

namespace mcp {

WorkQueue::WorkQueue(std::size_t threads, std::size_t max_queued)
    : max_threads_(threads == 0 ? 1 : threads), max_queued_(max_queued) {}

WorkQueue::~WorkQueue() {
    stop();
}

bool WorkQueue::try_submit(std::function<void()> job) {
    std::lock_guard lock(mu_);
    if (stopped_) return false;
    // Waiting jobs beyond what idle workers take at once count against the bound.
    const std::size_t idle = workers_.size() - busy_;
    if (jobs_.size() >= idle + max_queued_ && workers_.size() >= max_threads_) return false;
    jobs_.push_back(std::move(job));
    if (workers_.size() < max_threads_ && jobs_.size() > idle)
        workers_.emplace_back([this] { loop(); });
    cv_.notify_one();
    return true;
}

void WorkQueue::stop() {
    std::deque<std::function<void()>> dropped;
    std::vector<std::thread> workers;
    {
        std::lock_guard lock(mu_);
        if (stopped_ && workers_.empty()) return;
        stopped_ = true;
        dropped.swap(jobs_);
        workers.swap(workers_);
    }
    cv_.notify_all();
    if (on_dropped_)
        for (auto& job : dropped) on_dropped_(job);
    for (auto& t : workers)
        if (t.joinable()) t.join();
}

std::size_t WorkQueue::queued() const {
    std::lock_guard lock(mu_);
    return jobs_.size();
}

std::size_t WorkQueue::busy() const {
    std::lock_guard lock(mu_);
    return busy_;
}

void WorkQueue::loop() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stopped_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopped
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        ++busy_;
        lock.unlock();
        job();
        job = nullptr;  // release captures outside the lock
        lock.lock();
        --busy_;
    }
}

}  // namespace mcp
