// calendars toolset against the simulator's seed (New York, Chicago with two members, Los
// Angeles; Mon-Fri 09:00-17:00 in each calendar's zone on a 30-minute grid): the exact GHL
// requests, the shaped output, the slot checks, and the effects of booking, rescheduling and
// cancelling seen through follow-up reads and the simulator's counters.
#include "sandbox_fixture.hpp"

#include "tools/support.hpp"

#include <set>

namespace tools_test {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kDay = 86'400'000;

std::int64_t ms_of(const json& iso) {
    return tools::parse_iso(iso.get<std::string>()).value();
}
/// The local wall clock ("2026-11-24T09:00") of a GHL time, as written.
std::string wall_of(const json& iso) {
    return iso.get<std::string>().substr(0, 16);
}
std::string utc_date(std::int64_t ms) {
    return tools::iso_utc(ms).substr(0, 10);
}

class CalendarsTest : public SandboxTest {
  protected:
    std::string new_york() { return seed().calendar_ids.at(0); }
    std::string chicago() { return seed().calendar_ids.at(1); }
    std::string los_angeles() { return seed().calendar_ids.at(2); }
    std::string a_contact(std::size_t i = 0) { return seed().phone_only_contact_ids.at(i); }

    /// Free slots of `calendar` on the dates from today+from_days to today+to_days.
    json slots(const std::string& calendar, int from_days, int to_days,
               json extra = json::object()) {
        json args = {{"calendarId", calendar},
                     {"startDate", utc_date(tools::now_ms() + from_days * kDay)},
                     {"endDate", utc_date(tools::now_ms() + to_days * kDay)},
                     {"limit", 200}};
        args.update(extra);
        return ok("get_free_slots", args)["slots"];
    }
    /// A free slot two or more days ahead (the first one of its day, so that day has more).
    json a_free_slot(const std::string& calendar) {
        json s = slots(calendar, 2, 9);
        EXPECT_FALSE(s.empty());
        return s.empty() ? json() : s[0];
    }
    json book(const std::string& calendar, const json& slot_start, std::size_t contact = 0,
              json extra = json::object()) {
        json args = {
            {"calendarId", calendar}, {"contactId", a_contact(contact)}, {"startTime", slot_start}};
        args.update(extra);
        return ok("book_appointment", args)["appointment"];
    }
    bool offers(const std::string& calendar, const json& start) {
        for (const auto& s : slots(calendar, 0, 12))
            if (ms_of(s["start"]) == ms_of(start)) return true;
        return false;
    }
    json listed(const std::string& calendar, const std::string& id) {
        json out =
            ok("list_appointments", {{"calendarId", calendar},
                                     {"startTime", tools::iso_utc(tools::now_ms())},
                                     {"endTime", tools::iso_utc(tools::now_ms() + 14 * kDay)},
                                     {"limit", 200}});
        for (const auto& a : out["appointments"])
            if (a["id"] == id) return a;
        return nullptr;
    }
};

// ---- list_calendars -------------------------------------------------------------------------

TEST_F(CalendarsTest, ListCalendarsShapesTheSeedWithOneRequest) {
    json out = ok("list_calendars", json::object());
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/calendars/");
    EXPECT_EQ(r.headers["version"], "2021-04-15");
    EXPECT_EQ(query_param(r, "locationId"), seed().location_id);

    ASSERT_EQ(out["count"], 3);
    const json& c = out["calendars"];
    ASSERT_EQ(c.size(), 3u);
    const std::vector<std::string> zones = {"America/New_York", "America/Chicago",
                                            "America/Los_Angeles"};
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(c[i]["id"], seed().calendar_ids[i]);
        EXPECT_EQ(c[i]["timezone"], zones[i]);
        EXPECT_EQ(c[i]["slotMinutes"], 30);
        EXPECT_EQ(c[i]["active"], true);
        EXPECT_TRUE(c[i]["name"].is_string());
        EXPECT_FALSE(c[i].contains("openHours")) << "raw GHL fields must not leak";
        EXPECT_FALSE(c[i].contains("teamMembers"));
    }
    EXPECT_EQ(c[0]["teamMemberIds"].size(), 1u);
    ASSERT_EQ(c[1]["teamMemberIds"].size(), 2u);
    EXPECT_EQ(c[1]["teamMemberIds"][0], seed().user_ids[1]);
    EXPECT_EQ(c[1]["teamMemberIds"][1], seed().user_ids[2]);
}

