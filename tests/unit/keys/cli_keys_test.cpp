// `ghl-mcp keys create|list|revoke` and the non-loopback refusal, run as the real binary.
#include "app/keys.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <fstream>
#include <cstdio>

namespace {

using keys_test::TempDir;

using keys_test::Exec;

/// Runs ghl-mcp with `args` (shell words) and GHL_MCP_API_KEYS_FILE=`keys_file`; `merge` adds
/// stderr to the captured output.
Exec ghl_mcp(const std::string& keys_file, const std::string& args, bool merge = false) {
    std::string cmd = "env -u GHL_MCP_API_KEY";
    if (!keys_file.empty()) cmd += " GHL_MCP_API_KEYS_FILE='" + keys_file + "'";
    else cmd += " -u GHL_MCP_API_KEYS_FILE";
    cmd += std::string(" '") + GHL_MCP_BINARY + "' " + args + (merge ? " 2>&1" : " 2>/dev/null");
    return keys_test::run_command(cmd);
}

TEST(KeysCli, CreatePrintsTheKeyOnceListShowsScopesRevokeWorks) {
    TempDir dir;
    const std::string db = dir.file("keys.db");
    Exec created = ghl_mcp(db, "keys create frontdesk --locations loc1,loc2 --toolsets contacts,calendars --read-only");
    ASSERT_EQ(created.status, 0) << created.out;
    ASSERT_FALSE(created.out.empty());
    ASSERT_EQ(created.out.back(), '\n');
    const std::string key = created.out.substr(0, created.out.size() - 1);
    EXPECT_EQ(key.rfind("ghlmcp_", 0), 0u) << "stdout is the key alone: " << created.out;
    EXPECT_EQ(key.find('\n'), std::string::npos);

    app::KeyCheck c = app::KeyStore(db, false).check(key);
    ASSERT_EQ(c.status, app::KeyCheck::Status::kValid);
    EXPECT_EQ(c.principal.locations, (std::vector<std::string>{"loc1", "loc2"}));
    EXPECT_EQ(c.principal.toolsets, (std::vector<std::string>{"contacts", "calendars"}));
    EXPECT_TRUE(c.principal.read_only);

    Exec listed = ghl_mcp(db, "keys list", true);
    ASSERT_EQ(listed.status, 0) << listed.out;
    for (const char* part : {"frontdesk", "loc1,loc2", "contacts,calendars", "read-only", "created:"})
        EXPECT_NE(listed.out.find(part), std::string::npos) << part << " in " << listed.out;
    EXPECT_EQ(listed.out.find(key), std::string::npos) << "list must never show a key";
    EXPECT_EQ(listed.out.find(key.substr(7, 12)), std::string::npos);

    EXPECT_NE(ghl_mcp(db, "keys create frontdesk", true).status, 0) << "names are unique";

    Exec revoked = ghl_mcp(db, "keys revoke frontdesk", true);
    EXPECT_EQ(revoked.status, 0) << revoked.out;
    EXPECT_NE(ghl_mcp(db, "keys list").out.find("[revoked "), std::string::npos);
    EXPECT_EQ(ghl_mcp(db, "keys revoke frontdesk", true).status, 1) << "already revoked";
    EXPECT_EQ(app::KeyStore(db, false).check(key).status, app::KeyCheck::Status::kRevoked);
}

TEST(KeysCli, UnknownToolsetIsAnErrorListingTheValidOnes) {
    TempDir dir;
    Exec r = ghl_mcp(dir.file("keys.db"), "keys create k --toolsets contacts,crm", true);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.out.find("unknown toolset \"crm\""), std::string::npos) << r.out;
    for (const auto& t : {"contacts", "calendars", "opportunities", "payments"})
        EXPECT_NE(r.out.find(t), std::string::npos) << t << " missing from: " << r.out;
    EXPECT_FALSE(std::ifstream(dir.file("keys.db")).good()) << "nothing is created for a refused key";
}

TEST(KeysCli, NeedsAKeysFile) {
    Exec r = ghl_mcp("", "keys list", true);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.out.find("GHL_MCP_API_KEYS_FILE"), std::string::npos) << r.out;
}

TEST(KeysCli, NonLoopbackBindWithoutAnyKeyRefusesToStart) {
    Exec r = ghl_mcp("", "--sandbox serve --http 0.0.0.0:0", true);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.out.find("Refusing to listen on 0.0.0.0"), std::string::npos) << r.out;
    // A keys file that does not exist is not "keys configured": start-up fails instead of serving.
    TempDir dir;
    Exec missing = ghl_mcp(dir.file("nope.db"), "--sandbox serve --http 0.0.0.0:0", true);
    EXPECT_EQ(missing.status, 1);
    EXPECT_NE(missing.out.find("cannot use the API keys file"), std::string::npos) << missing.out;
}

}  // namespace
