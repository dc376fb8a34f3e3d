// The simulated sub-account's records, their JSON shapes (from the official OpenAPI specs) and the
// helpers handlers share. The deterministic seed lives in seed.cpp.
#include "store.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace ghlsim {

using timeutil::iso_offset;
using timeutil::iso_utc;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string normalize_phone(const std::string& raw) {
    std::string digits;
    bool plus = false;
    for (char c : raw) {
        if (c == '+' && digits.empty()) plus = true;
        if (c >= '0' && c <= '9') digits += c;
    }
    if (!plus) {
        if (digits.size() == 10) return "+1" + digits;
        if (digits.size() == 11 && digits[0] == '1') return "+" + digits;
        return "";
    }
    if (digits.size() < 8 || digits.size() > 15) return "";
    return "+" + digits;
}

int message_type_number(const std::string& message_type) {
    // The order of GHL's message-type enum without TYPE_RCS (a late addition), 1-based; the
    // spec confirms TYPE_EMAIL = 3 ("message type 3 (email)"). The rest is UNVERIFIED.
    static const std::array<const char*, 41> kTypes = {
        "TYPE_CALL",
        "TYPE_SMS",
        "TYPE_EMAIL",
        "TYPE_SMS_REVIEW_REQUEST",
        "TYPE_WEBCHAT",
        "TYPE_SMS_NO_SHOW_REQUEST",
        "TYPE_CAMPAIGN_SMS",
        "TYPE_CAMPAIGN_CALL",
        "TYPE_CAMPAIGN_EMAIL",
        "TYPE_CAMPAIGN_VOICEMAIL",
        "TYPE_FACEBOOK",
        "TYPE_CAMPAIGN_FACEBOOK",
        "TYPE_CAMPAIGN_MANUAL_CALL",
        "TYPE_CAMPAIGN_MANUAL_SMS",
        "TYPE_GMB",
        "TYPE_CAMPAIGN_GMB",
        "TYPE_REVIEW",
        "TYPE_INSTAGRAM",
        "TYPE_WHATSAPP",
        "TYPE_CUSTOM_SMS",
        "TYPE_CUSTOM_EMAIL",
        "TYPE_CUSTOM_PROVIDER_SMS",
        "TYPE_CUSTOM_PROVIDER_EMAIL",
        "TYPE_IVR_CALL",
        "TYPE_ACTIVITY_CONTACT",
        "TYPE_ACTIVITY_INVOICE",
        "TYPE_ACTIVITY_PAYMENT",
        "TYPE_ACTIVITY_OPPORTUNITY",
        "TYPE_LIVE_CHAT",
        "TYPE_LIVE_CHAT_INFO_MESSAGE",
        "TYPE_ACTIVITY_APPOINTMENT",
        "TYPE_FACEBOOK_COMMENT",
        "TYPE_INSTAGRAM_COMMENT",
        "TYPE_CUSTOM_CALL",
        "TYPE_INTERNAL_COMMENT",
        "TYPE_ACTIVITY_EMPLOYEE_ACTION_LOG",
        "TYPE_TIKTOK",
        "TYPE_TIKTOK_COMMENT",
        "TYPE_ACTIVITY_WHATSAPP",
        "TYPE_FORM_SUBMISSION",
        "TYPE_SMS_REACTION",
    };
    for (std::size_t i = 0; i < kTypes.size(); ++i) {
        if (message_type == kTypes[i]) return static_cast<int>(i) + 1;
    }
    return static_cast<int>(kTypes.size()) + 1;  // TYPE_RCS and anything newer
}

std::string message_type_for_channel(const std::string& channel) {
    static const std::vector<std::pair<const char*, const char*>> kChannels = {
        {"SMS", "TYPE_SMS"},
        {"RCS", "TYPE_RCS"},
        {"Email", "TYPE_EMAIL"},
        {"WhatsApp", "TYPE_WHATSAPP"},
        {"GMB", "TYPE_GMB"},
        {"IG", "TYPE_INSTAGRAM"},
        {"FB", "TYPE_FACEBOOK"},
        {"Custom", "TYPE_CUSTOM_PROVIDER_SMS"},
        {"WebChat", "TYPE_WEBCHAT"},
        {"Live_Chat", "TYPE_LIVE_CHAT"},
        {"Call", "TYPE_CALL"},
        {"IVR_Call", "TYPE_IVR_CALL"},
        {"Campaign_Call", "TYPE_CAMPAIGN_CALL"},
        {"Campaign_VoiceMail", "TYPE_CAMPAIGN_VOICEMAIL"},
        {"TIKTOK", "TYPE_TIKTOK"},
        {"ALL_IN_ONE_CHAT", "TYPE_LIVE_CHAT"},
        {"FORM_SUBMISSION", "TYPE_FORM_SUBMISSION"},
    };
    for (const auto& [name, type] : kChannels) {
        if (channel == name) return type;
    }
    return "";
}

