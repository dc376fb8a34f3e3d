// The receiver's answers: what is stored, what is refused and with which status (GHL retries
// only on 429), and that notifications come once per new event, off the request thread.
#include "events/receiver.hpp"
#include "app/event_store.hpp"
#include "ghlsim/simulator.hpp"
#include "test_keys.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace {

using events::Receiver;
using events::ReceiverOptions;
using json = nlohmann::json;

using events_test::test_keys;

std::string now_iso(std::chrono::seconds offset = std::chrono::seconds(0)) {
    return events::iso_utc(std::chrono::system_clock::now() + offset);
}

std::string body(const std::string& webhook_id, const std::string& type = "InboundMessage",
                 const std::string& timestamp = now_iso()) {
    json b = {{"type", type},           {"locationId", "loc1"}, {"contactId", "c-9"},
              {"body", "Is 3pm free?"}, {"messageType", "SMS"}, {"direction", "inbound"}};
    if (!webhook_id.empty()) b["webhookId"] = webhook_id;
    if (!timestamp.empty()) b["timestamp"] = timestamp;
    return b.dump();
}

class ReceiverTest : public ::testing::Test {
  protected:
    ReceiverOptions options() {
        ReceiverOptions o;
        o.ed25519_public_pem = test_keys().ed_public;
        o.rsa_public_pem = test_keys().rsa_public;
        o.on_event = [this](const events::Event& e) {
            std::lock_guard lock(mu_);
            notified_.push_back(e);
            notifier_thread_ = std::this_thread::get_id();
            cv_.notify_all();
        };
        return o;
    }
    std::string sign(const std::string& b) {
        return ghlsim::sign_ed25519_base64(test_keys().ed_private, b);
    }
    bool wait_notified(std::size_t n) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return notified_.size() >= n; });
    }

    app::SqliteEventStore store_{":memory:", {}};
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<events::Event> notified_;
    std::thread::id notifier_thread_;
};

TEST_F(ReceiverTest, SignedDeliveryIsStoredOnceAndNotifiedOnceOffTheRequestThread) {
    Receiver r(store_, options());
    const std::string b = body("wh-1");
    auto first = r.receive(b, sign(b), "");
    EXPECT_EQ(first.status, 200) << first.body.dump();
    EXPECT_EQ(first.body["duplicate"], false);
    auto second = r.receive(b, sign(b), "");
    EXPECT_EQ(second.status, 200) << "a duplicate is acknowledged, so GHL stops sending it";
    EXPECT_EQ(second.body["duplicate"], true);
    EXPECT_EQ(store_.count(), 1u);
    ASSERT_TRUE(wait_notified(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard lock(mu_);
    ASSERT_EQ(notified_.size(), 1u);
    EXPECT_EQ(notified_[0].type, "InboundMessage");
    EXPECT_EQ(notified_[0].contact_id, "c-9");
    EXPECT_EQ(notified_[0].location_id, "loc1");
    EXPECT_NE(notifier_thread_, std::this_thread::get_id());
    const auto c = r.counters();
    EXPECT_EQ(c.stored, 1u);
    EXPECT_EQ(c.duplicates, 1u);
}

TEST_F(ReceiverTest, LegacyRsaSignatureIsAccepted) {
    Receiver r(store_, options());
    const std::string b = body("wh-rsa");
    EXPECT_EQ(r.receive(b, "", ghlsim::sign_rsa_sha256_base64(test_keys().rsa_private, b)).status,
              200);
    EXPECT_EQ(store_.count(), 1u);
}

TEST_F(ReceiverTest, UnsignedWrongKeyAndAlteredDeliveriesGet401AndStoreNothing) {
    Receiver r(store_, options());
    const std::string b = body("wh-2");
    auto missing = r.receive(b, "", "");
    EXPECT_EQ(missing.status, 401);
    EXPECT_NE(missing.body["error"].get<std::string>().find("missing"), std::string::npos);
    const std::string other = ghlsim::generate_ed25519_private_pem();
    EXPECT_EQ(r.receive(b, ghlsim::sign_ed25519_base64(other, b), "").status, 401);
    std::string altered = b;
    altered.replace(altered.find("3pm"), 3, "4pm");
    EXPECT_EQ(r.receive(altered, sign(b), "").status, 401);
    EXPECT_EQ(store_.count(), 0u);
    EXPECT_EQ(r.counters().unauthorized, 3u);
}

TEST_F(ReceiverTest, WithoutWebhookIdTheBodyHashDeduplicates) {
    Receiver r(store_, options());
    const std::string b = body("");
    EXPECT_EQ(r.receive(b, sign(b), "").body["duplicate"], false);
    EXPECT_EQ(r.receive(b, sign(b), "").body["duplicate"], true);
    const std::string other = body("", "InboundMessage", now_iso(std::chrono::seconds(-1)));
    EXPECT_EQ(r.receive(other, sign(other), "").body["duplicate"], false);
    auto stored = store_.query({});
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].key.rfind("sha256:", 0), 0u);
}

