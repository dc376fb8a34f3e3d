// Resources, prompts and completions: cached reference data, invalidation by our own writes,
// prompt texts that name the right tools and ids, completion of names.
#include "sandbox_fixture.hpp"

namespace tools_test {
namespace {

class ReferenceTest : public SandboxTest {
protected:
    json read(const std::string& uri) {
        json r = rpc("resources/read", {{"uri", uri}});
        EXPECT_TRUE(r.contains("result")) << r.dump();
        if (!r.contains("result")) return nullptr;
        return json::parse(r["result"]["contents"][0]["text"].get<std::string>());
    }
};

TEST_F(ReferenceTest, ListsTheReferenceResourcesAndTemplates) {
    json list = rpc("resources/list")["result"]["resources"];
    std::set<std::string> uris;
    for (const auto& r : list) {
        uris.insert(r["uri"]);
        EXPECT_EQ(r["mimeType"], "application/json");
    }
    for (const char* uri : {"ghl://location", "ghl://pipelines", "ghl://calendars", "ghl://custom-fields",
                            "ghl://users", "ghl://tags"})
        EXPECT_TRUE(uris.count(uri)) << uri;
    json templates = rpc("resources/templates/list")["result"]["resourceTemplates"];
    std::set<std::string> patterns;
    for (const auto& t : templates) patterns.insert(t["uriTemplate"]);
    EXPECT_TRUE(patterns.count("ghl://contacts/{contactId}"));
    EXPECT_TRUE(patterns.count("ghl://opportunities/{opportunityId}"));
}

TEST_F(ReferenceTest, ReferenceDataIsTheToolResultAndIsCached) {
    json first = read("ghl://pipelines");
    EXPECT_EQ(first, ok("list_pipelines", json::object())) << "a resource is the tool's result";
    sim().clear_requests();
    json again = read("ghl://pipelines");
    EXPECT_EQ(again, first);
    EXPECT_TRUE(requests().empty()) << "the second read is served from the cache";
    EXPECT_EQ(first["pipelines"].size(), seed().pipeline_ids.size());
}

TEST_F(ReferenceTest, OurOwnWriteDropsTheCachedRecord) {
    json list = ok("search_opportunities", {{"status", "open"}, {"limit", 1}});
    const std::string id = list["opportunities"][0]["id"];
    const std::string uri = "ghl://opportunities/" + id;
    EXPECT_EQ(read(uri)["opportunity"]["status"], "open");
    ok("set_opportunity_status", {{"opportunityId", id}, {"status", "won"}});
    sim().clear_requests();
    EXPECT_EQ(read(uri)["opportunity"]["status"], "won") << "a stale cached record survived our write";
    EXPECT_GE(requests_to("GET", "/opportunities/" + id).size(), 1u);
}

TEST_F(ReferenceTest, UnknownRecordIsAnErrorNotAnEmptyResource) {
    json r = rpc("resources/read", {{"uri", "ghl://contacts/nosuchcontact0000001"}});
    ASSERT_TRUE(r.contains("error")) << r.dump();
    EXPECT_NE(r["error"]["message"].get<std::string>().find("not found"), std::string::npos) << r.dump();
}

TEST_F(ReferenceTest, PipelineAuditPromptResolvesTheNameToTheId) {
    json pipelines = ok("list_pipelines", json::object())["pipelines"];
    const std::string name = pipelines[0]["name"], id = pipelines[0]["id"];
    json r = rpc("prompts/get", {{"name", "pipeline_audit"}, {"arguments", {{"pipeline", name}, {"staleDays", "21"}}}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    const std::string text = r["result"]["messages"][0]["content"]["text"];
    EXPECT_TRUE(contains(text, "audit_pipeline")) << text;
    EXPECT_TRUE(contains(text, id)) << text;
    EXPECT_TRUE(contains(text, "\"staleDays\":21")) << text;

    json bad = rpc("prompts/get", {{"name", "pipeline_audit"}, {"arguments", {{"pipeline", "No Such Pipeline"}}}});
    ASSERT_TRUE(bad.contains("error"));
    EXPECT_TRUE(contains(bad["error"]["message"], name)) << "the error lists the valid names";
    json bad_days = rpc("prompts/get", {{"name", "pipeline_audit"}, {"arguments", {{"staleDays", "soon"}}}});
    EXPECT_TRUE(bad_days.contains("error"));
}

TEST_F(ReferenceTest, BookForCallerPromptWalksTheReceptionistFlow) {
    json r = rpc("prompts/get", {{"name", "book_for_caller"}, {"arguments", {{"phone", "+12125550110"}}}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    const std::string text = r["result"]["messages"][0]["content"]["text"];
    for (const char* tool : {"find_contact", "get_free_slots", "book_appointment", "send_message"})
        EXPECT_TRUE(contains(text, tool)) << tool;
    EXPECT_TRUE(rpc("prompts/get", {{"name", "book_for_caller"}, {"arguments", json::object()}}).contains("error"));
    json summary = rpc("prompts/get", {{"name", "conversation_summary"}, {"arguments", {{"limit", "7"}}}});
    EXPECT_TRUE(contains(summary["result"]["messages"][0]["content"]["text"], "\"limit\": 7"));
}

TEST_F(ReferenceTest, CompletesPipelineNames) {
    json pipelines = ok("list_pipelines", json::object())["pipelines"];
    const std::string name = pipelines[0]["name"];
    json r = rpc("completion/complete", {{"ref", {{"type", "ref/prompt"}, {"name", "pipeline_audit"}}},
                                         {"argument", {{"name", "pipeline"}, {"value", name.substr(0, 3)}}}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    auto values = r["result"]["completion"]["values"];
    EXPECT_NE(std::find(values.begin(), values.end(), json(name)), values.end()) << values.dump();
    json none = rpc("completion/complete", {{"ref", {{"type", "ref/prompt"}, {"name", "pipeline_audit"}}},
                                            {"argument", {{"name", "pipeline"}, {"value", "zzz"}}}});
    EXPECT_TRUE(none["result"]["completion"]["values"].empty());
}

}  // namespace
}  // namespace tools_test