std::string Contact::full_name() const {
    if (first_name.empty()) return last_name;
    if (last_name.empty()) return first_name;
    return first_name + " " + last_name;
}

const Stage* Pipeline::stage(const std::string& stage_id) const {
    for (const Stage& s : stages) {
        if (s.id == stage_id) return &s;
    }
    return nullptr;
}

Store::Store(std::uint64_t seed_value, Ms reference_now, std::string location_id,
             std::size_t business)
    : ids_(seed_value ^ 0xA5A5A5A55A5A5A5AULL), traces_(seed_value ^ 0x7ACE7ACE7ACEULL) {
    location.id = std::move(location_id);
    seed(seed_value, reference_now, business);
}

Ms Store::stamp(Ms now) {
    last_stamp_ = std::max(now, last_stamp_ + 1);
    return last_stamp_;
}

const Pipeline* Store::pipeline(const std::string& id) const {
    for (const Pipeline& p : pipelines) {
        if (p.id == id) return &p;
    }
    return nullptr;
}

const Calendar* Store::calendar(const std::string& id) const {
    for (const Calendar& c : calendars) {
        if (c.id == id) return &c;
    }
    return nullptr;
}

const Workflow* Store::workflow(const std::string& id) const {
    for (const Workflow& w : workflows) {
        if (w.id == id) return &w;
    }
    return nullptr;
}

const Campaign* Store::campaign(const std::string& id) const {
    for (const Campaign& c : campaigns) {
        if (c.id == id) return &c;
    }
    return nullptr;
}

const User* Store::user(const std::string& id) const {
    const auto it = users.find(id);
    return it == users.end() ? nullptr : &it->second;
}

const CustomField* Store::custom_field(const std::string& id_or_key) const {
    for (const CustomField& f : custom_fields) {
        if (f.id == id_or_key || f.field_key == id_or_key ||
            f.field_key == f.model + "." + id_or_key) {
            return &f;
        }
    }
    return nullptr;
}

const Contact* Store::find_duplicate(const std::string& email, const std::string& phone,
                                     const std::string& ignore_id, std::string* matched) const {
    const std::string email_lc = lower(email);
    const std::string phone_n = phone.empty() ? "" : normalize_phone(phone);
    const Contact* by_email = nullptr;
    const Contact* by_phone = nullptr;
    const auto older = [](const Contact* best, const Contact& c) {
        return best == nullptr || c.date_added < best->date_added ||
               (c.date_added == best->date_added && c.id < best->id);
    };
    for (const auto& [id, c] : contacts) {
        if (id == ignore_id) continue;
        if (!email_lc.empty() && lower(c.email) == email_lc && older(by_email, c)) by_email = &c;
        if (!phone_n.empty() && c.phone == phone_n && older(by_phone, c)) by_phone = &c;
    }
    if (matched != nullptr) *matched = by_email != nullptr ? "email" : "phone";
    return by_email != nullptr ? by_email : by_phone;
}

Conversation& Store::conversation_for(const Contact& contact, const std::string& message_type,
                                      Ms now) {
    for (auto& [id, conv] : conversations) {
        if (conv.contact_id == contact.id) return conv;
    }
    Conversation conv;
    conv.id = new_id();
    conv.contact_id = contact.id;
    conv.type = (message_type == "TYPE_EMAIL" && contact.phone.empty()) ? "TYPE_EMAIL" : "TYPE_PHONE";
    conv.assigned_to = contact.assigned_to;
    conv.date_added = now;
    conv.date_updated = now;
    auto [it, inserted] = conversations.emplace(conv.id, std::move(conv));
    return it->second;
}

void Store::ensure_tag(const std::string& name) {
    const std::string lc = lower(name);
    for (const Tag& t : tags) {
        if (t.name == lc) return;
    }
    tags.push_back({new_id(), lc});
}

