// Metrics accumulation.
#include "ghl/metrics.hpp"

#include <algorithm>

namespace ghl {

void EndpointMetrics::merge(const EndpointMetrics& o) {
    calls += o.calls;
    attempts += o.attempts;
    successes += o.successes;
    failures += o.failures;
    retries += o.retries;
    queue_waits += o.queue_waits;
    http_429 += o.http_429;
    local_limited += o.local_limited;
    transport_errors += o.transport_errors;
    for (const auto& [status, count] : o.statuses) statuses[status] += count;
    queue_wait_total += o.queue_wait_total;
    queue_wait_max = std::max(queue_wait_max, o.queue_wait_max);
    latency_total += o.latency_total;
    latency_max = std::max(latency_max, o.latency_max);
    for (std::size_t i = 0; i < latency_buckets.size(); ++i)
        latency_buckets[i] += o.latency_buckets[i];
}

EndpointMetrics MetricsSnapshot::total() const {
    EndpointMetrics sum;
    for (const auto& [name, m] : endpoints) sum.merge(m);
    return sum;
}

EndpointMetrics& Metrics::at(std::string_view endpoint) {
    auto it = by_endpoint_.find(endpoint);
    if (it == by_endpoint_.end())
        it = by_endpoint_.emplace(std::string(endpoint), EndpointMetrics{}).first;
    return it->second;
}

void Metrics::call(std::string_view endpoint) {
    std::lock_guard lock(mutex_);
    ++at(endpoint).calls;
}

void Metrics::attempt(std::string_view endpoint, int status, bool transport_error,
                      std::chrono::microseconds latency) {
    std::lock_guard lock(mutex_);
    auto& m = at(endpoint);
    ++m.attempts;
    if (transport_error) {
        ++m.transport_errors;
    } else {
        ++m.statuses[status];
        if (status == 429) ++m.http_429;
        last_response_ = std::chrono::steady_clock::now();
    }
    m.latency_total += latency;
    m.latency_max = std::max(m.latency_max, latency);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(latency).count();
    std::size_t bucket = 0;
    while (bucket < kLatencyBucketsMs.size() && ms > kLatencyBucketsMs[bucket]) ++bucket;
    ++m.latency_buckets[bucket];
}

void Metrics::retry(std::string_view endpoint) {
    std::lock_guard lock(mutex_);
    ++at(endpoint).retries;
}

void Metrics::queue_wait(std::string_view endpoint, std::chrono::microseconds wait) {
    std::lock_guard lock(mutex_);
    auto& m = at(endpoint);
    if (wait.count() > 0) ++m.queue_waits;
    m.queue_wait_total += wait;
    m.queue_wait_max = std::max(m.queue_wait_max, wait);
}

void Metrics::waiting(int delta) {
    std::lock_guard lock(mutex_);
    waiting_ += delta;
}

void Metrics::local_limited(std::string_view endpoint) {
    std::lock_guard lock(mutex_);
    ++at(endpoint).local_limited;
}

void Metrics::finished(std::string_view endpoint, bool success) {
    std::lock_guard lock(mutex_);
    auto& m = at(endpoint);
    if (success) {
        ++m.successes;
    } else {
        ++m.failures;
    }
}

MetricsSnapshot Metrics::snapshot() const {
    std::lock_guard lock(mutex_);
    MetricsSnapshot s;
    for (const auto& [name, m] : by_endpoint_) s.endpoints.emplace(name, m);
    s.waiting = waiting_;
    return s;
}

std::chrono::steady_clock::time_point Metrics::last_response() const {
    std::lock_guard lock(mutex_);
    return last_response_;
}

void Metrics::reset() {
    std::lock_guard lock(mutex_);
    by_endpoint_.clear();
    last_response_ = {};
}

}  // namespace ghl
