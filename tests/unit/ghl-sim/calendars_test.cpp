// Calendars: free slots keyed by date in the calendar's (or the asked) time zone, minus booked
// appointments; booking, double booking, rescheduling, cancelling; events in a window.
#include "sim_support.hpp"

#include <set>

namespace simtest {
namespace {

constexpr long long kNow = 1749654000000LL;  // 2025-06-11T15:00:00Z, Wednesday
constexpr long long kDayMs = 86400000LL;

class Calendars : public SimTest {
protected:
    Json calendar(std::size_t index) {
        const Result r = api->get("/calendars/?locationId=" + loc(), kV2);
        EXPECT_EQ(r.status, 200);
        return r.body["calendars"][index];
    }

    Json slots(const std::string& calendar_id, long long from, long long to,
               const std::string& extra = "") {
        const Result r = api->get("/calendars/" + calendar_id + "/free-slots?startDate=" +
                                      std::to_string(from) + "&endDate=" + std::to_string(to) + extra,
                                  kV2);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body;
    }

    static std::vector<std::string> flat(const Json& free) {
        std::vector<std::string> out;
        for (const auto& [key, value] : free.items()) {
            if (!value.is_object()) continue;  // traceId
            for (const Json& s : value["slots"]) out.push_back(s);
        }
        return out;
    }

