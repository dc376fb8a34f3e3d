// Tool group: conversations. Definitions: schemas/tools/<name>.json; handlers here.
//
// GHL names a message's channel twice: sending takes "SMS", "Email", "WhatsApp"... and reading
// answers "TYPE_SMS", "TYPE_EMAIL", "TYPE_WHATSAPP"... Our outputs use the sending names
// (`channel`), so a model can answer on the channel it read (channel_of/ghl_type_of, support).
#include "tools/groups.hpp"
#include "tools/support.hpp"

#include <array>
#include <cctype>
#include <string_view>

namespace tools {
namespace {

constexpr std::int64_t kMinuteMs = 60 * 1000;

// ---- Text -----------------------------------------------------------------------------------

/// Plain text from an HTML email body: tags dropped (block ends become line breaks), <style>
/// and <script> content dropped, the common entities decoded.
std::string html_to_text(std::string_view html) {
    std::string out;
    out.reserve(html.size());
    auto lower_starts = [&](std::size_t pos, std::string_view word) {
        if (pos + word.size() > html.size()) return false;
        for (std::size_t i = 0; i < word.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(html[pos + i])) != word[i]) return false;
        return true;
    };
    for (std::size_t i = 0; i < html.size();) {
        const char c = html[i];
        if (c == '<') {
            for (std::string_view skip : {"style", "script"}) {
                if (lower_starts(i + 1, skip)) {
                    const std::string close = "</" + std::string(skip);
                    std::size_t end = i;
                    while (end < html.size() && !lower_starts(end, close)) ++end;
                    i = end;
                    break;
                }
            }
            const std::size_t end = html.find('>', i);
            const bool block = lower_starts(i + 1, "br") || lower_starts(i + 1, "/p") ||
                               lower_starts(i + 1, "/div") || lower_starts(i + 1, "/li") ||
                               lower_starts(i + 1, "/tr") || lower_starts(i + 1, "/h");
            if (end == std::string_view::npos) {  // a lone '<': text, not a tag
                out.append(html.substr(i));
                break;
            }
            out += block ? '\n' : ' ';
            i = end + 1;
            continue;
        }
        if (c == '&') {
            static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kEntities{{
                {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""},
                {"&#39;", "'"}, {"&apos;", "'"}, {"&nbsp;", " "}}};
            bool done = false;
            for (const auto& [entity, text] : kEntities) {
                if (html.substr(i, entity.size()) == entity) {
                    out += text;
                    i += entity.size();
                    done = true;
                    break;
                }
            }
            if (done) continue;
        }
        out += c;
        ++i;
    }
    return out;
}

// ---- Shapes ---------------------------------------------------------------------------------

constexpr std::size_t kBodyChars = 1500;

/// A conversations.search item: who, which channel, the last message in brief, unread count.
json shape_conversation(const json& c) {
    json out = pick(c, {"id", "contactId"});
    for (const char* key : {"contactName", "fullName"}) {
        if (c.contains(key) && c[key].is_string() && !c[key].get_ref<const std::string&>().empty()) {
            out["contactName"] = c[key];
            break;
        }
    }
    if (auto channel = channel_of(get_or_null(c, "lastMessageType")); !channel.empty())
        out["channel"] = channel;
    if (c.contains("lastMessageBody") && c["lastMessageBody"].is_string())
        out["lastMessage"] = tidy(c["lastMessageBody"].get<std::string>(), kSnippetChars, false);
    if (c.contains("lastMessageDirection") && c["lastMessageDirection"].is_string())
        out["lastMessageDirection"] = c["lastMessageDirection"];
    if (auto ms = ghl_time_ms(get_or_null(c, "lastMessageDate"))) out["lastMessageAt"] = iso_utc(*ms);
    if (c.contains("unreadCount") && c["unreadCount"].is_number()) out["unreadCount"] = c["unreadCount"];
    return out;
}

/// One message: direction, channel, the text (HTML made plain, bounded), subject, status, time,
/// attachment count (when there are any).
json shape_message(const json& m) {
    json out = pick(m, {"id", "direction", "status"});
    if (auto channel = channel_of(get_or_null(m, "messageType")); !channel.empty())
        out["channel"] = channel;
    if (m.contains("body") && m["body"].is_string()) {
        const auto& body = m["body"].get_ref<const std::string&>();
        const std::string content_type = m.value("contentType", "");
        const bool html = content_type.find("html") != std::string::npos ||
                          (body.size() > 1 && body[0] == '<' &&
                           (std::isalpha(static_cast<unsigned char>(body[1])) || body[1] == '!'));
        bool cut = false;
        out["body"] = tidy(html ? html_to_text(body) : body, kBodyChars, true, &cut);
        if (cut) out["bodyTruncated"] = true;
    }
    if (m.contains("meta") && m["meta"].is_object() && m["meta"].contains("email") &&
        m["meta"]["email"].is_object()) {
        const json& email = m["meta"]["email"];
        if (email.contains("subject") && email["subject"].is_string() &&
            !email["subject"].get_ref<const std::string&>().empty())
            out["subject"] = email["subject"];
    }
    if (auto ms = ghl_time_ms(get_or_null(m, "dateAdded"))) out["dateAdded"] = iso_utc(*ms);
    if (m.contains("attachments") && m["attachments"].is_array() && !m["attachments"].empty())
        out["attachments"] = m["attachments"].size();
    return out;
}

// ---- Handlers -------------------------------------------------------------------------------

mcp::ToolHandler make_search_conversations(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const auto limit = arg_int(args, "limit", 20);
        ghl::Params query{{"locationId", location},
                          {"limit", std::to_string(limit)},
                          {"sort", "desc"},
                          {"sortBy", "last_message_date"}};
        if (auto contact = arg_opt_string(args, "contactId")) query.emplace_back("contactId", *contact);
        if (arg_bool(args, "unreadOnly", false)) query.emplace_back("status", "unread");
        if (auto channel = arg_opt_string(args, "channel"))
            query.emplace_back("lastMessageType", ghl_type_of(*channel));
        if (auto text = arg_opt_string(args, "query")) query.emplace_back("query", *text);
        json filters = json::object();
        copy_args(args, filters, {"contactId", "channel", "query", "locationId"});
        if (arg_bool(args, "unreadOnly", false)) filters["unreadOnly"] = true;  // false == absent
        ghl::PageOptions options;
        options.page_size = static_cast<int>(limit);
        options.items_key = "conversations";
        options.sort_field = "lastMessageDate";
        Page page = fetch_page(ghl, ctx, cursor_scope(env, ctx, location), "conversations.search", {},
                               std::move(query), nullptr, args, options, filters);
        json items = json::array();
        for (const auto& c : page.items) items.push_back(shape_conversation(c));
        return mcp::ToolResult::structured_result(
            list_output("conversations", std::move(items), page.next_cursor));
    };
}

