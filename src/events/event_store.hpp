// The event store: every GHL webhook delivery we accepted, once. A small interface so the
// embedded SQLite store (app/event_store.hpp) can be joined by a shared one (PostgreSQL) later.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace events {

/// One accepted delivery. `body` is the exact bytes GHL signed; the other fields are indexed
/// copies of what the body says, for queries.
struct Event {
    std::int64_t seq = 0;     // store order (1, 2, ...); set by append()
    std::string key;          // the dedupe key: GHL's webhookId, else "sha256:" + hex of the body
    std::string type;         // GHL's "type" ("ContactCreate", "InboundMessage", ...)
    std::string location_id;  // the sub-account it happened in ("" for agency-level events)
    std::string contact_id;   // the contact it concerns, when it names one
    std::string occurred_at;  // GHL's timestamp (ISO 8601), else received_at
    std::string received_at;  // ISO 8601 UTC with milliseconds, when we stored it
    std::string body;         // the raw JSON body
};

/// What to read, newest first. Empty strings match anything.
struct EventQuery {
    std::string type;
    std::string contact_id;
    std::string location_id;
    std::string since;            // ISO 8601 UTC: received at or after this instant
    std::int64_t before_seq = 0;  // a cursor: only events older than this seq (0: from the newest)
    std::size_t limit = 50;
};

/// How long events are kept: the oldest go first when either bound is passed. Deduplication
/// remembers a delivery's key for max_age even when max_count removed its event earlier, so the
/// receiver, which refuses deliveries whose own timestamp is older than max_age, never takes a
/// replay for a new event.
struct Retention {
    std::chrono::seconds max_age = std::chrono::hours(24 * 30);
    std::size_t max_count = 100000;
};

enum class Appended { kStored, kDuplicate };

class EventStore {
  public:
    virtual ~EventStore() = default;
    /// Stores `event` durably (committed before this returns) unless an event with the same key
    /// is stored; sets event.seq when stored. Thread-safe. Throws std::runtime_error when the
    /// store cannot take it (nothing was stored then).
    virtual Appended append(Event& event) = 0;
    /// Matching events, newest first. Thread-safe.
    virtual std::vector<Event> query(const EventQuery& query) const = 0;
    /// Events stored now.
    virtual std::size_t count() const = 0;
    /// How long append() recognises a key it stored (its Retention::max_age): the receiver
    /// refuses deliveries older than this, whose twin it could no longer recognise.
    virtual std::chrono::seconds dedupe_window() const = 0;
};

}  // namespace events
