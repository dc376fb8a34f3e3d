#include "app/token_store.hpp"

#include "mcp/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace app {
namespace {

constexpr std::string_view kEnvName = "GHL_MCP_STORE_KEY";
constexpr std::string_view kAccess = "access";
constexpr std::string_view kRefresh = "refresh";

// Sealed value: version | nonce | ciphertext | tag.
constexpr unsigned char kFormat = 0x01;
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr size_t kKeySize = 32;

// The key check: this text sealed under the store key, with its own row/field so it can never be
// confused with a token.
constexpr std::string_view kCheckText = "ghl-mcp token store key check v1";
constexpr std::string_view kCheckRow = "\x01meta";
constexpr std::string_view kCheckField = "key_check";

constexpr std::string_view kAcceptedFormats =
    "64 hex characters, or the base64 / base64url encoding of exactly 32 bytes "
    "(make one with `openssl rand -hex 32`)";

// Zeroes a string's bytes when it goes out of scope (key text, decoded keys).
class Wipe {
public:
    explicit Wipe(std::string& s) : s_(s) {}
    ~Wipe() { OPENSSL_cleanse(s_.data(), s_.size()); }
    Wipe(const Wipe&) = delete;
    Wipe& operator=(const Wipe&) = delete;

private:
    std::string& s_;
};

std::string errno_text(int err) { return std::strerror(err); }

std::string_view trim(std::string_view s) {
    const char* ws = " \t\r\n";
    const auto first = s.find_first_not_of(ws);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(ws) - first + 1);
}

/// Decodes key text into `out`; false when it is not one of the accepted formats.
bool parse_key(std::string_view text, std::array<unsigned char, kKeySize>& out) {
    text = trim(text);
    std::string bytes;
    Wipe wipe(bytes);
    bool ok = false;
    if (text.size() == 2 * kKeySize) {
        bytes = mcp::hex_decode(text, &ok);
    } else if (text.size() == 43 || (text.size() == 44 && text[43] == '=' && text[42] != '=')) {
        // 43 characters carry 258 bits; base64_decode accepts both alphabets and no padding.
        bytes = mcp::base64_decode(text, &ok);
    }
    if (!ok || bytes.size() != kKeySize) return false;
    std::memcpy(out.data(), bytes.data(), kKeySize);
    return true;
}

/// fsync of a directory, so a file just created or linked in it survives a crash.
void sync_directory(const std::string& file) {
    std::string dir = std::filesystem::path(file).parent_path().string();
    if (dir.empty()) dir = ".";
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open directory " + dir + ": " + errno_text(errno));
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    // Some file systems cannot sync directories (EINVAL); their entries are durable anyway.
    if (rc != 0 && err != EINVAL)
        throw std::runtime_error("cannot sync directory " + dir + ": " + errno_text(err));
}

std::string malformed_key_file(const std::string& key_file) {
    return "the token store key file " + key_file + " is malformed: it must hold " +
           std::string(kAcceptedFormats) +
           ". Restore the original file, or set GHL_MCP_STORE_KEY to the key the store was created with";
}

