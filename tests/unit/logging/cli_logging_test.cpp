// --log-level and --log-format (and GHL_MCP_LOG_LEVEL / GHL_MCP_LOG_FORMAT) on the real binary:
// JSON lines on stderr that tie a tool call to its GHL requests, nothing but results on stdout.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;

struct Exec {
    int status = -1;
    std::string out, err;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Runs `env ... ghl-mcp ARGS` (shell words) with `stdin_text` on stdin; stdout and stderr apart.
Exec ghl_mcp(const std::string& args, const std::string& env = "",
             const std::string& stdin_text = "") {
    char dir_template[] = "/tmp/ghl-logging-test-XXXXXX";
    const std::string dir = ::mkdtemp(dir_template);
    const std::string in = dir + "/in", out = dir + "/out", err = dir + "/err";
    std::ofstream(in) << stdin_text;
    // No credentials, stores or log settings from the developer's environment.
    const std::string cmd =
        "env -u GHL_MCP_LOG_LEVEL -u GHL_MCP_LOG_FORMAT -u GHL_PRIVATE_INTEGRATION_TOKEN "
        "-u GHL_MCP_API_KEYS_FILE -u GHL_MCP_AUDIT_DB GHL_MCP_TOKEN_STORE=" +
        dir + "/tokens.db " + env + " '" + GHL_MCP_BINARY + "' " + args + " <" + in + " >" + out +
        " 2>" + err;
    Exec r;
    const int st = std::system(cmd.c_str());
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = read_file(out);
    r.err = read_file(err);
    std::filesystem::remove_all(dir);
    return r;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> v;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) v.push_back(l);
    return v;
}

/// Every stderr line parsed; fails the test on a line that is not a JSON object.
std::vector<json> json_lines(const std::string& err) {
    std::vector<json> v;
    for (const auto& l : lines_of(err)) {
        json j = json::parse(l, nullptr, false);
        EXPECT_TRUE(j.is_object() && j.contains("ts") && j.contains("level") && j.contains("msg"))
            << "not a JSON log line: " << l;
        v.push_back(std::move(j));
    }
    return v;
}

std::string first_calendar_id() {
    Exec r = ghl_mcp("--sandbox --log-level off call list_calendars '{}'");
    EXPECT_EQ(r.status, 0) << r.err;
    json out = json::parse(r.out, nullptr, false);
    if (!out.is_object() || !out.contains("calendars") || out["calendars"].empty())
        return "unknown";
    return out["calendars"][0]["id"];
}

TEST(LoggingCli, InvalidLevelOrFormatIsAUsageErrorNamingTheChoices) {
    Exec level = ghl_mcp("--log-level verbose tools");
    EXPECT_EQ(level.status, 2) << level.err;
    EXPECT_NE(level.err.find("--log-level"), std::string::npos) << level.err;
    EXPECT_NE(level.err.find("trace,debug,info,warn,error,critical,off"), std::string::npos)
        << level.err;
    EXPECT_TRUE(level.out.empty());

    Exec format = ghl_mcp("--log-format xml tools");
    EXPECT_EQ(format.status, 2) << format.err;
    EXPECT_NE(format.err.find("--log-format"), std::string::npos) << format.err;
    EXPECT_NE(format.err.find("text,json"), std::string::npos) << format.err;

    Exec env_level = ghl_mcp("tools", "GHL_MCP_LOG_LEVEL=loud");
    EXPECT_EQ(env_level.status, 2) << env_level.err;
    EXPECT_NE(env_level.err.find("GHL_MCP_LOG_LEVEL must be one of trace, debug, info"),
              std::string::npos)
        << env_level.err;
    EXPECT_NE(env_level.err.find("\"loud\""), std::string::npos) << env_level.err;

    Exec env_format = ghl_mcp("tools", "GHL_MCP_LOG_FORMAT=yaml");
    EXPECT_EQ(env_format.status, 2) << env_format.err;
    EXPECT_NE(env_format.err.find("GHL_MCP_LOG_FORMAT must be text or json"), std::string::npos)
        << env_format.err;

    EXPECT_EQ(ghl_mcp("--no-such-flag tools").status, 2) << "every usage error exits 2";
    EXPECT_EQ(ghl_mcp("--version").status, 0);
}

