// The SQLite event store: group commits, dedupe under concurrency and across restarts, queries
// with cursors, retention.
#include "app/event_store.hpp"
#include "events/receiver.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <set>
#include <thread>

namespace {

using app::SqliteEventStore;
using events::Appended;
using events::Event;

Event make(const std::string& key, const std::string& type = "ContactCreate",
           const std::string& contact = "c1", const std::string& location = "loc1") {
    Event e;
    e.key = key;
    e.type = type;
    e.contact_id = contact;
    e.location_id = location;
    e.received_at = events::iso_utc(std::chrono::system_clock::now());
    e.occurred_at = e.received_at;
    e.body = R"({"type":")" + type + R"(","webhookId":")" + key + R"("})";
    return e;
}

TEST(EventStore, StoresOnceAndSaysWhenADeliveryIsADuplicate) {
    SqliteEventStore store(":memory:", {});
    Event a = make("w-1");
    EXPECT_EQ(store.append(a), Appended::kStored);
    EXPECT_EQ(a.seq, 1);
    Event again = make("w-1");
    EXPECT_EQ(store.append(again), Appended::kDuplicate);
    EXPECT_EQ(again.seq, 0);
    Event b = make("w-2");
    EXPECT_EQ(store.append(b), Appended::kStored);
    EXPECT_GT(b.seq, a.seq) << "seq only grows (a refused duplicate may use up a number)";
    EXPECT_EQ(store.count(), 2u);
}

TEST(EventStore, ConcurrentDeliveriesWithDuplicatesAreStoredExactlyOnceEach) {
    keys_test::TempDir dir;
    SqliteEventStore store(dir.file("events.db"), {});
    constexpr int kThreads = 8, kPerThread = 150, kUnique = 400;
    std::atomic<int> stored{0}, duplicates{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                Event e = make("w-" + std::to_string((t * 37 + i * 11) % kUnique));
                (store.append(e) == Appended::kStored ? stored : duplicates)++;
            }
        });
    for (auto& t : threads) t.join();
    std::set<int> sent;
    for (int t = 0; t < kThreads; ++t)
        for (int i = 0; i < kPerThread; ++i) sent.insert((t * 37 + i * 11) % kUnique);
    EXPECT_EQ(static_cast<std::size_t>(stored.load()), sent.size());
    EXPECT_EQ(stored + duplicates, kThreads * kPerThread);
    EXPECT_EQ(store.count(), sent.size());
    const auto stats = store.stats();
    EXPECT_EQ(stats.appended, sent.size());
    EXPECT_LT(stats.commits, static_cast<std::uint64_t>(kThreads * kPerThread))
        << "concurrent appends share commits (group commit)";
}

TEST(EventStore, SurvivesARestartAndStillDeduplicates) {
    keys_test::TempDir dir;
    const std::string path = dir.file("events.db");
    {
        SqliteEventStore store(path, {});
        Event e = make("w-keep");
        ASSERT_EQ(store.append(e), Appended::kStored);
    }
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << "events hold personal data: the file is private";
    SqliteEventStore reopened(path, {});
    EXPECT_EQ(reopened.count(), 1u);
    Event again = make("w-keep");
    EXPECT_EQ(reopened.append(again), Appended::kDuplicate);
    auto found = reopened.query({});
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].key, "w-keep");
    EXPECT_EQ(found[0].type, "ContactCreate");
}

TEST(EventStore, QueriesFilterAndPageNewestFirst) {
    SqliteEventStore store(":memory:", {});
    for (int i = 1; i <= 30; ++i) {
        Event e = make("w-" + std::to_string(i), i % 3 == 0 ? "InboundMessage" : "ContactUpdate",
                       i % 2 ? "odd" : "even", i <= 25 ? "loc1" : "loc2");
        store.append(e);
    }
    events::EventQuery q;
    q.limit = 4;
    auto page = store.query(q);
    ASSERT_EQ(page.size(), 4u);
    EXPECT_EQ(page[0].seq, 30);
    EXPECT_EQ(page[3].seq, 27);
    q.before_seq = page.back().seq;
    page = store.query(q);
    EXPECT_EQ(page.front().seq, 26);

    events::EventQuery by_type;
    by_type.type = "InboundMessage";
    by_type.limit = 100;
    EXPECT_EQ(store.query(by_type).size(), 10u);
    by_type.contact_id = "even";
    EXPECT_EQ(store.query(by_type).size(), 5u);
    by_type.location_id = "loc2";
    EXPECT_EQ(store.query(by_type).size(), 1u) << "seq 30 only";

    events::EventQuery later;
    later.since = events::iso_utc(std::chrono::system_clock::now() + std::chrono::hours(1));
    EXPECT_TRUE(store.query(later).empty());
}

TEST(EventStore, RetentionDropsTheOldestByCountAndByAge) {
    events::Retention r;
    r.max_count = 10;
    SqliteEventStore store(":memory:", r);
    Event old = make("w-old");
    old.received_at =
        events::iso_utc(std::chrono::system_clock::now() - std::chrono::hours(24 * 40));
    store.append(old);
    for (int i = 0; i < 15; ++i) {
        Event e = make("w-" + std::to_string(i));
        store.append(e);
    }
    EXPECT_EQ(store.prune(), 6u) << "the 40-day-old one by age, then 5 more by count";
    EXPECT_EQ(store.count(), 10u);
    auto kept = store.query({});
    EXPECT_EQ(kept.front().key, "w-14");
    EXPECT_EQ(kept.back().key, "w-5");
}

TEST(EventStore, KeysOfEventsTheCountCapRemovedAreStillDuplicatesUntilMaxAge) {
    // Before: the count cap forgot a delivery with its event, so its replay (signature and
    // timestamp still good) was stored again as new.
    events::Retention r;
    r.max_count = 3;
    SqliteEventStore store(":memory:", r);
    for (int i = 0; i < 6; ++i) {
        Event e = make("w-" + std::to_string(i));
        ASSERT_EQ(store.append(e), Appended::kStored);
    }
    EXPECT_EQ(store.prune(), 3u);
    EXPECT_EQ(store.count(), 3u);
    Event replay = make("w-0");
    EXPECT_EQ(store.append(replay), Appended::kDuplicate);
    EXPECT_EQ(store.count(), 3u);
    Event fresh = make("w-new");
    EXPECT_EQ(store.append(fresh), Appended::kStored);
    EXPECT_EQ(store.dedupe_window(), r.max_age);
}

TEST(EventStore, RemovedKeysGoAtMaxAge) {
    events::Retention r;
    r.max_count = 1;
    SqliteEventStore store(":memory:", r);
    Event old = make("w-old");
    old.received_at = events::iso_utc(std::chrono::system_clock::now() - r.max_age -
                                      std::chrono::hours(1));
    store.append(old);
    Event newer = make("w-newer");
    newer.received_at = events::iso_utc(std::chrono::system_clock::now() - std::chrono::hours(1));
    store.append(newer);
    Event now = make("w-now");
    store.append(now);
    EXPECT_EQ(store.prune(), 2u);
    // w-old is past max_age: forgotten (the receiver refuses a delivery that old anyway);
    // w-newer went by count: remembered.
    Event again = make("w-old");
    EXPECT_EQ(store.append(again), Appended::kStored);
    Event newer_again = make("w-newer");
    EXPECT_EQ(store.append(newer_again), Appended::kDuplicate);
}

}  // namespace
