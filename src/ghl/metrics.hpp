// In-process metrics of the GHL client, per endpoint, for later export (e.g. /metrics).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace ghl {

/// Upper bounds (ms) of the latency histogram buckets; the last bucket is unbounded.
inline constexpr std::array<std::int64_t, 11> kLatencyBucketsMs = {5,   10,   25,   50,   100,  250,
                                                                   500, 1000, 2500, 5000, 10000};

struct EndpointMetrics {
    std::uint64_t calls = 0;      ///< client.call() invocations
    std::uint64_t attempts = 0;   ///< HTTP requests sent (calls + retries)
    std::uint64_t successes = 0;  ///< calls that returned a 2xx
    std::uint64_t failures = 0;   ///< calls that threw
    std::uint64_t retries = 0;
    std::uint64_t http_429 = 0;       ///< 429 responses from GHL
    std::uint64_t local_limited = 0;  ///< calls refused by our limiter (no slot before deadline)
    std::uint64_t transport_errors = 0;
    std::map<int, std::uint64_t> statuses;  ///< responses per HTTP status
    std::uint64_t queue_waits = 0;  ///< calls that had to wait for a limiter slot
    std::chrono::microseconds queue_wait_total{0};
    std::chrono::microseconds queue_wait_max{0};
    std::chrono::microseconds latency_total{0};  ///< per attempt, transport time only
    std::chrono::microseconds latency_max{0};
    std::array<std::uint64_t, kLatencyBucketsMs.size() + 1> latency_buckets{};

    void merge(const EndpointMetrics& other);
};

struct MetricsSnapshot {
    std::map<std::string, EndpointMetrics> endpoints;
    std::int64_t waiting = 0;  ///< calls waiting for a limiter slot right now
    EndpointMetrics total() const;
};

/// Thread-safe accumulator behind Client::metrics().
class Metrics {
  public:
    void call(std::string_view endpoint);
    void attempt(std::string_view endpoint, int status, bool transport_error,
                 std::chrono::microseconds latency);
    void retry(std::string_view endpoint);
    void queue_wait(std::string_view endpoint, std::chrono::microseconds wait);
    /// A call starts / stops waiting for its limiter slot (the queue depth gauge).
    void waiting(int delta);
    void local_limited(std::string_view endpoint);
    void finished(std::string_view endpoint, bool success);

    MetricsSnapshot snapshot() const;
    /// When GHL last answered (any HTTP status); default-constructed: never. Cheaper than a
    /// snapshot for a readiness check.
    std::chrono::steady_clock::time_point last_response() const;
    void reset();

  private:
    EndpointMetrics& at(std::string_view endpoint);  // requires mutex_ held

    mutable std::mutex mutex_;
    std::map<std::string, EndpointMetrics, std::less<>> by_endpoint_;
    std::int64_t waiting_ = 0;
    std::chrono::steady_clock::time_point last_response_{};
};

}  // namespace ghl
