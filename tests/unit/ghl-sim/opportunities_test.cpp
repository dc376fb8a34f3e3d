// Opportunities: the snake_case search walked by cursor and by page, CRUD with GHL's quirks,
// pipelines and lost reasons (skip/limit).
#include "sim_support.hpp"

#include <set>

namespace simtest {
namespace {

class Opportunities : public SimTest {
protected:
    std::string search(const std::string& extra) {
        return "/opportunities/search?location_id=" + loc() + extra;
    }
};

TEST_F(Opportunities, CursorWalkVisitsEveryOpportunityOnce) {
    for (const char* order : {"", "&order=added_asc"}) {
        std::set<std::string> ids;
        std::string next = search(std::string("&limit=7") + order);
        long long previous = order[0] == '\0' ? LLONG_MAX : 0;
        for (int i = 0; i < 30 && !next.empty(); ++i) {
            const Result r = api->get(next);
            ASSERT_EQ(r.status, 200) << r.body.dump();
            EXPECT_EQ(r.body["meta"]["total"], 80);
            EXPECT_TRUE(r.body["aggregations"].is_object());
            for (const Json& o : r.body["opportunities"]) {
                EXPECT_TRUE(ids.insert(o["id"].get<std::string>()).second);
                const std::string created = o["createdAt"];
                (void)created;
            }
            const Json& meta = r.body["meta"];
            if (meta["nextPage"].is_null()) break;
            const long long after = meta["startAfter"];
            if (order[0] == '\0') {
                EXPECT_LE(after, previous);
            } else {
                EXPECT_GE(after, previous);
            }
            previous = after;
            next = search(std::string("&limit=7") + order + "&startAfter=" + std::to_string(after) +
                          "&startAfterId=" + meta["startAfterId"].get<std::string>());
        }
        EXPECT_EQ(ids.size(), 80u) << order;
    }
}

TEST_F(Opportunities, PageWalkMatchesTheCursorWalk) {
    std::set<std::string> ids;
    for (int page = 1; page <= 10; ++page) {
        const Result r = api->get(search("&limit=20&page=" + std::to_string(page)));
        ASSERT_EQ(r.status, 200);
        EXPECT_EQ(r.body["meta"]["currentPage"], page);
        for (const Json& o : r.body["opportunities"]) EXPECT_TRUE(ids.insert(o["id"].get<std::string>()).second);
        if (r.body["meta"]["nextPage"].is_null()) break;
    }
    EXPECT_EQ(ids.size(), 80u);
    EXPECT_EQ(api->get(search("&limit=101")).status, 422);
}

TEST_F(Opportunities, CamelCaseLocationIdIsNotTheV2Name) {
    const Result r = api->get("/opportunities/search?locationId=" + loc());
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(r.body["message"][0], "location_id should not be empty");
}

TEST_F(Opportunities, FiltersAndTheSeededStaleSet) {
    const auto& facts = sim->seed_facts();
    const std::string pipeline = facts.pipeline_ids.front();
    Result r = api->get(search("&limit=100&status=open&pipeline_id=" + pipeline));
    ASSERT_EQ(r.status, 200);
    for (const Json& o : r.body["opportunities"]) {
        EXPECT_EQ(o["status"], "open");
        EXPECT_EQ(o["pipelineId"], pipeline);
        EXPECT_TRUE(o["contact"].contains("name"));
    }
    // Stale: open, stage unchanged for more than 14 days (per lastStageChangeAt).
    r = api->get(search("&limit=100&status=open"));
    std::set<std::string> stale;
    for (const Json& o : r.body["opportunities"]) {
        const std::string changed = o["lastStageChangeAt"];
        if (changed < "2025-05-28T15:00:00.000Z") stale.insert(o["id"]);
    }
    EXPECT_EQ(stale, std::set<std::string>(facts.stale_opportunity_ids.begin(),
                                           facts.stale_opportunity_ids.end()));
    EXPECT_FALSE(stale.empty());
    const std::string one = *stale.begin();
    r = api->get(search("&id=" + one + "&getTasks=true&getNotes=true&getCalendarEvents=true"));
    ASSERT_EQ(r.body["opportunities"].size(), 1u);
    EXPECT_TRUE(r.body["opportunities"][0]["calendarEvents"].is_array());
}

TEST_F(Opportunities, PipelinesHaveFiveOrSixStages) {
    const Result r = api->get("/opportunities/pipelines?locationId=" + loc());
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.body["pipelines"].size(), 2u);
    for (const Json& p : r.body["pipelines"]) {
        EXPECT_GE(p["stages"].size(), 5u);
        EXPECT_LE(p["stages"].size(), 6u);
        EXPECT_EQ(p["locationId"], loc());
    }
    EXPECT_EQ(api->get("/opportunities/pipelines").status, 422);
}

TEST_F(Opportunities, CreateMoveWinAndDelete) {
    const auto& facts = sim->seed_facts();
    const Json pipelines = api->get("/opportunities/pipelines?locationId=" + loc()).body["pipelines"];
    const Json& p = pipelines[0];
    const std::string contact = facts.email_only_contact_ids.back();
    Json body = {{"pipelineId", p["id"]}, {"locationId", loc()}, {"name", "Gutters"},
                 {"status", "open"},      {"contactId", contact}, {"monetaryValue", 1250}};
    // Delete this contact's existing opportunity in the pipeline first, if the seed gave one.
    const Result existing = api->get(search("&contact_id=" + contact + "&pipeline_id=" +
                                            p["id"].get<std::string>()));
    for (const Json& o : existing.body["opportunities"]) {
        ASSERT_EQ(api->del("/opportunities/" + o["id"].get<std::string>()).body["succeded"], true);
    }
    Result r = api->post("/opportunities/", body);
    ASSERT_EQ(r.status, 201) << r.body.dump();
    const std::string id = r.body["opportunity"]["id"];
    EXPECT_EQ(r.body["opportunity"]["pipelineStageId"], p["stages"][0]["id"]);
    EXPECT_EQ(r.body["opportunity"]["monetaryValue"], 1250);
    // One opportunity per contact per pipeline: GHL refuses the second.
    r = api->post("/opportunities/", body);
    ASSERT_EQ(r.status, 400);
    EXPECT_EQ(r.body["message"], "Can not create duplicate opportunity for the contact.");
    // Move a stage.
    r = api->put("/opportunities/" + id, {{"pipelineStageId", p["stages"][2]["id"]}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["opportunity"]["pipelineStageId"], p["stages"][2]["id"]);
    EXPECT_EQ(r.body["opportunity"]["lastStageChangeAt"].get<std::string>().substr(0, 19),
              "2025-06-11T15:00:00");  // now (writes are bumped by a millisecond each)
    EXPECT_EQ(api->put("/opportunities/" + id, {{"pipelineStageId", "not-a-stage"}}).status, 400);
    EXPECT_EQ(api->put("/opportunities/" + id, {{"locationId", loc()}}).status, 422);
    // Status.
    r = api->put("/opportunities/" + id + "/status", {{"status", "won"}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["succeded"], true);
    EXPECT_EQ(api->get("/opportunities/" + id).body["opportunity"]["status"], "won");
    EXPECT_EQ(api->put("/opportunities/" + id + "/status", {{"status", "sold"}}).status, 422);
    // Delete.
    EXPECT_EQ(api->del("/opportunities/" + id).body["succeded"], true);
    EXPECT_EQ(api->get("/opportunities/" + id).status, 400);
    const ghlsim::Counters c = sim->counters();
    EXPECT_EQ(c.opportunities_created, 1);
    EXPECT_EQ(c.opportunities_updated, 2);
    EXPECT_EQ(c.opportunities_deleted, static_cast<int>(existing.body["opportunities"].size()) + 1);
}

TEST_F(Opportunities, CreateValidation) {
    Result r = api->post("/opportunities/", {{"locationId", loc()}, {"name", "x"}});
    ASSERT_EQ(r.status, 422);
    const std::string all = r.body["message"].dump();
    EXPECT_NE(all.find("pipelineId should not be empty"), std::string::npos);
    EXPECT_NE(all.find("contactId should not be empty"), std::string::npos);
    EXPECT_NE(all.find("status should not be empty"), std::string::npos);
}

TEST_F(Opportunities, UpsertUpdatesByIdOrCreates) {
    const auto& facts = sim->seed_facts();
    const Json first = api->get(search("&limit=1")).body["opportunities"][0];
    Result r = api->post("/opportunities/upsert", {{"id", first["id"]},
                                                   {"pipelineId", first["pipelineId"]},
                                                   {"locationId", loc()},
                                                   {"monetaryValue", 4321}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["new"], false);
    EXPECT_EQ(r.body["opportunity"]["monetaryValue"], 4321);
    r = api->post("/opportunities/upsert", {{"pipelineId", facts.pipeline_ids.back()},
                                            {"locationId", loc()},
                                            {"name", "Fresh"},
                                            {"contactId", facts.email_only_contact_ids.front()}});
    ASSERT_TRUE(r.status == 200) << r.body.dump();
    EXPECT_TRUE(r.body.contains("new"));
}

TEST_F(Opportunities, LostReasonsSkipLimit) {
    std::set<std::string> names;
    for (int skip = 0; skip < 10; skip += 2) {
        const Result r = api->get("/opportunities/lost-reason?locationId=" + loc() +
                                  "&skip=" + std::to_string(skip) + "&limit=2");
        ASSERT_EQ(r.status, 200);
        EXPECT_EQ(r.body["total"], 5);
        for (const Json& l : r.body["lostReasons"]) EXPECT_TRUE(names.insert(l["name"].get<std::string>()).second);
    }
    EXPECT_EQ(names.size(), 5u);
}

}  // namespace
}  // namespace simtest
