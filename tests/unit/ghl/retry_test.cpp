// Retry-After parsing and full-jitter backoff bounds.
#include "ghl/retry.hpp"

#include <gtest/gtest.h>

#include <random>

namespace ghl {
namespace {

using std::chrono::seconds;

// 2015-10-21 07:28:00 UTC.
const auto kNow = std::chrono::system_clock::from_time_t(1445412480);

TEST(ParseRetryAfter, DelaySeconds) {
    EXPECT_EQ(parse_retry_after("120", kNow), seconds(120));
    EXPECT_EQ(parse_retry_after(" 0 ", kNow), seconds(0));
    EXPECT_EQ(parse_retry_after("99999999999", kNow), seconds(999999999));
}

TEST(ParseRetryAfter, HttpDateForms) {
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:07 GMT", kNow), seconds(7));
    EXPECT_EQ(parse_retry_after("Wednesday, 21-Oct-15 07:28:30 GMT", kNow), seconds(30));
    EXPECT_EQ(parse_retry_after("Wed Oct 21 07:29:00 2015", kNow), seconds(60));
    // Past dates mean "now"; partial seconds round up.
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", kNow), seconds(0));
    EXPECT_EQ(
        parse_retry_after("Wed, 21 Oct 2015 07:28:01 GMT", kNow + std::chrono::milliseconds(500)),
        seconds(1));
}

TEST(ParseRetryAfter, Garbage) {
    EXPECT_FALSE(parse_retry_after("", kNow));
    EXPECT_FALSE(parse_retry_after("soon", kNow));
    EXPECT_FALSE(parse_retry_after("-5", kNow));
    EXPECT_FALSE(parse_retry_after("1.5", kNow));
    EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:07 PST", kNow));
}

TEST(BackoffDelay, FullJitterWithinExponentialCeiling) {
    RetryPolicy p;
    p.base_delay = std::chrono::milliseconds(100);
    p.max_delay = std::chrono::milliseconds(1000);
    std::mt19937_64 rng(7);
    for (int retry = 0; retry < 8; ++retry) {
        const std::int64_t ceiling = std::min<std::int64_t>(100LL << retry, 1000);
        std::int64_t max_seen = 0;
        for (int i = 0; i < 2000; ++i) {
            const auto d = backoff_delay(p, retry, rng()).count();
            ASSERT_GE(d, 0);
            ASSERT_LE(d, ceiling) << "retry " << retry;
            max_seen = std::max(max_seen, d);
        }
        // Full jitter spreads over the whole range, not just near zero.
        EXPECT_GT(max_seen, ceiling / 2) << "retry " << retry;
    }
    EXPECT_EQ(backoff_delay(p, 0, 0).count(), 0);
    EXPECT_EQ(backoff_delay(p, 30, 1000).count(), 1000);
}

}  // namespace
}  // namespace ghl
