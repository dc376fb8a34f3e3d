// The encrypted SQLite token store: every field round-trips and survives reopening, tokens never
// reach the disk in clear, the key (GHL_MCP_STORE_KEY or a key file) is parsed, created, tightened
// and checked at open, tampered or moved ciphertexts are refused, remove() takes children with
// it, and lock() excludes other threads and other processes.
#include "app/sqlite.hpp"
#include "app/token_store.hpp"

#include "mcp/crypto.hpp"
#include "temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <csignal>
#include <chrono>
#include <fstream>
#include <future>
#include <latch>
#include <sstream>
#include <thread>

namespace {

using app::SqliteTokenStore;
using app::StoreKeyError;
using app::StoreKeySource;
using ghl::Identity;
using ghl::UserType;
using keys_test::database_bytes;
using keys_test::file_bytes;
using keys_test::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// Two keys as hex, and key A's bytes for the other encodings.
const std::string kKeyA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kKeyB = "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f";

std::string key_a_bytes() {
    bool ok = false;
    return mcp::hex_decode(kKeyA, &ok);
}

StoreKeySource explicit_key(const std::string& text) {
    StoreKeySource k;
    k.env_value = text;
    return k;
}

StoreKeySource key_file(const std::string& path) {
    StoreKeySource k;
    k.key_file = path;
    return k;
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

void write_file(const std::string& path, const std::string& text, mode_t mode) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
    }
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

Identity company() {
    Identity i;
    i.key = ghl::identity_key_for_company("comp-1");
    i.user_type = UserType::kCompany;
    i.company_id = "comp-1";
    i.user_id = "user-9";
    i.tokens.access_token = "company-access-AAAA-1111";
    i.tokens.refresh_token = "company-refresh-RRRR-1111";
    i.tokens.expires_at = 1'900'000'000;
    i.tokens.scope = "locations.readonly oauth.write oauth.readonly";
    return i;
}

Identity location() {
    Identity i;
    i.key = ghl::identity_key_for_location("loc-7");
    i.user_type = UserType::kLocation;
    i.company_id = "comp-2";
    i.location_id = "loc-7";
    i.user_id = "user-3";
    i.tokens.access_token = "location-access-BBBB-2222";
    i.tokens.refresh_token = "location-refresh-SSSS-2222";
    i.tokens.expires_at = 1'900'000'100;
    i.tokens.scope = "contacts.readonly contacts.write";
    i.needs_login = true;
    i.needs_login_reason = "refresh token rejected: invalid_grant";
    return i;
}

Identity minted(const std::string& location_id) {
    Identity i;
    i.key = ghl::identity_key_for_minted("comp-1", location_id);
    i.user_type = UserType::kLocation;
    i.company_id = "comp-1";
    i.location_id = location_id;
    i.parent = ghl::identity_key_for_company("comp-1");
    i.tokens.access_token = "minted-access-" + location_id + "-CCCC-3333";
    i.tokens.expires_at = 1'900'000'200;
    i.tokens.scope = "contacts.readonly";
    return i;
}

// Every field but updated_at, which save() sets.
void expect_same(const Identity& got, const Identity& want) {
    EXPECT_EQ(got.key, want.key);
    EXPECT_EQ(got.user_type, want.user_type) << want.key;
    EXPECT_EQ(got.company_id, want.company_id) << want.key;
    EXPECT_EQ(got.location_id, want.location_id) << want.key;
    EXPECT_EQ(got.user_id, want.user_id) << want.key;
    EXPECT_EQ(got.parent, want.parent) << want.key;
    EXPECT_EQ(got.tokens.access_token, want.tokens.access_token) << want.key;
    EXPECT_EQ(got.tokens.refresh_token, want.tokens.refresh_token) << want.key;
    EXPECT_EQ(got.tokens.expires_at, want.tokens.expires_at) << want.key;
    EXPECT_EQ(got.tokens.scope, want.tokens.scope) << want.key;
    EXPECT_EQ(got.needs_login, want.needs_login) << want.key;
    EXPECT_EQ(got.needs_login_reason, want.needs_login_reason) << want.key;
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The message of the std::runtime_error `f` throws ("" and a test failure when it throws none).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    ADD_FAILURE() << "no exception";
    return {};
}

template <class F>
std::string key_error_of(F&& f) {
    try {
        f();
    } catch (const StoreKeyError& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not a StoreKeyError: " << e.what();
        return {};
    }
    ADD_FAILURE() << "no exception";
    return {};
}

TEST(SqliteTokenStore, RoundTripsEveryFieldOfEveryKindOfIdentity) {
    TempDir dir;
    SqliteTokenStore store(dir.file("tokens.db"), explicit_key(kKeyA));
    EXPECT_TRUE(store.list().empty());
    EXPECT_FALSE(store.load("company:comp-1").has_value());

    const auto before = now_seconds();
    store.save(location());
    store.save(minted("loc-a"));
    store.save(company());
    const auto after = now_seconds();

    for (const Identity& want : {company(), location(), minted("loc-a")}) {
        auto got = store.load(want.key);
        ASSERT_TRUE(got.has_value()) << want.key;
        expect_same(*got, want);
        EXPECT_GE(got->updated_at, before);
        EXPECT_LE(got->updated_at, after);
    }
    auto all = store.list();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].key, "company:comp-1");
    EXPECT_EQ(all[1].key, "company:comp-1/location:loc-a");
    EXPECT_EQ(all[2].key, "location:loc-7");
    expect_same(all[1], minted("loc-a"));
    EXPECT_TRUE(all[1].tokens.refresh_token.empty());
}

