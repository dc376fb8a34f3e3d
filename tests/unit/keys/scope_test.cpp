// Every JSON-RPC method that carries GHL data, over real HTTP in front of the sandbox, for keys
// scoped to another sub-account, another toolset or read-only (issue 18): such a key gets nothing
// it should not, no GHL request is made for it, and every access, allowed or refused, is audited.
// Before the fix completion/complete answered the default sub-account's pipeline names to any key
// through unaudited GHL calls, subscriptions were recorded unchecked, 2025-11-25 tasks were
// readable by any key holding the id, and the location refusal printed `" + p->name + "`.
#include "http_keys_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

using json = nlohmann::json;
using keys_test::HttpKeys;
using ::testing::HasSubstr;

class Scope : public HttpKeys {
  protected:
    void SetUp() override {
        HttpKeys::SetUp();
        elsewhere_ = store_->create("elsewhere", {"otherLocation123"}, {}, false);
        calendar_bot_ = store_->create("calendar-bot", {}, {"calendars"}, false);
        full_ = store_->create("full", {}, {}, false);
    }

    /// A 2025-11-25 session of `key` over Streamable HTTP; returns its id.
    std::string legacy_session(const std::string& key) {
        json init{{"jsonrpc", "2.0"},
                  {"id", 0},
                  {"method", "initialize"},
                  {"params",
                   {{"protocolVersion", "2025-11-25"},
                    {"capabilities", json::object()},
                    {"clientInfo", {{"name", "scope-tests"}, {"version", "1"}}}}}};
        auto r = legacy_post(key, "", init);
        if (!r || r->status != 200) return {};
        const std::string sid = r->get_header_value("Mcp-Session-Id");
        legacy_post(key, sid, json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
        return sid;
    }
    httplib::Result legacy_post(const std::string& key, const std::string& sid, const json& body) {
        httplib::Headers h{{"Accept", "application/json, text/event-stream"},
                           {"Authorization", "Bearer " + key}};
        if (!sid.empty()) {
            h.emplace("Mcp-Session-Id", sid);
            h.emplace("MCP-Protocol-Version", "2025-11-25");
        }
        httplib::Client client("127.0.0.1", transport_->port());
        client.set_read_timeout(std::chrono::seconds(60));
        return client.Post("/mcp", h, body.dump(), "application/json");
    }
    json legacy(const std::string& key, const std::string& sid, const std::string& method,
                json params) {
        return response_of(legacy_post(key, sid,
                                       json{{"jsonrpc", "2.0"},
                                            {"id", ++id_},
                                            {"method", method},
                                            {"params", std::move(params)}}));
    }

    /// Audit rows newer than `before` rows ago, oldest first.
    std::vector<app::AuditEntry> audit_since(size_t before) {
        auto rows = app_->audit()->recent(1000);
        std::vector<app::AuditEntry> out(rows.begin(),
                                         rows.end() - static_cast<std::ptrdiff_t>(before));
        std::reverse(out.begin(), out.end());
        return out;
    }
    size_t audit_count() { return app_->audit()->recent(100000).size(); }

    std::string elsewhere_, calendar_bot_, full_;
};

TEST_F(Scope, TheLocationRefusalNamesTheKeyWhole) {
    json r = call(elsewhere_, "find_contact", {{"phone", keys_test::kPhone}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_EQ(text_of(r),
              "[auth.location_not_allowed] The API key \"elsewhere\" may not act on sub-account " +
                  location_ + ". It may act on: otherLocation123. Pass one of them as locationId.");
}

struct Door {
    const char* method;
    json params;
    const char* what;  // for failure messages
    std::string name;  // the Mcp-Name header (resources/read, prompts/get)
};

TEST_F(Scope, EveryDataMethodRefusesAKeyOutsideItsScopeAndAuditsIt) {
    const std::string contact = app_->sandbox()->seed_facts().phone_only_contact_ids.front();
    const std::vector<Door> doors = {
        {"resources/read", {{"uri", "ghl://pipelines"}}, "a resource", "ghl://pipelines"},
        {"resources/read",
         {{"uri", "ghl://contacts/" + contact}},
         "a resource template",
         "ghl://contacts/" + contact},
        {"prompts/get",
         {{"name", "pipeline_audit"}, {"arguments", {{"pipeline", "Sales"}}}},
         "a prompt",
         "pipeline_audit"},
        {"completion/complete",
         {{"ref", {{"type", "ref/prompt"}, {"name", "pipeline_audit"}}},
          {"argument", {{"name", "pipeline"}, {"value", ""}}}},
         "a completion"},
        {"completion/complete",
         {{"ref", {{"type", "ref/prompt"}, {"name", "book_for_caller"}}},
          {"argument", {{"name", "calendar"}, {"value", ""}}}},
         "a calendar completion"},
        {"subscriptions/listen",
         {{"notifications", {{"resourceSubscriptions", {"ghl://contacts/" + contact}}}}},
         "a subscription"},
    };
    for (const auto& key : {elsewhere_, calendar_bot_}) {
        for (const auto& door : doors) {
            // The calendar bot may read calendars: only the pipeline/contact doors must refuse it.
            if (key == calendar_bot_ && std::string(door.what) == "a calendar completion") continue;
            app_->sandbox()->clear_requests();
            const size_t before = audit_count();
            json r = response_of(post(key, door.method, door.params, door.name));
            ASSERT_TRUE(r.contains("error"))
                << door.what << " for " << (key == elsewhere_ ? "elsewhere" : "calendar-bot")
                << ": " << r.dump();
            EXPECT_THAT(r.dump(), ::testing::Not(HasSubstr("Sales Pipeline"))) << door.what;
            EXPECT_TRUE(app_->sandbox()->requests().empty())
                << door.what << " reached GHL for a refused key";
            auto rows = audit_since(before);
            ASSERT_FALSE(rows.empty()) << door.what << " was not audited";
            EXPECT_EQ(rows.back().outcome, "refused") << door.what;
            EXPECT_THAT(rows.back().tool, HasSubstr(door.method)) << door.what;
        }
    }
    // The legacy era's subscription door too.
    const std::string sid = legacy_session(elsewhere_);
    ASSERT_FALSE(sid.empty());
    json sub =
        legacy(elsewhere_, sid, "resources/subscribe", {{"uri", "ghl://contacts/" + contact}});
    ASSERT_TRUE(sub.contains("error")) << sub.dump();
    EXPECT_THAT(sub["error"]["message"].get<std::string>(), HasSubstr("\"elsewhere\""));
}

TEST_F(Scope, AnAllowedCompletionAnswersAndIsAudited) {
    const size_t before = audit_count();
    json r = response_of(post(full_, "completion/complete",
                              {{"ref", {{"type", "ref/prompt"}, {"name", "pipeline_audit"}}},
                               {"argument", {{"name", "pipeline"}, {"value", ""}}}}));
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_FALSE(r["result"]["completion"]["values"].empty()) << r.dump();
    auto rows = audit_since(before);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].caller, "full");
    EXPECT_EQ(rows[0].tool, "list_pipelines via completion/complete");
    EXPECT_EQ(rows[0].outcome, "ok");
}

TEST_F(Scope, SubscribingToAnUnknownResourceSaysWhereTheKnownOnesAre) {
    const std::string sid = legacy_session(full_);
    json sub = legacy(full_, sid, "resources/subscribe", {{"uri", "ghl://nothing/here"}});
    ASSERT_TRUE(sub.contains("error")) << sub.dump();
    EXPECT_THAT(sub["error"]["message"].get<std::string>(), HasSubstr("resources/templates/list"));
    json ok = legacy(full_, sid, "resources/subscribe", {{"uri", "ghl://pipelines"}});
    EXPECT_TRUE(ok.contains("result")) << ok.dump();
}

TEST_F(Scope, AnotherKeyCannotReadALegacyTaskResult) {
    const std::string mine = legacy_session(full_);
    json started = legacy(
        full_, mine, "tools/call",
        {{"name", "search_contacts"}, {"arguments", {{"query", ""}}}, {"task", json::object()}});
    ASSERT_TRUE(started.contains("result")) << started.dump();
    const std::string task = started["result"]["task"]["taskId"];
    // The narrowest key, holding the id, in its own session.
    const std::string theirs = legacy_session(frontdesk_);
    for (const char* method : {"tasks/result", "tasks/get", "tasks/cancel"}) {
        json r = legacy(frontdesk_, theirs, method, {{"taskId", task}});
        ASSERT_TRUE(r.contains("error")) << method << ": " << r.dump();
        EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("Unknown task")) << method;
    }
    EXPECT_TRUE(
        legacy(frontdesk_, theirs, "tasks/list", json::object())["result"]["tasks"].empty());
    json result = legacy(full_, mine, "tasks/result", {{"taskId", task}});
    ASSERT_TRUE(result.contains("result")) << result.dump();
    EXPECT_FALSE(result["result"].value("isError", false)) << result.dump();
}

}  // namespace
