// Contacts [D:contacts], Version 2021-07-28: CRUD, upsert, duplicate lookup, tags, notes, tasks,
// the contact's appointments and workflow / campaign enrolment. Search and the deprecated list
// are in routes_contacts_search.cpp.
#include "api.hpp"

#include <algorithm>

namespace ghlsim {

namespace {

using timeutil::iso_utc;

constexpr const char* V = kVersionDefault;

enum class ContactDto { kCreate, kUpdate, kUpsert };

/// CreateContactDto / UpdateContactDto / UpsertContactDto.
std::vector<Field> contact_fields(ContactDto dto) {
    std::vector<Field> fields = {
        {"firstName", Kind::kString},    {"lastName", Kind::kString},
        {"name", Kind::kString},         {"email", Kind::kString},
        {"phone", Kind::kString},        {"address1", Kind::kString},
        {"city", Kind::kString},         {"state", Kind::kString},
        {"postalCode", Kind::kString},   {"website", Kind::kString},
        {"timezone", Kind::kString},     {"dnd", Kind::kBool},
        {"dndSettings", Kind::kObject},  {"inboundDndSettings", Kind::kObject},
        {"tags", Kind::kStringArray},    {"customFields", Kind::kArray},
        {"source", Kind::kString},       {"dateOfBirth", Kind::kAny},
        {"country", Kind::kString},      {"assignedTo", Kind::kString},
    };
    if (dto != ContactDto::kUpdate) {
        fields.push_back({"locationId", Kind::kString, true});
        fields.push_back({"gender", Kind::kString});
        fields.push_back({"companyName", Kind::kString});
    }
    if (dto == ContactDto::kUpsert) fields.push_back({"createNewIfDuplicateAllowed", Kind::kBool});
    return fields;
}

bool looks_like_email(const std::string& email) {
    const auto at = email.find('@');
    return at != std::string::npos && at > 0 && email.find('.', at) != std::string::npos &&
           email.back() != '.' && email.find(' ') == std::string::npos;
}

std::vector<std::string> clean_tags(const Json& tags) {
    std::vector<std::string> out;
    for (const Json& t : tags) {
        std::string tag = lower(t.get<std::string>());
        while (!tag.empty() && tag.front() == ' ') tag.erase(tag.begin());
        while (!tag.empty() && tag.back() == ' ') tag.pop_back();
        if (!tag.empty() && std::find(out.begin(), out.end(), tag) == out.end()) out.push_back(tag);
    }
    return out;
}

/// Checks what the DTO cannot (email format, custom field values) before anything is written.
void check_contact_values(const Json& body) {
    std::vector<std::string> errors;
    const std::string email = str(body, "email");
    if (body.contains("email") && !email.empty() && !looks_like_email(email)) {
        errors.push_back("email must be an email");
    }
    if (body.contains("customFields")) {
        for (const Json& item : body["customFields"]) {
            if (!item.is_object() || (str(item, "id").empty() && str(item, "key").empty())) {
                errors.push_back("each value in customFields must be an object with an id or a key");
                break;
            }
        }
    }
    if (!errors.empty()) throw ApiError::unprocessable(std::move(errors));
}

/// Writes the fields present in `body` onto `c` (tags replace the old list, as GHL's PUT does).
void apply_contact(Store& store, Contact& c, const Json& body) {
    const auto set = [&](const char* key, std::string& field) {
        if (body.contains(key) && body[key].is_string()) field = body[key].get<std::string>();
    };
    set("firstName", c.first_name);
    set("lastName", c.last_name);
    if (body.contains("name") && !body.contains("firstName") && !body.contains("lastName")) {
        const std::string name = str(body, "name");
        const auto space = name.find(' ');
        c.first_name = name.substr(0, space);
        c.last_name = space == std::string::npos ? "" : name.substr(space + 1);
    }
    set("email", c.email);
    if (body.contains("phone") && body["phone"].is_string()) {
        const std::string raw = body["phone"].get<std::string>();
        const std::string e164 = normalize_phone(raw);
        c.phone = e164.empty() ? raw : e164;
    }
    set("address1", c.address1);
    set("city", c.city);
    set("state", c.state);
    set("postalCode", c.postal_code);
    set("website", c.website);
    set("timezone", c.timezone);
    set("source", c.source);
    set("country", c.country);
    set("assignedTo", c.assigned_to);
    set("gender", c.gender);
    set("companyName", c.company_name);
    if (body.contains("dateOfBirth") && body["dateOfBirth"].is_string()) {
        const std::string dob = body["dateOfBirth"].get<std::string>();
        const auto parsed = timeutil::parse_iso(dob);
        c.date_of_birth = parsed ? iso_utc(*parsed) : dob;
    }
    if (body.contains("dnd") && body["dnd"].is_boolean()) c.dnd = body["dnd"].get<bool>();
    if (body.contains("dndSettings") && body["dndSettings"].is_object()) {
        for (const auto& [channel, setting] : body["dndSettings"].items()) {
            c.dnd_settings[channel] = setting;
        }
    }
    if (body.contains("tags") && body["tags"].is_array()) {
        c.tags = clean_tags(body["tags"]);
        for (const std::string& t : c.tags) store.ensure_tag(t);
    }
    if (body.contains("customFields") && body["customFields"].is_array()) {
        for (const Json& item : body["customFields"]) {
            const std::string key = str(item, "id").empty() ? str(item, "key") : str(item, "id");
            const CustomField* field = store.custom_field(key);
            if (field == nullptr) continue;  // GHL ignores values for unknown fields
            Json value = item.contains("field_value") ? item["field_value"]
                         : item.contains("value")     ? item["value"]
                                                      : Json();
            auto it = std::find_if(c.custom_fields.begin(), c.custom_fields.end(),
                                   [&](const CustomFieldValue& v) { return v.id == field->id; });
            const bool empty = value.is_null() || (value.is_string() && value.get<std::string>().empty());
            if (empty) {
                if (it != c.custom_fields.end()) c.custom_fields.erase(it);
            } else if (it != c.custom_fields.end()) {
                it->value = value;
            } else {
                c.custom_fields.push_back({field->id, value});
            }
        }
    }
}

[[noreturn]] void duplicate_error(const Contact& existing, const std::string& field) {
    throw ApiError(400, Json{{"statusCode", 400},
                             {"message", "This location does not allow duplicated contacts."},
                             {"meta",
                              {{"contactName", existing.full_name()},
                               {"contactId", existing.id},
                               {"matchingField", field}}}});
}

/// ContactUpdate for a changed contact, and ContactTagUpdate as well when its tags changed.
void emit_update(Call& call, const Contact& c, const std::vector<std::string>& tags_before) {
    call.emit([&] { return contact_event(call.store, c, "ContactUpdate"); });
    if (c.tags != tags_before) {
        call.emit([&] { return contact_event(call.store, c, "ContactTagUpdate"); });
    }
}

Contact& create_contact(Store& store, const Json& body, Ms now) {
    Contact c;
    c.id = store.new_id();
    c.source = "public api";
    apply_contact(store, c, body);
    c.date_added = store.stamp(now);
    c.date_updated = c.date_added;
    ++store.counters.contacts_created;
    auto [it, inserted] = store.contacts.emplace(c.id, std::move(c));
    return it->second;
}

Reply create(Call& call) {
    const Json& body = call.body();
    validate_body(body, contact_fields(ContactDto::kCreate));
    check_location(call.store, str(body, "locationId"));
    check_contact_values(body);
    if (!call.store.location.allow_duplicate_contact) {
        std::string matched;
        const std::string phone = str(body, "phone");
        if (const Contact* dup = call.store.find_duplicate(str(body, "email"), phone, "", &matched)) {
            duplicate_error(*dup, matched);
        }
    }
    Contact& c = create_contact(call.store, body, call.now);
    call.emit([&] { return contact_event(call.store, c, "ContactCreate"); });
    Json contact = call.store.contact_json(c);
    contact["deleted"] = false;
    return {201, {{"contact", contact}}};
}

Reply upsert(Call& call) {
    const Json& body = call.body();
    validate_body(body, contact_fields(ContactDto::kUpsert));
    check_location(call.store, str(body, "locationId"));
    check_contact_values(body);
    Store& store = call.store;
    const bool force_new = store.location.allow_duplicate_contact &&
                           body.value("createNewIfDuplicateAllowed", false);
    const Contact* existing =
        force_new ? nullptr : store.find_duplicate(str(body, "email"), str(body, "phone"));
    if (existing != nullptr) {
        Contact& c = store.contacts.at(existing->id);
        const std::vector<std::string> tags_before = c.tags;
        apply_contact(store, c, body);
        c.date_updated = store.stamp(call.now);
        ++store.counters.contacts_updated;
        emit_update(call, c, tags_before);
        return {200, {{"new", false}, {"contact", store.contact_json(c)}, {"traceId", store.trace_id()}}};
    }
    Contact& c = create_contact(store, body, call.now);
    call.emit([&] { return contact_event(store, c, "ContactCreate"); });
    return {200, {{"new", true}, {"contact", store.contact_json(c)}, {"traceId", store.trace_id()}}};
}

Reply get(Call& call) {
    const Contact& c = contact_or_400(call.store, call.param("contactId"));
    return {200, {{"contact", call.store.contact_json(c)}}};
}

Reply update(Call& call) {
    Contact& c = contact_or_400(call.store, call.param("contactId"));
    const Json& body = call.body();
    validate_body(body, contact_fields(ContactDto::kUpdate));
    check_contact_values(body);
    Store& store = call.store;
    if (!store.location.allow_duplicate_contact) {
        // Only a changed email or phone is checked, so households sharing an email stay legal.
        const std::string email = str(body, "email");
        const std::string phone = str(body, "phone");
        const bool new_email = !email.empty() && lower(email) != lower(c.email);
        const bool new_phone = !phone.empty() && normalize_phone(phone) != c.phone;
        std::string matched;
        if (const Contact* dup = store.find_duplicate(new_email ? email : "",
                                                      new_phone ? phone : "", c.id, &matched)) {
            duplicate_error(*dup, matched);
        }
    }
    const std::vector<std::string> tags_before = c.tags;
    apply_contact(store, c, body);
    c.date_updated = store.stamp(call.now);
    ++store.counters.contacts_updated;
    emit_update(call, c, tags_before);
    return {200, {{"succeded", true}, {"contact", store.contact_json(c)}}};
}

Reply remove(Call& call) {
    Store& store = call.store;
    const Contact& c = contact_or_400(store, call.param("contactId"));
    const std::string id = c.id;
    call.emit([&] { return contact_event(store, c, "ContactDelete"); });
    std::erase_if(store.notes, [&](const auto& kv) { return kv.second.contact_id == id; });
    std::erase_if(store.tasks, [&](const auto& kv) { return kv.second.contact_id == id; });
    store.contacts.erase(id);
    ++store.counters.contacts_deleted;
    return {200, {{"succeded", true}}};
}

Reply duplicate(Call& call) {
    validate_query(call, {{"locationId", Kind::kString, true}});
    check_location(call.store, call.query("locationId"));
    const Contact* c = call.store.find_duplicate(call.query("email"), call.query("number"));
    return {200, {{"contact", c == nullptr ? Json() : call.store.contact_json(*c)}}};
}

Reply add_tags(Call& call) {
    Contact& c = contact_or_400(call.store, call.param("contactId"));
    const Json& body = call.body();
    validate_body(body, {{"tags", Kind::kStringArray, true}});
    const std::vector<std::string> tags_before = c.tags;
    for (const std::string& tag : clean_tags(body["tags"])) {
        if (std::find(c.tags.begin(), c.tags.end(), tag) == c.tags.end()) c.tags.push_back(tag);
        call.store.ensure_tag(tag);
    }
    c.date_updated = call.store.stamp(call.now);
    if (c.tags != tags_before) {
        call.emit([&] { return contact_event(call.store, c, "ContactTagUpdate"); });
    }
    return {201, {{"tags", c.tags}}};
}

Reply remove_tags(Call& call) {
    Contact& c = contact_or_400(call.store, call.param("contactId"));
    const Json& body = call.body();
    validate_body(body, {{"tags", Kind::kStringArray, true}});
    const std::vector<std::string> tags_before = c.tags;
    for (const std::string& tag : clean_tags(body["tags"])) std::erase(c.tags, tag);
    c.date_updated = call.store.stamp(call.now);
    if (c.tags != tags_before) {
        call.emit([&] { return contact_event(call.store, c, "ContactTagUpdate"); });
    }
    return {200, {{"tags", c.tags}}};
}

// ---- notes ----

const std::vector<Field> kNoteFields = {{"userId", Kind::kString},
                                        {"body", Kind::kString, true},
                                        {"title", Kind::kString},
                                        {"color", Kind::kString},
                                        {"pinned", Kind::kBool}};

void apply_note(Note& n, const Json& body) {
    if (body.contains("userId")) n.user_id = str(body, "userId");
    if (body.contains("body")) n.body = str(body, "body");
    if (body.contains("title")) n.title = str(body, "title");
    if (body.contains("color")) n.color = str(body, "color");
    if (body.contains("pinned") && body["pinned"].is_boolean()) n.pinned = body["pinned"].get<bool>();
}

Note& note_or_400(Call& call) {
    const std::string& contact_id = contact_or_400(call.store, call.param("contactId")).id;
    const auto it = call.store.notes.find(call.param("id"));
    if (it == call.store.notes.end() || it->second.contact_id != contact_id) not_found("Note");
    return it->second;
}

Reply list_notes(Call& call) {
    const Contact& c = contact_or_400(call.store, call.param("contactId"));
    std::vector<const Note*> notes;
    for (const auto& [id, n] : call.store.notes) {
        if (n.contact_id == c.id) notes.push_back(&n);
    }
    std::sort(notes.begin(), notes.end(), [](const Note* a, const Note* b) {
        return a->date_added != b->date_added ? a->date_added > b->date_added : a->id < b->id;
    });
    Json out = Json::array();
    for (const Note* n : notes) out.push_back(call.store.note_json(*n));
    return {200, {{"notes", out}}};
}

Reply create_note(Call& call) {
    const Contact& c = contact_or_400(call.store, call.param("contactId"));
    const Json& body = call.body();
    validate_body(body, kNoteFields);
    Note n;
    n.id = call.store.new_id();
    n.contact_id = c.id;
    apply_note(n, body);
    n.date_added = call.store.stamp(call.now);
    ++call.store.counters.notes_created;
    call.emit([&] { return note_event(call.store, n); });
    const Json out = call.store.note_json(n);
    call.store.notes.emplace(n.id, std::move(n));
    return {201, {{"note", out}}};
}

Reply get_note(Call& call) { return {200, {{"note", call.store.note_json(note_or_400(call))}}}; }

Reply update_note(Call& call) {
    Note& n = note_or_400(call);
    std::vector<Field> fields = kNoteFields;
    fields[1].required = false;
    validate_body(call.body(), fields);
    apply_note(n, call.body());
    return {200, {{"note", call.store.note_json(n)}}};
}

Reply delete_note(Call& call) {
    const std::string id = note_or_400(call).id;
    call.store.notes.erase(id);
    return {200, {{"succeded", true}}};
}

// ---- tasks ----

std::vector<Field> task_fields(bool create) {
    return {{"title", Kind::kString, create},
            {"body", Kind::kString},
            {"dueDate", Kind::kString, create},
            {"completed", Kind::kBool, create},
            {"assignedTo", Kind::kString}};
}

void apply_task(Task& t, const Json& body) {
    if (body.contains("title")) t.title = str(body, "title");
    if (body.contains("body")) t.body = str(body, "body");
    if (body.contains("dueDate")) t.due_date = parse_time_field(str(body, "dueDate"), "dueDate");
    if (body.contains("completed")) t.completed = body["completed"].get<bool>();
    if (body.contains("assignedTo")) t.assigned_to = str(body, "assignedTo");
}

Task& task_or_400(Call& call) {
    const std::string& contact_id = contact_or_400(call.store, call.param("contactId")).id;
    const auto it = call.store.tasks.find(call.param("taskId"));
    if (it == call.store.tasks.end() || it->second.contact_id != contact_id) not_found("Task");
    return it->second;
}

Reply list_tasks(Call& call) {
    const Contact& c = contact_or_400(call.store, call.param("contactId"));
    std::vector<const Task*> tasks;
    for (const auto& [id, t] : call.store.tasks) {
        if (t.contact_id == c.id) tasks.push_back(&t);
    }
    std::sort(tasks.begin(), tasks.end(), [](const Task* a, const Task* b) {
        return a->due_date != b->due_date ? a->due_date < b->due_date : a->id < b->id;
    });
    Json out = Json::array();
    for (const Task* t : tasks) out.push_back(call.store.task_json(*t));
    return {200, {{"tasks", out}}};
}

Reply create_task(Call& call) {
    const Contact& c = contact_or_400(call.store, call.param("contactId"));
    const Json& body = call.body();
    validate_body(body, task_fields(true));
    Task t;
    t.id = call.store.new_id();
    t.contact_id = c.id;
    apply_task(t, body);
    t.date_added = call.store.stamp(call.now);
    ++call.store.counters.tasks_created;
    call.emit([&] { return task_event(call.store, t); });
    const Json out = call.store.task_json(t);
    call.store.tasks.emplace(t.id, std::move(t));
    return {201, {{"task", out}}};
}

Reply get_task(Call& call) { return {200, {{"task", call.store.task_json(task_or_400(call))}}}; }

Reply update_task(Call& call) {
    Task& t = task_or_400(call);
    validate_body(call.body(), task_fields(false));
    Task copy = t;
    apply_task(copy, call.body());
    t = copy;
    return {200, {{"task", call.store.task_json(t)}}};
}

Reply complete_task(Call& call) {
    Task& t = task_or_400(call);
    validate_body(call.body(), {{"completed", Kind::kBool, true}});
    t.completed = call.body()["completed"].get<bool>();
    return {200, {{"task", call.store.task_json(t)}}};
}

Reply delete_task(Call& call) {
    const std::string id = task_or_400(call).id;
    call.store.tasks.erase(id);
    return {200, {{"succeded", true}}};
}

// ---- appointments, workflows, campaigns ----

Reply appointments(Call& call) {
    const Contact& c = contact_or_400(call.store, call.param("contactId"));
    std::vector<const Appointment*> list;
    for (const auto& [id, a] : call.store.appointments) {
        if (a.contact_id == c.id) list.push_back(&a);
    }
    std::sort(list.begin(), list.end(), [](const Appointment* a, const Appointment* b) {
        return a->start != b->start ? a->start < b->start : a->id < b->id;
    });
    Json events = Json::array();
    for (const Appointment* a : list) events.push_back(call.store.contact_event_json(*a));
    return {200, {{"events", events}}};
}

Reply add_workflow(Call& call) {
    Contact& c = contact_or_400(call.store, call.param("contactId"));
    const Json& body = call.body();
    validate_body(body, {{"eventStartTime", Kind::kString}});
    if (body.contains("eventStartTime")) parse_time_field(str(body, "eventStartTime"), "eventStartTime");
    const Workflow* w = call.store.workflow(call.param("workflowId"));
    if (w == nullptr) not_found("Workflow");
    if (std::find(c.workflow_ids.begin(), c.workflow_ids.end(), w->id) == c.workflow_ids.end()) {
        c.workflow_ids.push_back(w->id);
    }
    ++call.store.counters.workflow_enrolments;
    return {200, {{"succeded", true}}};
}

Reply remove_workflow(Call& call) {
    Contact& c = contact_or_400(call.store, call.param("contactId"));
    validate_body(call.body(), {{"eventStartTime", Kind::kString}});
    const Workflow* w = call.store.workflow(call.param("workflowId"));
    if (w == nullptr) not_found("Workflow");
    std::erase(c.workflow_ids, w->id);
    return {200, {{"succeded", true}}};
}

Reply add_campaign(Call& call) {
    Contact& c = contact_or_400(call.store, call.param("contactId"));
    validate_body(call.body(), {});
    const Campaign* campaign = call.store.campaign(call.param("campaignId"));
    if (campaign == nullptr) not_found("Campaign");
    if (std::find(c.campaign_ids.begin(), c.campaign_ids.end(), campaign->id) ==
        c.campaign_ids.end()) {
        c.campaign_ids.push_back(campaign->id);
    }
    ++call.store.counters.campaign_enrolments;
    return {201, {{"succeded", true}}};
}

Reply remove_campaign(Call& call) {
    Contact& c = contact_or_400(call.store, call.param("contactId"));
    const Campaign* campaign = call.store.campaign(call.param("campaignId"));
    if (campaign == nullptr) not_found("Campaign");
    std::erase(c.campaign_ids, campaign->id);
    return {200, {{"succeded", true}}};
}

Reply remove_all_campaigns(Call& call) {
    contact_or_400(call.store, call.param("contactId")).campaign_ids.clear();
    return {200, {{"succeded", true}}};
}

}  // namespace

void register_search_routes(Router& router);  // routes_contacts_search.cpp

void register_contact_routes(Router& router) {
    register_search_routes(router);
    router.add("GET", "/contacts/search/duplicate", V, duplicate, 400);  // no 422 in its spec
    router.add("POST", "/contacts", V, create);
    router.add("POST", "/contacts/upsert", V, upsert);
    router.add("GET", "/contacts/{contactId}", V, get);
    router.add("PUT", "/contacts/{contactId}", V, update);
    router.add("DELETE", "/contacts/{contactId}", V, remove);
    router.add("POST", "/contacts/{contactId}/tags", V, add_tags);
    router.add("DELETE", "/contacts/{contactId}/tags", V, remove_tags);
    router.add("GET", "/contacts/{contactId}/notes", V, list_notes);
    router.add("POST", "/contacts/{contactId}/notes", V, create_note);
    router.add("GET", "/contacts/{contactId}/notes/{id}", V, get_note);
    router.add("PUT", "/contacts/{contactId}/notes/{id}", V, update_note);
    router.add("DELETE", "/contacts/{contactId}/notes/{id}", V, delete_note);
    router.add("GET", "/contacts/{contactId}/tasks", V, list_tasks);
    router.add("POST", "/contacts/{contactId}/tasks", V, create_task);
    router.add("GET", "/contacts/{contactId}/tasks/{taskId}", V, get_task);
    router.add("PUT", "/contacts/{contactId}/tasks/{taskId}", V, update_task);
    router.add("DELETE", "/contacts/{contactId}/tasks/{taskId}", V, delete_task);
    router.add("PUT", "/contacts/{contactId}/tasks/{taskId}/completed", V, complete_task);
    router.add("GET", "/contacts/{contactId}/appointments", V, appointments);
    router.add("POST", "/contacts/{contactId}/workflow/{workflowId}", V, add_workflow);
    router.add("DELETE", "/contacts/{contactId}/workflow/{workflowId}", V, remove_workflow);
    router.add("POST", "/contacts/{contactId}/campaigns/{campaignId}", V, add_campaign);
    router.add("DELETE", "/contacts/{contactId}/campaigns/removeAll", V, remove_all_campaigns);
    router.add("DELETE", "/contacts/{contactId}/campaigns/{campaignId}", V, remove_campaign);
}

}  // namespace ghlsim