TEST(SqliteTokenStore, SaveReplacesAndASecondObjectSeesIt) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    SqliteTokenStore first(path, explicit_key(kKeyA));
    first.save(company());

    // A rotation: the new pair replaces the old one; needs_login is set and later cleared.
    Identity rotated = company();
    rotated.tokens.access_token = "company-access-rotated";
    rotated.tokens.refresh_token = "company-refresh-rotated";
    rotated.tokens.expires_at += 86'400;
    rotated.needs_login = true;
    rotated.needs_login_reason = "refresh token rejected: invalid_grant";
    first.save(rotated);

    SqliteTokenStore second(path, explicit_key(kKeyA));  // another connection, as another process
    auto got = second.load(rotated.key);
    ASSERT_TRUE(got.has_value());
    expect_same(*got, rotated);
    ASSERT_EQ(second.list().size(), 1u);

    rotated.needs_login = false;
    rotated.needs_login_reason.clear();
    second.save(rotated);
    expect_same(*first.load(rotated.key), rotated);
}

TEST(SqliteTokenStore, SurvivesClosingAndReopening) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    {
        SqliteTokenStore store(path, explicit_key(kKeyA));
        store.save(company());
        store.save(minted("loc-a"));
    }
    SqliteTokenStore reopened(path, explicit_key(kKeyA));
    auto all = reopened.list();
    ASSERT_EQ(all.size(), 2u);
    expect_same(all[0], company());
    expect_same(all[1], minted("loc-a"));
}

TEST(SqliteTokenStore, TokensNeverReachTheDiskInClear) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    Identity a = company();
    a.tokens.access_token = "ZQX-distinctive-access-token-0b7e41";
    a.tokens.refresh_token = "ZQX-distinctive-refresh-token-9c2d55";
    Identity b = location();
    b.tokens.access_token = "ZQX-second-access-token-71aa02";
    b.tokens.refresh_token = "ZQX-second-refresh-token-33fe90";
    const std::vector<std::string> secrets{a.tokens.access_token, a.tokens.refresh_token, b.tokens.access_token,
                                           b.tokens.refresh_token};
    {
        SqliteTokenStore store(path, explicit_key(kKeyA));
        store.save(a);
        store.save(b);
        store.save(a);  // several versions of the pages in the WAL

        // While the store is open the rows live in the WAL: make sure it is really searched.
        const std::string wal = file_bytes(path + "-wal");
        ASSERT_FALSE(wal.empty()) << "expected the rows in " << path << "-wal";
        EXPECT_NE(wal.find("loc-7"), std::string::npos) << "ids are stored in clear: the search must find them";
        const std::string bytes = database_bytes(path);
        for (const auto& secret : secrets) {
            EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
            EXPECT_EQ(bytes.find(mcp::hex_encode(secret)), std::string::npos) << secret;
            EXPECT_EQ(bytes.find(mcp::base64_encode(secret)), std::string::npos) << secret;
        }
    }
    // Closing checkpoints the WAL into the main file.
    const std::string main = file_bytes(path);
    EXPECT_NE(main.find("loc-7"), std::string::npos);
    for (const auto& secret : secrets) EXPECT_EQ(main.find(secret), std::string::npos) << secret;
    EXPECT_EQ(SqliteTokenStore(path, explicit_key(kKeyA)).load(a.key)->tokens.refresh_token, a.tokens.refresh_token);
}