const Message& Store::add_message(Message message) {
    Conversation& conv = conversations.at(message.conversation_id);
    conv.message_ids.push_back(message.id);
    conv.date_updated = std::max(conv.date_updated, message.date_added);
    if (message.direction == "inbound") {
        ++conv.unread_count;
    } else {
        conv.unread_count = 0;
    }
    auto [it, inserted] = messages.emplace(message.id, std::move(message));
    return it->second;
}

int Store::calendar_offset(const Calendar& c, Ms at) const {
    const timeutil::TimeZone* zone = timeutil::find_zone(c.timezone);
    return zone == nullptr ? 0 : zone->offset_at(at);
}

namespace {

void put_if(Json& j, const char* key, const std::string& value) {
    if (!value.empty()) j[key] = value;
}

/// Contacts read custom values as CustomFieldSchema {id, value: string} (numbers and booleans
/// become text; lists stay lists); opportunities as {id, fieldValue} of any type.
Json custom_values(const std::vector<CustomFieldValue>& values, const char* value_key) {
    const bool as_text = std::string(value_key) == "value";
    Json arr = Json::array();
    for (const CustomFieldValue& v : values) {
        const bool scalar = v.value.is_number() || v.value.is_boolean();
        arr.push_back({{"id", v.id}, {value_key, as_text && scalar ? Json(v.value.dump()) : v.value}});
    }
    return arr;
}

}  // namespace

Json Store::contact_json(const Contact& c) const {
    Json j;
    j["id"] = c.id;
    j["locationId"] = location.id;
    const std::string name = c.full_name();
    put_if(j, "contactName", lower(name));
    put_if(j, "name", name);
    put_if(j, "firstName", c.first_name);
    put_if(j, "lastName", c.last_name);
    put_if(j, "firstNameLowerCase", lower(c.first_name));
    put_if(j, "lastNameLowerCase", lower(c.last_name));
    put_if(j, "fullNameLowerCase", lower(name));
    put_if(j, "email", c.email);
    put_if(j, "emailLowerCase", lower(c.email));
    put_if(j, "phone", c.phone);
    put_if(j, "companyName", c.company_name);
    j["dnd"] = c.dnd;
    j["dndSettings"] = c.dnd_settings;
    j["type"] = c.type;
    put_if(j, "source", c.source);
    put_if(j, "assignedTo", c.assigned_to);
    put_if(j, "address1", c.address1);
    put_if(j, "city", c.city);
    put_if(j, "state", c.state);
    put_if(j, "postalCode", c.postal_code);
    put_if(j, "country", c.country);
    put_if(j, "website", c.website);
    put_if(j, "timezone", c.timezone);
    put_if(j, "dateOfBirth", c.date_of_birth);
    put_if(j, "gender", c.gender);
    j["tags"] = c.tags;
    j["customFields"] = custom_values(c.custom_fields, "value");
    j["additionalEmails"] = Json::array();
    j["followers"] = Json::array();
    j["dateAdded"] = iso_utc(c.date_added);
    j["dateUpdated"] = iso_utc(c.date_updated);
    return j;
}

Json Store::search_contact_json(const Contact& c) const {
    Json j;
    j["id"] = c.id;
    j["locationId"] = location.id;
    const std::string name = c.full_name();
    put_if(j, "contactName", name);
    put_if(j, "firstName", c.first_name);
    put_if(j, "lastName", c.last_name);
    put_if(j, "firstNameLowerCase", lower(c.first_name));
    put_if(j, "lastNameLowerCase", lower(c.last_name));
    put_if(j, "email", c.email);
    j["validEmail"] = !c.email.empty();
    put_if(j, "phone", c.phone);
    if (!c.phone.empty()) j["phoneLabel"] = "Mobile";
    j["additionalEmails"] = Json::array();
    j["additionalPhones"] = Json::array();
    put_if(j, "companyName", c.company_name);
    put_if(j, "businessName", c.company_name);
    j["type"] = c.type;
    put_if(j, "source", c.source);
    j["dnd"] = c.dnd;
    j["dndSettings"] = c.dnd_settings;
    put_if(j, "address", c.address1);
    put_if(j, "city", c.city);
    put_if(j, "state", c.state);
    put_if(j, "postalCode", c.postal_code);
    put_if(j, "country", c.country);
    put_if(j, "dateOfBirth", c.date_of_birth);
    put_if(j, "assignedTo", c.assigned_to);
    j["followers"] = Json::array();
    j["tags"] = c.tags;
    j["customFields"] = custom_values(c.custom_fields, "value");
    Json opps = Json::array();
    for (const auto& [id, o] : opportunities) {
        if (o.contact_id != c.id) continue;
        opps.push_back({{"id", o.id},
                        {"pipeline_id", o.pipeline_id},
                        {"pipeline_stage_id", o.stage_id},
                        {"monetary_value", o.monetary_value},
                        {"status", o.status}});
    }
    j["opportunities"] = opps;
    j["dateAdded"] = iso_utc(c.date_added);
    j["dateUpdated"] = iso_utc(c.date_updated);
    return j;
}