mcp::ToolHandler make_get_conversation_messages(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string conversation = arg_string(args, "conversationId");
        const auto limit = arg_int(args, "limit", 20);
        ghl::PageOptions options;
        options.page_size = static_cast<int>(limit);
        options.items_key = "messages";  // {messages:[...]} or {messages:{messages:[...]}}
        json filters = {{"conversationId", conversation}};
        copy_args(args, filters, {"locationId"});
        Page page = fetch_page(ghl, ctx, cursor_scope(env, ctx, location),
                               "conversations.messages.list", {{"conversationId", conversation}},
                               {{"limit", std::to_string(limit)}}, nullptr, args, options,
                               filters);
        json items = json::array();
        for (const auto& m : page.items) items.push_back(shape_message(m));
        json out = list_output("messages", std::move(items), page.next_cursor);
        out["conversationId"] = conversation;
        return mcp::ToolResult::structured_result(std::move(out));
    };
}

/// The contact's dndSettings key for a send type (GHL keeps DND per channel: Call, Email, SMS,
/// WhatsApp, GMB, FB); empty when GHL has no per-channel setting for it.
std::string_view dnd_key(std::string_view type) {
    for (std::string_view key : {"SMS", "Email", "WhatsApp", "FB"})
        if (key == type) return key;
    return {};
}

/// Refuses, before anything is sent, a message GHL must not deliver: DND on for all channels or
/// for this one ("active" or "permanent"), or no address for the channel.
void check_deliverable(const json& contact, const std::string& contact_id, const std::string& type) {
    const std::string who = "Contact " + contact_id;
    if (contact.value("dnd", false))
        throw ToolFailure("[tools.dnd] " + who +
                          " has Do Not Disturb on for all channels: nothing was sent. Only the "
                          "contact can opt in again; do not work around it.");
    if (auto key = dnd_key(type); !key.empty() && contact.contains("dndSettings") &&
                                  contact["dndSettings"].is_object()) {
        const json& setting = contact["dndSettings"].value(std::string(key), json::object());
        const std::string status = setting.is_object() ? setting.value("status", "") : "";
        if (status == "active" || status == "permanent")
            throw ToolFailure("[tools.dnd] " + who + " has Do Not Disturb on for " + type + " (" +
                              status + "): nothing was sent. Another channel without DND may "
                              "be used if the contact agreed to it.");
    }
    auto has = [&](const char* key) {
        return contact.contains(key) && contact[key].is_string() &&
               !contact[key].get_ref<const std::string&>().empty();
    };
    if (type == "Email" && !has("email"))
        throw ToolFailure("[tools.no_address] " + who +
                          " has no email address: nothing was sent. Add one to the contact first.");
    if ((type == "SMS" || type == "WhatsApp") && !has("phone"))
        throw ToolFailure("[tools.no_address] " + who + " has no phone number: nothing was sent. "
                          "Add one to the contact first.");
}

