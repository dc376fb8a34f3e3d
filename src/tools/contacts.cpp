// Tool group: contacts. Definitions: schemas/tools/<name>.json; handlers here.
//
// The input schemas are kept small (the tools/list size budget), so the handlers check what the
// schemas leave open: tags and customFields items, phone numbers, emails, ISO times, "a phone or
// an email". Every such refusal happens before any GHL request.
#include "tools/groups.hpp"
#include "tools/support.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <tuple>

namespace tools {
namespace {

// ---- Shaping --------------------------------------------------------------------------------

std::string trimmed(std::string s) {
    const auto not_space = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

/// The display name: GHL's `name` (proper case on reads), else first + last name (creates and
/// searches carry no `name`), else `contactName` (lower-case on reads, proper case in searches).
std::string display_name(const json& c) {
    if (auto name = trimmed(string_of(c, "name")); !name.empty()) return name;
    if (auto name = trimmed(string_of(c, "firstName") + " " + string_of(c, "lastName"));
        !name.empty())
        return name;
    return trimmed(string_of(c, "contactName"));
}

/// The fields of a GHL contact an assistant reasons with (never the raw blob).
json shape_contact(const json& c) {
    json out = pick(c, {"id", "firstName", "lastName", "email", "phone", "companyName", "type",
                        "source", "tags", "dnd", "timezone", "assignedTo", "dateOfBirth",
                        "address1", "city", "state", "postalCode", "country", "website"});
    if (auto name = display_name(c); !name.empty()) out["name"] = name;
    if (!out.contains("address1") && c.contains("address") && c["address"].is_string())
        out["address1"] = c["address"];
    if (c.contains("customFields") && c["customFields"].is_array() && !c["customFields"].empty()) {
        json fields = json::array();
        for (const auto& f : c["customFields"]) fields.push_back(pick(f, {"id", "key", "value"}));
        out["customFields"] = std::move(fields);
    }
    for (const char* key : {"dateAdded", "dateUpdated"})
        if (auto ms = ghl_time_ms(get_or_null(c, key))) out[key] = iso_utc(*ms);
    return out;
}

/// A search hit: just enough to pick the right contact (get_contact has the rest).
json shape_contact_brief(const json& c) {
    json out = pick(c, {"id"});
    if (auto name = display_name(c); !name.empty()) out["name"] = name;
    for (const char* key : {"email", "phone"})
        if (auto v = string_of(c, key); !v.empty()) out[key] = v;
    out["tags"] = c.contains("tags") && c["tags"].is_array() ? c["tags"] : json::array();
    if (auto ms = ghl_time_ms(get_or_null(c, "dateAdded"))) out["dateAdded"] = iso_utc(*ms);
    return out;
}

json shape_note(const json& n) {
    json out = pick(n, {"id", "body", "contactId"});
    for (const char* key : {"title", "userId"})
        if (auto v = string_of(n, key); !v.empty()) out[key] = v;
    if (auto ms = ghl_time_ms(get_or_null(n, "dateAdded"))) out["dateAdded"] = iso_utc(*ms);
    return out;
}

json shape_task(const json& t) {
    json out = pick(t, {"id", "title", "contactId"});
    if (auto v = string_of(t, "body"); !v.empty()) out["body"] = v;
    if (auto ms = ghl_time_ms(get_or_null(t, "dueDate"))) out["dueDate"] = iso_utc(*ms);
    out["completed"] =
        t.contains("completed") && t["completed"].is_boolean() ? t["completed"] : json(false);
    if (auto v = string_of(t, "assignedTo"); !v.empty()) out["assignedTo"] = v;
    return out;
}

/// The contact-appointments endpoint gives wall-clock times of the calendar's zone without an
/// offset ("2021-07-16 11:00:00"): written as ISO local time ("2021-07-16T11:00:00"). A value
/// that carries a zone is passed on as GHL sent it; epoch numbers become UTC.
json appointment_time(const json& v) {
    if (v.is_number()) {
        if (auto ms = ghl_time_ms(v)) return iso_utc(*ms);
        return nullptr;
    }
    if (!v.is_string()) return nullptr;
    std::string s = v.get<std::string>();
    if (s.size() >= 16 && s[10] == ' ') s[10] = 'T';
    return s;
}

json shape_appointment(const json& e) {
    json out = pick(e, {"id", "calendarId", "title"});
    json status = get_or_null(e, "appointmentStatus");
    if (!status.is_string() || status.get<std::string>().empty()) status = get_or_null(e, "status");
    if (status.is_string()) out["status"] = status;
    for (const char* key : {"startTime", "endTime"})
        if (json t = appointment_time(get_or_null(e, key)); !t.is_null()) out[key] = t;
    return out;
}

// ---- Argument checks the schemas leave to the handler ---------------------------------------

/// "1", "44", "+44" -> "44"; anything else is refused.
std::string calling_code(const json& args) {
    std::string code = trimmed(arg_string(args, "defaultCallingCode", "1"));
    if (!code.empty() && code.front() == '+') code.erase(0, 1);
    const bool digits =
        !code.empty() && code.size() <= 3 &&
        std::all_of(code.begin(), code.end(), [](unsigned char c) { return std::isdigit(c); });
    if (!digits || code.front() == '0')
        invalid_argument("defaultCallingCode \"" + arg_string(args, "defaultCallingCode") +
                         "\" is not a country calling code; give 1 to 3 digits, e.g. 1 (US/Canada) "
                         "or 44 (UK).");
    return code;
}

/// The `phone` argument in E.164, or nullopt when it was not given.
std::optional<std::string> phone_arg(const json& args, const std::string& code) {
    auto raw = arg_opt_string(args, "phone");
    if (!raw) return std::nullopt;
    if (auto e164 = to_e164(*raw, code)) return e164;
    invalid_argument(
        "phone \"" + *raw + "\" is not a phone number that can be read (with " +
        (code == "1" ? std::string("no country code, a US/Canada number of 10 digits is expected")
                     : "calling code " + code) +
        "). Give it in international form, e.g. +14155550123 or +44 7700 900123.");
}

/// The `email` argument trimmed, or nullopt when it was not given; refuses text that cannot be an
/// address (GHL would only answer "not found" for it).
std::optional<std::string> email_arg(const json& args) {
    auto raw = arg_opt_string(args, "email");
    if (!raw) return std::nullopt;
    std::string email = trimmed(*raw);
    const auto at = email.find('@');
    const bool ok = at != std::string::npos && at > 0 && at + 1 < email.size() &&
                    email.find_first_of(" \t\r\n,;", 0) == std::string::npos &&
                    email.find('@', at + 1) == std::string::npos && email.size() <= 254;
    if (!ok) invalid_argument("email \"" + *raw + "\" is not an email address (name@example.com).");
    return email;
}

/// The `tags` argument: at least one non-empty tag, trimmed and lower-cased (GHL stores tags in
/// lower case, so "VIP" and "vip" are one tag), duplicates dropped.
json tags_arg(const json& args) {
    json tags = json::array();
    if (args.contains("tags") && args["tags"].is_array()) {
        for (const auto& t : args["tags"]) {
            std::string tag =
                t.is_string() ? lowercase(trimmed(t.get<std::string>())) : std::string();
            if (tag.empty())
                invalid_argument("tags must be non-empty text, e.g. [\"vip\", \"roof lead\"].");
            if (tag.size() > 100)
                invalid_argument("tag \"" + tag.substr(0, 40) +
                                 "...\" is longer than 100 characters.");
            if (std::find(tags.begin(), tags.end(), json(tag)) == tags.end()) tags.push_back(tag);
        }
    }
    if (tags.empty()) invalid_argument("tags must list at least one tag.");
    if (tags.size() > 50) invalid_argument("at most 50 tags per call.");
    return tags;
}

/// customFields [{id|key, value}] as GHL's write form [{id, field_value}]. Keys (the fieldKey
/// "contact.lead_score", the same without "contact.", or the field's name) are resolved with
/// one locations.custom_fields.list request, made only when a key is used.
json custom_fields_arg(GhlAccess& ghl, mcp::ToolContext& ctx, const std::string& location,
                       const json& args) {
    if (!args.contains("customFields") || args["customFields"].is_null()) return nullptr;
    const json& items = args["customFields"];
    const std::string shape =
        " Give each as {\"key\": \"lead_score\", \"value\": 80} or {\"id\": \"<field id>\", "
        "\"value\": ...}.";
    bool any_key = false;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const json& item = items[i];
        const std::string where = "customFields[" + std::to_string(i) + "]";
        const bool has_id =
            item.contains("id") && item["id"].is_string() && !item["id"].get<std::string>().empty();
        const bool has_key = item.contains("key") && item["key"].is_string() &&
                             !item["key"].get<std::string>().empty();
        if (has_id == has_key)
            invalid_argument(where + " needs exactly one of id and key." + shape);
        if (!item.contains("value")) invalid_argument(where + " has no value." + shape);
        for (const auto& [k, v] : item.items())
            if (k != "id" && k != "key" && k != "value")
                invalid_argument(where + " has an unknown member \"" + k + "\"." + shape);
        any_key = any_key || has_key;
    }
    std::map<std::string, std::string> by_key;  // lower-case key, short key or name -> id
    std::string valid;
    int listed = 0, unlisted = 0;
    if (any_key) {
        json r = ghl.call(ctx, "locations.custom_fields.list", {{"locationId", location}},
                          {{"model", "contact"}}, nullptr, location);
        if (r.contains("customFields") && r["customFields"].is_array()) {
            for (const auto& f : r["customFields"]) {
                const std::string id = string_of(f, "id");
                const std::string key = string_of(f, "fieldKey");
                const std::string name = string_of(f, "name");
                if (id.empty()) continue;
                if (!key.empty()) {
                    by_key.emplace(lowercase(key), id);
                    if (key.rfind("contact.", 0) == 0) by_key.emplace(lowercase(key.substr(8)), id);
                }
                if (!name.empty()) by_key.emplace(lowercase(trimmed(name)), id);
                if (listed++ >= 40) {  // the error text stays readable for large locations
                    ++unlisted;
                    continue;
                }
                if (!valid.empty()) valid += ", ";
                valid += key.empty() ? name : key + (name.empty() ? "" : " (" + name + ")");
            }
        }
    }
    json out = json::array();
    for (const auto& item : items) {
        std::string id;
        if (item.contains("id") && item["id"].is_string() &&
            !item["id"].get<std::string>().empty()) {
            id = item["id"].get<std::string>();
        } else {
            const std::string key = item["key"].get<std::string>();
            auto it = by_key.find(lowercase(trimmed(key)));
            if (it == by_key.end())
                invalid_argument(
                    "Unknown custom field key \"" + key + "\". Contact fields of this location: " +
                    (valid.empty() ? std::string("none") : valid) +
                    (unlisted ? " and " + std::to_string(unlisted) + " more" : "") + ".");
            id = it->second;
        }
        out.push_back({{"id", id}, {"field_value", item["value"]}});
    }
    return out;
}

// ---- Duplicate refusals ---------------------------------------------------------------------

bool is_duplicate_refusal(const ToolFailure& f) {
    return std::string_view(f.what()).find("does not allow duplicated contacts") !=
           std::string_view::npos;
}

/// GHL refused a create/update because another contact has this email or phone. Its body names
/// that contact (meta.contactId) but the client keeps only the message, so the duplicate search
/// finds it again (email first, as GHL matches) to give the agent the id to act on. `self_id`:
/// the contact being updated, which may well match its own unchanged email.
[[noreturn]] void throw_duplicate(GhlAccess& ghl, mcp::ToolContext& ctx,
                                  const std::string& location,
                                  const std::optional<std::string>& email,
                                  const std::optional<std::string>& phone,
                                  const std::string& ghl_text, const std::string& self_id) {
    const bool creating = self_id.empty();
    json existing;
    std::string field;
    try {
        for (const auto& [param, value, name] :
             {std::tuple{"email", email, "email"}, std::tuple{"number", phone, "phone"}}) {
            if (!value) continue;
            json r = ghl.call(ctx, "contacts.duplicate_search", {},
                              {{"locationId", location}, {param, *value}}, nullptr, location);
            if (r.contains("contact") && r["contact"].is_object() &&
                (creating || string_of(r["contact"], "id") != self_id)) {
                existing = r["contact"];
                field = name;
                break;
            }
        }
    } catch (const ToolFailure&) {
        // The lookup is only a courtesy: fall through to the text without the id.
    }
    std::string text = "[tools.duplicate_contact] ";
    if (existing.is_object()) {
        const std::string id = string_of(existing, "id");
        const std::string name = display_name(existing);
        text += "Another contact already has this " + field + ": " +
                (name.empty() ? "" : name + " ") + "(contactId " + id +
                "), and this location does not allow duplicate contacts. ";
        text += creating ? "To change that contact use update_contact with contactId " + id +
                               ", or upsert_contact to create-or-update by email/phone."
                         : "Use a different " + field + ", or change contact " + id + " instead.";
    } else {
        text +=
            "GHL refused it as a duplicate: another contact has this email or phone. "
            "find_contact gives that contact; then use update_contact or upsert_contact. (" +
            ghl_text + ")";
    }
    throw ToolFailure(text);
}

// ---- Write bodies ---------------------------------------------------------------------------

struct ContactWrite {
    json body = json::object();
    std::optional<std::string> email;
    std::optional<std::string> phone;
};

/// The contact fields of create/upsert/update from the arguments (phone as E.164, custom field
/// keys resolved). `keys` are the plain string fields the tool offers.
ContactWrite contact_write(GhlAccess& ghl, mcp::ToolContext& ctx, const std::string& location,
                           const json& args, std::initializer_list<std::string_view> keys) {
    ContactWrite w;
    copy_args(args, w.body, keys);
    w.email = email_arg(args);
    w.phone = phone_arg(args, "1");
    if (w.email) w.body["email"] = *w.email;
    if (w.phone) w.body["phone"] = *w.phone;
    if (args.contains("tags") && args["tags"].is_array()) w.body["tags"] = tags_arg(args);
    if (json cf = custom_fields_arg(ghl, ctx, location, args); cf.is_array())
        w.body["customFields"] = cf;
    return w;
}

void require_phone_or_email(const ContactWrite& w, const char* tool) {
    if (!w.email && !w.phone)
        invalid_argument(std::string(tool) +
                         " needs a phone or an email (or both) to identify the contact.");
}

// ---- Handlers -------------------------------------------------------------------------------

mcp::ToolHandler make_get_contact(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        json body = ghl.call(ctx, "contacts.get", {{"contactId", arg_string(args, "contactId")}},
                             {}, nullptr, location);
        return mcp::ToolResult::structured_result(
            {{"contact", shape_contact(unwrap(body, "contact"))}});
    };
}

mcp::ToolHandler make_search_contacts(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const int limit = static_cast<int>(arg_int(args, "limit", 20));
        json filters = json::array();
        if (auto email = email_arg(args))
            filters.push_back(
                {{"field", "email"}, {"operator", "eq"}, {"value", lowercase(*email)}});
        if (auto phone = phone_arg(args, "1"))
            filters.push_back({{"field", "phone"}, {"operator", "eq"}, {"value", *phone}});
        if (auto tag = arg_opt_string(args, "tag"))
            filters.push_back(
                {{"field", "tags"}, {"operator", "eq"}, {"value", lowercase(trimmed(*tag))}});
        json range = json::object();
        std::optional<std::int64_t> from, to;
        if (arg_opt_string(args, "dateFrom")) {
            from = require_iso(args, "dateFrom");
            range["gte"] = iso_utc(*from);
        }
        if (auto text = arg_opt_string(args, "dateTo")) {
            to = require_iso(args, "dateTo");
            if (text->size() == 10) {  // a date alone means the whole day
                *to += 86400000;
                range["lt"] = iso_utc(*to);
            } else {
                range["lte"] = iso_utc(*to);
            }
        }
        if (from && to && *from >= *to)
            invalid_argument("dateFrom must be before dateTo (got " + arg_string(args, "dateFrom") +
                             " and " + arg_string(args, "dateTo") + ").");
        if (!range.empty())
            filters.push_back({{"field", "dateAdded"}, {"operator", "range"}, {"value", range}});

        json body = {{"locationId", location},
                     {"pageLimit", limit},
                     {"sort", json::array({{{"field", "dateAdded"}, {"direction", "desc"}}})}};
        if (auto query = arg_opt_string(args, "query")) body["query"] = *query;
        if (!filters.empty()) body["filters"] = filters;

        json selection = json::object();
        copy_args(args, selection,
                  {"query", "email", "phone", "tag", "dateFrom", "dateTo", "locationId"});
        Page page = fetch_page(ghl, ctx, cursor_scope(env, ctx, location), "contacts.search", {}, {}, body, args,
                               {.page_size = limit, .items_key = "contacts"}, selection);
        json contacts = json::array();
        for (const auto& c : page.items) contacts.push_back(shape_contact_brief(c));
        json out = list_output("contacts", std::move(contacts), page.next_cursor);
        if (page.response.contains("total") && page.response["total"].is_number_integer())
            out["total"] = page.response["total"];
        return mcp::ToolResult::structured_result(std::move(out));
    };
}