Json Store::note_json(const Note& n) const {
    Json j;
    j["id"] = n.id;
    j["body"] = n.body;
    j["userId"] = n.user_id;
    j["dateAdded"] = iso_utc(n.date_added);
    j["contactId"] = n.contact_id;
    put_if(j, "title", n.title);
    put_if(j, "color", n.color);
    j["pinned"] = n.pinned;
    return j;
}

Json Store::task_json(const Task& t) const {
    Json j;
    j["id"] = t.id;
    j["title"] = t.title;
    put_if(j, "body", t.body);
    put_if(j, "assignedTo", t.assigned_to);
    j["dueDate"] = iso_utc(t.due_date);
    j["completed"] = t.completed;
    j["contactId"] = t.contact_id;
    return j;
}

Json Store::pipeline_json(const Pipeline& p) const {
    Json stages = Json::array();
    for (const Stage& s : p.stages) {
        stages.push_back({{"id", s.id},
                          {"name", s.name},
                          {"position", s.position},
                          {"showInFunnel", true},
                          {"showInPieChart", true}});
    }
    return {{"id", p.id},
            {"name", p.name},
            {"stages", stages},
            {"showInFunnel", true},
            {"showInPieChart", true},
            {"locationId", location.id}};
}

Json Store::opportunity_json(const Opportunity& o) const {
    Json j;
    j["id"] = o.id;
    j["name"] = o.name;
    j["monetaryValue"] = o.monetary_value;
    j["pipelineId"] = o.pipeline_id;
    j["pipelineStageId"] = o.stage_id;
    put_if(j, "assignedTo", o.assigned_to);
    j["status"] = o.status;
    j["source"] = o.source;
    j["lastStatusChangeAt"] = iso_utc(o.last_status_change_at);
    j["lastStageChangeAt"] = iso_utc(o.last_stage_change_at);
    j["lastActionDate"] = iso_utc(o.last_action_date);
    j["indexVersion"] = "1";  // a string in the spec
    j["createdAt"] = iso_utc(o.created_at);
    j["updatedAt"] = iso_utc(o.updated_at);
    j["contactId"] = o.contact_id;
    j["locationId"] = location.id;
    const auto it = contacts.find(o.contact_id);
    if (it != contacts.end()) {
        const Contact& c = it->second;
        Json contact;
        contact["id"] = c.id;
        put_if(contact, "name", c.full_name());
        put_if(contact, "companyName", c.company_name);
        put_if(contact, "email", c.email);
        put_if(contact, "phone", c.phone);
        contact["tags"] = c.tags;
        j["contact"] = contact;
    }
    j["notes"] = Json::array();
    j["tasks"] = Json::array();
    j["calendarEvents"] = Json::array();
    put_if(j, "lostReasonId", o.lost_reason_id);
    j["customFields"] = custom_values(o.custom_fields, "fieldValue");
    j["followers"] = Json::array();
    return j;
}