TEST_F(ReceiverTest, MalformedOversizedAndStaleDeliveriesAreRefused) {
    ReceiverOptions o = options();
    o.max_body = 4096;
    Receiver r(store_, o);
    const std::string not_json = "{not json";
    EXPECT_EQ(r.receive(not_json, sign(not_json), "").status, 400);
    const std::string array = "[1,2]";
    EXPECT_EQ(r.receive(array, sign(array), "").status, 400);
    const std::string big = body("wh-big") + std::string(5000, ' ');
    EXPECT_EQ(r.receive(big, sign(big), "").status, 413);
    const std::string old = body("wh-old", "InboundMessage", now_iso(-std::chrono::hours(24 * 31)));
    auto stale = r.receive(old, sign(old), "");
    EXPECT_EQ(stale.status, 400) << "older than the retention: its twin may be forgotten";
    const std::string future = body("wh-future", "InboundMessage", now_iso(std::chrono::hours(2)));
    EXPECT_EQ(r.receive(future, sign(future), "").status, 400);
    EXPECT_EQ(store_.count(), 0u);
}

TEST_F(ReceiverTest, InsecureModeAcceptsUnsignedDeliveries) {
    ReceiverOptions o = options();
    o.insecure = true;
    o.ed25519_public_pem = "unused";
    Receiver r(store_, o);
    EXPECT_EQ(r.receive(body("wh-3"), "", "").status, 200);
}

TEST_F(ReceiverTest, InsecureModeRefusesWhatAWebPageCanPost) {
    ReceiverOptions o = options();
    o.insecure = true;
    Receiver r(store_, o);
    using events::DeliveryHeaders;
    const std::string b = body("wh-page");
    // A page on any site can POST text/plain or a form cross-site without a preflight.
    for (const char* type : {"text/plain", "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x", ""}) {
        auto reply = r.receive(b, DeliveryHeaders{"", "", std::nullopt, type});
        EXPECT_EQ(reply.status, 415) << type;
        EXPECT_NE(reply.body["error"].get<std::string>().find("application/json"), std::string::npos);
    }
    for (const char* origin : {"https://evil.example", "null", "http://localhost.evil.example",
                               "http://[::1]evil.example", "http://127.0.0.1.evil.example"}) {
        auto reply = r.receive(b, DeliveryHeaders{"", "", origin, "application/json"});
        EXPECT_EQ(reply.status, 403) << origin;
        EXPECT_NE(reply.body["error"].get<std::string>().find("Origin"), std::string::npos);
    }
    EXPECT_EQ(store_.count(), 0u);
    // A local test page, and a tool that sends JSON without Origin (curl), still get through.
    EXPECT_EQ(r.receive(b, DeliveryHeaders{"", "", "http://localhost:5173",
                                           "application/json; charset=utf-8"})
                  .status,
              200);
    const std::string c = body("wh-curl");
    EXPECT_EQ(r.receive(c, DeliveryHeaders{"", "", std::nullopt, "Application/JSON"}).status, 200);
    EXPECT_EQ(store_.count(), 2u);
}

TEST_F(ReceiverTest, ASignedDeliveryFromAWebPageIsRefusedToo) {
    Receiver r(store_, options());
    const std::string b = body("wh-signed-page");
    auto reply =
        r.receive(b, events::DeliveryHeaders{sign(b), "", "https://evil.example", "text/plain"});
    EXPECT_EQ(reply.status, 403);
    // GHL's own shape: signed JSON without Origin.
    EXPECT_EQ(r.receive(b, events::DeliveryHeaders{sign(b), "", std::nullopt, "application/json"})
                  .status,
              200);
}

TEST(WebhookOrigin, OnlySchemeLoopbackHostAndPortAreLoopback) {
    for (const char* yes : {"http://localhost", "http://localhost:5173", "https://127.0.0.1",
                            "http://127.8.9.10:80", "http://[::1]:8080", "http://LOCALHOST"})
        EXPECT_TRUE(events::is_loopback_origin(yes)) << yes;
    for (const char* no : {"null", "", "file://", "http://", "http://127.1", "http://128.0.0.1",
                           "http://[::1]evil.com", "http://localhost:80x", "http://localhost/",
                           "http://localhost.evil.com", "ftp://localhost", "http://127.0.0.256",
                           "http://127.0.0.1.", "http://localhost:"})
        EXPECT_FALSE(events::is_loopback_origin(no)) << no;
}

