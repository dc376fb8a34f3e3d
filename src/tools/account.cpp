// Tool group: location (sub-account reference data) and payments (read-only). Definitions:
// schemas/tools/<name>.json; handlers here.
//
// Custom fields, users and tags come from GHL in one unpaged answer; the tools page through it
// locally with the same opaque cursor as GHL-paged listings, so a large account never floods the
// model. Orders and transactions page natively (limit/offset).
#include "tools/groups.hpp"
#include "tools/support.hpp"

#include <algorithm>
#include <map>
#include <string>

namespace tools {
namespace {

// ---- Location -------------------------------------------------------------------------------

json shape_location(const json& l) {
    json out = drop_empty(pick(l, {"id", "name", "email", "phone", "website", "timezone", "address", "city",
                                   "state", "postalCode", "country", "companyId"}));
    // The business profile repeats most of these; keep only what it adds or says differently.
    json business = drop_empty(pick(get_or_null(l, "business"),
                                    {"name", "address", "city", "state", "postalCode", "country",
                                     "website", "timezone", "email", "phone"}));
    for (auto it = business.begin(); it != business.end();) {
        if (out.contains(it.key()) && out[it.key()] == it.value())
            it = business.erase(it);
        else
            ++it;
    }
    if (!business.empty()) out["business"] = std::move(business);
    return out;
}

mcp::ToolHandler make_get_location(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        json body = ghl.call(ctx, "locations.get", {{"locationId", location}}, {}, nullptr, location);
        return mcp::ToolResult::structured_result({{"location", shape_location(unwrap(body, "location"))}});
    };
}

mcp::ToolHandler make_list_locations(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string query = lowercase(arg_string(args, "query", ""));
        json locations = json::array();
        json agencies = json::array();
        std::map<std::string, std::size_t> index;  // location id -> position in `locations`
        auto add = [&](const std::string& id, const std::string& access, const std::string& status) -> json& {
            auto [it, fresh] = index.emplace(id, locations.size());
            if (fresh) locations.push_back({{"id", id}, {"access", access}, {"status", status}});
            return locations[it->second];
        };
        std::vector<std::string> ready_agencies;
        for (const auto& c : ghl.credentials().describe()) {
            if (c.kind == "agency") {
                agencies.push_back({{"companyId", c.company_id},
                                    {"status", c.needs_login ? "needs_login" : "ready"}});
                if (!c.needs_login) ready_agencies.push_back(c.company_id);
            } else if (c.kind == "private_integration_token" && !c.location_id.empty()) {
                add(c.location_id, "private_integration_token", "ready");
            } else if (c.kind == "location") {
                add(c.location_id, "sub-account login", c.needs_login ? "needs_login" : "ready");
            } else if (c.kind == "minted_location") {
                add(c.location_id, "agency " + c.company_id, "ready");
            }
        }
        std::string note;
        for (const auto& company : ready_agencies) {
            if (env.oauth_app_id.empty()) {
                note = "Set GHL_CLIENT_ID (or GHL_APP_ID) to list every sub-account the agency app "
                       "is installed in.";
                break;
            }
            // Every sub-account the app is installed in (paged by skip/limit, at most 1000).
            for (int skip = 0; skip < 1000;) {
                ghl::Params q{{"companyId", company},
                              {"appId", env.oauth_app_id},
                              {"isInstalled", "true"},
                              {"skip", std::to_string(skip)},
                              {"limit", "100"}};
                if (!query.empty()) q.emplace_back("query", arg_string(args, "query", ""));
                json page = ghl.call_agency(ctx, "oauth.installed_locations", {}, q, nullptr, company);
                const json items = array_of(page, "locations");
                for (const auto& l : items) {
                    const std::string id = string_of(l, "_id");
                    if (id.empty()) continue;
                    json& entry = add(id, "agency " + company, "available");
                    if (!string_of(l, "name").empty()) entry["name"] = string_of(l, "name");
                }
                skip += static_cast<int>(items.size());
                const auto count = page.value("count", 0);
                if (items.empty() || skip >= count) break;
            }
        }
        if (!query.empty()) {
            json kept = json::array();
            for (auto& l : locations)
                if (lowercase(l.value("name", "")).find(query) != std::string::npos) kept.push_back(std::move(l));
            locations = std::move(kept);
        }
        json out{{"locations", locations}, {"total", locations.size()}};
        if (!ghl.default_location().empty()) out["defaultLocationId"] = ghl.default_location();
        if (!agencies.empty()) out["agencies"] = std::move(agencies);
        if (!note.empty()) out["note"] = note;
        return mcp::ToolResult::structured_result(std::move(out));
    };
}