Json Store::calendar_json(const Calendar& c) const {
    Json members = Json::array();
    for (std::size_t i = 0; i < c.team_members.size(); ++i) {
        members.push_back({{"userId", c.team_members[i]},
                           {"priority", 0.5},
                           {"meetingLocationType", "custom"},
                           {"isPrimary", i == 0}});
    }
    Json j;
    j["id"] = c.id;
    j["locationId"] = location.id;
    j["groupId"] = c.group_id;
    j["name"] = c.name;
    j["description"] = c.description;
    j["slug"] = c.slug;
    j["widgetSlug"] = c.slug;
    j["calendarType"] = c.calendar_type;
    j["widgetType"] = "classic";
    j["eventTitle"] = "{{contact.name}}";
    j["eventColor"] = c.event_color;
    j["teamMembers"] = members;
    j["eventType"] = "RoundRobin_OptimizeForAvailability";
    j["slotDuration"] = c.slot_duration_min;
    j["slotDurationUnit"] = "mins";
    j["slotInterval"] = c.slot_interval_min;
    j["slotIntervalUnit"] = "mins";
    j["slotBuffer"] = 0;
    j["preBuffer"] = 0;
    j["appoinmentPerSlot"] = 1;
    j["appoinmentPerDay"] = 0;
    j["allowBookingAfter"] = 0;
    j["allowBookingAfterUnit"] = "hours";
    j["allowBookingFor"] = 60;
    j["allowBookingForUnit"] = "days";
    j["openHours"] = Json::array({{{"daysOfTheWeek", c.days},
                                   {"hours", Json::array({{{"openHour", c.open_minute / 60},
                                                           {"openMinute", c.open_minute % 60},
                                                           {"closeHour", c.close_minute / 60},
                                                           {"closeMinute", c.close_minute % 60}}})}}});
    j["enableRecurring"] = false;
    j["autoConfirm"] = true;
    j["allowReschedule"] = true;
    j["allowCancellation"] = true;
    j["isActive"] = true;
    // Not in CalendarDTO: the zone the openHours are read in (GHL takes it from the team
    // member's or the location's settings). Kept so clients and tests can see it.
    j["timezone"] = c.timezone;
    return j;
}

Json Store::event_json(const Appointment& a) const {
    const Calendar* cal = calendar(a.calendar_id);
    const int offset = cal == nullptr ? 0 : calendar_offset(*cal, a.start);
    Json j;
    j["id"] = a.id;
    j["address"] = a.address;
    j["title"] = a.title;
    j["calendarId"] = a.calendar_id;
    j["locationId"] = location.id;
    j["contactId"] = a.contact_id;
    j["groupId"] = cal == nullptr ? "" : cal->group_id;
    j["appointmentStatus"] = a.status;
    j["assignedUserId"] = a.assigned_user_id;
    j["users"] = Json::array({a.assigned_user_id});
    j["notes"] = a.notes;
    put_if(j, "description", a.description);
    j["isRecurring"] = !a.rrule.empty();
    put_if(j, "rrule", a.rrule);
    j["startTime"] = iso_offset(a.start, offset);
    j["endTime"] = iso_offset(a.end, offset);
    j["dateAdded"] = iso_utc(a.date_added);
    j["dateUpdated"] = iso_utc(a.date_updated);
    j["assignedResources"] = Json::array();
    j["createdBy"] = {{"source", "third_party"}, {"userId", nullptr}};
    return j;
}

Json Store::appointment_json(const Appointment& a) const {
    const Calendar* cal = calendar(a.calendar_id);
    const int offset = cal == nullptr ? 0 : calendar_offset(*cal, a.start);
    Json j;
    j["id"] = a.id;
    j["calendarId"] = a.calendar_id;
    j["locationId"] = location.id;
    j["contactId"] = a.contact_id;
    j["startTime"] = iso_offset(a.start, offset);
    j["endTime"] = iso_offset(a.end, offset);
    j["title"] = a.title;
    j["meetingLocationType"] = a.meeting_location_type;
    j["appointmentStatus"] = a.status;
    j["assignedUserId"] = a.assigned_user_id;
    j["address"] = a.address;
    j["isRecurring"] = !a.rrule.empty();
    put_if(j, "rrule", a.rrule);
    return j;
}

Json Store::contact_event_json(const Appointment& a) const {
    const Calendar* cal = calendar(a.calendar_id);
    const int offset = cal == nullptr ? 0 : calendar_offset(*cal, a.start);
    Json j;
    j["id"] = a.id;
    j["calendarId"] = a.calendar_id;
    j["status"] = a.status == "cancelled" ? "cancelled" : "booked";
    j["title"] = a.title;
    j["assignedUserId"] = a.assigned_user_id;
    j["notes"] = a.notes;
    j["startTime"] = timeutil::plain_local(a.start, offset);
    j["endTime"] = timeutil::plain_local(a.end, offset);
    j["address"] = a.address;
    j["locationId"] = location.id;
    j["contactId"] = a.contact_id;
    j["groupId"] = cal == nullptr ? "" : cal->group_id;
    j["appointmentStatus"] = a.status;
    j["users"] = Json::array({a.assigned_user_id});
    j["dateAdded"] = timeutil::plain_local(a.date_added, offset);
    j["dateUpdated"] = timeutil::plain_local(a.date_updated, offset);
    j["assignedResources"] = Json::array();
    return j;
}

