// json_rpc.hpp: error objects, ids, line serialization, version lists, log levels.
#include "mcp/json_rpc.hpp"

#include <gtest/gtest.h>

namespace {

using mcp::ErrorCode;
using mcp::json;

TEST(JsonRpcErrorCodes, HaveTheSpecValues) {
    EXPECT_EQ(static_cast<int>(ErrorCode::kParseError), -32700);
    EXPECT_EQ(static_cast<int>(ErrorCode::kInvalidRequest), -32600);
    EXPECT_EQ(static_cast<int>(ErrorCode::kMethodNotFound), -32601);
    EXPECT_EQ(static_cast<int>(ErrorCode::kInvalidParams), -32602);
    EXPECT_EQ(static_cast<int>(ErrorCode::kInternalError), -32603);
    EXPECT_EQ(static_cast<int>(ErrorCode::kResourceNotFound), -32002);
    EXPECT_EQ(static_cast<int>(ErrorCode::kHeaderMismatch), -32020);
    EXPECT_EQ(static_cast<int>(ErrorCode::kMissingClientCapability), -32021);
    EXPECT_EQ(static_cast<int>(ErrorCode::kUnsupportedProtocolVersion), -32022);
}

TEST(JsonRpcMakeError, KeepsValidIds) {
    json e = mcp::make_error(7, ErrorCode::kInvalidParams, "bad");
    EXPECT_EQ(e["jsonrpc"], "2.0");
    EXPECT_EQ(e["id"], 7);
    EXPECT_EQ(e["error"]["code"], -32602);
    EXPECT_EQ(e["error"]["message"], "bad");
    EXPECT_FALSE(e["error"].contains("data"));
    EXPECT_FALSE(e.contains("result"));

    json s = mcp::make_error("abc", ErrorCode::kMethodNotFound, "nope");
    EXPECT_EQ(s["id"], "abc");
    EXPECT_EQ(s["error"]["code"], -32601);
}

TEST(JsonRpcMakeError, OmitsInvalidIdsInsteadOfSendingNull) {
    for (const json& bad : {json(), json(1.5), json::array({1}), json::object(), json(true)}) {
        json e = mcp::make_error(bad, ErrorCode::kParseError, "x");
        EXPECT_FALSE(e.contains("id")) << "id " << bad.dump() << " should be omitted: " << e.dump();
        EXPECT_EQ(e["error"]["code"], -32700);
    }
}

TEST(JsonRpcMakeError, CarriesData) {
    json e = mcp::make_error(1, ErrorCode::kUnsupportedProtocolVersion, "v",
                             json{{"supported", {"2026-07-28"}}});
    EXPECT_EQ(e["error"]["data"]["supported"][0], "2026-07-28");
}

TEST(JsonRpcValidRequestId, StringsAndIntegersOnly) {
    EXPECT_TRUE(mcp::valid_request_id(json(0)));
    EXPECT_TRUE(mcp::valid_request_id(json(-3)));
    EXPECT_TRUE(mcp::valid_request_id(json(18446744073709551615ULL)));
    EXPECT_TRUE(mcp::valid_request_id(json("")));
    EXPECT_FALSE(mcp::valid_request_id(json()));
    EXPECT_FALSE(mcp::valid_request_id(json(2.5)));
    EXPECT_FALSE(mcp::valid_request_id(json(false)));
    EXPECT_FALSE(mcp::valid_request_id(json::object()));
}

TEST(JsonRpcBuilders, RequestsNotificationsAndResults) {
    json n = mcp::make_notification("notifications/progress", nullptr);
    EXPECT_FALSE(n.contains("params"));
    EXPECT_FALSE(n.contains("id"));
    EXPECT_EQ(n["method"], "notifications/progress");
    json r = mcp::make_request(3, "ping", json::object());
    EXPECT_EQ(r["id"], 3);
    EXPECT_TRUE(r["params"].is_object());
    json res = mcp::make_result("x", json{{"a", 1}});
    EXPECT_EQ(res["id"], "x");
    EXPECT_EQ(res["result"]["a"], 1);
    EXPECT_EQ(res["jsonrpc"], "2.0");
}

TEST(JsonRpcDumpLine, IsCompactAndSingleLine) {
    json m{{"jsonrpc", "2.0"},
           {"id", 1},
           {"result", {{"text", "line one\nline two\r\n\ttabbed"}, {"list", {1, 2, 3}}}}};
    std::string line = mcp::dump_line(m);
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    EXPECT_EQ(line.find(": "), std::string::npos) << "not compact: " << line;
    EXPECT_EQ(line.find(", "), std::string::npos) << "not compact: " << line;
    EXPECT_EQ(json::parse(line), m);
}

TEST(JsonRpcDumpLine, ReplacesInvalidUtf8InsteadOfThrowing) {
    json m{{"text", std::string("ok \xff\xfe bad")}};
    std::string line;
    ASSERT_NO_THROW(line = mcp::dump_line(m));
    json back = json::parse(line);
    EXPECT_EQ(back["text"].get<std::string>().rfind("ok ", 0), 0u);
    EXPECT_NE(back["text"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos)
        << "U+FFFD replacement expected";
}

TEST(JsonRpcVersions, LegacyAndModernLists) {
    const auto& legacy = mcp::legacy_versions();
    ASSERT_EQ(legacy.size(), 4u);
    EXPECT_EQ(legacy[0], "2024-11-05");
    EXPECT_EQ(legacy[1], "2025-03-26");
    EXPECT_EQ(legacy[2], "2025-06-18");
    EXPECT_EQ(legacy[3], "2025-11-25");
    for (size_t i = 1; i < legacy.size(); ++i) EXPECT_LT(legacy[i - 1], legacy[i]) << "oldest first";
    const auto& modern = mcp::modern_versions();
    ASSERT_EQ(modern.size(), 1u);
    EXPECT_EQ(modern[0], "2026-07-28");

    for (const auto& v : legacy) {
        EXPECT_TRUE(mcp::is_legacy_version(v));
        EXPECT_FALSE(mcp::is_modern_version(v));
    }
    EXPECT_TRUE(mcp::is_modern_version("2026-07-28"));
    EXPECT_FALSE(mcp::is_legacy_version("2026-07-28"));
    EXPECT_FALSE(mcp::is_legacy_version("2024-10-07"));
    EXPECT_FALSE(mcp::is_legacy_version(""));
    EXPECT_FALSE(mcp::is_modern_version("2026-07-29"));
}

TEST(JsonRpcVersions, VersionAtLeastComparesDates) {
    EXPECT_TRUE(mcp::version_at_least("2025-06-18", "2025-06-18"));
    EXPECT_TRUE(mcp::version_at_least("2025-11-25", "2025-06-18"));
    EXPECT_FALSE(mcp::version_at_least("2025-03-26", "2025-06-18"));
    EXPECT_FALSE(mcp::version_at_least("2024-11-05", "2025-03-26"));
}

TEST(JsonRpcLogLevel, ParsesAllRfc5424NamesInOrder) {
    const char* names[] = {"debug", "info", "notice", "warning",
                           "error", "critical", "alert", "emergency"};
    std::optional<mcp::LogLevel> prev;
    for (const char* n : names) {
        auto l = mcp::parse_log_level(n);
        ASSERT_TRUE(l.has_value()) << n;
        EXPECT_EQ(mcp::to_string(*l), n);
        if (prev) {
            EXPECT_LT(*prev, *l) << n << " must be more severe than its predecessor";
        }
        prev = l;
    }
}

TEST(JsonRpcLogLevel, RejectsUnknownNames) {
    EXPECT_FALSE(mcp::parse_log_level("").has_value());
    EXPECT_FALSE(mcp::parse_log_level("DEBUG").has_value());
    EXPECT_FALSE(mcp::parse_log_level("warn").has_value());
    EXPECT_FALSE(mcp::parse_log_level("fatal").has_value());
    EXPECT_FALSE(mcp::parse_log_level("info ").has_value());
}

TEST(JsonRpcRpcError, CarriesCodeDataAndStatus) {
    mcp::RpcError e(ErrorCode::kHeaderMismatch, "m", json{{"k", 1}}, 400);
    EXPECT_EQ(e.code(), ErrorCode::kHeaderMismatch);
    EXPECT_STREQ(e.what(), "m");
    EXPECT_EQ(e.data()["k"], 1);
    EXPECT_EQ(e.http_status(), 400);
    mcp::RpcError d(ErrorCode::kInternalError, "x");
    EXPECT_EQ(d.http_status(), 0);
    EXPECT_TRUE(d.data().is_null());
}

}  // namespace
