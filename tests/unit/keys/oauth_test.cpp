// OAuth end to end against the simulator's OAuth app (rotating single-use refresh tokens,
// agency-to-location tokens, several sub-accounts): `auth login` with the browser played by the
// test, tool calls routed per sub-account, 50 concurrent calls on an expired token causing one
// refresh, a crash right after a refresh losing nothing (the real binary, killed by its test
// hook), a rolled-back store never spending a refresh token twice, and no token in logs, errors,
// `auth status` or tool results.
#include "app/auth_cli.hpp"
#include "app/token_store.hpp"
#include "app/wiring.hpp"
#include "ghl/rate_limiter.hpp"
#include "ghlsim/simulator.hpp"
#include "temp_dir.hpp"
#include "tools/ghl_access.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <set>
#include <sstream>
#include <thread>

namespace {

using json = nlohmann::json;
using keys_test::TempDir;

const std::string kStoreKey(64, 'c');  // hex: 32 bytes of 0xcc

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

/// GET an absolute http URL without following redirects.
httplib::Result http_get(const std::string& url) {
    const auto scheme_end = url.find("://") + 3;
    const auto path_start = url.find('/', scheme_end);
    httplib::Client cli(url.substr(0, path_start));
    cli.set_follow_location(false);
    return cli.Get(url.substr(path_start));
}

using keys_test::Exec;

class OAuthApp : public ::testing::Test {
protected:
    void SetUp() override {
        ghlsim::Options so;
        so.extra_locations = 2;
        so.oauth = ghlsim::OAuthApp{};
        sim_ = std::make_unique<ghlsim::Simulator>(so);
        sim_->start();
        c_.base_url = sim_->base_url();
        c_.client_id = so.oauth->client_id;
        c_.client_secret = so.oauth->client_secret;
        c_.redirect_uri = "http://127.0.0.1:" + std::to_string(free_port()) + "/oauth/callback";
        c_.marketplace_url = sim_->base_url() + "/v2";
        c_.token_store = dir_.file("tokens.db");
        c_.store_key = kStoreKey;
        c_.log_level = "off";
        c_.surface.toolsets = {"all"};
        // Every log line of the test goes through this sink, to be searched for tokens.
        previous_ = spdlog::default_logger();
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logs_);
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("oauth-test", sink));
        spdlog::set_level(spdlog::level::trace);
    }
    void TearDown() override {
        spdlog::set_default_logger(previous_);
        spdlog::set_level(spdlog::level::info);
    }

    /// `auth login`, with the test as the browser: it opens the consent URL, the simulator
    /// "approves" as `user_type` and redirects to our loopback listener.
    int login(const std::string& user_type, const std::string& location = "") {
        app::LoginOptions lo;
        lo.timeout = std::chrono::seconds(20);
        if (user_type == "Company") lo.user_type = ghl::UserType::kCompany;
        lo.on_url = [&](const std::string& url) {
            consent_url_ = url;
            std::string choice = url + "&sim_user_type=" + user_type;
            if (!location.empty()) choice += "&sim_location_id=" + location;
            auto consent = http_get(choice);
            ASSERT_TRUE(consent) << "the simulator's consent page did not answer";
            ASSERT_EQ(consent->status, 302) << consent->body;
            const std::string back = consent->get_header_value("Location");
            ASSERT_EQ(back.rfind(c_.redirect_uri + "?", 0), 0u) << back;
            auto done = http_get(back);
            ASSERT_TRUE(done);
            EXPECT_EQ(done->status, 200) << done->body;
        };
        return app::auth_login(c_, lo);
    }

    std::shared_ptr<ghl::TokenStore> store() { return app::open_token_store(c_, false); }

    /// Every token value the store holds now (to search outputs for).
    void remember_tokens() {
        for (const auto& id : store()->list())
            for (const auto* t : {&id.tokens.access_token, &id.tokens.refresh_token})
                if (!t->empty()) secrets_.insert(*t);
    }

    void expect_no_secret_in(const std::string& text, const std::string& where) {
        remember_tokens();
        ASSERT_FALSE(secrets_.empty());
        for (const auto& s : secrets_)
            EXPECT_EQ(text.find(s), std::string::npos) << "a token value appears in " << where;
        EXPECT_EQ(text.find(c_.client_secret), std::string::npos) << "the client secret appears in " << where;
    }

    /// The real binary with this test's configuration in its environment.
    Exec ghl_mcp(const std::string& args, const std::string& extra_env = "") {
        std::string cmd = "env -u GHL_PRIVATE_INTEGRATION_TOKEN -u GHL_LOCATION_ID -u GHL_TOKEN_FILE"
                          " GHL_MCP_TOOLSETS=all GHL_BASE_URL='" + c_.base_url + "' GHL_MCP_TOKEN_STORE='" + c_.token_store +
                          "' GHL_MCP_STORE_KEY='" + kStoreKey + "' GHL_CLIENT_ID='" + c_.client_id +
                          "' GHL_CLIENT_SECRET='" + c_.client_secret + "' " + extra_env + " '" +
                          GHL_MCP_BINARY + "' " + args + " 2>&1";
        return keys_test::run_command(cmd);
    }

    TempDir dir_;
    std::unique_ptr<ghlsim::Simulator> sim_;
    app::Config c_;
    std::ostringstream logs_;
    std::shared_ptr<spdlog::logger> previous_;
    std::set<std::string> secrets_;
    std::string consent_url_;
};