TEST(SqliteTokenStore, EmptyTokensAreStoredAsNull) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    Identity flagged = location();
    flagged.tokens.access_token.clear();
    flagged.tokens.refresh_token.clear();
    {
        SqliteTokenStore store(path, explicit_key(kKeyA));
        store.save(minted("loc-a"));
        store.save(flagged);
    }
    app::sqlite::Database raw(path, false);
    auto s = raw.prepare("SELECT key, access_token IS NULL, refresh_token IS NULL FROM identities ORDER BY key");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0), "company:comp-1/location:loc-a");
    EXPECT_EQ(s.integer(1), 0);
    EXPECT_EQ(s.integer(2), 1);
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.integer(1), 1);
    EXPECT_EQ(s.integer(2), 1);

    auto got = SqliteTokenStore(path, explicit_key(kKeyA)).load(flagged.key);
    ASSERT_TRUE(got.has_value());
    expect_same(*got, flagged);
}

TEST(SqliteTokenStore, FilesArePrivateAndTheSchemaIsVersioned) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    {
        SqliteTokenStore store(path, explicit_key(kKeyA));
        store.save(company());
        EXPECT_EQ(mode_of(path), 0600u);
        EXPECT_EQ(mode_of(path + "-wal"), 0600u) << "SQLite gives the WAL the database file's mode";
        auto held = store.lock("company:comp-1");
        ASSERT_NE(held, nullptr);
        EXPECT_EQ(mode_of(path + ".lock"), 0600u);
        EXPECT_FALSE(exists(path + ".key")) << "an explicit key needs no key file";
    }
    app::sqlite::Database raw(path, false);
    auto mode = raw.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.text(0), "wal");
    auto version = raw.prepare("PRAGMA user_version");
    ASSERT_TRUE(version.step());
    EXPECT_EQ(version.integer(0), SqliteTokenStore::kSchemaVersion);
}

TEST(SqliteTokenStore, ANewerSchemaIsRefused) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    { SqliteTokenStore store(path, explicit_key(kKeyA)); }
    { app::sqlite::Database(path, false).exec("PRAGMA user_version=7"); }
    const std::string msg = error_of([&] { SqliteTokenStore s(path, explicit_key(kKeyA)); });
    EXPECT_THAT(msg, HasSubstr("schema version 7"));
    EXPECT_THAT(msg, HasSubstr("upgrade ghl-mcp"));
}

// ---- the key ---------------------------------------------------------------------------------

TEST(StoreKey, AWrongKeyFailsAtOpenWithTheRemedy) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    { SqliteTokenStore(path, explicit_key(kKeyA)).save(company()); }

    const std::string msg = key_error_of([&] { SqliteTokenStore s(path, explicit_key(kKeyB)); });
    EXPECT_EQ(msg, "the token store " + path +
                       " was encrypted with a different key: set GHL_MCP_STORE_KEY to the key it was created "
                       "with, or run `ghl-mcp auth logout` to start over");
    // A key file with another key is just as wrong.
    write_file(dir.file("other.key"), kKeyB + "\n", 0600);
    EXPECT_EQ(key_error_of([&] { SqliteTokenStore s(path, key_file(dir.file("other.key"))); }), msg);
    // And the right key still opens it.
    expect_same(*SqliteTokenStore(path, explicit_key(kKeyA)).load("company:comp-1"), company());
}

