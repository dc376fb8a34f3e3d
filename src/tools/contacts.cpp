// Tool group: contacts. Definitions: schemas/tools/<name>.json; handlers here.
#include "tools/groups.hpp"
#include "tools/support.hpp"

namespace tools {
namespace {

/// The fields of a GHL contact an assistant reasons with (never the raw blob).
json shape_contact(const json& c) {
    json out = pick(c, {"id", "firstName", "lastName", "email", "phone", "companyName", "type",
                        "source", "tags", "dnd", "timezone", "assignedTo", "dateOfBirth",
                        "address1", "city", "state", "postalCode", "country", "website"});
    if (c.contains("contactName") && c["contactName"].is_string())
        out["name"] = c["contactName"];
    else if (c.contains("name") && c["name"].is_string())
        out["name"] = c["name"];
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

mcp::ToolHandler make_get_contact(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        json body = ghl.call(ctx, "contacts.get", {{"contactId", arg_string(args, "contactId")}}, {},
                             nullptr, location);
        return mcp::ToolResult::structured_result({{"contact", shape_contact(unwrap(body, "contact"))}});
    };
}

}  // namespace

std::vector<Registration> contact_tools() {
    return {
        {"get_contact", make_get_contact},
    };
}

}  // namespace tools
