// Tool group: opportunities. Definitions: schemas/tools/<name>.json; handlers here.
//
// Stage and pipeline names come from one GET /opportunities/pipelines per call (never one request
// per item). Writes that name a stage check it against that same read first, so a wrong stage id
// is refused with the list of valid stages before anything is written.
#include "tools/groups.hpp"
#include "tools/support.hpp"

#include <algorithm>
#include <string>

namespace tools {
namespace {

// ---- Pipelines ------------------------------------------------------------------------------

/// The location's pipelines as GHL sends them, each with its stages sorted by position.
json read_pipelines(GhlAccess& ghl, mcp::ToolContext& ctx, const std::string& location) {
    json body = ghl.call(ctx, "opportunities.pipelines", {}, {{"locationId", location}}, nullptr, location);
    json pipelines = array_of(body, "pipelines");
    for (auto& p : pipelines) {
        if (!p.is_object() || !p.contains("stages") || !p["stages"].is_array()) continue;
        auto& stages = p["stages"];
        std::stable_sort(stages.begin(), stages.end(), [](const json& a, const json& b) {
            const json pa = get_or_null(a, "position"), pb = get_or_null(b, "position");
            if (!pa.is_number() || !pb.is_number()) return pa.is_number() && !pb.is_number();
            return pa.get<double>() < pb.get<double>();
        });
    }
    return pipelines;
}

/// Pipelines for naming stages in a result: a failed read only costs the names.
json pipelines_for_names(GhlAccess& ghl, mcp::ToolContext& ctx, const std::string& location) {
    try {
        return read_pipelines(ghl, ctx, location);
    } catch (const ToolFailure&) {
        return json::array();
    }
}

const json* find_by_id(const json& list, const std::string& id) {
    if (!list.is_array()) return nullptr;
    for (const auto& item : list)
        if (item.is_object() && string_of(item, "id") == id) return &item;
    return nullptr;
}

const json& stages_of(const json& pipeline) {
    static const json kNone = json::array();
    return pipeline.contains("stages") && pipeline["stages"].is_array() ? pipeline["stages"] : kNone;
}

/// "New Lead (id abc), Contacted (id def)": what the model needs to pick a valid stage.
std::string stage_list_text(const json& pipeline) {
    std::string out;
    for (const auto& s : stages_of(pipeline)) {
        if (!out.empty()) out += ", ";
        out += string_of(s, "name", "?") + " (id " + string_of(s, "id", "?") + ")";
    }
    return out.empty() ? "none" : out;
}

std::string pipeline_list_text(const json& pipelines) {
    std::string out;
    for (const auto& p : pipelines) {
        if (!out.empty()) out += ", ";
        out += "\"" + string_of(p, "name", "?") + "\" (id " + string_of(p, "id", "?") + ")";
    }
    return out.empty() ? "none" : out;
}

std::string quoted_name(const json& object) {
    return "\"" + string_of(object, "name", string_of(object, "id", "?")) + "\"";
}

/// The pipeline holding stage `stage_id`, or nullptr.
const json* pipeline_of_stage(const json& pipelines, const std::string& stage_id) {
    for (const auto& p : pipelines)
        if (find_by_id(stages_of(p), stage_id)) return &p;
    return nullptr;
}

/// Throws a refusal naming the valid stages when `stage_id` is not a stage of `pipeline`.
void require_stage_in(const json& pipelines, const json& pipeline, const std::string& stage_id,
                      const std::string& subject, const char* outcome) {
    if (find_by_id(stages_of(pipeline), stage_id)) return;
    std::string message = "pipelineStageId " + stage_id + " is not a stage of pipeline " +
                       quoted_name(pipeline) + " (id " + string_of(pipeline, "id", "?") + ")" + subject + ".";
    if (const json* other = pipeline_of_stage(pipelines, stage_id))
        message += " It belongs to pipeline " + quoted_name(*other) + ".";
    message += " Valid stages, in order: " + stage_list_text(pipeline) + ". " + outcome;
    invalid_argument(message);
}

// ---- Shaping --------------------------------------------------------------------------------

/// Adds pipelineName/stageName when the pipelines read knows them.
void put_names(json& out, const json& pipelines) {
    const json* p = find_by_id(pipelines, string_of(out, "pipelineId"));
    if (!p) return;
    if (p->contains("name")) out["pipelineName"] = (*p)["name"];
    if (const json* s = find_by_id(stages_of(*p), string_of(out, "pipelineStageId")))
        if (s->contains("name")) out["stageName"] = (*s)["name"];
}

/// The fields of a GHL opportunity an assistant reasons with. `detailed` (get_opportunity) adds
/// the contact's details, custom field values and the remaining dates.
json shape_opportunity(const json& o, const json& pipelines, bool detailed) {
    json out = pick(o, {"id", "name", "status", "monetaryValue", "pipelineId", "pipelineStageId",
                        "contactId", "assignedTo"});
    put_names(out, pipelines);
    const json contact = get_or_null(o, "contact");
    if (detailed) {
        for (const char* key : {"source", "lostReasonId"})
            if (o.contains(key) && o[key].is_string() && !o[key].get<std::string>().empty()) out[key] = o[key];
        json c = pick(contact, {"name", "email", "phone", "companyName"});
        if (!c.empty()) out["contact"] = std::move(c);
        if (o.contains("customFields") && o["customFields"].is_array() && !o["customFields"].empty()) {
            json fields = json::array();
            for (const auto& f : o["customFields"]) {
                json v = pick(f, {"id"});
                for (const char* key : {"fieldValue", "field_value", "value"})
                    if (f.contains(key) && !f[key].is_null()) {
                        v["value"] = f[key];
                        break;
                    }
                fields.push_back(std::move(v));
            }
            out["customFields"] = std::move(fields);
        }
        for (const char* key : {"createdAt", "lastStatusChangeAt"}) put_iso(out, o, key);
    } else if (contact.is_object() && contact.contains("name") && contact["name"].is_string()) {
        out["contactName"] = contact["name"];
    }
    for (const char* key : {"lastStageChangeAt", "updatedAt"}) put_iso(out, o, key);
    return out;
}

/// The opportunity object of a GHL answer; `{id}` alone when GHL sent none.
json opportunity_of(const json& body, const std::string& id) {
    const json& o = unwrap(body, "opportunity");
    if (o.is_object() && o.contains("id")) return o;
    return json{{"id", id}};
}

bool contains_ci(const std::string& haystack, const std::string& needle) {
    return lowercase(haystack).find(lowercase(needle)) != std::string::npos;
}

/// GHL answers `{succeded: true}` (sic) to status changes and deletes; false is a failure.
void require_success(const json& body, const std::string& what) {
    for (const char* key : {"succeded", "succeeded", "success"})
        if (body.is_object() && body.contains(key) && body[key].is_boolean() && !body[key].get<bool>())
            throw ToolFailure("[tools.ghl_refused] GHL answered that " + what +
                              " did not succeed. Check the opportunity with get_opportunity.");
}

// ---- Handlers -------------------------------------------------------------------------------

mcp::ToolHandler make_search_opportunities(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const auto limit = arg_int(args, "limit", 20);
        // GET /opportunities/search takes snake_case names (the v2 spec; v3 renames them).
        ghl::Params query{{"location_id", location}, {"limit", std::to_string(limit)}};
        json filters = json::object();
        for (auto [arg, param] : {std::pair{"status", "status"}, {"pipelineId", "pipeline_id"},
                                  {"pipelineStageId", "pipeline_stage_id"}, {"contactId", "contact_id"},
                                  {"assignedTo", "assigned_to"}, {"query", "q"}}) {
            if (auto v = arg_opt_string(args, arg)) {
                query.emplace_back(param, *v);
                filters[arg] = *v;
            }
        }
        filters["locationId"] = location;
        ghl::PageOptions options;
        options.page_size = static_cast<int>(limit);
        options.items_key = "opportunities";
        Page page = fetch_page(ghl, ctx, cursor_scope(env, ctx, location), "opportunities.search", {},
                               std::move(query), nullptr, args, options, filters);
        const json pipelines = page.items.empty() ? json::array() : pipelines_for_names(ghl, ctx, location);
        json items = json::array();
        for (const auto& o : page.items) items.push_back(shape_opportunity(o, pipelines, false));
        json out = list_output("opportunities", std::move(items), page.next_cursor);
        const json meta = get_or_null(page.response, "meta");
        if (meta.is_object() && meta.contains("total") && meta["total"].is_number())
            out["total"] = meta["total"].get<std::int64_t>();
        return mcp::ToolResult::structured_result(std::move(out));
    };
}

mcp::ToolHandler make_get_opportunity(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string id = arg_string(args, "opportunityId");
        json body = ghl.call(ctx, "opportunities.get", {{"id", id}}, {}, nullptr, location);
        const json pipelines = pipelines_for_names(ghl, ctx, location);
        return mcp::ToolResult::structured_result(
            {{"opportunity", shape_opportunity(opportunity_of(body, id), pipelines, true)}});
    };
}

