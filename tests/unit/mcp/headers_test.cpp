// headers.hpp: 2026-07-28 HTTP header/body agreement (MCP-Protocol-Version, Mcp-Method,
// Mcp-Name, Mcp-Param-* from x-mcp-header) and the =?base64?...?= value encoding.
#include "mcp/headers.hpp"

#include "mcp/crypto.hpp"
#include "mcp/registry.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace {

using mcp::ErrorCode;
using mcp::HeaderMap;
using mcp::json;

/// Runs `fn` and checks it throws the -32020 HeaderMismatch error with HTTP 400.
::testing::AssertionResult ThrowsMismatch(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const mcp::RpcError& e) {
        if (e.code() != ErrorCode::kHeaderMismatch)
            return ::testing::AssertionFailure() << "code " << static_cast<int>(e.code()) << ": " << e.what();
        if (e.http_status() != 400)
            return ::testing::AssertionFailure() << "http status " << e.http_status();
        return ::testing::AssertionSuccess() << e.what();
    } catch (const std::exception& e) {
        return ::testing::AssertionFailure() << "unexpected exception: " << e.what();
    }
    return ::testing::AssertionFailure() << "no exception";
}

std::string encoded(const std::string& s) { return "=?base64?" + mcp::base64_encode(s) + "?="; }

mcp::CallInfo call(const std::string& method, json params = json::object()) {
    mcp::CallInfo c;
    c.id = 1;
    c.method = method;
    c.params = std::move(params);
    c.modern = true;
    c.protocol_version = "2026-07-28";
    return c;
}

// --- decode_header_value ------------------------------------------------------------------

TEST(DecodeHeaderValue, PlainValuesPassThroughTrimmed) {
    EXPECT_EQ(mcp::decode_header_value("tools/call"), "tools/call");
    EXPECT_EQ(mcp::decode_header_value("  tools/call \t"), "tools/call");
    EXPECT_EQ(mcp::decode_header_value(""), "");
    EXPECT_EQ(mcp::decode_header_value("a b"), "a b") << "inner spaces are kept";
}

TEST(DecodeHeaderValue, DecodesBase64Form) {
    const std::string utf8 = "Z\xC3\xBCrich \xE2\x9C\x93";
    EXPECT_EQ(mcp::decode_header_value(encoded(utf8)), utf8);
    EXPECT_EQ(mcp::decode_header_value("=?base64?QQ==?="), "A");
    EXPECT_EQ(mcp::decode_header_value("  =?base64?QUI=?=  "), "AB") << "trimmed before decoding";
}

TEST(DecodeHeaderValue, RejectsMalformedBase64Form) {
    EXPECT_FALSE(mcp::decode_header_value("=?base64?QQ?=").has_value()) << "bad padding";
    EXPECT_FALSE(mcp::decode_header_value("=?base64?Q!==?=").has_value()) << "bad alphabet";
    EXPECT_FALSE(mcp::decode_header_value("=?base64?-_-_?=").has_value()) << "url alphabet";
    EXPECT_FALSE(mcp::decode_header_value("=?base64?QQ= =?=").has_value());
}

TEST(DecodeHeaderValue, IncompleteMarkersAreTakenLiterally) {
    EXPECT_EQ(mcp::decode_header_value("=?base64?QQ=="), "=?base64?QQ==");
    EXPECT_EQ(mcp::decode_header_value("base64?QQ==?="), "base64?QQ==?=");
}

// --- validate_version_header --------------------------------------------------------------

TEST(ValidateVersionHeader, AcceptsMatchingVersion) {
    HeaderMap h{{"mcp-protocol-version", "2026-07-28"}};
    EXPECT_NO_THROW(mcp::validate_version_header(h, "2026-07-28"));
    HeaderMap padded{{"mcp-protocol-version", " 2026-07-28 "}};
    EXPECT_NO_THROW(mcp::validate_version_header(padded, "2026-07-28"));
}

