// ApiError: parsing GHL error bodies and the agent-facing text of each failure.
#include "ghl/errors.hpp"

#include <gtest/gtest.h>

namespace ghl {
namespace {

Response error_response(int status, std::string body, Headers headers = {}) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

ApiError make(const char* endpoint_id, int status, std::string body, Params ids = {},
              std::optional<std::chrono::seconds> retry_after = std::nullopt, Headers h = {}) {
    return ApiError::from_response(endpoint(endpoint_id), ids,
                                   error_response(status, std::move(body), std::move(h)), 1,
                                   retry_after);
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

TEST(ApiError, Unauthorized) {
    auto e = make(
        "contacts.get", 401,
        R"({"statusCode":401,"message":"Invalid token: access token is invalid","error":"Unauthorized"})",
        {{"contactId", "c1"}});
    EXPECT_EQ(e.code(), "ghl.unauthorized");
    EXPECT_EQ(e.status(), 401);
    EXPECT_EQ(e.message(), "Invalid token: access token is invalid");
    EXPECT_EQ(e.details().error, "Unauthorized");
    const auto text = e.agent_text();
    EXPECT_TRUE(contains(text, "[ghl.unauthorized]")) << text;
    EXPECT_TRUE(contains(text, "invalid, expired or revoked")) << text;
    EXPECT_TRUE(contains(text, "Refresh the OAuth token")) << text;
    EXPECT_TRUE(contains(text, "Sub-Account (Location) token")) << text;
    EXPECT_FALSE(e.transient());
    EXPECT_EQ(std::string(e.what()), text);
}

TEST(ApiError, ForbiddenNamesTheMissingScopeAndEndpoint) {
    auto e = make("contacts.create", 403,
                  R"({"statusCode":403,"message":"The token is not authorized for this scope."})");
    EXPECT_EQ(e.code(), "ghl.forbidden");
    const auto text = e.agent_text();
    EXPECT_TRUE(contains(text, "scope 'contacts.write'")) << text;
    EXPECT_TRUE(contains(text, "contacts.create (POST /contacts/)")) << text;
    EXPECT_TRUE(contains(text, "not authorized for this scope")) << text;

    auto agency = make("oauth.location_token", 403, "{}");
    EXPECT_TRUE(contains(agency.agent_text(), "Agency (Company) token")) << agency.agent_text();
}

TEST(ApiError, NotFoundNamesTheId) {
    auto e = make("contacts.get", 404, R"({"statusCode":404,"message":"Contact not found"})",
                  {{"contactId", "abc123"}});
    EXPECT_EQ(e.code(), "ghl.not_found");
    const auto text = e.agent_text();
    EXPECT_TRUE(contains(text, "contactId 'abc123'")) << text;
    EXPECT_TRUE(contains(text, "Contact not found")) << text;

    auto two =
        make("contacts.workflow.remove", 404, "", {{"contactId", "c1"}, {"workflowId", "w9"}});
    EXPECT_TRUE(contains(two.agent_text(), "contactId 'c1', workflowId 'w9'")) << two.agent_text();
}

TEST(ApiError, UnprocessableListsEveryFieldMessage) {
    auto e = make(
        "contacts.create", 422,
        R"({"statusCode":422,"message":["email must be an email","phone must be a valid phone number"],"error":"Unprocessable Entity","traceId":"t-42"})");
    EXPECT_EQ(e.code(), "ghl.invalid_params");
    ASSERT_EQ(e.messages().size(), 2u);
    EXPECT_EQ(e.messages()[0], "email must be an email");
    EXPECT_EQ(e.trace_id(), "t-42");
    const auto text = e.agent_text();
    EXPECT_TRUE(contains(text, "email must be an email; phone must be a valid phone number"))
        << text;
    EXPECT_TRUE(contains(text, "Fix these fields")) << text;
    EXPECT_TRUE(contains(text, "t-42")) << text;

    // 422 with a string message parses too.
    auto s =
        make("contacts.create", 422, R"({"statusCode":422,"message":"locationId is required"})");
    ASSERT_EQ(s.messages().size(), 1u);
    EXPECT_TRUE(contains(s.agent_text(), "locationId is required"));
}

TEST(ApiError, RateLimitedSaysWhenToRetry) {
    auto e = make("contacts.search", 429, R"({"message":"Too many requests"})", {},
                  std::chrono::seconds(8));
    EXPECT_EQ(e.code(), "ghl.rate_limited");
    EXPECT_EQ(e.retry_after(), std::chrono::seconds(8));
    EXPECT_TRUE(contains(e.agent_text(), "retry after 8 s")) << e.agent_text();
    EXPECT_TRUE(e.transient());
}

TEST(ApiError, LocalRateLimitText) {
    auto d = ApiError::details_for(endpoint("contacts.search"));
    d.kind = ErrorKind::kRateLimited;
    d.retry_after = std::chrono::seconds(7);
    ApiError e(std::move(d));
    EXPECT_EQ(e.code(), "ghl.rate_limited");
    EXPECT_TRUE(contains(e.agent_text(), "rate limited, retry after 7 s")) << e.agent_text();
}

TEST(ApiError, ServerErrorSaysWhetherItWasRetried) {
    auto safe = ApiError::from_response(endpoint("contacts.get"), {{"contactId", "c"}},
                                        error_response(503, "<html>busy</html>"), 4, std::nullopt);
    EXPECT_EQ(safe.code(), "ghl.server_error");
    EXPECT_TRUE(contains(safe.agent_text(), "after 4 attempt(s)")) << safe.agent_text();
    EXPECT_TRUE(safe.messages().empty());

    auto unsafe = make("contacts.create", 500, R"({"message":"Internal server error"})");
    EXPECT_TRUE(contains(unsafe.agent_text(), "not retried")) << unsafe.agent_text();
    EXPECT_TRUE(contains(unsafe.agent_text(), "check whether it took effect"))
        << unsafe.agent_text();
}

TEST(ApiError, BadRequestAndOtherStatuses) {
    auto bad = make("contacts.get", 400, R"({"statusCode":400,"message":"Bad Request"})",
                    {{"contactId", "zzz"}});
    EXPECT_EQ(bad.code(), "ghl.bad_request");
    EXPECT_TRUE(contains(bad.agent_text(), "contactId 'zzz'")) << bad.agent_text();
    EXPECT_EQ(make("contacts.get", 409, "{}").code(), "ghl.http_error");
}

TEST(ApiError, TransportKinds) {
    auto base = ApiError::details_for(endpoint("contacts.create"));
    auto t = base;
    t.kind = ErrorKind::kTimeout;
    t.deadline_budget = std::chrono::milliseconds(1500);
    ApiError timeout(t);
    EXPECT_EQ(timeout.code(), "ghl.timeout");
    EXPECT_TRUE(contains(timeout.agent_text(), "1500 ms")) << timeout.agent_text();
    EXPECT_TRUE(contains(timeout.agent_text(), "may have reached GHL")) << timeout.agent_text();

    auto c = base;
    c.kind = ErrorKind::kConnection;
    c.transport = TransportError::kConnectFailed;
    c.transport_detail = "Connection refused";
    ApiError refused(c);
    EXPECT_EQ(refused.code(), "ghl.connection");
    EXPECT_TRUE(contains(refused.agent_text(), "connect failed: Connection refused"));
    // Never sent: no "may have reached GHL" warning.
    EXPECT_FALSE(contains(refused.agent_text(), "may have reached GHL")) << refused.agent_text();

    auto tls = base;
    tls.kind = ErrorKind::kTls;
    EXPECT_EQ(ApiError(tls).code(), "ghl.tls");
    auto cancel = base;
    cancel.kind = ErrorKind::kCancelled;
    EXPECT_EQ(ApiError(cancel).code(), "ghl.cancelled");
}

TEST(ApiError, TraceIdFromHeaderAndBoundedMessages) {
    Headers h{{"X-Request-Id", "req-7"}};
    std::string long_message(5000, 'x');
    auto e =
        make("contacts.get", 500, R"({"message":")" + long_message + R"("})", {}, std::nullopt, h);
    EXPECT_EQ(e.trace_id(), "req-7");
    EXPECT_LT(e.agent_text().size(), 1000u);
}

TEST(Redact, RemovesTheSecretEverywhere) {
    EXPECT_EQ(redact("token pit-123456 and pit-123456", "pit-123456"),
              "token [redacted] and [redacted]");
    EXPECT_EQ(redact("short abc", "abc"), "short abc");  // too short to be a real token
    EXPECT_EQ(redact("nothing", ""), "nothing");
}

}  // namespace
}  // namespace ghl
