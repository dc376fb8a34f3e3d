// Retry-After parsing and full-jitter backoff.
#include "ghl/retry.hpp"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace ghl {

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
        value.remove_prefix(1);
    }
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
        value.remove_suffix(1);
    }
    if (value.empty()) return std::nullopt;
    if (std::all_of(value.begin(), value.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
        if (value.size() > 9) return std::chrono::seconds(999999999);
        return std::chrono::seconds(std::stol(std::string(value)));
    }
    const auto at = parse_http_date(value);
    if (!at) return std::nullopt;
    if (*at <= now) return std::chrono::seconds(0);
    return std::chrono::ceil<std::chrono::seconds>(*at - now);
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value) {
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
        value.remove_prefix(1);
    }
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
        value.remove_suffix(1);
    }
    const std::string text(value);
    for (const char* format :
         {"%a, %d %b %Y %H:%M:%S", "%A, %d-%b-%y %H:%M:%S", "%a %b %d %H:%M:%S %Y"}) {
        struct tm tm {};
        const char* end = strptime(text.c_str(), format, &tm);
        if (end == nullptr) continue;
        std::string_view rest(end);
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        if (!(rest.empty() || rest == "GMT" || rest == "UTC")) continue;
        return std::chrono::system_clock::from_time_t(timegm(&tm));
    }
    return std::nullopt;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry,
                                        std::uint64_t random) {
    const auto base = std::max<std::int64_t>(policy.base_delay.count(), 1);
    const auto cap = std::max<std::int64_t>(policy.max_delay.count(), 1);
    std::int64_t ceiling = base;
    for (int i = 0; i < retry && ceiling < cap; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, cap);
    return std::chrono::milliseconds(
        static_cast<std::int64_t>(random % static_cast<std::uint64_t>(ceiling + 1)));
}

}  // namespace ghl