mcp::ToolHandler make_list_custom_fields(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        // Sent explicitly: which models GHL lists without it is not documented.
        const std::string model = arg_string(args, "model", "all");
        const json filters{{"locationId", location}, {"model", model}};
        const CursorScope cursors = cursor_scope(env, ctx, location);
        const auto offset = cursor_offset(cursors, args, "locations.custom_fields.list", filters);
        const auto limit = static_cast<std::size_t>(arg_int(args, "limit", 100));
        json body = ghl.call(ctx, "locations.custom_fields.list", {{"locationId", location}},
                             {{"model", model}}, nullptr, location);
        json fields = json::array();
        for (const auto& f : array_of(body, "customFields")) {
            json out = drop_empty(pick(f, {"id", "name", "fieldKey", "dataType", "model"}));
            const json options = get_or_null(f, "picklistOptions");
            if (options.is_array() && !options.empty()) out["options"] = options;
            fields.push_back(std::move(out));
        }
        json page =
            offset_page(cursors, "customFields", fields, offset, limit, "locations.custom_fields.list",
                        filters);
        page["total"] = fields.size();
        return mcp::ToolResult::structured_result(std::move(page));
    };
}

mcp::ToolHandler make_list_users(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const json filters{{"locationId", location}};
        const CursorScope cursors = cursor_scope(env, ctx, location);
        const auto offset = cursor_offset(cursors, args, "users.list", filters);
        const auto limit = static_cast<std::size_t>(arg_int(args, "limit", 100));
        json body = ghl.call(ctx, "users.list", {}, {{"locationId", location}}, nullptr, location);
        json users = json::array();
        for (const auto& u : array_of(body, "users")) {
            if ((u.contains("deleted") && u["deleted"] == true)) continue;
            json out = drop_empty(pick(u, {"id", "name", "email", "phone"}));
            if (!out.contains("name")) {
                std::string name = string_of(u, "firstName");
                const std::string last = string_of(u, "lastName");
                if (!last.empty()) name += (name.empty() ? "" : " ") + last;
                if (!name.empty()) out["name"] = name;
            }
            const json roles = get_or_null(u, "roles");
            if (roles.is_object() && roles.contains("role") && roles["role"].is_string()) out["role"] = roles["role"];
            users.push_back(std::move(out));
        }
        json page = offset_page(cursors, "users", users, offset, limit, "users.list", filters);
        page["total"] = users.size();
        return mcp::ToolResult::structured_result(std::move(page));
    };
}

mcp::ToolHandler make_list_tags(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string query = lowercase(arg_string(args, "query"));
        const json filters{{"locationId", location}, {"query", query}};
        const CursorScope cursors = cursor_scope(env, ctx, location);
        const auto offset = cursor_offset(cursors, args, "locations.tags.list", filters);
        const auto limit = static_cast<std::size_t>(arg_int(args, "limit", 100));
        json body = ghl.call(ctx, "locations.tags.list", {{"locationId", location}}, {}, nullptr, location);
        json tags = json::array();
        for (const auto& t : array_of(body, "tags")) {
            json out = pick(t, {"id", "name"});
            if (!query.empty() && lowercase(string_of(out, "name")).find(query) == std::string::npos) continue;
            tags.push_back(std::move(out));
        }
        json page = offset_page(cursors, "tags", tags, offset, limit, "locations.tags.list", filters);
        page["total"] = tags.size();
        return mcp::ToolResult::structured_result(std::move(page));
    };
}

// ---- Payments -------------------------------------------------------------------------------

/// startDate/endDate (YYYY-MM-DD) into GHL's startAt/endAt, refused when malformed or reversed.
void add_date_range(const json& args, ghl::Params& query, json& filters) {
    std::optional<std::int64_t> from, to;
    for (auto [arg, param] : {std::pair{"startDate", "startAt"}, {"endDate", "endAt"}}) {
        auto v = arg_opt_string(args, arg);
        if (!v) continue;
        auto ms = v->size() == 10 ? parse_iso(*v) : std::nullopt;
        if (!ms) invalid_argument(std::string(arg) + " \"" + *v + "\" is not a date; use YYYY-MM-DD, e.g. 2026-03-31.");
        (std::string_view(arg) == "startDate" ? from : to) = ms;
        query.emplace_back(param, *v);
        filters[arg] = *v;
    }
    if (from && to && *from > *to) invalid_argument("startDate is after endDate; swap them.");
}

