// Credentials: which token a call presents, and OAuth refresh that never loses or reuses a
// single-use refresh token. GHL is a FakeTransport; the simulator-backed proofs live in the tools
// tests.
#include "ghl/credentials.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "fake_transport.hpp"
#include "ghl/url.hpp"

namespace ghl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::FakeTransport;
using testing::json_response;

std::int64_t now_epoch() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Clock::time_point soon() { return std::chrono::steady_clock::now() + std::chrono::seconds(10); }

/// The form fields of a request body.
std::map<std::string, std::string> form_of(const Request& r) {
    std::map<std::string, std::string> out;
    std::string_view b = r.body;
    while (!b.empty()) {
        auto amp = b.find('&');
        auto part = b.substr(0, amp);
        auto eq = part.find('=');
        out[percent_decode(part.substr(0, eq))] =
            eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        b.remove_prefix(amp + 1);
    }
    return out;
}

std::string header(const Request& r, const std::string& name) {
    auto v = r.headers.get(name);
    return v ? std::string(*v) : std::string();
}

/// A store that keeps updated_at as given (so a test lays out when a token was issued; 0: not
/// known, the configured margin applies as is).
class AsGivenStore final : public TokenStore {
public:
    std::vector<Identity> list() override {
        std::lock_guard lock(mu);
        return items;
    }
    std::optional<Identity> load(const std::string& key) override {
        std::lock_guard lock(mu);
        for (const auto& i : items)
            if (i.key == key) return i;
        return std::nullopt;
    }
    void save(const Identity& identity) override {
        std::lock_guard lock(mu);
        std::erase_if(items, [&](const Identity& i) { return i.key == identity.key; });
        items.push_back(identity);
    }
    bool remove(const std::string& key) override {
        std::lock_guard lock(mu);
        return std::erase_if(items, [&](const Identity& i) { return i.key == key || i.parent == key; }) > 0;
    }
    void clear() override {
        std::lock_guard lock(mu);
        items.clear();
    }
    std::mutex mu;
    std::vector<Identity> items;
};

class OAuthTest : public ::testing::Test {
protected:
    std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
    std::shared_ptr<AsGivenStore> store = std::make_shared<AsGivenStore>();
    std::shared_ptr<Client> client;
    OAuthOptions options;
    std::atomic<int> issued{0};

    void SetUp() override {
        ClientOptions co;
        co.base_url = std::string(testing::kFakeBase);
        client = std::make_shared<Client>(co, transport);
        options.app.client_id = "app123-suffix";
        options.app.client_secret = "client-secret-value";
        options.refresh_margin = std::chrono::seconds(60);
    }

    Identity location_identity(const std::string& loc, std::int64_t expires_in,
                               const std::string& access = "access-0",
                               const std::string& refresh = "refresh-0") {
        Identity id;
        id.key = identity_key_for_location(loc);
        id.user_type = UserType::kLocation;
        id.company_id = "comp1";
        id.location_id = loc;
        id.tokens = {access, refresh, now_epoch() + expires_in, "contacts.readonly"};
        return id;
    }

    Identity company_identity(std::int64_t expires_in) {
        Identity id;
        id.key = identity_key_for_company("comp1");
        id.user_type = UserType::kCompany;
        id.company_id = "comp1";
        id.tokens = {"agency-access-0", "agency-refresh-0", now_epoch() + expires_in, "oauth.write"};
        return id;
    }

    /// /oauth/token answers a rotating pair: access-N / refresh-N, accepting only the latest
    /// refresh token (like GHL: a spent one is invalid_grant).
    void rotating_token_endpoint(std::chrono::milliseconds delay = {}) {
        transport->on("POST /oauth/token", [this, delay](const Request& r) {
            if (delay.count()) std::this_thread::sleep_for(delay);
            auto f = form_of(r);
            const int n = issued.load();
            if (f["grant_type"] != "refresh_token" || f["refresh_token"] != "refresh-" + std::to_string(n))
                return json_response(400, R"({"error":"invalid_grant","error_description":"Invalid grant: refresh token is invalid","statusCode":400,"message":"Invalid grant: refresh token is invalid"})");
            const int next = ++issued;
            nlohmann::json body = {{"access_token", "access-" + std::to_string(next)},
                                   {"refresh_token", "refresh-" + std::to_string(next)},
                                   {"token_type", "Bearer"},
                                   {"expires_in", 86399},
                                   {"scope", "contacts.readonly"},
                                   {"userType", f["user_type"]},
                                   {"companyId", "comp1"}};
            if (f["user_type"] == "Location") body["locationId"] = "loc1";
            return json_response(200, body.dump());
        });
    }

