// Webhooks: the simulator POSTs signed GHL events to a receiver on a loopback port. Signatures
// are checked with OpenSSL here (not with the simulator's own code) over the exact bytes
// received, and the payloads against ghl-api.md N6.
#include "webhook_support.hpp"

#include <cctype>
#include <set>
#include <stdexcept>

namespace simtest {
namespace {

/// One RSA-2048 key for the whole binary: generating one takes a noticeable fraction of a second.
const std::string& rsa_private_pem() {
    static const std::string pem = ghlsim::generate_rsa_private_pem(2048);
    return pem;
}

/// 8-4-4-4-12 lower-case hex digits.
bool looks_like_uuid(const std::string& s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        const char c = s[i];
        if (dash ? c != '-'
                 : !(std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

ghlsim::Webhooks webhook_options(const std::string& url) {
    ghlsim::Webhooks w;
    w.url = url;
    w.rsa_private_pem = rsa_private_pem();
    w.timeout = 2000ms;
    return w;
}

class Webhooks : public SimTest {
  protected:
    void SetUp() override {
        receiver = std::make_unique<Receiver>(receiver_status);
        SimTest::SetUp();
    }
    void TearDown() override {
        SimTest::TearDown();
        receiver.reset();
    }
    ghlsim::Options make_options() override {
        ghlsim::Options o = options();
        o.webhooks = webhook_options(receiver->url());
        o.webhooks->repeat = repeat;
        if (start_without_url) o.webhooks->url.clear();
        return o;
    }

    /// Everything delivered once the queue is empty.
    std::vector<Delivery> delivered() {
        EXPECT_TRUE(sim->flush_webhooks(3s));
        return receiver->deliveries();
    }

    std::string new_contact(const std::string& email) {
        const Result r = api->post("/contacts/", {{"locationId", loc()},
                                                  {"firstName", "Dana"},
                                                  {"lastName", "Whitfield"},
                                                  {"email", email},
                                                  {"tags", {"Lead"}}});
        EXPECT_EQ(r.status, 201) << r.body.dump();
        return r.body["contact"]["id"];
    }

    int receiver_status = 200;
    int repeat = 1;
    bool start_without_url = false;
    std::unique_ptr<Receiver> receiver;
};

TEST_F(Webhooks, BothSignaturesVerifyOverTheExactBodyAndFailForAnAlteredOne) {
    new_contact("dana.sig@example.com");
    const std::vector<Delivery> got = delivered();
    ASSERT_EQ(got.size(), 1u);
    const Delivery& d = got[0];
    EXPECT_EQ(d.path, "/hooks/ghl");
    EXPECT_EQ(d.content_type, "application/json");
    // Compact JSON, as GHL sends (its SDK verifies JSON.stringify of the parsed body).
    EXPECT_EQ(d.body, nlohmann::ordered_json::parse(d.body).dump());
    const std::string ed_pem = sim->webhook_public_key_pem(ghlsim::WebhookKey::Ed25519);
    const std::string rsa_pem = sim->webhook_public_key_pem(ghlsim::WebhookKey::Rsa);
    EXPECT_EQ(ed_pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u);
    EXPECT_EQ(rsa_pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u);
    EXPECT_EQ(rsa_pem, ghlsim::public_pem_of(rsa_private_pem()));
    EXPECT_EQ(unbase64(d.ghl_signature).size(), 64u);
    EXPECT_EQ(d.ghl_signature.find('\n'), std::string::npos);
    EXPECT_EQ(unbase64(d.wh_signature).size(), 256u);  // RSA-2048
    EXPECT_TRUE(verifies(ed_pem, Alg::kEd25519, d.body, d.ghl_signature));
    EXPECT_TRUE(verifies(rsa_pem, Alg::kRsaSha256, d.body, d.wh_signature));
    // One byte changed, or the signatures swapped between algorithms: no longer valid.
    std::string altered = d.body;
    altered[altered.find("Dana")] = 'd';
    EXPECT_FALSE(verifies(ed_pem, Alg::kEd25519, altered, d.ghl_signature));
    EXPECT_FALSE(verifies(rsa_pem, Alg::kRsaSha256, altered, d.wh_signature));
    EXPECT_FALSE(verifies(ed_pem, Alg::kEd25519, d.body + " ", d.ghl_signature));
    // The public helpers sign exactly like the sender (both schemes are deterministic).
    EXPECT_EQ(ghlsim::sign_rsa_sha256_base64(rsa_private_pem(), d.body), d.wh_signature);
}

TEST_F(Webhooks, ContactChangesEmitOneEventEachInOrder) {
    const std::string id = new_contact("dana.order@example.com");
    // Reads and refused writes emit nothing.
    EXPECT_EQ(api->get("/contacts/" + id).status, 200);
    EXPECT_EQ(api->post("/contacts/", {{"locationId", loc()}, {"email", "dana.order@example.com"}})
                  .status,
              400);  // duplicate
    EXPECT_EQ(api->put("/contacts/" + id, {{"email", "not-an-email"}}).status, 422);
    ASSERT_EQ(api->put("/contacts/" + id, {{"city", "Albany"}}).status, 200);
    ASSERT_EQ(api->post("/contacts/" + id + "/tags", {{"tags", {"VIP", "lead"}}}).status, 201);
    ASSERT_EQ(api->post("/contacts/" + id + "/tags", {{"tags", {"vip"}}}).status,
              201);  // no change
    ASSERT_EQ(api->del("/contacts/" + id + "/tags", {{"tags", {"lead"}}}).status, 200);
    ASSERT_EQ(api->del("/contacts/" + id).status, 200);

    const std::vector<Delivery> got = delivered();
    std::vector<std::string> types;
    for (const Delivery& d : got) types.push_back(d.json()["type"]);
    EXPECT_EQ(types, (std::vector<std::string>{"ContactCreate", "ContactUpdate", "ContactTagUpdate",
                                               "ContactTagUpdate", "ContactDelete"}));
    ASSERT_EQ(got.size(), 5u);
    const Json create = got[0].json();
    EXPECT_EQ(create["locationId"], loc());
    EXPECT_EQ(create["id"], id);
    EXPECT_EQ(create["email"], "dana.order@example.com");
    EXPECT_EQ(create["firstName"], "Dana");
    EXPECT_EQ(create["name"], "Dana Whitfield");
    EXPECT_EQ(create["tags"], Json({"lead"}));
    EXPECT_TRUE(create["customFields"].is_array());
    EXPECT_EQ(create["timestamp"], "2025-06-11T15:00:00.000Z");  // the simulator's clock
    EXPECT_EQ(got[1].json()["city"], "Albany");
    EXPECT_EQ(got[2].json()["tags"], Json({"lead", "vip"}));
    EXPECT_EQ(got[3].json()["tags"], Json({"vip"}));
    EXPECT_EQ(got[4].json()["id"], id);
    std::set<std::string> ids;
    for (const Delivery& d : got) {
        const std::string webhook_id = d.json()["webhookId"];
        EXPECT_TRUE(looks_like_uuid(webhook_id)) << webhook_id;
        ids.insert(webhook_id);
    }
    EXPECT_EQ(ids.size(), got.size());  // unique per event

    const ghlsim::WebhookCounters c = sim->webhook_counters();
    EXPECT_EQ(c.events, 5);
    EXPECT_EQ(c.deliveries, 5);
    EXPECT_EQ(c.delivered_2xx, 5);
    EXPECT_EQ(c.failed, 0);
    EXPECT_EQ(c.last_status, 200);
    EXPECT_EQ(c.pending, 0);
}

TEST_F(Webhooks, UpsertThatCreatesEmitsContactCreateAndOneThatMatchesContactUpdate) {
    Result r = api->post("/contacts/upsert", {{"locationId", loc()}, {"email", "up@example.com"}});
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.body["new"], true);
    r = api->post("/contacts/upsert",
                  {{"locationId", loc()}, {"email", "up@example.com"}, {"firstName", "Uma"}});
    ASSERT_EQ(r.body["new"], false);
    const std::vector<Delivery> got = delivered();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].json()["type"], "ContactCreate");
    EXPECT_EQ(got[1].json()["type"], "ContactUpdate");
    EXPECT_EQ(got[1].json()["firstName"], "Uma");
}

TEST_F(Webhooks, NotesAndTasksEmitTheirCreateEvents) {
    const std::string contact = sim->seed_facts().phone_only_contact_ids.front();
    Result r = api->post("/contacts/" + contact + "/notes", {{"body", "Prefers mornings"}});
    ASSERT_EQ(r.status, 201);
    const std::string note = r.body["note"]["id"];
    r = api->post("/contacts/" + contact + "/tasks", {{"title", "Call back"},
                                                      {"body", "About the quote"},
                                                      {"dueDate", "2025-06-13T14:00:00Z"},
                                                      {"completed", false}});
    ASSERT_EQ(r.status, 201) << r.body.dump();
    const std::string task = r.body["task"]["id"];
    const std::vector<Delivery> got = delivered();
    ASSERT_EQ(got.size(), 2u);
    const Json n = got[0].json();
    EXPECT_EQ(n["type"], "NoteCreate");
    EXPECT_EQ(n["id"], note);
    EXPECT_EQ(n["contactId"], contact);
    EXPECT_EQ(n["body"], "Prefers mornings");
    EXPECT_EQ(n["locationId"], loc());
    const Json t = got[1].json();
    EXPECT_EQ(t["type"], "TaskCreate");
    EXPECT_EQ(t["id"], task);
    EXPECT_EQ(t["title"], "Call back");
    EXPECT_EQ(t["dueDate"], "2025-06-13T14:00:00.000Z");
    EXPECT_EQ(t["completed"], false);
    EXPECT_TRUE(t.contains("assignedTo"));
}

TEST_F(Webhooks, BookingEmitsAppointmentCreateAndCancellingAppointmentUpdate) {
    const std::string calendar = sim->seed_facts().calendar_ids.front();  // New York
    const std::string contact = sim->seed_facts().phone_only_contact_ids.front();
    const Json free = api->get("/calendars/" + calendar + "/free-slots?startDate=1749654000000" +
                                   "&endDate=1750258800000",
                               kV2)
                          .body;
    std::string slot;
    for (const auto& [day, value] : free.items()) {
        if (value.is_object() && slot.empty()) slot = value["slots"][0];
    }
    ASSERT_FALSE(slot.empty());
    Result r = api->post("/calendars/events/appointments",
                         {{"calendarId", calendar},
                          {"locationId", loc()},
                          {"contactId", contact},
                          {"startTime", slot},
                          {"title", "Estimate"}},
                         kV2);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    const std::string id = r.body["id"];
    r = api->put("/calendars/events/appointments/" + id, {{"appointmentStatus", "cancelled"}}, kV2);
    ASSERT_EQ(r.status, 200);
    const std::vector<Delivery> got = delivered();
    ASSERT_EQ(got.size(), 2u);
    const Json created = got[0].json();
    EXPECT_EQ(created["type"], "AppointmentCreate");
    EXPECT_EQ(created["locationId"], loc());
    const Json& a = created["appointment"];
    EXPECT_EQ(a["id"], id);
    EXPECT_EQ(a["calendarId"], calendar);
    EXPECT_EQ(a["contactId"], contact);
    EXPECT_EQ(a["startTime"], slot);
    EXPECT_EQ(a["title"], "Estimate");
    EXPECT_EQ(a["appointmentStatus"], "confirmed");
    for (const char* key : {"address", "groupId", "assignedUserId", "users", "notes", "source",
                            "endTime", "dateAdded", "dateUpdated"}) {
        EXPECT_TRUE(a.contains(key)) << key;
    }
    EXPECT_FALSE(created.contains("id"));  // nested, not flat
    const Json updated = got[1].json();
    EXPECT_EQ(updated["type"], "AppointmentUpdate");
    EXPECT_EQ(updated["appointment"]["id"], id);
    EXPECT_EQ(updated["appointment"]["appointmentStatus"], "cancelled");
}

TEST_F(Webhooks, OpportunityStageAndStatusChangesEmitTheirEvents) {
    const std::string id = sim->seed_facts().stale_opportunity_ids.front();
    const Json before = api->get("/opportunities/" + id).body["opportunity"];
    const Json pipelines =
        api->get("/opportunities/pipelines?locationId=" + loc()).body["pipelines"];
    std::string other_stage;
    for (const Json& p : pipelines) {
        if (p["id"] != before["pipelineId"]) continue;
        for (const Json& s : p["stages"]) {
            if (s["id"] != before["pipelineStageId"] && other_stage.empty()) other_stage = s["id"];
        }
    }
    ASSERT_FALSE(other_stage.empty());
    ASSERT_EQ(api->put("/opportunities/" + id, {{"name", "Renamed only"}}).status,
              200);  // no event
    ASSERT_EQ(api->put("/opportunities/" + id, {{"pipelineStageId", other_stage}}).status, 200);
    ASSERT_EQ(api->put("/opportunities/" + id + "/status", {{"status", "won"}}).status, 200);
    const std::vector<Delivery> got = delivered();
    ASSERT_EQ(got.size(), 2u);
    const Json stage = got[0].json();
    EXPECT_EQ(stage["type"], "OpportunityStageUpdate");
    EXPECT_EQ(stage["locationId"], loc());
    EXPECT_EQ(stage["id"], id);
    EXPECT_EQ(stage["pipelineId"], before["pipelineId"]);
    EXPECT_EQ(stage["pipelineStageId"], other_stage);
    EXPECT_EQ(stage["contactId"], before["contactId"]);
    EXPECT_EQ(stage["name"], "Renamed only");
    for (const char* key : {"assignedTo", "monetaryValue", "source", "status", "dateAdded"}) {
        EXPECT_TRUE(stage.contains(key)) << key;
    }
    EXPECT_EQ(got[1].json()["type"], "OpportunityStatusUpdate");
    EXPECT_EQ(got[1].json()["status"], "won");
}

TEST_F(Webhooks, MessagesEmitInboundAndOutboundMessage) {
    // A waiting conversation whose contact can be texted (has a phone, no DND).
    std::string conv;
    Json detail;
    for (const std::string& id : sim->seed_facts().waiting_conversation_ids) {
        detail = api->get("/conversations/" + id, kV2).body;
        const Json c = api->get("/contacts/" + detail["contactId"].get<std::string>()).body;
        if (c["contact"].contains("phone") && !c["contact"]["dnd"].get<bool>()) {
            conv = id;
            break;
        }
    }
    ASSERT_FALSE(conv.empty());
    Result r = api->post("/conversations/messages/inbound",
                         {{"type", "SMS"},
                          {"conversationId", conv},
                          {"contactId", detail["contactId"]},
                          {"conversationProviderId", "prov-1"},
                          {"message", "Is Friday OK?"}},
                         kV2);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    const std::string inbound_id = r.body["messageId"];
    r = api->post(
        "/conversations/messages",
        {{"type", "SMS"}, {"contactId", detail["contactId"]}, {"message", "Friday works"}}, kV2);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    const std::vector<Delivery> got = delivered();
    ASSERT_EQ(got.size(), 2u);
    const Json in = got[0].json();
    EXPECT_EQ(in["type"], "InboundMessage");
    EXPECT_EQ(in["locationId"], loc());
    EXPECT_EQ(in["messageId"], inbound_id);
    EXPECT_EQ(in["conversationId"], conv);
    EXPECT_EQ(in["contactId"], detail["contactId"]);
    EXPECT_EQ(in["body"], "Is Friday OK?");
    EXPECT_EQ(in["direction"], "inbound");
    EXPECT_EQ(in["messageType"], "SMS");
    EXPECT_EQ(in["contentType"], "text/plain");
    EXPECT_EQ(in["conversationProviderId"], "prov-1");
    EXPECT_TRUE(in["attachments"].is_array());
    EXPECT_TRUE(in.contains("status") && in.contains("dateAdded"));
    const Json out = got[1].json();
    EXPECT_EQ(out["type"], "OutboundMessage");
    EXPECT_EQ(out["direction"], "outbound");
    EXPECT_EQ(out["body"], "Friday works");
    EXPECT_EQ(out["messageId"], r.body["messageId"]);
}

class WebhooksRepeated : public Webhooks {
  protected:
    WebhooksRepeated() { repeat = 3; }
};

TEST_F(WebhooksRepeated, EachEventIsSentThreeTimesAsTheSameBytes) {
    new_contact("dana.repeat@example.com");
    const std::vector<Delivery> got = delivered();
    ASSERT_EQ(got.size(), 3u);
    for (const Delivery& d : got) {
        EXPECT_EQ(d.body, got[0].body);
        EXPECT_EQ(d.ghl_signature, got[0].ghl_signature);
        EXPECT_EQ(d.wh_signature, got[0].wh_signature);
    }
    const ghlsim::WebhookCounters c = sim->webhook_counters();
    EXPECT_EQ(c.events, 1);
    EXPECT_EQ(c.deliveries, 3);
    EXPECT_EQ(c.delivered_2xx, 3);
}

class WebhooksWithoutUrl : public Webhooks {
  protected:
    WebhooksWithoutUrl() { start_without_url = true; }
};

TEST_F(WebhooksWithoutUrl, EventsWaitForTheUrlAndThenGoOutInOrder) {
    const std::string first = new_contact("first@example.com");
    const std::string second = new_contact("second@example.com");
    EXPECT_FALSE(sim->flush_webhooks(50ms));
    ghlsim::WebhookCounters c = sim->webhook_counters();
    EXPECT_EQ(c.events, 2);
    EXPECT_EQ(c.pending, 2);
    EXPECT_EQ(c.deliveries, 0);
    EXPECT_TRUE(receiver->deliveries().empty());
    EXPECT_THROW(sim->set_webhook_url("ftp://127.0.0.1/x"), std::invalid_argument);
    sim->set_webhook_url(receiver->url());
    const std::vector<Delivery> got = delivered();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].json()["id"], first);
    EXPECT_EQ(got[1].json()["id"], second);
    c = sim->webhook_counters();
    EXPECT_EQ(c.pending, 0);
    EXPECT_EQ(c.delivered_2xx, 2);
}

