// Tool group: calendars. Definitions: schemas/tools/<name>.json; handlers here.
//
// Time zones without a time-zone database: GHL writes every calendar time with the offset of the
// zone it answers in ("2026-11-24T09:00:00-05:00"), so a time's local wall clock is its own text.
// A date or time the caller gives without an offset ("2026-11-24") is read as a wall-clock time
// in that same zone: the request to GHL is widened by the largest offsets in use (UTC-12 to
// UTC+14) and the answer is filtered by each item's wall clock. Times with an offset are exact.
#include "tools/groups.hpp"
#include "tools/support.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <utility>

namespace tools {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 60 * kMinuteMs;
constexpr std::int64_t kDayMs = 24 * kHourMs;
/// GHL's free-slots range limit, also applied to appointment listings.
constexpr std::int64_t kMaxRangeMs = 31 * kDayMs;
/// A wall-clock reading happens between 14 h before (UTC+14) and 12 h after (UTC-12) the same
/// reading taken as UTC.
constexpr std::int64_t kEastmostMs = 14 * kHourMs;
constexpr std::int64_t kWestmostMs = 12 * kHourMs;
constexpr std::size_t kNearbySlots = 5;

// ---- Times ----------------------------------------------------------------------------------

/// A GHL time: the instant, and the local wall clock it was written in (read as if UTC).
struct When {
    std::int64_t utc = 0;
    std::int64_t wall = 0;
};

std::optional<When> when_of(const json& value) {
    if (!value.is_string()) {
        auto ms = ghl_time_ms(value);
        if (!ms) return std::nullopt;
        return When{*ms, *ms};
    }
    const auto& text = value.get_ref<const std::string&>();
    auto ms = parse_iso(text);
    if (!ms) return std::nullopt;
    return When{*ms, *ms + iso_offset_minutes(text).value_or(0) * kMinuteMs};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/// "Tue 2026-11-24 09:00" for a wall-clock reading.
std::string local_text(std::int64_t wall_ms) {
    static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    const std::int64_t days = floor_div(wall_ms, kDayMs);
    std::time_t secs = static_cast<std::time_t>(floor_div(wall_ms, 1000));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return std::string(kDays[((days % 7) + 7) % 7]) + " " + buf;
}

/// "2026-11-24T09:30:00-05:00": `utc_ms` written at `offset_min` minutes east of UTC.
std::string iso_at(std::int64_t utc_ms, int offset_min) {
    std::time_t secs = static_cast<std::time_t>(floor_div(utc_ms + offset_min * kMinuteMs, 1000));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    const int abs_min = offset_min < 0 ? -offset_min : offset_min;
    char zone[16];
    std::snprintf(zone, sizeof zone, "%c%02d:%02d", offset_min < 0 ? '-' : '+', abs_min / 60,
                  abs_min % 60);
    return std::string(buf) + zone;
}

/// An exact time argument: ISO 8601 with a UTC offset or Z (what GHL's booking API takes).
struct Instant {
    std::string text;
    std::int64_t utc = 0;
    int offset_min = 0;
};

std::optional<Instant> opt_instant_arg(const json& args, std::string_view key) {
    auto text = arg_opt_string(args, key);
    if (!text) return std::nullopt;
    auto ms = parse_iso(*text);
    auto offset = iso_offset_minutes(*text);
    if (!ms || !offset || text->size() < 19)
        invalid_argument(std::string(key) + " \"" + *text +
                         "\" must be an ISO 8601 date-time with seconds and a UTC offset, e.g. "
                         "2026-11-24T09:00:00-05:00 (or ...Z for UTC).");
    return Instant{*text, *ms, *offset};
}

Instant instant_arg(const json& args, std::string_view key) {
    auto instant = opt_instant_arg(args, key);
    if (!instant) invalid_argument(std::string(key) + " is required (ISO 8601 with a UTC offset).");
    return *instant;
}

/// One end of a time window. exact: `ms` is an instant; otherwise a wall-clock reading in the
/// zone of the answer (each calendar's own, or the requested one).
struct Bound {
    std::int64_t ms = 0;
    bool exact = true;
};

Bound bound_arg(const json& args, std::string_view key, bool is_end) {
    const std::string text = arg_string(args, key);
    auto ms = parse_iso(text);
    if (!ms)
        invalid_argument(std::string(key) + " \"" + text +
                         "\" is not an ISO 8601 date or time; use e.g. 2026-11-24 or "
                         "2026-11-24T09:00:00-05:00.");
    Bound b{*ms, iso_offset_minutes(text).has_value()};
    if (is_end && text.size() == 10) b.ms += kDayMs;  // an end date includes that whole day
    return b;
}

/// The earliest / latest instant a bound can stand for.
std::int64_t earliest(const Bound& b) {
    return b.exact ? b.ms : b.ms - kEastmostMs;
}
std::int64_t latest(const Bound& b) {
    return b.exact ? b.ms : b.ms + kWestmostMs;
}

/// from <= w < to.
bool in_window(const Bound& from, const Bound& to, const When& w) {
    return (from.exact ? w.utc : w.wall) >= from.ms && (to.exact ? w.utc : w.wall) < to.ms;
}

void check_window(const Bound& from, const Bound& to, std::string_view from_key,
                  std::string_view to_key) {
    if (to.ms <= from.ms)
        invalid_argument(std::string(to_key) + " must be after " + std::string(from_key) + ".");
    if (to.ms - from.ms > kMaxRangeMs)
        invalid_argument("The window from " + std::string(from_key) + " to " + std::string(to_key) +
                         " is longer than 31 days (GHL's limit); ask for 31 days or less and "
                         "call again for the rest.");
}

// ---- Free slots -----------------------------------------------------------------------------

struct FreeSlot {
    std::string text;  // as GHL wrote it, with the offset of the zone it answered in
    When when;
};

/// GHL's free slots starting within [lo, hi] (epoch ms), flat and sorted. GHL answers a map keyed
/// by local date ({"2026-11-24": {"slots": [...]}, "traceId": "..."}) for at most 31 days per
/// request, so a longer span is asked for in pieces.
std::vector<FreeSlot> fetch_free_slots(GhlAccess& ghl, mcp::ToolContext& ctx,
                                       const std::string& calendar_id, std::int64_t lo,
                                       std::int64_t hi, const std::optional<std::string>& timezone,
                                       const std::optional<std::string>& user_id,
                                       const std::string& location) {
    std::vector<FreeSlot> out;
    std::int64_t from = lo;
    do {
        const std::int64_t to = std::min(hi, from + kMaxRangeMs);
        ghl::Params query{{"startDate", std::to_string(from)}, {"endDate", std::to_string(to)}};
        if (timezone) query.emplace_back("timezone", *timezone);
        if (user_id) query.emplace_back("userId", *user_id);
        const json days = ghl.call(ctx, "calendars.free_slots", {{"calendarId", calendar_id}},
                                   query, nullptr, location);
        if (days.is_object()) {
            for (const auto& [key, day] : days.items()) {
                if (key.size() != 10 || !parse_iso(key) || !day.is_object()) continue;  // traceId
                auto slots = day.find("slots");
                if (slots == day.end() || !slots->is_array()) continue;
                for (const auto& slot : *slots) {
                    auto when = when_of(slot);
                    if (when && slot.is_string()) out.push_back({slot.get<std::string>(), *when});
                }
            }
        }
        from = to;
    } while (from < hi);
    std::sort(out.begin(), out.end(),
              [](const FreeSlot& a, const FreeSlot& b) { return a.when.utc < b.when.utc; });
    out.erase(
        std::unique(out.begin(), out.end(),
                    [](const FreeSlot& a, const FreeSlot& b) { return a.when.utc == b.when.utc; }),
        out.end());
    return out;
}

void refuse_past(const Instant& start) {
    if (start.utc < now_ms())
        invalid_argument("startTime " + start.text +
                         " is in the past; pick a future slot (get_free_slots), or pass "
                         "skipSlotCheck=true to record a past appointment.");
}

/// Throws a ToolFailure naming that day's nearest free slots unless `start` is one of the
/// calendar's free slots. "That day" is the local day of `start` in its own offset.
void require_free_slot(GhlAccess& ghl, mcp::ToolContext& ctx, const std::string& calendar_id,
                       const Instant& start, const std::optional<std::string>& user_id,
                       const std::string& location) {
    const std::int64_t offset_ms = start.offset_min * kMinuteMs;
    const std::int64_t day_start = floor_div(start.utc + offset_ms, kDayMs) * kDayMs - offset_ms;
    const std::int64_t lo = std::max(day_start, std::min(now_ms(), start.utc));
    const auto slots = fetch_free_slots(ghl, ctx, calendar_id, lo, day_start + kDayMs - 1,
                                        std::nullopt, user_id, location);
    for (const auto& slot : slots)
        if (slot.when.utc == start.utc) return;

    std::vector<FreeSlot> nearest = slots;
    std::sort(nearest.begin(), nearest.end(), [&](const FreeSlot& a, const FreeSlot& b) {
        const auto da = std::llabs(a.when.utc - start.utc), db = std::llabs(b.when.utc - start.utc);
        return da != db ? da < db : a.when.utc < b.when.utc;
    });
    if (nearest.size() > kNearbySlots) nearest.resize(kNearbySlots);
    std::sort(nearest.begin(), nearest.end(),
              [](const FreeSlot& a, const FreeSlot& b) { return a.when.utc < b.when.utc; });

    std::string text = "[tools.slot_not_free] " + start.text + " is not a free slot of calendar " +
                       calendar_id + (user_id ? " for user " + *user_id : std::string()) + ". ";
    if (nearest.empty()) {
        text += "That day has no free slots left; call get_free_slots to find another day.";
    } else {
        text += "Nearest free slots that day: ";
        for (std::size_t i = 0; i < nearest.size(); ++i)
            text +=
                (i ? ", " : "") + nearest[i].text + " (" + local_text(nearest[i].when.wall) + ")";
        text += ". Book one of those, or call get_free_slots for other days.";
    }
    throw ToolFailure(text);
}

// ---- Shaping --------------------------------------------------------------------------------

/// An appointment as tools return it: GHL's book/update answer (top level), `{event}` of the get
/// or an item of the events listing. Times stay as GHL wrote them (ISO with the calendar's
/// offset); epoch values become ISO UTC.
json shape_appointment(const json& a) {
    json out = pick(a, {"id", "calendarId", "contactId", "title"});
    if (a.contains("appointmentStatus") && a["appointmentStatus"].is_string())
        out["status"] = a["appointmentStatus"];
    else if (a.contains("status") && a["status"].is_string())
        out["status"] = a["status"];
    for (const char* key : {"startTime", "endTime"}) {
        const json v = get_or_null(a, key);
        if (v.is_string() && iso_offset_minutes(v.get<std::string>()))
            out[key] = v;
        else if (auto ms = ghl_time_ms(v))
            out[key] = iso_utc(*ms);
    }
    if (a.contains("assignedUserId") && a["assignedUserId"].is_string() &&
        !a["assignedUserId"].get<std::string>().empty())
        out["assignedUserId"] = a["assignedUserId"];
    for (const char* key : {"address", "description", "notes"})
        if (a.contains(key) && a[key].is_string() && !a[key].get<std::string>().empty())
            out[key] = a[key];
    if (a.value("isRecurring", false)) out["rrule"] = get_or_null(a, "rrule");
    return without_nulls(std::move(out));
}

json appointment_result(const json& appointment) {
    return {{"appointment", shape_appointment(appointment)}};
}

/// The appointment object of a GHL answer: `{event}` (get), `{appointment}` or top level
/// (book/update).
const json& appointment_of(const json& response) {
    if (response.is_object()) {
        for (const char* key : {"event", "appointment"}) {
            auto it = response.find(key);
            if (it != response.end() && it->is_object()) return *it;
        }
    }
    return response;
}

json shape_calendar(const json& c) {
    json out = pick(c, {"id", "name", "timezone"});
    json members = json::array();
    if (c.contains("teamMembers") && c["teamMembers"].is_array())
        for (const auto& m : c["teamMembers"])
            if (m.contains("userId") && m["userId"].is_string()) members.push_back(m["userId"]);
    out["teamMemberIds"] = std::move(members);
    if (c.contains("slotDuration") && c["slotDuration"].is_number()) {
        const double d = c["slotDuration"].get<double>();
        const bool hours = c.value("slotDurationUnit", std::string("mins")) == "hours";
        out["slotMinutes"] = static_cast<std::int64_t>(hours ? d * 60 : d);
    }
    if (c.contains("isActive") && c["isActive"].is_boolean()) out["active"] = c["isActive"];
    return out;
}

// ---- Handlers -------------------------------------------------------------------------------

mcp::ToolHandler make_list_calendars(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const json body =
            ghl.call(ctx, "calendars.list", {}, {{"locationId", location}}, nullptr, location);
        json calendars = json::array();
        if (body.contains("calendars") && body["calendars"].is_array())
            for (const auto& c : body["calendars"]) calendars.push_back(shape_calendar(c));
        const auto count = calendars.size();
        return mcp::ToolResult::structured_result(
            {{"calendars", std::move(calendars)}, {"count", count}});
    };
}

mcp::ToolHandler make_get_free_slots(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string calendar_id = arg_string(args, "calendarId");
        const Bound from = bound_arg(args, "startDate", false);
        const Bound to = bound_arg(args, "endDate", true);
        check_window(from, to, "startDate", "endDate");
        const auto timezone = arg_opt_string(args, "timezone");
        const auto user_id = arg_opt_string(args, "userId");
        const auto limit = static_cast<std::size_t>(arg_int(args, "limit", 50));

        // Free slots lie in the future: do not ask GHL about the past.
        const std::int64_t lo = std::max(earliest(from), now_ms());
        const std::int64_t hi = latest(to);
        std::vector<FreeSlot> slots;
        if (lo < hi)
            slots = fetch_free_slots(ghl, ctx, calendar_id, lo, hi, timezone, user_id, location);
        std::erase_if(slots, [&](const FreeSlot& s) { return !in_window(from, to, s.when); });

        json out_slots = json::array();
        for (std::size_t i = 0; i < slots.size() && i < limit; ++i)
            out_slots.push_back({{"start", slots[i].text},
                                 {"startUtc", iso_utc(slots[i].when.utc)},
                                 {"localTime", local_text(slots[i].when.wall)}});
        json out = {{"slots", out_slots},
                    {"count", out_slots.size()},
                    {"timezone", timezone ? *timezone : std::string("the calendar's own")}};
        if (slots.size() > limit) {
            out["note"] = std::to_string(slots.size() - limit) +
                          " more free slots in this range, " + "the next at " + slots[limit].text +
                          ": narrow the range (e.g. startDate=" + slots[limit].text +
                          ") or raise limit (max 200).";
        } else if (slots.empty()) {
            out["note"] = lo < hi ? "No free slots in this range; try other dates."
                                  : "The range is in the past; free slots are only in the future.";
        }
        return mcp::ToolResult::structured_result(std::move(out));
    };
}

