// OAuth (Options::oauth) over real HTTP: the consent stand-in, the code flow for sub-account and
// agency tokens, single-use rotating refresh tokens, expiry on the simulator clock, agency ->
// location tokens, installed locations, token kinds per endpoint and per-resource rate budgets.
#include "sim_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <utility>
#include <vector>

namespace simtest {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kRedirect = "http://127.0.0.1:8765/callback";
constexpr long long kSecond = 1000;
constexpr long long kDayMs = 86400 * kSecond;
constexpr const char* kAuthClass =
    "This authClass type is not allowed to access this scope. Please reach out to the Platform "
    "team to get it added.";

std::string form(const Params& params) {
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty()) out += '&';
        out += enc(name) + "=" + enc(value);
    }
    return out;
}

std::string url_decode(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

/// The query parameters of a URL, decoded (a repeated name keeps its last value).
std::map<std::string, std::string> query_of(const std::string& url) {
    std::map<std::string, std::string> out;
    const std::size_t q = url.find('?');
    if (q == std::string::npos) return out;
    std::string rest = url.substr(q + 1);
    while (!rest.empty()) {
        const std::size_t amp = rest.find('&');
        const std::string pair = rest.substr(0, amp);
        rest = amp == std::string::npos ? "" : rest.substr(amp + 1);
        const std::size_t eq = pair.find('=');
        out[url_decode(pair.substr(0, eq))] =
            eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
    }
    return out;
}

/// Talks to the OAuth endpoints (forms, redirects) and to the API with any bearer token.
class Http {
public:
    explicit Http(int port) : port_(port), client_("127.0.0.1", port) {
        client_.set_keep_alive(true);
        client_.set_url_encode(false);
        client_.set_read_timeout(10, 0);
    }

    Result post_form(const std::string& path, const Params& params, const std::string& bearer = "",
                     const char* version = nullptr,
                     const std::string& type = "application/x-www-form-urlencoded") {
        httplib::Headers headers;
        if (!bearer.empty()) headers.emplace("Authorization", "Bearer " + bearer);
        if (version != nullptr) headers.emplace("Version", version);
        return wrap(client_.Post(path, headers, form(params), type.c_str()));
    }

    Result get(const std::string& path, const std::string& bearer = "", const char* version = kV1) {
        httplib::Headers headers;
        if (!bearer.empty()) headers.emplace("Authorization", "Bearer " + bearer);
        if (version != nullptr) headers.emplace("Version", version);
        return wrap(client_.Get(path, headers));
    }

    /// A browser's GET of the consent page, over a plain socket: httplib's client decodes the
    /// Location header it reads, and the tests check how it is encoded.
    Result browse(const std::string& path) const {
        Result out;
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port_));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            if (fd >= 0) ::close(fd);
            return out;
        }
        const std::string request =
            "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
            ::close(fd);
            return out;
        }
        std::string text;
        char buf[4096];
        for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
            text.append(buf, static_cast<std::size_t>(n));
        }
        ::close(fd);
        const std::size_t head_end = text.find("\r\n\r\n");
        if (text.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) return out;
        out.status = std::stoi(text.substr(9, 3));
        std::size_t line = text.find("\r\n") + 2;
        while (line < head_end) {
            const std::size_t next = text.find("\r\n", line);
            const std::string header = text.substr(line, next - line);
            const std::size_t colon = header.find(':');
            if (colon != std::string::npos) {
                std::size_t value = colon + 1;
                while (value < header.size() && header[value] == ' ') ++value;
                out.headers.emplace(header.substr(0, colon), header.substr(value));
            }
            line = next + 2;
        }
        out.body = Json::parse(text.substr(head_end + 4), nullptr, false);
        return out;
    }

    Result post_json(const std::string& path, const Json& body, const std::string& bearer) {
        const httplib::Headers headers = {{"Authorization", "Bearer " + bearer}, {"Version", kV1}};
        return wrap(client_.Post(path, headers, body.dump(), "application/json"));
    }

private:
    static Result wrap(const httplib::Result& r) {
        Result out;
        if (!r) return out;
        out.status = r->status;
        out.headers = r->headers;
        out.body = Json::parse(r->body, nullptr, false);
        return out;
    }
    int port_;
    httplib::Client client_;
};

class OAuth : public ::testing::Test {
protected:
    void SetUp() override {
        std::signal(SIGPIPE, SIG_IGN);
        sim = std::make_unique<ghlsim::Simulator>(make_options());
        sim->start();
        http = std::make_unique<Http>(sim->port());
    }
    void TearDown() override {
        http.reset();
        sim.reset();
    }

    virtual ghlsim::Options make_options() {
        ghlsim::Options o = options();
        o.extra_locations = 2;
        o.oauth = ghlsim::OAuthApp{};
        o.now = [clock = clock] { return fixed_now() + std::chrono::milliseconds(clock->load()); };
        return o;
    }

