// The deterministic seed (same seed, same data; its facts agree with what the API answers) and the
// reference data endpoints: location, custom fields, users, workflows, campaigns, payments.
#include "sim_support.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace simtest {
namespace {

constexpr long long kNow = 1749654000000LL;
constexpr long long kDayMs = 86400000LL;

Json all_contacts(Api& api, const std::string& location) {
    Json out = Json::array();
    const Result r = api.post("/contacts/search", {{"locationId", location}, {"pageLimit", 500}});
    for (const Json& c : r.body["contacts"]) out.push_back(c);
    return out;
}

TEST(Seed, SameSeedGivesTheSameData) {
    ghlsim::Simulator a(options(11));
    ghlsim::Simulator b(options(11));
    ghlsim::Simulator c(options(12));
    a.start();
    b.start();
    c.start();
    Api api_a(a.port());
    Api api_b(b.port());
    Api api_c(c.port());
    EXPECT_EQ(all_contacts(api_a, a.location_id()), all_contacts(api_b, b.location_id()));
    EXPECT_NE(all_contacts(api_a, a.location_id()), all_contacts(api_c, c.location_id()));
    for (const std::string& path : {std::string("/opportunities/search?limit=100&location_id="),
                                    std::string("/opportunities/pipelines?locationId="),
                                    std::string("/users/?locationId=")}) {
        EXPECT_EQ(api_a.get(path + a.location_id()).body, api_b.get(path + b.location_id()).body);
    }
    const std::string conv = "/conversations/search?limit=100&locationId=";
    Json ca = api_a.get(conv + a.location_id(), kV2).body;
    Json cb = api_b.get(conv + b.location_id(), kV2).body;
    EXPECT_EQ(ca, cb);
    EXPECT_EQ(a.seed_facts().stale_opportunity_ids, b.seed_facts().stale_opportunity_ids);
    EXPECT_EQ(a.seed_facts().waiting_conversation_ids, b.seed_facts().waiting_conversation_ids);
    EXPECT_NE(a.seed_facts().user_ids, c.seed_facts().user_ids);
    // Writes are deterministic too: the same create gets the same id.
    const Json body = {{"locationId", a.location_id()}, {"email", "same@id.example"}};
    EXPECT_EQ(api_a.post("/contacts/", body).body["contact"]["id"],
              api_b.post("/contacts/", body).body["contact"]["id"]);
}

TEST(Seed, ContactIdsDoNotDependOnTheDate) {
    ghlsim::Options later = options(11);
    later.now = [] { return fixed_now() + std::chrono::hours(24 * 40); };
    ghlsim::Simulator a(options(11));
    ghlsim::Simulator b(later);
    EXPECT_EQ(a.seed_facts().phone_only_contact_ids, b.seed_facts().phone_only_contact_ids);
    EXPECT_EQ(a.seed_facts().calendar_ids, b.seed_facts().calendar_ids);
    EXPECT_EQ(a.seed_facts().workflow_ids, b.seed_facts().workflow_ids);
}

class SeedData : public SimTest {};

TEST_F(SeedData, ShapeOfTheSubAccount) {
    const auto& facts = sim->seed_facts();
    EXPECT_EQ(facts.location_id, loc());
    EXPECT_EQ(facts.reference_now_ms, kNow);
    EXPECT_EQ(facts.contacts, 250);
    EXPECT_EQ(facts.opportunities, 80);
    EXPECT_EQ(facts.conversations, 60);
    EXPECT_EQ(facts.calendar_ids.size(), 3u);
    EXPECT_EQ(facts.pipeline_ids.size(), 2u);
    EXPECT_GE(facts.workflow_ids.size(), 5u);
    EXPECT_GE(facts.campaign_ids.size(), 2u);
    EXPECT_GE(facts.user_ids.size(), 4u);
    EXPECT_GT(facts.messages, 60 * 2);
    EXPECT_GT(facts.appointments, 10);
    EXPECT_FALSE(facts.upcoming_appointment_ids.empty());
    EXPECT_FALSE(facts.unread_conversation_ids.empty());
    EXPECT_LT(facts.unread_conversation_ids.size(), facts.waiting_conversation_ids.size() + 1);
    EXPECT_GT(facts.phone_only_contact_ids.size(), 10u);
    EXPECT_GT(facts.email_only_contact_ids.size(), 10u);
    EXPECT_GE(facts.shared_email_contact_ids.size(), 4u);
    for (const std::string& id : facts.phone_only_contact_ids) {
        const Json c = api->get("/contacts/" + id).body["contact"];
        EXPECT_FALSE(c.contains("email"));
        EXPECT_TRUE(c.contains("phone"));
    }
}

TEST_F(SeedData, OpportunitiesSpreadOverNinetyDaysWithValues) {
    const Result r = api->get("/opportunities/search?limit=100&location_id=" + loc());
    ASSERT_EQ(r.body["opportunities"].size(), 80u);
    long long oldest = 0;
    long long newest = LLONG_MAX;
    std::set<std::string> statuses;
    for (const Json& o : r.body["opportunities"]) {
        EXPECT_GT(o["monetaryValue"].get<double>(), 0);
        statuses.insert(o["status"].get<std::string>());
        const std::string changed = o["lastStageChangeAt"];
        // Parse the day part only: days between then and now.
        const int y = std::stoi(changed.substr(0, 4));
        const int m = std::stoi(changed.substr(5, 2));
        const int d = std::stoi(changed.substr(8, 2));
        const long long days = (2025 - y) * 365 + (6 - m) * 30 + (11 - d);  // rough, +-3 days
        oldest = std::max(oldest, days);
        newest = std::min(newest, days);
    }
    EXPECT_GE(oldest, 60);
    EXPECT_LE(oldest, 95);
    EXPECT_LE(newest, 3);
    EXPECT_EQ(statuses, (std::set<std::string>{"open", "won", "lost", "abandoned"}));
}

TEST_F(SeedData, UpcomingAppointmentsMatchTheEvents) {
    std::set<std::string> upcoming;
    for (const std::string& cal : sim->seed_facts().calendar_ids) {
        const Result r = api->get("/calendars/events?locationId=" + loc() + "&calendarId=" + cal +
                                      "&startTime=" + std::to_string(kNow) +
                                      "&endTime=" + std::to_string(kNow + 30 * kDayMs),
                                  kV2);
        ASSERT_EQ(r.status, 200);
        for (const Json& e : r.body["events"]) {
            if (e["appointmentStatus"] == "confirmed") upcoming.insert(e["id"]);
        }
    }
    const auto& facts = sim->seed_facts().upcoming_appointment_ids;
    EXPECT_EQ(upcoming, std::set<std::string>(facts.begin(), facts.end()));
}

TEST_F(SeedData, LocationCustomFieldsTagsUsersWorkflowsCampaigns) {
    Result r = api->get("/locations/" + loc());
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["location"]["id"], loc());
    EXPECT_EQ(r.body["location"]["companyId"], ghlsim::kCompanyId);
    EXPECT_EQ(r.body["location"]["settings"]["allowDuplicateContact"], false);
    r = api->get("/locations/" + loc() + "/customFields");
    ASSERT_EQ(r.status, 200);
    std::set<std::string> models;
    for (const Json& f : r.body["customFields"]) models.insert(f["model"].get<std::string>());
    EXPECT_EQ(models, (std::set<std::string>{"contact", "opportunity"}));
    const std::string field = r.body["customFields"][0]["id"];
    EXPECT_EQ(api->get("/locations/" + loc() + "/customFields/" + field).body["customField"]["id"], field);
    EXPECT_EQ(api->get("/locations/" + loc() + "/customFields?model=opportunity").body["customFields"].size(), 2u);
    EXPECT_GE(api->get("/locations/" + loc() + "/tags").body["tags"].size(), 10u);
    r = api->get("/users/?locationId=" + loc());
    ASSERT_EQ(r.body["users"].size(), sim->seed_facts().user_ids.size());
    const std::string user = r.body["users"][0]["id"];
    EXPECT_EQ(api->get("/users/" + user).body["id"], user);
    r = api->get("/users/search?companyId=" + std::string(ghlsim::kCompanyId) + "&skip=1&limit=2");
    EXPECT_EQ(r.body["count"], static_cast<int>(sim->seed_facts().user_ids.size()));
    EXPECT_EQ(r.body["users"].size(), 2u);
    EXPECT_EQ(api->get("/users/search?companyId=other").status, 403);
    EXPECT_EQ(api->get("/users/search").status, 422);
    r = api->get("/workflows/?locationId=" + loc());
    ASSERT_EQ(r.body["workflows"].size(), sim->seed_facts().workflow_ids.size());
    EXPECT_EQ(r.body["workflows"][0]["locationId"], loc());
    r = api->get("/campaigns/?locationId=" + loc() + "&status=published");
    for (const Json& c : r.body["campaigns"]) EXPECT_EQ(c["status"], "published");
}

