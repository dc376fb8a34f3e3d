// conversations toolset against the simulator: arguments, the exact GHL requests, the shaped
// output, paging and the error texts; writes proven by a follow-up read and the counters.
#include "sandbox_fixture.hpp"

#include "tools/support.hpp"

#include <functional>
#include <set>

namespace tools_test {
namespace {

std::size_t code_points(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

class ConversationsTest : public SandboxTest {
protected:
    /// Every conversation, as search_conversations shapes it (one call, limit 100).
    json all_conversations() {
        json out = ok("search_conversations", {{"limit", 100}});
        EXPECT_EQ(out["count"], seed().conversations);
        return out["conversations"];
    }

    /// A contact that has a phone and an email and no DND.
    std::string reachable_contact() {
        json found = raw("contacts.search", {}, {},
                         {{"locationId", seed().location_id}, {"pageLimit", 100}});
        for (const auto& c : found["contacts"]) {
            if (!c.value("dnd", false) && !c.value("phone", "").empty() && !c.value("email", "").empty())
                return c["id"];
        }
        ADD_FAILURE() << "no reachable contact in the seed";
        return {};
    }

    /// A conversation whose last message is ours (outbound).
    json answered_conversation() {
        for (const auto& c : all_conversations())
            if (c.value("lastMessageDirection", "") == "outbound") return c;
        ADD_FAILURE() << "no answered conversation in the seed";
        return json::object();
    }
};

// ---- search_conversations -------------------------------------------------------------------

TEST_F(ConversationsTest, SearchSendsOneSortedSearchAndShapesEachConversation) {
    json out = ok("search_conversations", json::object());
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/conversations/search");
    EXPECT_EQ(r.headers["version"], "2021-04-15");
    auto q = query_of(r);
    EXPECT_EQ(q["locationId"], seed().location_id);
    EXPECT_EQ(q["limit"], "20");
    EXPECT_EQ(q["sort"], "desc");
    EXPECT_EQ(q["sortBy"], "last_message_date");
    EXPECT_EQ(q.count("status"), 0u);

    ASSERT_EQ(out["count"], 20);
    ASSERT_EQ(out["conversations"].size(), 20u);
    EXPECT_TRUE(out["nextCursor"].is_string());
    std::string previous = "9999";
    for (const auto& c : out["conversations"]) {
        EXPECT_EQ(c["id"].get<std::string>().size(), 20u);
        EXPECT_TRUE(c["contactId"].is_string());
        EXPECT_FALSE(c["contactName"].get<std::string>().empty());
        const std::string channel = c["channel"];
        EXPECT_TRUE(channel == "SMS" || channel == "Email" || channel == "WhatsApp") << channel;
        EXPECT_LE(code_points(c["lastMessage"]), 161u);
        EXPECT_TRUE(c["lastMessageDirection"] == "inbound" || c["lastMessageDirection"] == "outbound");
        const std::string at = c["lastMessageAt"];
        EXPECT_EQ(at.size(), 20u) << at;  // 2026-01-02T03:04:05Z
        EXPECT_LE(at, previous) << "newest activity first";
        previous = at;
        EXPECT_TRUE(c["unreadCount"].is_number());
        EXPECT_FALSE(c.contains("phone")) << "raw GHL fields must not leak";
        EXPECT_FALSE(c.contains("sort"));
    }
}

TEST_F(ConversationsTest, SearchCursorWalksEveryConversationOnce) {
    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
        json args = {{"limit", 7}};
        if (!cursor.empty()) args["cursor"] = cursor;
        json out = ok("search_conversations", args);
        for (const auto& c : out["conversations"])
            EXPECT_TRUE(seen.insert(c["id"].get<std::string>()).second) << "duplicate " << c["id"];
        cursor = out["nextCursor"].is_string() ? out["nextCursor"].get<std::string>() : "";
        ASSERT_LT(++pages, 20);
    } while (!cursor.empty());
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(seed().conversations));
    EXPECT_EQ(pages, (seed().conversations + 6) / 7);
    auto all = requests();
    ASSERT_GE(all.size(), 2u);
    EXPECT_EQ(query_of(all[0]).count("startAfterDate"), 0u);
    EXPECT_EQ(query_of(all[1]).count("startAfterDate"), 1u);
}

TEST_F(ConversationsTest, SearchUnreadOnlyIsExactlyTheUnreadConversations) {
    json out = ok("search_conversations", {{"unreadOnly", true}, {"limit", 100}});
    EXPECT_EQ(query_of(only_request())["status"], "unread");
    std::set<std::string> got;
    for (const auto& c : out["conversations"]) {
        got.insert(c["id"].get<std::string>());
        EXPECT_GT(c["unreadCount"].get<int>(), 0);
    }
    const auto& want = seed().unread_conversation_ids;
    EXPECT_EQ(got, std::set<std::string>(want.begin(), want.end()));
}

TEST_F(ConversationsTest, SearchFiltersByChannelContactAndText) {
    json emails = ok("search_conversations", {{"channel", "Email"}, {"limit", 100}});
    EXPECT_EQ(query_of(only_request())["lastMessageType"], "TYPE_EMAIL");
    ASSERT_GT(emails["count"].get<int>(), 0);
    for (const auto& c : emails["conversations"]) EXPECT_EQ(c["channel"], "Email");

    const json one = emails["conversations"][0];
    sim().clear_requests();
    json by_contact = ok("search_conversations", {{"contactId", one["contactId"]}});
    EXPECT_EQ(query_of(only_request())["contactId"], one["contactId"]);
    ASSERT_EQ(by_contact["count"], 1);
    EXPECT_EQ(by_contact["conversations"][0]["id"], one["id"]);
    EXPECT_TRUE(by_contact["nextCursor"].is_null());

    sim().clear_requests();
    const std::string name = one["contactName"];
    json by_text = ok("search_conversations", {{"query", name}});
    EXPECT_EQ(query_of(only_request())["query"], name);
    bool found = false;
    for (const auto& c : by_text["conversations"]) found |= c["id"] == one["id"];
    EXPECT_TRUE(found) << name;
}

TEST_F(ConversationsTest, SearchCursorIsTiedToItsFilters) {
    // unreadOnly false is no filter: its cursor continues the unfiltered listing.
    json plain = ok("search_conversations", {{"unreadOnly", false}, {"limit", 2}});
    ASSERT_TRUE(plain["nextCursor"].is_string());
    json next = ok("search_conversations", {{"limit", 2}, {"cursor", plain["nextCursor"]}});
    EXPECT_EQ(next["count"], 2);
    EXPECT_NE(next["conversations"][0]["id"], plain["conversations"][0]["id"]);

    json first = ok("search_conversations", {{"unreadOnly", true}, {"limit", 2}});
    ASSERT_TRUE(first["nextCursor"].is_string());
    sim().clear_requests();
    std::string text = tool_error("search_conversations", {{"limit", 2}, {"cursor", first["nextCursor"]}});
    EXPECT_TRUE(contains(text, "different filters")) << text;
    EXPECT_TRUE(requests().empty());
}

TEST_F(ConversationsTest, SearchRejectsInvalidArguments) {
    invalid_arguments("search_conversations", {{"limit", 0}});
    invalid_arguments("search_conversations", {{"limit", 101}});
    invalid_arguments("search_conversations", {{"channel", "Pigeon"}});
    invalid_arguments("search_conversations", {{"unreadOnly", "yes"}});
    invalid_arguments("search_conversations", {{"status", "unread"}});
}

// ---- get_conversation_messages --------------------------------------------------------------

TEST_F(ConversationsTest, MessagesSendsOneGetAndShapesNewestFirst) {
    const std::string id = seed().waiting_conversation_ids.at(0);
    json out = ok("get_conversation_messages", {{"conversationId", id}, {"limit", 3}});
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/conversations/" + id + "/messages");
    EXPECT_EQ(r.headers["version"], "2021-04-15");
    EXPECT_EQ(query_of(r)["limit"], "3");
    EXPECT_EQ(out["conversationId"], id);
    const json& messages = out["messages"];
    ASSERT_GE(messages.size(), 2u);
    ASSERT_LE(messages.size(), 3u);
    EXPECT_EQ(messages[0]["direction"], "inbound") << "a waiting conversation ends with the contact";
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const json& m = messages[i];
        EXPECT_EQ(m["id"].get<std::string>().size(), 20u);
        EXPECT_TRUE(m["channel"] == "SMS" || m["channel"] == "Email" || m["channel"] == "WhatsApp");
        EXPECT_FALSE(m["body"].get<std::string>().empty());
        EXPECT_TRUE(m["status"].is_string());
        EXPECT_EQ(m["dateAdded"].get<std::string>().size(), 20u);
        if (m["channel"] == "Email") {
            EXPECT_TRUE(contains(m["subject"], "Re: "));
        }
        EXPECT_FALSE(m.contains("attachments")) << "seeded messages have none";
        EXPECT_FALSE(m.contains("locationId"));
        if (i > 0) {
            EXPECT_GE(messages[i - 1]["dateAdded"], m["dateAdded"]);
        }
    }
}

