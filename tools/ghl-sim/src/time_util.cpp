// Civil-time arithmetic, ISO-8601 formatting/parsing and the fixed time-zone table.
#include "time_util.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>

namespace ghlsim::timeutil {

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

bool parse_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
    if (pos + count > text.size()) return false;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    out = value;
    return true;
}

int days_in_month(int year, int month) {
    static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

bool valid_date(int year, int month, int day) {
    return month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month);
}

/// Day of month of the n-th (1-based) Sunday of a month.
int nth_sunday(int year, int month, int n) {
    const int first_weekday = weekday_from_days(days_from_civil(year, month, 1));
    const int first_sunday = 1 + (7 - first_weekday) % 7;
    return first_sunday + 7 * (n - 1);
}

int last_sunday(int year, int month) {
    const int last = days_in_month(year, month);
    const int weekday = weekday_from_days(days_from_civil(year, month, last));
    return last - weekday;
}

std::string format_offset(int offset_min) {
    const char sign = offset_min < 0 ? '-' : '+';
    const int magnitude = std::abs(offset_min);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, magnitude / 60, magnitude % 60);
    return buf;
}

}  // namespace

std::int64_t days_from_civil(int year, int month, int day) {
    const std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
    const std::int64_t era = floor_div(y, 400);
    const std::int64_t yoe = y - era * 400;
    const std::int64_t mp = (month + 9) % 12;
    const std::int64_t doy = (153 * mp + 2) / 5 + day - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

Civil civil_from_days(std::int64_t days) {
    const std::int64_t z = days + 719468;
    const std::int64_t era = floor_div(z, 146097);
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    Civil c;
    c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    c.year = static_cast<int>(yoe + era * 400 + (c.month <= 2 ? 1 : 0));
    return c;
}

int weekday_from_days(std::int64_t days) {
    // 1970-01-01 was a Thursday.
    return static_cast<int>(((days % 7) + 11) % 7);
}

Civil to_civil(Ms utc_ms, int offset_min) {
    const Ms local = utc_ms + static_cast<Ms>(offset_min) * kMinute;
    const std::int64_t days = floor_div(local, kDay);
    const Ms in_day = local - days * kDay;
    Civil c = civil_from_days(days);
    c.hour = static_cast<int>(in_day / kHour);
    c.minute = static_cast<int>((in_day % kHour) / kMinute);
    c.second = static_cast<int>((in_day % kMinute) / 1000);
    c.millis = static_cast<int>(in_day % 1000);
    return c;
}

Ms from_civil(const Civil& c) {
    return days_from_civil(c.year, c.month, c.day) * kDay + c.hour * kHour + c.minute * kMinute +
           c.second * Ms{1000} + c.millis;
}

std::string iso_utc(Ms utc_ms) {
    const Civil c = to_civil(utc_ms);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day,
                  c.hour, c.minute, c.second, c.millis);
    return buf;
}

std::string iso_offset(Ms utc_ms, int offset_min) {
    const Civil c = to_civil(utc_ms, offset_min);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                  c.minute, c.second);
    return buf + format_offset(offset_min);
}

std::string date_key(Ms utc_ms, int offset_min) {
    const Civil c = to_civil(utc_ms, offset_min);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
    return buf;
}

std::string plain_local(Ms utc_ms, int offset_min) {
    const Civil c = to_civil(utc_ms, offset_min);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                  c.minute, c.second);
    return buf;
}

std::optional<Ms> parse_iso(std::string_view text) {
    Civil c;
    if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    if (!parse_digits(text, 0, 4, c.year) || !parse_digits(text, 5, 2, c.month) ||
        !parse_digits(text, 8, 2, c.day) || !valid_date(c.year, c.month, c.day)) {
        return std::nullopt;
    }
    if (text.size() == 10) return from_civil(c);
    if (text[10] != 'T' && text[10] != ' ') return std::nullopt;
    if (!parse_digits(text, 11, 2, c.hour) || text.size() < 16 || text[13] != ':' ||
        !parse_digits(text, 14, 2, c.minute)) {
        return std::nullopt;
    }
    std::size_t pos = 16;
    if (pos < text.size() && text[pos] == ':') {
        if (!parse_digits(text, pos + 1, 2, c.second)) return std::nullopt;
        pos += 3;
        if (pos < text.size() && text[pos] == '.') {
            ++pos;
            int digits = 0;
            int frac = 0;
            while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
                if (digits < 3) frac = frac * 10 + (text[pos] - '0');
                ++digits;
                ++pos;
            }
            if (digits == 0) return std::nullopt;
            for (int i = digits; i < 3; ++i) frac *= 10;
            c.millis = frac;
        }
    }
    if (c.hour > 23 || c.minute > 59 || c.second > 60) return std::nullopt;
    int offset_min = 0;
    if (pos < text.size()) {
        const char sign = text[pos];
        if (sign == 'Z' || sign == 'z') {
            ++pos;
        } else if (sign == '+' || sign == '-') {
            int oh = 0;
            int om = 0;
            if (!parse_digits(text, pos + 1, 2, oh)) return std::nullopt;
            std::size_t mpos = pos + 3;
            if (mpos < text.size() && text[mpos] == ':') ++mpos;
            if (!parse_digits(text, mpos, 2, om) || oh > 23 || om > 59) return std::nullopt;
            offset_min = (oh * 60 + om) * (sign == '-' ? -1 : 1);
            pos = mpos + 2;
        } else {
            return std::nullopt;
        }
    }
    if (pos != text.size()) return std::nullopt;
    return from_civil(c) - static_cast<Ms>(offset_min) * kMinute;
}