/// Reads and parses an existing key file; false when it does not exist. Tightens a file that
/// group or others may read to 0600.
bool read_key_file(const std::string& key_file, std::array<unsigned char, kKeySize>& out) {
    const int fd = ::open(key_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return false;
        throw StoreKeyError("cannot read the token store key file " + key_file + ": " + errno_text(errno));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        throw StoreKeyError("cannot read the token store key file " + key_file + ": " + errno_text(errno));
    if (!S_ISREG(st.st_mode)) throw StoreKeyError("the token store key file " + key_file + " is not a regular file");
    if ((st.st_mode & 077) != 0 && ::fchmod(fd, 0600) != 0)
        throw StoreKeyError("the token store key file " + key_file +
                            " is readable by others and cannot be made private: " + errno_text(errno));
    // A key file is under 100 bytes; read a little more to tell a longer file from a key.
    std::string text(256, '\0');
    Wipe wipe(text);
    size_t got = 0;
    while (got < text.size()) {
        const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            throw StoreKeyError("cannot read the token store key file " + key_file + ": " + errno_text(errno));
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    if (got == text.size() || !parse_key(std::string_view(text).substr(0, got), out))
        throw StoreKeyError(malformed_key_file(key_file));
    return true;
}

std::string wrong_key_message(const std::string& path) {
    return "the token store " + path +
           " was encrypted with a different key: set GHL_MCP_STORE_KEY to the key it was created with, "
           "or run `ghl-mcp auth logout` to start over";
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Authenticated data of a sealed value: format byte, field, then the row key. The field is one
/// of a few fixed words without NUL, so the encoding is unambiguous.
std::string aad_for(const std::string& row, std::string_view field) {
    std::string aad(1, static_cast<char>(kFormat));
    aad.append(field);
    aad.push_back('\0');
    aad.append(row);
    return aad;
}

struct CipherCtx {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }  // cleanses the expanded key
    CipherCtx(const CipherCtx&) = delete;
    CipherCtx& operator=(const CipherCtx&) = delete;
    CipherCtx() = default;
};

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* bytes_of(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

/// BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy timeout); rolls back unless
/// committed.
class Transaction {
public:
    explicit Transaction(sqlite::Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
    ~Transaction() {
        if (!done_) {
            try {
                db_.exec("ROLLBACK");
            } catch (...) {  // nothing useful to do; the connection rolls back on close anyway
            }
        }
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
        db_.exec("COMMIT");
        done_ = true;
    }

private:
    sqlite::Database& db_;
    bool done_ = false;
};

class FileLock final : public ghl::StoreLock {
public:
    explicit FileLock(int fd) : fd_(fd) {}
    // Unlock explicitly: a child forked while the lock was held shares this file description,
    // and close() alone would leave the lock with it.
    ~FileLock() override {
        ::flock(fd_, LOCK_UN);
        ::close(fd_);
    }
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    int fd_;
};

constexpr std::string_view kColumns =
    "key, user_type, company_id, location_id, user_id, parent, scope, expires_at, access_token, "
    "refresh_token, needs_login, needs_login_reason, updated_at";

}  // namespace

namespace detail {
KeyBytes::~KeyBytes() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
}  // namespace detail

namespace {
/// Parses GHL_MCP_STORE_KEY into `out` and returns "GHL_MCP_STORE_KEY"; "" when it is not set.
std::string key_from_env(const StoreKeySource& source, detail::KeyBytes& out) {
    if (!source.env_value) return {};
    if (!parse_key(*source.env_value, out.bytes))
        throw StoreKeyError(std::string(kEnvName) + " is not a valid token store key: it must be " +
                            std::string(kAcceptedFormats));
    return std::string(kEnvName);
}
}  // namespace

StoreKeySource::~StoreKeySource() {
    if (env_value) OPENSSL_cleanse(env_value->data(), env_value->size());
}

std::string default_store_key_file(const std::string& store_path) { return store_path + ".key"; }

// The key is written to a private temporary file (O_CREAT|O_EXCL, 0600), synced, and published
// with link(), which fails when the name exists: a reader never sees a half-written key, and of
// racing creators exactly one wins.
bool create_store_key_file(const std::string& key_file) {
    std::string text = mcp::hex_encode(mcp::random_bytes(kKeySize)) + "\n";
    Wipe wipe(text);
    const std::string tmp = key_file + ".tmp-" + mcp::hex_encode(mcp::random_bytes(8));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw StoreKeyError("cannot create the token store key file " + key_file + ": " + errno_text(errno));
    size_t done = 0;
    int err = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            err = errno;
            break;
        }
        done += static_cast<size_t>(n);
    }
    if (err == 0 && ::fsync(fd) != 0) err = errno;
    ::close(fd);
    if (err == 0 && ::link(tmp.c_str(), key_file.c_str()) != 0) err = errno;
    ::unlink(tmp.c_str());
    if (err == EEXIST) return false;
    if (err != 0) throw StoreKeyError("cannot create the token store key file " + key_file + ": " + errno_text(err));
    sync_directory(key_file);
    return true;
}

SqliteTokenStore::SqliteTokenStore(const std::string& path, const StoreKeySource& key)
    : key_origin_(key_from_env(key, key_)), db_(path, /*create=*/true), lock_path_(path + ".lock") {
    // Per connection: wait for other processes instead of failing, and fsync the WAL at every
    // commit. WAL itself is recorded in the file.
    db_.exec("PRAGMA busy_timeout=5000; PRAGMA synchronous=FULL;");
    if (std::string mode = db_.use_wal(); mode != "wal")
        throw std::runtime_error("the token store " + path + " cannot use write-ahead logging (journal mode " +
                                 mode + ")");

    if (key_origin_.empty()) {
        key_origin_ = key.key_file.empty() ? default_store_key_file(path) : key.key_file;
        if (!read_key_file(key_origin_, key_.bytes)) {
            // No key file. Only a new store may get a new key: for an existing one a fresh key
            // would only turn "the key file is missing" into "wrong key".
            int version = 0;
            {
                auto s = db_.prepare("PRAGMA user_version");
                version = s.step() ? static_cast<int>(s.integer(0)) : 0;
            }
            if (version != 0)
                throw StoreKeyError("the token store " + path + " exists but its key file " + key_origin_ +
                                    " is missing: restore that file, set GHL_MCP_STORE_KEY to the key the "
                                    "store was created with, or run `ghl-mcp auth logout` to start over");
            create_store_key_file(key_origin_);  // ours, or the one a racing process published first
            if (!read_key_file(key_origin_, key_.bytes))
                throw StoreKeyError("the token store key file " + key_origin_ + " vanished while being created");
        }
    }
    open_schema();
}

SqliteTokenStore::~SqliteTokenStore() = default;

void SqliteTokenStore::open_schema() {
    const std::string& path = db_.path();
    Transaction tx(db_);  // two processes creating the same store: one creates, the other checks
    int version = 0;
    {
        auto s = db_.prepare("PRAGMA user_version");
        version = s.step() ? static_cast<int>(s.integer(0)) : 0;
    }
    if (version == 0) {
        db_.exec(
            "CREATE TABLE meta ("
            "  name TEXT PRIMARY KEY,"
            "  value BLOB NOT NULL);"
            "CREATE TABLE identities ("
            "  key TEXT PRIMARY KEY,"
            "  user_type TEXT NOT NULL,"
            "  company_id TEXT NOT NULL DEFAULT '',"
            "  location_id TEXT NOT NULL DEFAULT '',"
            "  user_id TEXT NOT NULL DEFAULT '',"
            "  parent TEXT NOT NULL DEFAULT '',"
            "  scope TEXT NOT NULL DEFAULT '',"
            "  expires_at INTEGER NOT NULL DEFAULT 0,"
            "  access_token BLOB,"   // sealed; NULL when empty
            "  refresh_token BLOB,"  // sealed; NULL when empty (minted location tokens)
            "  needs_login INTEGER NOT NULL DEFAULT 0,"
            "  needs_login_reason TEXT NOT NULL DEFAULT '',"
            "  updated_at INTEGER NOT NULL);"
            "CREATE INDEX identities_parent ON identities (parent);"
            "PRAGMA user_version=1;");
        auto s = db_.prepare("INSERT INTO meta (name, value) VALUES ('key_check', ?)");
        s.bind_blob(1, seal(kCheckText, std::string(kCheckRow), kCheckField)).run();
        tx.commit();
        sync_directory(path);  // the database file was just created; make its name durable too
        return;
    }
    if (version > kSchemaVersion)
        throw std::runtime_error("the token store " + path + " has schema version " + std::to_string(version) +
                                 ", newer than this ghl-mcp understands (" + std::to_string(kSchemaVersion) +
                                 "): upgrade ghl-mcp");
    if (version < 0) throw std::runtime_error("the token store " + path + " has an invalid schema version");
    auto s = db_.prepare("SELECT value FROM meta WHERE name = 'key_check'");
    if (!s.step())
        throw std::runtime_error("the token store " + path +
                                 " is damaged (its key check is missing): run `ghl-mcp auth logout` to start over");
    std::string check;
    try {
        check = unseal(s.blob(0), std::string(kCheckRow), kCheckField);
    } catch (const std::runtime_error&) {
        throw StoreKeyError(wrong_key_message(path));
    }
    if (check != kCheckText) throw StoreKeyError(wrong_key_message(path));
    tx.commit();
}

std::string SqliteTokenStore::seal(std::string_view plaintext, const std::string& row, std::string_view field) const {
    const std::string aad = aad_for(row, field);
    if (plaintext.size() > INT_MAX / 2 || aad.size() > INT_MAX / 2)
        throw std::runtime_error("the token store " + db_.path() + ": a value to encrypt is too large");
    const std::string nonce = mcp::random_bytes(kNonceSize);
    std::string out;
    out.reserve(1 + kNonceSize + plaintext.size() + kTagSize);
    out.push_back(static_cast<char>(kFormat));
    out += nonce;
    out.resize(1 + kNonceSize + plaintext.size() + kTagSize);

    CipherCtx c;
    int len = 0;
    unsigned char* ct = bytes_of(out) + 1 + kNonceSize;
    const bool ok =
        c.ctx && EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize), nullptr) == 1 &&
        EVP_EncryptInit_ex(c.ctx, nullptr, nullptr, key_.bytes.data(), bytes_of(nonce)) == 1 &&
        EVP_EncryptUpdate(c.ctx, nullptr, &len, bytes_of(aad), static_cast<int>(aad.size())) == 1 &&
        EVP_EncryptUpdate(c.ctx, ct, &len, bytes_of(plaintext), static_cast<int>(plaintext.size())) == 1 &&
        static_cast<size_t>(len) == plaintext.size() && EVP_EncryptFinal_ex(c.ctx, ct + len, &len) == 1 &&
        len == 0 &&
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), ct + plaintext.size()) == 1;
    if (!ok) throw std::runtime_error("the token store " + db_.path() + ": encryption failed (OpenSSL)");
    return out;
}