/// Walks a conversation's messages with `limit`, checking there are no duplicates.
std::vector<std::string> walk_messages(const std::function<json(const json&)>& call,
                                       const std::string& id, int limit) {
    std::vector<std::string> ids;
    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
        json args = {{"conversationId", id}, {"limit", limit}};
        if (!cursor.empty()) args["cursor"] = cursor;
        json out = call(args);
        for (const auto& m : out["messages"]) {
            EXPECT_TRUE(seen.insert(m["id"].get<std::string>()).second) << "duplicate " << m["id"];
            ids.push_back(m["id"]);
        }
        cursor = out["nextCursor"].is_string() ? out["nextCursor"].get<std::string>() : "";
        if (++pages > 30) {
            ADD_FAILURE() << "no end of pages";
            break;
        }
    } while (!cursor.empty());
    return ids;
}

TEST_F(ConversationsTest, MessagesCursorWalkEqualsOneBigPage) {
    for (const auto& c : all_conversations()) {
        const std::string id = c["id"];
        json whole = ok("get_conversation_messages", {{"conversationId", id}, {"limit", 100}});
        EXPECT_TRUE(whole["nextCursor"].is_null());
        std::vector<std::string> expected;
        for (const auto& m : whole["messages"]) expected.push_back(m["id"]);
        if (expected.size() < 5) continue;  // want a conversation that needs several pages
        sim().clear_requests();
        auto walked = walk_messages([&](const json& a) { return ok("get_conversation_messages", a); },
                                    id, 2);
        EXPECT_EQ(walked, expected);
        auto all = requests();
        ASSERT_GE(all.size(), 3u);
        EXPECT_EQ(query_of(all[1])["lastMessageId"], expected[1]);
        return;
    }
    FAIL() << "no conversation with 5 or more messages";
}