mcp::ToolHandler make_book_appointment(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string calendar_id = arg_string(args, "calendarId");
        const Instant start = instant_arg(args, "startTime");
        const auto end = opt_instant_arg(args, "endTime");
        if (end && end->utc <= start.utc) invalid_argument("endTime must be after startTime.");
        const auto user_id = arg_opt_string(args, "userId");
        const bool skip = arg_bool(args, "skipSlotCheck", false);
        if (!skip) {
            refuse_past(start);
            require_free_slot(ghl, ctx, calendar_id, start, user_id, location);
        }
        json body = {{"calendarId", calendar_id},
                     {"locationId", location},
                     {"contactId", arg_string(args, "contactId")},
                     {"startTime", start.text}};
        if (end) body["endTime"] = end->text;
        copy_args(args, body, {"title", "description", "address"});
        if (user_id) body["assignedUserId"] = *user_id;
        // Our check ran (or was waived): GHL still validates the slot unless told not to.
        if (skip) body["ignoreFreeSlotValidation"] = true;
        const json created = ghl.call(ctx, "calendars.appointments.create", {}, {}, body, location);
        return mcp::ToolResult::structured_result(appointment_result(appointment_of(created)));
    };
}

mcp::ToolHandler make_reschedule_appointment(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string id = arg_string(args, "appointmentId");
        const Instant start = instant_arg(args, "startTime");
        const auto end = opt_instant_arg(args, "endTime");
        if (end && end->utc <= start.utc) invalid_argument("endTime must be after startTime.");
        const bool skip = arg_bool(args, "skipSlotCheck", false);

        const json current = appointment_of(
            ghl.call(ctx, "calendars.appointments.get", {{"eventId", id}}, {}, nullptr, location));
        if (current.value("appointmentStatus", std::string()) == "cancelled")
            throw ToolFailure("[tools.appointment_cancelled] Appointment " + id +
                              " is cancelled; book a new one with book_appointment instead.");
        const auto old_start = when_of(get_or_null(current, "startTime"));
        const auto old_end = when_of(get_or_null(current, "endTime"));

        // Keep the length unless a new end is given; send the end explicitly so GHL never keeps
        // the old one behind the new start.
        std::optional<Instant> new_end = end;
        if (!new_end && old_start && old_end && old_end->utc > old_start->utc) {
            const std::int64_t utc = start.utc + (old_end->utc - old_start->utc);
            new_end = Instant{iso_at(utc, start.offset_min), utc, start.offset_min};
        }
        if (!skip) {
            refuse_past(start);
            // A move that overlaps the appointment's own time is blocked only by itself in the
            // free slots; GHL's own check ignores the appointment being moved.
            const bool overlaps_itself = old_start && old_end && start.utc < old_end->utc &&
                                         old_start->utc < (new_end ? new_end->utc : start.utc + 1);
            const std::string calendar_id = current.value("calendarId", std::string());
            if (!overlaps_itself && !calendar_id.empty())
                require_free_slot(ghl, ctx, calendar_id, start, std::nullopt, location);
        }
        json body = {{"startTime", start.text}};
        if (new_end) body["endTime"] = new_end->text;
        if (skip) body["ignoreFreeSlotValidation"] = true;
        const json updated =
            ghl.call(ctx, "calendars.appointments.update", {{"eventId", id}}, {}, body, location);
        json out = appointment_result(appointment_of(updated));
        if (current.contains("startTime") && current["startTime"].is_string())
            out["previousStartTime"] = current["startTime"];
        return mcp::ToolResult::structured_result(std::move(out));
    };
}

