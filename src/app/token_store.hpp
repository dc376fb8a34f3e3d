// The embedded OAuth token store: ghl::TokenStore on a local SQLite file whose token values are
// encrypted with AES-256-GCM under a 32-byte store key.
//
// What is in clear and what is not: identity keys, ids, scopes, expiry and the needs-login flag
// are plain columns; the access and refresh tokens are ciphertexts whose authenticated data binds
// them to their row key and field, so a value moved to another row or field fails to decrypt.
// A key-check value in the meta table makes a wrong key fail when the store is opened, never
// later with garbage tokens. Nothing here logs, and no error message carries a token or the key.
//
// Durability: WAL with synchronous=FULL, and every save() is one committed transaction, so a
// rotated refresh token is on disk before the caller may use the new access token.
#pragma once

#include "app/sqlite.hpp"

#include "ghl/token_store.hpp"

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace app {

/// Where the store key comes from. With `env_value` (GHL_MCP_STORE_KEY's value, or an explicit
/// key in tests) that key is used and no file is touched. Otherwise the key lives in `key_file`
/// (empty: "<store path>.key"), which is created with 32 random bytes the first time a new store
/// is opened. Accepted key text (file or env): 64 hex characters, or the base64 / base64url
/// encoding (padding optional) of exactly 32 bytes; surrounding whitespace is ignored.
struct StoreKeySource {
    std::optional<std::string> env_value;
    std::string key_file;

    ~StoreKeySource();  ///< zeroes env_value
};

/// The store key is malformed, missing, or not the one the store was created with. The message
/// says what to do and never contains the key.
class StoreKeyError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {
/// The 32 key bytes, zeroed on destruction (also when a constructor throws half way).
struct KeyBytes {
    std::array<unsigned char, 32> bytes{};
    KeyBytes() = default;
    ~KeyBytes();
    KeyBytes(const KeyBytes&) = delete;
    KeyBytes& operator=(const KeyBytes&) = delete;
};
}  // namespace detail

/// "<store path>.key": where the key lives when neither GHL_MCP_STORE_KEY nor a key file is set.
std::string default_store_key_file(const std::string& store_path);
/// Creates `key_file` (mode 0600) holding a fresh random key as 64 hex characters, unless it
/// exists: then returns false and leaves it untouched. Atomic: of several processes creating it at
/// once exactly one succeeds, and none ever reads a half-written key. Throws StoreKeyError when
/// the file cannot be written. SqliteTokenStore calls it for a new store; `auth` commands may too.
bool create_store_key_file(const std::string& key_file);

/// The SQLite token store. Thread-safe (one connection behind a mutex); several processes may
/// share the file (WAL, busy timeout 5 s) and use lock() around refreshes.
class SqliteTokenStore final : public ghl::TokenStore {
public:
    /// Opens the store at `path`, creating the file (mode 0600) and its schema when missing, and
    /// resolves the key from `key`. A new key file is created only for a new (empty) store.
    /// Throws StoreKeyError for key problems (malformed, missing key file, wrong key) and
    /// std::runtime_error for anything else (unreadable file, unknown schema version).
    SqliteTokenStore(const std::string& path, const StoreKeySource& key);
    ~SqliteTokenStore() override;
    SqliteTokenStore(const SqliteTokenStore&) = delete;
    SqliteTokenStore& operator=(const SqliteTokenStore&) = delete;

    std::vector<ghl::Identity> list() override;
    std::optional<ghl::Identity> load(const std::string& key) override;
    void save(const ghl::Identity& identity) override;
    bool remove(const std::string& key) override;
    void clear() override;
    /// A whole-store lock, not a per-identity one: flock(LOCK_EX) on "<path>.lock". Refreshes
    /// are rare (hourly per identity), so one lock for all of them costs nothing and keeps a
    /// refresh of an agency and of its minted locations from interleaving. Every call opens its
    /// own file description, so two threads of one process exclude each other as two processes
    /// do; the OS releases the lock when the holder dies. Blocks until acquired.
    std::unique_ptr<ghl::StoreLock> lock(const std::string& key) override;

    const std::string& path() const { return db_.path(); }
    /// Where the key came from, for `auth status`: "GHL_MCP_STORE_KEY" or the key file's path.
    const std::string& key_origin() const { return key_origin_; }

    /// The current schema version (PRAGMA user_version).
    static constexpr int kSchemaVersion = 1;

private:
    std::string seal(std::string_view plaintext, const std::string& row, std::string_view field) const;
    std::string unseal(std::string_view sealed, const std::string& row, std::string_view field) const;
    void open_schema();
    ghl::Identity read_identity(const sqlite::Statement& s) const;

    // key_ and key_origin_ come first: an invalid GHL_MCP_STORE_KEY is refused before the
    // database file is created.
    detail::KeyBytes key_;
    std::string key_origin_;
    mutable std::mutex mu_;
    sqlite::Database db_;
    std::string lock_path_;
};

}  // namespace app