TEST_F(ConversationsTest, MessagesParseTheNestedPageShapeToo) {
    // Live GHL (and the older spec) nest the page: {messages: {lastMessageId, nextPage, messages}}.
    ghlsim::Options so;
    so.tokens = {"nested-token"};
    so.nested_messages = true;
    ghlsim::Simulator nested(so);
    nested.start();
    app::Config config;
    config.base_url = nested.base_url();
    config.token = "nested-token";
    config.location_id = nested.location_id();
    config.log_level = "off";
    config.validate_output = true;
    app::App nested_app(config);
    auto call = [&](const json& args) {
        auto out = nested_app.call("get_conversation_messages", args);
        EXPECT_EQ(out.protocol_error, "");
        EXPECT_FALSE(out.is_error) << out.result.dump();
        return out.result;
    };
    const auto& conversations = nested.seed_facts().waiting_conversation_ids;
    ASSERT_FALSE(conversations.empty());
    bool paged = false;
    for (const auto& id : conversations) {
        json whole = call({{"conversationId", id}, {"limit", 100}});
        ASSERT_GE(whole["count"].get<int>(), 2) << "the nested page was not found";
        EXPECT_EQ(whole["messages"][0]["direction"], "inbound");
        std::vector<std::string> expected;
        for (const auto& m : whole["messages"]) expected.push_back(m["id"]);
        EXPECT_EQ(walk_messages(call, id, 2), expected);
        paged |= expected.size() > 2;
        if (paged) break;
    }
    EXPECT_TRUE(paged) << "no nested conversation needed a second page";
    nested.stop();
}

TEST_F(ConversationsTest, MessagesErrors) {
    std::string text = tool_error("get_conversation_messages", {{"conversationId", "nosuchconversation01"}});
    EXPECT_TRUE(contains(text, "not found")) << text;
    text = tool_error("get_conversation_messages", {{"conversationId", "../search"}});
    EXPECT_TRUE(contains(text, "conversationId")) << text;
    EXPECT_EQ(requests().size(), 1u) << "the traversal id must not be sent";
    invalid_arguments("get_conversation_messages", json::object());
    invalid_arguments("get_conversation_messages", {{"conversationId", "x"}, {"limit", 101}});
}

// ---- send_message ---------------------------------------------------------------------------