TEST_F(CalendarsTest, ListCalendarsForAnotherLocationIsRefusedByGhl) {
    std::string text = tool_error("list_calendars", {{"locationId", "otherLocation0000001"}});
    EXPECT_TRUE(contains(text, "location")) << text;
}

// ---- get_free_slots -------------------------------------------------------------------------

TEST_F(CalendarsTest, FreeSlotsAreFlatSortedWorkingHoursAndInsideTheDates) {
    const std::string first = utc_date(tools::now_ms() + 2 * kDay);
    const std::string last = utc_date(tools::now_ms() + 8 * kDay);
    json out =
        ok("get_free_slots",
           {{"calendarId", new_york()}, {"startDate", first}, {"endDate", last}, {"limit", 200}});
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/calendars/" + new_york() + "/free-slots");
    EXPECT_EQ(r.headers["version"], "2021-04-15");
    // Dates are local to the calendar: GHL is asked for the widest instants they can mean.
    EXPECT_EQ(query_param(r, "startDate"),
              std::to_string(tools::parse_iso(first).value() - 14 * 60 * kMinute));
    EXPECT_EQ(query_param(r, "endDate"),
              std::to_string(tools::parse_iso(last).value() + kDay + 12 * 60 * kMinute));
    EXPECT_EQ(query_param(r, "timezone"), "");

    const json& s = out["slots"];
    ASSERT_GE(s.size(), 30u) << "five working days of 16 slots, minus a few bookings";
    EXPECT_EQ(out["count"], s.size());
    EXPECT_EQ(out["timezone"], "the calendar's own");
    EXPECT_FALSE(out.contains("note"));
    std::int64_t previous = 0;
    for (const auto& slot : s) {
        const std::string start = slot["start"];
        const std::int64_t utc = ms_of(slot["start"]);
        EXPECT_GT(utc, previous) << "sorted, no duplicates";
        previous = utc;
        EXPECT_EQ(slot["startUtc"], tools::iso_utc(utc));
        EXPECT_TRUE(start.ends_with("-05:00") || start.ends_with("-04:00")) << start;
        EXPECT_GE(start.substr(0, 10), first);
        EXPECT_LE(start.substr(0, 10), last);
        const std::string clock = start.substr(11, 5);
        EXPECT_GE(clock, "09:00");
        EXPECT_LE(clock, "16:30");
        EXPECT_EQ(clock.substr(3), clock[3] == '3' ? "30" : "00");
        const std::string local = slot["localTime"];
        EXPECT_EQ(local.substr(4), start.substr(0, 10) + " " + clock) << local;
        EXPECT_NE(local.substr(0, 3), "Sat");
        EXPECT_NE(local.substr(0, 3), "Sun");
    }
}

TEST_F(CalendarsTest, FreeSlotsWithExactTimesAskGhlForExactlyThoseInstants) {
    const std::int64_t from = (tools::now_ms() / kDay + 2) * kDay;  // a UTC midnight ahead
    const std::int64_t to = from + 3 * kDay;
    json out = ok("get_free_slots", {{"calendarId", chicago()},
                                     {"startDate", tools::iso_utc(from)},
                                     {"endDate", tools::iso_utc(to)},
                                     {"limit", 200}});
    auto r = only_request();
    EXPECT_EQ(query_param(r, "startDate"), std::to_string(from));
    EXPECT_EQ(query_param(r, "endDate"), std::to_string(to));
    for (const auto& slot : out["slots"]) {
        EXPECT_GE(ms_of(slot["start"]), from);
        EXPECT_LT(ms_of(slot["start"]), to);
    }
}

TEST_F(CalendarsTest, FreeSlotsInARequestedZoneAreWrittenInThatZone) {
    json ny = slots(new_york(), 2, 8);
    json out = ok("get_free_slots", {{"calendarId", new_york()},
                                     {"startDate", tools::iso_utc(tools::now_ms() + kDay)},
                                     {"endDate", tools::iso_utc(tools::now_ms() + 9 * kDay)},
                                     {"timezone", "Europe/London"},
                                     {"limit", 200}});
    EXPECT_EQ(query_param(requests().back(), "timezone"), "Europe/London");
    EXPECT_EQ(out["timezone"], "Europe/London");
    ASSERT_FALSE(out["slots"].empty());
    std::set<std::int64_t> london;
    for (const auto& slot : out["slots"]) {
        const std::string start = slot["start"];
        EXPECT_TRUE(start.ends_with("+00:00") || start.ends_with("+01:00")) << start;
        // 09:00-16:30 in New York is 13:00/14:00-21:30 in London.
        EXPECT_GE(start.substr(11, 5), "13:00");
        EXPECT_EQ(slot["localTime"].get<std::string>().substr(15), start.substr(11, 5));
        london.insert(ms_of(slot["start"]));
    }
    for (const auto& slot : ny) EXPECT_TRUE(london.count(ms_of(slot["start"]))) << slot.dump();
}