    std::unique_ptr<OAuthCredentials> make() {
        return std::make_unique<OAuthCredentials>(options, client, store);
    }
};

TEST(StaticCredentials, OneSubAccountAndClearErrorsForOthers) {
    StaticCredentials c("pit-secret", "loc1");
    auto g = c.for_location("loc1", soon());
    EXPECT_EQ(g.token, "pit-secret");
    EXPECT_EQ(g.resource_key, "loc1");
    try {
        c.for_location("loc2", soon());
        FAIL() << "expected CredentialError";
    } catch (const CredentialError& e) {
        EXPECT_EQ(e.code(), "auth.no_credential");
        EXPECT_THAT(e.what(), HasSubstr("loc1"));
        EXPECT_THAT(e.what(), HasSubstr("loc2"));
        EXPECT_THAT(e.what(), Not(HasSubstr("pit-secret")));
    }
    EXPECT_THROW(c.for_company("", soon()), CredentialError);
    EXPECT_FALSE(c.rejected("pit-secret"));
    ASSERT_EQ(c.describe().size(), 1u);
    EXPECT_EQ(c.describe()[0].kind, "private_integration_token");
}

TEST_F(OAuthTest, ValidTokenIsUsedWithoutAnyRequest) {
    store->save(location_identity("loc1", 3600));
    auto creds = make();
    auto g = creds->for_location("loc1", soon());
    EXPECT_EQ(g.token, "access-0");
    EXPECT_EQ(g.resource_key, "loc1");
    EXPECT_EQ(transport->count(), 0u);
}

TEST_F(OAuthTest, ExpiringTokenIsRefreshedAndCommittedBeforeUse) {
    rotating_token_endpoint();
    store->save(location_identity("loc1", 30));  // inside the 60 s margin
    std::string stored_at_commit;
    options.after_commit = [this, &stored_at_commit](const Identity& id) {
        stored_at_commit = store->load(id.key)->tokens.refresh_token;
    };
    auto creds = make();
    auto g = creds->for_location("loc1", soon());
    EXPECT_EQ(g.token, "access-1");
    EXPECT_EQ(stored_at_commit, "refresh-1") << "the new pair must be durable before it is used";
    ASSERT_EQ(transport->count(), 1u);
    const auto req = transport->last();
    auto f = form_of(req);
    EXPECT_EQ(f["grant_type"], "refresh_token");
    EXPECT_EQ(f["refresh_token"], "refresh-0");
    EXPECT_EQ(f["client_id"], "app123-suffix");
    EXPECT_EQ(f["client_secret"], "client-secret-value");
    EXPECT_EQ(f["user_type"], "Location");
    EXPECT_EQ(header(req, "Authorization"), "") << "the token endpoint takes no bearer token";
    EXPECT_EQ(header(req, "Content-Type"), "application/x-www-form-urlencoded");
    const auto saved = store->load("location:loc1");
    EXPECT_EQ(saved->tokens.access_token, "access-1");
    EXPECT_GT(saved->tokens.expires_at, now_epoch() + 86000);
    EXPECT_EQ(creds->refreshes(), 1);
    // The next call uses it without another refresh.
    EXPECT_EQ(creds->for_location("loc1", soon()).token, "access-1");
    EXPECT_EQ(transport->count(), 1u);
}