    void advance(long long ms) { clock->fetch_add(ms); }
    const ghlsim::OAuthApp& app() const { return app_; }
    std::string extra(int n) const { return ghlsim::extra_location_id(n); }

    /// GET /oauth/chooselocation with the app's client id and kRedirect plus `more`.
    Result authorize(const Params& more, const std::string& path = "/oauth/chooselocation") {
        Params params = {{"response_type", "code"},
                         {"client_id", app().client_id},
                         {"redirect_uri", kRedirect},
                         {"scope", "contacts.readonly"}};
        for (const auto& p : more) params.push_back(p);
        return http->browse(path + "?" + form(params));
    }

    Result exchange(const std::string& code, const Params& more = {}) {
        Params params = {{"client_id", app().client_id},
                         {"client_secret", app().client_secret},
                         {"grant_type", "authorization_code"},
                         {"code", code}};
        for (const auto& p : more) params.push_back(p);
        return http->post_form("/oauth/token", params);
    }

    Result refresh(const std::string& refresh_token, const Params& more = {}) {
        Params params = {{"client_id", app().client_id},
                         {"client_secret", app().client_secret},
                         {"grant_type", "refresh_token"},
                         {"refresh_token", refresh_token}};
        for (const auto& p : more) params.push_back(p);
        return http->post_form("/oauth/token", params);
    }

    /// The token answer of a fresh installation (code issued directly).
    Json install(const std::string& user_type, const std::string& location = "") {
        const Result r =
            exchange(sim->issue_code(user_type, location.empty() ? sim->location_id() : location,
                                     kRedirect));
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body;
    }

    Result location_token(const std::string& agency_token, const std::string& location,
                          const std::string& company = std::string(ghlsim::kCompanyId)) {
        return http->post_form("/oauth/locationToken",
                               {{"companyId", company}, {"locationId", location}}, agency_token,
                               kV1);
    }

    std::shared_ptr<std::atomic<long long>> clock = std::make_shared<std::atomic<long long>>(0);
    std::unique_ptr<ghlsim::Simulator> sim;
    std::unique_ptr<Http> http;

private:
    ghlsim::OAuthApp app_;
};

void expect_oauth_error(const Result& r, int status, const std::string& error) {
    ASSERT_EQ(r.status, status) << r.body.dump();
    EXPECT_EQ(r.body["statusCode"], status);
    EXPECT_EQ(r.body["error"], error);
    EXPECT_TRUE(r.body["error_description"].is_string());
    EXPECT_EQ(r.body["message"], r.body["error_description"]);
}

/// "id first last" of the first 100 contacts the token lists in `location`.
std::vector<std::string> contacts_of(Http& http, const std::string& token,
                                     const std::string& location) {
    const Result r = http.get("/contacts/?limit=100&locationId=" + location, token);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    std::vector<std::string> out;
    for (const Json& c : r.body["contacts"]) {
        out.push_back(c.value("id", "") + " " + c.value("firstName", "") + " " +
                      c.value("lastName", ""));
    }
    return out;
}

