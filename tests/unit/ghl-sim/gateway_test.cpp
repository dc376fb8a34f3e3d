// What every request goes through: authentication, the Version header, rate limits, injected
// faults, routing, the request log and the option parsers.
#include "sim_support.hpp"

#include <atomic>
#include <set>
#include <thread>

namespace simtest {
namespace {

class Gateway : public SimTest {};

TEST_F(Gateway, MissingOrUnknownTokenIs401WithGhlBody) {
    const std::string path = "/contacts/search/duplicate?locationId=" + loc() + "&email=x%40y.z";
    for (const char* token : {static_cast<const char*>(nullptr), "wrong-token"}) {
        const Result r = api->call("GET", path, kV1, nullptr, token);
        ASSERT_EQ(r.status, 401);
        EXPECT_EQ(r.body["statusCode"], 401);
        EXPECT_EQ(r.body["message"], "Invalid token: access token is invalid");
        EXPECT_EQ(r.body["error"], "Unauthorized");
        EXPECT_TRUE(r.body.contains("traceId"));
        EXPECT_EQ(r.header("X-RateLimit-Max"), "");  // no resource was charged
    }
    EXPECT_EQ(api->call("GET", path, kV1, nullptr, "second-token").status, 200);
}

TEST_F(Gateway, MissingOrUnpublishedVersionIs401AsLiveGhlAnswers) {
    const std::string path = "/users/?locationId=" + loc();
    Result r = api->get(path, nullptr);
    ASSERT_EQ(r.status, 401);
    EXPECT_EQ(r.body["message"], "version header was not found.");
    r = api->get(path, "2020-01-01");
    ASSERT_EQ(r.status, 401);
    EXPECT_EQ(r.body["message"], "version header is invalid");
    EXPECT_EQ(api->get(path, kV1).status, 200);
}

TEST_F(Gateway, StrictModeRefusesAnotherPublishedVersionWith400) {
    Result r = api->get("/calendars/?locationId=" + loc(), kV1);
    ASSERT_EQ(r.status, 400);
    EXPECT_NE(r.body["message"].get<std::string>().find("2021-04-15"), std::string::npos);
    EXPECT_EQ(api->get("/calendars/?locationId=" + loc(), kV2).status, 200);
    EXPECT_EQ(api->get("/users/?locationId=" + loc(), kV2).status, 400);
    EXPECT_EQ(api->get("/conversations/search?locationId=" + loc(), kV1).status, 400);
    EXPECT_EQ(api->get("/conversations/search?locationId=" + loc(), kV2).status, 200);
    // GET /contacts/{id}/appointments is a contacts endpoint: 2021-07-28, unlike calendars.
    const std::string contact = sim->seed_facts().phone_only_contact_ids.front();
    EXPECT_EQ(api->get("/contacts/" + contact + "/appointments", kV1).status, 200);
    EXPECT_EQ(api->get("/contacts/" + contact + "/appointments", kV2).status, 400);
}

class LenientGateway : public SimTest {
    ghlsim::Options make_options() override {
        ghlsim::Options o = options();
        o.strict_version = false;
        return o;
    }
};

TEST_F(LenientGateway, AnyPublishedVersionIsAccepted) {
    for (const char* v : {kV1, kV2, "2023-02-21", "v3", "legacy"}) {
        EXPECT_EQ(api->get("/calendars/?locationId=" + loc(), v).status, 200) << v;
        EXPECT_EQ(api->get("/users/?locationId=" + loc(), v).status, 200) << v;
    }
    EXPECT_EQ(api->get("/users/?locationId=" + loc(), "2022-01-01").status, 401);
}

TEST_F(Gateway, UnknownRouteIsNestStyle404) {
    const Result r = api->get("/nope/nothing");
    ASSERT_EQ(r.status, 404);
    EXPECT_EQ(r.body["message"], "Cannot GET /nope/nothing");
    EXPECT_EQ(r.body["error"], "Not Found");
    EXPECT_EQ(api->call("PATCH", "/contacts/abc", kV1).status, 404);
}

TEST_F(Gateway, ForeignLocationIs403) {
    for (const std::string& path :
         {std::string("/locations/someOtherLocation123"), std::string("/workflows/?locationId=x"),
          std::string("/opportunities/search?location_id=x")}) {
        const Result r = api->get(path);
        ASSERT_EQ(r.status, 403) << path;
        EXPECT_EQ(r.body["message"], "The token does not have access to this location.");
    }
    const Result r = api->post("/contacts/", {{"locationId", "elsewhere"}, {"firstName", "A"}});
    EXPECT_EQ(r.status, 403);
}

TEST_F(Gateway, RateLimitHeadersOnEveryAuthenticatedResponse) {
    const std::vector<Result> results = {
        api->get("/users/?locationId=" + loc()),                       // 200
        api->get("/contacts/doesNotExist"),                             // 400
        api->get("/nope"),                                              // 404
        api->post("/contacts/", Json{{"firstName", "x"}}),              // 422
        api->get("/calendars/?locationId=" + loc(), kV1),               // 400 (strict version)
    };
    int previous = 100001;
    for (const Result& r : results) {
        ASSERT_NE(r.status, 0);
        EXPECT_EQ(r.header("X-RateLimit-Max"), "100000") << r.status;
        EXPECT_EQ(r.header("X-RateLimit-Interval-Milliseconds"), "10000");
        EXPECT_EQ(r.header("X-RateLimit-Limit-Daily"), "200000");
        const int remaining = std::stoi(r.header("X-RateLimit-Remaining"));
        EXPECT_LT(remaining, previous);
        previous = remaining;
        EXPECT_FALSE(r.header("X-RateLimit-Daily-Remaining").empty());
    }
}

class Limited : public SimTest {
    ghlsim::Options make_options() override {
        ghlsim::Options o = options();
        o.rate = {5, 60000};
        o.daily_limit = 8;
        return o;
    }
};

TEST_F(Limited, BurstLimitIs429WithRetryAfterPerToken) {
    const std::string path = "/users/?locationId=" + loc();
    for (int i = 0; i < 5; ++i) {
        const Result r = api->get(path);
        ASSERT_EQ(r.status, 200) << i;
        EXPECT_EQ(r.header("X-RateLimit-Remaining"), std::to_string(4 - i));
        EXPECT_EQ(r.header("X-RateLimit-Max"), "5");
        EXPECT_EQ(r.header("X-RateLimit-Interval-Milliseconds"), "60000");
    }
    const Result limited = api->get(path);
    ASSERT_EQ(limited.status, 429);
    EXPECT_EQ(limited.body["statusCode"], 429);
    EXPECT_EQ(limited.header("X-RateLimit-Remaining"), "0");
    const int retry_after = std::stoi(limited.header("Retry-After"));
    EXPECT_GE(retry_after, 59);
    EXPECT_LE(retry_after, 60);
    // Another token has its own budget; the refused request was not charged.
    EXPECT_EQ(api->call("GET", path, kV1, nullptr, "second-token").status, 200);
    EXPECT_EQ(sim->counters().rate_limited, 1);
    sim->reset_rate_limits();
    EXPECT_EQ(api->get(path).status, 200);
}

class Sliding : public SimTest {
    ghlsim::Options make_options() override {
        ghlsim::Options o = options();
        o.rate = ghlsim::RateLimit::parse("3/400ms");
        o.daily_limit = 5;
        return o;
    }
};

TEST_F(Sliding, WindowSlidesAndDailyBudgetRunsOut) {
    const std::string path = "/users/?locationId=" + loc();
    for (int i = 0; i < 3; ++i) ASSERT_EQ(api->get(path).status, 200);
    EXPECT_EQ(api->get(path).status, 429);
    std::this_thread::sleep_for(std::chrono::milliseconds(450));
    EXPECT_EQ(api->get(path).status, 200);
    EXPECT_EQ(api->get(path).status, 200);
    const Result r = api->get(path);  // 6th admitted request of the day
    ASSERT_EQ(r.status, 429);
    EXPECT_EQ(r.header("X-RateLimit-Daily-Remaining"), "0");
    // The fixed clock is 15:00 UTC: nine hours to midnight.
    EXPECT_EQ(r.header("Retry-After"), std::to_string(9 * 3600));
}

TEST_F(Gateway, InjectedBurstOf429ThenNormalService) {
    ghlsim::Faults f;
    f.burst_429 = 3;
    sim->set_faults(f);
    const std::string path = "/users/?locationId=" + loc();
    for (int i = 0; i < 3; ++i) {
        const Result r = api->get(path);
        ASSERT_EQ(r.status, 429);
        EXPECT_EQ(r.header("Retry-After"), "1");
    }
    EXPECT_EQ(api->get(path).status, 200);
    EXPECT_EQ(sim->counters().rate_limited, 3);
}

TEST_F(Gateway, Injected5xxAnd502Or504HappenAfterTheWrite) {
    ghlsim::Faults f;
    f.error_5xx_ratio = 1.0;
    sim->set_faults(f);
    std::set<int> seen;
    int applied = 0;
    for (int i = 0; i < 40; ++i) {
        const Result r = api->post("/contacts/", {{"locationId", loc()},
                                                  {"firstName", "Fault"},
                                                  {"email", "fault" + std::to_string(i) + "@x.example"}});
        ASSERT_TRUE(r.status == 500 || r.status == 502 || r.status == 503 || r.status == 504)
            << r.status;
        seen.insert(r.status);
        if (r.status == 502 || r.status == 504) ++applied;
    }
    EXPECT_EQ(seen.size(), 4u);
    const ghlsim::Counters c = sim->counters();
    EXPECT_EQ(c.faults, 40);
    EXPECT_EQ(c.contacts_created, applied);  // the gateway lost the answer of a done create
    sim->set_faults({});
    EXPECT_EQ(api->get("/users/?locationId=" + loc()).status, 200);
}

TEST_F(Gateway, InjectedResetsDropTheConnection) {
    ghlsim::Faults f;
    f.reset_ratio = 1.0;
    sim->set_faults(f);
    for (int i = 0; i < 6; ++i) {
        Api fresh(sim->port());
        const Result r = fresh.post("/contacts/", {{"locationId", loc()},
                                                   {"email", "reset" + std::to_string(i) + "@x.example"}});
        EXPECT_EQ(r.status, 0);
    }
    const std::vector<ghlsim::RequestRecord> log = sim->requests();
    ASSERT_EQ(log.size(), 6u);
    for (const ghlsim::RequestRecord& rec : log) EXPECT_EQ(rec.status, 0);
    const ghlsim::Counters c = sim->counters();
    EXPECT_EQ(c.faults, 6);
    EXPECT_LE(c.contacts_created, 6);  // resets after the handler still created
    sim->set_faults({});
    Api fresh(sim->port());
    EXPECT_EQ(fresh.get("/users/?locationId=" + loc()).status, 200);
}

TEST_F(Gateway, InjectedLatencyDelaysEveryRequest) {
    ghlsim::Faults f;
    f.latency_ms = 150;
    sim->set_faults(f);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(api->get("/users/?locationId=" + loc()).status, 200);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
}

TEST_F(Gateway, RequestLogRecordsWhatArrived) {
    sim->clear_requests();
    api->post("/contacts/", {{"locationId", loc()}, {"phone", "+1 (415) 555-0299"}});
    api->get("/contacts/search/duplicate?locationId=" + loc() + "&number=%2B14155550299");
    const std::vector<ghlsim::RequestRecord> log = sim->requests();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0].method, "POST");
    EXPECT_EQ(log[0].path, "/contacts/");
    EXPECT_EQ(log[0].status, 201);
    EXPECT_EQ(log[0].headers.at("version"), kV1);
    EXPECT_EQ(log[0].headers.at("authorization"), std::string("Bearer ") + kToken);
    EXPECT_NE(log[0].body.find("555-0299"), std::string::npos);
    EXPECT_EQ(log[1].query, "locationId=" + loc() + "&number=%2B14155550299");
    EXPECT_EQ(log[1].status, 200);
    EXPECT_EQ(log[1].at_ms, 1749654000000LL);
    EXPECT_EQ(sim->counters().contacts_created, 1);
    sim->clear_requests();
    EXPECT_TRUE(sim->requests().empty());
}

