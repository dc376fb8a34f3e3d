// Parsing every request shape Vapi and Retell send (recorded payloads), and both platforms'
// signatures: the valid case and each way one must fail (wrong key, stale or future timestamp,
// altered body, malformed header).
#include "voice/protocol.hpp"

#include "mcp/crypto.hpp"
#include "payloads.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using json = nlohmann::json;
using voice_test::payload;
using voice_test::payload_text;

voice::VoiceRequest vapi(const std::string& file, std::string* type_out = nullptr) {
    std::string type;
    auto r = voice::parse_vapi(payload(file), type);
    if (type_out) *type_out = type;
    return r;
}

void expect_find_contact(const voice::ToolCall& c, const std::string& id) {
    EXPECT_EQ(c.id, id);
    EXPECT_EQ(c.name, "find_contact");
    EXPECT_EQ(c.arguments, (json{{"phone", "+15550001111"}}));
    EXPECT_EQ(c.problem, "");
}

TEST(VapiParse, ToolCallListWithFunctionObjectArguments) {
    std::string type;
    auto r = vapi("vapi_tool_call_list.json", &type);
    EXPECT_EQ(type, "tool-calls");
    EXPECT_EQ(r.platform, "vapi");
    EXPECT_EQ(r.call_id, "call-3f1c2b6e");
    EXPECT_EQ(r.caller_number, "+15550001111");
    ASSERT_EQ(r.calls.size(), 1u) << "toolWithToolCallList repeats the same calls: not run twice";
    expect_find_contact(r.calls[0], "call_VaJOd8ZeZgWCEHDYomyCPfwN");
}

TEST(VapiParse, ArgumentsAsAJsonString) {
    auto r = vapi("vapi_arguments_string.json");
    ASSERT_EQ(r.calls.size(), 1u);
    expect_find_contact(r.calls[0], "call_str_1");
}

TEST(VapiParse, FlatNameAndArguments) {
    auto r = vapi("vapi_flat_arguments.json");
    ASSERT_EQ(r.calls.size(), 1u);
    expect_find_contact(r.calls[0], "toolu_flat_args");
    EXPECT_EQ(r.caller_number, "+15550001111") << "message.customer.number when call.customer is absent";
}

TEST(VapiParse, FlatNameAndParameters) {
    auto r = vapi("vapi_flat_parameters.json");
    ASSERT_EQ(r.calls.size(), 1u);
    expect_find_contact(r.calls[0], "toolu_flat_params");
    EXPECT_EQ(r.caller_number, "");
}

TEST(VapiParse, ToolWithToolCallListAloneTakesTheNameFromTheTool) {
    auto r = vapi("vapi_tool_with_tool_call_list_only.json");
    ASSERT_EQ(r.calls.size(), 1u);
    expect_find_contact(r.calls[0], "call_twtcl_1");
}

TEST(VapiParse, LegacyToolCalls) {
    auto r = vapi("vapi_legacy_tool_calls.json");
    ASSERT_EQ(r.calls.size(), 1u);
    expect_find_contact(r.calls[0], "call_legacy_1");
}

TEST(VapiParse, BadArgumentsAreAProblemOfThatCallOnly) {
    auto r = vapi("vapi_caller_number_only.json");
    ASSERT_EQ(r.calls.size(), 3u);
    EXPECT_EQ(r.calls[0].problem, "");
    EXPECT_EQ(r.calls[0].arguments, json::object());
    EXPECT_EQ(r.calls[1].id, "call_callerid_2");
    EXPECT_NE(r.calls[1].problem.find("not valid JSON"), std::string::npos);
    EXPECT_NE(r.calls[2].problem.find("JSON object"), std::string::npos);
}

TEST(VapiParse, OtherMessagesCarryNoCalls) {
    std::string type;
    auto r = vapi("vapi_status_update.json", &type);
    EXPECT_EQ(type, "status-update");
    EXPECT_TRUE(r.calls.empty());
}

TEST(VapiParse, NotAVapiMessageThrows) {
    std::string type;
    EXPECT_THROW(voice::parse_vapi(json::array(), type), std::invalid_argument);
    EXPECT_THROW(voice::parse_vapi(json{{"name", "x"}}, type), std::invalid_argument);
}

TEST(VapiParse, ACallWithoutANameIsAProblem) {
    std::string type;
    auto r = voice::parse_vapi(
        json::parse(R"({"message":{"type":"tool-calls","toolCallList":[{"id":"c1","function":{"arguments":{}}}]}})"),
        type);
    ASSERT_EQ(r.calls.size(), 1u);
    EXPECT_FALSE(r.calls[0].problem.empty());
}

TEST(RetellParse, DefaultPayload) {
    auto r = voice::parse_retell(payload("retell_function_call.json"), "");
    EXPECT_EQ(r.platform, "retell");
    EXPECT_EQ(r.call_id, "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6");
    EXPECT_EQ(r.caller_number, "+15550001111");
    ASSERT_EQ(r.calls.size(), 1u);
    expect_find_contact(r.calls[0], "");
}

TEST(RetellParse, DefaultPayloadOnAToolUrlMustNameTheSameTool) {
    auto r = voice::parse_retell(payload("retell_function_call.json"), "find_contact");
    EXPECT_EQ(r.calls.at(0).name, "find_contact");
    EXPECT_THROW(voice::parse_retell(payload("retell_function_call.json"), "book_appointment"),
                 std::invalid_argument);
}