TEST_F(OAuth, LocationCodeFlowGivesASubAccountTokenForTheChosenLocation) {
    const Result consent = authorize({{"sim_location_id", extra(1)}, {"state", "s1"}});
    ASSERT_EQ(consent.status, 302) << consent.body.dump();
    const std::string location = consent.header("Location");
    ASSERT_EQ(location.rfind(std::string(kRedirect) + "?code=", 0), 0u) << location;
    const auto q = query_of(location);
    EXPECT_EQ(q.at("state"), "s1");

    const Result r =
        exchange(q.at("code"), {{"redirect_uri", kRedirect}, {"user_type", "Location"}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    const Json& t = r.body;
    EXPECT_EQ(t["token_type"], "Bearer");
    EXPECT_EQ(t["expires_in"], 86399);
    EXPECT_FALSE(t["access_token"].get<std::string>().empty());
    EXPECT_FALSE(t["refresh_token"].get<std::string>().empty());
    EXPECT_NE(t["access_token"], t["refresh_token"]);
    EXPECT_EQ(t["scope"], app().scope);
    EXPECT_EQ(t["userType"], "Location");
    EXPECT_EQ(t["locationId"], extra(1));
    EXPECT_EQ(t["companyId"], ghlsim::kCompanyId);
    EXPECT_EQ(t["userId"], sim->seed_facts(extra(1)).user_ids.front());
    EXPECT_EQ(t["planId"], app().plan_id);
    EXPECT_EQ(t["isBulkInstallation"], false);
    EXPECT_FALSE(t.contains("approvedLocations"));
    EXPECT_FALSE(t.contains("installToFutureLocations"));

    const std::string access = t["access_token"];
    const Result loc = http->get("/locations/" + extra(1), access);
    ASSERT_EQ(loc.status, 200) << loc.body.dump();
    EXPECT_EQ(loc.body["location"]["name"], "Lakeside Comfort HVAC (Sandbox)");
    EXPECT_EQ(http->get("/locations/" + sim->location_id(), access).status, 403);

    const ghlsim::Counters c = sim->counters();
    EXPECT_EQ(c.oauth_codes_issued, 1);
    EXPECT_EQ(c.oauth_code_exchanges, 1);
}

TEST_F(OAuth, CompanyCodeFlowApprovesEveryLocation) {
    const Result consent = authorize({{"sim_user_type", "Company"}}, "/v2/oauth/chooselocation");
    ASSERT_EQ(consent.status, 302);
    const Result r = exchange(query_of(consent.header("Location")).at("code"),
                              {{"user_type", "Company"}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["userType"], "Company");
    EXPECT_EQ(r.body["companyId"], ghlsim::kCompanyId);
    EXPECT_FALSE(r.body.contains("locationId"));
    EXPECT_EQ(r.body["approvedLocations"], Json(sim->location_ids()));
    EXPECT_EQ(r.body["userId"], sim->seed_facts().user_ids.front());
    EXPECT_EQ(r.body["isBulkInstallation"], false);
    EXPECT_EQ(r.body["installToFutureLocations"], true);
    EXPECT_EQ(r.body["approveAllLocations"], true);
    EXPECT_FALSE(r.body["refresh_token"].get<std::string>().empty());
}

TEST_F(OAuth, CodesAreSingleUseBoundToTheirRedirectAndUserTypeAndShortLived) {
    const std::string code = sim->issue_code("Location", sim->location_id(), kRedirect);
    expect_oauth_error(exchange(code, {{"redirect_uri", "http://127.0.0.1:8765/other"}}), 400,
                       "invalid_grant");
    expect_oauth_error(exchange(code, {{"user_type", "Company"}}), 400, "invalid_grant");
    // A refused exchange does not use the code up; the first good one does.
    ASSERT_EQ(exchange(code, {{"redirect_uri", kRedirect}}).status, 200);
    expect_oauth_error(exchange(code), 400, "invalid_grant");
    expect_oauth_error(exchange("no-such-code"), 400, "invalid_grant");
    expect_oauth_error(exchange(""), 400, "invalid_request");

    const std::string late = sim->issue_code("Location", sim->location_id(), kRedirect);
    advance(10 * 60 * kSecond);
    expect_oauth_error(exchange(late), 400, "invalid_grant");
    const std::string in_time = sim->issue_code("Location", sim->location_id(), kRedirect);
    advance(10 * 60 * kSecond - 1);
    EXPECT_EQ(exchange(in_time).status, 200);
    EXPECT_EQ(sim->counters().oauth_code_exchanges, 2);

    EXPECT_THROW(sim->issue_code("Agency", sim->location_id(), kRedirect), std::invalid_argument);
    EXPECT_THROW(sim->issue_code("Location", "notOurs", kRedirect), std::invalid_argument);
    EXPECT_THROW(sim->issue_code("Location", sim->location_id(), "https://evil.example/cb"),
                 std::invalid_argument);
}

TEST_F(OAuth, ClientCredentialsGrantTypeAndEncodingAreChecked) {
    const std::string code = sim->issue_code("Location", sim->location_id(), kRedirect);
    const Params good = {{"client_id", app().client_id},
                         {"client_secret", app().client_secret},
                         {"grant_type", "authorization_code"},
                         {"code", code}};
    Params wrong_secret = good;
    wrong_secret[1].second = "not-the-secret";
    expect_oauth_error(http->post_form("/oauth/token", wrong_secret), 401, "invalid_client");
    Params wrong_client = good;
    wrong_client[0].second = "someoneelse-client";
    expect_oauth_error(http->post_form("/oauth/token", wrong_client), 401, "invalid_client");
    Params no_client = {good[1], good[2], good[3]};
    expect_oauth_error(http->post_form("/oauth/token", no_client), 401, "invalid_client");

    Params credentials = good;
    credentials[2].second = "client_credentials";
    expect_oauth_error(http->post_form("/oauth/token", credentials), 400, "unsupported_grant_type");
    expect_oauth_error(http->post_form("/oauth/token", {good[0], good[1], good[3]}), 400,
                       "invalid_request");
    Params bad_type = good;
    bad_type.emplace_back("user_type", "Agency");
    expect_oauth_error(http->post_form("/oauth/token", bad_type), 400, "invalid_request");
    Params twice = good;
    twice.push_back(good[3]);
    expect_oauth_error(http->post_form("/oauth/token", twice), 400, "invalid_request");
    expect_oauth_error(http->post_form("/oauth/token", good, "", nullptr, "application/json"), 400,
                       "invalid_request");

    // None of that used the code; a Version header is accepted though the spec declares none.
    const Result r = http->post_form("/oauth/token", good, "", kV1);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.header("X-RateLimit-Max"), "");
}

TEST_F(OAuth, RefreshTokensRotateAndAreSingleUse) {
    const Json first = install("Location", extra(2));
    const std::string access1 = first["access_token"];
    const std::string refresh1 = first["refresh_token"];

    const Result second = refresh(refresh1, {{"user_type", "Location"}});
    ASSERT_EQ(second.status, 200) << second.body.dump();
    const std::string access2 = second.body["access_token"];
    const std::string refresh2 = second.body["refresh_token"];
    EXPECT_NE(access2, access1);
    EXPECT_NE(refresh2, refresh1);
    EXPECT_EQ(second.body["userType"], "Location");
    EXPECT_EQ(second.body["locationId"], extra(2));
    EXPECT_EQ(second.body["userId"], first["userId"]);

    // Both access tokens work until their own expiry.
    EXPECT_EQ(http->get("/locations/" + extra(2), access1).status, 200);
    EXPECT_EQ(http->get("/locations/" + extra(2), access2).status, 200);

    // The old refresh token is dead forever.
    expect_oauth_error(refresh(refresh1), 400, "invalid_grant");
    expect_oauth_error(refresh(refresh1), 400, "invalid_grant");
    expect_oauth_error(refresh("never-issued"), 400, "invalid_grant");
    ghlsim::Counters c = sim->counters();
    EXPECT_EQ(c.oauth_refreshes, 1);
    EXPECT_EQ(c.oauth_refresh_rejected, 3);

    // A user_type mismatch is refused without using the token up.
    expect_oauth_error(refresh(refresh2, {{"user_type", "Company"}}), 400, "invalid_grant");
    const Result third = refresh(refresh2);
    ASSERT_EQ(third.status, 200) << third.body.dump();
    EXPECT_EQ(http->get("/locations/" + extra(2), third.body["access_token"]).status, 200);
    c = sim->counters();
    EXPECT_EQ(c.oauth_refreshes, 2);
    EXPECT_EQ(c.oauth_refresh_rejected, 3);
}

TEST_F(OAuth, ExpiredAccessTokensAreInvalidJwtAndRefreshStillWorks) {
    const Json t = install("Location");
    const std::string access = t["access_token"];
    const std::string path = "/contacts/?limit=1&locationId=" + sim->location_id();
    advance(86398 * kSecond);
    EXPECT_EQ(http->get(path, access).status, 200);
    advance(1 * kSecond);
    const Result expired = http->get(path, access);
    ASSERT_EQ(expired.status, 401);
    EXPECT_EQ(expired.body["statusCode"], 401);
    EXPECT_EQ(expired.body["message"], "Invalid JWT");
    EXPECT_EQ(expired.header("X-RateLimit-Max"), "");
    EXPECT_EQ(sim->counters().expired_token_rejections, 1);

    const Result renewed = refresh(t["refresh_token"]);
    ASSERT_EQ(renewed.status, 200) << renewed.body.dump();
    EXPECT_EQ(http->get(path, renewed.body["access_token"]).status, 200);
    EXPECT_EQ(http->get(path, access).status, 401);

    // Refresh tokens live a year.
    advance(365 * kDayMs);
    expect_oauth_error(refresh(renewed.body["refresh_token"]), 400, "invalid_grant");
}

TEST_F(OAuth, ExpireAccessTokensHookExpiresEverythingIssuedSoFar) {
    const Json location = install("Location");
    const Json agency = install("Company");
    const Result minted = location_token(agency["access_token"], extra(1));
    ASSERT_EQ(minted.status, 200);
    sim->expire_access_tokens();
    for (const std::string& token : {location["access_token"].get<std::string>(),
                                    agency["access_token"].get<std::string>(),
                                    minted.body["access_token"].get<std::string>()}) {
        const Result r = http->get("/oauth/installedLocations?companyId=x&appId=y", token);
        ASSERT_EQ(r.status, 401);
        EXPECT_EQ(r.body["message"], "Invalid JWT");
    }
    const Result renewed = refresh(location["refresh_token"]);
    ASSERT_EQ(renewed.status, 200);
    EXPECT_EQ(http->get("/locations/" + sim->location_id(), renewed.body["access_token"]).status,
              200);
    EXPECT_EQ(http->get("/locations/" + sim->location_id(), kToken).status, 200);  // static token
    EXPECT_EQ(sim->counters().expired_token_rejections, 3);
}

TEST_F(OAuth, AgencyTokenIsRefusedOnSubAccountEndpointsAndMintsLocationTokens) {
    const std::string agency = install("Company")["access_token"];
    for (const std::string& path :
         {"/contacts/?locationId=" + sim->location_id(), "/users/?locationId=" + extra(1),
          "/workflows/?locationId=" + extra(1)}) {
        const Result r = http->get(path, agency);
        ASSERT_EQ(r.status, 401) << path;
        EXPECT_EQ(r.body["message"], kAuthClass);
        EXPECT_EQ(r.header("X-RateLimit-Max"), "100000");  // a known token: charged
    }
    EXPECT_EQ(http->post_json("/contacts/", {{"locationId", extra(1)}, {"firstName", "A"}}, agency)
                  .status,
              401);
    // GET /locations/{id} allows agency tokens (Agency-Access): any of the agency's sub-accounts.
    for (const std::string& id : sim->location_ids()) {
        const Result r = http->get("/locations/" + id, agency);
        ASSERT_EQ(r.status, 200) << id;
        EXPECT_EQ(r.body["location"]["id"], id);
    }
    EXPECT_EQ(http->get("/locations/someOtherLocation123", agency).status, 403);

    const Result minted = location_token(agency, extra(1));
    ASSERT_EQ(minted.status, 200) << minted.body.dump();
    EXPECT_EQ(minted.body["token_type"], "Bearer");
    EXPECT_EQ(minted.body["expires_in"], app().location_token_ttl_s);
    EXPECT_EQ(minted.body["scope"], app().scope);
    EXPECT_EQ(minted.body["locationId"], extra(1));
    EXPECT_EQ(minted.body["userId"], sim->seed_facts().user_ids.front());
    EXPECT_EQ(minted.body["appId"], "sbxapp00000000000000000a");
    EXPECT_EQ(minted.body["versionId"], app().version_id);
    EXPECT_EQ(minted.body["planId"], app().plan_id);
    EXPECT_FALSE(minted.body.contains("refresh_token"));
    EXPECT_EQ(sim->counters().location_tokens_issued, 1);

    const Result foreign_company = location_token(agency, extra(1), "sbxOtherCompany00001");
    EXPECT_EQ(foreign_company.status, 403);
    const Result unknown = location_token(agency, "notOurLocation000001");
    ASSERT_EQ(unknown.status, 400);
    EXPECT_EQ(unknown.body["message"], "Location not found or app not installed");
    const Result missing =
        http->post_form("/oauth/locationToken", {{"companyId", sim->company_id()}}, agency, kV1);
    ASSERT_EQ(missing.status, 422);
    EXPECT_EQ(missing.body["message"][0], "locationId should not be empty");
    const Result no_version = http->post_form(
        "/oauth/locationToken", {{"companyId", sim->company_id()}, {"locationId", extra(1)}},
        agency, nullptr);
    EXPECT_EQ(no_version.status, 401);
    EXPECT_EQ(no_version.body["message"], "version header was not found.");
    EXPECT_EQ(sim->counters().location_tokens_issued, 1);
}

TEST_F(OAuth, InstalledLocationsPagesAndFilters) {
    const std::string agency = install("Company")["access_token"];
    const std::string base = "/oauth/installedLocations?companyId=" + sim->company_id() +
                             "&appId=" + app().app_id();
    Result r = http->get(base, agency);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["count"], 3);
    EXPECT_EQ(r.body["installToFutureLocations"], true);
    ASSERT_EQ(r.body["locations"].size(), 3u);
    const Json& first = r.body["locations"][0];
    EXPECT_EQ(first["_id"], sim->location_id());
    EXPECT_EQ(first["name"], "Summit Home Services (Sandbox)");
    EXPECT_EQ(first["address"], "100 Main St, New York, NY 10001, US");
    EXPECT_EQ(first["isInstalled"], true);
    EXPECT_EQ(first["versionId"], app().version_id);
    EXPECT_EQ(first["installedAt"], "2025-06-11T15:00:00.000Z");

    std::vector<std::string> paged;
    for (int skip = 0; skip < 4; skip += 2) {
        r = http->get(base + "&limit=2&skip=" + std::to_string(skip), agency);
        ASSERT_EQ(r.status, 200);
        EXPECT_EQ(r.body["count"], 3);
        for (const Json& l : r.body["locations"]) paged.push_back(l["_id"]);
    }
    EXPECT_EQ(paged, sim->location_ids());

    r = http->get(base + "&query=LAKESIDE", agency);
    ASSERT_EQ(r.body["locations"].size(), 1u);
    EXPECT_EQ(r.body["locations"][0]["_id"], extra(1));
    EXPECT_EQ(r.body["count"], 1);
    EXPECT_EQ(http->get(base + "&locationId=" + extra(2), agency).body["count"], 1);
    EXPECT_EQ(http->get(base + "&isInstalled=false", agency).body["count"], 0);
    EXPECT_EQ(http->get(base + "&isInstalled=true", agency).body["count"], 3);
    EXPECT_EQ(http->get(base + "&limit=0", agency).status, 422);
    EXPECT_EQ(http->get(base + "&isInstalled=maybe", agency).status, 422);
    EXPECT_EQ(http->get("/oauth/installedLocations?companyId=" + sim->company_id(), agency).status,
              422);
    EXPECT_EQ(http->get("/oauth/installedLocations?companyId=" + sim->company_id() +
                            "&appId=someOtherApp",
                        agency)
                  .status,
              400);
    EXPECT_EQ(http->get("/oauth/installedLocations?companyId=sbxOtherCompany00001&appId=" +
                            app().app_id(),
                        agency)
                  .status,
              403);
    EXPECT_EQ(http->get(base, agency, "2021-04-15").status, 400);  // strict Version
}

TEST_F(OAuth, MintedLocationTokenServesItsOwnSubAccountOnly) {
    const std::string agency = install("Company")["access_token"];
    const std::string minted = location_token(agency, extra(1)).body["access_token"];

    const std::vector<std::string> own = contacts_of(*http, minted, extra(1));
    const std::vector<std::string> defaults = contacts_of(*http, kToken, sim->location_id());
    ASSERT_EQ(own.size(), 100u);
    ASSERT_EQ(defaults.size(), 100u);
    EXPECT_NE(own, defaults);
    // Its own seed: the same contacts as a fresh simulator's sub-account, not the default's.
    EXPECT_EQ(std::set<std::string>(own.begin(), own.end()).size(), 100u);

    for (const std::string& path :
         {"/contacts/?locationId=" + sim->location_id(), "/locations/" + extra(2),
          "/users/?locationId=" + sim->location_id()}) {
        const Result r = http->get(path, minted);
        ASSERT_EQ(r.status, 403) << path;
        EXPECT_EQ(r.body["message"], "The token does not have access to this location.");
    }

    // Writes land in that sub-account; the counters add up over all of them.
    const Result created = http->post_json(
        "/contacts/", {{"locationId", extra(1)}, {"firstName", "Minted"}, {"email", "m@t.example"}},
        minted);
    ASSERT_EQ(created.status, 201) << created.body.dump();
    const std::string id = created.body["contact"]["id"];
    EXPECT_EQ(http->get("/contacts/" + id, minted).status, 200);
    EXPECT_EQ(http->get("/contacts/" + id, kToken).status, 400);  // not in the default one
    EXPECT_EQ(sim->counters().contacts_created, 1);

    // Sub-account and static tokens are refused on the agency-only endpoints.
    for (const std::string& token : {minted, std::string(kToken)}) {
        const Result r = location_token(token, extra(2));
        ASSERT_EQ(r.status, 401);
        EXPECT_EQ(r.body["message"], kAuthClass);
        const Result l = http->get("/oauth/installedLocations?companyId=" + sim->company_id() +
                                       "&appId=" + app().app_id(),
                                   token);
        EXPECT_EQ(l.status, 401);
        EXPECT_EQ(l.body["message"], kAuthClass);
    }
}

TEST_F(OAuth, StaticTokensAreUnaffected) {
    const Result r = http->get("/contacts/?limit=1&locationId=" + sim->location_id(), kToken);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(http->get("/contacts/?limit=1&locationId=" + extra(1), kToken).status, 403);
    const Result unknown = http->get("/locations/" + sim->location_id(), "no-such-token");
    ASSERT_EQ(unknown.status, 401);
    EXPECT_EQ(unknown.body["message"], "Invalid token: access token is invalid");
}

TEST_F(OAuth, ConsentEchoesStateAndHonoursDenial) {
    const std::string state = "a b&c=d/\xC3\xA9+%";
    Result r = authorize({{"state", state}});
    ASSERT_EQ(r.status, 302);
    auto q = query_of(r.header("Location"));
    EXPECT_EQ(q.at("state"), state);
    EXPECT_EQ(q.count("code"), 1u);
    EXPECT_NE(r.header("Location").find("state=a%20b%26c%3Dd%2F%C3%A9%2B%25"), std::string::npos)
        << r.header("Location");

    r = authorize({});
    ASSERT_EQ(r.status, 302);
    EXPECT_EQ(query_of(r.header("Location")).count("state"), 0u);

    r = authorize({{"sim_deny", "1"}, {"state", "xyz"}});
    ASSERT_EQ(r.status, 302);
    q = query_of(r.header("Location"));
    EXPECT_EQ(q.at("error"), "access_denied");
    EXPECT_EQ(q.at("state"), "xyz");
    EXPECT_EQ(q.count("code"), 0u);
    EXPECT_EQ(sim->counters().oauth_codes_issued, 2);

    // Other response types are refused at the (valid) redirect URI.
    const Result token_type =
        http->browse("/oauth/chooselocation?response_type=token&client_id=" +
                     enc(app().client_id) + "&redirect_uri=" + enc(kRedirect));
    ASSERT_EQ(token_type.status, 302);
    EXPECT_EQ(query_of(token_type.header("Location")).at("error"), "unsupported_response_type");

    // An existing query on the redirect URI is kept.
    const Result kept =
        http->browse("/oauth/chooselocation?response_type=code&client_id=" + enc(app().client_id) +
                     "&redirect_uri=" + enc("http://localhost/cb?tenant=7"));
    ASSERT_EQ(kept.status, 302);
    EXPECT_EQ(kept.header("Location").rfind("http://localhost/cb?tenant=7&code=", 0), 0u);
}

TEST_F(OAuth, ConsentNeverRedirectsToAnUnknownClientOrUri) {
    const auto consent = [&](const std::string& client, const std::string& redirect) {
        return http->browse("/oauth/chooselocation?response_type=code&state=s&client_id=" +
                            enc(client) + "&redirect_uri=" + enc(redirect));
    };
    for (const auto& [client, redirect] : std::vector<std::pair<std::string, std::string>>{
             {"someone-else", kRedirect},
             {app().client_id, "https://evil.example/cb"},
             {app().client_id, "http://localhost.evil.example/cb"},
             {app().client_id, "http://127.0.0.1@evil.example/cb"},
             {app().client_id, "http://127.0.0.1:99999/cb"},
             {app().client_id, "http://127.0.0.1/cb#frag"},
             {app().client_id, ""}}) {
        const Result r = consent(client, redirect);
        ASSERT_EQ(r.status, 400) << client << " " << redirect;
        EXPECT_EQ(r.header("Location"), "");
        EXPECT_EQ(r.body["error"], "invalid_request");
    }
    for (const char* redirect : {"http://localhost:3000/oauth/callback",
                                        "http://127.0.0.1/cb", "http://localhost"}) {
        EXPECT_EQ(consent(app().client_id, redirect).status, 302) << redirect;
    }
    EXPECT_EQ(authorize({{"sim_location_id", "notOurLocation000001"}}).status, 400);
    EXPECT_EQ(authorize({{"sim_user_type", "Agency"}}).status, 400);
    EXPECT_EQ(sim->counters().oauth_codes_issued, 3);
}

TEST_F(OAuth, ConcurrentRefreshesOfOneTokenLetExactlyOneThrough) {
    const std::string refresh_token = install("Location")["refresh_token"];
    constexpr int kThreads = 8;
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<Result> results(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            Http own(sim->port());
            const Params params = {{"client_id", app().client_id},
                                   {"client_secret", app().client_secret},
                                   {"grant_type", "refresh_token"},
                                   {"refresh_token", refresh_token}};
            ++ready;
            while (!go.load()) std::this_thread::yield();
            results[static_cast<std::size_t>(i)] = own.post_form("/oauth/token", params);
        });
    }
    while (ready.load() < kThreads) std::this_thread::yield();
    go = true;
    for (std::thread& t : threads) t.join();
    int ok = 0;
    for (const Result& r : results) {
        if (r.status == 200) {
            ++ok;
            EXPECT_EQ(http->get("/locations/" + sim->location_id(), r.body["access_token"]).status,
                      200);
        } else {
            expect_oauth_error(r, 400, "invalid_grant");
        }
    }
    EXPECT_EQ(ok, 1);
    const ghlsim::Counters c = sim->counters();
    EXPECT_EQ(c.oauth_refreshes, 1);
    EXPECT_EQ(c.oauth_refresh_rejected, kThreads - 1);
}