TEST(StoreKey, AcceptsHexAndBase64FormsOfTheSameKey) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    { SqliteTokenStore(path, explicit_key(kKeyA)).save(company()); }

    std::string upper = kKeyA;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string bytes = key_a_bytes();
    ASSERT_EQ(bytes.size(), 32u);
    const std::string b64 = mcp::base64_encode(bytes);
    ASSERT_EQ(b64.size(), 44u);
    const std::string b64url = mcp::base64url_encode(bytes);
    ASSERT_EQ(b64url.size(), 43u);
    for (const std::string& form : {upper, b64, b64.substr(0, 43), b64url, b64url + "=", "  " + kKeyA + "\n"}) {
        SCOPED_TRACE(form);
        SqliteTokenStore store(path, explicit_key(form));
        EXPECT_EQ(store.key_origin(), "GHL_MCP_STORE_KEY");
        auto got = store.load("company:comp-1");
        ASSERT_TRUE(got.has_value());
        expect_same(*got, company());
    }
}

TEST(StoreKey, AMalformedKeyIsRefusedWithoutEchoingIt) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    const std::string bytes = key_a_bytes();
    const std::vector<std::string> bad{
        "",
        "hunter2-not-a-key",
        kKeyA.substr(0, 62),                              // 31 bytes of hex
        kKeyA + "20",                                     // 33 bytes of hex
        "g" + kKeyA.substr(1),                            // 64 characters, not all hex
        mcp::base64_encode(bytes.substr(0, 31)),          // 31 bytes
        mcp::base64_encode(bytes + "x"),                  // 33 bytes
        mcp::base64url_encode(bytes).substr(0, 42) + "!", // not base64
        mcp::base64_encode(bytes) + "=",                  // too much padding
        kKeyA.substr(0, 32) + " " + kKeyA.substr(32),     // space inside
    };
    for (const auto& value : bad) {
        SCOPED_TRACE(value);
        const std::string msg = key_error_of([&] { SqliteTokenStore s(path, explicit_key(value)); });
        EXPECT_THAT(msg, HasSubstr("GHL_MCP_STORE_KEY is not a valid token store key"));
        EXPECT_THAT(msg, HasSubstr("64 hex characters"));
        EXPECT_THAT(msg, HasSubstr("base64url"));
        EXPECT_THAT(msg, HasSubstr("exactly 32 bytes"));
        if (value.size() >= 6) { EXPECT_THAT(msg, Not(HasSubstr(value))); }
        if (value.size() >= 16) { EXPECT_THAT(msg, Not(HasSubstr(value.substr(0, 16)))); }
    }
    EXPECT_FALSE(exists(path)) << "a bad key is refused before the database is created";
}

TEST(StoreKey, AKeyFileIsCreatedPrivateOnFirstUseAndReused) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    const std::string key_path = path + ".key";
    ASSERT_FALSE(exists(key_path));
    {
        SqliteTokenStore store(path, StoreKeySource{});
        EXPECT_EQ(store.key_origin(), key_path);
        store.save(company());
    }
    ASSERT_TRUE(exists(key_path));
    EXPECT_EQ(mode_of(key_path), 0600u);
    const std::string text = file_bytes(key_path);
    ASSERT_EQ(text.size(), 65u);
    EXPECT_EQ(text.back(), '\n');
    bool ok = false;
    EXPECT_EQ(mcp::hex_decode(text.substr(0, 64), &ok).size(), 32u);
    EXPECT_TRUE(ok);
    EXPECT_NE(text.substr(0, 64), std::string(64, '0'));

    // Reopened: the same key, the file untouched, the data readable.
    {
        SqliteTokenStore store(path, StoreKeySource{});
        expect_same(*store.load("company:comp-1"), company());
    }
    EXPECT_EQ(file_bytes(key_path), text);
    // The key file's content is the key: GHL_MCP_STORE_KEY set to it opens the store too.
    expect_same(*SqliteTokenStore(path, explicit_key(text)).load("company:comp-1"), company());

    // Another store gets another key.
    { SqliteTokenStore other(dir.file("other.db"), StoreKeySource{}); }
    EXPECT_NE(file_bytes(dir.file("other.db.key")), text);
}

TEST(StoreKey, AnExplicitKeyFilePathIsUsedInsteadOfTheDefault) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    const std::string key_path = dir.file("secrets-store.key");
    {
        SqliteTokenStore store(path, key_file(key_path));
        EXPECT_EQ(store.key_origin(), key_path);
        store.save(company());
    }
    EXPECT_TRUE(exists(key_path));
    EXPECT_EQ(mode_of(key_path), 0600u);
    EXPECT_FALSE(exists(path + ".key"));
    expect_same(*SqliteTokenStore(path, key_file(key_path)).load("company:comp-1"), company());
}

