// InMemoryRateLimiter: reservations in arrival order against a log of recent slot times.
//
// Each key keeps the sorted times of the slots it handed out within the last window (past sends,
// future reservations, and "phantom" slots standing for requests GHL counted that we did not
// make). A new caller gets the earliest time t that is (a) not before any earlier caller's slot
// (FIFO), (b) not before a Retry-After block, (c) such that the window ending at t holds fewer
// than burst_max slots, and (d) inside the daily budget. If t is after the caller's deadline it
// is refused at once with "retry after t - now".
#include "ghl/rate_limiter.hpp"

#include <algorithm>
#include <charconv>
#include <deque>
#include <optional>
#include <string_view>

#include "ghl/retry.hpp"

namespace ghl {
namespace {

std::optional<std::int64_t> header_int(const Headers& headers, std::string_view name) {
    auto v = headers.get(name);
    if (!v) return std::nullopt;
    std::string_view s = *v;
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    std::int64_t out = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || ptr != s.data() + s.size() || out < 0) return std::nullopt;
    return out;
}

std::int64_t utc_day(std::chrono::system_clock::time_point wall) {
    return std::chrono::floor<std::chrono::days>(wall).time_since_epoch().count();
}

std::chrono::seconds ceil_seconds(Clock::duration d) {
    if (d <= Clock::duration::zero()) return std::chrono::seconds(0);
    return std::chrono::ceil<std::chrono::seconds>(d);
}

}  // namespace

struct InMemoryRateLimiter::Bucket {
    RateLimits limits;
    std::deque<Clock::time_point> slots;  // sorted ascending
    Clock::time_point last_reserved{};
    Clock::time_point blocked_until{};
    std::int64_t day = -1;
    std::int64_t daily_used = 0;
    std::uint64_t tickets = 0;

    Clock::duration window(const InMemoryRateLimiterOptions& o) const {
        const auto interval = std::chrono::duration_cast<Clock::duration>(limits.burst_interval);
        auto margin =
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(
                static_cast<double>(limits.burst_interval.count()) * o.safety_margin));
        margin = std::min<Clock::duration>(margin, o.max_safety_margin);
        return interval + margin;
    }

    void prune(Clock::time_point now, Clock::duration window) {
        while (!slots.empty() && slots.front() <= now - window) slots.pop_front();
    }

    void roll_day(std::chrono::system_clock::time_point wall) {
        const auto today = utc_day(wall);
        if (today != day) {
            day = today;
            daily_used = 0;
        }
    }

    int used_at(Clock::time_point now, Clock::duration window) const {
        // Slots in (now - window, now].
        auto lo = std::upper_bound(slots.begin(), slots.end(), now - window);
        auto hi = std::upper_bound(slots.begin(), slots.end(), now);
        return static_cast<int>(hi - lo);
    }

    void add_phantoms(Clock::time_point now, int count) {
        if (count <= 0) return;
        auto pos = std::upper_bound(slots.begin(), slots.end(), now);
        slots.insert(pos, static_cast<std::size_t>(count), now);
    }
};

InMemoryRateLimiter::InMemoryRateLimiter(InMemoryRateLimiterOptions options,
                                         std::shared_ptr<Clock> clock)
    : options_(options), clock_(clock ? std::move(clock) : system_clock()) {
    options_.defaults.burst_max = std::max(options_.defaults.burst_max, 1);
    if (options_.defaults.burst_interval.count() <= 0) {
        options_.defaults.burst_interval = std::chrono::milliseconds(1);
    }
}

InMemoryRateLimiter::~InMemoryRateLimiter() = default;

InMemoryRateLimiter::Bucket& InMemoryRateLimiter::bucket(const std::string& key) {
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        auto b = std::make_unique<Bucket>();
        b->limits = options_.defaults;
        it = buckets_.emplace(key, std::move(b)).first;
    }
    return *it->second;
}

Acquire InMemoryRateLimiter::acquire(const std::string& key, Clock::time_point deadline) {
    // Time is read under the lock so that slots enter the log in order.
    std::lock_guard lock(mutex_);
    const auto now = clock_->now();
    const auto wall = clock_->wall_now();
    Bucket& b = bucket(key);
    const auto window = b.window(options_);
    b.prune(now, window);
    b.roll_day(wall);

    Acquire out;
    auto t = std::max({now, b.last_reserved, b.blocked_until});
    out.reason = t == b.blocked_until && t > now ? "GHL asked to wait (Retry-After)" : "";

    if (b.daily_used >= b.limits.daily_max) {
        // The daily budget comes back at the next UTC midnight.
        const auto next_midnight =
            std::chrono::floor<std::chrono::days>(wall) + std::chrono::days(1);
        const auto at = now + std::chrono::duration_cast<Clock::duration>(next_midnight - wall);
        if (at > t) t = at;
        out.reason = "daily limit " + std::to_string(b.limits.daily_max);
    }

    const auto n = b.slots.size();
    const auto max = static_cast<std::size_t>(std::max(b.limits.burst_max, 1));
    if (n >= max) {
        const auto free_at = b.slots[n - max] + window;
        if (free_at > t) {
            t = free_at;
            out.reason = "burst limit " + std::to_string(b.limits.burst_max) + " per " +
                         std::to_string(b.limits.burst_interval.count()) + " ms";
        }
    }

    if (t > deadline) {
        out.granted = false;
        out.retry_after = std::max(ceil_seconds(t - now), std::chrono::seconds(1));
        return out;
    }
    out.granted = true;
    out.ready_at = t;
    out.ticket = ++b.tickets;
    b.last_reserved = t;
    b.slots.push_back(t);  // t >= every slot in the log, so the log stays sorted
    ++b.daily_used;
    return out;
}