class OAuthLimited : public OAuth {
    ghlsim::Options make_options() override {
        ghlsim::Options o = OAuth::make_options();
        o.rate = {3, 60000};
        return o;
    }
};

TEST_F(OAuthLimited, OAuthTokensShareTheirResourcesBudget) {
    const Json first = install("Location", extra(1));
    const std::string old_token = first["access_token"];
    const std::string new_token = refresh(first["refresh_token"]).body["access_token"];
    const std::string path = "/locations/" + extra(1);
    ASSERT_EQ(http->get(path, old_token).status, 200);
    ASSERT_EQ(http->get(path, old_token).status, 200);
    const Result third = http->get(path, new_token);
    ASSERT_EQ(third.status, 200);
    EXPECT_EQ(third.header("X-RateLimit-Remaining"), "0");
    EXPECT_EQ(http->get(path, new_token).status, 429);
    // Another resource, and the static token, have budgets of their own.
    const std::string other = install("Location", extra(2))["access_token"];
    EXPECT_EQ(http->get("/locations/" + extra(2), other).status, 200);
    EXPECT_EQ(http->get("/locations/" + sim->location_id(), kToken).status, 200);
    const std::string agency = install("Company")["access_token"];
    EXPECT_EQ(http->get(path, agency).status, 200);
}

