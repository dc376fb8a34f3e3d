// The simulated sub-account: every record the API serves, their JSON shapes, and the seed.
#pragma once

#include "ghlsim/simulator.hpp"
#include "rng.hpp"
#include "time_util.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ghlsim {

using Json = nlohmann::ordered_json;
using timeutil::Ms;

struct CustomFieldValue {
    std::string id;
    Json value;
};

struct Contact {
    std::string id;
    std::string first_name;
    std::string last_name;
    std::string email;
    std::string phone;
    std::string company_name;
    std::string source;
    std::string type = "lead";
    std::string timezone;
    std::string address1;
    std::string city;
    std::string state;
    std::string postal_code;
    std::string country;
    std::string website;
    std::string assigned_to;
    std::string date_of_birth;
    std::string gender;
    bool dnd = false;
    Json dnd_settings = Json::object();
    std::vector<std::string> tags;
    std::vector<CustomFieldValue> custom_fields;
    std::vector<std::string> workflow_ids;
    std::vector<std::string> campaign_ids;
    Ms date_added = 0;
    Ms date_updated = 0;

    std::string full_name() const;
};

struct Note {
    std::string id;
    std::string contact_id;
    std::string body;
    std::string user_id;
    std::string title;
    std::string color;
    bool pinned = false;
    Ms date_added = 0;
};

struct Task {
    std::string id;
    std::string contact_id;
    std::string title;
    std::string body;
    std::string assigned_to;
    Ms due_date = 0;
    bool completed = false;
    Ms date_added = 0;
};

struct Stage {
    std::string id;
    std::string name;
    int position = 0;
};

struct Pipeline {
    std::string id;
    std::string name;
    std::vector<Stage> stages;
    const Stage* stage(const std::string& stage_id) const;
};

struct Opportunity {
    std::string id;
    std::string name;
    std::string pipeline_id;
    std::string stage_id;
    std::string assigned_to;
    std::string status = "open";
    std::string source;
    std::string contact_id;
    std::string lost_reason_id;
    double monetary_value = 0;
    Ms created_at = 0;
    Ms updated_at = 0;
    Ms last_status_change_at = 0;
    Ms last_stage_change_at = 0;
    Ms last_action_date = 0;
    std::vector<CustomFieldValue> custom_fields;
};

struct Calendar {
    std::string id;
    std::string name;
    std::string description;
    std::string slug;
    std::string timezone;
    std::string group_id;
    std::string calendar_type = "round_robin";
    std::string event_color;
    std::vector<std::string> team_members;  ///< user ids; one booking per member per slot
    std::vector<int> days = {1, 2, 3, 4, 5};  ///< 0 = Sunday
    int open_minute = 9 * 60;                 ///< local minutes after midnight
    int close_minute = 17 * 60;
    int slot_duration_min = 30;
    int slot_interval_min = 30;
};

struct Appointment {
    std::string id;
    std::string calendar_id;
    std::string contact_id;
    std::string title;
    std::string status = "confirmed";  ///< new|confirmed|cancelled|showed|noshow|invalid
    std::string assigned_user_id;
    std::string address;
    std::string notes;
    std::string description;
    std::string meeting_location_type = "custom";
    std::string rrule;
    Ms start = 0;
    Ms end = 0;
    Ms date_added = 0;
    Ms date_updated = 0;
};

struct Message {
    std::string id;
    std::string conversation_id;
    std::string contact_id;
    std::string message_type;  ///< TYPE_SMS, TYPE_EMAIL, TYPE_WHATSAPP, ...
    std::string direction;     ///< inbound|outbound
    std::string status;
    std::string body;
    std::string subject;
    std::string content_type = "text/plain";
    std::string source;
    std::string user_id;
    std::vector<std::string> attachments;
    Ms date_added = 0;
};

struct Conversation {
    std::string id;
    std::string contact_id;
    std::string type = "TYPE_PHONE";  ///< TYPE_PHONE|TYPE_EMAIL
    std::string assigned_to;
    int unread_count = 0;
    bool starred = false;
    Ms date_added = 0;
    Ms date_updated = 0;
    std::vector<std::string> message_ids;  ///< oldest first
};

struct Workflow {
    std::string id;
    std::string name;
    std::string status;
    int version = 1;
    Ms created_at = 0;
    Ms updated_at = 0;
};

struct Campaign {
    std::string id;
    std::string name;
    std::string status;
};

struct CustomField {
    std::string id;
    std::string name;
    std::string field_key;
    std::string placeholder;
    std::string data_type;
    std::string model;  ///< contact|opportunity
    int position = 0;
    std::vector<std::string> options;
};

struct Tag {
    std::string id;
    std::string name;
};

struct LostReason {
    std::string id;
    std::string name;
    Ms created_at = 0;
};

struct User {
    std::string id;
    std::string first_name;
    std::string last_name;
    std::string email;
    std::string phone;
    std::string role;  ///< admin|user
};

struct Order {
    std::string id;
    std::string contact_id;
    std::string contact_name;
    std::string contact_email;
    std::string currency = "USD";
    std::string status;          ///< completed|pending|cancelled
    std::string payment_status;  ///< paid|unpaid|refunded|partially_paid
    std::string source_type;
    std::string source_name;
    std::string source_id;
    std::string fulfillment_status;
    double amount = 0;
    Ms created_at = 0;
    Ms updated_at = 0;
};

struct Transaction {
    std::string id;
    std::string contact_id;
    std::string contact_name;
    std::string contact_email;
    std::string currency = "USD";
    std::string status;  ///< succeeded|failed|refunded
    std::string entity_id;
    std::string entity_source_type;
    std::string entity_source_name;
    std::string charge_id;
    double amount = 0;
    Ms created_at = 0;
};