mcp::ToolHandler make_list_pipelines(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        json out = json::array();
        for (const auto& p : read_pipelines(ghl, ctx, location)) {
            json shaped = pick(p, {"id", "name"});
            json stages = json::array();
            for (const auto& s : stages_of(p)) stages.push_back(pick(s, {"id", "name", "position"}));
            shaped["stages"] = std::move(stages);
            out.push_back(std::move(shaped));
        }
        const auto count = out.size();
        return mcp::ToolResult::structured_result({{"pipelines", std::move(out)}, {"count", count}});
    };
}

/// The text for GHL's one-opportunity-per-contact-per-pipeline refusal, naming the existing
/// opportunity when one search finds it.
[[noreturn]] void duplicate_failure(GhlAccess& ghl, mcp::ToolContext& ctx, const std::string& location,
                                    const std::string& contact_id, const json& pipeline) {
    const std::string pipeline_id = string_of(pipeline, "id");
    std::string existing;
    try {
        json found = ghl.call(ctx, "opportunities.search", {},
                              {{"location_id", location}, {"contact_id", contact_id},
                               {"pipeline_id", pipeline_id}, {"limit", "1"}},
                              nullptr, location);
        const json list = get_or_null(found, "opportunities");
        if (list.is_array() && !list.empty() && list[0].is_object()) {
            const json& o = list[0];
            std::string about;
            if (o.contains("name") && o["name"].is_string()) about = "\"" + o["name"].get<std::string>() + "\"";
            if (o.contains("status") && o["status"].is_string())
                about += (about.empty() ? "" : ", ") + std::string("status ") + o["status"].get<std::string>();
            existing = " The existing one is opportunity " + string_of(o, "id", "?") +
                       (about.empty() ? "" : " (" + about + ")") + ".";
        }
    } catch (const ToolFailure&) {
        // The refusal stands on its own; the lookup only adds the existing id.
    }
    throw ToolFailure(
        "[tools.duplicate_opportunity] GHL refused: \"Can not create duplicate opportunity for the "
        "contact.\" Contact " + contact_id + " already has an opportunity in pipeline " +
        quoted_name(pipeline) + " and this location allows only one per contact per pipeline." + existing +
        " Change that one with update_opportunity (stage, value, name, assignee) or "
        "set_opportunity_status instead of creating another; find it with search_opportunities "
        "(contactId, pipelineId).");
}

