// The audit log: one SQLite row per tools/call (time, caller, tool, location, outcome, latency).
// Argument values and results are never written: they carry personal data and secrets.
//
// It stays bounded: rows older than AuditRetention::max_age go, and the oldest go past max_rows,
// pruned by a background thread in small batches on its own connection (a call never waits for
// more than one batch). Refusals (calls stopped before any GHL request: refused, unknown_tool,
// invalid_arguments) cost a client nothing, so a flood of them is counted instead of written
// row by row: within refusal_window, one row per caller, tool, sub-account and outcome whose
// `count` grows, and past max_refusal_rows distinct rows per caller a single "*" row (tool and
// location "*") per outcome counts the rest. Every refusal is still in a count.
#pragma once

#include "app/sqlite.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace app {

struct AuditEntry {
    std::string time;      // ISO 8601 UTC, when the call finished (a counted row: the first one)
    std::string caller;    // key name, or "stdio" / "local" / "anonymous" / "GHL_MCP_API_KEY"
    std::string tool;      // "*": other tools (a caller's refusals past max_refusal_rows)
    std::string location;  // the sub-account the call acted on (or was refused for); "*" as tool
    std::string outcome;   // ok, tool_error, refused, input_required, error, unknown_tool, invalid_arguments
    int64_t latency_ms = 0;  // a counted row: the longest
    int64_t count = 1;       // calls this row stands for (> 1 only for refusals)
    std::string last_time;   // a counted row: when its last call finished ("" when count is 1)
};

struct AuditRetention {
    /// Rows older than this are removed (--audit-max-age-days, GHL_MCP_AUDIT_MAX_AGE_DAYS).
    std::chrono::seconds max_age = std::chrono::hours(24 * 90);
    /// Past this many rows the oldest are removed (--audit-max-rows, GHL_MCP_AUDIT_MAX_ROWS).
    std::size_t max_rows = 1'000'000;
    /// Refusals of one caller within this window share rows (see above).
    std::chrono::seconds refusal_window = std::chrono::minutes(1);
    /// Distinct refusal rows one caller may open per window before the "*" row counts the rest.
    std::size_t max_refusal_rows = 20;
    /// How often the background thread prunes.
    std::chrono::seconds prune_every = std::chrono::minutes(10);
};

class AuditLog {
public:
    /// Opens (creating it 0600 when missing) the audit database in WAL mode, adds the columns
    /// of counted rows to a log made by an older version, and starts the pruning thread (which
    /// prunes once at start).
    explicit AuditLog(const std::string& path, AuditRetention retention = {});
    /// Stops the pruning thread.
    ~AuditLog();
    AuditLog(const AuditLog&) = delete;
    AuditLog& operator=(const AuditLog&) = delete;

    /// Appends one row, or counts a refusal on its open row. Never throws: a failing audit write
    /// is logged, and the call it describes is not failed for it.
    void record(const AuditEntry& entry);
    /// The newest `limit` rows, newest first (tests, diagnostics).
    std::vector<AuditEntry> recent(size_t limit) const;
    /// Applies the retention now (the thread does so every prune_every); returns rows removed.
    std::size_t prune();

    const std::string& path() const { return db_.path(); }

private:
    using RowKey = std::tuple<std::string, std::string, std::string, std::string>;
    struct OpenRow {
        int64_t id;
        std::chrono::steady_clock::time_point opened;
    };
    struct CallerWindow {
        std::chrono::steady_clock::time_point start;
        std::size_t rows = 0;
    };
    int64_t insert_row(const AuditEntry& e, const std::string& time, const std::string& tool,
                       const std::string& location);
    void count_refusal(const AuditEntry& e, const std::string& time);
    void forget_closed_windows(std::chrono::steady_clock::time_point now);
    void pruner();

    AuditRetention retention_;
    mutable std::mutex mu_;
    mutable sqlite::Database db_;
    sqlite::Statement insert_;
    sqlite::Statement count_;
    std::map<RowKey, OpenRow> open_rows_;          // refusal rows still counting
    std::map<std::string, CallerWindow> windows_;  // per caller: its refusal window
    std::chrono::steady_clock::time_point last_sweep_;

    std::mutex prune_mu_;  // one prune at a time (the thread, prune())
    std::mutex stop_mu_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;
    std::thread pruner_;
};

/// Where the audit log goes by default: next to the keys file ("keys.db" -> "keys-audit.db").
std::string default_audit_path(const std::string& keys_file);

}  // namespace app