std::string SqliteTokenStore::unseal(std::string_view sealed, const std::string& row, std::string_view field) const {
    const std::string what = "the token store " + db_.path() + ": the stored " + std::string(field) +
                             (field == kCheckField ? "" : " token") + " of \"" + row + "\"";
    if (sealed.size() < 1 + kNonceSize + kTagSize || static_cast<unsigned char>(sealed[0]) != kFormat)
        throw std::runtime_error(what + " is not in a format this ghl-mcp can read (damaged, or written by another "
                                        "version); run `ghl-mcp auth login` again for it");
    if (sealed.size() > INT_MAX / 2) throw std::runtime_error(what + " is too large");
    const std::string aad = aad_for(row, field);
    const auto nonce = sealed.substr(1, kNonceSize);
    const auto ct = sealed.substr(1 + kNonceSize, sealed.size() - 1 - kNonceSize - kTagSize);
    std::string tag(sealed.substr(sealed.size() - kTagSize));
    std::string out(ct.size(), '\0');

    CipherCtx c;
    int len = 0;
    const bool ready =
        c.ctx && EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize), nullptr) == 1 &&
        EVP_DecryptInit_ex(c.ctx, nullptr, nullptr, key_.bytes.data(), bytes_of(nonce)) == 1 &&
        EVP_DecryptUpdate(c.ctx, nullptr, &len, bytes_of(aad), static_cast<int>(aad.size())) == 1 &&
        EVP_DecryptUpdate(c.ctx, bytes_of(out), &len, bytes_of(ct), static_cast<int>(ct.size())) == 1 &&
        static_cast<size_t>(len) == ct.size() &&
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag.data()) == 1;
    int final_len = 0;
    if (!ready || EVP_DecryptFinal_ex(c.ctx, bytes_of(out) + len, &final_len) != 1) {
        OPENSSL_cleanse(out.data(), out.size());  // unauthenticated plaintext never leaves
        throw std::runtime_error(what +
                                 " failed authentication (the file was altered, or the value was moved from "
                                 "another row or field); run `ghl-mcp auth login` again for it");
    }
    return out;
}

