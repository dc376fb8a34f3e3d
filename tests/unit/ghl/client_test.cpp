// ghl::Client against a fake transport, in virtual time: headers per endpoint, encoding, id
// validation, error mapping, secrets, retries, deadlines, the limiter in the call path, metrics.
#include "ghl/client.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "fake_transport.hpp"
#include "ghl/url.hpp"

namespace ghl {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeTransport;
using testing::json_response;
using testing::transport_error;

constexpr const char* kToken = "pit-secret-0123456789abcdef";

class ClientTest : public ::testing::Test {
  protected:
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
    std::shared_ptr<FakeTransport> fake = std::make_shared<FakeTransport>();
    std::shared_ptr<InMemoryRateLimiter> limiter;
    std::unique_ptr<Client> client;

    void SetUp() override { make_client(); }

    void make_client(ClientOptions options = {}, InMemoryRateLimiterOptions limits = {}) {
        if (options.base_url == kDefaultBaseUrl) options.base_url = std::string(testing::kFakeBase);
        options.jitter_seed = 42;
        limiter = std::make_shared<InMemoryRateLimiter>(limits, clock);
        client = std::make_unique<Client>(options, fake, limiter, clock);
    }

    CallOptions opts(milliseconds timeout = milliseconds(30000)) const {
        CallOptions o;
        o.token = kToken;
        o.resource_key = "loc1";
        o.deadline = clock->now() + timeout;
        return o;
    }

