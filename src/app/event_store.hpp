// The embedded event store: SQLite in WAL mode (GHL_MCP_EVENTS_DB, default
// ~/.local/state/ghl-mcp/events.db; ":memory:" in the sandbox). Many webhook threads append at
// once; one writer thread commits them in groups (one transaction and one fsync per group), so
// each append() returns only after its event is durable, without paying an fsync per event.
// Several processes may share the file: an HTTP server receives, a stdio server reads.
#pragma once

#include "app/sqlite.hpp"
#include "events/event_store.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace app {

class SqliteEventStore : public events::EventStore {
  public:
    /// Opens (creating, mode 0600) the store. Throws sqlite::Error naming the file.
    SqliteEventStore(const std::string& path, events::Retention retention);
    /// Commits what is queued, then stops the writer.
    ~SqliteEventStore() override;

    events::Appended append(events::Event& event) override;
    std::vector<events::Event> query(const events::EventQuery& query) const override;
    std::size_t count() const override;
    std::chrono::seconds dedupe_window() const override;

    /// Applies the retention now (the writer also does this every minute and every 1,000
    /// events); returns how many events were removed.
    std::size_t prune();
    const std::string& path() const { return db_.path(); }

    struct Stats {
        std::uint64_t commits = 0, appended = 0, pruned = 0;
        std::size_t largest_group = 0;
    };
    Stats stats() const;

  private:
    struct Pending;
    void writer();
    void commit(std::deque<Pending*>& group);
    std::size_t prune_locked();

    events::Retention retention_;
    mutable std::mutex db_mu_;  // the connection: the writer's groups and readers take turns
    mutable sqlite::Database db_;
    sqlite::Statement insert_;
    sqlite::Statement removed_;  // is a key in removed_keys?

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Pending*> queue_;
    bool stopping_ = false;
    Stats stats_;
    std::thread writer_;
};

}  // namespace app