TEST_F(OAuthApp, SubAccountLoginServesToolsOnThatSubAccountOnly) {
    ASSERT_EQ(login("Location"), 0);
    EXPECT_NE(consent_url_.find("/v2/oauth/chooselocation?response_type=code"), std::string::npos);
    EXPECT_NE(consent_url_.find("state="), std::string::npos);
    const std::string home = sim_->location_id();
    auto id = store()->load(ghl::identity_key_for_location(home));
    ASSERT_TRUE(id.has_value());
    EXPECT_FALSE(id->tokens.refresh_token.empty());
    EXPECT_EQ(sim_->counters().oauth_code_exchanges, 1);

    app::App a(c_);
    EXPECT_EQ(a.environment().default_location_id, home) << "the only sub-account login is the default";
    auto out = a.call("get_location", json::object());
    ASSERT_FALSE(out.is_error) << out.result.dump();
    EXPECT_EQ(out.result["location"]["id"], home);

    auto listed = a.call("list_locations", json::object());
    ASSERT_FALSE(listed.is_error) << listed.result.dump();
    ASSERT_EQ(listed.result["total"], 1);
    EXPECT_EQ(listed.result["locations"][0]["access"], "sub-account login");

    const std::string other = sim_->location_ids().at(1);
    auto refused = a.call("get_location", {{"locationId", other}});
    ASSERT_TRUE(refused.is_error);
    const std::string text = refused.result.dump();
    EXPECT_NE(text.find("[auth.no_credential]"), std::string::npos) << text;
    EXPECT_NE(text.find(home), std::string::npos) << "the error lists the sub-accounts we have: " << text;
    expect_no_secret_in(text + out.result.dump() + listed.result.dump(), "tool results");
    expect_no_secret_in(logs_.str(), "the logs");
}

TEST_F(OAuthApp, AgencyLoginReachesEverySubAccountWithItsOwnTokenAndBudget) {
    ASSERT_EQ(login("Company"), 0);
    ASSERT_TRUE(store()->load(ghl::identity_key_for_company(sim_->company_id())).has_value());
    app::App a(c_);
    EXPECT_TRUE(a.environment().default_location_id.empty()) << "an agency has no single default";

    auto listed = a.call("list_locations", json::object());
    ASSERT_FALSE(listed.is_error) << listed.result.dump();
    EXPECT_EQ(listed.result["total"], 3) << listed.result.dump();
    for (const auto& l : listed.result["locations"]) {
        EXPECT_EQ(l["status"], "available");
        EXPECT_FALSE(l.value("name", "").empty());
    }
    EXPECT_EQ(listed.result["agencies"][0]["companyId"], sim_->company_id());

    sim_->clear_requests();
    for (int round = 0; round < 2; ++round) {
        for (const auto& loc : sim_->location_ids()) {
            auto out = a.call("get_location", {{"locationId", loc}});
            ASSERT_FALSE(out.is_error) << loc << ": " << out.result.dump();
            EXPECT_EQ(out.result["location"]["id"], loc) << "served by that sub-account's own data";
        }
    }
    EXPECT_EQ(sim_->counters().location_tokens_issued, 3) << "one location token per sub-account, cached";
    // Each sub-account's calls carried that sub-account's own token ...
    std::map<std::string, std::set<std::string>> tokens_by_location;
    for (const auto& r : sim_->requests()) {
        if (r.path.rfind("/locations/", 0) != 0) continue;
        tokens_by_location[r.path.substr(11)].insert(r.headers.at("authorization"));
    }
    ASSERT_EQ(tokens_by_location.size(), 3u);
    std::set<std::string> all;
    for (const auto& [loc, tokens] : tokens_by_location) {
        EXPECT_EQ(tokens.size(), 1u) << loc;
        all.insert(tokens.begin(), tokens.end());
    }
    EXPECT_EQ(all.size(), 3u) << "three sub-accounts, three different tokens";
    // ... and counted against that sub-account's rate-limit bucket.
    auto* limiter = dynamic_cast<ghl::InMemoryRateLimiter*>(&a.environment().ghl->client().limiter());
    ASSERT_NE(limiter, nullptr);
    for (const auto& loc : sim_->location_ids()) EXPECT_GE(limiter->state(loc).tickets, 2u) << loc;

    listed = a.call("list_locations", json::object());
    for (const auto& l : listed.result["locations"]) EXPECT_EQ(l["status"], "ready");

    Exec status = ghl_mcp("auth status");
    EXPECT_EQ(status.status, 0) << status.out;
    EXPECT_NE(status.out.find("company:" + sim_->company_id()), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("[minted_location]"), std::string::npos) << status.out;
    expect_no_secret_in(status.out, "auth status");
    Exec locations = ghl_mcp("auth locations");
    EXPECT_EQ(locations.status, 0) << locations.out;
    for (const auto& loc : sim_->location_ids()) EXPECT_NE(locations.out.find(loc), std::string::npos);
    expect_no_secret_in(logs_.str() + locations.out, "the logs");
}