    /// Calls and returns the ApiError it must throw.
    ApiError call_error(std::string_view id, const Params& path, const Params& query = {},
                        const json& body = nullptr, std::optional<CallOptions> o = std::nullopt) {
        try {
            client->call(id, path, query, body, o ? *o : opts());
        } catch (const ApiError& e) {
            return e;
        }
        ADD_FAILURE() << id << " did not throw";
        throw std::logic_error("no error");
    }
};

Params dummy_params(const Endpoint& ep) {
    Params p;
    int i = 0;
    for (const auto& name : path_placeholders(ep.path))
        p.emplace_back(name, "id" + std::to_string(++i));
    return p;
}

TEST_F(ClientTest, SendsTheSpecVersionAndAuthHeadersForEveryEndpoint) {
    for (const auto& ep : endpoints()) {
        const auto params = dummy_params(ep);
        const json body = ep.method == Method::kGet ? json(nullptr) : json::object();
        client->call(ep.id, params, {}, body, opts());
        const Request r = fake->last();
        EXPECT_EQ(r.method, ep.method) << ep.id;
        EXPECT_EQ(r.url, std::string(testing::kFakeBase) + expand_path(ep.path, params)) << ep.id;
        if (ep.version.empty()) {
            EXPECT_FALSE(r.headers.contains("Version")) << ep.id;
        } else {
            EXPECT_EQ(r.headers.get("Version"), std::string(ep.version)) << ep.id;
        }
        if (ep.token == TokenKind::kNone) {
            EXPECT_FALSE(r.headers.contains("Authorization")) << ep.id;
        } else {
            EXPECT_EQ(r.headers.get("Authorization"), std::string("Bearer ") + kToken) << ep.id;
        }
        EXPECT_EQ(r.headers.get("Accept"), "application/json") << ep.id;
    }
    EXPECT_EQ(fake->count(), endpoints().size());
}

TEST_F(ClientTest, VersionSpotChecks) {
    const std::pair<const char*, const char*> cases[] = {
        {"calendars.free_slots", "2021-04-15"},
        {"calendars.appointments.create", "2021-04-15"},
        {"conversations.messages.send", "2021-04-15"},
        {"conversations.search", "2021-04-15"},
        {"contacts.get", "2021-07-28"},
        {"contacts.appointments", "2021-07-28"},
        {"opportunities.search", "2021-07-28"},
        {"oauth.location_token", "2021-07-28"},
    };
    for (const auto& [id, version] : cases) {
        client->call(id, dummy_params(endpoint(id)), {}, nullptr, opts());
        EXPECT_EQ(fake->last().headers.get("Version"), version) << id;
    }
}

TEST_F(ClientTest, VersionOverrideReplacesEverySpecValue) {
    ClientOptions o;
    o.version_override = "2023-02-21";
    make_client(o);
    client->call("calendars.list", {}, {{"locationId", "L"}}, nullptr, opts());
    EXPECT_EQ(fake->last().headers.get("Version"), "2023-02-21");
    client->call("oauth.token", {}, {}, json{{"grant_type", "refresh_token"}}, opts());
    EXPECT_FALSE(fake->last().headers.contains("Version"));
}

TEST_F(ClientTest, QueryValuesAreEncodedExactlyOnce) {
    client->call(
        "contacts.duplicate_search", {},
        {{"locationId", "loc1"}, {"number", "+15551234567"}, {"email", "jane+vip@example.com"}},
        nullptr, opts());
    EXPECT_EQ(fake->last().url_with_query(),
              "https://ghl.test/contacts/search/duplicate?locationId=loc1&number=%2B15551234567"
              "&email=jane%2Bvip%40example.com");

    client->call("contacts.list", {}, {{"query", "José Smith"}, {"locationId", "loc1"}}, nullptr,
                 opts());
    EXPECT_EQ(fake->last().url_with_query(),
              "https://ghl.test/contacts/?query=Jos%C3%A9%20Smith&locationId=loc1");
    // Raw values reach the transport untouched (the transport encodes, once).
    EXPECT_EQ(fake->last().query[0].second, "José Smith");
}

TEST_F(ClientTest, PathIdsArePercentEncoded) {
    client->call("contacts.get", {{"contactId", "a+b@c"}}, {}, nullptr, opts());
    EXPECT_EQ(fake->last().url, "https://ghl.test/contacts/a%2Bb%40c");
}

TEST_F(ClientTest, InvalidIdsAreRejectedBeforeAnythingIsSent) {
    for (const std::string& bad :
         std::vector<std::string>{"../locations/x", "", "a/b", "x\r\nHost: evil",
                                  std::string(200, 'a'), "a b", "%2e%2e"}) {
        auto e = call_error("contacts.get", {{"contactId", bad}});
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument) << bad;
        EXPECT_NE(e.agent_text().find("contactId"), std::string::npos) << e.agent_text();
    }
    EXPECT_EQ(fake->count(), 0u);
    const auto m = client->snapshot().endpoints.at("contacts.get");
    EXPECT_EQ(m.failures, 7u);
    EXPECT_EQ(m.attempts, 0u);
}

TEST_F(ClientTest, ProgrammingErrorsAreNotApiErrors) {
    EXPECT_THROW(client->call("contacts.nope", {}, {}, nullptr, opts()), std::invalid_argument);
    EXPECT_THROW(client->call("contacts.get", {}, {}, nullptr, opts()), std::invalid_argument);
    EXPECT_THROW(
        client->call("contacts.get", {{"id", "x"}, {"contactId", "y"}}, {}, nullptr, opts()),
        std::invalid_argument);
    EXPECT_EQ(fake->count(), 0u);
}

TEST_F(ClientTest, MissingTokenIsAClearError) {
    auto o = opts();
    o.token.clear();
    auto e = call_error("contacts.get", {{"contactId", "c1"}}, {}, nullptr, o);
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(e.agent_text().find("no access token"), std::string::npos);
    EXPECT_EQ(fake->count(), 0u);
}