TEST(StoreKey, AKeyFileOthersCanReadIsTightened) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    const std::string key_path = path + ".key";
    write_file(key_path, mcp::base64_encode(key_a_bytes()) + "\n", 0644);
    {
        SqliteTokenStore store(path, StoreKeySource{});
        store.save(company());
    }
    EXPECT_EQ(mode_of(key_path), 0600u);
    // The base64 file held key A: the store opens with key A given directly.
    expect_same(*SqliteTokenStore(path, explicit_key(kKeyA)).load("company:comp-1"), company());

    ASSERT_EQ(::chmod(key_path.c_str(), 0640), 0);
    { SqliteTokenStore store(path, StoreKeySource{}); }
    EXPECT_EQ(mode_of(key_path), 0600u);
}

TEST(StoreKey, AMalformedKeyFileIsRefusedWithoutEchoingIt) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    const std::string key_path = path + ".key";
    for (const std::string& content : {std::string("s3cret-passphrase-not-a-key\n"), std::string(),
                                       kKeyA.substr(0, 60) + "\n", kKeyA + kKeyA, std::string(5000, 'a')}) {
        SCOPED_TRACE(content.size());
        write_file(key_path, content, 0600);
        const std::string msg = key_error_of([&] { SqliteTokenStore s(path, StoreKeySource{}); });
        EXPECT_THAT(msg, HasSubstr("the token store key file " + key_path + " is malformed"));
        EXPECT_THAT(msg, HasSubstr("64 hex characters"));
        if (content.size() >= 8) { EXPECT_THAT(msg, Not(HasSubstr(content.substr(0, 8)))); }
        EXPECT_EQ(file_bytes(key_path), content) << "a malformed key file is never replaced";
    }
}

TEST(StoreKey, AMissingKeyFileForAnExistingStoreIsNotReplacedByANewKey) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    const std::string key_path = path + ".key";
    { SqliteTokenStore(path, StoreKeySource{}).save(company()); }
    const std::string key_text = file_bytes(key_path);
    ASSERT_EQ(::unlink(key_path.c_str()), 0);

    const std::string msg = key_error_of([&] { SqliteTokenStore s(path, StoreKeySource{}); });
    EXPECT_THAT(msg, HasSubstr("exists but its key file " + key_path + " is missing"));
    EXPECT_FALSE(exists(key_path));

    // Restoring the file restores access.
    write_file(key_path, key_text, 0600);
    expect_same(*SqliteTokenStore(path, StoreKeySource{}).load("company:comp-1"), company());
}

TEST(StoreKey, CreatingAKeyFileNeverReplacesOneAndExactlyOneRacerWins) {
    TempDir dir;
    const std::string key_path = dir.file("store.key");
    ASSERT_TRUE(app::create_store_key_file(key_path));
    EXPECT_EQ(mode_of(key_path), 0600u);
    const std::string text = file_bytes(key_path);
    ASSERT_EQ(text.size(), 65u);
    EXPECT_FALSE(app::create_store_key_file(key_path));
    EXPECT_EQ(file_bytes(key_path), text) << "an existing key file is never replaced";

    // Racing creators: every one returns, exactly one created the file, the file holds one whole
    // key, and no temporary file is left behind.
    constexpr int kRacers = 8;
    for (int round = 0; round < 20; ++round) {
        const std::string raced = dir.file("raced-" + std::to_string(round) + ".key");
        std::latch start(kRacers);
        std::atomic<int> created{0};
        std::atomic<int> failed{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kRacers; ++t)
            threads.emplace_back([&] {
                start.arrive_and_wait();
                try {
                    if (app::create_store_key_file(raced)) ++created;
                } catch (const std::exception&) {
                    ++failed;
                }
            });
        for (auto& th : threads) th.join();
        EXPECT_EQ(created.load(), 1) << "round " << round;
        EXPECT_EQ(failed.load(), 0) << "round " << round;
        EXPECT_EQ(file_bytes(raced).size(), 65u) << "round " << round;
    }
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(key_path).parent_path()))
        EXPECT_EQ(entry.path().extension(), ".key") << entry.path();
}