TEST(ValidateVersionHeader, MissingOrDifferentIsHeaderMismatch) {
    EXPECT_TRUE(ThrowsMismatch([] { mcp::validate_version_header({}, "2026-07-28"); }));
    HeaderMap other{{"mcp-protocol-version", "2025-11-25"}};
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_version_header(other, "2026-07-28"); }));
    // Header names are looked up lower-cased (the transport lower-cases them).
    HeaderMap wrong_key{{"x-protocol-version", "2026-07-28"}};
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_version_header(wrong_key, "2026-07-28"); }));
}

// --- validate_http_headers: method and name ----------------------------------------------

TEST(ValidateHttpHeaders, McpMethodRequiredAndMustMatch) {
    auto c = call("tools/list");
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers({}, c, nullptr); }));
    HeaderMap wrong{{"mcp-method", "prompts/list"}};
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(wrong, c, nullptr); }));
    HeaderMap ok{{"mcp-method", "tools/list"}};
    EXPECT_NO_THROW(mcp::validate_http_headers(ok, c, nullptr));
    HeaderMap enc{{"mcp-method", encoded("tools/list")}};
    EXPECT_NO_THROW(mcp::validate_http_headers(enc, c, nullptr));
    HeaderMap case_differs{{"mcp-method", "Tools/List"}};
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(case_differs, c, nullptr); }))
        << "values are case-sensitive";
}

TEST(ValidateHttpHeaders, McpNameForToolsCallPromptsGetAndResourcesRead) {
    struct Case {
        std::string method;
        json params;
        std::string good;
    };
    for (const Case& k : {Case{"tools/call", {{"name", "echo"}}, "echo"},
                          Case{"prompts/get", {{"name", "greet"}}, "greet"},
                          Case{"resources/read", {{"uri", "test://x/1"}}, "test://x/1"}}) {
        auto c = call(k.method, k.params);
        HeaderMap no_name{{"mcp-method", k.method}};
        EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(no_name, c, nullptr); })) << k.method;
        HeaderMap wrong{{"mcp-method", k.method}, {"mcp-name", "other"}};
        EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(wrong, c, nullptr); })) << k.method;
        HeaderMap bad_b64{{"mcp-method", k.method}, {"mcp-name", "=?base64?%%%?="}};
        EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(bad_b64, c, nullptr); })) << k.method;
        HeaderMap good{{"mcp-method", k.method}, {"mcp-name", k.good}};
        EXPECT_NO_THROW(mcp::validate_http_headers(good, c, nullptr)) << k.method;
        HeaderMap good_enc{{"mcp-method", k.method}, {"mcp-name", encoded(k.good)}};
        EXPECT_NO_THROW(mcp::validate_http_headers(good_enc, c, nullptr)) << k.method;
    }
}

TEST(ValidateHttpHeaders, McpNameNonAsciiNeedsBase64) {
    const std::string name = "r\xC3\xA9sum\xC3\xA9";
    auto c = call("prompts/get", {{"name", name}});
    HeaderMap h{{"mcp-method", "prompts/get"}, {"mcp-name", encoded(name)}};
    EXPECT_NO_THROW(mcp::validate_http_headers(h, c, nullptr));
}

TEST(ValidateHttpHeaders, McpNameMissingInBodyIsMismatch) {
    auto c = call("tools/call", json::object());
    HeaderMap h{{"mcp-method", "tools/call"}, {"mcp-name", "echo"}};
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(h, c, nullptr); }));
}

// --- validate_http_headers: Mcp-Param-* (x-mcp-header) ------------------------------------

