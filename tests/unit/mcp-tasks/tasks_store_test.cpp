// InMemoryTaskStore and the task wire shapes.
#include "mcp/tasks.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace {

using mcp::InMemoryTaskStore;
using mcp::json;
using mcp::TaskRecord;
using mcp::TaskStatus;
using namespace std::chrono_literals;

TaskRecord record(const std::string& id) {
    TaskRecord r;
    r.id = id;
    r.created_at = r.updated_at = "2026-07-28T10:00:00.000Z";
    r.ttl_ms = 60'000;
    r.poll_interval_ms = 250;
    return r;
}

TEST(TaskStore, InsertGetAndVersionedUpdate) {
    InMemoryTaskStore store(10);
    ASSERT_TRUE(store.insert(record("a")));
    EXPECT_FALSE(store.insert(record("a"))) << "ids are unique";
    auto r = store.get("a");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->version, 1u);

    auto same = store.update("a", [](TaskRecord&) { return false; });
    ASSERT_TRUE(same);
    EXPECT_EQ(same->version, 1u) << "an update that changes nothing keeps the version";

    auto changed = store.update("a", [](TaskRecord& t) {
        t.status = TaskStatus::kCompleted;
        return true;
    });
    ASSERT_TRUE(changed);
    EXPECT_EQ(changed->version, 2u);
    EXPECT_EQ(store.get("a")->status, TaskStatus::kCompleted);

    EXPECT_FALSE(store.get("missing"));
    EXPECT_FALSE(store.update("missing", [](TaskRecord&) { return true; }));
}

TEST(TaskStore, RefusesInsertsWhenFull) {
    InMemoryTaskStore store(2);
    EXPECT_TRUE(store.insert(record("a")));
    EXPECT_TRUE(store.insert(record("b")));
    EXPECT_FALSE(store.insert(record("c")));
    EXPECT_EQ(store.size(), 2u);
}

TEST(TaskStore, PurgesOnlyExpiredRecords) {
    InMemoryTaskStore store;
    const auto now = std::chrono::system_clock::now();
    TaskRecord old = record("old");
    old.expires_at = now - 1s;
    TaskRecord fresh = record("fresh");
    fresh.expires_at = now + 1h;
    TaskRecord forever = record("forever");  // unlimited TTL: expires_at stays max()
    forever.ttl_ms.reset();
    ASSERT_TRUE(store.insert(old));
    ASSERT_TRUE(store.insert(fresh));
    ASSERT_TRUE(store.insert(forever));

    EXPECT_EQ(store.purge_expired(now), std::vector<std::string>{"old"});
    EXPECT_FALSE(store.get("old"));
    EXPECT_TRUE(store.get("fresh"));
    // Far in the future only the unlimited one survives.
    EXPECT_EQ(store.purge_expired(now + 2h), std::vector<std::string>{"fresh"});
    EXPECT_TRUE(store.get("forever"));
}

TEST(TaskStore, WaitChangeWakesOnUpdateAndRemoval) {
    InMemoryTaskStore store;
    TaskRecord r = record("w");
    r.expires_at = std::chrono::system_clock::now() + 1h;
    ASSERT_TRUE(store.insert(r));

    std::thread writer([&] {
        std::this_thread::sleep_for(10ms);
        store.update("w", [](TaskRecord& t) {
            t.status = TaskStatus::kInputRequired;
            return true;
        });
    });
    auto seen = store.wait_change("w", 1, 20s);
    writer.join();
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->version, 2u);
    EXPECT_EQ(seen->status, TaskStatus::kInputRequired);

    // Without a change the wait times out and returns the current record.
    auto same = store.wait_change("w", 2, 1ms);
    ASSERT_TRUE(same);
    EXPECT_EQ(same->version, 2u);

    std::thread purger([&] {
        std::this_thread::sleep_for(10ms);
        store.purge_expired(std::chrono::system_clock::now() + 2h);
    });
    EXPECT_FALSE(store.wait_change("w", 2, 20s)) << "a removed task ends the wait";
    purger.join();
}

TEST(TaskWire, ShapesFollowTheStatus) {
    TaskRecord r = record("t1");
    json working = mcp::task_to_wire(r, true);
    EXPECT_EQ(working["taskId"], "t1");
    EXPECT_EQ(working["status"], "working");
    EXPECT_EQ(working["ttlMs"], 60'000);
    EXPECT_EQ(working["pollIntervalMs"], 250);
    EXPECT_EQ(working["createdAt"], "2026-07-28T10:00:00.000Z");
    EXPECT_TRUE(working.contains("lastUpdatedAt"));
    for (const char* absent : {"result", "error", "inputRequests", "ttl", "pollInterval", "requestState"})
        EXPECT_FALSE(working.contains(absent)) << absent;

    r.status = TaskStatus::kInputRequired;
    r.input_requests = {{"q", {{"method", "elicitation/create"}}}};
    EXPECT_EQ(mcp::task_to_wire(r, true)["inputRequests"]["q"]["method"], "elicitation/create");
    EXPECT_FALSE(mcp::task_to_wire(r, false).contains("inputRequests"))
        << "the CreateTaskResult shape never carries payloads";

    r.status = TaskStatus::kCompleted;
    r.result = json{{"content", json::array()}};
    json done = mcp::task_to_wire(r, true);
    EXPECT_TRUE(done["result"].contains("content"));
    EXPECT_FALSE(done.contains("inputRequests"));

    r.status = TaskStatus::kFailed;
    r.error = json{{"code", -32603}, {"message", "boom"}};
    json failed = mcp::task_to_wire(r, true);
    EXPECT_EQ(failed["error"]["code"], -32603);
    EXPECT_FALSE(failed.contains("result"));

    r.ttl_ms.reset();
    EXPECT_TRUE(mcp::task_to_wire(r, false)["ttlMs"].is_null()) << "unlimited TTL is null";
}

TEST(TaskWire, ExtensionDeclaration) {
    EXPECT_TRUE(mcp::declares_tasks_extension(
        json{{"extensions", {{"io.modelcontextprotocol/tasks", json::object()}}}}));
    EXPECT_FALSE(mcp::declares_tasks_extension(json::object()));
    EXPECT_FALSE(mcp::declares_tasks_extension(json{{"extensions", json::object()}}));
    EXPECT_FALSE(mcp::declares_tasks_extension(
        json{{"extensions", {{"io.modelcontextprotocol/tasks", nullptr}}}}));
    EXPECT_FALSE(mcp::declares_tasks_extension(json{{"tasks", json::object()}}))
        << "the 2025-11-25 capability is not the extension";
}

TEST(TaskStatusNames, TerminalAndWireNames) {
    EXPECT_EQ(mcp::to_string(TaskStatus::kInputRequired), "input_required");
    EXPECT_FALSE(mcp::is_terminal(TaskStatus::kWorking));
    EXPECT_FALSE(mcp::is_terminal(TaskStatus::kInputRequired));
    EXPECT_TRUE(mcp::is_terminal(TaskStatus::kCompleted));
    EXPECT_TRUE(mcp::is_terminal(TaskStatus::kFailed));
    EXPECT_TRUE(mcp::is_terminal(TaskStatus::kCancelled));
}

}  // namespace