Ms Store::conversation_last_date(const Conversation& c) const {
    if (c.message_ids.empty()) return c.date_added;
    return messages.at(c.message_ids.back()).date_added;
}

Json Store::conversation_json(const Conversation& c) const {
    Json j;
    j["id"] = c.id;
    j["contactId"] = c.contact_id;
    j["locationId"] = location.id;
    const Ms last_date = conversation_last_date(c);
    if (!c.message_ids.empty()) {
        const Message& last = messages.at(c.message_ids.back());
        j["lastMessageBody"] = last.body;
        j["lastMessageType"] = last.message_type;
        j["lastMessageDirection"] = last.direction;
    } else {
        j["lastMessageBody"] = "";
        j["lastMessageType"] = nullptr;
    }
    j["lastMessageDate"] = last_date;
    j["type"] = c.type;
    j["unreadCount"] = c.unread_count;
    const auto it = contacts.find(c.contact_id);
    if (it != contacts.end()) {
        const Contact& contact = it->second;
        j["fullName"] = contact.full_name();
        j["contactName"] = contact.full_name();
        j["email"] = contact.email;
        j["phone"] = contact.phone;
        j["tags"] = contact.tags;
    } else {
        j["fullName"] = "";
        j["contactName"] = "";
        j["email"] = "";
        j["phone"] = "";
        j["tags"] = Json::array();
    }
    put_if(j, "assignedTo", c.assigned_to);
    j["starred"] = c.starred;
    j["inbox"] = true;
    j["dateAdded"] = c.date_added;
    j["dateUpdated"] = c.date_updated;
    j["sort"] = Json::array({last_date});
    return j;
}

Json Store::conversation_detail_json(const Conversation& c) const {
    // The order of ConversationSchema's `type` enum, 1-based (UNVERIFIED, like the message types).
    static const std::array<const char*, 5> kTypes = {"TYPE_PHONE", "TYPE_EMAIL",
                                                      "TYPE_FB_MESSENGER", "TYPE_REVIEW",
                                                      "TYPE_GROUP_SMS"};
    int type = 1;
    for (std::size_t i = 0; i < kTypes.size(); ++i) {
        if (c.type == kTypes[i]) type = static_cast<int>(i) + 1;
    }
    Json j;
    j["id"] = c.id;
    j["contactId"] = c.contact_id;
    j["locationId"] = location.id;
    j["deleted"] = false;
    j["inbox"] = true;
    j["type"] = type;
    j["unreadCount"] = c.unread_count;
    put_if(j, "assignedTo", c.assigned_to);
    j["starred"] = c.starred;
    return j;
}

Json Store::message_json(const Message& m) const {
    Json j;
    j["id"] = m.id;
    j["type"] = message_type_number(m.message_type);
    j["messageType"] = m.message_type;
    j["locationId"] = location.id;
    j["contactId"] = m.contact_id;
    j["conversationId"] = m.conversation_id;
    j["dateAdded"] = iso_utc(m.date_added);
    j["body"] = m.body;
    j["direction"] = m.direction;
    j["status"] = m.status;
    j["contentType"] = m.content_type;
    j["attachments"] = m.attachments;
    Json meta = Json::object();
    if (m.message_type == "TYPE_EMAIL") {
        meta["email"] = {{"messageIds", Json::array({m.id})}, {"subject", m.subject}};
    }
    j["meta"] = meta;
    put_if(j, "source", m.source);
    put_if(j, "userId", m.user_id);
    return j;
}

Json Store::workflow_json(const Workflow& w) const {
    return {{"id", w.id},
            {"name", w.name},
            {"status", w.status},
            {"version", w.version},
            {"createdAt", iso_utc(w.created_at)},
            {"updatedAt", iso_utc(w.updated_at)},
            {"locationId", location.id}};
}

Json Store::campaign_json(const Campaign& c) const {
    return {{"id", c.id}, {"name", c.name}, {"status", c.status}, {"locationId", location.id}};
}

Json Store::custom_field_json(const CustomField& f) const {
    Json j;
    j["id"] = f.id;
    j["name"] = f.name;
    j["fieldKey"] = f.field_key;
    j["placeholder"] = f.placeholder;
    j["dataType"] = f.data_type;
    j["position"] = f.position;
    j["picklistOptions"] = f.options;
    j["picklistImageOptions"] = Json::array();
    j["isAllowedCustomOption"] = false;
    j["isMultiFileAllowed"] = false;
    j["maxFileLimit"] = 0;
    j["locationId"] = location.id;
    j["model"] = f.model;
    return j;
}