TEST_F(CalendarsTest, FreeSlotsAreBoundedWithANoteNamingTheNextOne) {
    json all = slots(los_angeles(), 2, 8);
    ASSERT_GT(all.size(), 5u);
    sim().clear_requests();
    json out = ok("get_free_slots", {{"calendarId", los_angeles()},
                                     {"startDate", utc_date(tools::now_ms() + 2 * kDay)},
                                     {"endDate", utc_date(tools::now_ms() + 8 * kDay)},
                                     {"limit", 5}});
    ASSERT_EQ(out["slots"].size(), 5u);
    EXPECT_EQ(out["count"], 5);
    for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(out["slots"][i], all[i]);
    const std::string note = out["note"];
    EXPECT_TRUE(contains(note, std::to_string(all.size() - 5) + " more")) << note;
    EXPECT_TRUE(contains(note, all[5]["start"].get<std::string>())) << note;
}

TEST_F(CalendarsTest, FreeSlotsOverLongerThanGhlsWindowAreFetchedInPieces) {
    // 31 local dates ahead: the widened instants span more than GHL's 31 days.
    const std::int64_t start = tools::now_ms() + 3 * kDay;
    json out = ok("get_free_slots", {{"calendarId", new_york()},
                                     {"startDate", utc_date(start)},
                                     {"endDate", utc_date(start + 30 * kDay)},
                                     {"limit", 200}});
    auto rs = requests();
    ASSERT_EQ(rs.size(), 2u);
    for (const auto& r : rs) {
        const auto span =
            std::stoll(query_param(r, "endDate")) - std::stoll(query_param(r, "startDate"));
        EXPECT_LE(span, 31 * kDay);
    }
    EXPECT_EQ(query_param(rs[0], "endDate"), query_param(rs[1], "startDate"));
    std::set<std::int64_t> seen;
    for (const auto& slot : out["slots"]) EXPECT_TRUE(seen.insert(ms_of(slot["start"])).second);
    EXPECT_EQ(out["slots"].size(), 200u) << "31 days hold more than 200 slots";
}

TEST_F(CalendarsTest, FreeSlotsRefuseBadRangesBeforeAnyRequest) {
    const std::string today = utc_date(tools::now_ms());
    std::string text =
        tool_error("get_free_slots", {{"calendarId", new_york()},
                                      {"startDate", today},
                                      {"endDate", utc_date(tools::now_ms() + 32 * kDay)}});
    EXPECT_TRUE(contains(text, "31 days")) << text;
    text = tool_error("get_free_slots", {{"calendarId", new_york()},
                                         {"startDate", utc_date(tools::now_ms() + 3 * kDay)},
                                         {"endDate", today}});
    EXPECT_TRUE(contains(text, "endDate must be after startDate")) << text;
    text =
        tool_error("get_free_slots",
                   {{"calendarId", new_york()}, {"startDate", "next tuesday"}, {"endDate", today}});
    EXPECT_TRUE(contains(text, "ISO 8601")) << text;
    EXPECT_TRUE(requests().empty());
    invalid_arguments("get_free_slots", {{"calendarId", new_york()}, {"startDate", today}});
    invalid_arguments(
        "get_free_slots",
        {{"calendarId", new_york()}, {"startDate", today}, {"endDate", today}, {"limit", 0}});
}

TEST_F(CalendarsTest, FreeSlotsOfThePastAreEmptyWithoutARequest) {
    json out = ok("get_free_slots", {{"calendarId", new_york()},
                                     {"startDate", utc_date(tools::now_ms() - 5 * kDay)},
                                     {"endDate", utc_date(tools::now_ms() - 3 * kDay)}});
    EXPECT_TRUE(out["slots"].empty());
    EXPECT_TRUE(contains(out["note"].get<std::string>(), "past"));
    EXPECT_TRUE(requests().empty());
}

TEST_F(CalendarsTest, FreeSlotsOfAnUnknownCalendarIsGhlsError) {
    std::string text =
        tool_error("get_free_slots", {{"calendarId", "noSuchCalendar000001"},
                                      {"startDate", utc_date(tools::now_ms() + kDay)},
                                      {"endDate", utc_date(tools::now_ms() + 2 * kDay)}});
    EXPECT_TRUE(contains(text, "Calendar not found")) << text;
}

