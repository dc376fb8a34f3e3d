// The sub-account's reference data, all Version 2021-07-28: workflows [D:workflows], campaigns
// [D:campaigns], the location with its custom fields and tags [D:locations], users (list,
// skip/limit search, get) [D:users] and read-only payments (limit/offset) [D:payments].
#include "api.hpp"

#include <algorithm>

namespace ghlsim {

namespace {

constexpr const char* V = kVersionDefault;

Reply workflows(Call& call) {
    validate_query(call, {{"locationId", Kind::kString, true}});
    check_location(call.store, call.query("locationId"));
    Json out = Json::array();
    for (const Workflow& w : call.store.workflows) out.push_back(call.store.workflow_json(w));
    return {200, {{"workflows", out}}};
}

Reply campaigns(Call& call) {
    validate_query(call, {{"locationId", Kind::kString, true}});
    check_location(call.store, call.query("locationId"));
    const std::string status = call.query("status");
    Json out = Json::array();
    for (const Campaign& c : call.store.campaigns) {
        if (status.empty() || c.status == status) out.push_back(call.store.campaign_json(c));
    }
    return {200, {{"campaigns", out}}};
}

Reply location(Call& call) {
    check_location(call.store, call.param("locationId"));
    return {200, {{"location", call.store.location_json()}}};
}

Reply custom_fields(Call& call) {
    check_location(call.store, call.param("locationId"));
    validate_query(call, {{"model", Kind::kString, false, {"contact", "opportunity", "all"}}});
    const std::string model = call.query("model", "all");
    Json out = Json::array();
    for (const CustomField& f : call.store.custom_fields) {
        if (model == "all" || f.model == model) out.push_back(call.store.custom_field_json(f));
    }
    return {200, {{"customFields", out}}};
}

Reply custom_field(Call& call) {
    check_location(call.store, call.param("locationId"));
    for (const CustomField& f : call.store.custom_fields) {
        if (f.id == call.param("id")) return {200, {{"customField", call.store.custom_field_json(f)}}};
    }
    not_found("Custom field");
}

Reply tags(Call& call) {
    check_location(call.store, call.param("locationId"));
    Json out = Json::array();
    for (const Tag& t : call.store.tags) out.push_back(call.store.tag_json(t));
    return {200, {{"tags", out}}};
}

std::vector<const User*> sorted_users(const Store& store) {
    std::vector<const User*> out;
    for (const auto& [id, u] : store.users) out.push_back(&u);
    std::sort(out.begin(), out.end(), [](const User* a, const User* b) {
        return a->first_name + a->last_name != b->first_name + b->last_name
                   ? a->first_name + a->last_name < b->first_name + b->last_name
                   : a->id < b->id;
    });
    return out;
}

Reply users(Call& call) {
    validate_query(call, {{"locationId", Kind::kString, true}});
    check_location(call.store, call.query("locationId"));
    Json out = Json::array();
    for (const User* u : sorted_users(call.store)) out.push_back(call.store.user_json(*u));
    return {200, {{"users", out}}};
}

Reply search_users(Call& call) {
    validate_query(call, {{"companyId", Kind::kString, true},
                          {"skip", Kind::kNumber},
                          {"limit", Kind::kNumber},
                          {"sortDirection", Kind::kString, false, {"asc", "desc"}}});
    if (call.query("companyId") != call.store.location.company_id) {
        throw ApiError(403, Json{{"statusCode", 403},
                                 {"message", "You do not have permission to access this resource"},
                                 {"error", "Forbidden"}});
    }
    if (call.has_query("locationId")) check_location(call.store, call.query("locationId"));
    const long skip = query_int(call, "skip", 0, 0, 1000000);
    const long limit = query_int(call, "limit", 25, 1, 500);
    const std::string query = lower(call.query("query"));
    const std::string role = call.query("role");
    const std::string ids = call.query("ids");
    std::vector<const User*> hits;
    for (const User* u : sorted_users(call.store)) {
        const std::string name = lower(u->first_name + " " + u->last_name);
        if (!query.empty() && name.find(query) == std::string::npos &&
            lower(u->email).find(query) == std::string::npos) {
            continue;
        }
        if (!role.empty() && u->role != role) continue;
        if (!ids.empty() && ("," + ids + ",").find("," + u->id + ",") == std::string::npos) continue;
        hits.push_back(u);
    }
    if (call.query("sortDirection") == "desc") std::reverse(hits.begin(), hits.end());
    Json out = Json::array();
    for (std::size_t i = static_cast<std::size_t>(skip);
         i < hits.size() && i < static_cast<std::size_t>(skip + limit); ++i) {
        out.push_back(call.store.user_json(*hits[i]));
    }
    return {200, {{"users", out}, {"count", hits.size()}}};
}

Reply user(Call& call) {
    const User* u = call.store.user(call.param("userId"));
    if (u == nullptr) not_found("User");
    return {200, call.store.user_json(*u)};
}

// ---- payments ----

bool in_day_range(const Call& call, Ms at) {
    if (call.has_query("startAt")) {
        const auto from = timeutil::parse_iso(call.query("startAt"));
        if (!from) throw ApiError::unprocessable({"startAt must be a valid date (YYYY-MM-DD)"});
        if (at < *from) return false;
    }
    if (call.has_query("endAt")) {
        const auto to = timeutil::parse_iso(call.query("endAt"));
        if (!to) throw ApiError::unprocessable({"endAt must be a valid date (YYYY-MM-DD)"});
        if (at >= *to + timeutil::kDay) return false;
    }
    return true;
}

void check_alt(const Call& call, bool need_type) {
    std::vector<Field> params = {{"altId", Kind::kString, true},
                                 {"limit", Kind::kNumber},
                                 {"offset", Kind::kNumber}};
    if (need_type) params.push_back({"altType", Kind::kString, true, {"location"}});
    validate_query(call, params);
    check_location(call.store, call.query("altId"));
    if (call.has_query("locationId")) check_location(call.store, call.query("locationId"));
}

template <typename T>
Json page_of(const Call& call, std::vector<const T*> items, Json (Store::*to_json)(const T&) const) {
    std::sort(items.begin(), items.end(), [](const T* a, const T* b) {
        return a->created_at != b->created_at ? a->created_at > b->created_at : a->id < b->id;
    });
    const long limit = query_int(call, "limit", 10, 1, 100);
    const long offset = query_int(call, "offset", 0, 0, 1000000);
    Json data = Json::array();
    for (std::size_t i = static_cast<std::size_t>(offset);
         i < items.size() && i < static_cast<std::size_t>(offset + limit); ++i) {
        data.push_back((call.store.*to_json)(*items[i]));
    }
    return {{"data", data}, {"totalCount", items.size()}};
}

bool matches_search(const std::string& search, const std::string& name, const std::string& email) {
    if (search.empty()) return true;
    const std::string needle = lower(search);
    return lower(name).find(needle) != std::string::npos ||
           lower(email).find(needle) != std::string::npos;
}

Reply orders(Call& call) {
    check_alt(call, false);
    validate_query(call, {{"paymentStatus", Kind::kString, false,
                           {"paid", "unpaid", "refunded", "partially_paid"}}});
    std::vector<const Order*> hits;
    for (const Order& o : call.store.orders) {
        if (call.has_query("status") && o.status != call.query("status")) continue;
        if (call.has_query("paymentStatus") && o.payment_status != call.query("paymentStatus")) {
            continue;
        }
        if (call.has_query("contactId") && o.contact_id != call.query("contactId")) continue;
        if (call.has_query("sourceId") && o.source_id != call.query("sourceId")) continue;
        if (!matches_search(call.query("search"), o.contact_name, o.contact_email)) continue;
        if (!in_day_range(call, o.created_at)) continue;
        hits.push_back(&o);
    }
    return {200, page_of(call, hits, &Store::order_json)};
}

Reply order(Call& call) {
    check_alt(call, false);
    for (const Order& o : call.store.orders) {
        if (o.id == call.param("orderId")) return {200, call.store.order_json(o)};
    }
    not_found("Order");
}

Reply transactions(Call& call) {
    check_alt(call, true);
    std::vector<const Transaction*> hits;
    for (const Transaction& t : call.store.transactions) {
        if (call.has_query("contactId") && t.contact_id != call.query("contactId")) continue;
        if (call.has_query("entityId") && t.entity_id != call.query("entityId")) continue;
        if (call.has_query("entitySourceType") &&
            t.entity_source_type != call.query("entitySourceType")) {
            continue;
        }
        if (!matches_search(call.query("search"), t.contact_name, t.contact_email)) continue;
        if (!in_day_range(call, t.created_at)) continue;
        hits.push_back(&t);
    }
    return {200, page_of(call, hits, &Store::transaction_json)};
}

Reply transaction(Call& call) {
    check_alt(call, true);
    for (const Transaction& t : call.store.transactions) {
        if (t.id == call.param("transactionId")) return {200, call.store.transaction_json(t)};
    }
    not_found("Transaction");
}

}  // namespace

void register_account_routes(Router& router) {
    router.add("GET", "/workflows", V, workflows);
    router.add("GET", "/campaigns", V, campaigns);
    // The spec allows agency tokens here (Agency-Access); an agency token reads any of its
    // sub-accounts. The users endpoints allow them too, but are simulated for sub-accounts only.
    router.add("GET", "/locations/{locationId}", V, location).access = Access::kEither;
    router.add("GET", "/locations/{locationId}/customFields", V, custom_fields);
    router.add("GET", "/locations/{locationId}/customFields/{id}", V, custom_field);
    router.add("GET", "/locations/{locationId}/tags", V, tags);
    router.add("GET", "/users", V, users);
    router.add("GET", "/users/search", V, search_users);
    router.add("GET", "/users/{userId}", V, user);
    router.add("GET", "/payments/orders", V, orders);
    router.add("GET", "/payments/orders/{orderId}", V, order);
    router.add("GET", "/payments/transactions", V, transactions);
    router.add("GET", "/payments/transactions/{transactionId}", V, transaction);
}

}  // namespace ghlsim