TEST_F(ConversationsTest, SendSmsPostsExactlyTheMessageAndItLandsInTheConversation) {
    const std::string contact = reachable_contact();
    sim().clear_requests();
    json out = ok("send_message", {{"type", "SMS"}, {"contactId", contact}, {"message", "On our way, ETA 10 min."}});
    auto all = requests();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].method, "GET");
    EXPECT_EQ(all[0].path, "/contacts/" + contact);
    EXPECT_EQ(all[1].method, "POST");
    EXPECT_EQ(all[1].path, "/conversations/messages");
    EXPECT_EQ(all[1].headers["version"], "2021-04-15");
    EXPECT_EQ(body_of(all[1]),
              json({{"type", "SMS"}, {"contactId", contact}, {"message", "On our way, ETA 10 min."}}));
    EXPECT_EQ(sim().counters().messages_sent, 1);
    EXPECT_EQ(out["status"], "pending");
    ASSERT_TRUE(out["messageId"].is_string());
    ASSERT_TRUE(out["conversationId"].is_string());

    json thread = ok("get_conversation_messages", {{"conversationId", out["conversationId"]}, {"limit", 1}});
    ASSERT_EQ(thread["count"], 1);
    EXPECT_EQ(thread["messages"][0]["id"], out["messageId"]);
    EXPECT_EQ(thread["messages"][0]["body"], "On our way, ETA 10 min.");
    EXPECT_EQ(thread["messages"][0]["direction"], "outbound");
    EXPECT_EQ(thread["messages"][0]["channel"], "SMS");
}

TEST_F(ConversationsTest, SendEmailPostsSubjectAndHtml) {
    const std::string contact = seed().email_only_contact_ids.at(0);
    json c = raw("contacts.get", {{"contactId", contact}});
    ASSERT_FALSE(c["contact"].value("dnd", false));
    sim().clear_requests();
    const std::string html = "<p>Your quote is attached.<br>Thanks, <b>Summit</b></p>";
    json out = ok("send_message", {{"type", "Email"}, {"contactId", contact}, {"subject", "Your quote"}, {"html", html}});
    auto all = requests();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(body_of(all[1]),
              json({{"type", "Email"}, {"contactId", contact}, {"subject", "Your quote"}, {"html", html}}));
    json thread = ok("get_conversation_messages", {{"conversationId", out["conversationId"]}, {"limit", 1}});
    const json& m = thread["messages"][0];
    EXPECT_EQ(m["id"], out["messageId"]);
    EXPECT_EQ(m["channel"], "Email");
    EXPECT_EQ(m["subject"], "Your quote");
    EXPECT_EQ(m["body"], "Your quote is attached.\nThanks, Summit") << "HTML is shown as text";
}

TEST_F(ConversationsTest, SendRefusesIncompleteEmailAndMisplacedFieldsWithoutARequest) {
    const std::string contact = seed().email_only_contact_ids.at(0);
    struct Case {
        json args;
        std::string says;
    } cases[] = {
        {{{"type", "Email"}, {"contactId", contact}, {"html", "<p>Hi</p>"}}, "needs a subject"},
        {{{"type", "Email"}, {"contactId", contact}, {"message", "Hi"}}, "needs a subject"},
        {{{"type", "Email"}, {"contactId", contact}, {"subject", "Hi"}}, "needs a body"},
        {{{"type", "SMS"}, {"contactId", contact}, {"message", "Hi"}, {"subject", "Hi"}}, "only for type Email"},
        {{{"type", "SMS"}, {"contactId", contact}}, "needs message"},
        {{{"type", "SMS"}, {"contactId", contact}, {"message", "Hi"}, {"scheduledAt", "2020-01-01T10:00:00Z"}},
         "in the future"},
    };
    for (const auto& c : cases) {
        std::string text = tool_error("send_message", c.args);
        EXPECT_TRUE(contains(text, "[tools.invalid_argument]")) << text;
        EXPECT_TRUE(contains(text, c.says)) << c.args.dump() << " -> " << text;
    }
    EXPECT_TRUE(requests().empty());
    EXPECT_EQ(sim().counters().messages_sent, 0);
    invalid_arguments("send_message", {{"type", "Fax"}, {"contactId", contact}, {"message", "Hi"}});
    invalid_arguments("send_message", {{"type", "SMS"}, {"message", "Hi"}});
    invalid_arguments("send_message", {{"type", "SMS"}, {"contactId", contact}, {"message", "Hi"}, {"scheduledAt", "tomorrow"}});
}

