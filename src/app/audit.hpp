// The audit log: one SQLite row per tools/call (time, caller, tool, location, outcome, latency).
// Argument values and results are never written: they carry personal data and secrets.
#pragma once

#include "app/sqlite.hpp"

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace app {

struct AuditEntry {
    std::string time;      // ISO 8601 UTC, when the call finished
    std::string caller;    // key name, or "stdio" / "local" / "anonymous" / "GHL_MCP_API_KEY"
    std::string tool;
    std::string location;  // the sub-account the call acted on (or was refused for)
    std::string outcome;   // ok, tool_error, refused, input_required, error, unknown_tool, invalid_arguments
    int64_t latency_ms = 0;
};

class AuditLog {
public:
    /// Opens (creating it 0600 when missing) the audit database in WAL mode.
    explicit AuditLog(const std::string& path);

    /// Appends one row. Never throws: a failing audit write is logged, and the call it
    /// describes is not failed for it.
    void record(const AuditEntry& entry);
    /// The newest `limit` rows, newest first (tests, diagnostics).
    std::vector<AuditEntry> recent(size_t limit) const;

    const std::string& path() const { return db_.path(); }

private:
    mutable std::mutex mu_;
    mutable sqlite::Database db_;
    sqlite::Statement insert_;
};

/// Where the audit log goes by default: next to the keys file ("keys.db" -> "keys-audit.db").
std::string default_audit_path(const std::string& keys_file);

}  // namespace app
