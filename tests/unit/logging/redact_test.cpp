// app::redact_log_text: secrets and personal data out of log lines, everything else untouched.
#include "app/logging.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace {

using app::redact_log_text;

struct Case {
    std::string in, out;
};

void expect_all(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
        EXPECT_EQ(redact_log_text(c.in), c.out) << "input: " << c.in;
        // Redacting twice changes nothing more (the markers themselves survive).
        EXPECT_EQ(redact_log_text(redact_log_text(c.in)), c.out) << "input: " << c.in;
    }
}

void expect_unchanged(const std::vector<std::string>& lines) {
    for (const auto& l : lines) EXPECT_EQ(redact_log_text(l), l);
}

TEST(Redact, BearerCredentialsKeepTheScheme) {
    expect_all({
        {"Authorization: Bearer pit-00000000-0000-0000-0000-000000000000",
         "Authorization: Bearer [redacted]"},
        {R"({"Authorization":"Bearer abc123def456ghi"})",
         R"({"Authorization":"Bearer [redacted]"})"},
        {"authorization=Basic dXNlcjpwYXNzd29yZA==", "authorization=Basic [redacted]"},
        {"sent Bearer ghlmcp_EXAMPLEplaceholderEXAMPLEkey to /mcp",
         "sent Bearer [redacted] to /mcp"},
        {"bearer 0123456789abcdef0123", "bearer [redacted]"},
        {"X-Vapi-Secret: hunter2hunter2", "X-Vapi-Secret: [redacted]"},
    });
}

TEST(Redact, TokensRecognisedByTheirShape) {
    const std::string jwt =
        "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJsb2MiLCJleHAiOjE3MzM2MDAwMDB9."
        "c2lnbmF0dXJl";
    expect_all({
        {"token pit-00000000-0000-0000-0000-000000000000 rejected", "token [redacted] rejected"},
        {"refreshing " + jwt + ".", "refreshing [redacted]."},
        {"key ghlmcp_EXAMPLEplaceholderEXAMPLEkey created", "key [redacted] created"},
        {"state eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9eyJpZCI6MX0 sealed", "state [redacted] sealed"},
    });
}

TEST(Redact, SecretFieldsInJsonFormsQueriesAndEnvironment) {
    expect_all({
        {R"({"access_token":"at-123","refresh_token":"rt-456","expires_in":86399,"token_type":"Bearer"})",
         R"({"access_token":"[redacted]","refresh_token":"[redacted]","expires_in":86399,"token_type":"Bearer"})"},
        {R"({"accessToken": "abc", "userType":"Location"})",
         R"({"accessToken": "[redacted]", "userType":"Location"})"},
        {"grant_type=refresh_token&refresh_token=xyz789&client_id=app-1&client_secret=s3cr3t",
         "grant_type=refresh_token&refresh_token=[redacted]&client_id=app-1&client_secret=["
         "redacted]"},
        {"GET /oauth/callback?code=4f2a9c&state=abc HTTP/1.1",
         "GET /oauth/callback?code=[redacted]&state=abc HTTP/1.1"},
        {R"({"code":"4f2a9c","user_type":"Company"})",
         R"({"code":"[redacted]","user_type":"Company"})"},
        {"GHL_PRIVATE_INTEGRATION_TOKEN=pit-abc GHL_MCP_STORE_KEY=k3y GHL_MCP_API_KEY=xyz",
         "GHL_PRIVATE_INTEGRATION_TOKEN=[redacted] GHL_MCP_STORE_KEY=[redacted] "
         "GHL_MCP_API_KEY=[redacted]"},
        {R"({"password":"a\"b","x":1})", R"({"password":"[redacted]","x":1})"},
        // JSON dumped inside a JSON string.
        {R"({"text":"{\"access_token\":\"abc\",\"scope\":\"contacts.readonly\"}"})",
         R"({"text":"{\"access_token\":\"[redacted]\",\"scope\":\"contacts.readonly\"}"})"},
        {"https://admin:hunter2@ghl.example.com/mcp", "https://[redacted]@ghl.example.com/mcp"},
    });
}

