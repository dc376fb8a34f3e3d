// Conversations [D:conversations], Version 2021-04-15: search (startAfterDate cursor), get,
// create, messages (lastMessageId cursor), send, and inbound messages from a custom provider.
#include "api.hpp"

#include <algorithm>

namespace ghlsim {

namespace {

constexpr const char* V = kVersionCalendars;  // conversations share calendars' 2021-04-15

Conversation& conversation_or_400(Store& store, const std::string& id) {
    const auto it = store.conversations.find(id);
    if (it == store.conversations.end()) not_found("Conversation");
    return it->second;
}

std::vector<std::string> split_csv(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = text.find(',', start);
        const std::string item =
            text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty()) out.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

Reply search(Call& call) {
    validate_query(call, {{"locationId", Kind::kString, true},
                          {"sort", Kind::kString, false, {"asc", "desc"}},
                          {"sortBy", Kind::kString, false,
                           {"last_manual_message_date", "last_message_date", "score_profile",
                            "overdue_at", "due_at"}},
                          {"status", Kind::kString, false,
                           {"all", "read", "unread", "starred", "recents"}},
                          {"lastMessageDirection", Kind::kString, false, {"inbound", "outbound"}},
                          {"lastMessageAction", Kind::kString, false, {"automated", "manual"}},
                          {"startAfterDate", Kind::kNumber},
                          {"startDate", Kind::kNumber},
                          {"endDate", Kind::kNumber},
                          {"limit", Kind::kNumber}});
    const Store& store = call.store;
    check_location(store, call.query("locationId"));
    const long limit = query_int(call, "limit", 20, 1, 100);
    const bool ascending = call.query("sort") == "asc";
    const std::string status = call.query("status", "all");
    const std::vector<std::string> assignees = split_csv(call.query("assignedTo"));
    const std::string query = lower(call.query("query"));
    const Ms start_date = call.has_query("startDate") ? std::stoll(call.query("startDate")) : 0;
    const Ms end_date = call.has_query("endDate") ? std::stoll(call.query("endDate")) : 0;

    std::vector<std::pair<Ms, const Conversation*>> hits;
    for (const auto& [id, c] : store.conversations) {
        const Ms last = store.conversation_last_date(c);
        if (call.has_query("contactId") && c.contact_id != call.query("contactId")) continue;
        if (call.has_query("id") && c.id != call.query("id")) continue;
        if (!assignees.empty()) {
            const bool unassigned_ok =
                c.assigned_to.empty() &&
                std::find(assignees.begin(), assignees.end(), "unassigned") != assignees.end();
            if (!unassigned_ok &&
                std::find(assignees.begin(), assignees.end(), c.assigned_to) == assignees.end()) {
                continue;
            }
        }
        if (status == "read" && c.unread_count > 0) continue;
        if (status == "unread" && c.unread_count == 0) continue;
        if (status == "starred" && !c.starred) continue;
        if (call.has_query("startDate") && last < start_date) continue;
        if (call.has_query("endDate") && last > end_date) continue;
        const Message* lm = c.message_ids.empty() ? nullptr : &store.messages.at(c.message_ids.back());
        if (call.has_query("lastMessageType") &&
            (lm == nullptr || lm->message_type != call.query("lastMessageType"))) {
            continue;
        }
        if (call.has_query("lastMessageDirection") &&
            (lm == nullptr || lm->direction != call.query("lastMessageDirection"))) {
            continue;
        }
        if (call.has_query("lastMessageAction") && lm != nullptr) {
            const bool automated = lm->source == "workflow" || lm->source == "campaign";
            if ((call.query("lastMessageAction") == "automated") != automated) continue;
        }
        if (!query.empty()) {
            bool hit = lm != nullptr && lower(lm->body).find(query) != std::string::npos;
            const auto it = store.contacts.find(c.contact_id);
            if (it != store.contacts.end()) {
                for (const std::string& text :
                     {lower(it->second.full_name()), lower(it->second.email), it->second.phone}) {
                    if (!text.empty() && text.find(query) != std::string::npos) hit = true;
                }
            }
            if (!hit) continue;
        }
        hits.emplace_back(last, &c);
    }
    std::sort(hits.begin(), hits.end(), [ascending](const auto& a, const auto& b) {
        if (a.first != b.first) return ascending ? a.first < b.first : a.first > b.first;
        return a.second->id < b.second->id;
    });
    std::size_t first = 0;
    if (call.has_query("startAfterDate")) {
        const Ms after = std::stoll(call.query("startAfterDate"));
        while (first < hits.size() &&
               (ascending ? hits[first].first <= after : hits[first].first >= after)) {
            ++first;
        }
    }
    Json list = Json::array();
    for (std::size_t i = first; i < hits.size() && i < first + static_cast<std::size_t>(limit); ++i) {
        list.push_back(store.conversation_json(*hits[i].second));
    }
    return {200, {{"conversations", list}, {"total", hits.size()}}};
}

Reply get(Call& call) {
    const Conversation& c = conversation_or_400(call.store, call.param("conversationId"));
    return {200, call.store.conversation_detail_json(c)};
}

Reply create(Call& call) {
    const Json& body = call.body();
    validate_body(body, {{"locationId", Kind::kString, true}, {"contactId", Kind::kString, true}});
    Store& store = call.store;
    check_location(store, str(body, "locationId"));
    const Contact& contact = contact_or_400(store, str(body, "contactId"));
    for (const auto& [id, c] : store.conversations) {
        if (c.contact_id == contact.id) {
            throw ApiError(400, Json{{"statusCode", 400},
                                     {"message", "Conversation already exists"},
                                     {"error", "Bad Request"},
                                     {"conversationId", c.id}});
        }
    }
    Conversation conv;
    conv.id = store.new_id();
    conv.contact_id = contact.id;
    conv.type = contact.phone.empty() && !contact.email.empty() ? "TYPE_EMAIL" : "TYPE_PHONE";
    conv.assigned_to = contact.assigned_to;
    conv.date_added = store.stamp(call.now);
    conv.date_updated = conv.date_added;
    Json out = {{"id", conv.id},
                {"dateUpdated", timeutil::iso_utc(conv.date_updated)},
                {"dateAdded", timeutil::iso_utc(conv.date_added)},
                {"deleted", false},
                {"contactId", conv.contact_id},
                {"locationId", store.location.id},
                {"lastMessageDate", timeutil::iso_utc(conv.date_added)}};
    if (!conv.assigned_to.empty()) out["assignedTo"] = conv.assigned_to;
    store.conversations.emplace(conv.id, std::move(conv));
    return {201, {{"success", true}, {"conversation", out}}};
}

/// Newest first (dateAdded, then insertion order); `lastMessageId` continues after that message.
Reply messages(Call& call) {
    const Conversation& c = conversation_or_400(call.store, call.param("conversationId"));
    validate_query(call, {{"limit", Kind::kNumber}});
    const long limit = query_int(call, "limit", 20, 1, 100);
    const std::vector<std::string> types = split_csv(call.query("type"));
    std::vector<std::pair<std::size_t, const Message*>> ordered;
    for (std::size_t i = 0; i < c.message_ids.size(); ++i) {
        ordered.emplace_back(i, &call.store.messages.at(c.message_ids[i]));
    }
    std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
        if (a.second->date_added != b.second->date_added) {
            return a.second->date_added > b.second->date_added;
        }
        return a.first > b.first;
    });
    std::size_t next = 0;
    if (call.has_query("lastMessageId")) {
        const std::string after = call.query("lastMessageId");
        const auto it = std::find_if(ordered.begin(), ordered.end(),
                                     [&](const auto& entry) { return entry.second->id == after; });
        if (it == ordered.end()) not_found("Message");
        next = static_cast<std::size_t>(it - ordered.begin()) + 1;
    }
    const auto wanted = [&](const Message& m) {
        return types.empty() || std::find(types.begin(), types.end(), m.message_type) != types.end();
    };
    Json list = Json::array();
    std::string last_id;
    for (; next < ordered.size() && list.size() < static_cast<std::size_t>(limit); ++next) {
        if (!wanted(*ordered[next].second)) continue;
        list.push_back(call.store.message_json(*ordered[next].second));
        last_id = ordered[next].second->id;
    }
    bool more = false;
    for (; next < ordered.size() && !more; ++next) more = wanted(*ordered[next].second);
    Json page = {{"lastMessageId", last_id.empty() ? Json() : Json(last_id)},
                 {"nextPage", more},
                 {"messages", list}};
    if (call.opts.nested_messages) return {200, {{"messages", page}}};
    return {200, page};
}

