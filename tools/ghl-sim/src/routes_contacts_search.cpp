// POST /contacts/search (page/pageLimit or searchAfter cursor, filters, sort, query) and the
// deprecated GET /contacts/ (startAfter/startAfterId cursor).
//
// The search body is undocumented in the spec (SearchBodyV2DTO is empty); it follows GHL's
// ClickUp page as restated in ../shared/reference/ghl-api.md §1: locationId*, pageLimit* (<= 500),
// page, searchAfter[], filters[] ({field, operator, value} or {group: AND|OR, filters}), sort[]
// ({field, direction}), query (<= 75 chars). The response is the older spec's
// {contacts: Contact[], total}, each contact carrying its `searchAfter` cursor.
#include "api.hpp"

#include <algorithm>
#include <cmath>

namespace ghlsim {

namespace {

using timeutil::iso_utc;

constexpr const char* V = kVersionDefault;

const std::vector<std::string> kOperators = {"eq",     "not_eq",     "contains", "not_contains",
                                             "exists", "not_exists", "range"};
const std::vector<std::string> kSortFields = {"dateAdded",         "dateUpdated",
                                              "firstNameLowerCase", "lastNameLowerCase",
                                              "fullNameLowerCase", "email",
                                              "businessName",      "companyName"};
const std::vector<std::string> kFilterFields = {
    "id",         "firstName",   "firstNameLowerCase", "lastName",    "lastNameLowerCase",
    "fullNameLowerCase", "email", "phone",             "tags",        "dnd",
    "type",       "source",      "assignedTo",         "city",        "state",
    "country",    "postalCode",  "address",            "companyName", "businessName",
    "timezone",   "dateAdded",   "dateUpdated"};

bool is_date_field(const std::string& field) {
    return field == "dateAdded" || field == "dateUpdated";
}

/// The values a filter on `field` sees (several for tags).
std::vector<Json> field_values(const Store& store, const Contact& c, const std::string& field) {
    const auto s = [](const std::string& v) { return v.empty() ? Json() : Json(v); };
    if (field == "id") return {c.id};
    if (field == "firstName" || field == "firstNameLowerCase") return {s(lower(c.first_name))};
    if (field == "lastName" || field == "lastNameLowerCase") return {s(lower(c.last_name))};
    if (field == "fullNameLowerCase") return {s(lower(c.full_name()))};
    if (field == "email") return {s(lower(c.email))};
    if (field == "phone") return {s(c.phone)};
    if (field == "tags") {
        std::vector<Json> out(c.tags.begin(), c.tags.end());
        return out;
    }
    if (field == "dnd") return {c.dnd};
    if (field == "type") return {s(c.type)};
    if (field == "source") return {s(lower(c.source))};
    if (field == "assignedTo") return {s(c.assigned_to)};
    if (field == "city") return {s(lower(c.city))};
    if (field == "state") return {s(lower(c.state))};
    if (field == "country") return {s(lower(c.country))};
    if (field == "postalCode") return {s(c.postal_code)};
    if (field == "address") return {s(lower(c.address1))};
    if (field == "companyName" || field == "businessName") return {s(lower(c.company_name))};
    if (field == "timezone") return {s(c.timezone)};
    if (field == "dateAdded") return {c.date_added};
    if (field == "dateUpdated") return {c.date_updated};
    if (field.rfind("customFields.", 0) == 0) {
        const CustomField* f = store.custom_field(field.substr(13));
        if (f == nullptr) return {};
        for (const CustomFieldValue& v : c.custom_fields) {
            if (v.id == f->id) {
                if (v.value.is_array()) return {v.value.begin(), v.value.end()};
                return {v.value.is_string() ? Json(lower(v.value.get<std::string>())) : v.value};
            }
        }
        return {};
    }
    return {};
}

bool present(const Json& v) {
    return !v.is_null() && !(v.is_string() && v.get<std::string>().empty());
}

/// A filter value as the field's values are stored: lower-case text, E.164 phones, epoch-ms dates.
Json normalize(const std::string& field, const Json& value) {
    if (is_date_field(field) && value.is_string()) {
        const auto ms = timeutil::parse_iso(value.get<std::string>());
        if (ms) return *ms;
    }
    if (!value.is_string()) return value;
    if (field == "phone") {
        const std::string e164 = normalize_phone(value.get<std::string>());
        return e164.empty() ? value : Json(e164);
    }
    if (field == "id" || field == "assignedTo" || field == "timezone" || field == "postalCode") {
        return value;
    }
    return lower(value.get<std::string>());
}

int compare(const Json& a, const Json& b) {
    if (a.is_number() && b.is_number()) {
        const double x = a.get<double>();
        const double y = b.get<double>();
        return x < y ? -1 : x > y ? 1 : 0;
    }
    const std::string x = a.is_string() ? a.get<std::string>() : a.dump();
    const std::string y = b.is_string() ? b.get<std::string>() : b.dump();
    return x < y ? -1 : x > y ? 1 : 0;
}

bool equals(const Json& a, const Json& b) {
    if (a.is_boolean() || b.is_boolean()) {
        const auto truthy = [](const Json& v) {
            return v.is_boolean() ? v.get<bool>() : (v.is_string() && v.get<std::string>() == "true");
        };
        return truthy(a) == truthy(b);
    }
    return compare(a, b) == 0;
}

bool contains_text(const Json& haystack, const Json& needle) {
    if (!haystack.is_string() || !needle.is_string()) return false;
    return haystack.get<std::string>().find(needle.get<std::string>()) != std::string::npos;
}

struct FilterError {
    std::string message;
};

bool matches(const Store& store, const Contact& c, const Json& filter, const std::string& where);

bool matches_all(const Store& store, const Contact& c, const Json& filters, bool any,
                 const std::string& where) {
    if (!filters.is_array()) throw FilterError{where + "filters must be an array"};
    bool result = !any;
    for (std::size_t i = 0; i < filters.size(); ++i) {
        const bool ok = matches(store, c, filters[i], where + "filters." + std::to_string(i) + ".");
        if (any && ok) result = true;
        if (!any && !ok) result = false;
    }
    return filters.empty() ? true : result;
}

bool matches(const Store& store, const Contact& c, const Json& filter, const std::string& where) {
    if (!filter.is_object()) throw FilterError{where + "filter must be an object"};
    if (filter.contains("group")) {
        const std::string group = str(filter, "group");
        if (group != "AND" && group != "OR") {
            throw FilterError{where + "group must be one of the following values: AND, OR"};
        }
        return matches_all(store, c, filter.value("filters", Json::array()), group == "OR", where);
    }
    const std::string field = str(filter, "field");
    const std::string op = str(filter, "operator");
    if (std::find(kFilterFields.begin(), kFilterFields.end(), field) == kFilterFields.end() &&
        field.rfind("customFields.", 0) != 0) {
        throw FilterError{where + "field " + (field.empty() ? "(missing)" : field) +
                          " is not a supported filter field"};
    }
    if (std::find(kOperators.begin(), kOperators.end(), op) == kOperators.end()) {
        throw FilterError{where +
                          "operator must be one of the following values: eq, not_eq, contains, "
                          "not_contains, exists, not_exists, range"};
    }
    const std::vector<Json> values = field_values(store, c, field);
    const bool has_value = std::any_of(values.begin(), values.end(), present);
    if (op == "exists") return has_value;
    if (op == "not_exists") return !has_value;
    if (!filter.contains("value")) throw FilterError{where + "value should not be empty"};
    const Json& raw = filter["value"];
    if (op == "range") {
        if (!raw.is_object()) throw FilterError{where + "value must be an object for range"};
        for (const Json& v : values) {
            if (!present(v)) continue;
            bool ok = true;
            for (const auto& [bound, limit] : raw.items()) {
                const int cmp = compare(v, normalize(field, limit));
                if (bound == "gt") ok = ok && cmp > 0;
                else if (bound == "gte") ok = ok && cmp >= 0;
                else if (bound == "lt") ok = ok && cmp < 0;
                else if (bound == "lte") ok = ok && cmp <= 0;
                else throw FilterError{where + "range accepts gt, gte, lt and lte"};
            }
            if (ok) return true;
        }
        return false;
    }
    std::vector<Json> wanted;
    if (raw.is_array()) {
        for (const Json& v : raw) wanted.push_back(normalize(field, v));
    } else {
        wanted.push_back(normalize(field, raw));
    }
    const bool text_op = op == "contains" || op == "not_contains";
    bool hit = false;
    for (const Json& v : values) {
        for (const Json& w : wanted) {
            if (text_op ? contains_text(v, w) : (present(v) && equals(v, w))) hit = true;
        }
    }
    return (op == "eq" || op == "contains") ? hit : !hit;
}

bool matches_query(const Contact& c, const std::string& query) {
    if (query.empty()) return true;
    const std::string q = lower(query);
    for (const std::string& text : {lower(c.full_name()), lower(c.email), lower(c.company_name),
                                    c.phone}) {
        if (text.find(q) != std::string::npos) return true;
    }
    std::string digits;
    for (char ch : query) {
        if (ch >= '0' && ch <= '9') digits += ch;
    }
    return digits.size() >= 3 && c.phone.find(digits) != std::string::npos;
}

struct SortKey {
    std::string field;
    bool desc = false;
};

Json sort_value(const Contact& c, const std::string& field) {
    if (field == "dateAdded") return c.date_added;
    if (field == "dateUpdated") return c.date_updated;
    if (field == "firstNameLowerCase") return lower(c.first_name);
    if (field == "lastNameLowerCase") return lower(c.last_name);
    if (field == "fullNameLowerCase") return lower(c.full_name());
    if (field == "email") return lower(c.email);
    return lower(c.company_name);  // businessName, companyName
}

/// Missing values sort last in both directions (Elasticsearch's default); the id breaks ties.
int compare_keys(const Json& a, const Json& b, const std::vector<SortKey>& sort) {
    for (std::size_t i = 0; i < sort.size(); ++i) {
        const bool am = !present(a[i]);
        const bool bm = !present(b[i]);
        if (am || bm) {
            if (am != bm) return am ? 1 : -1;
            continue;
        }
        const int r = compare(a[i], b[i]);
        if (r != 0) return sort[i].desc ? -r : r;
    }
    return compare(a[sort.size()], b[sort.size()]);
}

Reply search(Call& call) {
    const Json& body = call.body();
    validate_body(body, {{"locationId", Kind::kString, true},
                         {"pageLimit", Kind::kNumber, true},
                         {"page", Kind::kNumber},
                         {"searchAfter", Kind::kArray},
                         {"filters", Kind::kArray},
                         {"sort", Kind::kArray},
                         {"query", Kind::kString}});
    check_location(call.store, str(body, "locationId"));
    std::vector<std::string> errors;
    const double page_limit = body["pageLimit"].get<double>();
    if (page_limit < 1) errors.push_back("pageLimit must not be less than 1");
    if (page_limit > 500) errors.push_back("pageLimit must not be greater than 500");
    const double page = body.value("page", 1.0);
    if (page < 1) errors.push_back("page must not be less than 1");
    if (body.contains("page") && body.contains("searchAfter")) {
        errors.push_back("page and searchAfter cannot be used together");
    }
    if (str(body, "query").size() > 75) {
        errors.push_back("query must be shorter than or equal to 75 characters");
    }
    const auto limit = static_cast<std::size_t>(std::max(1.0, std::floor(page_limit)));
    const auto page_index = static_cast<std::size_t>(std::max(1.0, std::floor(page))) - 1;
    if (!body.contains("searchAfter") && (page_index + 1) * limit > 10000) {
        errors.push_back("page * pageLimit must not be greater than 10000, use searchAfter");
    }
    std::vector<SortKey> sort;
    for (const Json& s : body.value("sort", Json::array())) {
        const std::string field = s.is_object() ? str(s, "field") : "";
        const std::string dir = s.is_object() ? str(s, "direction") : "";
        if (std::find(kSortFields.begin(), kSortFields.end(), field) == kSortFields.end()) {
            errors.push_back("sort field " + field + " is not supported");
        } else if (!dir.empty() && dir != "asc" && dir != "desc") {
            errors.push_back("sort direction must be one of the following values: asc, desc");
        } else {
            sort.push_back({field, dir == "desc"});
        }
    }
    if (sort.empty()) sort.push_back({"dateAdded", true});
    Json cursor;
    if (body.contains("searchAfter")) {
        cursor = body["searchAfter"];
        if (cursor.size() != sort.size() + 1) {
            errors.push_back("searchAfter must have one value per sort field plus the contact id");
        } else {
            for (std::size_t i = 0; i < sort.size(); ++i) {  // the cursor may come back as text
                if (is_date_field(sort[i].field) && cursor[i].is_string()) {
                    try {
                        cursor[i] = std::stoll(cursor[i].get<std::string>());
                    } catch (const std::exception&) {
                        errors.push_back("searchAfter is invalid");
                    }
                }
            }
        }
    }
    if (!errors.empty()) throw ApiError::unprocessable(std::move(errors));

    const Store& store = call.store;
    const std::string query = str(body, "query");
    const Json filters = body.value("filters", Json::array());
    std::vector<std::pair<Json, const Contact*>> hits;
    try {
        for (const auto& [id, c] : store.contacts) {
            if (!matches_query(c, query) || !matches_all(store, c, filters, false, "")) continue;
            Json key = Json::array();
            for (const SortKey& k : sort) key.push_back(sort_value(c, k.field));
            key.push_back(c.id);
            hits.emplace_back(std::move(key), &c);
        }
    } catch (const FilterError& e) {
        throw ApiError::unprocessable({e.message});
    }
    std::sort(hits.begin(), hits.end(), [&](const auto& a, const auto& b) {
        return compare_keys(a.first, b.first, sort) < 0;
    });
    std::size_t first = 0;
    if (!cursor.is_null()) {
        while (first < hits.size() && compare_keys(hits[first].first, cursor, sort) <= 0) ++first;
    } else {
        first = std::min(hits.size(), page_index * limit);
    }
    Json contacts = Json::array();
    for (std::size_t i = first; i < hits.size() && i < first + limit; ++i) {
        Json c = store.search_contact_json(*hits[i].second);
        c["searchAfter"] = hits[i].first;
        contacts.push_back(std::move(c));
    }
    return {200, {{"contacts", contacts}, {"total", hits.size()}}};
}

/// GET /contacts/ (deprecated): newest first, `startAfter` (dateAdded ms) + `startAfterId`.
Reply list(Call& call) {
    validate_query(call, {{"locationId", Kind::kString, true},
                          {"startAfter", Kind::kNumber},
                          {"limit", Kind::kNumber}});
    check_location(call.store, call.query("locationId"));
    const long limit = query_int(call, "limit", 20, 1, 100);
    const std::string query = call.query("query");
    std::vector<const Contact*> all;
    for (const auto& [id, c] : call.store.contacts) {
        if (matches_query(c, query)) all.push_back(&c);
    }
    const auto before = [](const Contact* a, const Contact* b) {
        return a->date_added != b->date_added ? a->date_added > b->date_added : a->id < b->id;
    };
    std::sort(all.begin(), all.end(), before);
    std::size_t first = 0;
    if (call.has_query("startAfter") || call.has_query("startAfterId")) {
        const Ms after = call.has_query("startAfter") ? std::stoll(call.query("startAfter")) : 0;
        const std::string after_id = call.query("startAfterId");
        Contact probe;
        probe.id = after_id;
        probe.date_added = after;
        if (!call.has_query("startAfter")) {  // an id alone: position after that contact
            const auto it = call.store.contacts.find(after_id);
            if (it == call.store.contacts.end()) not_found("Contact");
            probe.date_added = it->second.date_added;
        }
        while (first < all.size() && !before(&probe, all[first])) ++first;
    }
    Json contacts = Json::array();
    const std::size_t end = std::min(all.size(), first + static_cast<std::size_t>(limit));
    for (std::size_t i = first; i < end; ++i) contacts.push_back(call.store.contact_json(*all[i]));
    const bool more = end < all.size();
    const long current = static_cast<long>(first) / limit + 1;
    Json meta;
    meta["total"] = all.size();
    meta["currentPage"] = current;
    meta["nextPage"] = more ? Json(current + 1) : Json();
    meta["prevPage"] = current > 1 ? Json(current - 1) : Json();
    if (end > first) {
        meta["startAfterId"] = all[end - 1]->id;
        meta["startAfter"] = all[end - 1]->date_added;
    } else {
        meta["startAfterId"] = nullptr;
        meta["startAfter"] = nullptr;
    }
    meta["nextPageUrl"] =
        more ? Json("/contacts/?locationId=" + call.store.location.id +
                    "&limit=" + std::to_string(limit) + "&startAfter=" +
                    std::to_string(all[end - 1]->date_added) + "&startAfterId=" + all[end - 1]->id)
             : Json();
    return {200, {{"contacts", contacts}, {"count", all.size()}, {"meta", meta}}};
}

}  // namespace

void register_search_routes(Router& router) {
    router.add("POST", "/contacts/search", V, search, 400);  // its spec declares no 422
    router.add("GET", "/contacts", V, list);
}

}  // namespace ghlsim