class WebhooksToAFailingReceiver : public Webhooks {
  protected:
    WebhooksToAFailingReceiver() { receiver_status = 500; }
};

TEST_F(WebhooksToAFailingReceiver, FailuresAreCountedNotRetriedAndStopReturns) {
    new_contact("dana.fail@example.com");
    new_contact("dana.fail2@example.com");
    ASSERT_TRUE(sim->flush_webhooks(3s));
    const ghlsim::WebhookCounters c = sim->webhook_counters();
    EXPECT_EQ(c.events, 2);
    EXPECT_EQ(c.deliveries, 2);
    EXPECT_EQ(c.failed, 2);
    EXPECT_EQ(c.delivered_2xx, 0);
    EXPECT_EQ(c.last_status, 500);
    EXPECT_EQ(receiver->deliveries().size(), 2u);
    const auto t0 = std::chrono::steady_clock::now();
    sim->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);  // well below the 2 s drain timeout
}

TEST_F(Webhooks, StopAbandonsADeliveryStuckAtAReceiverWithinTheTimeout) {
    // A receiver that never answers, and a second event behind the stuck one.
    sim.reset();
    ghlsim::Options o = options();
    o.webhooks = webhook_options(receiver->url());
    o.webhooks->timeout = 300ms;
    sim = std::make_unique<ghlsim::Simulator>(o);
    sim->start();
    api = std::make_unique<Api>(sim->port());
    receiver->hold();
    new_contact("stuck@example.com");
    new_contact("behind@example.com");
    ASSERT_TRUE(receiver->wait_for_deliveries(1, 2s));
    const auto t0 = std::chrono::steady_clock::now();
    sim->stop();
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_LT(took, 1500ms);
    receiver->release();
    // The stuck POST failed (timed out or cut short); the one behind it failed the same way or
    // was abandoned unsent.
    const ghlsim::WebhookCounters c = sim->webhook_counters();
    EXPECT_EQ(c.events, 2);
    EXPECT_GE(c.failed, 1);
    EXPECT_EQ(c.delivered_2xx, 0);
    EXPECT_EQ(c.deliveries, c.failed);
    EXPECT_EQ(c.failed + c.pending, 2);
    sim->emit_webhook({{"type", "AfterStop"}});  // dropped, not queued
    EXPECT_EQ(sim->webhook_counters().events, 2);
}