TEST_F(ClientTest, JsonBodiesCarryContentType) {
    const json body = {{"locationId", "loc1"}, {"email", "a@b.c"}};
    fake->reply("POST /contacts/", json_response(201, R"({"contact":{"id":"new1"}})"));
    auto reply = client->call_reply("contacts.create", {}, {}, body, opts());
    EXPECT_EQ(reply.status, 201);
    EXPECT_EQ(reply.body["contact"]["id"], "new1");
    const auto r = fake->last();
    EXPECT_EQ(r.headers.get("Content-Type"), "application/json");
    EXPECT_EQ(json::parse(r.body), body);
    // No body, no Content-Type.
    client->call("contacts.get", {{"contactId", "c1"}}, {}, nullptr, opts());
    EXPECT_FALSE(fake->last().headers.contains("Content-Type"));
    EXPECT_TRUE(fake->last().body.empty());
}

TEST_F(ClientTest, OauthTokenIsAFormPostWithoutBearerOrVersion) {
    fake->reply("POST /oauth/token",
                json_response(200, R"({"access_token":"new","expires_in":86399})"));
    auto o = opts();
    o.token.clear();  // client credentials travel in the body
    auto out = client->call("oauth.token", {}, {},
                            json{{"client_id", "cid"},
                                 {"client_secret", "s3cr3t+/="},
                                 {"grant_type", "refresh_token"},
                                 {"refresh_token", "rt"}},
                            o);
    EXPECT_EQ(out["expires_in"], 86399);
    const auto r = fake->last();
    EXPECT_EQ(r.headers.get("Content-Type"), "application/x-www-form-urlencoded");
    EXPECT_EQ(
        r.body,
        "client_id=cid&client_secret=s3cr3t%2B%2F%3D&grant_type=refresh_token&refresh_token=rt");
    EXPECT_FALSE(r.headers.contains("Authorization"));
    EXPECT_FALSE(r.headers.contains("Version"));
}

TEST_F(ClientTest, ResponseBodies) {
    fake->reply("GET /contacts/{contactId}", json_response(200, ""));
    EXPECT_EQ(client->call("contacts.get", {{"contactId", "c1"}}, {}, nullptr, opts()),
              json::object());
    fake->reply("GET /calendars/", json_response(200, "<html>not json</html>"));
    auto e = call_error("calendars.list", {});
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidResponse);
    EXPECT_EQ(e.code(), "ghl.invalid_response");
}

TEST_F(ClientTest, ErrorStatusesMapToTypedErrors) {
    struct Case {
        int status;
        const char* body;
        const char* code;
        const char* text;
    };
    const Case cases[] = {
        {400, R"({"statusCode":400,"message":"Bad Request"})", "ghl.bad_request", "contactId 'c1'"},
        {401, R"({"statusCode":401,"message":"Invalid token: access token is invalid"})",
         "ghl.unauthorized", "invalid, expired or revoked"},
        {403, R"({"statusCode":403,"message":"The token does not have access to this location."})",
         "ghl.forbidden", "scope 'contacts.readonly'"},
        {404, R"({"statusCode":404,"message":"Contact not found"})", "ghl.not_found",
         "contactId 'c1'"},
        {422, R"({"statusCode":422,"message":["a is bad","b is missing"]})", "ghl.invalid_params",
         "a is bad; b is missing"},
        {409, "{}", "ghl.http_error", "409"},
    };
    for (const auto& c : cases) {
        fake->reply("GET /contacts/{contactId}", json_response(c.status, c.body));
        const auto before = fake->count();
        auto e = call_error("contacts.get", {{"contactId", "c1"}});
        EXPECT_EQ(e.code(), c.code) << c.status;
        EXPECT_EQ(e.status(), c.status);
        EXPECT_NE(e.agent_text().find(c.text), std::string::npos) << e.agent_text();
        EXPECT_EQ(fake->count() - before, 1u) << "4xx is never retried: " << c.status;
        fake = std::make_shared<FakeTransport>();
        make_client();
    }
}

