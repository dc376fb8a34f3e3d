// Key scoping over real HTTP: the sandbox App (catalog, dispatcher, GHL client, simulator) behind
// HttpTransport with the App's authenticator, keys in a SQLite file, the audit log next to it.
// A key limited to one location and read-only cannot list or call anything else; wrong, missing
// and revoked keys get 401 with WWW-Authenticate; the audit log names key, tool and outcome and
// holds no argument values.
#include "http_keys_fixture.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <set>
#include <sstream>
#include <thread>

namespace {

using json = nlohmann::json;
using keys_test::database_bytes;
using keys_test::HttpKeys;
using keys_test::TempDir;
using keys_test::kEmail;
using keys_test::kPhone;

TEST_F(HttpKeys, ReadOnlyKeyListsOnlyReadOnlyTools) {
    std::set<std::string> visible = listed(frontdesk_);
    std::set<std::string> read_only, writes;
    for (const auto& t : app_->server().registry().tools()) (t->read_only() ? read_only : writes).insert(t->name());
    ASSERT_FALSE(writes.empty());
    EXPECT_EQ(visible, read_only) << "a read-only key sees exactly the read-only tools";
    EXPECT_TRUE(visible.count("find_contact"));
    EXPECT_FALSE(visible.count("create_contact"));
    EXPECT_FALSE(visible.count("send_message"));
}

TEST_F(HttpKeys, WriteToolCallFailsLikeAnUnknownTool) {
    app_->sandbox()->clear_requests();
    json write = call(frontdesk_, "create_contact", {{"firstName", "Jenny"}, {"phone", kPhone}, {"email", kEmail}});
    json unknown = call(frontdesk_, "no_such_tool", json::object());
    ASSERT_TRUE(write.contains("error")) << write.dump();
    ASSERT_TRUE(unknown.contains("error")) << unknown.dump();
    EXPECT_EQ(write["error"]["code"], unknown["error"]["code"]);
    EXPECT_EQ(write["error"]["message"], "Unknown tool: create_contact");
    EXPECT_TRUE(app_->sandbox()->requests().empty()) << "a hidden tool must not reach GHL";
}

TEST_F(HttpKeys, CallsRefusedBeforeAnyHandlerAreAuditedToo) {
    call(frontdesk_, "create_contact", {{"firstName", "Jenny"}, {"phone", kPhone}});  // hidden
    call(frontdesk_, "find_contact", {{"phone", kPhone}, {"bogus", kEmail}});        // bad arguments
    auto rows = app_->audit()->recent(10);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1].tool, "create_contact");
    EXPECT_EQ(rows[1].outcome, "unknown_tool");
    EXPECT_EQ(rows[1].caller, "frontdesk");
    EXPECT_EQ(rows[0].tool, "find_contact");
    EXPECT_EQ(rows[0].outcome, "invalid_arguments");
    const std::string bytes = database_bytes(app_->audit()->path());
    EXPECT_EQ(bytes.find("8675309"), std::string::npos) << "a phone number reached the audit log";
    EXPECT_EQ(bytes.find(kEmail), std::string::npos) << "an email reached the audit log";
}

