// Retry policy of the client: Retry-After parsing and exponential backoff with full jitter.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ghl {

struct RetryPolicy {
    /// Attempts in total, the first included (1 disables retries).
    int max_attempts = 4;
    /// Backoff before retry n (0-based) is uniform in [0, min(max_delay, base_delay * 2^n)].
    std::chrono::milliseconds base_delay{500};
    std::chrono::milliseconds max_delay{10000};
    /// No retry starts later than this after the call began (the deadline still bounds it too).
    std::chrono::milliseconds max_total{60000};
    /// A 429 asking to wait longer than this is surfaced instead of waited for.
    std::chrono::seconds max_retry_after{120};
};

/// Parses a Retry-After value: delay-seconds ("120") or an HTTP-date
/// ("Wed, 21 Oct 2015 07:28:00 GMT", also the RFC 850 and asctime forms), relative to `now`.
/// Dates in the past give 0 s; partial seconds round up. nullopt when unparsable.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

/// Parses an HTTP-date (IMF-fixdate "Wed, 21 Oct 2015 07:28:00 GMT", also the RFC 850 and asctime
/// forms), e.g. a `Date` or `Retry-After` header. nullopt when unparsable.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value);

/// Full-jitter backoff for retry number `retry` (0-based), `random` being a uniform 64-bit value.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, std::uint64_t random);

}  // namespace ghl