TEST(GatewayLog, CapacityAndCallback) {
    std::atomic<int> seen{0};
    ghlsim::Options o = options();
    o.request_log_capacity = 3;
    o.on_request = [&seen](const ghlsim::RequestRecord&) { ++seen; };
    ghlsim::Simulator sim(o);
    sim.start();
    Api api(sim.port());
    for (int i = 0; i < 5; ++i) api.get("/users/" + std::to_string(i));
    const auto log = sim.requests();
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log.front().path, "/users/2");
    EXPECT_EQ(seen.load(), 5);
    EXPECT_EQ(sim.counters().requests, 5);
    sim.stop();
    EXPECT_FALSE(sim.running());
    sim.stop();  // idempotent
}

TEST(GatewayOptions, RateLimitParse) {
    EXPECT_EQ(ghlsim::RateLimit::parse("100/10s").max_requests, 100);
    EXPECT_EQ(ghlsim::RateLimit::parse("100/10s").interval_ms, 10000);
    EXPECT_EQ(ghlsim::RateLimit::parse("5/500ms").interval_ms, 500);
    EXPECT_EQ(ghlsim::RateLimit::parse("60/1m").interval_ms, 60000);
    EXPECT_EQ(ghlsim::RateLimit::parse("100/10000").interval_ms, 10000);
    EXPECT_EQ(ghlsim::RateLimit::parse("7/s").interval_ms, 1000);
    for (const char* bad : {"", "100", "0/10s", "x/10s", "10/-1s", "10/abc"}) {
        EXPECT_THROW(ghlsim::RateLimit::parse(bad), std::invalid_argument) << bad;
    }
}

