#include "app/audit.hpp"

#include "events/receiver.hpp"
#include "mcp/crypto.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <utility>

namespace app {
namespace {

// Rows removed per statement: a call waits for one batch at most (the file's write lock).
constexpr int64_t kPruneBatch = 2000;

bool has_column(sqlite::Database& db, const std::string& column) {
    auto s = db.prepare("PRAGMA table_info(audit_log)");
    while (s.step())
        if (s.text(1) == column) return true;
    return false;
}

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
        "  latency_ms INTEGER NOT NULL,"
        "  calls INTEGER NOT NULL DEFAULT 1,"
        "  last_time TEXT NOT NULL DEFAULT '');"
        "CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log(time);");
    // A log written before refusals were counted: add the columns (every old row is one call).
    for (const auto& [column, type] : {std::pair{"calls", "INTEGER NOT NULL DEFAULT 1"},
                                       std::pair{"last_time", "TEXT NOT NULL DEFAULT ''"}}) {
        if (has_column(db, column)) continue;
        try {
            db.exec(std::string("ALTER TABLE audit_log ADD COLUMN ") + column + " " + type);
        } catch (const sqlite::Error&) {
            if (!has_column(db, column)) throw;  // else another process added it first
        }
    }
    return db;
}

// Calls stopped before any GHL request: free for the client, so they are counted, not listed.
bool counted(const std::string& outcome) {
    return outcome == "refused" || outcome == "unknown_tool" || outcome == "invalid_arguments";
}

}  // namespace

AuditLog::AuditLog(const std::string& path, AuditRetention retention)
    : retention_(retention),
      db_(path, /*create=*/true),
      insert_(prepared(db_).prepare(
          "INSERT INTO audit_log (time, caller, tool, location, outcome, latency_ms) "
          "VALUES (?, ?, ?, ?, ?, ?) RETURNING id")),
      count_(db_.prepare("UPDATE audit_log SET calls = calls + 1, last_time = ?1, "
                         "latency_ms = MAX(latency_ms, ?2) WHERE id = ?3")) {
    pruner_ = std::thread([this] { pruner(); });
}

AuditLog::~AuditLog() {
    {
        std::lock_guard lock(stop_mu_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
    pruner_.join();
}

int64_t AuditLog::insert_row(const AuditEntry& e, const std::string& time, const std::string& tool,
                             const std::string& location) {
    insert_.reset();
    insert_.bind(1, time).bind(2, e.caller).bind(3, tool).bind(4, location).bind(5, e.outcome).bind(6, e.latency_ms);
    insert_.step();
    const int64_t id = insert_.integer(0);
    insert_.reset();
    return id;
}

void AuditLog::forget_closed_windows(std::chrono::steady_clock::time_point now) {
    if (now - last_sweep_ < retention_.refusal_window) return;
    last_sweep_ = now;
    const auto closed = now - retention_.refusal_window;
    std::erase_if(open_rows_, [&](const auto& row) { return row.second.opened < closed; });
    std::erase_if(windows_, [&](const auto& w) { return w.second.start < closed; });
}

void AuditLog::count_refusal(const AuditEntry& e, const std::string& time) {
    const auto now = std::chrono::steady_clock::now();
    forget_closed_windows(now);
    auto [w, fresh] = windows_.try_emplace(e.caller, CallerWindow{now, 0});
    CallerWindow& window = w->second;
    if (!fresh && now - window.start >= retention_.refusal_window) window = {now, 0};
    auto open = [&](const RowKey& key) {
        auto it = open_rows_.find(key);
        return it != open_rows_.end() && it->second.opened >= window.start ? it : open_rows_.end();
    };
    RowKey key{e.caller, e.tool, e.location, e.outcome};
    auto it = open(key);
    const bool overflow = it == open_rows_.end() && window.rows >= retention_.max_refusal_rows;
    if (overflow) {
        key = RowKey{e.caller, "*", "*", e.outcome};
        it = open(key);
    }
    if (it != open_rows_.end()) {
        count_.reset();
        count_.bind(1, time).bind(2, e.latency_ms).bind(3, it->second.id);
        count_.run();
        if (db_.changes() > 0) return;
        // The row was pruned meanwhile (a tiny max_rows): open another.
    }
    const int64_t id = insert_row(e, time, std::get<1>(key), std::get<2>(key));
    open_rows_[key] = {id, now};
    if (!overflow) ++window.rows;
}

void AuditLog::record(const AuditEntry& e) {
    try {
        std::lock_guard lock(mu_);
        const std::string time = e.time.empty() ? mcp::iso_now() : e.time;
        if (counted(e.outcome))
            count_refusal(e, time);
        else
            insert_row(e, time, e.tool, e.location);
    } catch (const std::exception& ex) {
        spdlog::error("audit log: cannot record a call of {}: {}", e.tool, ex.what());
    }
}

std::vector<AuditEntry> AuditLog::recent(size_t limit) const {
    std::lock_guard lock(mu_);
    auto s = db_.prepare(
        "SELECT time, caller, tool, location, outcome, latency_ms, calls, last_time FROM audit_log "
        "ORDER BY id DESC LIMIT ?");
    s.bind(1, static_cast<int64_t>(limit));
    std::vector<AuditEntry> out;
    while (s.step())
        out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.integer(5),
                       s.integer(6), s.text(7)});
    return out;
}