TEST(LoggingCli, HelpShowsBothOptions) {
    Exec help = ghl_mcp("--help");
    EXPECT_EQ(help.status, 0);
    for (const char* part :
         {"--log-level", "--log-format", "GHL_MCP_LOG_LEVEL", "GHL_MCP_LOG_FORMAT", "json"})
        EXPECT_NE(help.out.find(part), std::string::npos) << part << " missing from --help:\n"
                                                          << help.out;
}

TEST(LoggingCli, JsonLinesTieAToolCallToItsGhlRequests) {
    const std::string calendar = first_calendar_id();
    const std::string args =
        R"('{"calendarId":")" + calendar + R"(","startDate":"2026-12-08","endDate":"2026-12-10"}')";
    Exec r = ghl_mcp("--sandbox --log-level debug --log-format json call get_free_slots " + args);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    // stdout: the result alone.
    json result = json::parse(r.out, nullptr, false);
    ASSERT_FALSE(result.is_discarded()) << "stdout is not one JSON document:\n" << r.out;

    std::string finished_id;
    std::vector<json> ghl_lines;
    for (const json& j : json_lines(r.err)) {
        const std::string msg = j["msg"];
        if (msg.rfind("tool get_free_slots [", 0) == 0) {
            EXPECT_EQ(j["level"], "info") << j.dump();
            EXPECT_NE(msg.find("] ok in "), std::string::npos) << msg;
            EXPECT_EQ(msg.find(calendar), std::string::npos) << "no argument values: " << msg;
            ASSERT_TRUE(j.contains("request_id")) << j.dump();
            EXPECT_EQ(j["tool"], "get_free_slots");
            finished_id = j["request_id"];
        } else if (msg.rfind("ghl ", 0) == 0) {
            ghl_lines.push_back(j);
        }
    }
    ASSERT_EQ(finished_id.size(), 16u) << r.err;
    ASSERT_FALSE(ghl_lines.empty()) << "no GHL request was logged at debug:\n" << r.err;
    for (const json& j : ghl_lines) {
        EXPECT_EQ(j.value("request_id", ""), finished_id) << j.dump();
        EXPECT_EQ(j.value("tool", ""), "get_free_slots") << j.dump();
        EXPECT_NE(j["msg"].get<std::string>().find("[" + finished_id + "]"), std::string::npos)
            << "the GHL client got the call id as its request id: " << j.dump();
    }
}

TEST(LoggingCli, StdioServerKeepsStdoutForProtocolAndGivesEachCallItsOwnId) {
    const std::string requests =
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})"
        "\n"
        R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
        "\n"
        R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_calendars","arguments":{}}})"
        "\n"
        R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_calendars","arguments":{}}})"
        "\n";
    Exec r = ghl_mcp("serve --stdio --sandbox", "GHL_MCP_LOG_FORMAT=json GHL_MCP_LOG_LEVEL=debug",
                     requests);
    ASSERT_EQ(r.status, 0) << r.err;
    std::set<json> answered;
    for (const auto& l : lines_of(r.out)) {
        json m = json::parse(l, nullptr, false);
        ASSERT_TRUE(m.is_object() && m.value("jsonrpc", "") == "2.0")
            << "not a protocol message on stdout: " << l;
        if (m.contains("id")) answered.insert(m["id"]);
    }
    EXPECT_EQ(answered, (std::set<json>{1, 2, 3}));

    std::map<std::string, int> ghl_per_id, finished_per_id;
    std::set<std::string> sessions;
    for (const json& j : json_lines(r.err)) {
        if (!j.contains("request_id")) continue;
        const std::string msg = j["msg"];
        if (msg.rfind("ghl ", 0) == 0) ++ghl_per_id[j["request_id"]];
        if (msg.rfind("tool list_calendars [", 0) == 0) ++finished_per_id[j["request_id"]];
        sessions.insert(j.value("session", ""));
    }
    ASSERT_EQ(finished_per_id.size(), 2u)
        << "two calls, two ids (JSON-RPC ids 2 and 3 are not used):\n"
        << r.err;
    for (const auto& [id, n] : finished_per_id) {
        EXPECT_EQ(n, 1) << id;
        EXPECT_GE(ghl_per_id[id], 1) << "GHL lines of call " << id;
    }
    ASSERT_EQ(sessions.size(), 1u) << r.err;
    EXPECT_EQ(sessions.begin()->size(), 12u) << "a session tag: " << *sessions.begin();
}

