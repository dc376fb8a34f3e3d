// The audit log store: rows round-trip, the file is private and in WAL mode, concurrent writers
// lose nothing, and the default path sits next to the keys file.
#include "app/audit.hpp"
#include "app/config.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <optional>
#include <thread>
#include <vector>

namespace {

using keys_test::TempDir;

TEST(AuditLog, RecordsRowsNewestFirst) {
    TempDir dir;
    app::AuditLog log(dir.file("audit.db"));
    log.record({"", "frontdesk", "find_contact", "loc1", "ok", 12});
    log.record({"", "frontdesk", "create_contact", "loc2", "refused", 0});
    auto rows = log.recent(10);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].tool, "create_contact");
    EXPECT_EQ(rows[0].outcome, "refused");
    EXPECT_EQ(rows[0].location, "loc2");
    EXPECT_EQ(rows[1].caller, "frontdesk");
    EXPECT_EQ(rows[1].tool, "find_contact");
    EXPECT_EQ(rows[1].outcome, "ok");
    EXPECT_EQ(rows[1].latency_ms, 12);
    EXPECT_EQ(rows[1].time.size(), 24u) << "ISO 8601 with milliseconds: " << rows[1].time;
    EXPECT_EQ(log.recent(1).size(), 1u);

    struct stat st {};
    ASSERT_EQ(::stat(log.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_TRUE(std::ifstream(log.path() + "-wal").good()) << "WAL mode keeps writers off readers' backs";
}

TEST(AuditLog, ConcurrentWritersLoseNothing) {
    TempDir dir;
    app::AuditLog log(dir.file("audit.db"));
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&log, t] {
            for (int i = 0; i < 50; ++i) log.record({"", "k" + std::to_string(t), "tool", "loc", "ok", i});
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(log.recent(1000).size(), 400u);
}

TEST(AuditLog, ReopensAnExistingLog) {
    TempDir dir;
    { app::AuditLog(dir.file("a.db")).record({"", "stdio", "get_server_status", "loc", "ok", 1}); }
    app::AuditLog again(dir.file("a.db"));
    again.record({"", "stdio", "get_server_status", "loc", "ok", 2});
    EXPECT_EQ(again.recent(10).size(), 2u);
}

int64_t calls_of(const std::vector<app::AuditEntry>& rows, const std::string& caller) {
    int64_t n = 0;
    for (const auto& r : rows)
        if (r.caller == caller) n += r.count;
    return n;
}

TEST(AuditLog, AFloodOfRefusedCallsIsCountedNotWrittenRowByRow) {
    // Before: one row per refused call (~40 GB a day from one client).
    TempDir dir;
    app::AuditLog log(dir.file("audit.db"));
    for (int i = 0; i < 5000; ++i) log.record({"", "flood", "create_contact", "other-loc", "refused", 0});
    auto rows = log.recent(100);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].count, 5000);
    EXPECT_EQ(rows[0].tool, "create_contact");
    EXPECT_EQ(rows[0].location, "other-loc");
    EXPECT_FALSE(rows[0].last_time.empty());

    // Made-up tool names and sub-accounts: at most 20 rows a minute, then one "*" row per outcome.
    for (int i = 0; i < 3000; ++i) {
        log.record({"", "flood", "tool-" + std::to_string(i), "loc-" + std::to_string(i), "unknown_tool", 0});
        log.record({"", "flood", "search_contacts", "loc-" + std::to_string(i), "invalid_arguments", 0});
    }
    rows = log.recent(1000);
    EXPECT_LE(rows.size(), 1u + 20u + 2u) << "a handful of rows, whatever the flood";
    EXPECT_EQ(calls_of(rows, "flood"), 5000 + 6000) << "every refusal is still counted";
    bool star = false;
    for (const auto& r : rows) star = star || (r.tool == "*" && r.location == "*");
    EXPECT_TRUE(star);

    // Another key's refusals have rows of their own; calls that ran are one row each.
    log.record({"", "frontdesk", "create_contact", "loc2", "refused", 0});
    log.record({"", "frontdesk", "find_contact", "loc1", "ok", 5});
    log.record({"", "frontdesk", "find_contact", "loc1", "ok", 6});
    rows = log.recent(3);
    EXPECT_EQ(rows[0].outcome, "ok");
    EXPECT_EQ(rows[1].outcome, "ok");
    EXPECT_EQ(rows[2].caller, "frontdesk");
    EXPECT_EQ(rows[2].count, 1);
}