mcp::ToolHandler make_create_opportunity(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string pipeline_id = arg_string(args, "pipelineId");
        const std::string contact_id = arg_string(args, "contactId");
        // One pipelines read: the pipeline and stage must exist before anything is written, and
        // without a stage the opportunity goes into the pipeline's first one.
        const json pipelines = read_pipelines(ghl, ctx, location);
        const json* pipeline = find_by_id(pipelines, pipeline_id);
        if (!pipeline)
            invalid_argument("pipelineId " + pipeline_id + " is not a pipeline of this location. Pipelines: " +
                             pipeline_list_text(pipelines) + ". Nothing was created.");
        std::string stage_id;
        if (auto stage = arg_opt_string(args, "pipelineStageId")) {
            stage_id = *stage;
            require_stage_in(pipelines, *pipeline, stage_id, "", "Nothing was created.");
        } else if (!stages_of(*pipeline).empty()) {
            stage_id = string_of(stages_of(*pipeline).front(), "id");
        }
        json body = {{"pipelineId", pipeline_id}, {"locationId", location},
                     {"name", arg_string(args, "name")}, {"status", "open"}, {"contactId", contact_id}};
        if (!stage_id.empty()) body["pipelineStageId"] = stage_id;
        copy_args(args, body, {"monetaryValue"});
        if (auto user = arg_opt_string(args, "assignedTo")) body["assignedTo"] = *user;
        json created;
        try {
            created = ghl.call(ctx, "opportunities.create", {}, {}, body, location);
        } catch (const ToolFailure& e) {
            if (contains_ci(e.what(), "duplicate opportunity"))
                duplicate_failure(ghl, ctx, location, contact_id, *pipeline);
            throw;
        }
        return mcp::ToolResult::structured_result(
            {{"opportunity", shape_opportunity(opportunity_of(created, ""), pipelines, false)}});
    };
}