TEST_F(ClientTest, TheTokenNeverAppearsInErrorsOrLogs) {
    std::ostringstream log_text;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text);
    auto logger = std::make_shared<spdlog::logger>("ghl-test", sink);
    logger->set_level(spdlog::level::trace);
    ClientOptions o;
    o.logger = logger;
    make_client(o);

    // GHL echoing the token back in a message must not leak it.
    fake->reply(
        "GET /contacts/{contactId}",
        json_response(401, std::string(R"({"message":"token )") + kToken + R"( is invalid"})"));
    auto e = call_error("contacts.get", {{"contactId", "c1"}});
    EXPECT_EQ(e.agent_text().find(kToken), std::string::npos) << e.agent_text();
    EXPECT_NE(e.agent_text().find("[redacted]"), std::string::npos) << e.agent_text();

    fake->reply("GET /contacts/search/duplicate", json_response(500, "{}"));
    fake->reply("GET /contacts/search/duplicate", json_response(200, "{}"));
    client->call("contacts.duplicate_search", {}, {{"email", "private@example.com"}}, nullptr,
                 opts());
    fake->reply("POST /contacts/", transport_error(TransportError::kConnectionLost,
                                                   std::string("reset while sending ") + kToken));
    auto lost = call_error("contacts.create", {}, {}, json::object());
    EXPECT_EQ(lost.agent_text().find(kToken), std::string::npos) << lost.agent_text();

    logger->flush();
    const auto logged = log_text.str();
    EXPECT_FALSE(logged.empty());
    EXPECT_EQ(logged.find(kToken), std::string::npos) << logged;
    EXPECT_EQ(logged.find("private@example.com"), std::string::npos) << logged;  // no query strings
    EXPECT_NE(logged.find("contacts.duplicate_search"), std::string::npos) << logged;
}

// --- Retries -------------------------------------------------------------------------------------

TEST_F(ClientTest, TooManyRequestsOnAPostIsRetriedAfterRetryAfter) {
    fake->reply("POST /contacts/", json_response(429, R"({"message":"Too many requests"})",
                                                 Headers{{"Retry-After", "3"}}));
    fake->reply("POST /contacts/", json_response(201, R"({"contact":{"id":"c9"}})"));
    const auto t0 = clock->now();
    auto reply =
        client->call_reply("contacts.create", {}, {}, json{{"locationId", "loc1"}}, opts());
    EXPECT_EQ(reply.status, 201);
    EXPECT_EQ(reply.attempts, 2);
    EXPECT_EQ(fake->count(), 2u);
    EXPECT_GE(clock->now() - t0, seconds(3));
    const auto m = client->snapshot().endpoints.at("contacts.create");
    EXPECT_EQ(m.http_429, 1u);
    EXPECT_EQ(m.retries, 1u);
    EXPECT_EQ(m.successes, 1u);
}

TEST_F(ClientTest, RetryAfterAsAnHttpDate) {
    // ManualClock's wall clock starts at 2024-10-04 00:00:00 UTC (day 20000 of the epoch).
    fake->reply(
        "GET /calendars/",
        json_response(429, "{}", Headers{{"Retry-After", "Fri, 04 Oct 2024 00:00:07 GMT"}}));
    fake->reply("GET /calendars/", json_response(200, R"({"calendars":[]})"));
    const auto t0 = clock->now();
    client->call("calendars.list", {}, {{"locationId", "L"}}, nullptr, opts());
    EXPECT_EQ(fake->count(), 2u);
    EXPECT_GE(clock->now() - t0, seconds(7));
    EXPECT_LT(clock->now() - t0, seconds(8));
}

TEST_F(ClientTest, TooManyRequestsWithoutRetryAfterBacksOff) {
    fake->reply("GET /calendars/", json_response(429, "{}"));
    fake->reply("GET /calendars/", json_response(200, "{}"));
    client->call("calendars.list", {}, {}, nullptr, opts());
    EXPECT_EQ(fake->count(), 2u);
}