TEST_F(CalendarsTest, FreeSlotsOfOneMemberOfATwoMemberCalendar) {
    const std::string member = seed().user_ids[2];
    json out = ok("get_free_slots", {{"calendarId", chicago()},
                                     {"startDate", utc_date(tools::now_ms() + 2 * kDay)},
                                     {"endDate", utc_date(tools::now_ms() + 4 * kDay)},
                                     {"userId", member}});
    EXPECT_EQ(query_param(only_request(), "userId"), member);
    EXPECT_EQ(out["count"], out["slots"].size());
}

// ---- book_appointment -----------------------------------------------------------------------

TEST_F(CalendarsTest, BookingAFreeSlotChecksItThenBooksAndTheSlotIsGone) {
    const json slot = a_free_slot(new_york());
    const auto before = sim().counters().appointments_created;
    sim().clear_requests();
    json a = book(
        new_york(), slot["start"], 0,
        {{"title", "Roof inspection"}, {"address", "12 Main St"}, {"description", "Bring ladder"}});

    auto rs = requests();
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].method, "GET");
    EXPECT_EQ(rs[0].path, "/calendars/" + new_york() + "/free-slots");
    const std::int64_t start = ms_of(slot["start"]);
    EXPECT_LE(std::stoll(query_param(rs[0], "startDate")), start);
    EXPECT_GT(std::stoll(query_param(rs[0], "endDate")), start);
    EXPECT_LT(
        std::stoll(query_param(rs[0], "endDate")) - std::stoll(query_param(rs[0], "startDate")),
        kDay);
    EXPECT_EQ(rs[1].method, "POST");
    EXPECT_EQ(rs[1].path, "/calendars/events/appointments");
    EXPECT_EQ(rs[1].headers["version"], "2021-04-15");
    json body = body_of(rs[1]);
    EXPECT_EQ(body, json({{"calendarId", new_york()},
                          {"locationId", seed().location_id},
                          {"contactId", a_contact()},
                          {"startTime", slot["start"]},
                          {"title", "Roof inspection"},
                          {"address", "12 Main St"},
                          {"description", "Bring ladder"}}));

    EXPECT_EQ(sim().counters().appointments_created, before + 1);
    EXPECT_EQ(a["calendarId"], new_york());
    EXPECT_EQ(a["contactId"], a_contact());
    EXPECT_EQ(a["title"], "Roof inspection");
    EXPECT_EQ(a["status"], "confirmed");
    EXPECT_EQ(a["startTime"], slot["start"]);
    EXPECT_EQ(ms_of(a["endTime"]) - start, 30 * kMinute);
    EXPECT_EQ(a["address"], "12 Main St");
    EXPECT_EQ(a["assignedUserId"], seed().user_ids[0]);
    EXPECT_FALSE(a.contains("locationId"));

    json l = listed(new_york(), a["id"]);
    ASSERT_TRUE(l.is_object()) << "the booking shows in list_appointments";
    EXPECT_EQ(l["startTime"], slot["start"]);
    EXPECT_EQ(l["status"], "confirmed");
    EXPECT_FALSE(offers(new_york(), slot["start"])) << "get_free_slots no longer offers it";
}

TEST_F(CalendarsTest, BookingATakenSlotIsRefusedWithThatDaysNearestFreeSlots) {
    const json slot = a_free_slot(new_york());
    book(new_york(), slot["start"]);
    const auto before = sim().counters().appointments_created;
    sim().clear_requests();
    std::string text = tool_error(
        "book_appointment",
        {{"calendarId", new_york()}, {"contactId", a_contact(1)}, {"startTime", slot["start"]}});
    EXPECT_TRUE(contains(text, "is not a free slot")) << text;
    EXPECT_TRUE(contains(text, "Nearest free slots that day: ")) << text;
    // The alternatives are real free slots of the same local day, close to the asked time.
    json day = slots(new_york(), 2, 9);
    int named = 0;
    for (const auto& s : day) {
        if (s["start"].get<std::string>().substr(0, 10) !=
            slot["start"].get<std::string>().substr(0, 10))
            continue;
        if (contains(text, s["start"].get<std::string>())) ++named;
    }
    EXPECT_GE(named, 1);
    EXPECT_LE(named, 5);
    EXPECT_TRUE(requests_to("POST").empty()) << "nothing is booked";
    EXPECT_EQ(sim().counters().appointments_created, before);
}