mcp::ToolHandler make_update_opportunity(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string id = arg_string(args, "opportunityId");
        json body = json::object();
        if (auto v = arg_opt_string(args, "name")) body["name"] = *v;
        copy_args(args, body, {"monetaryValue"});
        if (auto v = arg_opt_string(args, "assignedTo")) body["assignedTo"] = *v;
        const auto stage_id = arg_opt_string(args, "pipelineStageId");
        if (!stage_id && body.empty())
            invalid_argument("Nothing to change: pass pipelineStageId, name, monetaryValue or assignedTo. "
                             "For won/lost/abandoned use set_opportunity_status.");
        json pipelines = json::array();
        std::string previous_stage;
        if (stage_id) {
            // The opportunity's pipeline (one read) and its stages (one pipelines read): a stage
            // of another pipeline is refused before the write.
            const json current = opportunity_of(
                ghl.call(ctx, "opportunities.get", {{"id", id}}, {}, nullptr, location), id);
            pipelines = read_pipelines(ghl, ctx, location);
            const std::string pipeline_id = string_of(current, "pipelineId");
            const json* pipeline = find_by_id(pipelines, pipeline_id);
            if (!pipeline)
                throw ToolFailure("[tools.unknown_pipeline] Opportunity " + id + " is in pipeline " +
                                  (pipeline_id.empty() ? std::string("(none)") : pipeline_id) +
                                  ", which list_pipelines does not show; nothing was changed.");
            require_stage_in(pipelines, *pipeline, *stage_id, ", the pipeline of opportunity " + id,
                             "Nothing was changed.");
            previous_stage = string_of(current, "pipelineStageId");
            body["pipelineId"] = pipeline_id;
            body["pipelineStageId"] = *stage_id;
        }
        json updated = ghl.call(ctx, "opportunities.update", {{"id", id}}, {}, body, location);
        json out = shape_opportunity(opportunity_of(updated, id), pipelines, false);
        if (stage_id && previous_stage != *stage_id) {
            out["previousStageId"] = previous_stage;
            json prev{{"pipelineId", body["pipelineId"]}, {"pipelineStageId", previous_stage}};
            put_names(prev, pipelines);
            if (prev.contains("stageName")) out["previousStageName"] = prev["stageName"];
        }
        return mcp::ToolResult::structured_result({{"opportunity", std::move(out)}});
    };
}

mcp::ToolHandler make_set_opportunity_status(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string id = arg_string(args, "opportunityId");
        const std::string status = arg_string(args, "status");
        json body = ghl.call(ctx, "opportunities.status", {{"id", id}}, {}, {{"status", status}}, location);
        require_success(body, "the status change of opportunity " + id);
        return mcp::ToolResult::structured_result({{"opportunity", {{"id", id}, {"status", status}}}});
    };
}

mcp::ToolHandler make_delete_opportunity(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        const std::string location = ghl.location(args);
        const std::string id = arg_string(args, "opportunityId");
        json body = ghl.call(ctx, "opportunities.delete", {{"id", id}}, {}, nullptr, location);
        require_success(body, "the deletion of opportunity " + id);
        return mcp::ToolResult::structured_result({{"deleted", id}});
    };
}

}  // namespace

std::vector<Registration> opportunity_tools() {
    return {
        {"create_opportunity", make_create_opportunity},
        {"delete_opportunity", make_delete_opportunity},
        {"get_opportunity", make_get_opportunity},
        {"list_pipelines", make_list_pipelines},
        {"search_opportunities", make_search_opportunities},
        {"set_opportunity_status", make_set_opportunity_status},
        {"update_opportunity", make_update_opportunity},
    };
}

}  // namespace tools
