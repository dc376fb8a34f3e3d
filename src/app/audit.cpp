#include "app/audit.hpp"

#include "mcp/crypto.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace app {
namespace {

sqlite::Database& prepared(sqlite::Database& db) {
    db.exec(
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "CREATE TABLE IF NOT EXISTS audit_log ("
        "  id INTEGER PRIMARY KEY,"
        "  time TEXT NOT NULL,"
        "  caller TEXT NOT NULL,"
        "  tool TEXT NOT NULL,"
        "  location TEXT NOT NULL,"
        "  outcome TEXT NOT NULL,"
        "  latency_ms INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log(time);");
    return db;
}

}  // namespace

AuditLog::AuditLog(const std::string& path)
    : db_(path, /*create=*/true),
      insert_(prepared(db_).prepare(
          "INSERT INTO audit_log (time, caller, tool, location, outcome, latency_ms) VALUES (?, ?, ?, ?, ?, ?)")) {}

void AuditLog::record(const AuditEntry& e) {
    try {
        std::lock_guard lock(mu_);
        insert_.reset();
        insert_.bind(1, e.time.empty() ? mcp::iso_now() : e.time)
            .bind(2, e.caller)
            .bind(3, e.tool)
            .bind(4, e.location)
            .bind(5, e.outcome)
            .bind(6, e.latency_ms);
        insert_.run();
    } catch (const std::exception& ex) {
        spdlog::error("audit log: cannot record a call of {}: {}", e.tool, ex.what());
    }
}

std::vector<AuditEntry> AuditLog::recent(size_t limit) const {
    std::lock_guard lock(mu_);
    auto s = db_.prepare(
        "SELECT time, caller, tool, location, outcome, latency_ms FROM audit_log ORDER BY id DESC LIMIT ?");
    s.bind(1, static_cast<int64_t>(limit));
    std::vector<AuditEntry> out;
    while (s.step())
        out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.integer(5)});
    return out;
}

std::string default_audit_path(const std::string& keys_file) {
    std::filesystem::path p(keys_file);
    std::string name = p.stem().string() + "-audit" + p.extension().string();
    return (p.parent_path() / name).string();
}

}  // namespace app
