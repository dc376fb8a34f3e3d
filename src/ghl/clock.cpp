// SystemClock and ManualClock.
#include "ghl/clock.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace ghl {

bool SystemClock::sleep_until(time_point until, std::stop_token stop) {
    if (!stop.stop_possible()) {
        std::this_thread::sleep_until(until);
        return true;
    }
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    cv.wait_until(lock, stop, until, [] { return false; });
    return !stop.stop_requested();
}

std::shared_ptr<Clock> system_clock() {
    static const auto clock = std::make_shared<SystemClock>();
    return clock;
}

ManualClock::ManualClock(std::chrono::system_clock::time_point wall_start)
    : start_(time_point(std::chrono::hours(1))), wall_start_(wall_start) {}

Clock::time_point ManualClock::now() const {
    return start_ + duration(offset_.load());
}

std::chrono::system_clock::time_point ManualClock::wall_now() const {
    return wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             duration(offset_.load()));
}

bool ManualClock::sleep_until(time_point until, std::stop_token stop) {
    if (stop.stop_requested()) return false;
    sleeps_.fetch_add(1);
    auto current = offset_.load();
    const auto target = (until - start_).count();
    while (target > current && !offset_.compare_exchange_weak(current, target)) {
    }
    if (target > current) slept_.fetch_add(target - current);
    return true;
}

void ManualClock::advance(duration d) {
    offset_.fetch_add(d.count());
}

}  // namespace ghl