Reply get_message(Call& call) {
    const auto it = call.store.messages.find(call.param("id"));
    if (it == call.store.messages.end()) not_found("Message");
    return {200, call.store.message_json(it->second)};
}

const std::vector<std::string> kSendTypes = {"SMS", "RCS",    "Email",     "WhatsApp", "IG",
                                             "FB",  "Custom", "Live_Chat", "TIKTOK"};

Reply send(Call& call) {
    const Json& body = call.body();
    validate_body(body, {{"type", Kind::kString, true, kSendTypes},
                         {"subType", Kind::kAny},
                         {"contactId", Kind::kString, true},
                         {"appointmentId", Kind::kString},
                         {"attachments", Kind::kStringArray},
                         {"emailFrom", Kind::kString},
                         {"emailCc", Kind::kStringArray},
                         {"emailBcc", Kind::kStringArray},
                         {"html", Kind::kString},
                         {"message", Kind::kString},
                         {"subject", Kind::kString},
                         {"replyMessageId", Kind::kString},
                         {"templateId", Kind::kString},
                         {"threadId", Kind::kString},
                         {"scheduledTimestamp", Kind::kNumber},
                         {"conversationProviderId", Kind::kString},
                         {"emailTo", Kind::kString},
                         {"customSubtypeId", Kind::kString},
                         {"emailReplyMode", Kind::kString, false, {"reply", "reply_all"}},
                         {"fromNumber", Kind::kString},
                         {"toNumber", Kind::kString},
                         {"forward", Kind::kObject},
                         {"status", Kind::kString, false, {"delivered", "failed", "pending", "read"}},
                         {"usesNativeSchedulingAi", Kind::kBool},
                         {"optimizationPeriod", Kind::kString, false, {"24h", "48h", "72h"}}});
    Store& store = call.store;
    const Contact& contact = contact_or_400(store, str(body, "contactId"));
    const std::string type = str(body, "type");
    const bool email = type == "Email";
    const std::string text = str(body, "message");
    const std::string html = str(body, "html");
    const bool has_attachments = body.contains("attachments") && !body["attachments"].empty();
    if (email) {
        if (contact.email.empty() && str(body, "emailTo").empty()) {
            throw ApiError::bad_request("Contact does not have an email address");
        }
        if (text.empty() && html.empty() && !body.contains("templateId")) {
            throw ApiError::bad_request("Email requires html or message");
        }
    } else {
        const bool phone_channel = type == "SMS" || type == "WhatsApp" || type == "RCS";
        if (phone_channel && contact.phone.empty() && str(body, "toNumber").empty()) {
            throw ApiError::bad_request("Contact does not have a phone number");
        }
        if (text.empty() && !has_attachments) {
            throw ApiError::bad_request("message should not be empty");
        }
    }
    if (contact.dnd) {
        throw ApiError::bad_request("Cannot send message as DND is active for " + type + ".");
    }
    const std::string message_type = message_type_for_channel(type);
    const Ms at = store.stamp(call.now);
    Conversation& conv = store.conversation_for(contact, message_type, at);
    Message m;
    m.id = store.new_id();
    m.conversation_id = conv.id;
    m.contact_id = contact.id;
    m.message_type = message_type;
    m.direction = "outbound";
    m.status = "pending";
    if (body.contains("scheduledTimestamp") &&
        body["scheduledTimestamp"].get<double>() * 1000.0 > static_cast<double>(call.now)) {
        m.status = "scheduled";
    }
    m.body = text.empty() ? html : text;
    m.subject = str(body, "subject");
    m.content_type = html.empty() ? "text/plain" : "text/html";
    m.source = "api";
    if (has_attachments) m.attachments = body["attachments"].get<std::vector<std::string>>();
    m.date_added = at;
    const Message& stored = store.add_message(std::move(m));
    ++store.counters.messages_sent;
    call.emit([&] { return message_event(store, stored); });
    Json out = {{"conversationId", conv.id},
                {"messageId", stored.id},
                {"msg", stored.status == "scheduled" ? "Message scheduled successfully."
                                                     : "Message queued successfully."},
                {"status", "pending"}};
    if (email) out["emailMessageId"] = stored.id;
    return {200, out};
}

