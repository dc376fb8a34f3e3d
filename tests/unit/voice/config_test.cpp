// The voice settings come from the environment (secrets never from flags).
#include "app/config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace {

app::EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

TEST(VoiceConfig, SecretsAndBudgetFromTheEnvironment) {
    app::Config c;
    EXPECT_EQ(c.voice_budget, std::chrono::milliseconds(2500));
    EXPECT_FALSE(c.has_voice_secrets());
    app::apply_environment(c, env_of({{"GHL_MCP_VAPI_SECRET", " vs \n"},
                                      {"GHL_MCP_VAPI_HMAC_SECRET", "vh"},
                                      {"GHL_MCP_RETELL_API_KEY", "rk"},
                                      {"GHL_MCP_VOICE_BUDGET", "1.25"}}));
    EXPECT_EQ(c.vapi_secret, "vs");
    EXPECT_EQ(c.vapi_hmac_secret, "vh");
    EXPECT_EQ(c.retell_api_key, "rk");
    EXPECT_EQ(c.voice_budget, std::chrono::milliseconds(1250));
    EXPECT_TRUE(c.has_voice_secrets());
}

TEST(VoiceConfig, ABadBudgetIsAnErrorNamingTheVariable) {
    for (const char* bad : {"fast", "0", "61", "2s", "1.5.2"}) {
        app::Config c;
        try {
            app::apply_environment(c, env_of({{"GHL_MCP_VOICE_BUDGET", bad}}));
            ADD_FAILURE() << "accepted " << bad;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("GHL_MCP_VOICE_BUDGET"), std::string::npos);
        }
    }
    app::Config unset;
    app::apply_environment(unset, env_of({{"GHL_MCP_VOICE_BUDGET", " "}}));
    EXPECT_EQ(unset.voice_budget, std::chrono::milliseconds(2500)) << "empty means unset";
}

TEST(VoiceConfig, RetryWindowAndCallCapFromTheEnvironment) {
    app::Config c;
    EXPECT_EQ(c.voice_retry_window, std::chrono::milliseconds(10000));
    EXPECT_EQ(c.voice_max_calls, 10u);
    app::apply_environment(c, env_of({{"GHL_MCP_VOICE_RETRY_WINDOW", "2.5"}, {"GHL_MCP_VOICE_MAX_CALLS", "3"}}));
    EXPECT_EQ(c.voice_retry_window, std::chrono::milliseconds(2500));
    EXPECT_EQ(c.voice_max_calls, 3u);
    const std::vector<std::pair<const char*, const char*>> bad = {
        {"GHL_MCP_VOICE_RETRY_WINDOW", "61"}, {"GHL_MCP_VOICE_RETRY_WINDOW", "soon"},
        {"GHL_MCP_VOICE_MAX_CALLS", "0"},     {"GHL_MCP_VOICE_MAX_CALLS", "2.5"},
        {"GHL_MCP_VOICE_MAX_CALLS", "1000"}};
    for (const auto& [name, value] : bad) {
        app::Config d;
        try {
            app::apply_environment(d, env_of({{name, value}}));
            ADD_FAILURE() << name << " accepted " << value;
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find(name), std::string::npos) << what;
            EXPECT_NE(what.find(std::string("\"") + value + "\""), std::string::npos) << what;
        }
    }
}

}  // namespace
