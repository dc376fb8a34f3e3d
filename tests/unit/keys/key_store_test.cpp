// The API key store: create/list/revoke, hash-only storage (the key never touches the disk),
// file mode 0600, name rules, and the scope rules of a Principal.
#include "app/keys.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <set>

namespace {

using app::KeyCheck;
using app::KeyStore;
using keys_test::database_bytes;
using keys_test::TempDir;

mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
}

TEST(KeyStore, CreateListRevoke) {
    TempDir dir;
    KeyStore store(dir.file("keys.db"), /*create=*/true);
    store.create("frontdesk", {"locA"}, {"contacts", "calendars"}, true);
    store.create("agency", {}, {}, false);
    EXPECT_EQ(store.active_count(), 2u);

    auto keys = store.list();
    ASSERT_EQ(keys.size(), 2u);
    std::set<std::string> names{keys[0].scope.name, keys[1].scope.name};
    EXPECT_EQ(names, (std::set<std::string>{"frontdesk", "agency"}));
    for (const auto& k : keys) {
        EXPECT_FALSE(k.created_at.empty());
        EXPECT_TRUE(k.revoked_at.empty());
        if (k.scope.name == "frontdesk") {
            EXPECT_EQ(k.scope.locations, std::vector<std::string>{"locA"});
            EXPECT_EQ(k.scope.toolsets, (std::vector<std::string>{"contacts", "calendars"}));
            EXPECT_TRUE(k.scope.read_only);
        } else {
            EXPECT_TRUE(k.scope.locations.empty());
            EXPECT_TRUE(k.scope.toolsets.empty());
            EXPECT_FALSE(k.scope.read_only);
        }
    }

    EXPECT_TRUE(store.revoke("frontdesk"));
    EXPECT_FALSE(store.revoke("frontdesk")) << "already revoked";
    EXPECT_FALSE(store.revoke("nobody"));
    EXPECT_EQ(store.active_count(), 1u);
    for (const auto& k : store.list())
        EXPECT_EQ(k.revoked_at.empty(), k.scope.name != "frontdesk") << k.scope.name;
}

TEST(KeyStore, CheckFindsTheKeyAndItsScopeAndSeesRevocation) {
    TempDir dir;
    KeyStore store(dir.file("keys.db"), true);
    std::string a = store.create("a", {"loc1", "loc2"}, {"contacts"}, true);
    std::string b = store.create("b", {}, {}, false);
    EXPECT_NE(a, b);

    KeyCheck ca = store.check(a);
    ASSERT_EQ(ca.status, KeyCheck::Status::kValid);
    EXPECT_EQ(ca.principal.name, "a");
    EXPECT_EQ(ca.principal.locations, (std::vector<std::string>{"loc1", "loc2"}));
    EXPECT_EQ(ca.principal.toolsets, std::vector<std::string>{"contacts"});
    EXPECT_TRUE(ca.principal.read_only);
    EXPECT_EQ(store.check(b).principal.name, "b");

    EXPECT_EQ(store.check("").status, KeyCheck::Status::kUnknown);
    EXPECT_EQ(store.check(a + "x").status, KeyCheck::Status::kUnknown);
    EXPECT_EQ(store.check(a.substr(0, a.size() - 1)).status, KeyCheck::Status::kUnknown);

    // A second connection (the `keys revoke` CLI) revokes; the running store sees it at once.
    ASSERT_TRUE(KeyStore(dir.file("keys.db"), false).revoke("a"));
    EXPECT_EQ(store.check(a).status, KeyCheck::Status::kRevoked);
    EXPECT_EQ(store.check(b).status, KeyCheck::Status::kValid);
}

TEST(KeyStore, StoresOnlyTheHashInAPrivateFile) {
    TempDir dir;
    const std::string path = dir.file("keys.db");
    std::string key;
    {
        KeyStore store(path, true);
        key = store.create("voice-agent", {"loc1"}, {}, false);
        ASSERT_EQ(key.rfind("ghlmcp_", 0), 0u) << key;
        EXPECT_GE(key.size(), 7u + 43u) << "32 random bytes, base64url";
        const std::string bytes = database_bytes(path);
        EXPECT_EQ(bytes.find(key), std::string::npos) << "the key itself is on disk";
        EXPECT_EQ(bytes.find(key.substr(7)), std::string::npos) << "the key's random part is on disk";
        // The grep looks at the right bytes: the hash and the name are there.
        EXPECT_NE(bytes.find(app::key_hash(key)), std::string::npos);
        EXPECT_NE(bytes.find("voice-agent"), std::string::npos);
        EXPECT_EQ(mode_of(path), 0600u);
        for (const char* suffix : {"-wal", "-shm"})
            if (std::ifstream(path + suffix).good()) {
                EXPECT_EQ(mode_of(path + suffix), 0600u) << suffix;
            }
    }
    EXPECT_EQ(mode_of(path), 0600u);
}