TEST_F(ConversationsTest, SendRespectsDndForAllChannelsAndPerChannel) {
    const std::string contact = reachable_contact();
    raw("contacts.update", {{"contactId", contact}}, {}, {{"dnd", true}});
    sim().clear_requests();
    std::string text = tool_error("send_message", {{"type", "SMS"}, {"contactId", contact}, {"message", "Hi"}});
    EXPECT_TRUE(contains(text, "[tools.dnd]")) << text;
    EXPECT_TRUE(contains(text, "all channels")) << text;
    EXPECT_EQ(only_request().method, "GET") << "only the contact was read";

    raw("contacts.update", {{"contactId", contact}}, {},
        {{"dnd", false}, {"dndSettings", {{"SMS", {{"status", "active"}}}}}});
    sim().clear_requests();
    text = tool_error("send_message", {{"type", "SMS"}, {"contactId", contact}, {"message", "Hi"}});
    EXPECT_TRUE(contains(text, "Do Not Disturb on for SMS")) << text;
    EXPECT_EQ(requests().size(), 1u);
    EXPECT_EQ(sim().counters().messages_sent, 0);
    // DND for SMS does not block an email.
    ok("send_message", {{"type", "Email"}, {"contactId", contact}, {"subject", "Hello"}, {"message", "Hi"}});
    EXPECT_EQ(sim().counters().messages_sent, 1);
}

TEST_F(ConversationsTest, SendRefusesAChannelTheContactHasNoAddressFor) {
    std::string text = tool_error("send_message", {{"type", "Email"},
                                                   {"contactId", seed().phone_only_contact_ids.at(0)},
                                                   {"subject", "Hi"},
                                                   {"message", "Hi"}});
    EXPECT_TRUE(contains(text, "no email address")) << text;
    text = tool_error("send_message",
                      {{"type", "SMS"}, {"contactId", seed().email_only_contact_ids.at(0)}, {"message", "Hi"}});
    EXPECT_TRUE(contains(text, "no phone number")) << text;
    EXPECT_EQ(requests().size(), 2u) << "two contact reads, no send";
    EXPECT_EQ(sim().counters().messages_sent, 0);
    text = tool_error("send_message", {{"type", "SMS"}, {"contactId", "nosuchcontact0000001"}, {"message", "Hi"}});
    EXPECT_TRUE(contains(text, "not found")) << text;
    EXPECT_EQ(sim().counters().messages_sent, 0);
}

TEST_F(ConversationsTest, LongBodiesAreCutOnCharacterBoundaries) {
    const std::string contact = reachable_contact();
    std::string text;
    for (int i = 0; i < 400; ++i) text += "caf\u00e9 ";  // 2000 characters, 2400 bytes
    json sent = ok("send_message", {{"type", "SMS"}, {"contactId", contact}, {"message", text}});
    json thread = ok("get_conversation_messages", {{"conversationId", sent["conversationId"]}, {"limit", 1}});
    const json& m = thread["messages"][0];
    EXPECT_EQ(m["bodyTruncated"], true);
    const std::string body = m["body"];
    EXPECT_LE(code_points(body), 1501u);  // at most 1500 and the ellipsis
    EXPECT_GE(code_points(body), 1496u);
    EXPECT_EQ(body.substr(body.size() - 3), "\u2026");
    EXPECT_EQ(body.rfind("caf\u00e9 caf", 0), 0u);
    EXPECT_NO_THROW({
        const std::string dumped = json(body).dump();  // throws on invalid UTF-8
        EXPECT_FALSE(dumped.empty());
    });

    json listed = ok("search_conversations", {{"contactId", contact}});
    const std::string snippet = listed["conversations"][0]["lastMessage"];
    EXPECT_LE(code_points(snippet), 161u);
    EXPECT_GE(code_points(snippet), 156u);
    EXPECT_EQ(snippet.substr(snippet.size() - 3), "\u2026");
}

TEST_F(ConversationsTest, SendScheduledPassesUtcSeconds) {
    const std::string contact = reachable_contact();
    sim().clear_requests();
    const std::int64_t at_s = seed().reference_now_ms / 1000 + 2 * 86400;
    const std::string iso = tools::iso_utc(at_s * 1000);
    json out = ok("send_message", {{"type", "SMS"}, {"contactId", contact}, {"message", "Reminder"}, {"scheduledAt", iso}});
    auto all = requests();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(body_of(all[1])["scheduledTimestamp"], at_s);
    EXPECT_EQ(out["scheduledAt"], iso);
    json thread = ok("get_conversation_messages", {{"conversationId", out["conversationId"]}, {"limit", 1}});
    EXPECT_EQ(thread["messages"][0]["status"], "scheduled");
}

