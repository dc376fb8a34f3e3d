// Tool group: workflows and campaigns (enrol and remove contacts). Definitions:
// schemas/tools/<name>.json; handlers here.
#include "tools/groups.hpp"
#include "tools/support.hpp"

namespace tools {
namespace {

/// GHL answers enrolment calls with {"succeded": true} (sic). An explicit false is a failure
/// even on a 2xx.
void require_success(const json& response, const std::string& what) {
    if (response.is_object()) {
        for (const char* key : {"succeded", "succeeded"}) {
            auto it = response.find(key);
            if (it != response.end() && it->is_boolean() && !it->get<bool>())
                throw ToolFailure("[tools.not_done] GHL answered that it did not " + what +
                                  "; check the ids and try again.");
        }
    }
}

mcp::ToolHandler make_list_workflows(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const auto limit = static_cast<std::size_t>(arg_int(args, "limit", 50));
        const auto name_contains = arg_opt_string(args, "nameContains");

        // GHL returns every workflow at once; the cursor is an offset into the filtered list.
        json filters = {{"locationId", location}};
        copy_args(args, filters, {"nameContains"});
        const CursorScope cursors = cursor_scope(env, ctx, location);
        const std::size_t offset = cursor_offset(cursors, args, "workflows.list", filters);
        const json body =
            ghl.call(ctx, "workflows.list", {}, {{"locationId", location}}, nullptr, location);
        json matching = json::array();
        if (body.contains("workflows") && body["workflows"].is_array()) {
            const std::string needle = name_contains ? lowercase(*name_contains) : std::string();
            for (const auto& w : body["workflows"]) {
                if (!needle.empty() &&
                    lowercase(w.value("name", std::string())).find(needle) == std::string::npos)
                    continue;
                matching.push_back(pick(w, {"id", "name", "status"}));
            }
        }
        return mcp::ToolResult::structured_result(
            offset_page(cursors, "workflows", matching, offset, limit, "workflows.list", filters));
    };
}

mcp::ToolHandler make_add_contact_to_workflow(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        // The spec marks the body required even without eventStartTime: send {} then.
        json body = json::object();
        if (auto when = arg_opt_string(args, "eventStartTime")) {
            if (!parse_iso(*when) || !iso_offset_minutes(*when) || when->size() < 19)
                invalid_argument("eventStartTime \"" + *when +
                                 "\" must be an ISO 8601 date-time with seconds and a UTC "
                                 "offset, e.g. 2026-11-24T09:00:00-05:00.");
            body["eventStartTime"] = *when;
        }
        const json response = ghl.call(ctx, "contacts.workflow.add",
                                       {{"contactId", arg_string(args, "contactId")},
                                        {"workflowId", arg_string(args, "workflowId")}},
                                       {}, body, location);
        require_success(response, "add the contact to the workflow");
        return mcp::ToolResult::structured_result({{"enrolled", true}});
    };
}

mcp::ToolHandler make_remove_contact_from_workflow(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const json response = ghl.call(ctx, "contacts.workflow.remove",
                                       {{"contactId", arg_string(args, "contactId")},
                                        {"workflowId", arg_string(args, "workflowId")}},
                                       {}, json::object(), location);
        require_success(response, "remove the contact from the workflow");
        return mcp::ToolResult::structured_result({{"removed", true}});
    };
}

mcp::ToolHandler make_add_contact_to_campaign(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        // AddContactToCampaignDto is empty but the body is required.
        const json response = ghl.call(ctx, "contacts.campaign.add",
                                       {{"contactId", arg_string(args, "contactId")},
                                        {"campaignId", arg_string(args, "campaignId")}},
                                       {}, json::object(), location);
        require_success(response, "add the contact to the campaign");
        return mcp::ToolResult::structured_result({{"enrolled", true}});
    };
}

}  // namespace

std::vector<Registration> workflow_tools() {
    return {
        {"add_contact_to_campaign", make_add_contact_to_campaign},
        {"add_contact_to_workflow", make_add_contact_to_workflow},
        {"list_workflows", make_list_workflows},
        {"remove_contact_from_workflow", make_remove_contact_from_workflow},
    };
}

}  // namespace tools
