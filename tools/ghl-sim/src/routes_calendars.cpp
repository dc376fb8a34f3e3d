// Calendars [D:calendars], Version 2021-04-15: calendars, groups, free slots (a map keyed by
// date), events in a window, and appointments (book, reschedule, get, delete).
//
// Free slots are the calendar's working hours in its own time zone, on its slot grid, from now
// on and within its booking window (allowBookingFor), minus the slots where no team member is
// free (a member is busy during any of their appointments that is not cancelled or invalid, in
// any calendar). Booking checks the requested start against those slots unless
// ignoreFreeSlotValidation, and answers GHL's 400 "The slot you have selected is no longer
// available." otherwise.
#include "api.hpp"

#include <algorithm>

namespace ghlsim {

namespace {

using timeutil::kDay;
using timeutil::kMinute;

constexpr const char* V = kVersionCalendars;
constexpr int kBookingWindowDays = 60;  // CalendarDTO allowBookingFor / allowBookingForUnit
constexpr Ms kMaxSlotRange = 31 * kDay;

const std::vector<std::string> kStatuses = {"new",  "confirmed", "cancelled",
                                            "showed", "noshow",  "invalid"};
const std::vector<std::string> kMeetingTypes = {"custom",  "zoom",     "gmeet", "phone",
                                                "address", "ms_teams", "google"};

const Calendar& calendar_or_400(const Store& store, const std::string& id) {
    const Calendar* cal = store.calendar(id);
    if (cal == nullptr) not_found("Calendar");
    return *cal;
}

bool blocks(const Appointment& a) { return a.status != "cancelled" && a.status != "invalid"; }

bool user_free(const Store& store, const std::string& user, Ms start, Ms end,
               const std::string& ignore_id) {
    for (const auto& [id, a] : store.appointments) {
        if (id == ignore_id || a.assigned_user_id != user || !blocks(a)) continue;
        if (a.start < end && start < a.end) return false;
    }
    return true;
}

struct Slot {
    Ms start = 0;
    Ms end = 0;
    std::vector<std::string> free_users;
};

/// The calendar's free slots starting within [from, to].
std::vector<Slot> free_slots(const Store& store, const Calendar& cal, Ms from, Ms to, Ms now,
                             const std::vector<std::string>& only_users, bool ignore_window,
                             const std::string& ignore_appointment = "") {
    std::vector<Slot> out;
    const timeutil::TimeZone* zone = timeutil::find_zone(cal.timezone);
    if (zone == nullptr) return out;
    std::vector<std::string> candidates;
    for (const std::string& u : cal.team_members) {
        if (only_users.empty() ||
            std::find(only_users.begin(), only_users.end(), u) != only_users.end()) {
            candidates.push_back(u);
        }
    }
    const timeutil::Civil first = timeutil::to_civil(from, zone->offset_at(from));
    const timeutil::Civil last = timeutil::to_civil(to, zone->offset_at(to));
    const std::int64_t first_day = timeutil::days_from_civil(first.year, first.month, first.day);
    const std::int64_t last_day = timeutil::days_from_civil(last.year, last.month, last.day);
    const Ms window_end = now + kBookingWindowDays * kDay;
    for (std::int64_t day = first_day; day <= last_day; ++day) {
        const int weekday = timeutil::weekday_from_days(day);
        if (std::find(cal.days.begin(), cal.days.end(), weekday) == cal.days.end()) continue;
        for (int minute = cal.open_minute; minute + cal.slot_duration_min <= cal.close_minute;
             minute += cal.slot_interval_min) {
            timeutil::Civil local = timeutil::civil_from_days(day);
            local.hour = minute / 60;
            local.minute = minute % 60;
            Slot slot;
            slot.start = zone->to_utc(local);
            slot.end = slot.start + cal.slot_duration_min * kMinute;
            if (slot.start < from || slot.start > to || slot.start < now) continue;
            if (!ignore_window && slot.start > window_end) continue;
            for (const std::string& u : candidates) {
                if (user_free(store, u, slot.start, slot.end, ignore_appointment)) {
                    slot.free_users.push_back(u);
                }
            }
            if (!slot.free_users.empty()) out.push_back(std::move(slot));
        }
    }
    return out;
}

[[noreturn]] void slot_taken() {
    throw ApiError::bad_request("The slot you have selected is no longer available.");
}

Ms epoch_ms_param(const Call& call, const std::string& name) {
    try {
        return std::stoll(call.query(name));
    } catch (const std::exception&) {
        throw ApiError::unprocessable({name + " must be a number conforming to the specified constraints"});
    }
}

Reply list_calendars(Call& call) {
    validate_query(call, {{"locationId", Kind::kString, true}, {"showDrafted", Kind::kBool}});
    check_location(call.store, call.query("locationId"));
    const std::string group = call.query("groupId");
    Json calendars = Json::array();
    for (const Calendar& c : call.store.calendars) {
        if (group.empty() || c.group_id == group) calendars.push_back(call.store.calendar_json(c));
    }
    return {200, {{"calendars", calendars}}};
}

Reply get_calendar(Call& call) {
    const Calendar& cal = calendar_or_400(call.store, call.param("calendarId"));
    return {200, {{"calendar", call.store.calendar_json(cal)}}};
}

Reply list_groups(Call& call) {
    validate_query(call, {{"locationId", Kind::kString, true}});
    check_location(call.store, call.query("locationId"));
    Json groups = Json::array();
    groups.push_back({{"locationId", call.store.location.id},
                      {"name", "Summit Team"},
                      {"description", "Every bookable calendar of the sandbox"},
                      {"slug", "summit-team"},
                      {"isActive", true},
                      {"id", call.store.calendar_group_id}});
    return {200, {{"groups", groups}}};
}

Reply get_free_slots(Call& call) {
    const Calendar& cal = calendar_or_400(call.store, call.param("calendarId"));
    validate_query(call, {{"startDate", Kind::kNumber, true}, {"endDate", Kind::kNumber, true}});
    const Ms from = epoch_ms_param(call, "startDate");
    const Ms to = epoch_ms_param(call, "endDate");
    if (to < from) throw ApiError::unprocessable({"endDate must be greater than startDate"});
    if (to - from > kMaxSlotRange) {
        throw ApiError::unprocessable({"The date range between startDate and endDate must not exceed 31 days"});
    }
    const std::string tz_name = call.query("timezone", cal.timezone);
    const timeutil::TimeZone* out_zone = timeutil::find_zone(tz_name);
    if (out_zone == nullptr) throw ApiError::unprocessable({"timezone must be a valid IANA time zone"});
    std::vector<std::string> users = call.query_all("userIds");
    if (call.has_query("userId")) users.push_back(call.query("userId"));
    for (const std::string& u : users) {
        if (std::find(cal.team_members.begin(), cal.team_members.end(), u) ==
            cal.team_members.end()) {
            throw ApiError::bad_request("User " + u + " is not a team member of this calendar");
        }
    }
    Json out = Json::object();
    for (const Slot& slot : free_slots(call.store, cal, from, to, call.now, users, false)) {
        const int offset = out_zone->offset_at(slot.start);
        const std::string day = timeutil::date_key(slot.start, offset);
        if (!out.contains(day)) out[day] = {{"slots", Json::array()}};
        out[day]["slots"].push_back(timeutil::iso_offset(slot.start, offset));
    }
    // Live GHL adds a traceId beside the dates (clients must skip keys that are not dates).
    out["traceId"] = call.store.trace_id();
    return {200, out};
}

Reply list_events(Call& call) {
    validate_query(call, {{"locationId", Kind::kString, true},
                          {"startTime", Kind::kNumber, true},
                          {"endTime", Kind::kNumber, true}});
    check_location(call.store, call.query("locationId"));
    const std::string calendar_id = call.query("calendarId");
    const std::string user_id = call.query("userId");
    const std::string group_id = call.query("groupId");
    if (calendar_id.empty() && user_id.empty() && group_id.empty()) {
        throw ApiError::bad_request("Either calendarId, userId or groupId is required");
    }
    if (!calendar_id.empty()) calendar_or_400(call.store, calendar_id);
    const Ms from = epoch_ms_param(call, "startTime");
    const Ms to = epoch_ms_param(call, "endTime");
    std::vector<const Appointment*> list;
    for (const auto& [id, a] : call.store.appointments) {
        if (!calendar_id.empty() && a.calendar_id != calendar_id) continue;
        if (!user_id.empty() && a.assigned_user_id != user_id) continue;
        if (!group_id.empty() && group_id != call.store.calendar_group_id) continue;
        if (a.end <= from || a.start >= to) continue;
        list.push_back(&a);
    }
    std::sort(list.begin(), list.end(), [](const Appointment* a, const Appointment* b) {
        return a->start != b->start ? a->start < b->start : a->id < b->id;
    });
    Json events = Json::array();
    for (const Appointment* a : list) events.push_back(call.store.event_json(*a));
    return {200, {{"events", events}}};
}

Reply blocked_slots(Call& call) {
    validate_query(call, {{"locationId", Kind::kString, true},
                          {"startTime", Kind::kNumber, true},
                          {"endTime", Kind::kNumber, true}});
    check_location(call.store, call.query("locationId"));
    return {200, {{"events", Json::array()}}};
}

std::vector<Field> appointment_fields(bool create) {
    std::vector<Field> fields = {
        {"title", Kind::kString},
        {"meetingLocationType", Kind::kString, false, kMeetingTypes},
        {"meetingLocationId", Kind::kString},
        {"overrideLocationConfig", Kind::kBool},
        {"appointmentStatus", Kind::kString, false, kStatuses},
        {"assignedUserId", Kind::kString},
        {"description", Kind::kString},
        {"address", Kind::kString},
        {"ignoreDateRange", Kind::kBool},
        {"toNotify", Kind::kBool},
        {"ignoreFreeSlotValidation", Kind::kBool},
        {"rrule", Kind::kString},
        {"calendarId", Kind::kString, create},
        {"startTime", Kind::kString, create},
        {"endTime", Kind::kString},
    };
    if (create) {
        fields.push_back({"locationId", Kind::kString, true});
        fields.push_back({"contactId", Kind::kString, true});
    }
    return fields;
}

/// Checks the slot and picks the member, unless told not to; returns the assigned user.
std::string place(const Store& store, const Calendar& cal, Ms start, const std::string& wanted_user,
                  const Json& body, Ms now, const std::string& ignore_id) {
    if (!wanted_user.empty() && std::find(cal.team_members.begin(), cal.team_members.end(),
                                          wanted_user) == cal.team_members.end()) {
        throw ApiError::bad_request("assignedUserId is not a team member of this calendar");
    }
    if (body.value("ignoreFreeSlotValidation", false)) {
        return wanted_user.empty() ? cal.team_members.front() : wanted_user;
    }
    std::vector<std::string> only;
    if (!wanted_user.empty()) only.push_back(wanted_user);
    const std::vector<Slot> slots = free_slots(store, cal, start, start, now, only,
                                               body.value("ignoreDateRange", false), ignore_id);
    if (slots.empty() || slots.front().start != start) slot_taken();
    return slots.front().free_users.front();
}

Reply book(Call& call) {
    const Json& body = call.body();
    validate_body(body, appointment_fields(true));
    Store& store = call.store;
    check_location(store, str(body, "locationId"));
    const Calendar& cal = calendar_or_400(store, str(body, "calendarId"));
    const Contact& contact = contact_or_400(store, str(body, "contactId"));
    const Ms start = parse_time_field(str(body, "startTime"), "startTime");
    const Ms end = body.contains("endTime") ? parse_time_field(str(body, "endTime"), "endTime")
                                            : start + cal.slot_duration_min * kMinute;
    if (end <= start) throw ApiError::bad_request("endTime must be after startTime");
    Appointment a;
    a.assigned_user_id = place(store, cal, start, str(body, "assignedUserId"), body, call.now, "");
    a.id = store.new_id();
    a.calendar_id = cal.id;
    a.contact_id = contact.id;
    a.start = start;
    a.end = end;
    a.title = body.contains("title") ? str(body, "title") : contact.full_name();
    a.status = body.contains("appointmentStatus") ? str(body, "appointmentStatus") : "confirmed";
    a.address = str(body, "address");
    a.description = str(body, "description");
    a.meeting_location_type = body.contains("meetingLocationType") ? str(body, "meetingLocationType")
                                                                    : "custom";
    a.rrule = str(body, "rrule");
    a.date_added = store.stamp(call.now);
    a.date_updated = a.date_added;
    ++store.counters.appointments_created;
    call.emit([&] { return appointment_event(store, a, "AppointmentCreate"); });
    const Json out = store.appointment_json(a);
    store.appointments.emplace(a.id, std::move(a));
    return {200, out};
}

Appointment& appointment_or_400(Store& store, const std::string& id) {
    const auto it = store.appointments.find(id);
    if (it == store.appointments.end()) not_found("Appointment");
    return it->second;
}

Reply update_appointment(Call& call) {
    Store& store = call.store;
    Appointment& a = appointment_or_400(store, call.param("eventId"));
    const Json& body = call.body();
    validate_body(body, appointment_fields(false));
    const Calendar& cal = calendar_or_400(
        store, body.contains("calendarId") ? str(body, "calendarId") : a.calendar_id);
    Appointment next = a;
    next.calendar_id = cal.id;
    if (body.contains("startTime")) {
        next.start = parse_time_field(str(body, "startTime"), "startTime");
        next.end = next.start + (a.end - a.start);
    }
    if (body.contains("endTime")) next.end = parse_time_field(str(body, "endTime"), "endTime");
    if (next.end <= next.start) throw ApiError::bad_request("endTime must be after startTime");
    if (body.contains("appointmentStatus")) next.status = str(body, "appointmentStatus");
    const bool moved = next.start != a.start || next.calendar_id != a.calendar_id ||
                       (body.contains("assignedUserId") &&
                        str(body, "assignedUserId") != a.assigned_user_id);
    if (moved && blocks(next)) {
        const std::string wanted = str(body, "assignedUserId");
        if (wanted.empty() && next.calendar_id == a.calendar_id) {
            try {  // keep the same member when they are free at the new time
                next.assigned_user_id = place(store, cal, next.start, a.assigned_user_id, body,
                                              call.now, a.id);
            } catch (const ApiError&) {
                next.assigned_user_id = place(store, cal, next.start, "", body, call.now, a.id);
            }
        } else {
            next.assigned_user_id = place(store, cal, next.start, wanted, body, call.now, a.id);
        }
    }
    if (body.contains("title")) next.title = str(body, "title");
    if (body.contains("address")) next.address = str(body, "address");
    if (body.contains("description")) next.description = str(body, "description");
    if (body.contains("meetingLocationType")) next.meeting_location_type = str(body, "meetingLocationType");
    if (body.contains("rrule")) next.rrule = str(body, "rrule");
    next.date_updated = store.stamp(call.now);
    a = next;
    ++store.counters.appointments_updated;
    call.emit([&] { return appointment_event(store, a, "AppointmentUpdate"); });
    return {200, store.appointment_json(a)};
}

Reply get_appointment(Call& call) {
    const Appointment& a = appointment_or_400(call.store, call.param("eventId"));
    return {200, {{"event", call.store.event_json(a)}}};
}

Reply delete_event(Call& call) {
    const Appointment& a = appointment_or_400(call.store, call.param("eventId"));
    call.emit([&] { return appointment_event(call.store, a, "AppointmentDelete"); });
    const std::string id = a.id;
    call.store.appointments.erase(id);
    ++call.store.counters.appointments_deleted;
    return {201, {{"succeeded", true}}};
}

}  // namespace

void register_calendar_routes(Router& router) {
    const int status = 400;  // the calendars spec declares no 422
    router.add("GET", "/calendars", V, list_calendars, status);
    router.add("GET", "/calendars/groups", V, list_groups, status);
    router.add("GET", "/calendars/events", V, list_events, status);
    router.add("GET", "/calendars/blocked-slots", V, blocked_slots, status);
    router.add("GET", "/calendars/{calendarId}", V, get_calendar, status);
    router.add("GET", "/calendars/{calendarId}/free-slots", V, get_free_slots, status);
    router.add("POST", "/calendars/events/appointments", V, book, status);
    router.add("GET", "/calendars/events/appointments/{eventId}", V, get_appointment, status);
    router.add("PUT", "/calendars/events/appointments/{eventId}", V, update_appointment, status);
    router.add("DELETE", "/calendars/events/{eventId}", V, delete_event, status);
}

}  // namespace ghlsim
