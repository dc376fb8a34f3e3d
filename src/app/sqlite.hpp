// A thin RAII layer over the SQLite C API for the app's small stores (API keys, audit log):
// one connection, prepared statements, errors as std::runtime_error naming the file.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace app::sqlite {

class Statement;

/// A failed SQLite call; `code` is the extended result code (e.g. SQLITE_CONSTRAINT_UNIQUE).
class Error : public std::runtime_error {
public:
    Error(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
    int code() const { return code_; }
    bool unique_violation() const;

private:
    int code_;
};

/// One connection. The file is created with mode 0600 when missing; an existing file that
/// group or others may read is tightened to 0600 (it holds key hashes or the audit trail).
class Database {
public:
    /// `create`: make the file when it does not exist (else a missing file is an error).
    Database(const std::string& path, bool create);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /// Runs one or more statements without results (schema, pragmas). Throws on error.
    void exec(std::string_view sql);
    Statement prepare(std::string_view sql);
    /// Switches the file to write-ahead logging and returns the journal mode now in force
    /// ("wal" unless the file system cannot). Connections racing to do this on a new file can get
    /// SQLITE_BUSY without the busy handler being asked (the switch needs the exclusive lock), so
    /// it is retried for up to `patience`.
    std::string use_wal(std::chrono::milliseconds patience = std::chrono::milliseconds(5000));
    /// Rows changed by the last INSERT/UPDATE/DELETE.
    int changes() const;
    const std::string& path() const { return path_; }
    [[noreturn]] void fail(const std::string& what, int code) const;

private:
    std::string path_;
    sqlite3* db_ = nullptr;
};

/// A prepared statement; bind with 1-based indexes, step(), read columns, reset() to reuse.
class Statement {
public:
    Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;

    Statement& bind(int index, std::string_view text);
    Statement& bind_blob(int index, std::string_view bytes);
    Statement& bind(int index, int64_t value);
    Statement& bind_null(int index);
    /// True when a row is ready; false when done. Throws on error (e.g. a UNIQUE violation).
    bool step();
    /// Runs to completion (statements without rows).
    void run();
    void reset();

    std::string text(int column) const;  // NULL reads as ""
    std::string blob(int column) const;
    int64_t integer(int column) const;
    bool is_null(int column) const;

private:
    Database* db_;
    sqlite3_stmt* stmt_;
};

}  // namespace app::sqlite
