// opportunities toolset against the simulator: the exact GHL requests (snake_case search
// parameters, bodies), the shaped output, cursor paging, stage checks before writes, and the
// error texts. The seed has 2 pipelines (6 and 5 stages) and 80 opportunities.
#include "sandbox_fixture.hpp"

#include <map>
#include <set>

namespace tools_test {
namespace {

class OpportunitiesTest : public SandboxTest {
protected:
    /// The pipelines as list_pipelines gives them (requests cleared afterwards).
    json pipelines() {
        json out = ok("list_pipelines", json::object())["pipelines"];
        sim().clear_requests();
        return out;
    }
    /// Every opportunity matching `args` (one call with the maximum page).
    json all_opportunities(json args) {
        args["limit"] = 100;
        json out = ok("search_opportunities", args)["opportunities"];
        sim().clear_requests();
        return out;
    }
    /// An open opportunity of the first (sales) pipeline.
    json open_sales_opportunity() {
        return all_opportunities({{"status", "open"}, {"pipelineId", seed().pipeline_ids.at(0)}}).at(0);
    }
    /// A contact without any opportunity in `pipeline_id`.
    std::string contact_without_opportunity_in(const std::string& pipeline_id) {
        std::set<std::string> taken;
        for (const auto& o : all_opportunities({{"pipelineId", pipeline_id}})) taken.insert(o["contactId"]);
        for (const auto& id : seed().phone_only_contact_ids)
            if (!taken.count(id)) return id;
        ADD_FAILURE() << "no free contact";
        return {};
    }
};

// ---- list_pipelines -------------------------------------------------------------------------

TEST_F(OpportunitiesTest, ListPipelinesGivesBothPipelinesWithTheirStagesInOrder) {
    json out = ok("list_pipelines", json::object());
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/opportunities/pipelines");
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    EXPECT_EQ(query_param(r, "locationId"), seed().location_id);

    ASSERT_EQ(out["count"], 2);
    const json& p = out["pipelines"];
    EXPECT_EQ(p[0]["id"], seed().pipeline_ids[0]);
    EXPECT_EQ(p[1]["id"], seed().pipeline_ids[1]);
    EXPECT_EQ(p[0]["name"], "Sales Pipeline");
    EXPECT_EQ(p[1]["name"], "Customer Onboarding");
    ASSERT_EQ(p[0]["stages"].size(), 6u);
    ASSERT_EQ(p[1]["stages"].size(), 5u);
    EXPECT_EQ(p[0]["stages"][0]["name"], "New Lead");
    EXPECT_EQ(p[0]["stages"][5]["name"], "Closed");
    EXPECT_EQ(p[1]["stages"][0]["name"], "Kickoff Scheduled");
    for (const auto& pipeline : p) {
        for (std::size_t i = 0; i < pipeline["stages"].size(); ++i) {
            const json& s = pipeline["stages"][i];
            EXPECT_EQ(s["position"], i);
            EXPECT_EQ(s.size(), 3u) << s.dump() << " (only id, name, position)";
        }
        EXPECT_FALSE(pipeline.contains("showInFunnel")) << "raw GHL fields must not leak";
    }
}

// ---- search_opportunities -------------------------------------------------------------------

TEST_F(OpportunitiesTest, SearchSendsEveryFilterUnderItsSnakeCaseName) {
    const json sample = open_sales_opportunity();
    struct Case {
        json args;
        std::map<std::string, std::string> expected;  // query parameter -> value
        std::string field;                            // the output field each item must match
    };
    const std::vector<Case> cases = {
        {{{"status", "won"}}, {{"status", "won"}}, "status"},
        {{{"pipelineId", seed().pipeline_ids[1]}}, {{"pipeline_id", seed().pipeline_ids[1]}}, "pipelineId"},
        {{{"pipelineStageId", sample["pipelineStageId"]}},
         {{"pipeline_stage_id", sample["pipelineStageId"]}}, "pipelineStageId"},
        {{{"contactId", sample["contactId"]}}, {{"contact_id", sample["contactId"]}}, "contactId"},
        {{{"assignedTo", seed().user_ids[2]}}, {{"assigned_to", seed().user_ids[2]}}, "assignedTo"},
    };
    for (const auto& c : cases) {
        sim().clear_requests();
        json args = c.args;
        args["limit"] = 100;
        json out = ok("search_opportunities", args);
        auto searches = requests_to("GET", "/opportunities/search");
        ASSERT_EQ(searches.size(), 1u) << args.dump();
        auto r = searches[0];
        EXPECT_EQ(r.headers["version"], "2021-07-28");
        EXPECT_EQ(query_param(r, "location_id"), seed().location_id);
        EXPECT_EQ(query_param(r, "locationId", "<absent>"), "<absent>") << "v2 search takes location_id";
        EXPECT_EQ(query_param(r, "limit"), "100");
        for (const auto& [name, value] : c.expected) EXPECT_EQ(query_param(r, name), value) << args.dump();
        ASSERT_FALSE(out["opportunities"].empty()) << args.dump();
        const json want = c.args.begin().value();
        for (const auto& o : out["opportunities"]) EXPECT_EQ(o[c.field], want) << args.dump();
        EXPECT_EQ(out["total"], out["count"]) << "all matches fit in one page of 100";
    }
}

TEST_F(OpportunitiesTest, SearchFreeTextGoesToQAndMatchesTheContact) {
    const json sample = open_sales_opportunity();
    const std::string name = sample["contactName"];
    json out = ok("search_opportunities", {{"query", name}});
    auto searches = requests_to("GET", "/opportunities/search");
    ASSERT_EQ(searches.size(), 1u);
    EXPECT_EQ(query_param(searches[0], "q"), name);
    ASSERT_FALSE(out["opportunities"].empty());
    for (const auto& o : out["opportunities"]) EXPECT_EQ(o["contactName"], name);
}

TEST_F(OpportunitiesTest, SearchShapesItemsAndNamesStagesWithOneExtraRead) {
    json out = ok("search_opportunities", {{"limit", 10}});
    // One search and one pipelines read for the names: never a request per item.
    ASSERT_EQ(requests().size(), 2u);
    EXPECT_EQ(requests_to("GET", "/opportunities/pipelines").size(), 1u);
    EXPECT_EQ(out["count"], 10);
    EXPECT_EQ(out["total"], 80);
    EXPECT_TRUE(out["nextCursor"].is_string());
    const json names = pipelines();
    std::map<std::string, std::string> stage_names;
    for (const auto& p : names)
        for (const auto& s : p["stages"]) stage_names[s["id"]] = s["name"];
    for (const auto& o : out["opportunities"]) {
        for (const char* key : {"id", "name", "status", "monetaryValue", "pipelineId", "pipelineName",
                                "pipelineStageId", "stageName", "contactId", "contactName", "assignedTo"})
            EXPECT_TRUE(o.contains(key)) << key << " missing in " << o.dump();
        EXPECT_EQ(o["stageName"], stage_names.at(o["pipelineStageId"]));
        EXPECT_TRUE(is_iso_utc(o["lastStageChangeAt"])) << o.dump();
        EXPECT_TRUE(is_iso_utc(o["updatedAt"])) << o.dump();
        for (const char* raw : {"contact", "notes", "indexVersion", "followers", "customFields", "locationId"})
            EXPECT_FALSE(o.contains(raw)) << raw << " leaked: " << o.dump();
    }
}

TEST_F(OpportunitiesTest, SearchPagesThroughAllEightyWithoutDuplicatesOrGaps) {
    std::set<std::string> seen;
    json args = {{"limit", 15}};
    int pages = 0;
    for (; pages < 20; ++pages) {
        json out = ok("search_opportunities", args);
        EXPECT_EQ(out["total"], seed().opportunities);
        for (const auto& o : out["opportunities"])
            EXPECT_TRUE(seen.insert(o["id"].get<std::string>()).second) << "duplicate " << o["id"];
        if (out["nextCursor"].is_null()) {
            EXPECT_FALSE(out.contains("note"));
            break;
        }
        EXPECT_EQ(out["count"], 15);
        EXPECT_TRUE(contains(out["note"], "cursor"));
        args["cursor"] = out["nextCursor"];
    }
    EXPECT_EQ(pages + 1, 6) << "80 = 5 pages of 15 + 5";
    EXPECT_EQ(seen.size(), 80u);
    // Every page after the first continued from GHL's startAfter/startAfterId.
    auto searches = requests_to("GET", "/opportunities/search");
    ASSERT_EQ(searches.size(), 6u);
    EXPECT_EQ(query_param(searches[0], "startAfterId", "<absent>"), "<absent>");
    for (std::size_t i = 1; i < searches.size(); ++i) {
        EXPECT_NE(query_param(searches[i], "startAfterId", "<absent>"), "<absent>");
        EXPECT_NE(query_param(searches[i], "startAfter", "<absent>"), "<absent>");
    }
}

TEST_F(OpportunitiesTest, SearchFilteredWalkCoversExactlyTheFilteredSet) {
    const std::string pipeline = seed().pipeline_ids[1];
    std::set<std::string> walked;
    json args = {{"pipelineId", pipeline}, {"limit", 7}};
    for (int i = 0; i < 10; ++i) {
        json out = ok("search_opportunities", args);
        for (const auto& o : out["opportunities"]) {
            EXPECT_EQ(o["pipelineId"], pipeline);
            EXPECT_TRUE(walked.insert(o["id"].get<std::string>()).second);
        }
        if (out["nextCursor"].is_null()) break;
        args["cursor"] = out["nextCursor"];
    }
    EXPECT_EQ(walked.size(), 30u) << "the onboarding pipeline holds 30";
    for (const auto& r : requests_to("GET", "/opportunities/search")) EXPECT_EQ(query_param(r, "pipeline_id"), pipeline);
}

TEST_F(OpportunitiesTest, SearchCursorCannotBeReusedWithOtherFilters) {
    json first = ok("search_opportunities", {{"pipelineId", seed().pipeline_ids[0]}, {"limit", 5}});
    ASSERT_TRUE(first["nextCursor"].is_string());
    sim().clear_requests();
    std::string text = tool_error("search_opportunities", {{"pipelineId", seed().pipeline_ids[1]},
                                                           {"limit", 5},
                                                           {"cursor", first["nextCursor"]}});
    EXPECT_TRUE(contains(text, "different filters")) << text;
    EXPECT_TRUE(contains(text, "without a cursor")) << text;
    EXPECT_TRUE(requests().empty());
    text = tool_error("search_opportunities", {{"cursor", "not-a-cursor"}});
    EXPECT_TRUE(contains(text, "cursor")) << text;
    EXPECT_TRUE(requests().empty());
}

TEST_F(OpportunitiesTest, SearchStaleOpenDealsMatchTheSeed) {
    // Open deals whose stage has not changed for 14 days, computed from the shaped ISO times.
    const std::int64_t cutoff = seed().reference_now_ms - 14LL * 24 * 3600 * 1000;
    std::set<std::string> stale;
    for (const auto& o : all_opportunities({{"status", "open"}})) {
        const std::string at = o["lastStageChangeAt"];
        std::tm tm{};
        ASSERT_TRUE(strptime(at.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) << at;
        if (static_cast<std::int64_t>(timegm(&tm)) * 1000 < cutoff) stale.insert(o["id"]);
    }
    EXPECT_EQ(stale, std::set<std::string>(seed().stale_opportunity_ids.begin(), seed().stale_opportunity_ids.end()));
}

TEST_F(OpportunitiesTest, SearchRejectsBadArgumentsBeforeAnyRequest) {
    invalid_arguments("search_opportunities", {{"status", "closed"}});
    invalid_arguments("search_opportunities", {{"limit", 0}});
    invalid_arguments("search_opportunities", {{"limit", 101}});
    invalid_arguments("search_opportunities", {{"pipeline_id", "x"}});
}

// ---- get_opportunity ------------------------------------------------------------------------

TEST_F(OpportunitiesTest, GetOpportunityGivesDetailsWithStageNames) {
    const json sample = open_sales_opportunity();
    const std::string id = sample["id"];
    json out = ok("get_opportunity", {{"opportunityId", id}});
    auto gets = requests_to("GET", "/opportunities/" + id);
    ASSERT_EQ(gets.size(), 1u);
    EXPECT_EQ(gets[0].headers["version"], "2021-07-28");
    EXPECT_EQ(requests().size(), 2u) << "the opportunity and one pipelines read";
    const json& o = out["opportunity"];
    EXPECT_EQ(o["id"], id);
    EXPECT_EQ(o["stageName"], sample["stageName"]);
    EXPECT_EQ(o["pipelineName"], "Sales Pipeline");
    EXPECT_EQ(o["contact"]["name"], sample["contactName"]);
    EXPECT_EQ(o["monetaryValue"], sample["monetaryValue"]);
    EXPECT_TRUE(is_iso_utc(o["createdAt"]));
    EXPECT_TRUE(is_iso_utc(o["lastStatusChangeAt"]));
    EXPECT_FALSE(o.contains("indexVersion"));
}

TEST_F(OpportunitiesTest, GetOpportunityErrors) {
    std::string text = tool_error("get_opportunity", {{"opportunityId", "nosuchopportunity001"}});
    EXPECT_TRUE(contains(text, "Opportunity not found")) << text;
    sim().clear_requests();
    text = tool_error("get_opportunity", {{"opportunityId", "../pipelines"}});
    EXPECT_TRUE(contains(text, "id")) << text;
    EXPECT_TRUE(requests().empty());
    invalid_arguments("get_opportunity", json::object());
}

// ---- update_opportunity ---------------------------------------------------------------------

TEST_F(OpportunitiesTest, UpdateMovesTheStageAndTheReadBackShowsIt) {
    const json sample = open_sales_opportunity();
    const std::string id = sample["id"];
    const json stages = pipelines()[0]["stages"];
    json target;
    for (const auto& s : stages)
        if (s["id"] != sample["pipelineStageId"]) target = s;
    const auto before = sim().counters().opportunities_updated;

    json out = ok("update_opportunity", {{"opportunityId", id}, {"pipelineStageId", target["id"]}});
    auto puts = requests_to("PUT", "/opportunities/");
    ASSERT_EQ(puts.size(), 1u);
    EXPECT_EQ(puts[0].path, "/opportunities/" + id);
    EXPECT_EQ(puts[0].headers["version"], "2021-07-28");
    EXPECT_EQ(body_of(puts[0]), json({{"pipelineId", seed().pipeline_ids[0]}, {"pipelineStageId", target["id"]}}));
    EXPECT_EQ(sim().counters().opportunities_updated, before + 1);
    const json& o = out["opportunity"];
    EXPECT_EQ(o["pipelineStageId"], target["id"]);
    EXPECT_EQ(o["stageName"], target["name"]);
    EXPECT_EQ(o["previousStageId"], sample["pipelineStageId"]);
    EXPECT_EQ(o["previousStageName"], sample["stageName"]);

    json back = ok("get_opportunity", {{"opportunityId", id}})["opportunity"];
    EXPECT_EQ(back["pipelineStageId"], target["id"]);
    EXPECT_EQ(back["stageName"], target["name"]);
    EXPECT_GT(back["lastStageChangeAt"].get<std::string>(), sample["lastStageChangeAt"].get<std::string>());
}

TEST_F(OpportunitiesTest, UpdateRefusesAStageOfAnotherPipelineWithoutWriting) {
    const json sample = open_sales_opportunity();
    const json all = pipelines();
    const std::string foreign_stage = all[1]["stages"][2]["id"];
    const auto before = sim().counters().opportunities_updated;

    std::string text = tool_error("update_opportunity", {{"opportunityId", sample["id"]},
                                                         {"pipelineStageId", foreign_stage},
                                                         {"monetaryValue", 999}});
    EXPECT_TRUE(contains(text, "[tools.invalid_argument]")) << text;
    EXPECT_TRUE(contains(text, "is not a stage of pipeline \"Sales Pipeline\"")) << text;
    EXPECT_TRUE(contains(text, "belongs to pipeline \"Customer Onboarding\"")) << text;
    for (const auto& s : all[0]["stages"]) {
        EXPECT_TRUE(contains(text, s["name"].get<std::string>() + " (id " + s["id"].get<std::string>() + ")"))
            << text;
    }
    EXPECT_TRUE(contains(text, "Nothing was changed")) << text;
    EXPECT_EQ(sim().counters().opportunities_updated, before);
    EXPECT_TRUE(requests_to("PUT", "/").empty());
    // Exactly the two reads: the opportunity and the pipelines.
    EXPECT_EQ(requests().size(), 2u);

    sim().clear_requests();
    text = tool_error("update_opportunity", {{"opportunityId", sample["id"]}, {"pipelineStageId", "no-such-stage"}});
    EXPECT_TRUE(contains(text, "not a stage of pipeline")) << text;
    EXPECT_FALSE(contains(text, "belongs to")) << text;
    EXPECT_EQ(sim().counters().opportunities_updated, before);
    EXPECT_TRUE(requests_to("PUT", "/").empty());
    EXPECT_EQ(ok("get_opportunity", {{"opportunityId", sample["id"]}})["opportunity"]["monetaryValue"],
              sample["monetaryValue"]);
}

TEST_F(OpportunitiesTest, UpdateValueNameAndAssigneeIsOneWrite) {
    const json sample = open_sales_opportunity();
    const std::string id = sample["id"];
    std::string user = seed().user_ids[0] == sample["assignedTo"] ? seed().user_ids[1] : seed().user_ids[0];
    json out = ok("update_opportunity",
                  {{"opportunityId", id}, {"monetaryValue", 12345.5}, {"name", "Bigger roof"}, {"assignedTo", user}});
    auto r = only_request();
    EXPECT_EQ(r.method, "PUT");
    EXPECT_EQ(body_of(r), json({{"monetaryValue", 12345.5}, {"name", "Bigger roof"}, {"assignedTo", user}}));
    EXPECT_EQ(out["opportunity"]["monetaryValue"], 12345.5);
    EXPECT_FALSE(out["opportunity"].contains("previousStageId"));
    json back = ok("get_opportunity", {{"opportunityId", id}})["opportunity"];
    EXPECT_EQ(back["monetaryValue"], 12345.5);
    EXPECT_EQ(back["name"], "Bigger roof");
    EXPECT_EQ(back["assignedTo"], user);
    EXPECT_EQ(back["pipelineStageId"], sample["pipelineStageId"]) << "the stage did not move";
}

TEST_F(OpportunitiesTest, UpdateErrors) {
    const auto before = sim().counters().opportunities_updated;
    std::string text = tool_error("update_opportunity", {{"opportunityId", "nosuchopportunity001"}});
    EXPECT_TRUE(contains(text, "Nothing to change")) << text;
    EXPECT_TRUE(requests().empty());
    text = tool_error("update_opportunity", {{"opportunityId", "nosuchopportunity001"}, {"name", "x"}});
    EXPECT_TRUE(contains(text, "Opportunity not found")) << text;
    text = tool_error("update_opportunity", {{"opportunityId", "nosuchopportunity001"}, {"pipelineStageId", "x"}});
    EXPECT_TRUE(contains(text, "Opportunity not found")) << text;
    EXPECT_EQ(sim().counters().opportunities_updated, before);
    invalid_arguments("update_opportunity", {{"opportunityId", "x"}, {"monetaryValue", -1}});
    invalid_arguments("update_opportunity", {{"opportunityId", "x"}, {"status", "won"}});
}

// ---- create_opportunity ---------------------------------------------------------------------

TEST_F(OpportunitiesTest, CreateSendsTheSpecBodyAndTheDealCanBeFound) {
    const std::string pipeline = seed().pipeline_ids[1];
    const std::string contact = contact_without_opportunity_in(pipeline);
    const json stage = pipelines()[1]["stages"][2];
    const auto before = sim().counters().opportunities_created;

    json out = ok("create_opportunity", {{"pipelineId", pipeline}, {"pipelineStageId", stage["id"]},
                                         {"name", "Onboarding: test"}, {"contactId", contact},
                                         {"monetaryValue", 750}, {"assignedTo", seed().user_ids[3]}});
    auto posts = requests_to("POST", "/opportunities");
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].headers["version"], "2021-07-28");
    EXPECT_EQ(body_of(posts[0]), json({{"pipelineId", pipeline}, {"locationId", seed().location_id},
                                       {"name", "Onboarding: test"}, {"status", "open"},
                                       {"contactId", contact}, {"pipelineStageId", stage["id"]},
                                       {"monetaryValue", 750}, {"assignedTo", seed().user_ids[3]}}));
    EXPECT_EQ(sim().counters().opportunities_created, before + 1);
    const json& o = out["opportunity"];
    EXPECT_EQ(o["stageName"], stage["name"]);
    EXPECT_EQ(o["pipelineName"], "Customer Onboarding");
    EXPECT_EQ(o["status"], "open");

