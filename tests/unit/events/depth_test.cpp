// Deeply nested webhook bodies (issue 18): a delivery nested past the bound is refused before any
// copy (before the fix it was stored, and every reader of the event store copied it recursively
// until the stack overflowed, at each start), and a body stored by an older version still
// shapes into a readable event.
#include "app/event_store.hpp"
#include "core/json.hpp"
#include "events/receiver.hpp"
#include "events/shape.hpp"
#include "ghlsim/simulator.hpp"
#include "test_keys.hpp"

#include <gtest/gtest.h>

namespace {

using json = nlohmann::json;

std::string deep_body(std::size_t depth) {
    return R"({"type":"InboundMessage","locationId":"loc1","contactId":"c-9","timestamp":")" +
           events::iso_utc(std::chrono::system_clock::now()) + R"(","body":"hi","extra":)" +
           std::string(depth, '[') + std::string(depth, ']') + "}";
}

TEST(WebhookDepth, ADeliveryNestedPastTheBoundIsRefusedAndNothingIsStored) {
    app::SqliteEventStore store(":memory:", {});
    events::ReceiverOptions o;
    o.ed25519_public_pem = events_test::test_keys().ed_public;
    events::Receiver r(store, o);
    const std::string b = deep_body(100'000);
    auto reply =
        r.receive(b, ghlsim::sign_ed25519_base64(events_test::test_keys().ed_private, b), "");
    EXPECT_EQ(reply.status, 400) << reply.body.dump();
    EXPECT_NE(reply.body.dump().find("nests JSON more than 64 levels"), std::string::npos)
        << reply.body.dump();
    EXPECT_EQ(store.count(), 0u);
}

TEST(WebhookDepth, ABodyStoredDeepStillShapesIntoAReadableEvent) {
    events::Event e;
    e.seq = 3;
    e.type = "InboundMessage";
    e.location_id = "loc1";
    e.occurred_at = e.received_at = "2026-12-07T10:00:00.000Z";
    e.key = "wh-deep";
    e.body = deep_body(100'000);     // as an older version may have stored it
    json shaped = events::shape(e);  // before the fix: a stack overflow
    EXPECT_EQ(shaped["seq"], 3);
    EXPECT_EQ(shaped["type"], "InboundMessage");
    EXPECT_LE(core::json_depth(shaped.dump()), core::kMaxJsonDepth);
}

}  // namespace