mcp::ToolHandler make_find_contact(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string code = calling_code(args);
        const auto email = email_arg(args);
        const auto phone = phone_arg(args, code);
        if (!email && !phone) invalid_argument("find_contact needs a phone or an email (or both).");
        const auto lookup = [&](const char* param, const std::string& value) -> json {
            json r = ghl.call(ctx, "contacts.duplicate_search", {},
                              {{"locationId", location}, {param, value}}, nullptr, location);
            return r.is_object() && r.contains("contact") && r["contact"].is_object() ? r["contact"]
                                                                                      : json();
        };
        // One request per identifier: what GHL does with both at once is not documented.
        const json by_email = email ? lookup("email", *email) : json();
        const json by_phone = phone ? lookup("number", *phone) : json();
        json out = {{"found", false}, {"contact", nullptr}, {"matchedBy", nullptr}};
        if (by_email.is_object() && by_phone.is_object() &&
            string_of(by_email, "id") != string_of(by_phone, "id")) {
            json a = shape_contact(by_email), b = shape_contact(by_phone);
            out["found"] = true;
            out["note"] = "The email belongs to " + a.value("name", std::string("a contact")) +
                          " (" + a.value("id", "") + ") and the phone to " +
                          b.value("name", std::string("another contact")) + " (" +
                          b.value("id", "") + "): two different contacts. Ask which one is meant.";
            out["byEmail"] = std::move(a);
            out["byPhone"] = std::move(b);
        } else if (by_email.is_object()) {
            out = {{"found", true}, {"contact", shape_contact(by_email)}, {"matchedBy", "email"}};
        } else if (by_phone.is_object()) {
            out = {{"found", true}, {"contact", shape_contact(by_phone)}, {"matchedBy", "phone"}};
        }
        return mcp::ToolResult::structured_result(std::move(out));
    };
}