TEST_F(ClientTest, ServerErrorOnACreateIsNotRetried) {
    fake->reply("POST /contacts/", json_response(500, R"({"message":"Internal Server Error"})"));
    fake->reply("POST /contacts/", json_response(201, "{}"));  // would succeed if (wrongly) retried
    auto e = call_error("contacts.create", {}, {}, json{{"locationId", "loc1"}});
    EXPECT_EQ(e.status(), 500);
    EXPECT_EQ(e.code(), "ghl.server_error");
    EXPECT_NE(e.agent_text().find("not retried"), std::string::npos) << e.agent_text();
    EXPECT_EQ(fake->count(), 1u);
    EXPECT_EQ(clock->sleeps(), 0);
}

TEST_F(ClientTest, NoUnsafeEndpointIsRepeatedAfterA5xxOrLostConnection) {
    for (const auto& ep : endpoints()) {
        if (ep.retry_safe) continue;
        for (Response failure :
             {json_response(502, "{}"), transport_error(TransportError::kConnectionLost),
              transport_error(TransportError::kTimeout)}) {
            fake = std::make_shared<FakeTransport>();
            fake->fallback(failure);
            make_client();
            auto o = opts();
            if (ep.token == TokenKind::kNone) o.token.clear();
            EXPECT_THROW(client->call(ep.id, dummy_params(ep), {}, json::object(), o), ApiError);
            EXPECT_EQ(fake->count(), 1u) << ep.id;
        }
    }
}

TEST_F(ClientTest, ServerErrorOnAGetIsRetried) {
    fake->reply("GET /contacts/{contactId}", json_response(500, "{}"));
    fake->reply("GET /contacts/{contactId}", json_response(503, "{}"));
    fake->reply("GET /contacts/{contactId}", json_response(200, R"({"contact":{"id":"c1"}})"));
    auto out = client->call("contacts.get", {{"contactId", "c1"}}, {}, nullptr, opts());
    EXPECT_EQ(out["contact"]["id"], "c1");
    EXPECT_EQ(fake->count(), 3u);
    EXPECT_EQ(client->snapshot().endpoints.at("contacts.get").retries, 2u);
}

TEST_F(ClientTest, RetriesAreBoundedByMaxAttempts) {
    fake->fallback(json_response(503, "{}"));
    auto e = call_error("contacts.get", {{"contactId", "c1"}});
    EXPECT_EQ(e.status(), 503);
    EXPECT_EQ(e.details().attempts, 4);
    EXPECT_EQ(fake->count(), 4u);
    EXPECT_NE(e.agent_text().find("after 4 attempt(s)"), std::string::npos);
}

TEST_F(ClientTest, TransportErrorsFollowRetrySafety) {
    // Timeouts and lost connections are retried for reads...
    fake->reply("GET /contacts/{contactId}", transport_error(TransportError::kTimeout));
    fake->reply("GET /contacts/{contactId}", transport_error(TransportError::kConnectionLost));
    fake->reply("GET /contacts/{contactId}", json_response(200, "{}"));
    client->call("contacts.get", {{"contactId", "c1"}}, {}, nullptr, opts());
    EXPECT_EQ(fake->count(), 3u);

    // ...a connection that was never made is retried even for a create (nothing was sent)...
    fake->reply("POST /contacts/",
                transport_error(TransportError::kConnectFailed, "Connection refused"));
    fake->reply("POST /contacts/", json_response(201, "{}"));
    client->call("contacts.create", {}, {}, json::object(), opts());
    EXPECT_EQ(fake->count(), 5u);

    // ...and TLS failures are never retried.
    fake->reply("GET /calendars/",
                transport_error(TransportError::kTls, "certificate verify failed"));
    auto e = call_error("calendars.list", {});
    EXPECT_EQ(e.kind(), ErrorKind::kTls);
    EXPECT_EQ(fake->count(), 6u);
}