TEST_F(CalendarsTest, SkipSlotCheckBooksWithoutTheCheckAndTellsGhlToo) {
    const json slot = a_free_slot(los_angeles());
    book(los_angeles(), slot["start"]);
    sim().clear_requests();
    json a = book(los_angeles(), slot["start"], 1, {{"skipSlotCheck", true}});
    auto r = only_request();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(body_of(r)["ignoreFreeSlotValidation"], true);
    EXPECT_EQ(a["startTime"], slot["start"]);
}

TEST_F(CalendarsTest, BookingWithAnEndTimeAndAMember) {
    const std::string member = seed().user_ids[2];
    const json slot = slots(chicago(), 2, 9, {{"userId", member}})[0];
    const std::int64_t start = ms_of(slot["start"]);
    const std::string end = tools::iso_utc(start + 60 * kMinute);
    sim().clear_requests();
    json a = book(chicago(), slot["start"], 0, {{"endTime", end}, {"userId", member}});
    auto rs = requests();
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(query_param(rs[0], "userId"), member);
    EXPECT_EQ(body_of(rs[1])["assignedUserId"], member);
    EXPECT_EQ(body_of(rs[1])["endTime"], end);
    EXPECT_EQ(a["assignedUserId"], member);
    EXPECT_EQ(ms_of(a["endTime"]) - start, 60 * kMinute);
}

TEST_F(CalendarsTest, BookingRefusesTimesWithoutOffsetPastTimesAndBadEnds) {
    const json slot = a_free_slot(new_york());
    sim().clear_requests();
    std::string text =
        tool_error("book_appointment", {{"calendarId", new_york()},
                                        {"contactId", a_contact()},
                                        {"startTime", wall_of(slot["start"]) + ":00"}});
    EXPECT_TRUE(contains(text, "UTC offset")) << text;
    text = tool_error("book_appointment", {{"calendarId", new_york()},
                                           {"contactId", a_contact()},
                                           {"startTime", tools::iso_utc(tools::now_ms() - kDay)}});
    EXPECT_TRUE(contains(text, "in the past")) << text;
    text = tool_error("book_appointment", {{"calendarId", new_york()},
                                           {"contactId", a_contact()},
                                           {"startTime", slot["start"]},
                                           {"endTime", slot["start"]}});
    EXPECT_TRUE(contains(text, "endTime must be after startTime")) << text;
    EXPECT_TRUE(requests().empty());
    invalid_arguments("book_appointment",
                      {{"calendarId", new_york()}, {"startTime", slot["start"]}});
    invalid_arguments("book_appointment", {{"calendarId", new_york()},
                                           {"contactId", a_contact()},
                                           {"startTime", slot["start"]},
                                           {"assignedUserId", "x"}});
}

TEST_F(CalendarsTest, BookingForAnUnknownContactIsGhlsError) {
    const json slot = a_free_slot(new_york());
    std::string text = tool_error("book_appointment", {{"calendarId", new_york()},
                                                       {"contactId", "noSuchContact0000001"},
                                                       {"startTime", slot["start"]}});
    EXPECT_TRUE(contains(text, "Contact not found")) << text;
}

// ---- reschedule / cancel / get --------------------------------------------------------------

TEST_F(CalendarsTest, RescheduleMovesToAFreeSlotKeepingTheLength) {
    json free = slots(new_york(), 2, 9);
    ASSERT_GE(free.size(), 4u);
    const json from = free[0], to = free[3];
    json a = book(new_york(), from["start"]);
    const auto updated = sim().counters().appointments_updated;
    sim().clear_requests();
    json out =
        ok("reschedule_appointment", {{"appointmentId", a["id"]}, {"startTime", to["start"]}});

    auto rs = requests();
    ASSERT_EQ(rs.size(), 3u);
    EXPECT_EQ(rs[0].method, "GET");
    EXPECT_EQ(rs[0].path, "/calendars/events/appointments/" + a["id"].get<std::string>());
    EXPECT_EQ(rs[1].path, "/calendars/" + new_york() + "/free-slots");
    EXPECT_EQ(rs[2].method, "PUT");
    EXPECT_EQ(rs[2].path, "/calendars/events/appointments/" + a["id"].get<std::string>());
    EXPECT_EQ(rs[2].headers["version"], "2021-04-15");
    const std::string start = to["start"];
    const std::int64_t start_ms = ms_of(to["start"]);
    json body = body_of(rs[2]);
    EXPECT_EQ(body["startTime"], start);
    EXPECT_EQ(ms_of(body["endTime"]) - start_ms, 30 * kMinute);
    EXPECT_EQ(body["endTime"].get<std::string>().substr(19), start.substr(19)) << "same offset";
    EXPECT_EQ(body.size(), 2u);

    EXPECT_EQ(sim().counters().appointments_updated, updated + 1);
    EXPECT_EQ(out["appointment"]["id"], a["id"]);
    EXPECT_EQ(out["appointment"]["startTime"], to["start"]);
    EXPECT_EQ(out["previousStartTime"], from["start"]);
    EXPECT_TRUE(offers(new_york(), from["start"])) << "the old slot is free again";
    EXPECT_FALSE(offers(new_york(), to["start"]));
}