TEST_F(SeedData, PaymentsWalkWithLimitOffset) {
    std::set<std::string> orders;
    for (int offset = 0; offset < 100; offset += 15) {
        const Result r = api->get("/payments/orders?altId=" + loc() + "&limit=15&offset=" +
                                  std::to_string(offset));
        ASSERT_EQ(r.status, 200) << r.body.dump();
        EXPECT_EQ(r.body["totalCount"], 40);
        for (const Json& o : r.body["data"]) EXPECT_TRUE(orders.insert(o["_id"].get<std::string>()).second);
    }
    EXPECT_EQ(orders.size(), 40u);
    const std::string first = *orders.begin();
    EXPECT_EQ(api->get("/payments/orders/" + first + "?altId=" + loc()).body["_id"], first);
    Result r = api->get("/payments/transactions?altId=" + loc() + "&altType=location&limit=100");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["data"].size(), r.body["totalCount"].get<std::size_t>());
    EXPECT_EQ(api->get("/payments/transactions?altId=" + loc()).status, 422);  // altType required
    EXPECT_EQ(api->get("/payments/orders?altId=elsewhere").status, 403);
    r = api->get("/payments/orders?altId=" + loc() + "&paymentStatus=paid&limit=100");
    for (const Json& o : r.body["data"]) EXPECT_EQ(o["paymentStatus"], "paid");
}

}  // namespace
}  // namespace simtest
