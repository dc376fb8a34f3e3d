// The payloads of the webhooks the simulator sends when the API changes something
// (../shared/reference/ghl-api.md N6, GHL's docs/webhook events/*.md examples).
#include "api.hpp"

#include <array>
#include <utility>

namespace ghlsim {

namespace {

using timeutil::iso_utc;

void put_if(Json& j, const char* key, const std::string& value) {
    if (!value.empty()) j[key] = value;
}

Json event_head(const Store& store, const char* type) {
    Json j;
    j["type"] = type;
    j["locationId"] = store.location.id;
    return j;
}

/// The messageType of message webhooks: the channel's short name ("SMS", "Email", "CALL", ...),
/// not the TYPE_* of the messages API. SMS, Email and CALL are in GHL's examples; the rest
/// follow the channel names of POST /conversations/messages (UNVERIFIED).
std::string webhook_message_type(const std::string& message_type) {
    static const std::array<std::pair<const char*, const char*>, 13> kNames = {{
        {"TYPE_SMS", "SMS"},
        {"TYPE_EMAIL", "Email"},
        {"TYPE_CALL", "CALL"},
        {"TYPE_IVR_CALL", "CALL"},
        {"TYPE_WHATSAPP", "WhatsApp"},
        {"TYPE_RCS", "RCS"},
        {"TYPE_GMB", "GMB"},
        {"TYPE_FACEBOOK", "FB"},
        {"TYPE_INSTAGRAM", "IG"},
        {"TYPE_WEBCHAT", "WebChat"},
        {"TYPE_LIVE_CHAT", "Live_Chat"},
        {"TYPE_TIKTOK", "TIKTOK"},
        {"TYPE_CUSTOM_PROVIDER_SMS", "Custom"},
    }};
    for (const auto& [type, name] : kNames) {
        if (message_type == type) return name;
    }
    const std::string prefix = "TYPE_";
    return message_type.rfind(prefix, 0) == 0 ? message_type.substr(prefix.size()) : message_type;
}

}  // namespace

Json contact_event(const Store& store, const Contact& c, const char* type) {
    Json j = event_head(store, type);
    j["id"] = c.id;
    put_if(j, "address1", c.address1);
    put_if(j, "city", c.city);
    put_if(j, "state", c.state);
    put_if(j, "companyName", c.company_name);
    put_if(j, "country", c.country);
    put_if(j, "source", c.source);
    j["dateAdded"] = iso_utc(c.date_added);
    put_if(j, "dateOfBirth", c.date_of_birth);
    j["dnd"] = c.dnd;
    put_if(j, "email", c.email);
    put_if(j, "name", c.full_name());
    put_if(j, "firstName", c.first_name);
    put_if(j, "lastName", c.last_name);
    put_if(j, "phone", c.phone);
    put_if(j, "postalCode", c.postal_code);
    j["tags"] = c.tags;
    put_if(j, "website", c.website);
    j["attachments"] = Json::array();
    put_if(j, "assignedTo", c.assigned_to);
    j["customFields"] = store.contact_json(c)["customFields"];  // [{id, value}]
    return j;
}

Json note_event(const Store& store, const Note& n) {
    Json j = event_head(store, "NoteCreate");
    j["id"] = n.id;
    j["contactId"] = n.contact_id;
    j["body"] = n.body;
    j["dateAdded"] = iso_utc(n.date_added);
    return j;
}

Json task_event(const Store& store, const Task& t) {
    Json j = event_head(store, "TaskCreate");
    j["id"] = t.id;
    j["contactId"] = t.contact_id;
    j["title"] = t.title;
    j["body"] = t.body;
    j["dueDate"] = iso_utc(t.due_date);
    j["completed"] = t.completed;
    j["assignedTo"] = t.assigned_to.empty() ? Json() : Json(t.assigned_to);
    return j;
}

Json appointment_event(const Store& store, const Appointment& a, const char* type) {
    // The API's own appointment view, cut to the fields GHL's webhook carries.
    const Json full = store.event_json(a);
    Json appointment;
    for (const char* key :
         {"id", "address", "title", "calendarId", "contactId", "groupId", "appointmentStatus",
          "assignedUserId", "users", "notes", "startTime", "endTime", "dateAdded"})
        appointment[key] = full.at(key);
    appointment["source"] = "third_party";  // booked through the API (createdBy.source)
    appointment["dateUpdated"] = iso_utc(a.date_updated);
    Json j = event_head(store, type);
    j["appointment"] = std::move(appointment);
    return j;
}

Json opportunity_event(const Store& store, const Opportunity& o, const char* type) {
    Json j = event_head(store, type);
    j["id"] = o.id;
    j["assignedTo"] = o.assigned_to.empty() ? Json() : Json(o.assigned_to);
    j["contactId"] = o.contact_id;
    j["monetaryValue"] = o.monetary_value;
    j["name"] = o.name;
    j["pipelineId"] = o.pipeline_id;
    j["pipelineStageId"] = o.stage_id;
    j["source"] = o.source;
    j["status"] = o.status;
    j["dateAdded"] = iso_utc(o.created_at);
    return j;
}

Json message_event(const Store& store, const Message& m, const std::string& provider_id) {
    Json j = event_head(store, m.direction == "outbound" ? "OutboundMessage" : "InboundMessage");
    j["attachments"] = m.attachments;
    j["body"] = m.body;
    j["contactId"] = m.contact_id;
    j["contentType"] = m.content_type;
    j["conversationId"] = m.conversation_id;
    j["dateAdded"] = iso_utc(m.date_added);
    j["direction"] = m.direction;
    j["messageType"] = webhook_message_type(m.message_type);
    j["status"] = m.status;
    j["messageId"] = m.id;
    put_if(j, "userId", m.user_id);
    put_if(j, "conversationProviderId", provider_id);
    if (m.message_type == "TYPE_EMAIL") {
        j["emailMessageId"] = m.id;
        j["subject"] = m.subject;
    }
    return j;
}

}  // namespace ghlsim
