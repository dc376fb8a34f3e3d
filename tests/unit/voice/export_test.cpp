// `ghl-mcp voice export`: the voice toolset as Vapi function tools and Retell custom functions,
// built from the catalog's own schemas, checked against each platform's documented constraints.
#include "tools/catalog.hpp"
#include "voice/export.hpp"
#include "voice/service.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <regex>

namespace {

using json = nlohmann::json;

const std::vector<std::string>& voice_tools() { return tools::composite_toolsets().at("voice"); }

std::vector<json> voice_definitions() {
    std::vector<json> out;
    for (const auto& name : voice_tools())
        for (const auto& d : tools::definitions())
            if (d.wire.at("name") == name) out.push_back(d.wire);
    return out;
}

TEST(VoiceExport, EveryVoiceToolIsInTheCatalog) {
    EXPECT_EQ(voice_definitions().size(), voice_tools().size());
}

TEST(VoiceExport, VapiFunctionTools) {
    json tools = voice::export_tools({"vapi", "https://ghl.example.com/", "cred_123", std::chrono::milliseconds(2500)},
                                     voice_definitions());
    ASSERT_EQ(tools.size(), voice_tools().size());
    const std::regex vapi_name("^[a-zA-Z0-9_-]{1,64}$");  // OpenAIFunction.name
    for (const auto& t : tools) {
        SCOPED_TRACE(t.dump());
        EXPECT_EQ(t["type"], "function");
        const std::string name = t["function"]["name"];
        EXPECT_TRUE(std::regex_match(name, vapi_name));
        EXPECT_EQ(t["function"]["parameters"]["type"], "object");
        EXPECT_TRUE(t["function"]["parameters"]["properties"].is_object());
        EXPECT_FALSE(t["function"]["parameters"]["properties"].contains("locationId"));
        EXPECT_EQ(t["server"]["url"], "https://ghl.example.com/voice/vapi");
        EXPECT_EQ(t["server"]["credentialId"], "cred_123");
        const int timeout = t["server"]["timeoutSeconds"];
        EXPECT_GT(timeout, 3) << "above our 2.5 s budget";
        EXPECT_LE(timeout, 300);
        EXPECT_EQ(t["messages"][0]["type"], "request-start");
    }
    EXPECT_EQ(tools[2]["function"]["parameters"]["required"], (json{"calendarId", "contactId", "startTime"}));
}

TEST(VoiceExport, RetellCustomFunctions) {
    json tools = voice::export_tools({"retell", "http://127.0.0.1:8787", "", std::chrono::milliseconds(2500)},
                                     voice_definitions());
    ASSERT_EQ(tools.size(), voice_tools().size());
    for (const auto& t : tools) {
        EXPECT_EQ(t["type"], "custom");
        EXPECT_EQ(t["url"], "http://127.0.0.1:8787/voice/retell");
        EXPECT_EQ(t["method"], "POST");
        EXPECT_LE(t["name"].get<std::string>().size(), 64u);
        EXPECT_GE(t["timeout_ms"].get<int>(), 1000);  // Retell's minimum
        EXPECT_FALSE(t["parameters"]["properties"].contains("locationId"));
    }
}

TEST(VoiceExport, RejectsUnknownPlatformsAndUrls) {
    EXPECT_THROW(voice::export_tools({"bland", "https://x", "", {}}, voice_definitions()), std::invalid_argument);
    EXPECT_THROW(voice::export_tools({"vapi", "ghl.example.com", "", {}}, voice_definitions()), std::invalid_argument);
}

TEST(VoiceExport, TheCliPrintsJsonOnStdout) {
    std::string cmd = std::string(GHL_MCP_BINARY) + " voice export --platform retell --url https://h.example 2>/dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    EXPECT_EQ(::pclose(p), 0);
    json tools = json::parse(out, nullptr, false);
    ASSERT_TRUE(tools.is_array()) << out;
    EXPECT_EQ(tools.size(), voice_tools().size());
    EXPECT_EQ(tools[0]["url"], "https://h.example/voice/retell");
}

}  // namespace
