#include "events/shape.hpp"
#include "core/json.hpp"

#include <set>

namespace events {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxText = 500;  // message bodies and notes are cut here

std::string str(const json& o, const char* key) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number() || it->is_boolean()) return it->dump();
    return {};
}

/// Shortens text to at most `max` bytes without cutting a UTF-8 character.
std::string cut(std::string text, std::size_t max = kMaxText) {
    if (text.size() <= max) return text;
    std::size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text.resize(end);
    return text + "…";
}

/// Copies the listed keys that are present (and not null) from `from`.
json pick(const json& from, std::initializer_list<const char*> keys) {
    json out = json::object();
    for (const char* k : keys)
        if (auto it = from.find(k); it != from.end() && !it->is_null()) out[k] = *it;
    return out;
}

std::string person(const json& b) {
    std::string name = str(b, "name");
    if (name.empty()) {
        name = str(b, "firstName");
        const std::string last = str(b, "lastName");
        if (!last.empty()) name += (name.empty() ? "" : " ") + last;
    }
    if (name.empty()) name = str(b, "email");
    if (name.empty()) name = str(b, "phone");
    return name.empty() ? "a contact" : name;
}

bool starts(const std::string& s, const char* prefix) {
    return s.rfind(prefix, 0) == 0;
}

const std::set<std::string>& types() {
    static const std::set<std::string> t = {"ContactCreate",
                                            "ContactUpdate",
                                            "ContactDelete",
                                            "ContactTagUpdate",
                                            "ContactDndUpdate",
                                            "InboundMessage",
                                            "OutboundMessage",
                                            "AppointmentCreate",
                                            "AppointmentUpdate",
                                            "AppointmentDelete",
                                            "OpportunityCreate",
                                            "OpportunityUpdate",
                                            "OpportunityDelete",
                                            "OpportunityStageUpdate",
                                            "OpportunityStatusUpdate",
                                            "OpportunityMonetaryValueUpdate",
                                            "OpportunityAssignedToUpdate",
                                            "TaskCreate",
                                            "TaskComplete",
                                            "TaskDelete",
                                            "NoteCreate",
                                            "NoteUpdate",
                                            "NoteDelete",
                                            "FormSubmission"};
    return t;
}

