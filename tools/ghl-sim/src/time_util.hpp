// Civil-time arithmetic, ISO-8601 formatting/parsing and a small table of time zones.
//
// Why a table and not <chrono> time zones: g++ 12's libstdc++ has no tzdb (std::chrono::
// locate_zone arrived in GCC 13), and POSIX TZ with localtime_r needs setenv("TZ"), which is
// process-wide and not thread-safe. The simulator only needs a few zones, so each zone here is a
// fixed standard offset plus one of three DST rules: none, US (second Sunday of March 02:00 local
// to first Sunday of November 02:00 local, since 2007) or EU (last Sunday of March to last Sunday
// of October, 01:00 UTC). Southern-hemisphere DST zones are deliberately absent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghlsim::timeutil {

using Ms = std::int64_t;

inline constexpr Ms kMinute = 60 * 1000;
inline constexpr Ms kHour = 60 * kMinute;
inline constexpr Ms kDay = 24 * kHour;

/// A wall-clock reading, broken down.
struct Civil {
    int year = 1970;
    int month = 1;  ///< 1..12
    int day = 1;    ///< 1..31
    int hour = 0;
    int minute = 0;
    int second = 0;
    int millis = 0;
};

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(int year, int month, int day);
/// The date of a day count since 1970-01-01.
Civil civil_from_days(std::int64_t days);
/// 0 = Sunday ... 6 = Saturday, for a day count since 1970-01-01.
int weekday_from_days(std::int64_t days);

/// The wall clock of `utc_ms` shifted by `offset_min`.
Civil to_civil(Ms utc_ms, int offset_min = 0);
/// Epoch ms of a wall-clock reading taken as UTC.
Ms from_civil(const Civil& c);

/// "2021-07-02T05:18:26.704Z"
std::string iso_utc(Ms utc_ms);
/// "2024-10-28T10:00:00-05:00" (seconds precision, like GHL's calendar times)
std::string iso_offset(Ms utc_ms, int offset_min);
/// "2024-10-28" in the given offset
std::string date_key(Ms utc_ms, int offset_min);
/// "2024-10-28 10:00:00" in the given offset (the shape of GET /contacts/{id}/appointments)
std::string plain_local(Ms utc_ms, int offset_min);

/// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with an optional "Z", "±HH:MM" or "±HHMM"
/// (no suffix means UTC). Returns nullopt on anything else.
std::optional<Ms> parse_iso(std::string_view text);
/// Parses "mm-dd-yyyy" (the opportunities search `date`/`endDate` format) as UTC midnight.
std::optional<Ms> parse_mdy(std::string_view text);

/// A time zone: a standard offset and a daylight-saving rule.
class TimeZone {
public:
    enum class Dst { kNone, kUs, kEu };
    TimeZone(std::string name, int standard_offset_min, Dst dst)
        : name_(std::move(name)), standard_offset_min_(standard_offset_min), dst_(dst) {}

    const std::string& name() const { return name_; }
    /// Minutes east of UTC in effect at `utc_ms`.
    int offset_at(Ms utc_ms) const;
    /// The UTC instant of a local wall-clock time. In the spring-forward gap the standard offset
    /// is used; in the fall-back overlap the earlier (daylight) instant is returned.
    Ms to_utc(const Civil& local) const;

private:
    bool in_dst(Ms utc_ms) const;
    std::string name_;
    int standard_offset_min_;
    Dst dst_;
};

/// The zone called `name` (IANA spelling), or nullptr if the table does not know it.
const TimeZone* find_zone(std::string_view name);
/// Every zone name the table knows, for error messages.
std::vector<std::string> zone_names();

}  // namespace ghlsim::timeutil