mcp::ToolHandler make_create_contact(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        // Cheap checks first: the custom field list is only fetched for a valid request.
        require_phone_or_email({json::object(), email_arg(args), phone_arg(args, "1")},
                               "create_contact");
        ContactWrite w =
            contact_write(ghl, ctx, location, args, {"firstName", "lastName", "companyName"});
        w.body["locationId"] = location;
        json r;
        try {
            r = ghl.call(ctx, "contacts.create", {}, {}, w.body, location);
        } catch (const ToolFailure& f) {
            if (is_duplicate_refusal(f))
                throw_duplicate(ghl, ctx, location, w.email, w.phone, f.what(), "");
            throw;
        }
        return mcp::ToolResult::structured_result(
            {{"contact", shape_contact(unwrap(r, "contact"))}});
    };
}

mcp::ToolHandler make_upsert_contact(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        require_phone_or_email({json::object(), email_arg(args), phone_arg(args, "1")},
                               "upsert_contact");
        ContactWrite w =
            contact_write(ghl, ctx, location, args, {"firstName", "lastName", "companyName"});
        w.body["locationId"] = location;
        json r = ghl.call(ctx, "contacts.upsert", {}, {}, w.body, location);
        json created = get_or_null(r, "new");
        return mcp::ToolResult::structured_result(
            {{"created", created.is_boolean() ? created : json(nullptr)},
             {"contact", shape_contact(unwrap(r, "contact"))}});
    };
}