TEST_F(ClientTest, ConnectionErrorSurfacesAsConnection) {
    fake->fallback(transport_error(TransportError::kConnectFailed, "Connection refused"));
    auto e = call_error("contacts.get", {{"contactId", "c1"}});
    EXPECT_EQ(e.kind(), ErrorKind::kConnection);
    EXPECT_EQ(e.code(), "ghl.connection");
    EXPECT_NE(e.agent_text().find("Connection refused"), std::string::npos);
    EXPECT_EQ(fake->count(), 4u);
}

// --- Deadlines -----------------------------------------------------------------------------------

TEST_F(ClientTest, RetryAfterBeyondTheDeadlineFailsAtOnce) {
    fake->reply("POST /conversations/messages",
                json_response(429, "{}", Headers{{"Retry-After", "30"}}));
    auto e =
        call_error("conversations.messages.send", {}, {}, json{{"type", "SMS"}}, opts(seconds(5)));
    EXPECT_EQ(e.code(), "ghl.rate_limited");
    EXPECT_EQ(e.retry_after(), seconds(30));
    EXPECT_NE(e.agent_text().find("retry after 30 s"), std::string::npos) << e.agent_text();
    EXPECT_EQ(fake->count(), 1u);
    EXPECT_EQ(clock->slept(), Clock::duration::zero());
}

TEST_F(ClientTest, RetryAfterAboveThePolicyCapIsSurfaced) {
    fake->reply("GET /calendars/", json_response(429, "{}", Headers{{"Retry-After", "3600"}}));
    auto e = call_error("calendars.list", {}, {}, nullptr, opts(std::chrono::hours(2)));
    EXPECT_EQ(e.retry_after(), seconds(3600));
    EXPECT_EQ(fake->count(), 1u);
}

TEST_F(ClientTest, ExpiredDeadlineSendsNothing) {
    auto o = opts();
    o.deadline = clock->now();
    auto e = call_error("contacts.get", {{"contactId", "c1"}}, {}, nullptr, o);
    EXPECT_EQ(e.kind(), ErrorKind::kTimeout);
    EXPECT_EQ(fake->count(), 0u);
}

TEST_F(ClientTest, BackoffNeverSleepsPastTheDeadline) {
    ClientOptions o;
    o.retry.max_attempts = 50;
    o.retry.base_delay = milliseconds(400);
    make_client(o);
    fake->fallback(json_response(503, "{}"));
    const auto t0 = clock->now();
    auto e = call_error("contacts.get", {{"contactId", "c1"}}, {}, nullptr, opts(seconds(3)));
    EXPECT_EQ(e.status(), 503);
    EXPECT_LT(clock->now() - t0, seconds(3));
    EXPECT_GT(fake->count(), 1u);
}

TEST_F(ClientTest, TheTransportGetsTheTimeLeft) {
    client->call("contacts.get", {{"contactId", "c1"}}, {}, nullptr, opts(milliseconds(1500)));
    const auto left = fake->last().deadline - std::chrono::steady_clock::now();
    EXPECT_GT(left, milliseconds(1000));
    EXPECT_LE(left, milliseconds(1500));
}

TEST_F(ClientTest, TransportTimeoutAfterTheDeadlineIsATimeout) {
    fake->on("GET /contacts/{contactId}", [this](const Request&) {
        clock->advance(seconds(2));  // the request used up the whole budget
        return transport_error(TransportError::kTimeout, "Operation timed out");
    });
    auto e = call_error("contacts.get", {{"contactId", "c1"}}, {}, nullptr, opts(seconds(2)));
    EXPECT_EQ(e.kind(), ErrorKind::kTimeout);
    EXPECT_EQ(e.code(), "ghl.timeout");
    EXPECT_NE(e.agent_text().find("2000 ms"), std::string::npos) << e.agent_text();
    EXPECT_EQ(fake->count(), 1u);
}