TEST_F(ReceiverTest, ADeliveryWithoutAUsableTimestampIsRefusedSoItCannotBeReplayedAsNew) {
    // Before: a missing, numeric or zone-less timestamp meant "received now", so a captured
    // signed body replayed after its twin left the store passed as a new event.
    Receiver r(store_, options());
    auto send = [&](const json& b) {
        const std::string text = b.dump();
        return r.receive(text, sign(text), "");
    };
    json base = json::parse(body("wh-ts"));
    base.erase("timestamp");
    auto missing = send(base);
    EXPECT_EQ(missing.status, 400);
    EXPECT_NE(missing.body["error"].get<std::string>().find("timestamp"), std::string::npos);
    for (const json& bad : {json("2026-12-07T10:00:00"), json("yesterday"), json(nullptr),
                            json(true), json(-5), json(1.5e9), json::array()}) {
        json b = base;
        b["timestamp"] = bad;
        EXPECT_EQ(send(b).status, 400) << bad.dump();
    }
    EXPECT_EQ(store_.count(), 0u);

    // Epoch milliseconds (or seconds) are an instant: checked like ISO times.
    const auto now = std::chrono::system_clock::now();
    const auto ms = [](std::chrono::system_clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    };
    json fresh = base;
    fresh["webhookId"] = "wh-ms";
    fresh["timestamp"] = ms(now);
    EXPECT_EQ(send(fresh).status, 200);
    json seconds = base;
    seconds["webhookId"] = "wh-s";
    seconds["timestamp"] = ms(now) / 1000;
    EXPECT_EQ(send(seconds).status, 200);
    json old = base;
    old["webhookId"] = "wh-old-ms";
    old["timestamp"] = ms(now - std::chrono::hours(24 * 31));
    EXPECT_EQ(send(old).status, 400);
    EXPECT_EQ(store_.count(), 2u);
    const auto stored = store_.query({});
    EXPECT_EQ(stored.back().occurred_at.back(), 'Z') << "a number is stored as ISO 8601 UTC";
}

TEST_F(ReceiverTest, NoDeliveryOlderThanTheStoresDedupeWindowIsAccepted) {
    // Before: max_age was taken as configured, so a store keeping keys 1 day took a 2-day-old
    // delivery whose twin it had already forgotten.
    events::Retention keep_a_day;
    keep_a_day.max_age = std::chrono::hours(24);
    app::SqliteEventStore store(":memory:", keep_a_day);
    ReceiverOptions o = options();
    o.max_age = std::chrono::hours(24 * 30);
    Receiver r(store, o);
    const std::string old = body("wh-2d", "InboundMessage", now_iso(-std::chrono::hours(48)));
    EXPECT_EQ(r.receive(old, sign(old), "").status, 400);
    // Within the window less the allowed clock skew: accepted.
    const std::string recent = body("wh-23h", "InboundMessage", now_iso(-std::chrono::hours(23)));
    EXPECT_EQ(r.receive(recent, sign(recent), "").status, 200);
    EXPECT_EQ(store.count(), 1u);
}

class FailingStore : public events::EventStore {
  public:
    events::Appended append(events::Event&) override { throw std::runtime_error("disk full"); }
    std::vector<events::Event> query(const events::EventQuery&) const override { return {}; }
    std::size_t count() const override { return 0; }
    std::chrono::seconds dedupe_window() const override { return std::chrono::hours(24 * 30); }
};

TEST_F(ReceiverTest, AStoreFailureAnswers429SoGhlDeliversAgainLater) {
    FailingStore failing;
    Receiver r(failing, options());
    const std::string b = body("wh-4");
    auto reply = r.receive(b, sign(b), "");
    EXPECT_EQ(reply.status, 429) << "GHL retries 429 only; a 5xx would lose the event";
    EXPECT_GT(reply.retry_after_s, 0);
    EXPECT_EQ(reply.body.dump().find("disk full"), std::string::npos)
        << "internals stay in the log";
    EXPECT_EQ(r.counters().store_failures, 1u);
}

TEST(WebhookTime, ParsesTheFormsGhlSends) {
    std::chrono::system_clock::time_point t;
    ASSERT_TRUE(events::parse_iso("2025-01-28T14:35:00Z", t));
    EXPECT_EQ(events::iso_utc(t), "2025-01-28T14:35:00.000Z");
    ASSERT_TRUE(events::parse_iso("2025-01-28T14:35:00.123Z", t));
    EXPECT_EQ(events::iso_utc(t), "2025-01-28T14:35:00.123Z");
    ASSERT_TRUE(events::parse_iso("2025-01-28T16:35:00+02:00", t));
    EXPECT_EQ(events::iso_utc(t), "2025-01-28T14:35:00.000Z");
    EXPECT_FALSE(events::parse_iso("2025-01-28", t));
    EXPECT_FALSE(events::parse_iso("yesterday", t));
    EXPECT_FALSE(events::parse_iso("2025-13-28T14:35:00Z", t));
}

}  // namespace