TEST(StoreKey, ConcurrentFirstOpensAgreeOnOneKey) {
    // Threads racing to open the same new store: one key file wins, every opener uses it, and the
    // schema is created once. A non-exclusive create would leave openers with different keys
    // (a wrong-key error here, or tokens another opener cannot read).
    constexpr int kOpeners = 6;
    for (int round = 0; round < 10; ++round) {
        TempDir dir;
        const std::string path = dir.file("tokens.db");
        std::latch start(kOpeners);
        std::vector<std::string> errors(kOpeners);
        std::vector<std::thread> threads;
        for (int t = 0; t < kOpeners; ++t) {
            threads.emplace_back([&, t] {
                start.arrive_and_wait();
                try {
                    SqliteTokenStore store(path, StoreKeySource{});
                    Identity id = minted("loc-" + std::to_string(t));
                    store.save(id);
                } catch (const std::exception& e) {
                    errors[static_cast<size_t>(t)] = e.what();
                }
            });
        }
        for (auto& th : threads) th.join();
        for (const auto& e : errors) EXPECT_EQ(e, "") << "round " << round;
        SqliteTokenStore store(path, StoreKeySource{});
        auto all = store.list();
        ASSERT_EQ(all.size(), static_cast<size_t>(kOpeners)) << "round " << round;
        for (int t = 0; t < kOpeners; ++t) expect_same(all[static_cast<size_t>(t)], minted("loc-" + std::to_string(t)));
        // Nothing but the store, its WAL files and the key is left behind (no temporary keys).
        size_t files = 0;
        for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
            const auto name = entry.path().filename().string();
            EXPECT_TRUE(name == "tokens.db" || name == "tokens.db-wal" || name == "tokens.db-shm" ||
                        name == "tokens.db.key")
                << name;
            ++files;
        }
        EXPECT_GE(files, 2u);
    }
}

// ---- tampering ---------------------------------------------------------------------------------

void set_blob(const std::string& path, const std::string& column, const std::string& key, const std::string& value) {
    app::sqlite::Database raw(path, false);
    auto s = raw.prepare("UPDATE identities SET " + column + " = ? WHERE key = ?");
    s.bind_blob(1, value).bind(2, key).run();
    ASSERT_EQ(raw.changes(), 1);
}

std::string get_blob(const std::string& path, const std::string& column, const std::string& key) {
    app::sqlite::Database raw(path, false);
    auto s = raw.prepare("SELECT " + column + " FROM identities WHERE key = ?");
    s.bind(1, key);
    EXPECT_TRUE(s.step());
    return s.blob(0);
}

TEST(SqliteTokenStoreTampering, AFlippedByteAnywhereInACiphertextIsRefused) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    const Identity id = company();
    { SqliteTokenStore(path, explicit_key(kKeyA)).save(id); }
    const std::string original = get_blob(path, "refresh_token", id.key);
    // version | 12-byte nonce | ciphertext | 16-byte tag
    ASSERT_EQ(original.size(), 1 + 12 + id.tokens.refresh_token.size() + 16);
    EXPECT_EQ(original[0], '\x01');

    // A byte of the nonce, of the ciphertext, of the tag.
    for (size_t at : {size_t{5}, size_t{13 + 3}, original.size() - 1}) {
        SCOPED_TRACE(at);
        std::string damaged = original;
        damaged[at] = static_cast<char>(damaged[at] ^ 0x01);
        set_blob(path, "refresh_token", id.key, damaged);
        SqliteTokenStore store(path, explicit_key(kKeyA));
        const std::string msg = error_of([&] { store.load(id.key); });
        EXPECT_THAT(msg, HasSubstr("the stored refresh token of \"company:comp-1\" failed authentication"));
        EXPECT_THAT(msg, Not(HasSubstr(id.tokens.refresh_token)));
        EXPECT_THAT(msg, Not(HasSubstr(id.tokens.access_token)));
        EXPECT_THAT(error_of([&] { store.list(); }), HasSubstr("failed authentication"));
    }
    // A value that is not a sealed value at all.
    for (const std::string& junk : {std::string("x"), std::string("\x02") + original.substr(1)}) {
        set_blob(path, "refresh_token", id.key, junk);
        EXPECT_THAT(error_of([&] { SqliteTokenStore(path, explicit_key(kKeyA)).load(id.key); }),
                    HasSubstr("is not in a format this ghl-mcp can read"));
    }
    // Put back, it decrypts again: the failures above came from the damage alone.
    set_blob(path, "refresh_token", id.key, original);
    expect_same(*SqliteTokenStore(path, explicit_key(kKeyA)).load(id.key), id);
}

