// workflows toolset against the simulator: listing workflows, enrolling contacts in workflows and
// campaigns and removing them; the exact GHL requests, the effects (simulator counters) and the
// error texts.
#include "sandbox_fixture.hpp"

#include <set>

namespace tools_test {
namespace {

class WorkflowsTest : public SandboxTest {
  protected:
    std::string a_contact() { return seed().phone_only_contact_ids.at(0); }
    std::string a_workflow() { return seed().workflow_ids.at(0); }
    std::string a_campaign() { return seed().campaign_ids.at(0); }
};

// ---- list_workflows -------------------------------------------------------------------------

TEST_F(WorkflowsTest, ListWorkflowsShapesTheSeedWithOneRequest) {
    json out = ok("list_workflows", json::object());
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/workflows/");
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    EXPECT_EQ(r.query, "locationId=" + seed().location_id);

    const json& w = out["workflows"];
    ASSERT_EQ(w.size(), seed().workflow_ids.size());
    EXPECT_EQ(out["count"], w.size());
    EXPECT_TRUE(out["nextCursor"].is_null());
    std::set<std::string> statuses;
    for (std::size_t i = 0; i < w.size(); ++i) {
        EXPECT_EQ(w[i]["id"], seed().workflow_ids[i]);
        EXPECT_TRUE(w[i]["name"].is_string());
        statuses.insert(w[i]["status"].get<std::string>());
        EXPECT_EQ(w[i].size(), 3u) << "only id, name, status: " << w[i].dump();
    }
    EXPECT_EQ(statuses, (std::set<std::string>{"draft", "published"}));
    EXPECT_EQ(w[0]["name"], "New Lead Nurture");
    EXPECT_EQ(w[3]["status"], "draft");
}

TEST_F(WorkflowsTest, ListWorkflowsFiltersByNameCaseInsensitively) {
    json out = ok("list_workflows", {{"nameContains", "FOLLOW"}});
    ASSERT_EQ(out["workflows"].size(), 1u);
    EXPECT_EQ(out["workflows"][0]["name"], "No-Show Follow Up");
    EXPECT_EQ(out["workflows"][0]["id"], seed().workflow_ids[2]);
    EXPECT_TRUE(ok("list_workflows", {{"nameContains", "no such workflow"}})["workflows"].empty());
}

TEST_F(WorkflowsTest, ListWorkflowsPagesWithoutGapsOrDuplicates) {
    std::vector<std::string> walked;
    json args = {{"limit", 4}};
    int pages = 0;
    for (; pages < 10; ++pages) {
        json out = ok("list_workflows", args);
        for (const auto& w : out["workflows"]) walked.push_back(w["id"]);
        if (out["nextCursor"].is_null()) break;
        EXPECT_EQ(out["workflows"].size(), 4u);
        args["cursor"] = out["nextCursor"];
    }
    EXPECT_EQ(pages, 1) << "6 workflows in pages of 4: two pages";
    EXPECT_EQ(walked, seed().workflow_ids);

    // A cursor continues only the listing it was made for.
    json first = ok("list_workflows", {{"limit", 2}, {"nameContains", "e"}});
    ASSERT_TRUE(first["nextCursor"].is_string());
    std::string text =
        tool_error("list_workflows", {{"limit", 2}, {"cursor", first["nextCursor"]}});
    EXPECT_TRUE(contains(text, "different filters")) << text;
    text = tool_error("list_workflows", {{"cursor", "garbage"}});
    EXPECT_TRUE(contains(text, "cursor")) << text;
}

TEST_F(WorkflowsTest, ListWorkflowsRefusesBadLimits) {
    invalid_arguments("list_workflows", {{"limit", 0}});
    invalid_arguments("list_workflows", {{"limit", 201}});
    invalid_arguments("list_workflows", {{"status", "published"}});
}

// ---- add_contact_to_workflow ----------------------------------------------------------------

TEST_F(WorkflowsTest, AddToWorkflowPostsAnEmptyBodyAndEnrols) {
    const int before = sim().counters().workflow_enrolments;
    json out =
        ok("add_contact_to_workflow", {{"contactId", a_contact()}, {"workflowId", a_workflow()}});
    auto r = only_request();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/contacts/" + a_contact() + "/workflow/" + a_workflow());
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    EXPECT_EQ(body_of(r), json::object()) << "the spec requires a body, even an empty one";
    EXPECT_EQ(out, json({{"enrolled", true}}));
    EXPECT_EQ(sim().counters().workflow_enrolments, before + 1);
}

TEST_F(WorkflowsTest, AddToWorkflowPassesTheEventStartTime) {
    ok("add_contact_to_workflow", {{"contactId", a_contact()},
                                   {"workflowId", a_workflow()},
                                   {"eventStartTime", "2026-11-24T09:00:00-05:00"}});
    EXPECT_EQ(body_of(only_request()), json({{"eventStartTime", "2026-11-24T09:00:00-05:00"}}));
}

TEST_F(WorkflowsTest, AddToWorkflowRefusesAnEventTimeWithoutOffsetBeforeAnyRequest) {
    for (const char* when : {"2026-11-24T09:00:00", "2026-11-24", "tomorrow at nine"}) {
        std::string text = tool_error(
            "add_contact_to_workflow",
            {{"contactId", a_contact()}, {"workflowId", a_workflow()}, {"eventStartTime", when}});
        EXPECT_TRUE(contains(text, "UTC offset")) << when << ": " << text;
    }
    EXPECT_TRUE(requests().empty());
    EXPECT_EQ(sim().counters().workflow_enrolments, 0);
}

TEST_F(WorkflowsTest, AddToWorkflowUnknownIdsAreGhlsErrorsAndEnrolNobody) {
    std::string text = tool_error(
        "add_contact_to_workflow",
        {{"contactId", a_contact()}, {"workflowId", "00000000-0000-0000-0000-000000000000"}});
    EXPECT_TRUE(contains(text, "Workflow not found")) << text;
    text = tool_error("add_contact_to_workflow",
                      {{"contactId", "noSuchContact0000001"}, {"workflowId", a_workflow()}});
    EXPECT_TRUE(contains(text, "Contact not found")) << text;
    EXPECT_EQ(sim().counters().workflow_enrolments, 0);
    text = tool_error("add_contact_to_workflow",
                      {{"contactId", a_contact()}, {"workflowId", "../../locations/x"}});
    EXPECT_TRUE(contains(text, "workflowId")) << text;
    invalid_arguments("add_contact_to_workflow", {{"contactId", a_contact()}});
    {
        // An empty id is refused by the client's id check, before anything is sent.
        const auto before = requests().size();
        std::string empty_id = tool_error("add_contact_to_workflow", {{"contactId", a_contact()}, {"workflowId", ""}});
        EXPECT_TRUE(contains(empty_id, "workflowId is empty")) << empty_id;
        EXPECT_EQ(requests().size(), before);
    }
}

// ---- remove_contact_from_workflow -----------------------------------------------------------

TEST_F(WorkflowsTest, RemoveFromWorkflowSendsADeleteWithAnEmptyBody) {
    ok("add_contact_to_workflow", {{"contactId", a_contact()}, {"workflowId", a_workflow()}});
    sim().clear_requests();
    json out = ok("remove_contact_from_workflow",
                  {{"contactId", a_contact()}, {"workflowId", a_workflow()}});
    auto r = only_request();
    EXPECT_EQ(r.method, "DELETE");
    EXPECT_EQ(r.path, "/contacts/" + a_contact() + "/workflow/" + a_workflow());
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    EXPECT_EQ(body_of(r), json::object());
    EXPECT_EQ(out, json({{"removed", true}}));
    EXPECT_EQ(sim().counters().workflow_enrolments, 1) << "removing enrols nobody";
}

TEST_F(WorkflowsTest, RemoveFromAnUnknownWorkflowIsGhlsError) {
    std::string text = tool_error(
        "remove_contact_from_workflow",
        {{"contactId", a_contact()}, {"workflowId", "00000000-0000-0000-0000-000000000000"}});
    EXPECT_TRUE(contains(text, "Workflow not found")) << text;
}

// ---- add_contact_to_campaign ----------------------------------------------------------------

TEST_F(WorkflowsTest, AddToCampaignPostsAnEmptyBodyAndEnrols) {
    const int before = sim().counters().campaign_enrolments;
    json out =
        ok("add_contact_to_campaign", {{"contactId", a_contact()}, {"campaignId", a_campaign()}});
    auto r = only_request();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/contacts/" + a_contact() + "/campaigns/" + a_campaign());
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    EXPECT_EQ(body_of(r), json::object());
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(out, json({{"enrolled", true}}));
    EXPECT_EQ(sim().counters().campaign_enrolments, before + 1);
    EXPECT_EQ(sim().counters().workflow_enrolments, 0);
}

TEST_F(WorkflowsTest, AddToAnUnknownCampaignIsGhlsErrorAndEnrolsNobody) {
    std::string text =
        tool_error("add_contact_to_campaign",
                   {{"contactId", a_contact()}, {"campaignId", "noSuchCampaign000001"}});
    EXPECT_TRUE(contains(text, "Campaign not found")) << text;
    EXPECT_EQ(sim().counters().campaign_enrolments, 0);
    invalid_arguments("add_contact_to_campaign",
                      {{"contactId", a_contact()}, {"workflowId", a_workflow()}});
}

}  // namespace
}  // namespace tools_test