std::optional<Ms> parse_mdy(std::string_view text) {
    Civil c;
    if (text.size() != 10 || text[2] != '-' || text[5] != '-') return std::nullopt;
    if (!parse_digits(text, 0, 2, c.month) || !parse_digits(text, 3, 2, c.day) ||
        !parse_digits(text, 6, 4, c.year) || !valid_date(c.year, c.month, c.day)) {
        return std::nullopt;
    }
    return from_civil(c);
}

bool TimeZone::in_dst(Ms utc_ms) const {
    if (dst_ == Dst::kNone) return false;
    const int year = to_civil(utc_ms, standard_offset_min_).year;
    if (dst_ == Dst::kUs) {
        // 02:00 local standard time -> 03:00 daylight; 02:00 daylight -> 01:00 standard.
        const Ms start = from_civil({year, 3, nth_sunday(year, 3, 2), 2, 0, 0, 0}) -
                         static_cast<Ms>(standard_offset_min_) * kMinute;
        const Ms end = from_civil({year, 11, nth_sunday(year, 11, 1), 2, 0, 0, 0}) -
                       static_cast<Ms>(standard_offset_min_ + 60) * kMinute;
        return utc_ms >= start && utc_ms < end;
    }
    const Ms start = from_civil({year, 3, last_sunday(year, 3), 1, 0, 0, 0});
    const Ms end = from_civil({year, 10, last_sunday(year, 10), 1, 0, 0, 0});
    return utc_ms >= start && utc_ms < end;
}

int TimeZone::offset_at(Ms utc_ms) const {
    return standard_offset_min_ + (in_dst(utc_ms) ? 60 : 0);
}

Ms TimeZone::to_utc(const Civil& local) const {
    const Ms wall = from_civil(local);
    // Try the daylight offset first so that an ambiguous (fall-back) time maps to its first
    // occurrence, then the standard offset; a wall time in the spring gap matches neither.
    if (dst_ != Dst::kNone) {
        const Ms daylight = wall - static_cast<Ms>(standard_offset_min_ + 60) * kMinute;
        if (offset_at(daylight) == standard_offset_min_ + 60) return daylight;
    }
    return wall - static_cast<Ms>(standard_offset_min_) * kMinute;
}

namespace {

const std::vector<TimeZone>& zone_table() {
    using D = TimeZone::Dst;
    static const std::vector<TimeZone> kZones = {
        {"UTC", 0, D::kNone},
        {"Etc/UTC", 0, D::kNone},
        {"GMT", 0, D::kNone},
        {"America/New_York", -300, D::kUs},
        {"America/Detroit", -300, D::kUs},
        {"America/Toronto", -300, D::kUs},
        {"US/Eastern", -300, D::kUs},
        {"America/Chicago", -360, D::kUs},
        {"US/Central", -360, D::kUs},
        {"America/Denver", -420, D::kUs},
        {"US/Mountain", -420, D::kUs},
        {"America/Phoenix", -420, D::kNone},
        {"America/Los_Angeles", -480, D::kUs},
        {"US/Pacific", -480, D::kUs},
        {"America/Anchorage", -540, D::kUs},
        {"Pacific/Honolulu", -600, D::kNone},
        {"Europe/London", 0, D::kEu},
        {"Europe/Dublin", 0, D::kEu},
        {"Europe/Lisbon", 0, D::kEu},
        {"Europe/Paris", 60, D::kEu},
        {"Europe/Berlin", 60, D::kEu},
        {"Europe/Madrid", 60, D::kEu},
        {"Europe/Rome", 60, D::kEu},
        {"Europe/Amsterdam", 60, D::kEu},
        {"Europe/Athens", 120, D::kEu},
        {"Asia/Dubai", 240, D::kNone},
        {"Asia/Kolkata", 330, D::kNone},
        {"Asia/Calcutta", 330, D::kNone},
        {"Asia/Singapore", 480, D::kNone},
        {"Asia/Tokyo", 540, D::kNone},
        {"Australia/Brisbane", 600, D::kNone},
    };
    return kZones;
}

}  // namespace

const TimeZone* find_zone(std::string_view name) {
    for (const TimeZone& zone : zone_table()) {
        if (zone.name() == name) return &zone;
    }
    return nullptr;
}

std::vector<std::string> zone_names() {
    std::vector<std::string> names;
    for (const TimeZone& zone : zone_table()) names.push_back(zone.name());
    return names;
}

}  // namespace ghlsim::timeutil