void shape_known(const std::string& type, const json& b, json& data, std::string& summary) {
    if (starts(type, "Contact")) {
        data = pick(b, {"firstName", "lastName", "name", "email", "phone", "tags", "source", "dnd",
                        "companyName", "assignedTo", "dateAdded"});
        data["contactId"] = str(b, "id");
        const std::string who = person(b);
        if (type == "ContactCreate")
            summary = "New contact " + who;
        else if (type == "ContactDelete")
            summary = "Contact " + who + " was deleted";
        else if (type == "ContactTagUpdate") {
            std::string tags;
            if (auto t = b.find("tags"); t != b.end() && t->is_array())
                for (const auto& tag : *t)
                    if (tag.is_string())
                        tags += (tags.empty() ? "" : ", ") + tag.get<std::string>();
            summary = "Tags of " + who + " are now: " + (tags.empty() ? "(none)" : tags);
        } else if (type == "ContactDndUpdate")
            summary = "Do-not-disturb changed for " + who;
        else
            summary = "Contact " + who + " was updated";
        return;
    }
    if (type == "InboundMessage" || type == "OutboundMessage") {
        data = pick(
            b, {"contactId", "conversationId", "messageId", "messageType", "direction", "status",
                "subject", "from", "to", "dateAdded", "callDuration", "callStatus", "userId"});
        const std::string text = cut(str(b, "body"));
        if (!text.empty()) data["body"] = text;
        const std::string channel =
            str(b, "messageType").empty() ? "message" : str(b, "messageType");
        const bool inbound = type == "InboundMessage";
        summary = std::string(inbound ? "Inbound " : "Outbound ") + channel +
                  (inbound ? " from" : " to") + " contact " + str(b, "contactId") +
                  (text.empty() ? "" : ": \"" + cut(text, 120) + "\"");
        return;
    }
    if (starts(type, "Appointment")) {
        const json& a =
            b.contains("appointment") && b["appointment"].is_object() ? b["appointment"] : b;
        data = pick(
            a, {"calendarId", "contactId", "title", "appointmentStatus", "startTime", "endTime",
                "assignedUserId", "address", "source", "notes", "dateAdded", "dateUpdated"});
        data["appointmentId"] = str(a, "id");
        const std::string title =
            str(a, "title").empty() ? "Appointment" : "Appointment \"" + str(a, "title") + "\"";
        const std::string when = str(a, "startTime");
        if (type == "AppointmentCreate")
            summary = title + " booked for " + when;
        else if (type == "AppointmentDelete")
            summary = title + " at " + when + " was deleted";
        else
            summary =
                title + " at " + when + " updated (status " + str(a, "appointmentStatus") + ")";
        return;
    }
    if (starts(type, "Opportunity")) {
        data = pick(b, {"name", "contactId", "pipelineId", "pipelineStageId", "status",
                        "monetaryValue", "assignedTo", "source", "dateAdded"});
        data["opportunityId"] = str(b, "id");
        const std::string deal = "Deal \"" + str(b, "name") + "\"";
        if (type == "OpportunityCreate")
            summary = "New deal \"" + str(b, "name") + "\" in stage " + str(b, "pipelineStageId");
        else if (type == "OpportunityStageUpdate")
            summary = deal + " moved to stage " + str(b, "pipelineStageId");
        else if (type == "OpportunityStatusUpdate")
            summary = deal + " is now " + str(b, "status");
        else if (type == "OpportunityMonetaryValueUpdate")
            summary = deal + " value is now " + str(b, "monetaryValue");
        else if (type == "OpportunityAssignedToUpdate")
            summary = deal + " assigned to " + str(b, "assignedTo");
        else if (type == "OpportunityDelete")
            summary = deal + " was deleted";
        else
            summary = deal + " was updated";
        return;
    }
    if (starts(type, "Task")) {
        data = pick(b, {"contactId", "title", "dueDate", "completed", "assignedTo", "dateAdded"});
        data["taskId"] = str(b, "id");
        if (const std::string body = cut(str(b, "body")); !body.empty()) data["body"] = body;
        const std::string task = "Task \"" + str(b, "title") + "\"";
        summary = type == "TaskCreate" ? task + " created for contact " + str(b, "contactId") +
                                             " (due " + str(b, "dueDate") + ")"
                  : type == "TaskComplete" ? task + " completed"
                                           : task + " deleted";
        return;
    }
    if (starts(type, "Note")) {
        data = pick(b, {"contactId", "dateAdded"});
        data["noteId"] = str(b, "id");
        const std::string body = cut(str(b, "body"));
        if (!body.empty()) data["body"] = body;
        summary = std::string(type == "NoteCreate"   ? "Note added"
                              : type == "NoteUpdate" ? "Note edited"
                                                     : "Note deleted") +
                  " on contact " + str(b, "contactId") +
                  (body.empty() ? "" : ": \"" + cut(body, 120) + "\"");
        return;
    }
    // FormSubmission: the form, who sent it, and every other field as submitted.
    data = json::object();
    json fields = json::object();
    for (const auto& [k, v] : b.items()) {
        if (k == "type" || k == "locationId" || k == "webhookId" || k == "timestamp") continue;
        if (k == "contactId" || k == "formId" || k == "formName" || k == "name" || k == "email" ||
            k == "phone")
            data[k] = v;
        else
            fields[k] = v;
    }
    if (!fields.empty()) data["fields"] = fields;
    const std::string form = str(b, "formName").empty() ? str(b, "formId") : str(b, "formName");
    summary = "Form " + (form.empty() ? std::string("submission") : "\"" + form + "\" submitted") +
              " by " + person(b);
}

}  // namespace

bool known_type(const std::string& type) {
    return types().count(type) > 0;
}

json shape(const Event& e) {
    json out = {{"seq", e.seq},
                {"type", e.type.empty() ? "Unknown" : e.type},
                {"locationId", e.location_id},
                {"occurredAt", e.occurred_at},
                {"receivedAt", e.received_at}};
    if (!e.contact_id.empty()) out["contactId"] = e.contact_id;
    if (e.key.rfind("sha256:", 0) != 0) out["webhookId"] = e.key;
    // Bounded: a body stored before the receiver refused deep nesting must not crash its readers.
    json body = core::parse_json_or_discard(e.body);
    if (body.is_discarded() || !body.is_object()) body = json::object();
    if (known_type(e.type)) {
        json data;
        std::string summary;
        shape_known(e.type, body, data, summary);
        out["summary"] = summary;
        out["data"] = std::move(data);
        out["raw"] = false;
    } else {
        body.erase("webhookId");
        body.erase("timestamp");
        out["summary"] =
            (e.type.empty() ? std::string("An event without a type") : e.type + " event") +
            " (kept as GHL sent it)";
        out["data"] = std::move(body);
        out["raw"] = true;
    }
    return out;
}

}  // namespace events