TEST(LoggingCli, HttpServerWritesOnlyJsonLinesToStderr) {
    // Stopped with SIGINT after a moment; the banner is a log line too.
    Exec r = ghl_mcp("serve --http 127.0.0.1:0 --sandbox --log-format json",
                     "timeout --preserve-status -s INT 3");
    EXPECT_EQ(r.status, 0) << r.err;
    bool banner = false;
    for (const json& j : json_lines(r.err))
        banner |=
            j["msg"].get<std::string>().find("listening on http://127.0.0.1:") != std::string::npos;
    EXPECT_TRUE(banner) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(LoggingCli, TheBannerAdvertisesWebhooksOnlyWhenTheyAreServed) {
    // Without an event store POST /webhooks/ghl answers 404, which GHL does not retry: the
    // banner must not hand out that URL (issue 18).
    Exec off = ghl_mcp("serve --http 127.0.0.1:0 --sandbox",
                       "GHL_MCP_EVENTS_DB=off timeout --preserve-status -s INT 3");
    EXPECT_EQ(off.status, 0) << off.err;
    EXPECT_NE(off.err.find("listening on http://127.0.0.1:"), std::string::npos) << off.err;
    EXPECT_EQ(off.err.find("/webhooks/ghl"), std::string::npos) << off.err;
    EXPECT_NE(off.err.find("GHL webhooks:                    off"), std::string::npos) << off.err;
    Exec on = ghl_mcp("serve --http 127.0.0.1:0 --sandbox", "timeout --preserve-status -s INT 3");
    EXPECT_NE(on.err.find("/webhooks/ghl"), std::string::npos) << on.err;
}

TEST(LoggingCli, FlagsWinOverTheEnvironmentAndTextIsTheDefault) {
    Exec text = ghl_mcp("--sandbox call list_calendars '{}'");
    ASSERT_EQ(text.status, 0) << text.err;
    ASSERT_FALSE(lines_of(text.err).empty());
    for (const auto& l : lines_of(text.err)) EXPECT_NE(l.front(), '{') << "text by default: " << l;
    EXPECT_NE(text.err.find(" info tool list_calendars ["), std::string::npos) << text.err;

    Exec flag = ghl_mcp("--sandbox --log-format text --log-level warn call list_calendars '{}'",
                        "GHL_MCP_LOG_FORMAT=json GHL_MCP_LOG_LEVEL=debug");
    ASSERT_EQ(flag.status, 0) << flag.err;
    for (const auto& l : lines_of(flag.err)) EXPECT_NE(l.front(), '{') << l;
    EXPECT_EQ(flag.err.find("tool list_calendars"), std::string::npos) << "info is below warn:\n"
                                                                       << flag.err;

    Exec off = ghl_mcp("--sandbox call list_calendars '{}'", "GHL_MCP_LOG_LEVEL=off");
    ASSERT_EQ(off.status, 0);
    EXPECT_TRUE(off.err.empty()) << off.err;
}

}  // namespace