mcp::ToolHandler make_send_message(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string type = arg_string(args, "type");
        const std::string contact_id = arg_string(args, "contactId");
        const auto message = arg_opt_string(args, "message");
        const auto subject = arg_opt_string(args, "subject");
        const auto html = arg_opt_string(args, "html");
        // Everything the arguments alone can tell is checked before any request.
        if (type == "Email") {
            if (!subject)
                invalid_argument("type Email needs a subject (and html or message as the body); "
                                 "nothing was sent.");
            if (!html && !message)
                invalid_argument("type Email needs a body: html, or message as plain text; "
                                 "nothing was sent.");
        } else {
            if (subject || html)
                invalid_argument("subject and html are only for type Email; send the text of a " +
                                 type + " message in message.");
            if (!message) invalid_argument("type " + type + " needs message (the text to send).");
        }
        std::optional<std::int64_t> scheduled;
        if (arg_opt_string(args, "scheduledAt")) {
            scheduled = require_iso(args, "scheduledAt");
            if (*scheduled <= now_ms() + kMinuteMs)
                invalid_argument("scheduledAt must be at least a minute in the future; leave it "
                                 "out to send now.");
        }

        json contact = ghl.call(ctx, "contacts.get", {{"contactId", contact_id}}, {}, nullptr, location);
        check_deliverable(unwrap(contact, "contact"), contact_id, type);

        json body = {{"type", type}, {"contactId", contact_id}};
        if (message) body["message"] = *message;
        if (subject) body["subject"] = *subject;
        if (html) body["html"] = *html;
        if (scheduled) body["scheduledTimestamp"] = *scheduled / 1000;  // UTC seconds
        json sent = ghl.call(ctx, "conversations.messages.send", {}, {}, body, location);

        json out = pick(sent, {"messageId", "conversationId", "status"});
        if (!out.contains("messageId") && sent.contains("messageIds") && sent["messageIds"].is_array() &&
            !sent["messageIds"].empty())
            out["messageId"] = sent["messageIds"][0];
        for (const char* key : {"messageId", "conversationId", "status"})
            if (!out.contains(key)) out[key] = nullptr;
        if (scheduled) out["scheduledAt"] = iso_utc(*scheduled);
        return mcp::ToolResult::structured_result(std::move(out));
    };
}

mcp::ToolHandler make_log_inbound_message(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string type = arg_string(args, "type");
        const std::string conversation_id = arg_string(args, "conversationId");
        const std::string message = arg_string(args, "message");
        const auto subject = arg_opt_string(args, "subject");
        if (message.find_first_not_of(" \t\r\n") == std::string::npos)
            invalid_argument("message is empty; pass the text the contact sent.");
        if (subject && type != "Email") invalid_argument("subject is only for type Email.");
        std::optional<std::int64_t> date;
        if (arg_opt_string(args, "date")) {
            date = require_iso(args, "date");
            if (*date > now_ms() + 5 * kMinuteMs)
                invalid_argument("date lies in the future; pass when the contact's message arrived.");
        }

        // GHL wants the conversation's contact too; reading the conversation also proves it exists.
        json conversation = ghl.call(ctx, "conversations.get", {{"conversationId", conversation_id}},
                                     {}, nullptr, location);
        const json& conv = unwrap(conversation, "conversation");
        const std::string contact_id = conv.value("contactId", "");
        if (contact_id.empty())
            throw ToolFailure("[tools.unexpected] GHL returned conversation " + conversation_id +
                              " without a contactId; nothing was recorded.");

        json body = {{"type", type},
                     {"conversationId", conversation_id},
                     {"contactId", contact_id},
                     {"conversationProviderId", arg_string(args, "conversationProviderId")},
                     {"message", message},
                     // The spec's default direction is outbound; this tool records inbound ones.
                     {"direction", "inbound"}};
        if (subject) body["subject"] = *subject;
        if (date) body["date"] = iso_utc(*date);
        json added = ghl.call(ctx, "conversations.messages.inbound", {}, {}, body, location);

        json out = pick(added, {"messageId", "conversationId"});
        if (!out.contains("messageId")) out["messageId"] = nullptr;
        if (!out.contains("conversationId")) out["conversationId"] = conversation_id;
        out["contactId"] = contact_id;
        if (auto ms = ghl_time_ms(get_or_null(added, "dateAdded"))) out["dateAdded"] = iso_utc(*ms);
        return mcp::ToolResult::structured_result(std::move(out));
    };
}

}  // namespace

std::vector<Registration> conversation_tools() {
    return {
        {"get_conversation_messages", make_get_conversation_messages},
        {"log_inbound_message", make_log_inbound_message},
        {"search_conversations", make_search_conversations},
        {"send_message", make_send_message},
    };
}

}  // namespace tools