TEST_F(HttpKeys, OtherLocationIsRefusedWithTheAllowedOnes) {
    app_->sandbox()->clear_requests();
    json r = call(frontdesk_, "find_contact", {{"phone", kPhone}, {"locationId", "otherLocation123"}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_TRUE(r["result"].value("isError", false));
    std::string text = text_of(r);
    EXPECT_NE(text.find("[auth.location_not_allowed]"), std::string::npos) << text;
    EXPECT_NE(text.find("otherLocation123"), std::string::npos) << text;
    EXPECT_NE(text.find(location_), std::string::npos) << "the allowed location is listed: " << text;
    EXPECT_TRUE(app_->sandbox()->requests().empty()) << "a refused call must not reach GHL";

    // Its own location, explicit or by default, works.
    json own = call(frontdesk_, "find_contact", {{"email", kEmail}, {"locationId", location_}});
    ASSERT_TRUE(own.contains("result")) << own.dump();
    EXPECT_EQ(text_of(own).find("location_not_allowed"), std::string::npos) << own.dump();
    json dflt = call(frontdesk_, "find_contact", {{"phone", kPhone}});
    ASSERT_TRUE(dflt.contains("result")) << dflt.dump();
    EXPECT_EQ(text_of(dflt).find("location_not_allowed"), std::string::npos) << dflt.dump();
}

TEST_F(HttpKeys, WrongMissingAndRevokedKeysGet401WithWwwAuthenticate) {
    for (const std::string& key : {std::string("ghlmcp_not-a-real-key"), std::string()}) {
        auto r = post(key, "tools/list", json::object());
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 401) << key;
        EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"ghl-mcp\"");
        EXPECT_NE(r->body.find("Unauthorized"), std::string::npos) << r->body;
    }
    auto bad_scheme = [&] {
        httplib::Client client("127.0.0.1", transport_->port());
        return client.Post("/mcp", {{"Authorization", "Basic " + frontdesk_}}, "{}", "application/json");
    }();
    ASSERT_TRUE(bad_scheme);
    EXPECT_EQ(bad_scheme->status, 401);

    ASSERT_EQ(post(frontdesk_, "tools/list", json::object())->status, 200);
    ASSERT_TRUE(app::KeyStore(keys_path_, false).revoke("frontdesk"));
    auto revoked = post(frontdesk_, "tools/list", json::object());
    ASSERT_TRUE(revoked);
    EXPECT_EQ(revoked->status, 401);
    EXPECT_EQ(revoked->get_header_value("WWW-Authenticate"), "Bearer realm=\"ghl-mcp\"");
    EXPECT_NE(revoked->body.find("revoked"), std::string::npos) << revoked->body;
}

TEST_F(HttpKeys, ToolsetKeySeesOnlyItsToolsets) {
    std::string key = store_->create("calendar-bot", {}, {"calendars"}, false);
    std::set<std::string> visible = listed(key);
    std::set<std::string> expected;
    for (const auto& t : app_->server().registry().tools())
        if (t->toolset == "calendars" || t->toolset == "server") expected.insert(t->name());
    EXPECT_EQ(visible, expected);
    EXPECT_TRUE(visible.count("book_appointment")) << "not read-only: write tools of its toolset stay";
    json r = call(key, "find_contact", {{"phone", kPhone}});
    ASSERT_TRUE(r.contains("error")) << r.dump();
}

TEST_F(HttpKeys, AuditLogNamesKeyToolAndOutcomeWithoutArguments) {
    call(frontdesk_, "find_contact", {{"phone", kPhone}, {"locationId", "otherLocation123"}});
    json ok = call(frontdesk_, "find_contact", {{"email", kEmail}});
    ASSERT_TRUE(ok.contains("result")) << ok.dump();
    const std::string expected_outcome = ok["result"].value("isError", false) ? "tool_error" : "ok";

    ASSERT_NE(app_->audit(), nullptr);
    EXPECT_EQ(app_->audit()->path(), dir_.file("keys-audit.db"));
    auto rows = app_->audit()->recent(10);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1].caller, "frontdesk");
    EXPECT_EQ(rows[1].tool, "find_contact");
    EXPECT_EQ(rows[1].location, "otherLocation123");
    EXPECT_EQ(rows[1].outcome, "refused");
    EXPECT_EQ(rows[0].caller, "frontdesk");
    EXPECT_EQ(rows[0].tool, "find_contact");
    EXPECT_EQ(rows[0].location, location_);
    EXPECT_EQ(rows[0].outcome, expected_outcome);
    EXPECT_GE(rows[0].latency_ms, 0);

    const std::string bytes = database_bytes(app_->audit()->path());
    EXPECT_NE(bytes.find("frontdesk"), std::string::npos) << "the grep reads the audit file";
    EXPECT_EQ(bytes.find(kPhone), std::string::npos) << "a phone number reached the audit log";
    EXPECT_EQ(bytes.find("8675309"), std::string::npos);
    EXPECT_EQ(bytes.find(kEmail), std::string::npos) << "an email reached the audit log";
    EXPECT_EQ(bytes.find("jenny"), std::string::npos);
    EXPECT_EQ(database_bytes(keys_path_).find(frontdesk_), std::string::npos) << "the key is on disk";
}