/// The money fields every payment record shares.
json shape_payment(const json& p) {
    json out = json::object();
    out["id"] = p.contains("_id") ? p["_id"] : get_or_null(p, "id");
    for (const char* key : {"amount", "currency", "status", "contactId", "contactName", "contactEmail"}) {
        const json v = get_or_null(p, key);
        if (!v.is_null() && !(v.is_string() && v.get_ref<const std::string&>().empty())) out[key] = v;
    }
    put_iso(out, p, "createdAt");
    return out;
}

json add_total(json out, const json& response) {
    const json total = get_or_null(response, "totalCount");
    if (total.is_number()) out["total"] = total.get<std::int64_t>();
    return out;
}

mcp::ToolHandler make_list_orders(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const auto limit = arg_int(args, "limit", 20);
        // altId is the location (the spec's only required parameter; it declares no altType here).
        ghl::Params query{{"altId", location}, {"limit", std::to_string(limit)}};
        json filters{{"locationId", location}};
        for (const char* key : {"contactId", "paymentStatus"}) {
            if (auto v = arg_opt_string(args, key)) {
                query.emplace_back(key, *v);
                filters[key] = *v;
            }
        }
        add_date_range(args, query, filters);
        ghl::PageOptions options;
        options.page_size = static_cast<int>(limit);
        options.items_key = "data";
        Page page = fetch_page(ghl, ctx, cursor_scope(env, ctx, location), "payments.orders.list", {},
                               std::move(query), nullptr, args, options, filters);
        json items = json::array();
        for (const auto& o : page.items) {
            json out = shape_payment(o);
            for (const char* key : {"paymentStatus", "fulfillmentStatus"}) {
                const json v = get_or_null(o, key);
                if (v.is_string() && !v.get_ref<const std::string&>().empty()) out[key] = v;
            }
            for (const char* key : {"sourceName", "sourceType"}) {
                const json v = get_or_null(o, key);
                if (v.is_string() && !v.get_ref<const std::string&>().empty()) {
                    out["source"] = v;
                    break;
                }
            }
            items.push_back(std::move(out));
        }
        return mcp::ToolResult::structured_result(
            add_total(list_output("orders", std::move(items), page.next_cursor), page.response));
    };
}

mcp::ToolHandler make_list_transactions(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const auto limit = arg_int(args, "limit", 20);
        ghl::Params query{{"altId", location}, {"altType", "location"}, {"limit", std::to_string(limit)}};
        json filters{{"locationId", location}};
        if (auto v = arg_opt_string(args, "contactId")) {
            query.emplace_back("contactId", *v);
            filters["contactId"] = *v;
        }
        if (auto v = arg_opt_string(args, "orderId")) {
            query.emplace_back("entityId", *v);
            filters["orderId"] = *v;
        }
        add_date_range(args, query, filters);
        ghl::PageOptions options;
        options.page_size = static_cast<int>(limit);
        options.items_key = "data";
        Page page = fetch_page(ghl, ctx, cursor_scope(env, ctx, location), "payments.transactions.list",
                               {}, std::move(query), nullptr, args, options, filters);
        json items = json::array();
        for (const auto& t : page.items) {
            json out = shape_payment(t);
            const json refunded = get_or_null(t, "amountRefunded");
            if (refunded.is_number() && refunded.get<double>() > 0) out["amountRefunded"] = refunded;
            const std::string entity_type = string_of(t, "entityType");
            const json entity_id = get_or_null(t, "entityId");
            if (entity_id.is_string() && !entity_id.get_ref<const std::string&>().empty()) {
                if (entity_type == "order") {
                    out["orderId"] = entity_id;
                } else {
                    if (!entity_type.empty()) out["entityType"] = entity_type;
                    out["entityId"] = entity_id;
                }
            }
            for (const char* key : {"entitySourceName", "paymentProviderType"}) {
                const json v = get_or_null(t, key);
                if (v.is_string() && !v.get_ref<const std::string&>().empty())
                    out[std::string(key) == "entitySourceName" ? "source" : "provider"] = v;
            }
            items.push_back(std::move(out));
        }
        return mcp::ToolResult::structured_result(
            add_total(list_output("transactions", std::move(items), page.next_cursor), page.response));
    };
}

}  // namespace

std::vector<Registration> account_tools() {
    return {
        {"get_location", make_get_location},
        {"list_custom_fields", make_list_custom_fields},
        {"list_locations", make_list_locations},
        {"list_orders", make_list_orders},
        {"list_tags", make_list_tags},
        {"list_transactions", make_list_transactions},
        {"list_users", make_list_users},
    };
}

}  // namespace tools
