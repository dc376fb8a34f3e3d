#include "app/event_store.hpp"

#include "events/receiver.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace app {
namespace {

constexpr std::size_t kMaxGroup = 512;
constexpr std::uint64_t kPruneEvery = 1000;
constexpr auto kPruneInterval = std::chrono::minutes(1);

sqlite::Database& prepared(sqlite::Database& db) {
    // synchronous=FULL: a commit is on disk before append() returns (WAL makes that one fsync per
    // group). The key is UNIQUE: deduplication holds across threads, restarts and processes.
    if (db.path() != ":memory:") db.use_wal();  // another process may be creating it too
    db.exec(
        "PRAGMA synchronous=FULL;"
        "CREATE TABLE IF NOT EXISTS events ("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  key TEXT NOT NULL UNIQUE,"
        "  type TEXT NOT NULL,"
        "  location_id TEXT NOT NULL,"
        "  contact_id TEXT NOT NULL,"
        "  occurred_at TEXT NOT NULL,"
        "  received_at TEXT NOT NULL,"
        "  body TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS events_type ON events(type, seq);"
        "CREATE INDEX IF NOT EXISTS events_contact ON events(contact_id, seq);"
        "CREATE INDEX IF NOT EXISTS events_received ON events(received_at);"
        // The keys of events the count cap removed before max_age: deduplication must still
        // know them until max_age, or a replay of such a delivery would pass for a new event.
        // A key and a time per event: small, whatever the bodies were.
        "CREATE TABLE IF NOT EXISTS removed_keys ("
        "  key TEXT PRIMARY KEY,"
        "  received_at TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS removed_keys_received ON removed_keys(received_at);");
    return db;
}

}  // namespace

struct SqliteEventStore::Pending {
    events::Event* event;
    events::Appended result = events::Appended::kDuplicate;
    std::exception_ptr error;
    bool done = false;
};

SqliteEventStore::SqliteEventStore(const std::string& path, events::Retention retention)
    : retention_(retention),
      db_(path, /*create=*/true),
      insert_(prepared(db_).prepare(
          "INSERT INTO events (key, type, location_id, contact_id, occurred_at, received_at, body) "
          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING RETURNING seq")),
      removed_(db_.prepare("SELECT 1 FROM removed_keys WHERE key = ?")) {
    writer_ = std::thread([this] { writer(); });
}

SqliteEventStore::~SqliteEventStore() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    writer_.join();
}

events::Appended SqliteEventStore::append(events::Event& event) {
    Pending p{&event};
    std::unique_lock lock(mu_);
    if (stopping_) throw std::runtime_error("the event store is closing");
    queue_.push_back(&p);
    cv_.notify_all();
    cv_.wait(lock, [&] { return p.done; });
    if (p.error) std::rethrow_exception(p.error);
    return p.result;
}

void SqliteEventStore::writer() {
    auto last_prune = std::chrono::steady_clock::now();
    std::uint64_t since_prune = 0;
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait_for(lock, kPruneInterval, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_) return;
        std::deque<Pending*> group;
        while (!queue_.empty() && group.size() < kMaxGroup) {
            group.push_back(queue_.front());
            queue_.pop_front();
        }
        lock.unlock();
        if (!group.empty()) commit(group);
        std::size_t stored = 0;
        for (auto* p : group)
            if (!p->error && p->result == events::Appended::kStored) ++stored;
        since_prune += stored;
        std::size_t pruned = 0;
        const auto now = std::chrono::steady_clock::now();
        if (since_prune >= kPruneEvery || now - last_prune >= kPruneInterval) {
            try {
                std::lock_guard db(db_mu_);
                pruned = prune_locked();
            } catch (const std::exception& e) {
                spdlog::warn("event store: retention failed: {}", e.what());
            }
            since_prune = 0;
            last_prune = now;
        }
        lock.lock();
        if (!group.empty()) {
            ++stats_.commits;
            stats_.appended += stored;
            stats_.largest_group = std::max(stats_.largest_group, group.size());
        }
        stats_.pruned += pruned;
        for (auto* p : group) p->done = true;
        cv_.notify_all();
    }
}