mcp::ToolHandler make_update_contact(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string id = arg_string(args, "contactId");
        ContactWrite w = contact_write(ghl, ctx, location, args,
                                       {"firstName", "lastName", "address1", "city", "state",
                                        "postalCode", "dnd", "assignedTo"});
        if (w.body.empty())
            invalid_argument(
                "Nothing to update: give at least one field to change besides contactId.");
        json r;
        try {
            r = ghl.call(ctx, "contacts.update", {{"contactId", id}}, {}, w.body, location);
        } catch (const ToolFailure& f) {
            if (is_duplicate_refusal(f))
                throw_duplicate(ghl, ctx, location, w.email, w.phone, f.what(), id);
            throw;
        }
        return mcp::ToolResult::structured_result(
            {{"contact", shape_contact(unwrap(r, "contact"))}});
    };
}

mcp::ToolHandler make_delete_contact(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string id = arg_string(args, "contactId");
        json r = ghl.call(ctx, "contacts.delete", {{"contactId", id}}, {}, nullptr, location);
        if (r.is_object() && r.contains("succeded") && r["succeded"] == false)
            throw ToolFailure("[tools.not_confirmed] GHL did not confirm deleting contact " + id +
                              "; check with get_contact whether it still exists.");
        return mcp::ToolResult::structured_result({{"deleted", true}, {"contactId", id}});
    };
}

