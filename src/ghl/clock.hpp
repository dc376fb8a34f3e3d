// The client's notion of time, injectable so tests run the limiter and retries in virtual time.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <stop_token>

namespace ghl {

class Clock {
  public:
    using time_point = std::chrono::steady_clock::time_point;
    using duration = std::chrono::steady_clock::duration;

    virtual ~Clock() = default;
    /// Monotonic time: deadlines, limiter windows, backoff.
    virtual time_point now() const = 0;
    /// Calendar time: HTTP-date Retry-After values and the daily quota's UTC midnight.
    virtual std::chrono::system_clock::time_point wall_now() const = 0;
    /// Waits until `until`. Returns false as soon as `stop` is requested (true otherwise).
    virtual bool sleep_until(time_point until, std::stop_token stop) = 0;
};

/// The real clocks (steady and system). Thread-safe.
class SystemClock final : public Clock {
  public:
    time_point now() const override { return std::chrono::steady_clock::now(); }
    std::chrono::system_clock::time_point wall_now() const override {
        return std::chrono::system_clock::now();
    }
    bool sleep_until(time_point until, std::stop_token stop) override;
};

/// A shared SystemClock.
std::shared_ptr<Clock> system_clock();

/// Virtual time for tests: sleep_until() jumps the clock forward instead of waiting, so a test of
/// "300 calls at 100/10 s" runs instantly and can assert exact virtual durations. Thread-safe, but
/// meant for single-threaded call sequences (concurrent sleepers each jump the shared time).
class ManualClock final : public Clock {
  public:
    explicit ManualClock(std::chrono::system_clock::time_point wall_start =
                             std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000)));

    time_point now() const override;
    std::chrono::system_clock::time_point wall_now() const override;
    bool sleep_until(time_point until, std::stop_token stop) override;

    void advance(duration d);
    /// Total virtual time spent in sleep_until().
    duration slept() const { return duration(slept_.load()); }
    int sleeps() const { return sleeps_.load(); }

  private:
    time_point start_;
    std::chrono::system_clock::time_point wall_start_;
    std::atomic<duration::rep> offset_{0};
    std::atomic<duration::rep> slept_{0};
    std::atomic<int> sleeps_{0};
};

}  // namespace ghl