struct Location {
    std::string id;
    std::string company_id;
    std::string name;
    std::string email;
    std::string phone;
    std::string address;
    std::string city;
    std::string state;
    std::string postal_code;
    std::string country = "US";
    std::string website;
    std::string timezone;
    bool allow_duplicate_contact = false;
    bool allow_duplicate_opportunity = false;
};

/// All the data of one sub-account. Not synchronised itself: the server holds `mutex` around
/// every handler.
class Store {
public:
    /// `business` picks who the sub-account is (name, address, email domain, office phone):
    /// 0 is the default sub-account, 1.. the agency's further ones.
    Store(std::uint64_t seed, Ms reference_now, std::string location_id, std::size_t business = 0);

    std::mutex mutex;

    Location location;
    std::map<std::string, User> users;
    std::map<std::string, Contact> contacts;
    std::map<std::string, Note> notes;
    std::map<std::string, Task> tasks;
    std::vector<Pipeline> pipelines;
    std::map<std::string, Opportunity> opportunities;
    std::vector<Calendar> calendars;
    std::string calendar_group_id;
    std::map<std::string, Appointment> appointments;
    std::map<std::string, Conversation> conversations;
    std::map<std::string, Message> messages;
    std::vector<Workflow> workflows;
    std::vector<Campaign> campaigns;
    std::vector<CustomField> custom_fields;
    std::vector<Tag> tags;
    std::vector<LostReason> lost_reasons;
    std::vector<Order> orders;
    std::vector<Transaction> transactions;

    SeedFacts facts;
    Counters counters;

    /// A fresh 20-character id (deterministic given the seed and the order of writes).
    std::string new_id() { return ids_.id20(); }
    std::string new_uuid() { return ids_.uuid(); }
    /// A traceId for a response body; drawn apart from the ids so that reads do not shift them.
    std::string trace_id() { return traces_.uuid(); }
    /// A write timestamp: `now`, bumped so that no two writes share a millisecond (keeps the
    /// date-based cursors of conversations and messages total).
    Ms stamp(Ms now);

    const Pipeline* pipeline(const std::string& id) const;
    const Calendar* calendar(const std::string& id) const;
    const Workflow* workflow(const std::string& id) const;
    const Campaign* campaign(const std::string& id) const;
    const User* user(const std::string& id) const;
    const CustomField* custom_field(const std::string& id_or_key) const;
    /// The duplicate GHL would find: the oldest contact with the same email (case-insensitive)
    /// first, else the oldest with the same phone (E.164); nullptr when none. `matched` gets
    /// "email" or "phone".
    const Contact* find_duplicate(const std::string& email, const std::string& phone,
                                  const std::string& ignore_id = "",
                                  std::string* matched = nullptr) const;
    /// The contact's conversation, creating it (type from the channel) when missing.
    Conversation& conversation_for(const Contact& contact, const std::string& message_type,
                                   Ms now);
    /// Registers a tag on the location when new (GHL creates location tags on first use).
    void ensure_tag(const std::string& name);
    /// Appends a message to its conversation and updates the conversation's summary fields.
    const Message& add_message(Message message);

    // JSON shapes, as the specs show them.
    Json contact_json(const Contact& c) const;
    /// The Contact of POST /contacts/search (the older spec's shape), without searchAfter.
    Json search_contact_json(const Contact& c) const;
    Json note_json(const Note& n) const;
    Json task_json(const Task& t) const;
    Json pipeline_json(const Pipeline& p) const;
    Json opportunity_json(const Opportunity& o) const;
    Json calendar_json(const Calendar& c) const;
    /// CalendarEventDTO (GET /calendars/events, GET /calendars/events/appointments/{id})
    Json event_json(const Appointment& a) const;
    /// AppointmentSchemaResponse (POST/PUT /calendars/events/appointments)
    Json appointment_json(const Appointment& a) const;
    /// GetEventSchema (GET /contacts/{id}/appointments)
    Json contact_event_json(const Appointment& a) const;
    /// ConversationSchema of GET /conversations/search (plus the live API's `sort` cursor).
    Json conversation_json(const Conversation& c) const;
    /// GetConversationByIdResponse (GET /conversations/{id}): `type` is a number there.
    Json conversation_detail_json(const Conversation& c) const;
    /// The date conversations are sorted and paged by (last message, else creation).
    Ms conversation_last_date(const Conversation& c) const;
    Json message_json(const Message& m) const;
    Json workflow_json(const Workflow& w) const;
    Json campaign_json(const Campaign& c) const;
    Json custom_field_json(const CustomField& f) const;
    Json tag_json(const Tag& t) const;
    Json user_json(const User& u) const;
    Json location_json() const;
    Json order_json(const Order& o) const;
    Json transaction_json(const Transaction& t) const;

    /// UTC offset (minutes) of a calendar's zone at an instant.
    int calendar_offset(const Calendar& c, Ms at) const;

private:
    void seed(std::uint64_t seed, Ms now, std::size_t business);
    Rng ids_;
    Rng traces_;
    Ms last_stamp_ = 0;
};

/// "+1 (212) 555-0100" -> "+12125550100"; 10 digits get +1. Empty when it cannot be a phone.
std::string normalize_phone(const std::string& raw);
std::string lower(std::string s);
/// The numeric message type GHL reports beside messageType (TYPE_CALL = 1, TYPE_SMS = 2, ...).
int message_type_number(const std::string& message_type);
/// The messageType of a channel named in a send/inbound body ("SMS" -> "TYPE_SMS"), or "".
std::string message_type_for_channel(const std::string& channel);

}  // namespace ghlsim