TEST_F(Webhooks, EmitWebhookAddsIdAndTimestampUnlessGiven) {
    sim->emit_webhook({{"type", "INSTALL"}, {"appId", "app-1"}, {"locationId", loc()}});
    sim->emit_webhook({{"type", "INSTALL"}, {"webhookId", "fixed-id"}, {"timestamp", "t"}});
    EXPECT_THROW(sim->emit_webhook(Json::array({1, 2})), std::invalid_argument);
    const std::vector<Delivery> got = delivered();
    ASSERT_EQ(got.size(), 2u);
    const Json first = got[0].json();
    EXPECT_EQ(first["type"], "INSTALL");
    EXPECT_EQ(first["appId"], "app-1");
    EXPECT_EQ(first["timestamp"], "2025-06-11T15:00:00.000Z");
    EXPECT_TRUE(looks_like_uuid(first["webhookId"]));
    EXPECT_EQ(got[1].json()["webhookId"], "fixed-id");
    EXPECT_EQ(got[1].json()["timestamp"], "t");
    EXPECT_TRUE(verifies(sim->webhook_public_key_pem(ghlsim::WebhookKey::Ed25519), Alg::kEd25519,
                         got[1].body, got[1].ghl_signature));
}

TEST(WebhookOptions, RsaCanBeLeftOutAndBadSettingsAreRefused) {
    Receiver receiver;
    ghlsim::Options o = options();
    o.webhooks = webhook_options(receiver.url());
    o.webhooks->rsa_private_pem.clear();
    o.webhooks->sign_rsa = false;
    o.webhooks->ed25519_private_pem = ghlsim::generate_ed25519_private_pem();
    {
        ghlsim::Simulator sim(o);
        sim.start();
        EXPECT_EQ(sim.webhook_public_key_pem(ghlsim::WebhookKey::Ed25519),
                  ghlsim::public_pem_of(o.webhooks->ed25519_private_pem));
        EXPECT_THROW(sim.webhook_public_key_pem(ghlsim::WebhookKey::Rsa), std::logic_error);
        sim.emit_webhook({{"type", "Ping"}});
        ASSERT_TRUE(sim.flush_webhooks(3s));
        const std::vector<Delivery> got = receiver.deliveries();
        ASSERT_EQ(got.size(), 1u);
        EXPECT_FALSE(got[0].has_wh_signature);
        EXPECT_EQ(got[0].ghl_signature,
                  ghlsim::sign_ed25519_base64(o.webhooks->ed25519_private_pem, got[0].body));
    }
    const auto refused = [](auto change) {
        ghlsim::Options bad = options();
        bad.webhooks = webhook_options("http://127.0.0.1:9/x");
        change(*bad.webhooks);
        EXPECT_THROW(ghlsim::Simulator{bad}, std::invalid_argument);
    };
    refused([](ghlsim::Webhooks& w) { w.repeat = 0; });
    refused([](ghlsim::Webhooks& w) { w.url = "127.0.0.1:8787/webhooks"; });
    refused(
        [](ghlsim::Webhooks& w) { w.rsa_private_pem = ghlsim::generate_ed25519_private_pem(); });
    refused([](ghlsim::Webhooks& w) { w.ed25519_private_pem = rsa_private_pem(); });
    refused([](ghlsim::Webhooks& w) { w.ed25519_private_pem = "not a key"; });

    ghlsim::Simulator plain(options());  // Options::webhooks unset: no webhook API
    EXPECT_THROW(plain.set_webhook_url(receiver.url()), std::logic_error);
    EXPECT_THROW(plain.webhook_counters(), std::logic_error);
}