std::size_t AuditLog::prune() {
    std::lock_guard one_at_a_time(prune_mu_);
    // Its own connection (WAL: reading the cut-off never blocks a call; each DELETE batch holds
    // the write lock briefly). An in-memory log has only the one connection: take turns on it.
    const bool shared = db_.path() == ":memory:";
    std::unique_ptr<sqlite::Database> own;
    if (!shared) own = std::make_unique<sqlite::Database>(db_.path(), /*create=*/false);
    sqlite::Database& db = shared ? db_ : *own;
    auto turn = [&] { return shared ? std::unique_lock(mu_) : std::unique_lock<std::mutex>(); };
    std::size_t removed = 0;
    auto in_batches = [&](const std::string& where, auto bind) {
        for (;;) {
            auto lock = turn();
            auto s = db.prepare("DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE " +
                                where + " ORDER BY id LIMIT ?2)");
            bind(s);
            s.bind(2, kPruneBatch);
            s.run();
            const auto n = db.changes();
            removed += static_cast<std::size_t>(n);
            if (n < kPruneBatch) return;
        }
    };
    const std::string cutoff = events::iso_utc(std::chrono::system_clock::now() - retention_.max_age);
    in_batches("time < ?1", [&](sqlite::Statement& s) { s.bind(1, cutoff); });
    int64_t last_dropped = 0;  // the newest id past max_rows
    {
        auto lock = turn();
        auto s = db.prepare("SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ?");
        s.bind(1, static_cast<int64_t>(retention_.max_rows));
        if (s.step()) last_dropped = s.integer(0);
    }
    if (last_dropped > 0)
        in_batches("id <= ?1", [&](sqlite::Statement& s) { s.bind(1, last_dropped); });
    return removed;
}

void AuditLog::pruner() {
    std::unique_lock lock(stop_mu_);
    for (;;) {
        lock.unlock();
        try {
            if (const auto n = prune(); n > 0)
                spdlog::info("audit log: removed {} rows past its retention", n);
        } catch (const std::exception& e) {
            spdlog::warn("audit log: retention failed (tried again in {} s): {}",
                         retention_.prune_every.count(), e.what());
        }
        lock.lock();
        if (stop_cv_.wait_for(lock, retention_.prune_every, [&] { return stopping_; })) return;
    }
}

std::string default_audit_path(const std::string& keys_file) {
    std::filesystem::path p(keys_file);
    std::string name = p.stem().string() + "-audit" + p.extension().string();
    return (p.parent_path() / name).string();
}

}  // namespace app