    json found = ok("search_opportunities", {{"contactId", contact}, {"pipelineId", pipeline}});
    ASSERT_EQ(found["count"], 1);
    EXPECT_EQ(found["opportunities"][0]["id"], o["id"]);
    EXPECT_EQ(found["opportunities"][0]["monetaryValue"], 750);
}

TEST_F(OpportunitiesTest, CreateWithoutAStageUsesThePipelinesFirstStage) {
    const std::string pipeline = seed().pipeline_ids[1];
    const std::string contact = contact_without_opportunity_in(pipeline);
    json out = ok("create_opportunity", {{"pipelineId", pipeline}, {"name", "Onboarding"}, {"contactId", contact}});
    EXPECT_EQ(out["opportunity"]["stageName"], "Kickoff Scheduled");
    auto posts = requests_to("POST", "/opportunities");
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(body_of(posts[0])["pipelineStageId"], pipelines()[1]["stages"][0]["id"]);
}

TEST_F(OpportunitiesTest, CreateDuplicateSuggestsUpdatingTheExistingOne) {
    const json existing = open_sales_opportunity();
    const auto before = sim().counters().opportunities_created;
    std::string text = tool_error("create_opportunity", {{"pipelineId", seed().pipeline_ids[0]},
                                                         {"name", "Second deal"},
                                                         {"contactId", existing["contactId"]}});
    EXPECT_TRUE(contains(text, "[tools.duplicate_opportunity]")) << text;
    EXPECT_TRUE(contains(text, "Can not create duplicate opportunity for the contact.")) << text;
    EXPECT_TRUE(contains(text, "update_opportunity")) << text;
    EXPECT_TRUE(contains(text, "pipeline \"Sales Pipeline\"")) << text;
    EXPECT_TRUE(contains(text, "opportunity " + existing["id"].get<std::string>())) << text;
    EXPECT_TRUE(contains(text, "status open")) << text;
    EXPECT_EQ(sim().counters().opportunities_created, before);
    EXPECT_EQ(requests_to("POST", "/opportunities").size(), 1u) << "the create is never repeated";
}

TEST_F(OpportunitiesTest, CreateRefusesUnknownPipelineOrForeignStageWithoutWriting) {
    const auto before = sim().counters().opportunities_created;
    const std::string contact = seed().phone_only_contact_ids[0];
    std::string text = tool_error("create_opportunity",
                                  {{"pipelineId", "nosuchpipeline000001"}, {"name", "x"}, {"contactId", contact}});
    EXPECT_TRUE(contains(text, "is not a pipeline of this location")) << text;
    EXPECT_TRUE(contains(text, "\"Sales Pipeline\" (id " + seed().pipeline_ids[0] + ")")) << text;
    const json all = pipelines();
    text = tool_error("create_opportunity", {{"pipelineId", seed().pipeline_ids[1]},
                                             {"pipelineStageId", all[0]["stages"][0]["id"]},
                                             {"name", "x"},
                                             {"contactId", contact}});
    EXPECT_TRUE(contains(text, "not a stage of pipeline \"Customer Onboarding\"")) << text;
    EXPECT_TRUE(contains(text, "Kickoff Scheduled (id ")) << text;
    EXPECT_EQ(sim().counters().opportunities_created, before);
    EXPECT_TRUE(requests_to("POST", "/").empty());
    invalid_arguments("create_opportunity", {{"pipelineId", "p"}, {"name", "x"}});
    invalid_arguments("create_opportunity", {{"pipelineId", "p"}, {"name", ""}, {"contactId", "c"}});
    invalid_arguments("create_opportunity", {{"pipelineId", "p"}, {"name", "x"}, {"contactId", "c"}, {"status", "won"}});
}

TEST_F(OpportunitiesTest, CreateForAnUnknownContactShowsGhlsMessage) {
    std::string text = tool_error("create_opportunity", {{"pipelineId", seed().pipeline_ids[0]},
                                                         {"name", "x"},
                                                         {"contactId", "nosuchcontact0000001"}});
    EXPECT_TRUE(contains(text, "Contact not found")) << text;
}

// ---- set_opportunity_status -----------------------------------------------------------------

TEST_F(OpportunitiesTest, SetStatusWritesOneStatusChangeAndTheReadBackShowsIt) {
    const json sample = open_sales_opportunity();
    const std::string id = sample["id"];
    for (const char* status : {"won", "lost", "abandoned", "open"}) {
        sim().clear_requests();
        const auto before = sim().counters().opportunities_updated;
        json out = ok("set_opportunity_status", {{"opportunityId", id}, {"status", status}});
        auto r = only_request();
        EXPECT_EQ(r.method, "PUT");
        EXPECT_EQ(r.path, "/opportunities/" + id + "/status");
        EXPECT_EQ(r.headers["version"], "2021-07-28");
        EXPECT_EQ(body_of(r), json({{"status", status}}));
        EXPECT_EQ(out["opportunity"], json({{"id", id}, {"status", status}}));
        EXPECT_EQ(sim().counters().opportunities_updated, before + 1);
        EXPECT_EQ(ok("get_opportunity", {{"opportunityId", id}})["opportunity"]["status"], status);
    }
}

TEST_F(OpportunitiesTest, SetStatusErrors) {
    invalid_arguments("set_opportunity_status", {{"opportunityId", "x"}, {"status", "all"}});
    invalid_arguments("set_opportunity_status", {{"opportunityId", "x"}});
    std::string text = tool_error("set_opportunity_status", {{"opportunityId", "nosuchopportunity001"}, {"status", "won"}});
    EXPECT_TRUE(contains(text, "Opportunity not found")) << text;
}

// ---- delete_opportunity ---------------------------------------------------------------------

TEST_F(OpportunitiesTest, DeleteRemovesTheDealButNotItsContact) {
    const json sample = open_sales_opportunity();
    const std::string id = sample["id"];
    const auto before = sim().counters().opportunities_deleted;
    json out = ok("delete_opportunity", {{"opportunityId", id}});
    auto r = only_request();
    EXPECT_EQ(r.method, "DELETE");
    EXPECT_EQ(r.path, "/opportunities/" + id);
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    EXPECT_EQ(out, json({{"deleted", id}}));
    EXPECT_EQ(sim().counters().opportunities_deleted, before + 1);
    EXPECT_TRUE(contains(tool_error("get_opportunity", {{"opportunityId", id}}), "Opportunity not found"));
    EXPECT_EQ(ok("search_opportunities", {{"limit", 1}})["total"], 79);
    EXPECT_EQ(ok("get_contact", {{"contactId", sample["contactId"]}})["contact"]["id"], sample["contactId"]);
    // A second delete finds nothing and says so.
    EXPECT_TRUE(contains(tool_error("delete_opportunity", {{"opportunityId", id}}), "Opportunity not found"));
    EXPECT_EQ(sim().counters().opportunities_deleted, before + 1);
}

}  // namespace
}  // namespace tools_test