TEST(RetellParse, ArgsOnlyNeedsTheToolInTheUrl) {
    auto r = voice::parse_retell(payload("retell_args_only.json"), "find_contact");
    ASSERT_EQ(r.calls.size(), 1u);
    expect_find_contact(r.calls[0], "");
    EXPECT_EQ(r.call_id, "");
    EXPECT_THROW(voice::parse_retell(payload("retell_args_only.json"), ""), std::invalid_argument);
    EXPECT_THROW(voice::parse_retell(json::array(), "find_contact"), std::invalid_argument);
}

// ---- Signatures -----------------------------------------------------------------------------

constexpr std::int64_t kNow = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr const char* kKey = "key_retell_0123456789abcdef";

TEST(RetellSignature, MatchesTheSdkAlgorithm) {
    const std::string body = payload_text("retell_function_call.json");
    const std::string header = voice::retell_signature(kKey, body, kNow);
    // v=<ms>,d=hex(HMAC-SHA256(key, body + ms)), computed independently here.
    EXPECT_EQ(header, "v=" + std::to_string(kNow) + ",d=" +
                          mcp::hex_encode(mcp::hmac_sha256(kKey, body + std::to_string(kNow))));
    EXPECT_EQ(voice::verify_retell_signature(kKey, body, header, kNow), voice::SignatureCheck::kValid);
    EXPECT_EQ(voice::verify_retell_signature(kKey, body, header, kNow + 299'000), voice::SignatureCheck::kValid);
}

TEST(RetellSignature, FailsOnWrongKeyStaleTimeAlteredBodyAndMalformedHeaders) {
    const std::string body = payload_text("retell_function_call.json");
    const std::string header = voice::retell_signature(kKey, body, kNow);
    using C = voice::SignatureCheck;
    EXPECT_EQ(voice::verify_retell_signature("key_other", body, header, kNow), C::kMismatch);
    EXPECT_EQ(voice::verify_retell_signature(kKey, body, header, kNow + 301'000), C::kStale);
    EXPECT_EQ(voice::verify_retell_signature(kKey, body, header, kNow - 301'000), C::kStale) << "future";
    std::string altered = body;
    altered.replace(altered.find("+15550001111"), 12, "+15550009999");
    EXPECT_EQ(voice::verify_retell_signature(kKey, altered, header, kNow), C::kMismatch);
    EXPECT_EQ(voice::verify_retell_signature(kKey, body + " ", header, kNow), C::kMismatch);
    EXPECT_EQ(voice::verify_retell_signature(kKey, body, "", kNow), C::kMissing);
    for (const std::string& bad : std::vector<std::string>{"d=00,v=1", "v=abc,d=" + std::string(64, 'a'), "v=1767225600000,d=XYZ",
                                  "v=1767225600000,d=" + std::string(63, 'a'), "v=,d=" + std::string(64, 'a')})
        EXPECT_EQ(voice::verify_retell_signature(kKey, body, bad, kNow), C::kMalformed) << bad;
    // A replayed header with a new timestamp but the old digest fails.
    std::string moved = header;
    moved.replace(2, 13, std::to_string(kNow + 1000));
    EXPECT_EQ(voice::verify_retell_signature(kKey, body, moved, kNow), C::kMismatch);
}

TEST(VapiSignature, TimestampDotBodyHexInSecondsOrMilliseconds) {
    const std::string body = payload_text("vapi_tool_call_list.json");
    using C = voice::SignatureCheck;
    const std::string ts_s = std::to_string(kNow / 1000), ts_ms = std::to_string(kNow);
    const std::string sig = voice::vapi_signature("vapi-hmac", body, ts_s);
    EXPECT_EQ(sig, mcp::hex_encode(mcp::hmac_sha256("vapi-hmac", ts_s + "." + body)));
    EXPECT_EQ(voice::verify_vapi_signature("vapi-hmac", body, sig, ts_s, kNow), C::kValid);
    EXPECT_EQ(voice::verify_vapi_signature("vapi-hmac", body, "sha256=" + sig, ts_s, kNow), C::kValid);
    const std::string sig_ms = voice::vapi_signature("vapi-hmac", body, ts_ms);
    EXPECT_EQ(voice::verify_vapi_signature("vapi-hmac", body, sig_ms, ts_ms, kNow), C::kValid);

    EXPECT_EQ(voice::verify_vapi_signature("wrong", body, sig, ts_s, kNow), C::kMismatch);
    EXPECT_EQ(voice::verify_vapi_signature("vapi-hmac", body + "x", sig, ts_s, kNow), C::kMismatch);
    EXPECT_EQ(voice::verify_vapi_signature("vapi-hmac", body, sig, ts_s, kNow + 301'000), C::kStale);
    EXPECT_EQ(voice::verify_vapi_signature("vapi-hmac", body, sig, "", kNow), C::kMissing);
    EXPECT_EQ(voice::verify_vapi_signature("vapi-hmac", body, "zz", ts_s, kNow), C::kMalformed);
    EXPECT_EQ(voice::verify_vapi_signature("vapi-hmac", body, sig, "12a", kNow), C::kMalformed);
    // The signature of another timestamp does not carry over.
    EXPECT_EQ(voice::verify_vapi_signature("vapi-hmac", body, sig, std::to_string(kNow / 1000 + 1), kNow),
              C::kMismatch);
}

}  // namespace