TEST(AuditLog, ARefusalWindowClosesAndOpensNewRows) {
    TempDir dir;
    app::AuditRetention r;
    r.refusal_window = std::chrono::seconds(0);  // every refusal opens a new window
    app::AuditLog log(dir.file("audit.db"), r);
    log.record({"", "k", "t", "l", "refused", 0});
    log.record({"", "k", "t", "l", "refused", 0});
    EXPECT_EQ(log.recent(10).size(), 2u);
}

TEST(AuditLog, RetentionRemovesOldRowsAndTheOldestPastTheRowCap) {
    // Before: no retention at all.
    TempDir dir;
    app::AuditRetention r;
    r.max_rows = 2500;  // more than one prune batch
    r.max_age = std::chrono::hours(24);
    app::AuditLog log(dir.file("audit.db"), r);
    for (int i = 0; i < 10; ++i) log.record({"2000-01-01T00:00:00.000Z", "k", "old", "l", "ok", 0});
    for (int i = 0; i < 3000; ++i) log.record({"", "k", "new-" + std::to_string(i), "l", "ok", 0});
    log.prune();  // the thread's own first prune may have done part of it already
    auto rows = log.recent(10000);
    ASSERT_EQ(rows.size(), 2500u);
    EXPECT_EQ(rows.front().tool, "new-2999");
    EXPECT_EQ(rows.back().tool, "new-500") << "the oldest went first";
    EXPECT_EQ(log.prune(), 0u);
}

TEST(AuditLog, APrunedRefusalRowIsReopened) {
    TempDir dir;
    app::AuditRetention r;
    r.max_rows = 0;
    app::AuditLog log(dir.file("audit.db"), r);
    log.record({"", "k", "t", "l", "refused", 0});
    log.prune();
    log.record({"", "k", "t", "l", "refused", 0});
    auto rows = log.recent(10);
    ASSERT_EQ(rows.size(), 1u) << "counted on a new row, not lost";
    EXPECT_EQ(rows[0].count, 1);
}

TEST(AuditLog, OpensALogWrittenBeforeRefusalsWereCounted) {
    TempDir dir;
    const std::string path = dir.file("old.db");
    {
        app::sqlite::Database db(path, true);
        db.exec(
            "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, time TEXT NOT NULL, caller TEXT NOT NULL,"
            " tool TEXT NOT NULL, location TEXT NOT NULL, outcome TEXT NOT NULL, latency_ms INTEGER "
            "NOT NULL);"
            "INSERT INTO audit_log (time, caller, tool, location, outcome, latency_ms) VALUES "
            "('2026-01-01T00:00:00.000Z', 'k', 't', 'l', 'refused', 0);");
    }
    app::AuditLog log(path);
    log.record({"", "k", "t", "l", "refused", 0});
    auto rows = log.recent(10);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1].count, 1) << "an old row is one call";
    EXPECT_EQ(rows[1].tool, "t");
}

TEST(AuditConfig, RetentionFromTheEnvironmentWithClearErrors) {
    auto env_of = [](std::map<std::string, std::string> vars) -> app::EnvLookup {
        return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
            auto it = vars.find(name);
            return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
    };
    app::Config c;
    EXPECT_EQ(c.audit_max_age, std::chrono::hours(24 * 90));
    EXPECT_EQ(c.audit_max_rows, 1'000'000u);
    app::apply_environment(c, env_of({{"GHL_MCP_AUDIT_MAX_AGE_DAYS", "30"}, {"GHL_MCP_AUDIT_MAX_ROWS", "5000"}}));
    EXPECT_EQ(c.audit_max_age, std::chrono::hours(24 * 30));
    EXPECT_EQ(c.audit_max_rows, 5000u);
    for (const auto& [name, bad] : std::vector<std::pair<std::string, std::string>>{
             {"GHL_MCP_AUDIT_MAX_AGE_DAYS", "0"}, {"GHL_MCP_AUDIT_MAX_AGE_DAYS", "forever"},
             {"GHL_MCP_AUDIT_MAX_ROWS", "10"}}) {
        app::Config bad_config;
        try {
            app::apply_environment(bad_config, env_of({{name, bad}}));
            ADD_FAILURE() << "accepted " << name << "=" << bad;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
    }
}

TEST(AuditLog, DefaultPathIsNextToTheKeysFile) {
    EXPECT_EQ(app::default_audit_path("/etc/ghl/keys.db"), "/etc/ghl/keys-audit.db");
    EXPECT_EQ(app::default_audit_path("keys.sqlite"), "keys-audit.sqlite");
    EXPECT_EQ(app::default_audit_path("/var/lib/ghl/keys"), "/var/lib/ghl/keys-audit");
}

}  // namespace