ghl::Identity SqliteTokenStore::read_identity(const sqlite::Statement& s) const {
    ghl::Identity id;
    id.key = s.text(0);
    const std::string type = s.text(1);
    const auto parsed = ghl::parse_user_type(type);
    if (!parsed)
        throw std::runtime_error("the token store " + db_.path() + ": \"" + id.key + "\" has an unknown user type \"" +
                                 type + "\"");
    id.user_type = *parsed;
    id.company_id = s.text(2);
    id.location_id = s.text(3);
    id.user_id = s.text(4);
    id.parent = s.text(5);
    id.tokens.scope = s.text(6);
    id.tokens.expires_at = s.integer(7);
    if (!s.is_null(8)) id.tokens.access_token = unseal(s.blob(8), id.key, kAccess);
    if (!s.is_null(9)) id.tokens.refresh_token = unseal(s.blob(9), id.key, kRefresh);
    id.needs_login = s.integer(10) != 0;
    id.needs_login_reason = s.text(11);
    id.updated_at = s.integer(12);
    return id;
}

std::vector<ghl::Identity> SqliteTokenStore::list() {
    std::lock_guard guard(mu_);
    auto s = db_.prepare("SELECT " + std::string(kColumns) + " FROM identities ORDER BY key");
    std::vector<ghl::Identity> out;
    while (s.step()) out.push_back(read_identity(s));
    return out;
}