TEST_F(OAuthApp, ListLocationsIsOfferedWheneverSeveralSubAccountsAreReachable) {
    auto offered = [&](const app::Config& c) {
        app::App a(c);
        for (const auto& t : a.server().registry().tools())
            if (t->name() == "list_locations") return true;
        return false;
    };
    c_.surface.toolsets = {};  // the default toolsets, which leave out "location"
    ASSERT_EQ(login("Location"), 0);
    EXPECT_FALSE(offered(c_)) << "one sub-account: nothing to choose from";
    ASSERT_EQ(login("Company"), 0);
    EXPECT_TRUE(offered(c_)) << "an agency reaches many: the model must be able to list them";
}

TEST_F(OAuthApp, FiftyConcurrentCallsOnAnExpiredTokenCauseExactlyOneRefresh) {
    ASSERT_EQ(login("Location"), 0);
    app::App a(c_);
    ASSERT_FALSE(a.call("get_location", json::object()).is_error);
    sim_->expire_access_tokens();  // GHL now answers 401 to the token we hold

    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    std::mutex mu;
    std::string failures;
    for (int i = 0; i < 50; ++i) {
        threads.emplace_back([&] {
            auto out = a.call("get_location", json::object());
            if (!out.is_error && !out.result["location"].is_null()) {
                ++ok;
            } else {
                std::lock_guard lock(mu);
                failures += out.result.dump() + out.protocol_error + "\n";
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 50) << failures;
    EXPECT_EQ(sim_->counters().oauth_refreshes, 1);
    EXPECT_EQ(sim_->counters().oauth_refresh_rejected, 0) << "no refresh token was ever spent twice";
    expect_no_secret_in(logs_.str(), "the logs");
}

TEST_F(OAuthApp, KillingTheProcessRightAfterARefreshLosesNothing) {
    ASSERT_EQ(login("Location"), 0);
    remember_tokens();  // the pair the refresh will spend
    sim_->expire_access_tokens();
    // The real binary refreshes (after GHL's 401), commits the new pair, and dies before using it.
    Exec crashed = ghl_mcp("call get_location '{}'", "GHL_MCP_TEST_CRASH_AFTER_REFRESH=1");
    ASSERT_EQ(crashed.status, 86) << crashed.out;
    EXPECT_EQ(sim_->counters().oauth_refreshes, 1);
    // The next start finds the new pair and works, without spending anything again.
    Exec next = ghl_mcp("call get_location '{}'");
    ASSERT_EQ(next.status, 0) << next.out;
    EXPECT_NE(next.out.find(sim_->location_id()), std::string::npos) << next.out;
    EXPECT_EQ(sim_->counters().oauth_refreshes, 1);
    EXPECT_EQ(sim_->counters().oauth_refresh_rejected, 0);
    expect_no_secret_in(crashed.out + next.out, "the binary's output");
}

TEST_F(OAuthApp, ARolledBackStoreSpendsTheDeadRefreshTokenOnceThenAsksForLogin) {
    ASSERT_EQ(login("Location"), 0);
    const std::string key = ghl::identity_key_for_location(sim_->location_id());
    const ghl::Identity backup = *store()->load(key);
    {
        app::App a(c_);
        sim_->expire_access_tokens();
        ASSERT_FALSE(a.call("get_location", json::object()).is_error);
        EXPECT_EQ(sim_->counters().oauth_refreshes, 1);
    }
    store()->save(backup);  // e.g. the store restored from yesterday's backup
    sim_->expire_access_tokens();
    app::App b(c_);
    auto first = b.call("get_location", json::object());
    ASSERT_TRUE(first.is_error);
    EXPECT_NE(first.result.dump().find("[auth.needs_login]"), std::string::npos) << first.result.dump();
    EXPECT_NE(first.result.dump().find("ghl-mcp auth login"), std::string::npos);
    EXPECT_EQ(sim_->counters().oauth_refresh_rejected, 1) << "GHL refuses a rotated refresh token";
    auto second = b.call("search_contacts", json::object());
    ASSERT_TRUE(second.is_error);
    EXPECT_NE(second.result.dump().find("[auth.needs_login]"), std::string::npos);
    EXPECT_EQ(sim_->counters().oauth_refresh_rejected, 1) << "a dead refresh token is never sent again";
    Exec status = ghl_mcp("auth status");
    EXPECT_NE(status.out.find("NEEDS LOGIN"), std::string::npos) << status.out;
    // A new login fixes it.
    ASSERT_EQ(login("Location"), 0);
    app::App c(c_);
    EXPECT_FALSE(c.call("get_location", json::object()).is_error);
    expect_no_secret_in(first.result.dump() + logs_.str() + status.out, "errors, logs and status");
}

TEST_F(OAuthApp, LoginRefusesACallbackWithoutItsStateAndLogoutForgets) {
    app::LoginOptions lo;
    lo.timeout = std::chrono::seconds(20);
    lo.on_url = [&](const std::string& url) {
        // A forged callback (no or wrong state) is refused and the login keeps waiting ...
        auto forged = http_get(c_.redirect_uri + "?code=stolen&state=guess");
        ASSERT_TRUE(forged);
        EXPECT_EQ(forged->status, 400);
        // ... for the real one.
        auto consent = http_get(url + "&sim_user_type=Location");
        ASSERT_TRUE(consent);
        auto done = http_get(consent->get_header_value("Location"));
        ASSERT_TRUE(done);
        EXPECT_EQ(done->status, 200);
    };
    ASSERT_EQ(app::auth_login(c_, lo), 0);
    EXPECT_EQ(sim_->counters().oauth_code_exchanges, 1);
    EXPECT_EQ(store()->list().size(), 1u);

    Exec out = ghl_mcp("auth logout");
    EXPECT_EQ(out.status, 0) << out.out;
    EXPECT_TRUE(store()->list().empty());
    Exec call = ghl_mcp("call get_location '{}'");
    EXPECT_NE(call.status, 0);
    EXPECT_NE(call.out.find("auth login"), std::string::npos) << call.out;
}

TEST_F(OAuthApp, DeniedConsentFailsTheLoginClearly) {
    app::LoginOptions lo;
    lo.timeout = std::chrono::seconds(20);
    lo.on_url = [&](const std::string& url) {
        auto consent = http_get(url + "&sim_deny=1");
        ASSERT_TRUE(consent);
        auto back = http_get(consent->get_header_value("Location"));
        ASSERT_TRUE(back);
    };
    EXPECT_EQ(app::auth_login(c_, lo), 1);
    EXPECT_EQ(sim_->counters().oauth_code_exchanges, 0);
}

}  // namespace

namespace {

// `ghl-mcp doctor` with OAuth logins: one read per sub-account through the login (an agency's
// minted location token included), scopes from the token store, no token in the output.
TEST_F(OAuthApp, DoctorChecksEachLoginAndItsStoredScopes) {
    ASSERT_EQ(login("Location"), 0);
    const std::string home = sim_->location_id();
    Exec r = ghl_mcp("doctor", "GHL_MCP_EVENTS_DB=off");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("ok   configuration: OAuth logins from the token store " + c_.token_store), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("ok   credentials: sub-account login for location " + home), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("(granted scopes from the token store)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ok   token store: " + c_.token_store + " (mode 0600, yours)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ok   store key: from GHL_MCP_STORE_KEY"), std::string::npos) << r.out;
    expect_no_secret_in(r.out, "doctor's output");

    ASSERT_EQ(login("Company"), 0);
    Exec agency = ghl_mcp("doctor", "GHL_MCP_EVENTS_DB=off GHL_LOCATION_ID=" + sim_->location_ids().at(1));
    EXPECT_EQ(agency.status, 0) << agency.out;
    EXPECT_NE(agency.out.find("ok   credentials: agency login for location " + sim_->location_ids().at(1)),
              std::string::npos)
        << agency.out;
    expect_no_secret_in(agency.out, "doctor's output");

    // The login's access token expired and GHL refuses its refresh token: a failure and the fix.
    ASSERT_EQ(ghl_mcp("auth logout").status, 0);
    Exec none = ghl_mcp("doctor", "GHL_MCP_EVENTS_DB=off");
    EXPECT_EQ(none.status, 1) << none.out;
    EXPECT_NE(none.out.find("auth login"), std::string::npos) << none.out;
}

}  // namespace