TEST_F(CalendarsTest, RescheduleOntoATakenSlotIsRefusedAndChangesNothing) {
    json free = slots(los_angeles(), 2, 9);
    ASSERT_GE(free.size(), 3u);
    json a = book(los_angeles(), free[0]["start"]);
    book(los_angeles(), free[2]["start"], 1);
    sim().clear_requests();
    std::string text = tool_error("reschedule_appointment",
                                  {{"appointmentId", a["id"]}, {"startTime", free[2]["start"]}});
    EXPECT_TRUE(contains(text, "is not a free slot")) << text;
    // The nearest free slot of that local day is named.
    const std::int64_t wanted = ms_of(free[2]["start"]);
    json nearest;
    for (const auto& s : slots(los_angeles(), 2, 9))
        if (s["start"].get<std::string>().substr(0, 10) ==
                free[2]["start"].get<std::string>().substr(0, 10) &&
            (nearest.is_null() ||
             std::llabs(ms_of(s["start"]) - wanted) < std::llabs(ms_of(nearest) - wanted)))
            nearest = s["start"];
    ASSERT_TRUE(nearest.is_string());
    EXPECT_TRUE(contains(text, nearest.get<std::string>())) << text;
    EXPECT_TRUE(requests_to("PUT").empty());
    EXPECT_EQ(ok("get_appointment", {{"appointmentId", a["id"]}})["appointment"]["startTime"],
              free[0]["start"]);
}

TEST_F(CalendarsTest, RescheduleByHalfItsLengthOverlapsOnlyItself) {
    // Two free slots in a row: an hour-long appointment on the first, moved 30 minutes later,
    // overlaps only its own old time.
    json free = slots(new_york(), 2, 9);
    std::size_t i = 0;
    while (i + 1 < free.size() &&
           ms_of(free[i + 1]["start"]) - ms_of(free[i]["start"]) != 30 * kMinute)
        ++i;
    ASSERT_LT(i + 1, free.size());
    const json start = free[i]["start"], later = free[i + 1]["start"];
    const std::int64_t start_ms = ms_of(start);
    json a = book(new_york(), start, 0, {{"endTime", tools::iso_utc(start_ms + 60 * kMinute)}});
    EXPECT_FALSE(offers(new_york(), later)) << "the hour blocks the next slot";
    sim().clear_requests();
    json out = ok("reschedule_appointment", {{"appointmentId", a["id"]}, {"startTime", later}});
    EXPECT_TRUE(requests_to("PUT").size() == 1u);
    EXPECT_EQ(out["appointment"]["startTime"], later);
    EXPECT_EQ(ms_of(out["appointment"]["endTime"]), start_ms + 90 * kMinute);
}

TEST_F(CalendarsTest, CancelSetsTheStatusKeepsTheRecordAndFreesTheSlot) {
    const json slot = a_free_slot(chicago());
    json a = book(chicago(), slot["start"]);
    const auto deleted = sim().counters().appointments_deleted;
    sim().clear_requests();
    json out = ok("cancel_appointment", {{"appointmentId", a["id"]}});
    auto r = only_request();
    EXPECT_EQ(r.method, "PUT");
    EXPECT_EQ(r.path, "/calendars/events/appointments/" + a["id"].get<std::string>());
    EXPECT_EQ(r.headers["version"], "2021-04-15");
    EXPECT_EQ(body_of(r), json({{"appointmentStatus", "cancelled"}}));
    EXPECT_EQ(out["appointment"]["status"], "cancelled");
    EXPECT_EQ(out["appointment"]["startTime"], slot["start"]);

    EXPECT_EQ(sim().counters().appointments_deleted, deleted) << "the record is kept";
    EXPECT_EQ(ok("get_appointment", {{"appointmentId", a["id"]}})["appointment"]["status"],
              "cancelled");
    EXPECT_EQ(listed(chicago(), a["id"])["status"], "cancelled");
    EXPECT_TRUE(offers(chicago(), slot["start"]));

    std::string text = tool_error("reschedule_appointment",
                                  {{"appointmentId", a["id"]}, {"startTime", slot["start"]}});
    EXPECT_TRUE(contains(text, "is cancelled")) << text;
    EXPECT_TRUE(contains(text, "book_appointment")) << text;
}