mcp::ToolHandler make_cancel_appointment(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const json updated = ghl.call(ctx, "calendars.appointments.update",
                                      {{"eventId", arg_string(args, "appointmentId")}}, {},
                                      {{"appointmentStatus", "cancelled"}}, location);
        return mcp::ToolResult::structured_result(appointment_result(appointment_of(updated)));
    };
}

mcp::ToolHandler make_get_appointment(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const json got =
            ghl.call(ctx, "calendars.appointments.get",
                     {{"eventId", arg_string(args, "appointmentId")}}, {}, nullptr, location);
        return mcp::ToolResult::structured_result(appointment_result(appointment_of(got)));
    };
}

mcp::ToolHandler make_list_appointments(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const auto calendar_id = arg_opt_string(args, "calendarId");
        const auto user_id = arg_opt_string(args, "userId");
        if (calendar_id.has_value() == user_id.has_value())
            invalid_argument(
                "Pass exactly one of calendarId (one calendar's appointments) or "
                "userId (one team member's, across calendars).");
        const auto limit = static_cast<std::size_t>(arg_int(args, "limit", 50));

        // The cursor pins "now" (so a default window does not drift between pages) and the last
        // appointment returned (start, id): the next page starts after it.
        json filters = {{"locationId", location}};
        copy_args(args, filters, {"calendarId", "userId", "startTime", "endTime"});
        const CursorScope cursors = cursor_scope(env, ctx, location);
        const json position = cursor_position(cursors, args, "calendars.events.list", filters);
        // A cursor is only ever made by this handler; a member of the wrong type is ignored.
        const auto number_at = [&position](const char* key) -> std::optional<std::int64_t> {
            auto it = position.find(key);
            if (it == position.end() || !it->is_number_integer()) return std::nullopt;
            return it->get<std::int64_t>();
        };
        const std::int64_t now = number_at("now").value_or(now_ms());
        const bool has_start = arg_opt_string(args, "startTime").has_value();
        const Bound from = has_start ? bound_arg(args, "startTime", false) : Bound{now, true};
        const Bound to = arg_opt_string(args, "endTime") ? bound_arg(args, "endTime", true)
                                                         : Bound{from.ms + 7 * kDayMs, from.exact};
        check_window(from, to, "startTime", "endTime");
        const auto after_ms = number_at("after");
        const bool after_cursor = after_ms.has_value();
        const std::int64_t after = after_ms.value_or(0);
        const std::string after_id = position.contains("id") && position["id"].is_string()
                                         ? position["id"].get<std::string>()
                                         : "";

        std::int64_t lo = earliest(from);
        if (after_cursor) lo = std::max(lo, after);
        ghl::Params query{{"locationId", location}};
        if (calendar_id) query.emplace_back("calendarId", *calendar_id);
        if (user_id) query.emplace_back("userId", *user_id);
        query.emplace_back("startTime", std::to_string(lo));
        query.emplace_back("endTime", std::to_string(latest(to)));
        const json body = ghl.call(ctx, "calendars.events.list", {}, query, nullptr, location);

        struct Item {
            std::int64_t utc;
            std::string id;
            const json* event;
        };
        std::vector<Item> items;
        if (body.contains("events") && body["events"].is_array()) {
            for (const auto& e : body["events"]) {
                const std::string id = e.value("id", std::string());
                auto when = when_of(get_or_null(e, "startTime"));
                if (when && !in_window(from, to, *when)) continue;
                const std::int64_t utc =
                    when ? when->utc : std::numeric_limits<std::int64_t>::max();
                if (after_cursor && std::pair(utc, id) <= std::pair(after, after_id)) continue;
                items.push_back({utc, id, &e});
            }
        }
        std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
            return std::pair(a.utc, a.id) < std::pair(b.utc, b.id);
        });
        json out = json::array();
        for (std::size_t i = 0; i < items.size() && i < limit; ++i)
            out.push_back(shape_appointment(*items[i].event));
        std::string next;
        if (items.size() > limit) {
            const Item& last = items[limit - 1];
            next = make_cursor(cursors,
                               {"calendars.events.list",
                                ghl::Pagination::kNone,
                                {{"now", now}, {"after", last.utc}, {"id", last.id}}},
                               filters);
        }
        return mcp::ToolResult::structured_result(
            list_output("appointments", std::move(out), next));
    };
}

}  // namespace

std::vector<Registration> calendar_tools() {
    return {
        {"book_appointment", make_book_appointment},
        {"cancel_appointment", make_cancel_appointment},
        {"get_appointment", make_get_appointment},
        {"get_free_slots", make_get_free_slots},
        {"list_appointments", make_list_appointments},
        {"list_calendars", make_list_calendars},
        {"reschedule_appointment", make_reschedule_appointment},
    };
}

}  // namespace tools
