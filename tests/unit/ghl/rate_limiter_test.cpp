// InMemoryRateLimiter in virtual time: burst window, FIFO tickets, deadline fail-fast, header
// correction, Retry-After blocks and the daily budget.
#include "ghl/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace ghl {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

InMemoryRateLimiterOptions limits(int max, milliseconds interval, std::int64_t daily = 200000,
                                  double margin = 0.0) {
    InMemoryRateLimiterOptions o;
    o.defaults.burst_max = max;
    o.defaults.burst_interval = interval;
    o.defaults.daily_max = daily;
    o.safety_margin = margin;
    return o;
}

class LimiterTest : public ::testing::Test {
  protected:
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
    Clock::time_point far() const { return clock->now() + std::chrono::hours(1); }
};

TEST_F(LimiterTest, BurstIsImmediateThenOneWindowLater) {
    InMemoryRateLimiter limiter(limits(3, milliseconds(1000)), clock);
    const auto t0 = clock->now();
    for (int i = 0; i < 3; ++i) {
        auto a = limiter.acquire("loc", far());
        ASSERT_TRUE(a.granted);
        EXPECT_EQ(a.ready_at, t0);
    }
    auto fourth = limiter.acquire("loc", far());
    ASSERT_TRUE(fourth.granted);
    EXPECT_EQ(fourth.ready_at, t0 + milliseconds(1000));
    EXPECT_EQ(limiter.state("loc").in_window, 4);
}

TEST_F(LimiterTest, DefaultsAreGhlsDocumentedLimitsWithAOnePercentMargin) {
    InMemoryRateLimiter limiter({}, clock);
    const auto s = limiter.state("x");
    EXPECT_EQ(s.limits.burst_max, 100);
    EXPECT_EQ(s.limits.burst_interval, milliseconds(10000));
    EXPECT_EQ(s.limits.daily_max, 200000);
    const auto t0 = clock->now();
    for (int i = 0; i < 100; ++i) ASSERT_EQ(limiter.acquire("x", far()).ready_at, t0);
    EXPECT_EQ(limiter.acquire("x", far()).ready_at, t0 + milliseconds(10100));
}

TEST_F(LimiterTest, ThreeTimesTheBurstIsSpreadOverTwoMoreWindows) {
    InMemoryRateLimiter limiter(limits(100, milliseconds(10000)), clock);
    const auto t0 = clock->now();
    std::vector<Clock::time_point> slots;
    for (int i = 0; i < 300; ++i) {
        auto a = limiter.acquire("loc", far());
        ASSERT_TRUE(a.granted);
        slots.push_back(a.ready_at);
    }
    EXPECT_EQ(slots.back(), t0 + seconds(20));
    // No sliding window of 10 s holds more than 100 slots.
    for (std::size_t i = 100; i < slots.size(); ++i) {
        EXPECT_GE(slots[i] - slots[i - 100], seconds(10)) << i;
    }
}

TEST_F(LimiterTest, TicketsAreServedInArrivalOrder) {
    InMemoryRateLimiter limiter(limits(2, milliseconds(1000)), clock);
    std::uint64_t last_ticket = 0;
    Clock::time_point last_slot{};
    for (int i = 0; i < 10; ++i) {
        auto a = limiter.acquire("loc", far());
        ASSERT_TRUE(a.granted);
        EXPECT_GT(a.ticket, last_ticket);
        EXPECT_GE(a.ready_at, last_slot);
        last_ticket = a.ticket;
        last_slot = a.ready_at;
    }
    // A caller arriving later never overtakes an earlier one, even once time has passed.
    clock->advance(seconds(2));
    auto later = limiter.acquire("loc", far());
    EXPECT_GE(later.ready_at, last_slot);
}

