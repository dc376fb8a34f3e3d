#include "app/sqlite.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace app::sqlite {

bool Error::unique_violation() const {
    return code_ == SQLITE_CONSTRAINT_UNIQUE || code_ == SQLITE_CONSTRAINT_PRIMARYKEY;
}

Database::Database(const std::string& path, bool create) : path_(path) {
    struct stat st {};
    if (path == ":memory:") {
        // a private in-memory database (tests, the sandbox's event store): no file to guard
    } else if (::stat(path.c_str(), &st) != 0) {
        if (!create) throw Error(path + " does not exist", SQLITE_CANTOPEN);
        // Create it 0600 ourselves: sqlite3_open would honour the umask (often 0644).
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            throw Error("cannot create " + path + ": " + std::strerror(errno), SQLITE_CANTOPEN);
        if (fd >= 0) ::close(fd);
    } else if ((st.st_mode & 077) != 0) {
        if (::chmod(path.c_str(), 0600) != 0)
            throw Error(path + " is readable by others and cannot be made private: " +
                            std::strerror(errno),
                        SQLITE_PERM);
    }
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw Error("cannot open " + path + ": " + msg, rc);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);  // the CLI and a running server share the file
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::fail(const std::string& what, int code) const {
    throw Error(path_ + ": " + what + ": " + sqlite3_errmsg(db_), code);
}

void Database::exec(std::string_view sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw Error(path_ + ": " + msg, rc);
    }
}

Statement Database::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &stmt, nullptr);
    if (rc != SQLITE_OK) fail("cannot prepare statement", rc);
    return Statement(*this, stmt);
}

int Database::changes() const { return sqlite3_changes(db_); }

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
}

Statement& Statement::bind(int index, std::string_view text) {
    if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK)
        db_->fail("cannot bind a value", SQLITE_ERROR);
    return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    if (sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT) != SQLITE_OK)
        db_->fail("cannot bind a value", SQLITE_ERROR);
    return *this;
}

Statement& Statement::bind(int index, int64_t value) {
    if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_->fail("cannot bind a value", SQLITE_ERROR);
    return *this;
}

Statement& Statement::bind_null(int index) {
    if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) db_->fail("cannot bind a value", SQLITE_ERROR);
    return *this;
}

std::string Database::use_wal(std::chrono::milliseconds patience) {
    const auto until = std::chrono::steady_clock::now() + patience;
    for (auto pause = std::chrono::milliseconds(1);; pause = std::min(pause * 2, std::chrono::milliseconds(50))) {
        try {
            auto s = prepare("PRAGMA journal_mode=WAL");
            return s.step() ? s.text(0) : std::string();
        } catch (const Error& e) {
            if ((e.code() & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= until) throw;
        }
        std::this_thread::sleep_for(pause);
    }
}

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3_reset(stmt_);
    db_->fail("statement failed", rc);
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) const {
    const unsigned char* p = sqlite3_column_text(stmt_, column);
    if (!p) return {};
    return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string Statement::blob(int column) const {
    const void* p = sqlite3_column_blob(stmt_, column);
    if (!p) return {};
    return std::string(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

}  // namespace app::sqlite
