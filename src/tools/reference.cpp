#include "tools/reference.hpp"

#include "tools/ghl_access.hpp"
#include "tools/groups.hpp"
#include "tools/support.hpp"

#include <algorithm>
#include <cctype>
#include <memory>

namespace tools {

// ---- ReferenceCache -------------------------------------------------------------------------

std::optional<json> ReferenceCache::get(const std::string& uri) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(uri);
    if (it == entries_.end()) return std::nullopt;
    if (Clock::now() >= it->second.expires) {
        entries_.erase(it);
        return std::nullopt;
    }
    return it->second.value;
}

void ReferenceCache::put(const std::string& uri, json value, std::chrono::milliseconds ttl) {
    std::lock_guard lock(mutex_);
    entries_[uri] = Entry{std::move(value), Clock::now() + ttl};
}

bool ReferenceCache::invalidate(const std::string& uri) {
    std::lock_guard lock(mutex_);
    return entries_.erase(uri) > 0;
}

std::size_t ReferenceCache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

std::vector<std::string> stale_after_write(std::string_view endpoint, const ghl::Params& path) {
    std::vector<std::string> out;
    auto param = [&](std::string_view name) -> std::string {
        for (const auto& [k, v] : path)
            if (k == name) return v;
        return {};
    };
    if (endpoint.rfind("contacts.", 0) == 0) {
        if (auto id = param("contactId"); !id.empty()) out.push_back("ghl://contacts/" + id);
        // Creates, upserts, updates and tag changes can add tags to the location.
        if (endpoint == "contacts.create" || endpoint == "contacts.upsert" ||
            endpoint == "contacts.update" || endpoint == "contacts.tags.add")
            out.push_back("ghl://tags");
    } else if (endpoint.rfind("opportunities.", 0) == 0) {
        if (auto id = param("id"); !id.empty()) out.push_back("ghl://opportunities/" + id);
    }
    return out;
}

namespace {

using namespace std::chrono_literals;

struct ResourceSpec {
    const char* uri;
    const char* name;
    const char* title;
    const char* description;
    const char* tool;  // whose structured result the resource is
    std::chrono::milliseconds ttl;
};

const ResourceSpec kResources[] = {
    {"ghl://location", "location", "Sub-account",
     "The default sub-account: name, address, time zone, contact details.", "get_location", 300s},
    {"ghl://pipelines", "pipelines", "Pipelines and stages",
     "Every opportunity pipeline with its stages in order (ids and names).", "list_pipelines", 300s},
    {"ghl://calendars", "calendars", "Calendars",
     "The sub-account's calendars (ids, names, time zones, team members).", "list_calendars", 300s},
    {"ghl://custom-fields", "custom-fields", "Custom fields",
     "Contact custom fields: ids, keys, types and options.", "list_custom_fields", 300s},
    {"ghl://users", "users", "Users", "The sub-account's users (ids, names, emails, roles).",
     "list_users", 300s},
    {"ghl://tags", "tags", "Tags", "The tags defined in the sub-account.", "list_tags", 300s},
};

struct TemplateSpec {
    const char* uri_template;
    const char* name;
    const char* title;
    const char* description;
    const char* tool;
    const char* argument;  // the template variable, passed to the tool under the same name
    std::chrono::milliseconds ttl;
};

const TemplateSpec kTemplates[] = {
    {"ghl://contacts/{contactId}", "contact", "Contact", "One contact by id (as get_contact).",
     "get_contact", "contactId", 60s},
    {"ghl://opportunities/{opportunityId}", "opportunity", "Opportunity",
     "One opportunity by id (as get_opportunity).", "get_opportunity", "opportunityId", 60s},
};

const Registration* find_registration(std::string_view tool) {
    for (const auto& r : registrations())
        if (r.name == tool) return &r;
    return nullptr;
}

json contents(const std::string& uri, const json& value) {
    return json::array({{{"uri", uri}, {"mimeType", "application/json"}, {"text", value.dump()}}});
}

/// The tool's structured result for `args`, from the cache or from GHL (then cached).
json cached_result(const Environment& env, const mcp::ToolHandler& handler, const std::string& uri,
                   const json& args, std::chrono::milliseconds ttl, mcp::ToolContext& ctx) {
    if (!env.ghl || !env.cache)
        throw mcp::RpcError(mcp::ErrorCode::kInternalError, "no GHL access in this process");
    if (auto hit = env.cache->get(uri)) return *hit;
    mcp::ToolResult r;
    try {
        r = handler(args, ctx);
    } catch (const std::exception& e) {
        throw mcp::RpcError(mcp::ErrorCode::kInternalError, "reading " + uri + " failed: " + e.what());
    }
    if (r.is_error || !r.structured) {
        std::string text;
        for (const auto& block : r.content)
            if (block.value("type", "") == "text") text += block.value("text", "");
        throw mcp::RpcError(mcp::ErrorCode::kInternalError, "reading " + uri + " failed: " + text);
    }
    env.cache->put(uri, *r.structured, ttl);
    return *r.structured;
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// Names of `items_key` entries (e.g. pipelines) starting with `prefix` (case-insensitive), from
/// the cached resource or, on a miss, one GHL read with a short budget. Empty on failure:
/// completion is a convenience and must not fail the client.
std::vector<std::string> complete_names(const Environment& env, const std::string& uri,
                                        std::string_view endpoint, const ghl::Params& query,
                                        const char* items_key, const std::string& prefix) {
    std::vector<std::string> out;
    if (!env.ghl) return out;
    json source;
    if (auto hit = env.cache ? env.cache->get(uri) : std::nullopt) {
        source = *hit;
    } else {
        try {
            source = env.ghl->call_detached(endpoint, {}, query, nullptr, env.ghl->default_location(), 3s);
        } catch (const std::exception&) {
            return out;
        }
    }
    const json* items = source.is_object() && source.contains(items_key) ? &source[items_key] : nullptr;
    if (!items || !items->is_array()) return out;
    const std::string p = lower(prefix);
    for (const auto& item : *items) {
        if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) continue;
        const std::string name = item["name"];
        if (lower(name).rfind(p, 0) == 0) out.push_back(name);
    }
    return out;
}

json user_message(std::string text) {
    return json{{"role", "user"}, {"content", {{"type", "text"}, {"text", std::move(text)}}}};
}

int int_arg(const std::map<std::string, std::string>& args, const std::string& key, int fallback,
            int lo, int hi) {
    auto it = args.find(key);
    if (it == args.end() || it->second.empty()) return fallback;
    try {
        std::size_t used = 0;
        int v = std::stoi(it->second, &used);
        if (used == it->second.size() && v >= lo && v <= hi) return v;
    } catch (...) {
    }
    throw mcp::RpcError(mcp::ErrorCode::kInvalidParams, "argument " + key + " must be a whole number from " +
                                                            std::to_string(lo) + " to " + std::to_string(hi));
}

std::string str_arg(const std::map<std::string, std::string>& args, const std::string& key) {
    auto it = args.find(key);
    return it == args.end() ? std::string() : it->second;
}

}  // namespace