TEST_F(LimiterTest, ConcurrentCallersGetDistinctFifoSlots) {
    InMemoryRateLimiter limiter(limits(5, milliseconds(100)), clock);
    constexpr int kThreads = 8;
    constexpr int kEach = 50;
    std::vector<std::vector<Acquire>> got(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) got[t].push_back(limiter.acquire("loc", far()));
        });
    }
    for (auto& th : threads) th.join();
    std::vector<Acquire> all;
    for (auto& v : got) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end(),
              [](const Acquire& a, const Acquire& b) { return a.ticket < b.ticket; });
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kEach));
    for (std::size_t i = 0; i < all.size(); ++i) {
        ASSERT_TRUE(all[i].granted);
        EXPECT_EQ(all[i].ticket, i + 1);
        if (i > 0) {
            EXPECT_GE(all[i].ready_at, all[i - 1].ready_at);
        }
        if (i >= 5) {
            EXPECT_GE(all[i].ready_at - all[i - 5].ready_at, milliseconds(100));
        }
    }
}

TEST_F(LimiterTest, NoSlotBeforeTheDeadlineFailsAtOnceWithoutReserving) {
    InMemoryRateLimiter limiter(limits(2, milliseconds(10000)), clock);
    const auto t0 = clock->now();
    ASSERT_TRUE(limiter.acquire("loc", far()).granted);
    ASSERT_TRUE(limiter.acquire("loc", far()).granted);
    auto refused = limiter.acquire("loc", t0 + seconds(1));
    EXPECT_FALSE(refused.granted);
    EXPECT_EQ(refused.retry_after, seconds(10));
    EXPECT_NE(refused.reason.find("burst limit 2 per 10000 ms"), std::string::npos);
    EXPECT_EQ(clock->now(), t0);  // nothing slept
    // The refused caller reserved nothing: the next patient caller gets the first free slot.
    auto next = limiter.acquire("loc", far());
    ASSERT_TRUE(next.granted);
    EXPECT_EQ(next.ready_at, t0 + seconds(10));
    EXPECT_EQ(limiter.state("loc").tickets, 3u);
}

TEST_F(LimiterTest, KeysHaveSeparateBudgets) {
    InMemoryRateLimiter limiter(limits(1, milliseconds(1000)), clock);
    const auto t0 = clock->now();
    EXPECT_EQ(limiter.acquire("a", far()).ready_at, t0);
    EXPECT_EQ(limiter.acquire("b", far()).ready_at, t0);
    EXPECT_EQ(limiter.acquire("a", far()).ready_at, t0 + milliseconds(1000));
}

TEST_F(LimiterTest, RemainingHeaderAddsRequestsSomeoneElseMade) {
    InMemoryRateLimiter limiter(limits(100, milliseconds(10000)), clock);
    const auto t0 = clock->now();
    ASSERT_TRUE(limiter.acquire("loc", far()).granted);
    // GHL says 0 left although we sent 1: another client of the app spent the budget.
    limiter.observe("loc", 200,
                    Headers{{"X-RateLimit-Max", "100"},
                            {"X-RateLimit-Remaining", "0"},
                            {"X-RateLimit-Interval-Milliseconds", "10000"}});
    EXPECT_EQ(limiter.state("loc").in_window, 100);
    auto a = limiter.acquire("loc", far());
    EXPECT_EQ(a.ready_at, t0 + seconds(10));
    // A higher "remaining" than we think never adds budget (we stay conservative).
    limiter.observe("loc", 200, Headers{{"X-RateLimit-Remaining", "99"}});
    EXPECT_EQ(limiter.state("loc").in_window, 101);
}

TEST_F(LimiterTest, MaxAndIntervalHeadersReplaceTheDefaults) {
    InMemoryRateLimiter limiter(limits(100, milliseconds(10000)), clock);
    limiter.observe(
        "loc", 200,
        Headers{{"x-ratelimit-max", "2"}, {"x-ratelimit-interval-milliseconds", "500"}});
    const auto s = limiter.state("loc");
    EXPECT_EQ(s.limits.burst_max, 2);
    EXPECT_EQ(s.limits.burst_interval, milliseconds(500));
    const auto t0 = clock->now();
    limiter.acquire("loc", far());
    limiter.acquire("loc", far());
    EXPECT_EQ(limiter.acquire("loc", far()).ready_at, t0 + milliseconds(500));
    // Malformed headers are ignored.
    limiter.observe("loc", 200,
                    Headers{{"X-RateLimit-Max", "lots"}, {"X-RateLimit-Remaining", "-1"}});
    EXPECT_EQ(limiter.state("loc").limits.burst_max, 2);
}