mcp::ToolHandler make_tags(const Environment& env, std::string_view endpoint) {
    return [&env, endpoint](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string id = arg_string(args, "contactId");
        json r =
            ghl.call(ctx, endpoint, {{"contactId", id}}, {}, {{"tags", tags_arg(args)}}, location);
        return mcp::ToolResult::structured_result(
            {{"contactId", id},
             {"tags", r.contains("tags") && r["tags"].is_array() ? r["tags"] : json::array()}});
    };
}

mcp::ToolHandler make_add_contact_tags(const Environment& env) {
    return make_tags(env, "contacts.tags.add");
}
mcp::ToolHandler make_remove_contact_tags(const Environment& env) {
    return make_tags(env, "contacts.tags.remove");
}

/// A listing of one contact's records that GHL answers in one piece: sorted, shaped, sliced.
mcp::ToolHandler make_contact_listing(const Environment& env, std::string_view endpoint,
                                      std::string_view ghl_key, std::string_view key,
                                      json (*shape)(const json&), std::string_view sort_key,
                                      bool newest_first) {
    return [&env, endpoint, ghl_key, key, shape, sort_key, newest_first](const json& args,
                                                                         mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string id = arg_string(args, "contactId");
        json r = ghl.call(ctx, endpoint, {{"contactId", id}}, {}, nullptr, location);
        json all = json::array();
        for (const auto& item : array_of(r, ghl_key)) all.push_back(shape(item));
        // ISO strings of one form sort like their times (UTC "...Z", or one calendar's local time).
        std::stable_sort(all.begin(), all.end(), [&](const json& a, const json& b) {
            const std::string x = a.value(std::string(sort_key), ""),
                              y = b.value(std::string(sort_key), "");
            return newest_first ? x > y : x < y;
        });
        const json filters = {{"contactId", id}, {"locationId", location}};
        const auto limit = static_cast<std::size_t>(arg_int(args, "limit", 20));
        const CursorScope cursors = cursor_scope(env, ctx, location);
        json page = offset_page(cursors, key, all, cursor_offset(cursors, args, endpoint, filters),
                                limit, endpoint, filters);
        page["total"] = all.size();
        return mcp::ToolResult::structured_result(std::move(page));
    };
}