TEST(Redact, EmailAddresses) {
    expect_all({
        {"contact john.doe+crm@example.co.uk created", "contact [email] created"},
        {R"({"email":"Ann.O'Neil@mail.example.com"})", R"({"email":"[redacted]"})"},
        {"to: a@b.io, c_d@e-f.org.", "to: [email], [email]."},
        {"mailto:jane@example.com", "mailto:[email]"},
    });
}

TEST(Redact, PhoneNumbers) {
    expect_all({
        {"contact +15551234567 booked", "contact [phone] booked"},
        {"call +1 (555) 123-4567 now", "call [phone] now"},
        {"UK +44 20 7946 0958.", "UK [phone]."},
        {"+49-30-901820", "[phone]"},
        {"phone 555-123-4567", "phone [phone]"},
        {"phone (555) 123-4567", "phone [phone]"},
        {"phone 555.123.4567, 1-800-555-0199", "phone [phone], [phone]"},
        {R"({"phone":"+15551234567"})", R"({"phone":"[redacted]"})"},
        {R"({"phone":"555 1234","firstName":"Ann","lastName":"Lee"})",
         R"({"phone":"[redacted]","firstName":"[redacted]","lastName":"[redacted]"})"},
        {R"(found \"+15551234567\")", R"(found \"[phone]\")"},
    });
}

TEST(Redact, LeavesIdsTimesNumbersAndPathsAlone) {
    expect_unchanged({
        "ghl contacts.get [7e3cb853c928a577] GET /contacts/sbxC0ntact0000000001 -> 200 in 12 ms "
        "(attempt 1)",
        "SANDBOX: simulated GHL sub-account sbxL0c4t1onQm2Vt9RkP at http://127.0.0.1:35619 (seeded "
        "demo data)",
        "tool get_free_slots [a5ab115eee2e0341] ok in 118 ms",
        "GET /calendars/X0fLUh204j4Cl5wENwUz/free-slots -> 400",
        "2026-12-07T19:44:17.123Z 2026-12-08T09:00:00-05:00 2026-12-08T09:00:00+01:00 2026-12-08",
        "startDate 1733600000000 endDate 1733686400000 (epoch ms)",
        "listening on 127.0.0.1:8787, [::1]:8787 and 10.0.0.1:443",
        "ghl-mcp 1.10.0 (traceId fefb12f4-9ae0-4103-a359-b2f716c687b9)",
        R"({"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"Invalid params"}})",
        R"({"statusCode":400,"message":"Calendar not found","token_type":"Bearer"})",
        "token store: could not save the refreshed token of location:sbxL0c4t1onQm2Vt9RkP",
        "no access token was configured for this call (it needs a Location token)",
        "clients send the Bearer credential; Authorization: Bearer <key>",
        "retry after 12 s; Retry-After: 30; rate 100/10000ms; +5 s",
        "GHL credential company:c0mp4nyId0000000001 (oauth, NEEDS LOGIN)",
        "@scope/pkg, user@localhost, a @ b.com",
        "page 2 of 3, 45 contacts, 1200 ms, 99.95% ok, 12345678 bytes",
        "the code is 404; exit code 2; error code: 5",
        "eyJhbGciOi",  // too short to be a token
        "session 8af5043005e2 task 0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    });
}

TEST(Redact, LargeInputIsLinearAndSafe) {
    std::string big;
    for (int i = 0; i < 20000; ++i)
        big += "{\"email\":\"x" + std::to_string(i) + "@e.com\",\"n\":123} ";
    big += std::string(200000, '+') + std::string(200000, '1') + std::string(100000, '@');
    const auto start = std::chrono::steady_clock::now();
    const std::string out = redact_log_text(big);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(out.find("@e.com"), std::string::npos);
    EXPECT_LT(took, std::chrono::seconds(2));
    EXPECT_EQ(redact_log_text(""), "");
    EXPECT_EQ(redact_log_text("+"), "+");
    EXPECT_EQ(redact_log_text("Bearer"), "Bearer");
    EXPECT_EQ(redact_log_text("\"access_token\":\""), "\"access_token\":\"");
    EXPECT_EQ(redact_log_text("code="), "code=");
}

}  // namespace