TEST(GatewayOptions, FaultsParse) {
    const ghlsim::Faults f = ghlsim::Faults::parse("5xx=0.1,reset=0.05,latency=200,burst429=5");
    EXPECT_DOUBLE_EQ(f.error_5xx_ratio, 0.1);
    EXPECT_DOUBLE_EQ(f.reset_ratio, 0.05);
    EXPECT_EQ(f.latency_ms, 200);
    EXPECT_EQ(f.burst_429, 5);
    EXPECT_EQ(ghlsim::Faults::parse("").latency_ms, 0);
    EXPECT_EQ(ghlsim::Faults::parse(" latency = 5 ").latency_ms, 5);
    for (const char* bad : {"5xx=2", "reset=-0.1", "latency=x", "boom=1", "5xx"}) {
        EXPECT_THROW(ghlsim::Faults::parse(bad), std::invalid_argument) << bad;
    }
}

TEST(GatewayLifecycle, TakenPortThrows) {
    ghlsim::Simulator first(options());
    first.start();
    ghlsim::Options o = options();
    o.port = first.port();
    ghlsim::Simulator second(o);
    EXPECT_THROW(second.start(), std::runtime_error);
    EXPECT_EQ(first.base_url(), "http://127.0.0.1:" + std::to_string(first.port()));
}

}  // namespace
}  // namespace simtest