std::optional<ghl::Identity> SqliteTokenStore::load(const std::string& key) {
    std::lock_guard guard(mu_);
    auto s = db_.prepare("SELECT " + std::string(kColumns) + " FROM identities WHERE key = ?");
    s.bind(1, key);
    if (!s.step()) return std::nullopt;
    return read_identity(s);
}

void SqliteTokenStore::save(const ghl::Identity& identity) {
    if (identity.key.empty()) throw std::runtime_error("the token store " + db_.path() + ": an identity needs a key");
    // Encrypt before taking the lock: OpenSSL work needs no connection.
    const auto& t = identity.tokens;
    const std::string access = t.access_token.empty() ? std::string() : seal(t.access_token, identity.key, kAccess);
    const std::string refresh =
        t.refresh_token.empty() ? std::string() : seal(t.refresh_token, identity.key, kRefresh);

    std::lock_guard guard(mu_);
    Transaction tx(db_);
    auto s = db_.prepare("INSERT OR REPLACE INTO identities (" + std::string(kColumns) +
                         ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, identity.key).bind(2, ghl::to_string(identity.user_type)).bind(3, identity.company_id);
    s.bind(4, identity.location_id).bind(5, identity.user_id).bind(6, identity.parent).bind(7, t.scope);
    s.bind(8, t.expires_at);
    if (access.empty())
        s.bind_null(9);
    else
        s.bind_blob(9, access);
    if (refresh.empty())
        s.bind_null(10);
    else
        s.bind_blob(10, refresh);
    s.bind(11, int64_t{identity.needs_login ? 1 : 0}).bind(12, identity.needs_login_reason);
    s.bind(13, static_cast<int64_t>(now_seconds()));
    s.run();
    tx.commit();
}

bool SqliteTokenStore::remove(const std::string& key) {
    std::lock_guard guard(mu_);
    Transaction tx(db_);
    auto s = db_.prepare("DELETE FROM identities WHERE key = ?1 OR parent = ?1");
    s.bind(1, key).run();
    const bool removed = db_.changes() > 0;
    tx.commit();
    return removed;
}

void SqliteTokenStore::clear() {
    std::lock_guard guard(mu_);
    Transaction tx(db_);
    db_.exec("DELETE FROM identities");
    tx.commit();
}

std::unique_ptr<ghl::StoreLock> SqliteTokenStore::lock(const std::string& /*key*/) {
    const int fd = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw std::runtime_error("cannot open the token store lock file " + lock_path_ + ": " + errno_text(errno));
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        throw std::runtime_error("cannot lock " + lock_path_ + ": " + errno_text(err));
    }
    return std::make_unique<FileLock>(fd);
}

}  // namespace app