Json Store::tag_json(const Tag& t) const {
    return {{"name", t.name}, {"locationId", location.id}, {"id", t.id}};
}

Json Store::user_json(const User& u) const {
    Json j;
    j["id"] = u.id;
    j["name"] = u.first_name + " " + u.last_name;
    j["firstName"] = u.first_name;
    j["lastName"] = u.last_name;
    j["email"] = u.email;
    j["phone"] = u.phone;
    j["extension"] = "";
    j["permissions"] = {{"campaignsEnabled", true},
                        {"contactsEnabled", true},
                        {"workflowsEnabled", true},
                        {"opportunitiesEnabled", true},
                        {"appointmentsEnabled", true},
                        {"conversationsEnabled", true},
                        {"paymentsEnabled", u.role == "admin"},
                        {"settingsEnabled", u.role == "admin"}};
    j["roles"] = {{"type", "account"},
                  {"role", u.role},
                  {"locationIds", Json::array({location.id})},
                  {"restrictSubAccount", false}};
    j["deleted"] = false;
    return j;
}

Json Store::location_json() const {
    const Location& l = location;
    Json j;
    j["id"] = l.id;
    j["companyId"] = l.company_id;
    j["name"] = l.name;
    j["domain"] = "";
    j["address"] = l.address;
    j["city"] = l.city;
    j["state"] = l.state;
    j["country"] = l.country;
    j["postalCode"] = l.postal_code;
    j["website"] = l.website;
    j["timezone"] = l.timezone;
    j["firstName"] = "Avery";
    j["lastName"] = "Brooks";
    j["email"] = l.email;
    j["phone"] = l.phone;
    j["business"] = {{"name", l.name},
                     {"address", l.address},
                     {"city", l.city},
                     {"state", l.state},
                     {"country", l.country},
                     {"postalCode", l.postal_code},
                     {"website", l.website},
                     {"timezone", l.timezone}};
    j["social"] = Json::object();
    j["settings"] = {{"allowDuplicateContact", l.allow_duplicate_contact},
                     {"allowDuplicateOpportunity", l.allow_duplicate_opportunity},
                     {"allowFacebookNameMerge", false},
                     {"disableContactTimezone", false}};
    return j;
}

Json Store::order_json(const Order& o) const {
    Json j;
    j["_id"] = o.id;
    j["altId"] = location.id;
    j["altType"] = "location";
    j["contactId"] = o.contact_id;
    j["contactName"] = o.contact_name;
    j["contactEmail"] = o.contact_email;
    j["currency"] = o.currency;
    j["amount"] = o.amount;
    j["subtotal"] = o.amount;
    j["discount"] = 0;
    j["status"] = o.status;
    j["paymentStatus"] = o.payment_status;
    j["liveMode"] = false;
    j["totalProducts"] = 1;
    j["sourceType"] = o.source_type;
    j["sourceName"] = o.source_name;
    j["sourceId"] = o.source_id;
    j["createdAt"] = iso_utc(o.created_at);
    j["updatedAt"] = iso_utc(o.updated_at);
    j["fulfillmentStatus"] = o.fulfillment_status;
    j["onetimeProducts"] = 1;
    j["recurringProducts"] = 0;
    return j;
}

Json Store::transaction_json(const Transaction& t) const {
    Json j;
    j["_id"] = t.id;
    j["altId"] = location.id;
    j["altType"] = "location";
    j["contactId"] = t.contact_id;
    j["contactName"] = t.contact_name;
    j["contactEmail"] = t.contact_email;
    j["currency"] = t.currency;
    j["amount"] = t.amount;
    j["status"] = t.status;
    j["liveMode"] = false;
    j["entityType"] = "order";
    j["entityId"] = t.entity_id;
    j["entitySourceType"] = t.entity_source_type;
    j["entitySourceName"] = t.entity_source_name;
    j["chargeId"] = t.charge_id;
    j["paymentProviderType"] = "stripe";
    j["createdAt"] = iso_utc(t.created_at);
    j["updatedAt"] = iso_utc(t.created_at);
    j["fulfilledAt"] = iso_utc(t.created_at);
    j["amountRefunded"] = t.status == "refunded" ? t.amount : 0.0;
    return j;
}

}  // namespace ghlsim