class OAuthFaults : public OAuth {
    ghlsim::Options make_options() override {
        ghlsim::Options o = OAuth::make_options();
        o.faults.error_5xx_ratio = 1.0;
        return o;
    }
};

TEST_F(OAuthFaults, A502Or504OnRefreshLosesTheAnswerButNotTheRotation) {
    const std::string code = sim->issue_code("Location", sim->location_id(), kRedirect);
    // 500/503 are answered before the work; retry until the exchange went through (502/504).
    int status = 0;
    for (int i = 0; i < 64 && status != 502 && status != 504; ++i) {
        status = exchange(code).status;
        ASSERT_TRUE(status == 500 || status == 502 || status == 503 || status == 504) << status;
    }
    ASSERT_TRUE(status == 502 || status == 504);
    EXPECT_EQ(sim->counters().oauth_code_exchanges, 1);
    sim->set_faults({});
    expect_oauth_error(exchange(code), 400, "invalid_grant");
}

class OAuthRegistered : public OAuth {
    ghlsim::Options make_options() override {
        ghlsim::Options o = OAuth::make_options();
        o.oauth->redirect_uris = {"https://app.example/oauth/callback"};
        o.oauth->client_id = "myapp1234-abcdef";
        o.oauth->client_secret = "s3cret";
        return o;
    }
};