TEST_F(OAuthTest, AShortLivedTokenIsRefreshedInTheSecondHalfOfItsLifeNotOnEveryCall) {
    rotating_token_endpoint();
    options.refresh_margin = std::chrono::seconds(300);  // longer than the token lives
    auto raw = std::make_shared<AsGivenStore>();
    Identity early = location_identity("loc1", 50);
    early.updated_at = now_epoch() - 10;  // issued 10 s ago for 60 s
    raw->save(early);
    OAuthCredentials a(options, client, raw);
    EXPECT_EQ(a.for_location("loc1", soon()).token, "access-0");
    EXPECT_EQ(transport->count(), 0u) << "50 s left of 60: not yet";

    Identity late = location_identity("loc1", 20);
    late.updated_at = now_epoch() - 40;  // issued 40 s ago for 60 s
    raw->save(late);
    OAuthCredentials b(options, client, raw);
    EXPECT_EQ(b.for_location("loc1", soon()).token, "access-1") << "20 s left of 60: refresh";
    EXPECT_EQ(transport->count(), 1u);
}

TEST_F(OAuthTest, FiftyConcurrentCallersShareOneRefresh) {
    rotating_token_endpoint(std::chrono::milliseconds(100));  // a slow GHL widens the race
    store->save(location_identity("loc1", -10));              // already expired
    auto creds = make();
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    std::atomic<int> wrong{0};
    for (int i = 0; i < 50; ++i) {
        threads.emplace_back([&] {
            try {
                auto g = creds->for_location("loc1", soon());
                (g.token == "access-1" ? ok : wrong)++;
            } catch (...) {
                wrong++;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 50);
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(transport->count(), 1u) << "exactly one refresh for 50 callers";
    EXPECT_EQ(creds->refreshes(), 1);
}

TEST_F(OAuthTest, RejectedTokenIsRefreshedOnceOnTheNextGrant) {
    rotating_token_endpoint();
    store->save(location_identity("loc1", 3600));
    auto creds = make();
    EXPECT_EQ(creds->for_location("loc1", soon()).token, "access-0");
    EXPECT_TRUE(creds->rejected("access-0"));
    EXPECT_EQ(creds->for_location("loc1", soon()).token, "access-1");
    // A 401 for a token that was already replaced refreshes nothing more.
    creds->rejected("access-0");
    EXPECT_EQ(creds->for_location("loc1", soon()).token, "access-1");
    EXPECT_EQ(transport->count(), 1u);
}

TEST_F(OAuthTest, RefusedRefreshTokenMarksTheIdentityForLoginAndNeverRetries) {
    transport->reply("POST /oauth/token",
                     json_response(400, R"({"error":"invalid_grant","statusCode":400,"message":"Invalid grant: refresh token is invalid"})"));
    store->save(location_identity("loc1", -10));
    auto creds = make();
    for (int i = 0; i < 3; ++i) {
        try {
            creds->for_location("loc1", soon());
            FAIL() << "expected needs_login";
        } catch (const CredentialError& e) {
            EXPECT_EQ(e.code(), "auth.needs_login");
            EXPECT_THAT(e.what(), HasSubstr("ghl-mcp auth login"));
            EXPECT_THAT(e.what(), Not(HasSubstr("refresh-0")));
        }
    }
    EXPECT_EQ(transport->count(), 1u) << "a dead refresh token is sent once, never again";
    auto saved = store->load("location:loc1");
    EXPECT_TRUE(saved->needs_login);
    EXPECT_THAT(saved->needs_login_reason, HasSubstr("400"));
    // A new process sees it too, without a request.
    auto again = make();
    EXPECT_THROW(again->for_location("loc1", soon()), CredentialError);
    EXPECT_EQ(transport->count(), 1u);
    EXPECT_TRUE(again->describe()[0].needs_login);
}

TEST_F(OAuthTest, TransientRefreshFailureKeepsTheCredential) {
    transport->reply("POST /oauth/token", json_response(503, R"({"statusCode":503,"message":"Service Unavailable"})"));
    store->save(location_identity("loc1", -10));
    auto creds = make();
    try {
        creds->for_location("loc1", soon());
        FAIL();
    } catch (const CredentialError& e) {
        EXPECT_EQ(e.code(), "auth.refresh_failed");
        EXPECT_THAT(e.what(), HasSubstr("try again"));
    }
    auto saved = store->load("location:loc1");
    EXPECT_FALSE(saved->needs_login);
    EXPECT_EQ(saved->tokens.refresh_token, "refresh-0");
    // GHL is back: the same refresh token works.
    rotating_token_endpoint();
    EXPECT_EQ(creds->for_location("loc1", soon()).token, "access-1");
}

TEST_F(OAuthTest, WrongClientSecretIsNotBlamedOnTheRefreshToken) {
    transport->reply("POST /oauth/token",
                     json_response(401, R"({"error":"invalid_client","statusCode":401,"message":"Invalid client credentials"})"));
    store->save(location_identity("loc1", -10));
    auto creds = make();
    try {
        creds->for_location("loc1", soon());
        FAIL();
    } catch (const CredentialError& e) {
        EXPECT_EQ(e.code(), "auth.refresh_failed");
        EXPECT_THAT(e.what(), HasSubstr("GHL_CLIENT_SECRET"));
        EXPECT_THAT(e.what(), Not(HasSubstr("client-secret-value")));
    }
    EXPECT_FALSE(store->load("location:loc1")->needs_login);
}

TEST_F(OAuthTest, APairAnotherProcessRefreshedIsAdoptedNotRefreshedAgain) {
    rotating_token_endpoint();
    store->save(location_identity("loc1", -10));
    auto creds = make();
    // Another process sharing the store refreshed first: its pair is in the store.
    store->save(location_identity("loc1", 3600, "access-other", "refresh-other"));
    EXPECT_EQ(creds->for_location("loc1", soon()).token, "access-other");
    EXPECT_EQ(transport->count(), 0u) << "never spend a refresh token another process rotated";
}

TEST_F(OAuthTest, LoggedOutElsewhereMeansLoginAgain) {
    store->save(location_identity("loc1", -10));
    auto creds = make();
    store->remove("location:loc1");
    try {
        creds->for_location("loc1", soon());
        FAIL();
    } catch (const CredentialError& e) {
        EXPECT_EQ(e.code(), "auth.needs_login");
    }
    EXPECT_EQ(transport->count(), 0u);
}

TEST_F(OAuthTest, UnknownLocationListsTheOnesWeHave) {
    store->save(location_identity("loc1", 3600));
    store->save(location_identity("loc2", 3600));
    auto creds = make();
    try {
        creds->for_location("loc9", soon());
        FAIL();
    } catch (const CredentialError& e) {
        EXPECT_EQ(e.code(), "auth.no_credential");
        EXPECT_THAT(e.what(), HasSubstr("loc9"));
        EXPECT_THAT(e.what(), HasSubstr("loc1, loc2"));
    }
}

TEST_F(OAuthTest, AgencyMintsLocationTokensAndCachesThem) {
    store->save(company_identity(3600));
    std::atomic<int> minted{0};
    transport->on("POST /oauth/locationToken", [&](const Request& r) {
        auto f = form_of(r);
        if (f["locationId"] != "locA" && f["locationId"] != "locB")
            return json_response(400, R"({"statusCode":400,"message":"Location not found"})");
        const int n = ++minted;
        nlohmann::json body = {{"access_token", "loc-token-" + std::to_string(n)},
                               {"token_type", "Bearer"},
                               {"expires_in", 86399},
                               {"scope", "contacts.readonly"},
                               {"locationId", f["locationId"]},
                               {"userType", "Location"}};
        return json_response(200, body.dump());
    });
    auto creds = make();
    auto a = creds->for_location("locA", soon());
    EXPECT_EQ(a.token, "loc-token-1");
    EXPECT_EQ(a.resource_key, "locA") << "a minted token counts against its location's budget";
    const auto req = transport->last();
    EXPECT_EQ(header(req, "Authorization"), "Bearer agency-access-0");
    EXPECT_EQ(header(req, "Version"), "2021-07-28");
    EXPECT_EQ(form_of(req)["companyId"], "comp1");
    EXPECT_EQ(creds->for_location("locA", soon()).token, "loc-token-1");
    EXPECT_EQ(creds->for_location("locB", soon()).token, "loc-token-2");
    EXPECT_EQ(minted.load(), 2);
    EXPECT_EQ(creds->mints(), 2);
    // Persisted: a new process reuses the cached location token.
    auto again = make();
    EXPECT_EQ(again->for_location("locA", soon()).token, "loc-token-1");
    EXPECT_EQ(minted.load(), 2);
    EXPECT_THAT(again->locations(), ::testing::ElementsAre("locA", "locB"));
    // A 401 on a minted token mints a new one.
    again->rejected("loc-token-1");
    EXPECT_EQ(again->for_location("locA", soon()).token, "loc-token-3");
    // A sub-account the app is not installed in is a clear error.
    try {
        creds->for_location("locZ", soon());
        FAIL();
    } catch (const CredentialError& e) {
        EXPECT_EQ(e.code(), "auth.no_credential");
        EXPECT_THAT(e.what(), HasSubstr("installed"));
        EXPECT_THAT(e.what(), Not(HasSubstr("agency-access-0")));
    }
}

TEST_F(OAuthTest, ExpiredAgencyTokenIsRefreshedBeforeMinting) {
    rotating_token_endpoint();
    Identity agency = company_identity(-10);
    agency.tokens.refresh_token = "refresh-0";
    store->save(agency);
    transport->on("POST /oauth/locationToken", [&](const Request& r) {
        EXPECT_EQ(header(r, "Authorization"), "Bearer access-1");
        return json_response(200, R"({"access_token":"loc-token","expires_in":86399,"locationId":"locA","userType":"Location"})");
    });
    auto creds = make();
    EXPECT_EQ(creds->for_location("locA", soon()).token, "loc-token");
    EXPECT_EQ(creds->refreshes(), 1);
    EXPECT_EQ(form_of(transport->requests()[0])["user_type"], "Company");
    EXPECT_EQ(store->load("company:comp1")->tokens.refresh_token, "refresh-1");
}

TEST(OAuthFlow, AuthorizationUrlEncodesEveryParameter) {
    OAuthApp app{"id-1", "secret", "http://127.0.0.1:8788/callback", ""};
    const auto url = authorization_url("https://marketplace.gohighlevel.com/v2/", app,
                                       {"contacts.readonly", "oauth.write"}, "st@te");
    EXPECT_EQ(url,
              "https://marketplace.gohighlevel.com/v2/oauth/chooselocation?response_type=code"
              "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8788%2Fcallback&client_id=id-1"
              "&scope=contacts.readonly%20oauth.write&state=st%40te");
    EXPECT_EQ(app.resolved_app_id(), "id");
}

TEST(OAuthFlow, TokenResponsesBecomeIdentities) {
    auto loc = identity_from_token_response(
        {{"access_token", "a"}, {"refresh_token", "r"}, {"expires_in", 100}, {"userType", "Location"},
         {"companyId", "c1"}, {"locationId", "l1"}, {"userId", "u1"}, {"scope", "s1 s2"}},
        1000);
    EXPECT_EQ(loc.key, "location:l1");
    EXPECT_EQ(loc.tokens.expires_at, 1100);
    EXPECT_EQ(loc.user_id, "u1");
    auto agency = identity_from_token_response(
        {{"access_token", "a"}, {"refresh_token", "r"}, {"expires_in", 100}, {"userType", "Company"},
         {"companyId", "c1"}},
        1000);
    EXPECT_EQ(agency.key, "company:c1");
    EXPECT_EQ(agency.user_type, UserType::kCompany);
    EXPECT_THROW(identity_from_token_response({{"refresh_token", "r"}}, 0), std::runtime_error);
    EXPECT_THROW(identity_from_token_response({{"access_token", "a"}, {"userType", "Location"},
                                               {"locationId", "../x"}},
                                              0),
                 std::runtime_error);
}

}  // namespace
}  // namespace ghl