TEST(SqliteTokenStoreTampering, CiphertextsMovedBetweenRowsOrFieldsFailAuthentication) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    const Identity a = company();
    const Identity b = location();
    {
        SqliteTokenStore store(path, explicit_key(kKeyA));
        store.save(a);
        store.save(b);
    }
    const std::string a_refresh = get_blob(path, "refresh_token", a.key);
    const std::string b_refresh = get_blob(path, "refresh_token", b.key);
    const std::string a_access = get_blob(path, "access_token", a.key);

    // Swapped between rows.
    set_blob(path, "refresh_token", a.key, b_refresh);
    set_blob(path, "refresh_token", b.key, a_refresh);
    {
        SqliteTokenStore store(path, explicit_key(kKeyA));
        for (const Identity* id : {&a, &b}) {
            const std::string msg = error_of([&] { store.load(id->key); });
            EXPECT_THAT(msg, HasSubstr("refresh token of \"" + id->key + "\" failed authentication"));
            EXPECT_THAT(msg, Not(HasSubstr(a.tokens.refresh_token)));
            EXPECT_THAT(msg, Not(HasSubstr(b.tokens.refresh_token)));
        }
    }
    set_blob(path, "refresh_token", a.key, a_refresh);
    set_blob(path, "refresh_token", b.key, b_refresh);
    expect_same(*SqliteTokenStore(path, explicit_key(kKeyA)).load(a.key), a);

    // Swapped between the fields of one row.
    set_blob(path, "access_token", a.key, a_refresh);
    set_blob(path, "refresh_token", a.key, a_access);
    EXPECT_THAT(error_of([&] { SqliteTokenStore(path, explicit_key(kKeyA)).load(a.key); }),
                HasSubstr("access token of \"company:comp-1\" failed authentication"));

    // A row renamed to another key.
    set_blob(path, "access_token", a.key, a_access);
    set_blob(path, "refresh_token", a.key, a_refresh);
    {
        app::sqlite::Database raw(path, false);
        raw.exec("UPDATE identities SET key = 'company:comp-evil' WHERE key = 'company:comp-1'");
    }
    EXPECT_THAT(error_of([&] { SqliteTokenStore(path, explicit_key(kKeyA)).load("company:comp-evil"); }),
                HasSubstr("failed authentication"));
}

// ---- remove / clear ----------------------------------------------------------------------------

TEST(SqliteTokenStore, RemoveTakesTheMintedChildrenAlong) {
    TempDir dir;
    SqliteTokenStore store(dir.file("tokens.db"), explicit_key(kKeyA));
    store.save(company());
    store.save(minted("loc-a"));
    store.save(minted("loc-b"));
    store.save(location());

    EXPECT_TRUE(store.remove("company:comp-1"));
    auto left = store.list();
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].key, "location:loc-7");
    EXPECT_FALSE(store.load("company:comp-1/location:loc-a").has_value());
    EXPECT_FALSE(store.remove("company:comp-1"));
    EXPECT_FALSE(store.remove("company:nobody"));

    // Removing a child alone leaves its parent.
    store.save(company());
    store.save(minted("loc-a"));
    EXPECT_TRUE(store.remove("company:comp-1/location:loc-a"));
    EXPECT_TRUE(store.load("company:comp-1").has_value());

    store.clear();
    EXPECT_TRUE(store.list().empty());
    EXPECT_TRUE(SqliteTokenStore(dir.file("tokens.db"), explicit_key(kKeyA)).list().empty());
}

TEST(SqliteTokenStore, ConcurrentSavesFromManyThreadsAllLand) {
    TempDir dir;
    SqliteTokenStore store(dir.file("tokens.db"), explicit_key(kKeyA));
    constexpr int kThreads = 4, kEach = 25;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                store.save(minted("t" + std::to_string(t) + "-" + std::to_string(i)));
                (void)store.load("company:comp-1/location:t0-0");
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(store.list().size(), static_cast<size_t>(kThreads * kEach));
}