TEST_F(OAuthRegistered, OnlyRegisteredRedirectUrisAreUsed) {
    const auto consent = [&](const std::string& extra_query) {
        return http->browse("/oauth/chooselocation?response_type=code&client_id=myapp1234-abcdef" +
                            extra_query);
    };
    EXPECT_EQ(consent("&redirect_uri=" + enc(kRedirect)).status, 400);  // loopback not registered
    Result r = consent("&redirect_uri=" + enc("https://app.example/oauth/callback"));
    ASSERT_EQ(r.status, 302);
    // With one registered URI, redirect_uri may be left out (RFC 6749 3.1.2.3).
    r = consent("");
    ASSERT_EQ(r.status, 302);
    ASSERT_EQ(r.header("Location").rfind("https://app.example/oauth/callback?code=", 0), 0u);
    const Result t = http->post_form("/oauth/token",
                                     {{"client_id", "myapp1234-abcdef"},
                                      {"client_secret", "s3cret"},
                                      {"grant_type", "authorization_code"},
                                      {"code", query_of(r.header("Location")).at("code")},
                                      {"redirect_uri", "https://app.example/oauth/callback"}});
    ASSERT_EQ(t.status, 200) << t.body.dump();
    EXPECT_EQ(sim->authorize_url("https://app.example/oauth/callback", "st"),
              sim->base_url() +
                  "/oauth/chooselocation?response_type=code&redirect_uri=https%3A%2F%2Fapp."
                  "example%2Foauth%2Fcallback&client_id=myapp1234-abcdef&scope=" +
                  enc(ghlsim::OAuthApp{}.scope) + "&state=st");
}

