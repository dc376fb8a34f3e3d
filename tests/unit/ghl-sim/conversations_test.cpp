// Conversations: the startAfterDate search walk, the lastMessageId messages walk (both response
// shapes), sending, inbound messages, and the seed's waiting/unread sets.
#include "sim_support.hpp"

#include <set>

namespace simtest {
namespace {

class Conversations : public SimTest {
protected:
    std::string search(const std::string& extra = "") {
        return "/conversations/search?locationId=" + loc() + extra;
    }

    /// A conversation with at least `n` messages.
    Json conversation_with(std::size_t n) {
        const Result r = api->get(search("&limit=100"), kV2);
        for (const Json& c : r.body["conversations"]) {
            const Result m = api->get("/conversations/" + c["id"].get<std::string>() + "/messages?limit=100", kV2);
            if (m.body["messages"].size() >= n) return c;
        }
        ADD_FAILURE() << "no conversation with " << n << " messages";
        return {};
    }
};

TEST_F(Conversations, StartAfterDateWalkVisitsEveryConversationOnce) {
    for (const char* sort : {"", "&sort=asc"}) {
        std::set<std::string> ids;
        std::string extra = std::string("&limit=9") + sort;
        long long previous = sort[0] == '\0' ? LLONG_MAX : 0;
        for (int i = 0; i < 20; ++i) {
            const Result r = api->get(search(extra), kV2);
            ASSERT_EQ(r.status, 200) << r.body.dump();
            EXPECT_EQ(r.body["total"], 60);
            const Json& page = r.body["conversations"];
            if (page.empty()) break;
            for (const Json& c : page) {
                EXPECT_TRUE(ids.insert(c["id"].get<std::string>()).second);
                const long long date = c["lastMessageDate"];
                if (sort[0] == '\0') {
                    EXPECT_LT(date, previous);
                } else {
                    EXPECT_GT(date, previous);
                }
                previous = date;
                EXPECT_EQ(c["sort"][0], date);
            }
            extra = std::string("&limit=9") + sort + "&startAfterDate=" +
                    std::to_string(page.back()["lastMessageDate"].get<long long>());
        }
        EXPECT_EQ(ids.size(), 60u) << sort;
    }
}

TEST_F(Conversations, WaitingAndUnreadMatchTheSeed) {
    const auto& facts = sim->seed_facts();
    Result r = api->get(search("&limit=100&lastMessageDirection=inbound"), kV2);
    ASSERT_EQ(r.status, 200);
    std::set<std::string> waiting;
    for (const Json& c : r.body["conversations"]) waiting.insert(c["id"]);
    EXPECT_EQ(waiting, std::set<std::string>(facts.waiting_conversation_ids.begin(),
                                             facts.waiting_conversation_ids.end()));
    r = api->get(search("&limit=100&status=unread"), kV2);
    std::set<std::string> unread;
    for (const Json& c : r.body["conversations"]) {
        unread.insert(c["id"]);
        EXPECT_GT(c["unreadCount"], 0);
    }
    EXPECT_EQ(unread, std::set<std::string>(facts.unread_conversation_ids.begin(),
                                            facts.unread_conversation_ids.end()));
    // Channels: SMS, Email and WhatsApp all occur.
    std::set<std::string> types;
    const Result everything = api->get(search("&limit=100"), kV2);
    for (const Json& c : everything.body["conversations"]) {
        types.insert(c["lastMessageType"].get<std::string>());
    }
    EXPECT_TRUE(types.count("TYPE_SMS") && types.count("TYPE_EMAIL") && types.count("TYPE_WHATSAPP"));
    EXPECT_EQ(api->get("/conversations/search", kV2).status, 400);  // locationId required
}

TEST_F(Conversations, MessagesWalkNewestFirstWithLastMessageId) {
    const Json conv = conversation_with(5);
    const std::string path = "/conversations/" + conv["id"].get<std::string>() + "/messages";
    const Json all = api->get(path + "?limit=100", kV2).body["messages"];
    std::vector<std::string> walked;
    std::string cursor;
    for (int i = 0; i < 50; ++i) {
        const Result r = api->get(path + "?limit=2" + (cursor.empty() ? "" : "&lastMessageId=" + cursor), kV2);
        ASSERT_EQ(r.status, 200) << r.body.dump();
        for (const Json& m : r.body["messages"]) walked.push_back(m["id"]);
        if (!r.body["nextPage"].get<bool>()) break;
        cursor = r.body["lastMessageId"];
    }
    ASSERT_EQ(walked.size(), all.size());
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(walked[i], all[i]["id"]);
    for (std::size_t i = 1; i < all.size(); ++i) {
        EXPECT_GE(all[i - 1]["dateAdded"].get<std::string>(), all[i]["dateAdded"].get<std::string>());
    }
    const Json& m = all[0];
    EXPECT_EQ(m["conversationId"], conv["id"]);
    EXPECT_TRUE(m["type"].is_number());
    EXPECT_EQ(m["messageType"], conv["lastMessageType"]);
    EXPECT_EQ(api->get("/conversations/messages/" + m["id"].get<std::string>(), kV2).body["id"], m["id"]);
    EXPECT_EQ(api->get(path + "?lastMessageId=nope", kV2).status, 400);
    const Result detail = api->get("/conversations/" + conv["id"].get<std::string>(), kV2);
    EXPECT_TRUE(detail.body["type"].is_number());
    EXPECT_EQ(detail.body["inbox"], true);
}

class NestedMessages : public Conversations {
    ghlsim::Options make_options() override {
        ghlsim::Options o = options();
        o.nested_messages = true;
        return o;
    }
};

TEST_F(NestedMessages, OlderShapeNestsThePage) {
    const std::string id = sim->seed_facts().waiting_conversation_ids.front();
    const Result r = api->get("/conversations/" + id + "/messages?limit=1", kV2);
    ASSERT_EQ(r.status, 200);
    ASSERT_TRUE(r.body["messages"].is_object());
    EXPECT_EQ(r.body["messages"]["messages"].size(), 1u);
    EXPECT_TRUE(r.body["messages"].contains("lastMessageId"));
    EXPECT_TRUE(r.body["messages"].contains("nextPage"));
}

TEST_F(Conversations, SendSmsAnswersAWaitingConversation) {
    const auto& facts = sim->seed_facts();
    std::string conv_id;
    std::string contact;
    for (const std::string& id : facts.unread_conversation_ids) {
        const Result d = api->get("/conversations/" + id, kV2);
        const Result c = api->get("/contacts/" + d.body["contactId"].get<std::string>());
        if (c.body["contact"].contains("phone") && !c.body["contact"]["dnd"].get<bool>()) {
            conv_id = id;
            contact = d.body["contactId"];
            break;
        }
    }
    ASSERT_FALSE(conv_id.empty());
    Result r = api->post("/conversations/messages",
                         {{"type", "SMS"}, {"contactId", contact}, {"message", "On our way!"}}, kV2);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["conversationId"], conv_id);
    EXPECT_EQ(r.body["msg"], "Message queued successfully.");
    const std::string message = r.body["messageId"];
    r = api->get("/conversations/" + conv_id + "/messages?limit=1", kV2);
    EXPECT_EQ(r.body["messages"][0]["id"], message);
    EXPECT_EQ(r.body["messages"][0]["direction"], "outbound");
    EXPECT_EQ(api->get("/conversations/" + conv_id, kV2).body["unreadCount"], 0);
    r = api->get(search("&limit=1"), kV2);
    EXPECT_EQ(r.body["conversations"][0]["id"], conv_id);  // now the most recent
    EXPECT_EQ(r.body["conversations"][0]["lastMessageDirection"], "outbound");
    EXPECT_EQ(sim->counters().messages_sent, 1);
}

TEST_F(Conversations, SendChecksChannelAndBody) {
    const auto& facts = sim->seed_facts();
    Result r = api->post("/conversations/messages",
                         {{"type", "SMS"}, {"contactId", facts.email_only_contact_ids.front()},
                          {"message", "hi"}}, kV2);
    EXPECT_EQ(r.status, 400);
    r = api->post("/conversations/messages",
                  {{"type", "Email"}, {"contactId", facts.phone_only_contact_ids.front()},
                   {"html", "<p>hi</p>"}}, kV2);
    EXPECT_EQ(r.status, 400);
    r = api->post("/conversations/messages", {{"type", "Pigeon"}, {"contactId", "x"}}, kV2);
    ASSERT_EQ(r.status, 400);
    EXPECT_TRUE(r.body["message"].is_array());
    r = api->post("/conversations/messages",
                  {{"type", "Email"}, {"contactId", facts.email_only_contact_ids.front()},
                   {"subject", "Quote"}, {"html", "<p>Attached.</p>"}}, kV2);
    ASSERT_TRUE(r.status == 200 || r.status == 400) << r.body.dump();  // 400 only under DND
    if (r.status == 200) {
        EXPECT_TRUE(r.body.contains("emailMessageId"));
    }
}

TEST_F(Conversations, InboundMessageFromACustomProvider) {
    const std::string conv_id = sim->seed_facts().waiting_conversation_ids.back();
    const Json detail = api->get("/conversations/" + conv_id, kV2).body;
    Json body = {{"type", "SMS"},
                 {"conversationId", conv_id},
                 {"contactId", detail["contactId"]},
                 {"message", "Is Friday OK?"}};
    Result r = api->post("/conversations/messages/inbound", body, kV2);
    ASSERT_EQ(r.status, 400);  // conversationProviderId is required
    body["conversationProviderId"] = "provider-1";
    r = api->post("/conversations/messages/inbound", body, kV2);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["success"], true);
    const Json last = api->get("/conversations/" + conv_id + "/messages?limit=1", kV2).body["messages"][0];
    EXPECT_EQ(last["id"], r.body["messageId"]);
    EXPECT_EQ(last["direction"], "inbound");
    EXPECT_EQ(last["body"], "Is Friday OK?");
    EXPECT_GT(api->get("/conversations/" + conv_id, kV2).body["unreadCount"], 0);
    body["contactId"] = sim->seed_facts().phone_only_contact_ids.front();
    if (body["contactId"] != detail["contactId"]) {
        EXPECT_EQ(api->post("/conversations/messages/inbound", body, kV2).status, 400);
    }
    EXPECT_EQ(sim->counters().messages_inbound, 1);
}

TEST_F(Conversations, CreateConversationOnlyOncePerContact) {
    const Result existing = api->get("/conversations/" + sim->seed_facts().waiting_conversation_ids.front(), kV2);
    Result r = api->post("/conversations/", {{"locationId", loc()}, {"contactId", existing.body["contactId"]}}, kV2);
    EXPECT_EQ(r.status, 400);
    const Result fresh = api->post("/contacts/", {{"locationId", loc()}, {"phone", "+13125550999"}});
    ASSERT_EQ(fresh.status, 201);
    r = api->post("/conversations/", {{"locationId", loc()}, {"contactId", fresh.body["contact"]["id"]}}, kV2);
    ASSERT_EQ(r.status, 201);
    EXPECT_EQ(r.body["success"], true);
    EXPECT_EQ(r.body["conversation"]["contactId"], fresh.body["contact"]["id"]);
    EXPECT_EQ(api->get(search(), kV2).body["total"], 61);
}

}  // namespace
}  // namespace simtest
