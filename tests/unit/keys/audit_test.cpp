// The audit log store: rows round-trip, the file is private and in WAL mode, concurrent writers
// lose nothing, and the default path sits next to the keys file.
#include "app/audit.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
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

TEST(AuditLog, DefaultPathIsNextToTheKeysFile) {
    EXPECT_EQ(app::default_audit_path("/etc/ghl/keys.db"), "/etc/ghl/keys-audit.db");
    EXPECT_EQ(app::default_audit_path("keys.sqlite"), "keys-audit.sqlite");
    EXPECT_EQ(app::default_audit_path("/var/lib/ghl/keys"), "/var/lib/ghl/keys-audit");
}

}  // namespace