void InMemoryRateLimiter::observe(const std::string& key, int status, const Headers& headers) {
    const auto max = header_int(headers, "X-RateLimit-Max");
    const auto remaining = header_int(headers, "X-RateLimit-Remaining");
    const auto interval = header_int(headers, "X-RateLimit-Interval-Milliseconds");
    const auto daily_max = header_int(headers, "X-RateLimit-Limit-Daily");
    const auto daily_remaining = header_int(headers, "X-RateLimit-Daily-Remaining");
    const auto retry_after_header = headers.get("Retry-After");
    if (!max && !remaining && !interval && !daily_max && !daily_remaining && status != 429) return;

    std::lock_guard lock(mutex_);
    const auto now = clock_->now();
    const auto wall = clock_->wall_now();
    Bucket& b = bucket(key);
    b.roll_day(wall);

    if (max && *max > 0)
        b.limits.burst_max = static_cast<int>(std::min<std::int64_t>(*max, 1 << 20));
    if (interval && *interval > 0) b.limits.burst_interval = std::chrono::milliseconds(*interval);
    if (daily_max && *daily_max > 0) b.limits.daily_max = *daily_max;
    const auto window = b.window(options_);
    b.prune(now, window);

    // GHL counted more requests in its window than we sent: someone else spends the same budget.
    // Add slots at `now` for the difference (they age out one window later). Our requests still in
    // flight are in our count but not yet in GHL's, so this never over-corrects.
    std::optional<std::int64_t> server_remaining = remaining;
    if (status == 429 && !server_remaining && !retry_after_header) server_remaining = 0;
    if (server_remaining) {
        const std::int64_t server_used =
            std::max<std::int64_t>(0, b.limits.burst_max - *server_remaining);
        const int local_used = b.used_at(now, window);
        if (server_used > local_used) {
            b.add_phantoms(now, static_cast<int>(std::min<std::int64_t>(server_used - local_used,
                                                                        b.limits.burst_max)));
        }
    }
    if (daily_remaining) {
        b.daily_used = std::max(b.daily_used, b.limits.daily_max - *daily_remaining);
    }
    if (status == 429 && retry_after_header) {
        if (auto ra = parse_retry_after(*retry_after_header, wall)) {
            b.blocked_until = std::max(b.blocked_until, now + *ra);
        }
    }
}

void InMemoryRateLimiter::completed(const std::string& key, Clock::time_point ready_at) {
    std::lock_guard lock(mutex_);
    const auto it = buckets_.find(key);
    if (it == buckets_.end()) return;
    Bucket& b = *it->second;
    // GHL counted the request when it arrived, at the latest now. Its slot frees at slot +
    // interval + margin, which must not come before arrival + interval.
    const auto margin =
        b.window(options_) - std::chrono::duration_cast<Clock::duration>(b.limits.burst_interval);
    const auto at = clock_->now() - margin;
    if (at <= ready_at) return;
    const auto slot = std::lower_bound(b.slots.begin(), b.slots.end(), ready_at);
    if (slot == b.slots.end() || *slot != ready_at) return;  // already out of the window
    b.slots.erase(slot);
    // The log stays sorted, and a later acquire() (which starts at >= now) still appends.
    b.slots.insert(std::upper_bound(b.slots.begin(), b.slots.end(), at), at);
}

LimiterKeyState InMemoryRateLimiter::state(const std::string& key) const {
    const auto now = clock_->now();
    std::lock_guard lock(mutex_);
    LimiterKeyState s;
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        s.limits = options_.defaults;
        return s;
    }
    const Bucket& b = *it->second;
    s.limits = b.limits;
    const auto window = b.window(options_);
    // Reserved future slots count as used too.
    s.in_window = static_cast<int>(b.slots.end() -
                                   std::upper_bound(b.slots.begin(), b.slots.end(), now - window));
    s.daily_used = b.daily_used;
    s.blocked_until = b.blocked_until;
    s.tickets = b.tickets;
    return s;
}

}  // namespace ghl