TEST(OAuthDisabled, OAuthPathsAnswerLikeAnyUnknownRoute) {
    ghlsim::Simulator sim(options());
    sim.start();
    Http http(sim.port());
    EXPECT_EQ(http.get("/oauth/chooselocation?response_type=code", "", nullptr).status, 401);
    EXPECT_EQ(http.get("/oauth/chooselocation", kToken).status, 404);
    EXPECT_EQ(http.post_form("/oauth/token", {{"grant_type", "refresh_token"}}).status, 401);
    EXPECT_EQ(http.post_form("/oauth/locationToken", {}, kToken, kV1).status, 404);
    EXPECT_EQ(http.get("/oauth/installedLocations", kToken).status, 404);
    EXPECT_THROW(sim.issue_code("Location", sim.location_id(), kRedirect), std::logic_error);
    EXPECT_THROW(sim.expire_access_tokens(), std::logic_error);
    EXPECT_THROW((void)sim.authorize_url(kRedirect), std::logic_error);
}

TEST(OAuthOptions, BadAppIsRefused) {
    for (const auto& change : std::vector<std::function<void(ghlsim::OAuthApp&)>>{
             [](ghlsim::OAuthApp& a) { a.client_id.clear(); },
             [](ghlsim::OAuthApp& a) { a.client_secret.clear(); },
             [](ghlsim::OAuthApp& a) { a.access_ttl_s = 0; },
             [](ghlsim::OAuthApp& a) { a.location_token_ttl_s = -1; }}) {
        ghlsim::Options o = options();
        o.oauth = ghlsim::OAuthApp{};
        change(*o.oauth);
        EXPECT_THROW(ghlsim::Simulator{o}, std::invalid_argument);
    }
    EXPECT_EQ(ghlsim::OAuthApp{}.app_id(), "sbxapp00000000000000000a");
    ghlsim::OAuthApp plain;
    plain.client_id = "nodash";
    EXPECT_EQ(plain.app_id(), "nodash");
}

}  // namespace
}  // namespace simtest