TEST_F(CalendarsTest, GetAppointmentShapesASeededOne) {
    const std::string id = seed().upcoming_appointment_ids.at(0);
    json a = ok("get_appointment", {{"appointmentId", id}})["appointment"];
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/calendars/events/appointments/" + id);
    EXPECT_EQ(r.headers["version"], "2021-04-15");
    EXPECT_EQ(a["id"], id);
    EXPECT_EQ(a["status"], "confirmed");
    EXPECT_GT(ms_of(a["startTime"]), seed().reference_now_ms);
    EXPECT_EQ(ms_of(a["endTime"]) - ms_of(a["startTime"]), 30 * kMinute);
    EXPECT_TRUE(tools::iso_offset_minutes(a["startTime"].get<std::string>()).has_value());
    const auto& cals = seed().calendar_ids;
    EXPECT_NE(std::find(cals.begin(), cals.end(), a["calendarId"]), cals.end());
    EXPECT_TRUE(a["contactId"].is_string());
    EXPECT_TRUE(contains(a["address"].get<std::string>(), "https://meet.summithome.example/"));
    EXPECT_FALSE(a.contains("groupId"));
    EXPECT_FALSE(a.contains("users"));
    EXPECT_FALSE(a.contains("createdBy"));
}

TEST_F(CalendarsTest, UnknownAppointmentIdsAreGhlsErrorAndNothingIsWritten) {
    for (const char* tool : {"get_appointment", "cancel_appointment"}) {
        std::string text = tool_error(tool, {{"appointmentId", "noSuchEvent000000001"}});
        EXPECT_TRUE(contains(text, "Appointment not found")) << tool << ": " << text;
    }
    std::string text = tool_error("reschedule_appointment",
                                  {{"appointmentId", "noSuchEvent000000001"},
                                   {"startTime", tools::iso_utc(tools::now_ms() + 3 * kDay)}});
    EXPECT_TRUE(contains(text, "Appointment not found")) << text;
    EXPECT_TRUE(requests_to("PUT").size() == 1u) << "only the cancel reached GHL, and failed";
    EXPECT_EQ(sim().counters().appointments_updated, 0);
    text = tool_error("get_appointment", {{"appointmentId", "../calendars/x"}});
    EXPECT_TRUE(contains(text, "eventId")) << text;
}

// ---- list_appointments ----------------------------------------------------------------------

TEST_F(CalendarsTest, ListAppointmentsNeedsExactlyOneOfCalendarOrUser) {
    std::string text = tool_error("list_appointments", json::object());
    EXPECT_TRUE(contains(text, "exactly one of calendarId")) << text;
    text = tool_error("list_appointments",
                      {{"calendarId", new_york()}, {"userId", seed().user_ids[0]}});
    EXPECT_TRUE(contains(text, "exactly one of calendarId")) << text;
    text = tool_error("list_appointments", {{"calendarId", new_york()},
                                            {"startTime", utc_date(tools::now_ms())},
                                            {"endTime", utc_date(tools::now_ms() + 40 * kDay)}});
    EXPECT_TRUE(contains(text, "31 days")) << text;
    EXPECT_TRUE(requests().empty());
}

TEST_F(CalendarsTest, ListAppointmentsDefaultsToTheNextSevenDays) {
    const std::int64_t before = tools::now_ms();
    json out = ok("list_appointments", {{"calendarId", chicago()}});
    const std::int64_t after = tools::now_ms();
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/calendars/events");
    EXPECT_EQ(r.headers["version"], "2021-04-15");
    EXPECT_EQ(query_param(r, "locationId"), seed().location_id);
    EXPECT_EQ(query_param(r, "calendarId"), chicago());
    const std::int64_t from = std::stoll(query_param(r, "startTime"));
    const std::int64_t to = std::stoll(query_param(r, "endTime"));
    EXPECT_GE(from, before);
    EXPECT_LE(from, after);
    EXPECT_EQ(to - from, 7 * kDay);
    std::int64_t previous = 0;
    for (const auto& a : out["appointments"]) {
        EXPECT_EQ(a["calendarId"], chicago());
        const std::int64_t start = ms_of(a["startTime"]);
        EXPECT_GE(start, previous) << "sorted by start";
        EXPECT_GE(start, from);
        EXPECT_LT(start, to);
        previous = start;
    }
    EXPECT_EQ(out["count"], out["appointments"].size());
    EXPECT_TRUE(out["nextCursor"].is_null());
}