class McpParamHeaders : public ::testing::Test {
protected:
    void SetUp() override {
        registry.add_tool(
            json{{"name", "regional"},
                 {"inputSchema",
                  {{"type", "object"},
                   {"properties",
                    {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}},
                     {"count", {{"type", "integer"}, {"x-mcp-header", "Count"}}},
                     {"dry", {{"type", "boolean"}, {"x-mcp-header", "Dry-Run"}}},
                     {"note", {{"type", "string"}}}}}}}},
            [](const json&, mcp::ToolContext&) { return mcp::ToolResult::text("ok"); });
    }
    mcp::CallInfo tool_call(json args) {
        return call("tools/call", {{"name", "regional"}, {"arguments", std::move(args)}});
    }
    static HeaderMap base() { return {{"mcp-method", "tools/call"}, {"mcp-name", "regional"}}; }
    mcp::Registry registry;
};

TEST_F(McpParamHeaders, MatchingHeadersPass) {
    auto c = tool_call({{"region", "us-east-1"}, {"count", 42}, {"dry", true}, {"note", "x"}});
    HeaderMap h = base();
    h.emplace("mcp-param-region", "us-east-1");
    h.emplace("mcp-param-count", "42");
    h.emplace("mcp-param-dry-run", "true");
    EXPECT_NO_THROW(mcp::validate_http_headers(h, c, &registry));
}

TEST_F(McpParamHeaders, IntegersCompareNumerically) {
    auto c = tool_call({{"count", 42}});
    HeaderMap h = base();
    h.emplace("mcp-param-count", "42.0");
    EXPECT_NO_THROW(mcp::validate_http_headers(h, c, &registry));
    HeaderMap off = base();
    off.emplace("mcp-param-count", "43");
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(off, c, &registry); }));
    HeaderMap junk = base();
    junk.emplace("mcp-param-count", "42abc");
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(junk, c, &registry); }));
}

TEST_F(McpParamHeaders, MismatchingValueIsRejected) {
    auto c = tool_call({{"region", "us-east-1"}});
    HeaderMap h = base();
    h.emplace("mcp-param-region", "eu-west-1");
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(h, c, &registry); }));
    auto b = tool_call({{"dry", true}});
    HeaderMap caps = base();
    caps.emplace("mcp-param-dry-run", "True");
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(caps, b, &registry); }));
}

TEST_F(McpParamHeaders, MissingHeaderForArgumentInBodyIsRejected) {
    auto c = tool_call({{"region", "us-east-1"}});
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(base(), c, &registry); }));
}

TEST_F(McpParamHeaders, HeaderWithoutArgumentIsRejected) {
    auto c = tool_call({{"note", "only the untagged one"}});
    HeaderMap h = base();
    h.emplace("mcp-param-region", "us-east-1");
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(h, c, &registry); }));
}

TEST_F(McpParamHeaders, AbsentEverywhereIsFine) {
    auto c = tool_call({{"note", "x"}});
    EXPECT_NO_THROW(mcp::validate_http_headers(base(), c, &registry));
    auto no_args = call("tools/call", {{"name", "regional"}});
    EXPECT_NO_THROW(mcp::validate_http_headers(base(), no_args, &registry));
}

TEST_F(McpParamHeaders, Base64EncodedValuesAreDecoded) {
    const std::string city = "Z\xC3\xBCrich";
    auto c = tool_call({{"region", city}});
    HeaderMap h = base();
    h.emplace("mcp-param-region", encoded(city));
    EXPECT_NO_THROW(mcp::validate_http_headers(h, c, &registry));
    HeaderMap bad = base();
    bad.emplace("mcp-param-region", "=?base64?***?=");
    EXPECT_TRUE(ThrowsMismatch([&] { mcp::validate_http_headers(bad, c, &registry); }));
}

TEST_F(McpParamHeaders, UnknownToolSkipsParamChecks) {
    auto c = call("tools/call", {{"name", "nope"}, {"arguments", {{"region", "x"}}}});
    HeaderMap h{{"mcp-method", "tools/call"}, {"mcp-name", "nope"}};
    EXPECT_NO_THROW(mcp::validate_http_headers(h, c, &registry));
}

}  // namespace
