// The text and JSON log formatters, and the tool-call log context (mcp::LogScope) they read.
#include "app/logging.hpp"
#include "mcp/log_context.hpp"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace {

using json = nlohmann::json;

/// A logger writing into a string with the formatter of `format`.
struct Capture {
    explicit Capture(app::LogFormat format)
        : sink(std::make_shared<spdlog::sinks::ostream_sink_st>(out)), logger("test", sink) {
        logger.set_formatter(app::make_log_formatter(format));
        logger.set_level(spdlog::level::trace);
    }
    std::vector<std::string> lines() const {
        std::vector<std::string> v;
        std::istringstream in(out.str());
        for (std::string l; std::getline(in, l);) v.push_back(l);
        return v;
    }
    std::ostringstream out;
    std::shared_ptr<spdlog::sinks::ostream_sink_st> sink;
    spdlog::logger logger;
};

TEST(JsonFormatter, OneValidObjectPerLineWithUtcTimestampAndLevel) {
    Capture c(app::LogFormat::kJson);
    c.logger.info("plain");
    c.logger.warn("quotes \" backslash \\ tab \t newline \n control \x01 done");
    c.logger.error("not UTF-8: \xff\xfe end");
    c.logger.debug("{}", "{\"nested\":true}");
    c.logger.trace("t");
    c.logger.critical("c");
    const auto lines = c.lines();
    ASSERT_EQ(lines.size(), 6u) << c.out.str();  // the newline inside a message stays escaped
    const std::regex utc(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
    const std::vector<std::string> levels = {"info", "warn", "error", "debug", "trace", "critical"};
    for (std::size_t i = 0; i < lines.size(); ++i) {
        json j = json::parse(lines[i]);  // throws (fails the test) on invalid JSON
        ASSERT_TRUE(j.is_object());
        EXPECT_TRUE(std::regex_match(j.at("ts").get<std::string>(), utc)) << j.dump();
        EXPECT_EQ(j.at("level"), levels[i]);
        EXPECT_FALSE(j.contains("request_id")) << "no tool call is running: " << j.dump();
        EXPECT_FALSE(j.contains("tool"));
        EXPECT_FALSE(j.contains("session"));
    }
    EXPECT_EQ(json::parse(lines[0])["msg"], "plain");
    EXPECT_EQ(json::parse(lines[1])["msg"],
              "quotes \" backslash \\ tab \t newline \n control \x01 done");
    EXPECT_EQ(json::parse(lines[3])["msg"], "{\"nested\":true}");
    EXPECT_NE(json::parse(lines[2])["msg"].get<std::string>().find("end"), std::string::npos);
    // ts, level, msg come first, in that order (readable with grep and less).
    EXPECT_EQ(lines[0].rfind("{\"ts\":\"", 0), 0u) << lines[0];
    EXPECT_LT(lines[0].find("\"level\""), lines[0].find("\"msg\""));
}

TEST(JsonFormatter, AddsTheToolCallContextWhileAScopeIsActive) {
    Capture c(app::LogFormat::kJson);
    c.logger.info("before");
    {
        mcp::LogScope outer({"00112233aabbccdd", "get_free_slots", "8af5043005e2"});
        c.logger.debug(
            "ghl calendars.free_slots [00112233aabbccdd] GET /calendars/x/free-slots -> 200");
        {
            mcp::LogScope inner({"ffeeddccbbaa9988", "search_contacts", ""});
            c.logger.info("inner");
        }
        c.logger.info("outer again");
        std::thread([&] { c.logger.info("other thread"); }).join();
    }
    c.logger.info("after");
    const auto lines = c.lines();
    ASSERT_EQ(lines.size(), 6u);
    std::vector<json> j;
    for (const auto& l : lines) j.push_back(json::parse(l));
    EXPECT_FALSE(j[0].contains("request_id"));
    EXPECT_EQ(j[1]["request_id"], "00112233aabbccdd");
    EXPECT_EQ(j[1]["tool"], "get_free_slots");
    EXPECT_EQ(j[1]["session"], "8af5043005e2");
    EXPECT_EQ(j[2]["request_id"], "ffeeddccbbaa9988");
    EXPECT_EQ(j[2]["tool"], "search_contacts");
    EXPECT_FALSE(j[2].contains("session")) << "absent, not empty, when unknown";
    EXPECT_EQ(j[3]["request_id"], "00112233aabbccdd") << "the outer scope is restored";
    EXPECT_FALSE(j[4].contains("request_id")) << "the context is per thread";
    EXPECT_FALSE(j[5].contains("request_id"));
}

TEST(JsonFormatter, RedactsTheMessage) {
    Capture c(app::LogFormat::kJson);
    c.logger.info("refresh for ann@example.com with {}",
                  "{\"refresh_token\":\"rt-secret-1\"} +15551234567");
    const json j = json::parse(c.lines().at(0));
    EXPECT_EQ(j["msg"], "refresh for [email] with {\"refresh_token\":\"[redacted]\"} [phone]");
    EXPECT_EQ(c.out.str().find("rt-secret-1"), std::string::npos);
}

TEST(TextFormatter, KeepsTheHumanPatternAndRedacts) {
    Capture c(app::LogFormat::kText);
    c.logger.warn("token pit-00000000-0000-0000-0000-000000000000 for bob@example.org rejected");
    const auto lines = c.lines();
    ASSERT_EQ(lines.size(), 1u);
    const std::regex text(
        R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} warning token \[redacted\] for \[email\] rejected)");
    EXPECT_TRUE(std::regex_match(lines[0], text)) << lines[0];
}

TEST(LogFormat, ParsesOnlyKnownNames) {
    EXPECT_EQ(app::parse_log_format("text"), app::LogFormat::kText);
    EXPECT_EQ(app::parse_log_format("json"), app::LogFormat::kJson);
    EXPECT_FALSE(app::parse_log_format("JSON"));
    EXPECT_FALSE(app::parse_log_format(""));
    EXPECT_FALSE(app::parse_log_format("xml"));
    for (const char* l : {"trace", "debug", "info", "warn", "error", "critical", "off"})
        EXPECT_TRUE(app::is_log_level(l));
    for (const char* l : {"", "warning", "Info", "verbose", "inf"})
        EXPECT_FALSE(app::is_log_level(l)) << l;
}

TEST(CallIds, SixteenHexCharactersAndUnique) {
    std::set<std::string> seen;
    const std::regex hex("[0-9a-f]{16}");
    for (int i = 0; i < 10000; ++i) {
        std::string id = mcp::new_call_id();
        ASSERT_TRUE(std::regex_match(id, hex)) << id;
        ASSERT_TRUE(seen.insert(id).second) << "repeated: " << id;
    }
}

TEST(SessionTags, StableShortAndNotTheId) {
    const std::string id = "0123456789abcdef0123456789abcdef";
    const std::string tag = mcp::session_log_tag(id);
    EXPECT_EQ(tag.size(), 12u);
    EXPECT_EQ(tag, mcp::session_log_tag(id));
    EXPECT_NE(tag, mcp::session_log_tag("0123456789abcdef0123456789abcdee"));
    EXPECT_EQ(id.find(tag), std::string::npos);
    EXPECT_EQ(mcp::session_log_tag(""), "");
}

}  // namespace