void register_reference(mcp::Registry& registry, const Environment& env, const ReferenceGuard& guard) {
    // Resources.
    for (const auto& spec : kResources) {
        const Registration* reg = find_registration(spec.tool);
        if (!reg) continue;
        auto handler = std::make_shared<mcp::ToolHandler>(reg->make(env));
        const std::string uri = spec.uri;
        const auto ttl = spec.ttl;
        registry.add_resource(
            {{"uri", uri}, {"name", spec.name}, {"title", spec.title}, {"description", spec.description},
             {"mimeType", "application/json"}},
            [&env, handler, uri, ttl, guard, tool = std::string(spec.tool)](const std::string&,
                                                                            mcp::ToolContext& ctx) {
                if (guard) guard(tool, ctx);
                return contents(uri, cached_result(env, *handler, uri, json::object(), ttl, ctx));
            });
    }
    for (const auto& spec : kTemplates) {
        const Registration* reg = find_registration(spec.tool);
        if (!reg) continue;
        auto handler = std::make_shared<mcp::ToolHandler>(reg->make(env));
        const std::string argument = spec.argument;
        const auto ttl = spec.ttl;
        registry.add_resource_template(
            {{"uriTemplate", spec.uri_template}, {"name", spec.name}, {"title", spec.title},
             {"description", spec.description}, {"mimeType", "application/json"}},
            [&env, handler, argument, ttl, guard, tool = std::string(spec.tool)](
                const std::string& uri, const std::map<std::string, std::string>& vars, mcp::ToolContext& ctx) {
                if (guard) guard(tool, ctx);
                json args{{argument, vars.at(argument)}};
                return contents(uri, cached_result(env, *handler, uri, args, ttl, ctx));
            });
    }

    // GHL events (webhooks): read from the event store, never cached (a new event must show at once).
    if (env.events) {
        auto read_events = [&env, guard](const std::string& uri, json args, mcp::ToolContext& ctx) {
            if (guard) guard("list_recent_events", ctx);
            try {
                args["limit"] = 50;
                return contents(uri, recent_events(env, args, env.default_location_id));
            } catch (const std::exception& e) {
                throw mcp::RpcError(mcp::ErrorCode::kInvalidParams, "reading " + uri + " failed: " + e.what());
            }
        };
        registry.add_resource({{"uri", "ghl://events/recent"},
                               {"name", "events-recent"},
                               {"title", "Recent GHL events"},
                               {"description",
                                "The 50 newest events GHL's webhooks delivered for the sub-account (as "
                                "list_recent_events). Subscribe to hear of each new one."},
                               {"mimeType", "application/json"}},
                              [read_events](const std::string& uri, mcp::ToolContext& ctx) {
                                  return read_events(uri, json::object(), ctx);
                              });
        registry.add_resource_template(
            {{"uriTemplate", "ghl://events/{type}"},
             {"name", "events-by-type"},
             {"title", "GHL events of one type"},
             {"description", "The 50 newest events of one type, e.g. ghl://events/InboundMessage. Subscribable."},
             {"mimeType", "application/json"}},
            [read_events](const std::string& uri, const std::map<std::string, std::string>& vars, mcp::ToolContext& ctx) {
                const std::string& type = vars.at("type");
                if (type.size() > 64 || !std::all_of(type.begin(), type.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
                    throw mcp::RpcError(mcp::ErrorCode::kInvalidParams, "an event type is letters only, e.g. ghl://events/InboundMessage");
                return read_events(uri, json{{"type", type}}, ctx);
            });
        registry.add_resource_template(
            {{"uriTemplate", "ghl://contacts/{contactId}/events"},
             {"name", "contact-events"},
             {"title", "A contact's GHL events"},
             {"description", "The 50 newest events about one contact (messages, appointments, deals, tags). Subscribable."},
             {"mimeType", "application/json"}},
            [read_events](const std::string& uri, const std::map<std::string, std::string>& vars, mcp::ToolContext& ctx) {
                return read_events(uri, json{{"contactId", vars.at("contactId")}}, ctx);
            });
    }

    // Prompts.
    const Registration* pipelines_reg = find_registration("list_pipelines");
    std::shared_ptr<mcp::ToolHandler> pipelines_handler;
    if (pipelines_reg) pipelines_handler = std::make_shared<mcp::ToolHandler>(pipelines_reg->make(env));

    registry.add_prompt(
        {{"name", "pipeline_audit"},
         {"title", "Audit a sales pipeline"},
         {"description",
          "Finds deals stuck in a stage, checks whether their contacts have an appointment or are "
          "waiting for a reply, and proposes the next action per deal."},
         {"arguments",
          json::array({{{"name", "pipeline"}, {"description", "Pipeline name or id (default: every pipeline)"}},
                       {{"name", "staleDays"},
                        {"description", "Days in the same stage that make a deal stale (default 14)"}}})}},
        [&env, pipelines_handler, guard](const std::map<std::string, std::string>& args, mcp::ToolContext& ctx) {
            const int stale = int_arg(args, "staleDays", 14, 1, 365);
            std::string pipeline = str_arg(args, "pipeline");
            json call{{"staleDays", stale}};
            std::string scope = "every pipeline";
            if (!pipeline.empty()) {
                std::string id, name;
                if (pipelines_handler) {
                    if (guard) guard("list_pipelines", ctx);
                    json list = cached_result(env, *pipelines_handler, "ghl://pipelines", json::object(),
                                              300s, ctx);
                    std::vector<std::string> names;
                    for (const auto& p : list.value("pipelines", json::array())) {
                        names.push_back(p.value("name", ""));
                        if (p.value("id", "") == pipeline || lower(p.value("name", "")) == lower(pipeline)) {
                            id = p.value("id", "");
                            name = p.value("name", "");
                        }
                    }
                    if (id.empty()) {
                        std::string valid;
                        for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
                        throw mcp::RpcError(mcp::ErrorCode::kInvalidParams,
                                            "no pipeline named \"" + pipeline + "\"; pipelines: " + valid);
                    }
                } else {
                    id = pipeline;
                    name = pipeline;
                }
                call["pipelineId"] = id;
                scope = "the pipeline \"" + name + "\" (" + id + ")";
            }
            std::string text =
                "Audit " + scope + " for deals that are going stale.\n\n"
                "1. Call audit_pipeline with " + call.dump() + ".\n"
                "2. Report: open deals and their value; how many are stale and the value at risk; the "
                "stages where deals pile up.\n"
                "3. List the stale deals in the order the tool prioritised them: deal, contact, stage, "
                "days in stage, value, and the suggested next action with its reason.\n"
                "4. Propose concrete next steps (who to call, who is waiting for our reply, which "
                "appointments to confirm). Do not change any deal, send any message or book anything "
                "until I confirm.";
            return json{{"description", "Audit of " + scope}, {"messages", json::array({user_message(text)})}};
        });

    registry.add_prompt(
        {{"name", "conversation_summary"},
         {"title", "Summarize recent conversations"},
         {"description",
          "Summarizes the latest conversations: who is waiting for a reply (oldest first), what is "
          "active, what went quiet."},
         {"arguments",
          json::array({{{"name", "limit"}, {"description", "How many recent conversations (default 20, max 100)"}}})}},
        [](const std::map<std::string, std::string>& args, mcp::ToolContext&) {
            const int limit = int_arg(args, "limit", 20, 1, 100);
            std::string text =
                "Summarize our latest conversations with customers.\n\n"
                "1. Call summarize_conversations with {\"limit\": " + std::to_string(limit) + "}.\n"
                "2. Start with the attention list: every contact waiting for our reply, oldest first, "
                "with channel, how long they have waited and what they asked (quote the snippet).\n"
                "3. Then the active conversations in one line each, then how many went idle or "
                "closed.\n"
                "4. Suggest replies for the three most urgent ones, but do not send anything until I "
                "confirm.";
            return json{{"description", "Summary of the last " + std::to_string(limit) + " conversations"},
                        {"messages", json::array({user_message(text)})}};
        });

    registry.add_prompt(
        {{"name", "book_for_caller"},
         {"title", "Book an appointment for a caller"},
         {"description",
          "The receptionist flow: identify the caller by phone, offer free slots, book, confirm by "
          "SMS."},
         {"arguments", json::array({{{"name", "phone"}, {"description", "The caller's phone number"}, {"required", true}},
                                    {{"name", "calendar"}, {"description", "Calendar name or id (default: ask)"}},
                                    {{"name", "when"}, {"description", "The caller's preference, e.g. 'Tuesday afternoon'"}}})}},
        [](const std::map<std::string, std::string>& args, mcp::ToolContext&) {
            const std::string phone = str_arg(args, "phone");
            if (phone.empty())
                throw mcp::RpcError(mcp::ErrorCode::kInvalidParams, "argument phone is required");
            const std::string calendar = str_arg(args, "calendar");
            const std::string when = str_arg(args, "when");
            std::string text =
                "A caller at " + phone + " wants an appointment" + (when.empty() ? "" : " (" + when + ")") +
                ".\n\n"
                "1. Call find_contact with {\"phone\": " + json(phone).dump() +
                "}. If there is no match, ask for their name (and email) and create_contact.\n"
                "2. " + (calendar.empty() ? std::string("Ask which service they need and pick the calendar with list_calendars. ")
                                         : "Use the calendar " + json(calendar).dump() + " (list_calendars gives its id). ") +
                "Call get_free_slots for the days that match their preference and offer two or three "
                "slots in the calendar's local time.\n"
                "3. When they choose, call book_appointment (it re-checks the slot). If it was taken, "
                "offer the alternatives it returns.\n"
                "4. Read the booking back (day, local time, calendar), then send_message an SMS "
                "confirmation to the contact with the same details.\n"
                "5. If the contact has an open opportunity, tell me its stage; move it only if I say "
                "so.";
            return json{{"description", "Book an appointment for " + phone},
                        {"messages", json::array({user_message(text)})}};
        });

    // Completions for prompt arguments: the names come from the same reads as the resources,
    // under the same scope check (and audit) as reading them.
    registry.add_completer("ref/prompt", "pipeline_audit", "pipeline",
                           [&env, guard](const std::string& value, const std::map<std::string, std::string>&,
                                         mcp::ToolContext& ctx) {
                               if (guard) guard("list_pipelines", ctx);
                               return complete_names(env, "ghl://pipelines", "opportunities.pipelines",
                                                     {{"locationId", env.ghl ? env.ghl->default_location() : ""}},
                                                     "pipelines", value);
                           });
    registry.add_completer("ref/prompt", "book_for_caller", "calendar",
                           [&env, guard](const std::string& value, const std::map<std::string, std::string>&,
                                         mcp::ToolContext& ctx) {
                               if (guard) guard("list_calendars", ctx);
                               return complete_names(env, "ghl://calendars", "calendars.list",
                                                     {{"locationId", env.ghl ? env.ghl->default_location() : ""}},
                                                     "calendars", value);
                           });
}

std::string resource_tool(const std::string& uri) {
    for (const auto& spec : kResources)
        if (uri == spec.uri) return spec.tool;
    for (const auto& spec : kTemplates) {
        const std::string_view t = spec.uri_template;
        const auto brace = t.find('{');
        const std::string_view prefix = t.substr(0, brace);
        if (uri.size() > prefix.size() && uri.compare(0, prefix.size(), prefix) == 0 &&
            uri.find('/', prefix.size()) == std::string::npos)
            return spec.tool;
    }
    if (uri.rfind("ghl://events/", 0) == 0) return "list_recent_events";
    return {};
}

}  // namespace tools