// ---- lock() ------------------------------------------------------------------------------------

// True when /proc/locks shows someone blocked waiting for a lock on `path` (a "->" line with the
// file's inode): proof that a waiter is really inside flock(), not merely slow to start.
bool someone_waits_for(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    std::ifstream locks("/proc/locks");
    const std::string inode = ":" + std::to_string(st.st_ino);
    std::string line;
    while (std::getline(locks, line)) {
        if (line.find("->") == std::string::npos) continue;
        std::istringstream fields(line);
        std::string field;
        while (fields >> field)
            if (field.size() > inode.size() && field.compare(field.size() - inode.size(), inode.size(), inode) == 0)
                return true;
    }
    return false;
}

// Waits up to 10 s for a blocked waiter on `path`.
bool wait_for_waiter(const std::string& path) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (someone_waits_for(path)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

TEST(SqliteTokenStoreLock, ASecondLockBlocksUntilTheFirstIsReleased) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    SqliteTokenStore store(path, explicit_key(kKeyA));
    auto first = store.lock("company:comp-1");
    ASSERT_NE(first, nullptr);

    std::atomic<bool> released{false};
    std::atomic<bool> acquired{false};
    auto second = std::async(std::launch::async, [&] {
        auto held = store.lock("location:loc-7");  // another key: the lock covers the whole store
        acquired = true;
        return released.load();  // must already be true: the first lock was let go before
    });
    // No ASSERT while `first` is held: returning early would wait forever for `second`.
    EXPECT_TRUE(wait_for_waiter(path + ".lock")) << "the second lock() never blocked";
    EXPECT_EQ(second.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
    EXPECT_FALSE(acquired);

    released = true;
    first.reset();
    ASSERT_EQ(second.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(second.get()) << "acquired while the first lock was still held";
    EXPECT_FALSE(someone_waits_for(path + ".lock"));
    EXPECT_NE(store.lock("company:comp-1"), nullptr) << "free again once both are gone";
}

TEST(SqliteTokenStoreLock, ALockHeldByAnotherProcessBlocksUntilItDies) {
    TempDir dir;
    const std::string path = dir.file("tokens.db");
    SqliteTokenStore store(path, explicit_key(kKeyA));

    int locked_pipe[2];
    int exit_pipe[2];
    ASSERT_EQ(::pipe(locked_pipe), 0);
    ASSERT_EQ(::pipe(exit_pipe), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    // Should an assertion below return early: no child left waiting, no zombie.
    struct Reaper {
        pid_t pid;
        int exit_fd;
        bool reaped = false;
        ~Reaper() {
            if (exit_fd >= 0) ::close(exit_fd);
            if (!reaped) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, nullptr, 0);
            }
        }
    };
    if (child == 0) {
        // The child: take the lock, say so, wait for the word, and die holding it.
        ::close(locked_pipe[0]);
        ::close(exit_pipe[1]);
        int code = 0;
        try {
            auto held = store.lock("company:comp-1");
            if (::write(locked_pipe[1], "L", 1) != 1) code = 3;
            char c;
            if (::read(exit_pipe[0], &c, 1) < 0) code = 4;
            ::_exit(code);  // no destructors: the OS must release the lock
        } catch (...) {
            ::_exit(2);
        }
    }
    ::close(locked_pipe[1]);
    ::close(exit_pipe[0]);
    Reaper reaper{child, exit_pipe[1]};
    char c = 0;
    ASSERT_EQ(::read(locked_pipe[0], &c, 1), 1) << "the child did not take the lock";
    ::close(locked_pipe[0]);

    std::atomic<bool> child_told_to_exit{false};
    auto parent = std::async(std::launch::async, [&] {
        auto held = store.lock("company:comp-1");
        return child_told_to_exit.load();
    });
    const bool blocked = wait_for_waiter(path + ".lock");
    EXPECT_EQ(parent.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);

    child_told_to_exit = true;
    ::close(exit_pipe[1]);  // EOF: the child exits
    reaper.exit_fd = -1;
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    reaper.reaped = true;
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    ASSERT_EQ(parent.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(parent.get()) << "the parent got the lock while the child held it";
    EXPECT_TRUE(blocked) << "the parent's lock() never blocked on the child's lock";
}

}  // namespace