// ---- log_inbound_message --------------------------------------------------------------------

TEST_F(ConversationsTest, InboundReadsTheConversationThenPostsExactlyTheMessage) {
    const json conv = answered_conversation();
    const std::string id = conv["id"];
    sim().clear_requests();
    json out = ok("log_inbound_message", {{"conversationId", id},
                                          {"conversationProviderId", "provider0000000000001"},
                                          {"type", "SMS"},
                                          {"message", "Can you come Tuesday instead?"}});
    auto all = requests();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].method, "GET");
    EXPECT_EQ(all[0].path, "/conversations/" + id);
    EXPECT_EQ(all[1].method, "POST");
    EXPECT_EQ(all[1].path, "/conversations/messages/inbound");
    EXPECT_EQ(all[1].headers["version"], "2021-04-15");
    EXPECT_EQ(body_of(all[1]), json({{"type", "SMS"},
                                     {"conversationId", id},
                                     {"contactId", conv["contactId"]},
                                     {"conversationProviderId", "provider0000000000001"},
                                     {"message", "Can you come Tuesday instead?"},
                                     {"direction", "inbound"}}));
    EXPECT_EQ(sim().counters().messages_inbound, 1);
    EXPECT_EQ(sim().counters().messages_sent, 0) << "nothing was sent to the contact";
    EXPECT_EQ(out["conversationId"], id);
    EXPECT_EQ(out["contactId"], conv["contactId"]);
    ASSERT_TRUE(out["messageId"].is_string());

    json thread = ok("get_conversation_messages", {{"conversationId", id}, {"limit", 1}});
    EXPECT_EQ(thread["messages"][0]["id"], out["messageId"]);
    EXPECT_EQ(thread["messages"][0]["direction"], "inbound");
    EXPECT_EQ(thread["messages"][0]["body"], "Can you come Tuesday instead?");
    json listed = ok("search_conversations", {{"contactId", conv["contactId"]}});
    EXPECT_EQ(listed["conversations"][0]["lastMessageDirection"], "inbound");
}

TEST_F(ConversationsTest, InboundWithDateAndSubjectForEmail) {
    json conv;
    for (const auto& c : all_conversations())
        if (c["channel"] == "Email") conv = c;
    ASSERT_TRUE(conv.is_object());
    const std::string date = tools::iso_utc(seed().reference_now_ms - 3600 * 1000);
    sim().clear_requests();
    json out = ok("log_inbound_message", {{"conversationId", conv["id"]},
                                          {"conversationProviderId", "provider0000000000001"},
                                          {"type", "Email"},
                                          {"subject", "Re: quote"},
                                          {"message", "Looks good."},
                                          {"date", date}});
    auto all = requests();
    ASSERT_EQ(all.size(), 2u);
    json body = body_of(all[1]);
    EXPECT_EQ(body["date"], date);
    EXPECT_EQ(body["subject"], "Re: quote");
    EXPECT_EQ(body["type"], "Email");
    EXPECT_EQ(out["dateAdded"], date);
}

TEST_F(ConversationsTest, InboundRefusesBadArgumentsWithoutARequest) {
    const std::string id = seed().waiting_conversation_ids.at(0);
    json base = {{"conversationId", id}, {"conversationProviderId", "p1"}, {"type", "SMS"}, {"message", "Hi"}};
    struct Case {
        json patch;
        std::string says;
    } cases[] = {
        {{{"message", "  \n "}}, "message is empty"},
        {{{"subject", "Hello"}}, "only for type Email"},
        {{{"date", tools::iso_utc(seed().reference_now_ms + 86400 * 1000)}}, "in the future"},
    };
    for (const auto& c : cases) {
        json args = base;
        args.update(c.patch);
        std::string text = tool_error("log_inbound_message", args);
        EXPECT_TRUE(contains(text, c.says)) << args.dump() << " -> " << text;
    }
    EXPECT_TRUE(requests().empty());
    invalid_arguments("log_inbound_message", {{"conversationId", id}, {"type", "SMS"}, {"message", "Hi"}});
    json call = base;
    call["type"] = "Call";
    invalid_arguments("log_inbound_message", call);
    json unknown = base;
    unknown["conversationId"] = "nosuchconversation01";
    std::string text = tool_error("log_inbound_message", unknown);
    EXPECT_TRUE(contains(text, "not found")) << text;
    EXPECT_EQ(sim().counters().messages_inbound, 0);
}

}  // namespace
}  // namespace tools_test