TEST_F(LimiterTest, DailyBudgetFromHeadersRefusesUntilUtcMidnight) {
    // ManualClock's wall clock starts at 00:00 UTC; move it to 23:00.
    clock->advance(std::chrono::hours(23));
    InMemoryRateLimiter limiter(limits(100, milliseconds(10000)), clock);
    limiter.observe(
        "loc", 200,
        Headers{{"X-RateLimit-Limit-Daily", "5000"}, {"X-RateLimit-Daily-Remaining", "0"}});
    EXPECT_EQ(limiter.state("loc").limits.daily_max, 5000);
    const auto t0 = clock->now();
    auto a = limiter.acquire("loc", t0 + std::chrono::minutes(30));
    EXPECT_FALSE(a.granted);
    EXPECT_EQ(a.retry_after, seconds(3600));
    EXPECT_NE(a.reason.find("daily limit 5000"), std::string::npos);
    // A caller whose deadline is past midnight gets the first slot of the new day.
    auto patient = limiter.acquire("loc", t0 + std::chrono::hours(2));
    ASSERT_TRUE(patient.granted);
    EXPECT_EQ(patient.ready_at, t0 + std::chrono::hours(1));
    // After midnight the budget is back.
    clock->advance(std::chrono::hours(1));
    auto b = limiter.acquire("loc", far());
    EXPECT_TRUE(b.granted);
    EXPECT_EQ(limiter.state("loc").daily_used, 1);
}

TEST_F(LimiterTest, DailyBudgetCountsOwnRequests) {
    InMemoryRateLimiter limiter(limits(1000, milliseconds(1000), /*daily=*/3), clock);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.acquire("loc", far()).granted);
    EXPECT_FALSE(limiter.acquire("loc", far()).granted);
    EXPECT_EQ(limiter.state("loc").daily_used, 3);
}

TEST_F(LimiterTest, TooManyRequestsWithRetryAfterBlocksTheKey) {
    InMemoryRateLimiter limiter(limits(100, milliseconds(10000)), clock);
    const auto t0 = clock->now();
    limiter.observe("loc", 429, Headers{{"Retry-After", "7"}});
    auto a = limiter.acquire("loc", far());
    ASSERT_TRUE(a.granted);
    EXPECT_EQ(a.ready_at, t0 + seconds(7));
    EXPECT_NE(a.reason.find("Retry-After"), std::string::npos);
    auto b = limiter.acquire("loc", t0 + seconds(3));
    EXPECT_FALSE(b.granted);
    EXPECT_EQ(b.retry_after, seconds(7));
}

TEST_F(LimiterTest, TooManyRequestsWithoutHeadersAssumesTheWindowIsFull) {
    InMemoryRateLimiter limiter(limits(10, milliseconds(1000)), clock);
    const auto t0 = clock->now();
    limiter.observe("loc", 429, Headers{});
    EXPECT_EQ(limiter.acquire("loc", far()).ready_at, t0 + milliseconds(1000));
}

TEST_F(LimiterTest, WindowsSlideWithTime) {
    InMemoryRateLimiter limiter(limits(2, milliseconds(1000)), clock);
    limiter.acquire("loc", far());
    clock->advance(milliseconds(600));
    limiter.acquire("loc", far());
    clock->advance(milliseconds(500));  // the first slot left the window
    const auto now = clock->now();
    EXPECT_EQ(limiter.acquire("loc", far()).ready_at, now);
    EXPECT_EQ(limiter.acquire("loc", far()).ready_at, now - milliseconds(500) + milliseconds(1000));
}

}  // namespace
}  // namespace ghl
