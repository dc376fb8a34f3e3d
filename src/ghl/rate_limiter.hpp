// Client-side rate limiting per GHL resource (a location or a company: the key GHL counts by), so
// callers wait for a slot instead of being sent into a 429.
//
// The interface is small so that a shared implementation (e.g. Redis, for several replicas) can
// replace the in-memory one.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ghl/clock.hpp"
#include "ghl/http.hpp"

namespace ghl {

/// GHL's documented budget: 100 requests per 10 s burst and 200,000 per day, per app per resource.
struct RateLimits {
    int burst_max = 100;
    std::chrono::milliseconds burst_interval{10000};
    std::int64_t daily_max = 200000;
};

/// The outcome of RateLimiter::acquire().
struct Acquire {
    /// true: a slot is reserved; send at ready_at (which may be now). false: no slot before the
    /// deadline, nothing was reserved, and retry_after says when one would be free.
    bool granted = false;
    Clock::time_point ready_at{};
    std::chrono::seconds retry_after{0};
    /// Why the caller waits or was refused, for error text: "burst limit 100 per 10000 ms",
    /// "daily limit 200000", "GHL asked to wait (Retry-After)".
    std::string reason;
    std::uint64_t ticket = 0;  ///< arrival order for this key (FIFO)
};

class RateLimiter {
  public:
    virtual ~RateLimiter() = default;

    /// Reserves the next free slot for `key` in arrival (ticket) order. Never blocks: the caller
    /// waits until ready_at itself. When no slot can start before `deadline`, fails at once
    /// without reserving anything.
    virtual Acquire acquire(const std::string& key, Clock::time_point deadline) = 0;

    /// Feeds a GHL response back: the X-RateLimit-* headers correct the budget (another client
    /// of the same app may be spending it), and a 429 with Retry-After holds the key back.
    virtual void observe(const std::string& key, int status, const Headers& headers) = 0;

    /// Reports that the request sent in the slot granted for `ready_at` (Acquire::ready_at) is
    /// over: answered, or failed in the transport. GHL counts a request when it arrives, which
    /// may be any time until the answer is back (a new TLS connection alone can take longer than
    /// the safety margin), so the slot must not free before one window after now. Default:
    /// nothing.
    virtual void completed(const std::string& /*key*/, Clock::time_point /*ready_at*/) {}
};

/// What the limiter currently believes about one key (for tests and metrics).
struct LimiterKeyState {
    RateLimits limits;
    int in_window = 0;  ///< slots used or reserved in the current burst window
    std::int64_t daily_used = 0;
    Clock::time_point blocked_until{};
    std::uint64_t tickets = 0;
};

struct InMemoryRateLimiterOptions {
    RateLimits defaults;
    /// Each slot comes back one interval plus this share of it after use (at most
    /// max_safety_margin), so latency jitter between us and GHL does not push a burst over.
    double safety_margin = 0.01;
    std::chrono::milliseconds max_safety_margin{250};
};

/// Per-key token bucket in memory, in which every token returns exactly one window (plus a small
/// margin) after it was used: no window of `burst_interval`, sliding or fixed, ever sees more than
/// `burst_max` requests. The daily budget resets at UTC midnight. Thread-safe.
class InMemoryRateLimiter final : public RateLimiter {
  public:
    explicit InMemoryRateLimiter(InMemoryRateLimiterOptions options = {},
                                 std::shared_ptr<Clock> clock = system_clock());
    ~InMemoryRateLimiter() override;

    Acquire acquire(const std::string& key, Clock::time_point deadline) override;
    void observe(const std::string& key, int status, const Headers& headers) override;
    /// A request that took longer than the safety margin may have reached GHL later than its
    /// slot plus the margin: its slot moves to now minus the margin, so that it frees no earlier
    /// than one window after GHL counted it. Faster requests change nothing.
    void completed(const std::string& key, Clock::time_point ready_at) override;

    LimiterKeyState state(const std::string& key) const;

  private:
    struct Bucket;
    Bucket& bucket(const std::string& key);

    InMemoryRateLimiterOptions options_;
    std::shared_ptr<Clock> clock_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::unique_ptr<Bucket>> buckets_;
};

}  // namespace ghl