TEST_F(HttpKeys, ResourcesAndPromptsFollowTheKeyScope) {
    auto read = [&](const std::string& key, const std::string& uri) {
        return response_of(post(key, "resources/read", {{"uri", uri}}, uri));
    };
    // The key's own (default) location, a read-only resource: allowed.
    json own = read(frontdesk_, "ghl://pipelines");
    ASSERT_TRUE(own.contains("result")) << own.dump();
    EXPECT_FALSE(own["result"]["contents"].empty());

    // Another sub-account's key may not read the default one's data, cached or not.
    std::string elsewhere = store_->create("elsewhere", {"otherLocation123"}, {}, true);
    json r = read(elsewhere, "ghl://pipelines");
    ASSERT_TRUE(r.contains("error")) << r.dump();
    std::string msg = r["error"].value("message", "");
    EXPECT_NE(msg.find("default sub-account"), std::string::npos) << msg;
    EXPECT_NE(msg.find("otherLocation123"), std::string::npos) << msg;
    json prompt = response_of(post(elsewhere, "prompts/get",
                                   {{"name", "pipeline_audit"}, {"arguments", {{"pipeline", "Sales"}}}},
                                   "pipeline_audit"));
    ASSERT_TRUE(prompt.contains("error")) << prompt.dump();

    // A toolset-limited key may not read through a tool outside its toolsets.
    std::string calendars = store_->create("calendar-bot", {}, {"calendars"}, false);
    json pipelines = read(calendars, "ghl://pipelines");
    ASSERT_TRUE(pipelines.contains("error")) << pipelines.dump();
    EXPECT_NE(pipelines["error"].value("message", "").find("list_pipelines"), std::string::npos);
    json cal = read(calendars, "ghl://calendars");
    EXPECT_TRUE(cal.contains("result")) << cal.dump();
}

class HttpEnvKey : public HttpKeys {
protected:
    void SetUp() override { start("env-secret-key-123456"); }
};

TEST_F(HttpEnvKey, GhlMcpApiKeyStaysAnUnrestrictedKey) {
    std::set<std::string> visible = listed("env-secret-key-123456");
    EXPECT_EQ(visible.size(), app_->server().registry().tools().size());
    EXPECT_TRUE(visible.count("create_contact"));
    json r = call("env-secret-key-123456", "find_contact", {{"phone", kPhone}, {"locationId", "otherLocation123"}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_EQ(text_of(r).find("location_not_allowed"), std::string::npos) << r.dump();
    auto rows = app_->audit()->recent(1);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].caller, "GHL_MCP_API_KEY");
    // The file's keys work alongside it, with their scope.
    EXPECT_FALSE(listed(frontdesk_).count("create_contact"));
    EXPECT_EQ(post("env-secret-key-12345", "tools/list", json::object())->status, 401);
}

TEST(AppAudit, ConsoleCallsAreAuditedAsLocal) {
    TempDir dir;
    app::Config c;
    c.sandbox = true;
    c.log_level = "off";
    c.audit_db = dir.file("audit.db");
    app::App a(c);
    EXPECT_FALSE(a.authenticator()) << "no keys configured: HTTP stays open (loopback only)";
    auto out = a.call("get_server_status", json::object());
    EXPECT_FALSE(out.is_error);
    ASSERT_NE(a.audit(), nullptr);
    auto rows = a.audit()->recent(5);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].caller, "local");
    EXPECT_EQ(rows[0].tool, "get_server_status");
    EXPECT_EQ(rows[0].outcome, "ok");
}

}  // namespace