mcp::ToolHandler make_list_contact_notes(const Environment& env) {
    return make_contact_listing(env, "contacts.notes.list", "notes", "notes", shape_note,
                                "dateAdded", true);
}
mcp::ToolHandler make_list_contact_tasks(const Environment& env) {
    return make_contact_listing(env, "contacts.tasks.list", "tasks", "tasks", shape_task, "dueDate",
                                false);
}
mcp::ToolHandler make_list_contact_appointments(const Environment& env) {
    return make_contact_listing(env, "contacts.appointments", "events", "appointments",
                                shape_appointment, "startTime", false);
}

mcp::ToolHandler make_add_contact_note(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string body = arg_string(args, "body");
        if (trimmed(body).empty()) invalid_argument("body is empty: give the text of the note.");
        json r =
            ghl.call(ctx, "contacts.notes.create", {{"contactId", arg_string(args, "contactId")}},
                     {}, {{"body", body}}, location);
        return mcp::ToolResult::structured_result({{"note", shape_note(unwrap(r, "note"))}});
    };
}

mcp::ToolHandler make_create_contact_task(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string title = trimmed(arg_string(args, "title"));
        if (title.empty()) invalid_argument("title is empty: say what is to be done.");
        const std::int64_t due = require_iso(args, "dueDate");
        json body = {{"title", title}, {"dueDate", iso_utc(due)}, {"completed", false}};
        copy_args(args, body, {"body", "assignedTo"});
        json r = ghl.call(ctx, "contacts.tasks.create",
                          {{"contactId", arg_string(args, "contactId")}}, {}, body, location);
        return mcp::ToolResult::structured_result({{"task", shape_task(unwrap(r, "task"))}});
    };
}

}  // namespace

std::vector<Registration> contact_tools() {
    return {
        {"add_contact_note", make_add_contact_note},
        {"add_contact_tags", make_add_contact_tags},
        {"create_contact", make_create_contact},
        {"create_contact_task", make_create_contact_task},
        {"delete_contact", make_delete_contact},
        {"find_contact", make_find_contact},
        {"get_contact", make_get_contact},
        {"list_contact_appointments", make_list_contact_appointments},
        {"list_contact_notes", make_list_contact_notes},
        {"list_contact_tasks", make_list_contact_tasks},
        {"remove_contact_tags", make_remove_contact_tags},
        {"search_contacts", make_search_contacts},
        {"update_contact", make_update_contact},
        {"upsert_contact", make_upsert_contact},
    };
}

}  // namespace tools