TEST(KeyStore, TightensAFileOthersCouldRead) {
    TempDir dir;
    const std::string path = dir.file("keys.db");
    { KeyStore(path, true).create("k", {}, {}, false); }
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    KeyStore store(path, false);
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(store.list().size(), 1u);
}

TEST(KeyStore, MissingFileIsAnErrorUnlessCreating) {
    TempDir dir;
    EXPECT_THROW(KeyStore(dir.file("absent.db"), false), std::runtime_error);
    EXPECT_FALSE(std::ifstream(dir.file("absent.db")).good()) << "opening must not create the file";
}

TEST(KeyStore, RejectsDuplicateAndInvalidNames) {
    TempDir dir;
    KeyStore store(dir.file("keys.db"), true);
    store.create("dup", {}, {}, false);
    EXPECT_THROW(store.create("dup", {}, {}, true), std::invalid_argument);
    store.revoke("dup");
    EXPECT_THROW(store.create("dup", {}, {}, true), std::invalid_argument) << "revoked names stay taken";
    for (const char* bad : {"", "has space", "semi;colon", "stdio", "local", "anonymous", "GHL_MCP_API_KEY"}) {
        EXPECT_FALSE(app::key_name_problem(bad).empty()) << bad;
        EXPECT_THROW(store.create(bad, {}, {}, false), std::invalid_argument) << bad;
    }
    EXPECT_THROW(store.create(std::string(65, 'a'), {}, {}, false), std::invalid_argument);
    EXPECT_EQ(app::key_name_problem("client-7.voice_agent"), "");
    EXPECT_EQ(store.list().size(), 1u);
}

mcp::Tool tool(const std::string& toolset, bool read_only, const std::string& name = "t") {
    mcp::Tool t;
    t.definition = {{"name", name}, {"annotations", {{"readOnlyHint", read_only}}}};
    t.toolset = toolset;
    return t;
}

TEST(Principal, ToolsetAndReadOnlyRules) {
    app::Principal any{"any", {}, {}, false};
    EXPECT_TRUE(any.allows_tool(tool("contacts", false)));
    EXPECT_TRUE(any.allows_location("whatever"));

    app::Principal narrow{"n", {"loc1"}, {"contacts"}, true};
    EXPECT_TRUE(narrow.allows_tool(tool("contacts", true)));
    EXPECT_FALSE(narrow.allows_tool(tool("contacts", false))) << "read-only key, write tool";
    EXPECT_FALSE(narrow.allows_tool(tool("calendars", true))) << "toolset outside the key";
    EXPECT_TRUE(narrow.allows_tool(tool("server", true))) << "get_server_status is in every scope";
    EXPECT_FALSE(narrow.allows_tool(tool("server", false)));

    app::Principal phone{"phone", {}, {"voice"}, false};
    EXPECT_TRUE(phone.allows_tool(tool("calendars", false, "book_appointment"))) << "in the voice toolset";
    EXPECT_TRUE(phone.allows_tool(tool("contacts", true, "find_contact")));
    EXPECT_FALSE(phone.allows_tool(tool("contacts", false, "delete_contact"))) << "contacts, not voice";
    EXPECT_FALSE(phone.allows_tool(tool("calendars", true, "list_calendars")));
    EXPECT_TRUE(narrow.allows_location("loc1"));
    EXPECT_FALSE(narrow.allows_location("loc2"));
    EXPECT_FALSE(narrow.allows_location(""));

    std::any empty;
    EXPECT_EQ(app::principal_of(empty), nullptr);
    std::any held = narrow;
    ASSERT_NE(app::principal_of(held), nullptr);
    EXPECT_EQ(app::principal_of(held)->name, "n");
}

}  // namespace