    Result book(const std::string& calendar_id, const std::string& start, const Json& extra = {}) {
        Json body = {{"calendarId", calendar_id},
                     {"locationId", loc()},
                     {"contactId", sim->seed_facts().phone_only_contact_ids.front()},
                     {"startTime", start}};
        if (extra.is_object()) body.update(extra);
        return api->post("/calendars/events/appointments", body, kV2);
    }
};

TEST_F(Calendars, ListedWithWorkingHoursAndTimeZones) {
    const Result r = api->get("/calendars/?locationId=" + loc(), kV2);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.body["calendars"].size(), 3u);
    std::set<std::string> zones;
    for (const Json& c : r.body["calendars"]) {
        zones.insert(c["timezone"].get<std::string>());
        EXPECT_EQ(c["openHours"][0]["daysOfTheWeek"], Json({1, 2, 3, 4, 5}));
        EXPECT_EQ(c["slotDuration"], 30);
        EXPECT_FALSE(c["teamMembers"].empty());
    }
    EXPECT_EQ(zones.size(), 3u);
    const std::string id = r.body["calendars"][1]["id"];
    EXPECT_EQ(api->get("/calendars/" + id, kV2).body["calendar"]["id"], id);
    EXPECT_EQ(api->get("/calendars/nope", kV2).status, 400);
}

TEST_F(Calendars, FreeSlotsAreKeyedByDateAndExcludeBookedOnes) {
    const Json cal = calendar(0);  // New York, one member
    ASSERT_EQ(cal["timezone"], "America/New_York");
    const std::string id = cal["id"];
    const Json free = slots(id, kNow, kNow + 14 * kDayMs);
    EXPECT_TRUE(free.contains("traceId"));
    const std::vector<std::string> all = flat(free);
    ASSERT_FALSE(all.empty());
    for (const auto& [day, value] : free.items()) {
        if (!value.is_object()) continue;
        for (const Json& s : value["slots"]) {
            const std::string slot = s;
            EXPECT_EQ(slot.substr(0, 10), day);             // keyed by the local date
            EXPECT_EQ(slot.substr(19), "-04:00");           // EDT in June
            EXPECT_GE(slot.substr(11, 5), "09:00");
            EXPECT_LE(slot.substr(11, 5), "16:30");
        }
    }
    // 2025-06-11 (today) starts at 11:00 local: nothing earlier is offered.
    if (free.contains("2025-06-11")) {
        EXPECT_GE(free["2025-06-11"]["slots"][0].get<std::string>().substr(11, 5), "11:00");
    }
    EXPECT_FALSE(free.contains("2025-06-14"));  // Saturday
    EXPECT_FALSE(free.contains("2025-06-15"));  // Sunday
    const Result events = api->get("/calendars/events?locationId=" + loc() + "&calendarId=" + id +
                                       "&startTime=" + std::to_string(kNow) +
                                       "&endTime=" + std::to_string(kNow + 14 * kDayMs),
                                   kV2);
    ASSERT_EQ(events.status, 200);
    int booked = 0;
    const std::set<std::string> offered(all.begin(), all.end());
    for (const Json& e : events.body["events"]) {
        if (e["appointmentStatus"] == "cancelled") continue;
        ++booked;
        EXPECT_EQ(offered.count(e["startTime"].get<std::string>()), 0u) << e["startTime"];
    }
    EXPECT_GT(booked, 0);
}

TEST_F(Calendars, BookingTakesTheSlotAndATakenSlotFailsLikeGhl) {
    const std::string id = calendar(0)["id"];
    const std::string slot = flat(slots(id, kNow, kNow + 7 * kDayMs)).front();
    Result r = book(id, slot, {{"title", "Intro call"}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["startTime"], slot);  // the appointment at top level
    EXPECT_EQ(r.body["calendarId"], id);
    EXPECT_EQ(r.body["appointmentStatus"], "confirmed");
    EXPECT_EQ(r.body["title"], "Intro call");
    const std::string appointment = r.body["id"];
    const std::vector<std::string> after = flat(slots(id, kNow, kNow + 7 * kDayMs));
    EXPECT_EQ(std::count(after.begin(), after.end(), slot), 0);
    r = book(id, slot);
    ASSERT_EQ(r.status, 400);
    EXPECT_EQ(r.body["message"], "The slot you have selected is no longer available.");
    EXPECT_EQ(sim->counters().appointments_created, 1);
    r = api->get("/calendars/events/appointments/" + appointment, kV2);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["event"]["id"], appointment);
    // The contact's appointments (a contacts endpoint, Version 2021-07-28).
    r = api->get("/contacts/" + sim->seed_facts().phone_only_contact_ids.front() + "/appointments");
    ASSERT_EQ(r.status, 200);
    bool listed = false;
    for (const Json& e : r.body["events"]) listed = listed || e["id"] == appointment;
    EXPECT_TRUE(listed);
}

TEST_F(Calendars, OffGridPastAndClosedTimesFailUnlessValidationIsSkipped) {
    const std::string id = calendar(0)["id"];
    EXPECT_EQ(book(id, "2025-06-12T09:10:00-04:00").status, 400);  // off the 30-minute grid
    EXPECT_EQ(book(id, "2025-06-11T09:00:00-04:00").status, 400);  // in the past
    EXPECT_EQ(book(id, "2025-06-14T10:00:00-04:00").status, 400);  // Saturday
    EXPECT_EQ(book(id, "2025-06-12T20:00:00-04:00").status, 400);  // after hours
    const Result r = book(id, "2025-06-12T09:10:00-04:00", {{"ignoreFreeSlotValidation", true}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["endTime"], "2025-06-12T09:40:00-04:00");
    EXPECT_EQ(book(id, "nonsense").status, 400);
    const Result missing = api->post("/calendars/events/appointments", {{"locationId", loc()}}, kV2);
    ASSERT_EQ(missing.status, 400);  // the calendars spec declares 400, not 422
    EXPECT_TRUE(missing.body["message"].is_array());
}

TEST_F(Calendars, RoundRobinCalendarTakesOneBookingPerMember) {
    const Json cal = calendar(1);  // Chicago, two members
    ASSERT_EQ(cal["teamMembers"].size(), 2u);
    const std::string id = cal["id"];
    const std::string slot = flat(slots(id, kNow, kNow + 7 * kDayMs)).back();
    std::set<std::string> members;
    int ok = 0;
    for (int i = 0; i < 3; ++i) {
        const Result r = book(id, slot);
        if (r.status == 200) {
            ++ok;
            members.insert(r.body["assignedUserId"].get<std::string>());
        }
    }
    // The seed may already hold one of the members at that time: at most two bookings succeed.
    EXPECT_GE(ok, 1);
    EXPECT_LE(ok, 2);
    EXPECT_EQ(members.size(), static_cast<std::size_t>(ok));
    EXPECT_EQ(book(id, slot).status, 400);
}

TEST_F(Calendars, FreeSlotsInTheAskedTimeZone) {
    const std::string id = calendar(0)["id"];
    const Json free = slots(id, kNow, kNow + 3 * kDayMs, "&timezone=America/Los_Angeles");
    for (const std::string& s : flat(free)) {
        EXPECT_EQ(s.substr(19), "-07:00");
        EXPECT_GE(s.substr(11, 5), "06:00");  // 09:00 New York
        EXPECT_LE(s.substr(11, 5), "13:30");
    }
    EXPECT_EQ(api->get("/calendars/" + id + "/free-slots?startDate=" + std::to_string(kNow) +
                           "&endDate=" + std::to_string(kNow + kDayMs) + "&timezone=Mars/Olympus",
                       kV2)
                  .status,
              400);
}

TEST_F(Calendars, FreeSlotsValidation) {
    const std::string id = calendar(2)["id"];
    Result r = api->get("/calendars/" + id + "/free-slots?endDate=" + std::to_string(kNow), kV2);
    ASSERT_EQ(r.status, 400);
    EXPECT_TRUE(r.body["message"].is_array());
    r = api->get("/calendars/" + id + "/free-slots?startDate=" + std::to_string(kNow) +
                     "&endDate=" + std::to_string(kNow + 32 * kDayMs),
                 kV2);
    EXPECT_EQ(r.status, 400);
    r = api->get("/calendars/" + id + "/free-slots?startDate=" + std::to_string(kNow), kV1);
    EXPECT_EQ(r.status, 400);  // calendars are 2021-04-15
}

TEST_F(Calendars, RescheduleCancelAndDelete) {
    const std::string id = calendar(2)["id"];  // Los Angeles
    const std::vector<std::string> free = flat(slots(id, kNow, kNow + 7 * kDayMs));
    ASSERT_GE(free.size(), 3u);
    Result r = book(id, free[0]);
    ASSERT_EQ(r.status, 200);
    const std::string appointment = r.body["id"];
    const Result other = book(id, free[1]);
    ASSERT_EQ(other.status, 200);
    // Onto a taken slot: refused. Onto a free one: moved, and the old slot is free again.
    r = api->put("/calendars/events/appointments/" + appointment, {{"startTime", free[1]}}, kV2);
    EXPECT_EQ(r.status, 400);
    r = api->put("/calendars/events/appointments/" + appointment, {{"startTime", free[2]}}, kV2);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["startTime"], free[2]);
    std::vector<std::string> now_free = flat(slots(id, kNow, kNow + 7 * kDayMs));
    EXPECT_EQ(std::count(now_free.begin(), now_free.end(), free[0]), 1);
    EXPECT_EQ(std::count(now_free.begin(), now_free.end(), free[2]), 0);
    // Cancelling frees the slot.
    r = api->put("/calendars/events/appointments/" + appointment,
                 {{"appointmentStatus", "cancelled"}}, kV2);
    EXPECT_EQ(r.body["appointmentStatus"], "cancelled");
    now_free = flat(slots(id, kNow, kNow + 7 * kDayMs));
    EXPECT_EQ(std::count(now_free.begin(), now_free.end(), free[2]), 1);
    // Delete answers 201 {succeeded} (spelled right here).
    r = api->del("/calendars/events/" + other.body["id"].get<std::string>(), Json::object(), kV2);
    ASSERT_EQ(r.status, 201);
    EXPECT_EQ(r.body["succeeded"], true);
    EXPECT_EQ(api->get("/calendars/events/appointments/" + other.body["id"].get<std::string>(), kV2)
                  .status,
              400);
    const ghlsim::Counters c = sim->counters();
    EXPECT_EQ(c.appointments_created, 2);
    EXPECT_EQ(c.appointments_updated, 2);
    EXPECT_EQ(c.appointments_deleted, 1);
}

TEST_F(Calendars, EventsNeedACalendarUserOrGroup) {
    const std::string window =
        "&startTime=" + std::to_string(kNow - 20 * kDayMs) + "&endTime=" + std::to_string(kNow + 20 * kDayMs);
    Result r = api->get("/calendars/events?locationId=" + loc() + window, kV2);
    EXPECT_EQ(r.status, 400);
    const Json cal = calendar(1);
    const std::string user = cal["teamMembers"][0]["userId"];
    r = api->get("/calendars/events?locationId=" + loc() + "&userId=" + user + window, kV2);
    ASSERT_EQ(r.status, 200);
    for (const Json& e : r.body["events"]) EXPECT_EQ(e["assignedUserId"], user);
    r = api->get("/calendars/events?locationId=" + loc() + "&groupId=" + cal["groupId"].get<std::string>() +
                     window,
                 kV2);
    EXPECT_EQ(r.body["events"].size(), static_cast<std::size_t>(sim->seed_facts().appointments));
    EXPECT_EQ(api->get("/calendars/groups?locationId=" + loc(), kV2).body["groups"].size(), 1u);
}

}  // namespace
}  // namespace simtest