TEST(WebhookSigning, HelpersSignLikeGhlAndRefuseTheWrongKey) {
    const std::string ed = ghlsim::generate_ed25519_private_pem();
    EXPECT_EQ(ed.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
    const std::string body = R"({"type":"ContactCreate","id":"x"})";
    const std::string sig = ghlsim::sign_ed25519_base64(ed, body);
    EXPECT_EQ(sig.size(), 88u);  // base64 of 64 bytes
    EXPECT_TRUE(verifies(ghlsim::public_pem_of(ed), Alg::kEd25519, body, sig));
    EXPECT_FALSE(verifies(ghlsim::public_pem_of(ghlsim::generate_ed25519_private_pem()),
                          Alg::kEd25519, body, sig));
    const std::string rsa_sig = ghlsim::sign_rsa_sha256_base64(rsa_private_pem(), body);
    EXPECT_TRUE(verifies(ghlsim::public_pem_of(rsa_private_pem()), Alg::kRsaSha256, body, rsa_sig));
    EXPECT_TRUE(verifies(ghlsim::public_pem_of(ed), Alg::kEd25519, "",
                         ghlsim::sign_ed25519_base64(ed, "")));
    EXPECT_THROW(ghlsim::sign_ed25519_base64(rsa_private_pem(), body), std::runtime_error);
    EXPECT_THROW(ghlsim::sign_rsa_sha256_base64(ed, body), std::runtime_error);
    EXPECT_THROW(ghlsim::public_pem_of("-----BEGIN PRIVATE KEY-----\nAAAA\n"), std::runtime_error);
    EXPECT_THROW(ghlsim::generate_rsa_private_pem(512), std::invalid_argument);
}

}  // namespace
}  // namespace simtest