void SqliteEventStore::commit(std::deque<Pending*>& group) {
    std::lock_guard db(db_mu_);
    try {
        db_.exec("BEGIN IMMEDIATE");
        for (auto* p : group) {
            const events::Event& e = *p->event;
            removed_.reset();
            removed_.bind(1, e.key);
            const bool removed_early = removed_.step();
            removed_.reset();
            if (removed_early) {  // its event is gone (count cap), its key not yet forgotten
                p->result = events::Appended::kDuplicate;
                continue;
            }
            insert_.reset();
            insert_.bind(1, e.key)
                .bind(2, e.type)
                .bind(3, e.location_id)
                .bind(4, e.contact_id)
                .bind(5, e.occurred_at)
                .bind(6, e.received_at)
                .bind(7, e.body);
            if (insert_.step()) {
                p->event->seq = insert_.integer(0);
                p->result = events::Appended::kStored;
                insert_.step();  // finish the statement
            } else {
                p->result =
                    events::Appended::kDuplicate;  // same key in the store or earlier in this group
            }
        }
        insert_.reset();
        db_.exec("COMMIT");
    } catch (const std::exception&) {
        const auto error = std::current_exception();
        insert_.reset();
        removed_.reset();
        try {
            db_.exec("ROLLBACK");
        } catch (const std::exception&) {
        }
        for (auto* p : group) {  // nothing of this group is stored: every caller hears so
            p->event->seq = 0;
            p->error = error;
        }
    }
}

std::size_t SqliteEventStore::prune() {
    std::lock_guard db(db_mu_);
    return prune_locked();
}

std::size_t SqliteEventStore::prune_locked() {
    const std::string cutoff =
        events::iso_utc(std::chrono::system_clock::now() - retention_.max_age);
    db_.exec("BEGIN IMMEDIATE");
    try {
        auto by_age = db_.prepare("DELETE FROM events WHERE received_at < ?");
        by_age.bind(1, cutoff);
        by_age.run();
        std::size_t removed = static_cast<std::size_t>(db_.changes());
        auto keys_by_age = db_.prepare("DELETE FROM removed_keys WHERE received_at < ?");
        keys_by_age.bind(1, cutoff);
        keys_by_age.run();
        // Past the count cap the oldest events go, but their keys stay until max_age.
        const char* over_cap =
            "seq <= (SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?1)";
        auto keep_keys = db_.prepare(
            std::string("INSERT OR IGNORE INTO removed_keys (key, received_at) SELECT key, "
                        "received_at FROM events WHERE ") + over_cap);
        keep_keys.bind(1, static_cast<int64_t>(retention_.max_count));
        keep_keys.run();
        auto by_count = db_.prepare(std::string("DELETE FROM events WHERE ") + over_cap);
        by_count.bind(1, static_cast<int64_t>(retention_.max_count));
        by_count.run();
        removed += static_cast<std::size_t>(db_.changes());
        db_.exec("COMMIT");
        return removed;
    } catch (const std::exception&) {
        try {
            db_.exec("ROLLBACK");
        } catch (const std::exception&) {
        }
        throw;
    }
}

std::vector<events::Event> SqliteEventStore::query(const events::EventQuery& q) const {
    std::string sql =
        "SELECT seq, key, type, location_id, contact_id, occurred_at, received_at, body FROM "
        "events WHERE 1=1";
    if (!q.type.empty()) sql += " AND type = ?1";
    if (!q.contact_id.empty()) sql += " AND contact_id = ?2";
    if (!q.location_id.empty()) sql += " AND location_id = ?3";
    if (!q.since.empty()) sql += " AND received_at >= ?4";
    if (q.before_seq > 0) sql += " AND seq < ?5";
    sql += " ORDER BY seq DESC LIMIT ?6";
    std::lock_guard db(db_mu_);
    auto s = db_.prepare(sql);
    if (!q.type.empty()) s.bind(1, q.type);
    if (!q.contact_id.empty()) s.bind(2, q.contact_id);
    if (!q.location_id.empty()) s.bind(3, q.location_id);
    if (!q.since.empty()) s.bind(4, q.since);
    if (q.before_seq > 0) s.bind(5, q.before_seq);
    s.bind(6, static_cast<int64_t>(q.limit));
    std::vector<events::Event> out;
    while (s.step())
        out.push_back({s.integer(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5),
                       s.text(6), s.text(7)});
    return out;
}

std::size_t SqliteEventStore::count() const {
    std::lock_guard db(db_mu_);
    auto s = db_.prepare("SELECT COUNT(*) FROM events");
    s.step();
    return static_cast<std::size_t>(s.integer(0));
}

std::chrono::seconds SqliteEventStore::dedupe_window() const { return retention_.max_age; }

SqliteEventStore::Stats SqliteEventStore::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

}  // namespace app