TEST_F(ClientTest, CancelledCallsStop) {
    std::stop_source stop;
    stop.request_stop();
    auto o = opts();
    o.cancel = stop.get_token();
    auto e = call_error("contacts.get", {{"contactId", "c1"}}, {}, nullptr, o);
    EXPECT_EQ(e.kind(), ErrorKind::kCancelled);
    EXPECT_EQ(fake->count(), 0u);
}

// --- The limiter in the call path ----------------------------------------------------------------

/// A fake GHL enforcing `max` requests per sliding `interval` per token, in virtual time, with
/// GHL's rate-limit headers on every response and a 429 when the budget is exceeded.
void enforce_rate_limit(FakeTransport& fake, std::shared_ptr<ManualClock> clock, int max,
                        milliseconds interval, std::shared_ptr<int> rejected) {
    auto times = std::make_shared<std::deque<Clock::time_point>>();
    fake.on("GET /contacts/{contactId}", [=](const Request&) {
        const auto now = clock->now();
        while (!times->empty() && times->front() <= now - interval) times->pop_front();
        Headers h{{"X-RateLimit-Max", std::to_string(max)},
                  {"X-RateLimit-Interval-Milliseconds", std::to_string(interval.count())}};
        if (static_cast<int>(times->size()) >= max) {
            ++*rejected;
            h.add("X-RateLimit-Remaining", "0");
            return json_response(429, R"({"message":"Too many requests"})", h);
        }
        times->push_back(now);
        h.add("X-RateLimit-Remaining", std::to_string(max - static_cast<int>(times->size())));
        return json_response(200, R"({"contact":{}})", h);
    });
}

TEST_F(ClientTest, ABurstOfThreeTimesTheLimitReachesTheCallerWithoutA429) {
    auto rejected = std::make_shared<int>(0);
    enforce_rate_limit(*fake, clock, 100, milliseconds(10000), rejected);
    const auto t0 = clock->now();
    for (int i = 0; i < 300; ++i) {
        client->call("contacts.get", {{"contactId", "c" + std::to_string(i)}}, {}, nullptr,
                     opts(seconds(60)));
    }
    EXPECT_EQ(*rejected, 0);
    EXPECT_EQ(fake->count(), 300u);
    // Two more windows (plus the 1% safety margin each), and not a moment more.
    const auto elapsed = clock->now() - t0;
    EXPECT_GE(elapsed, seconds(20));
    EXPECT_LE(elapsed, milliseconds(20200));
    const auto m = client->snapshot().endpoints.at("contacts.get");
    EXPECT_EQ(m.http_429, 0u);
    EXPECT_EQ(m.retries, 0u);
    EXPECT_GT(m.queue_wait_total, seconds(0));
    EXPECT_GE(m.queue_wait_max, seconds(10));
}

TEST_F(ClientTest, AnotherClientSpendingTheBudgetIsLearnedFromHeaders) {
    // GHL's window already holds 95 requests from someone else.
    auto rejected = std::make_shared<int>(0);
    enforce_rate_limit(*fake, clock, 100, milliseconds(10000), rejected);
    for (int i = 0; i < 95; ++i) fake->send(Request{.url = "https://ghl.test/contacts/x"});
    const auto before = fake->count();
    for (int i = 0; i < 20; ++i) {
        client->call("contacts.get", {{"contactId", "c1"}}, {}, nullptr, opts(seconds(60)));
    }
    // The first response says 4 left; our limiter then holds the rest back instead of hitting 429s.
    EXPECT_EQ(fake->count() - before, 20u);
    EXPECT_EQ(*rejected, 0);
}

