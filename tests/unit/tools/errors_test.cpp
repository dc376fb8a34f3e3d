// The error texts a model sees for each GHL failure class, across tool groups: 401 (bad token),
// 403 (another sub-account), unknown ids (GHL's 400/404), 422 (GHL's validation) and 429 (rate
// limited). Each must say what went wrong and what to do, and never carry the token.
#include "sandbox_fixture.hpp"

namespace tools_test {
namespace {

class ErrorsTest : public SandboxTest {};

TEST_F(ErrorsTest, WrongTokenIs401WithWhatToDoAndNoSecret) {
    const std::string secret = "pit-wrong-0123456789abcdef";
    app::Config live;
    live.base_url = sim().base_url();
    live.token = secret;
    live.location_id = sim().location_id();
    live.validate_output = true;
    live.surface.toolsets = {"all"};
    app::App wrong(live);
    struct Case {
        const char* tool;
        json args;
    };
    const Case cases[] = {
        {"get_contact", {{"contactId", seed().phone_only_contact_ids.at(0)}}},
        {"list_pipelines", json::object()},
        {"list_calendars", json::object()},
        {"search_conversations", json::object()},
        {"list_workflows", json::object()},
        {"get_location", json::object()},
    };
    for (const auto& c : cases) {
        auto out = wrong.call(c.tool, c.args);
        ASSERT_TRUE(out.is_error) << c.tool;
        const std::string text = out.result.dump();
        EXPECT_TRUE(contains(text, "401") || contains(text, "unauthorized") || contains(text, "token"))
            << c.tool << ": " << text;
        EXPECT_FALSE(contains(text, secret)) << c.tool << " leaked the token: " << text;
    }
}

TEST_F(ErrorsTest, AnotherSubAccountHasNoCredentialAndNothingIsSent) {
    const std::string other = "otherL0c4t10nQm2Vt9R";
    for (const char* tool : {"search_contacts", "list_pipelines", "search_opportunities", "list_workflows"}) {
        std::string text = tool_error(tool, {{"locationId", other}});
        EXPECT_TRUE(contains(text, "[auth.no_credential]") && contains(text, other) &&
                    contains(text, seed().location_id))
            << tool << ": " << text;
    }
    EXPECT_TRUE(requests().empty()) << "the token must not be sent for a sub-account it is not for";
}

TEST_F(ErrorsTest, UnknownIdsNameTheIdAndTheLookupTool) {
    const std::pair<const char*, json> cases[] = {
        {"get_contact", {{"contactId", "nosuchcontact0000001"}}},
        {"get_opportunity", {{"opportunityId", "nosuchopportunity001"}}},
        {"get_appointment", {{"appointmentId", "nosuchevent000000001"}}},
        {"get_conversation_messages", {{"conversationId", "nosuchconversation01"}}},
    };
    for (const auto& [tool, args] : cases) {
        auto out = call(tool, args);
        ASSERT_TRUE(out.is_error) << tool << " " << out.result.dump();
        const std::string text = out.result.dump();
        EXPECT_TRUE(contains(text, "not found") || contains(text, "Not Found") || contains(text, "nosuch"))
            << tool << ": " << text;
    }
}

TEST_F(ErrorsTest, GhlValidationIs422WithTheFieldToFix) {
    // Our schema and handler accept "a@example"; GHL's validator does not: the model must learn
    // which field to fix, and nothing was created.
    const int before = sim().counters().contacts_created;
    std::string text = tool_error("create_contact", {{"email", "a@example"}});
    EXPECT_TRUE(contains(text, "email must be an email")) << text;
    EXPECT_TRUE(contains(text, "Fix")) << text;
    EXPECT_EQ(sim().counters().contacts_created, before);
}

TEST_F(ErrorsTest, RateLimitedSaysWhenToRetryAndWhatWasNotSent) {
    // A live-mode app with a 3 s call budget: GHL's 429 asks for a wait the call cannot afford,
    // so the model hears at once when to retry instead of the call hanging.
    app::Config live;
    live.base_url = sim().base_url();
    live.token = sim().tokens().front();
    live.location_id = sim().location_id();
    live.surface.toolsets = {"all"};
    live.call_timeout = std::chrono::seconds(3);
    app::App short_budget(live);
    ghlsim::Faults faults;
    faults.burst_429 = 1000;
    sim().set_faults(faults);
    const auto started = std::chrono::steady_clock::now();
    auto out = short_budget.call("list_pipelines", json::object());
    ASSERT_TRUE(out.is_error) << out.result.dump();
    std::string text = out.result.dump();
    EXPECT_TRUE(contains(text, "rate limited") || contains(text, "429")) << text;
    EXPECT_TRUE(contains(text, "retry") || contains(text, "Retry")) << text;
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
    // A create refused by 429 was not applied: the count proves nothing happened.
    const int before = sim().counters().contacts_created;
    auto create = short_budget.call("create_contact", {{"email", "new.person@example.com"}});
    EXPECT_TRUE(create.is_error);
    EXPECT_EQ(sim().counters().contacts_created, before);
}

}  // namespace
}  // namespace tools_test