const std::vector<std::string> kInboundTypes = {
    "SMS",      "RCS",      "Email",         "WhatsApp",           "GMB",    "IG",
    "FB",       "Custom",   "WebChat",       "Live_Chat",          "Call",   "IVR_Call",
    "Campaign_Call", "Campaign_VoiceMail", "TIKTOK", "ALL_IN_ONE_CHAT", "FORM_SUBMISSION"};

/// The spec requires conversationId, contactId and conversationProviderId; the simulator does
/// too. `direction` defaults to inbound here (the spec's description says outbound, which would
/// make this endpoint's name a lie; UNVERIFIED).
Reply inbound(Call& call) {
    const Json& body = call.body();
    validate_body(body, {{"type", Kind::kString, true, kInboundTypes},
                         {"attachments", Kind::kStringArray},
                         {"message", Kind::kString},
                         {"conversationId", Kind::kString, true},
                         {"contactId", Kind::kString, true},
                         {"conversationProviderId", Kind::kString, true},
                         {"html", Kind::kString},
                         {"subject", Kind::kString},
                         {"emailFrom", Kind::kString},
                         {"emailTo", Kind::kString},
                         {"emailCc", Kind::kStringArray},
                         {"emailBcc", Kind::kStringArray},
                         {"emailMessageId", Kind::kString},
                         {"altId", Kind::kString},
                         {"direction", Kind::kString, false, {"inbound", "outbound"}},
                         {"date", Kind::kString},
                         {"call", Kind::kObject}});
    Store& store = call.store;
    Conversation& conv = conversation_or_400(store, str(body, "conversationId"));
    const Contact& contact = contact_or_400(store, str(body, "contactId"));
    if (conv.contact_id != contact.id) {
        throw ApiError::bad_request("Conversation does not belong to the contact");
    }
    Ms at = store.stamp(call.now);
    if (body.contains("date")) at = parse_time_field(str(body, "date"), "date");
    Message m;
    m.id = store.new_id();
    m.conversation_id = conv.id;
    m.contact_id = contact.id;
    m.message_type = message_type_for_channel(str(body, "type"));
    m.direction = body.contains("direction") ? str(body, "direction") : "inbound";
    m.status = "delivered";
    m.body = str(body, "message").empty() ? str(body, "html") : str(body, "message");
    m.subject = str(body, "subject");
    m.content_type = str(body, "html").empty() ? "text/plain" : "text/html";
    if (body.contains("attachments")) m.attachments = body["attachments"].get<std::vector<std::string>>();
    m.date_added = at;
    const Message& stored = store.add_message(std::move(m));
    ++store.counters.messages_inbound;
    call.emit([&] { return message_event(store, stored, str(body, "conversationProviderId")); });
    Json out = {{"success", true},
                {"conversationId", conv.id},
                {"messageId", stored.id},
                {"message", "Message added successfully"},
                {"contactId", contact.id},
                {"dateAdded", timeutil::iso_utc(stored.date_added)}};
    if (stored.message_type == "TYPE_EMAIL") out["emailMessageId"] = stored.id;
    return {200, out};
}

}  // namespace

void register_conversation_routes(Router& router) {
    const int status = 400;  // the conversations spec declares no 422
    router.add("GET", "/conversations/search", V, search, status);
    router.add("POST", "/conversations", V, create, status);
    router.add("GET", "/conversations/{conversationId}", V, get, status);
    router.add("GET", "/conversations/{conversationId}/messages", V, messages, status);
    router.add("GET", "/conversations/messages/{id}", V, get_message, status);
    router.add("POST", "/conversations/messages", V, send, status);
    router.add("POST", "/conversations/messages/inbound", V, inbound, status);
}

}  // namespace ghlsim