TEST_F(ClientTest, NoSlotBeforeTheDeadlineFailsFastWithRetryAfter) {
    InMemoryRateLimiterOptions limits;
    limits.defaults.burst_max = 2;
    limits.defaults.burst_interval = milliseconds(10000);
    limits.safety_margin = 0;
    make_client({}, limits);
    client->call("contacts.get", {{"contactId", "c1"}}, {}, nullptr, opts());
    client->call("contacts.get", {{"contactId", "c2"}}, {}, nullptr, opts());
    auto e = call_error("contacts.get", {{"contactId", "c3"}}, {}, nullptr, opts(seconds(1)));
    EXPECT_EQ(e.kind(), ErrorKind::kRateLimited);
    EXPECT_EQ(e.retry_after(), seconds(10));
    EXPECT_NE(e.agent_text().find("rate limited, retry after 10 s"), std::string::npos)
        << e.agent_text();
    EXPECT_EQ(fake->count(), 2u);
    EXPECT_EQ(clock->slept(), Clock::duration::zero());
    EXPECT_EQ(client->snapshot().endpoints.at("contacts.get").local_limited, 1u);
    // Another location has its own budget.
    auto o = opts(seconds(1));
    o.resource_key = "loc2";
    client->call("contacts.get", {{"contactId", "c3"}}, {}, nullptr, o);
}

TEST_F(ClientTest, OauthTokenBypassesTheLimiter) {
    InMemoryRateLimiterOptions limits;
    limits.defaults.burst_max = 1;
    make_client({}, limits);
    for (int i = 0; i < 3; ++i)
        client->call("oauth.token", {}, {}, json{{"a", "b"}}, opts(seconds(1)));
    EXPECT_EQ(fake->count(), 3u);
}

TEST_F(ClientTest, MetricsPerEndpoint) {
    fake->reply("GET /contacts/{contactId}", json_response(500, "{}"));
    fake->reply("GET /contacts/{contactId}", json_response(200, "{}"));
    client->call("contacts.get", {{"contactId", "c1"}}, {}, nullptr, opts());
    fake->reply("GET /calendars/", json_response(404, "{}"));
    EXPECT_THROW(client->call("calendars.list", {}, {}, nullptr, opts()), ApiError);

    const auto s = client->snapshot();
    const auto& get = s.endpoints.at("contacts.get");
    EXPECT_EQ(get.calls, 1u);
    EXPECT_EQ(get.attempts, 2u);
    EXPECT_EQ(get.retries, 1u);
    EXPECT_EQ(get.successes, 1u);
    EXPECT_EQ(get.statuses.at(500), 1u);
    EXPECT_EQ(get.statuses.at(200), 1u);
    const auto& cal = s.endpoints.at("calendars.list");
    EXPECT_EQ(cal.failures, 1u);
    EXPECT_EQ(cal.statuses.at(404), 1u);
    const auto total = s.total();
    EXPECT_EQ(total.calls, 2u);
    EXPECT_EQ(total.attempts, 3u);
    std::uint64_t bucketed = 0;
    for (auto n : total.latency_buckets) bucketed += n;
    EXPECT_EQ(bucketed, 3u);
}

TEST(ClientOptionsTest, BaseUrlRules) {
    auto fake = std::make_shared<FakeTransport>();
    auto with = [&](std::string url, bool insecure = false) {
        ClientOptions o;
        o.base_url = std::move(url);
        o.allow_insecure_http = insecure;
        return Client(o, fake).options().base_url;
    };
    EXPECT_EQ(with("https://services.leadconnectorhq.com/"),
              "https://services.leadconnectorhq.com");
    EXPECT_EQ(with("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    EXPECT_EQ(with("http://localhost:9/"), "http://localhost:9");
    EXPECT_EQ(with("http://[::1]:9"), "http://[::1]:9");
    EXPECT_THROW(with("http://example.com"), std::invalid_argument);
    EXPECT_THROW(with("http://127.0.0.1.evil.com"), std::invalid_argument);
    EXPECT_EQ(with("http://sim.internal:80", true), "http://sim.internal:80");
    EXPECT_THROW(with("ftp://x"), std::invalid_argument);
    EXPECT_THROW(with(""), std::invalid_argument);
    EXPECT_EQ(ClientOptions{}.base_url, "https://services.leadconnectorhq.com");
}

}  // namespace
}  // namespace ghl