TEST_F(CalendarsTest, ListAppointmentsCoversEverySeededUpcomingOne) {
    std::set<std::string> found;
    for (const auto& cal : seed().calendar_ids) {
        json out = ok("list_appointments",
                      {{"calendarId", cal},
                       {"startTime", tools::iso_utc(seed().reference_now_ms)},
                       {"endTime", tools::iso_utc(seed().reference_now_ms + 16 * kDay)},
                       {"limit", 200}});
        for (const auto& a : out["appointments"])
            if (a["status"] == "confirmed") found.insert(a["id"]);
    }
    EXPECT_EQ(found, std::set<std::string>(seed().upcoming_appointment_ids.begin(),
                                           seed().upcoming_appointment_ids.end()));
}

TEST_F(CalendarsTest, ListAppointmentsPagesWithoutGapsOrDuplicates) {
    const json window = {{"calendarId", new_york()},
                         {"startTime", utc_date(seed().reference_now_ms - 14 * kDay)},
                         {"endTime", utc_date(seed().reference_now_ms + 15 * kDay)}};
    json all_args = window;
    all_args["limit"] = 200;
    json all = ok("list_appointments", all_args)["appointments"];
    ASSERT_GE(all.size(), 7u) << "the seed lays out up to 14 per calendar";

    std::vector<std::string> walked;
    json args = window;
    args["limit"] = 3;
    for (int page = 0; page < 20; ++page) {
        json out = ok("list_appointments", args);
        EXPECT_LE(out["appointments"].size(), 3u);
        for (const auto& a : out["appointments"]) walked.push_back(a["id"]);
        if (out["nextCursor"].is_null()) break;
        EXPECT_TRUE(contains(out["note"].get<std::string>(), "cursor"));
        args["cursor"] = out["nextCursor"];
    }
    ASSERT_EQ(walked.size(), all.size());
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(walked[i], all[i]["id"]) << i;
}

TEST_F(CalendarsTest, ListAppointmentsCursorIsBoundToItsFilters) {
    const json window = {{"calendarId", new_york()},
                         {"startTime", utc_date(seed().reference_now_ms - 14 * kDay)},
                         {"endTime", utc_date(seed().reference_now_ms + 15 * kDay)},
                         {"limit", 2}};
    json out = ok("list_appointments", window);
    ASSERT_TRUE(out["nextCursor"].is_string());
    json other = window;
    other["calendarId"] = los_angeles();
    other["cursor"] = out["nextCursor"];
    std::string text = tool_error("list_appointments", other);
    EXPECT_TRUE(contains(text, "different filters")) << text;
}

TEST_F(CalendarsTest, ListAppointmentsOfOneTeamMemberAcrossCalendars) {
    const std::string member = seed().user_ids[1];
    json out =
        ok("list_appointments", {{"userId", member},
                                 {"startTime", utc_date(seed().reference_now_ms - 14 * kDay)},
                                 {"endTime", utc_date(seed().reference_now_ms + 15 * kDay)},
                                 {"limit", 200}});
    EXPECT_EQ(query_param(only_request(), "userId"), member);
    EXPECT_EQ(query_param(only_request(), "calendarId"), "");
    ASSERT_FALSE(out["appointments"].empty());
    for (const auto& a : out["appointments"]) {
        EXPECT_EQ(a["assignedUserId"], member);
        EXPECT_EQ(a["calendarId"], chicago());
    }
}

TEST_F(CalendarsTest, ListAppointmentsDatesAreReadInEachCalendarsZone) {
    // One local day: an appointment on it is listed whatever its UTC date, none of another day.
    json all =
        ok("list_appointments", {{"calendarId", los_angeles()},
                                 {"startTime", utc_date(seed().reference_now_ms - 14 * kDay)},
                                 {"endTime", utc_date(seed().reference_now_ms + 15 * kDay)},
                                 {"limit", 200}})["appointments"];
    ASSERT_FALSE(all.empty());
    const std::string day = all[0]["startTime"].get<std::string>().substr(0, 10);
    json out = ok("list_appointments",
                  {{"calendarId", los_angeles()}, {"startTime", day}, {"endTime", day}});
    std::size_t expected = 0;
    for (const auto& a : all) expected += a["startTime"].get<std::string>().substr(0, 10) == day;
    EXPECT_EQ(out["appointments"].size(), expected);
    for (const auto& a : out["appointments"])
        EXPECT_EQ(a["startTime"].get<std::string>().substr(0, 10), day);
}

}  // namespace
}  // namespace tools_test
