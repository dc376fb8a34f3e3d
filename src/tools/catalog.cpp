#include "tools/catalog.hpp"

#include "tools/groups.hpp"

#include "ghl/endpoints.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace tools {
namespace embedded {
std::vector<std::pair<std::string_view, std::string_view>> tool_schema_files();
}

namespace {
std::vector<Definition> parse_definitions() {
    const auto sets = all_toolsets();
    std::vector<Definition> out;
    for (const auto& [file, text] : embedded::tool_schema_files()) {
        Definition d;
        d.file = std::string(file);
        try {
            d.wire = json::parse(text);
        } catch (const json::parse_error& e) {
            throw std::runtime_error("schemas/tools/" + d.file + ": " + e.what());
        }
        auto fail = [&](const std::string& why) {
            throw std::runtime_error("schemas/tools/" + d.file + ": " + why);
        };
        if (!d.wire.is_object()) fail("must be a JSON object");
        for (const char* key : {"name", "title", "description", "toolset"})
            if (!d.wire.contains(key) || !d.wire[key].is_string()) fail(std::string("missing string \"") + key + "\"");
        for (const char* key : {"inputSchema", "outputSchema", "annotations"})
            if (!d.wire.contains(key) || !d.wire[key].is_object()) fail(std::string("missing object \"") + key + "\"");
        if (!d.wire["annotations"].contains("readOnlyHint")) fail("annotations.readOnlyHint must be explicit");
        if (d.wire["name"].get<std::string>() + ".json" != d.file) fail("\"name\" must match the file name");
        d.toolset = d.wire["toolset"].get<std::string>();
        if (std::find(sets.begin(), sets.end(), d.toolset) == sets.end())
            fail("unknown toolset \"" + d.toolset + "\" (see all_toolsets() in catalog.cpp)");
        d.wire.erase("toolset");
        if (!d.wire.contains("endpoints") || !d.wire["endpoints"].is_array())
            fail("missing array \"endpoints\" (the GHL endpoint ids the tool may call; [] for none)");
        for (const char* key : {"endpoints", "optionalEndpoints"}) {
            if (!d.wire.contains(key)) continue;
            if (!d.wire[key].is_array()) fail(std::string("\"") + key + "\" must be an array");
            for (const auto& id : d.wire[key]) {
                if (!id.is_string() || !ghl::find_endpoint(id.get<std::string>()))
                    fail(std::string("\"") + key + "\": " + id.dump() + " is not an endpoint id of src/ghl/endpoints.cpp");
                (key == std::string_view("endpoints") ? d.endpoints : d.optional_endpoints).push_back(id.get<std::string>());
            }
        }
        d.wire.erase("endpoints");
        d.wire.erase("optionalEndpoints");
        out.push_back(std::move(d));
    }
    return out;
}
}  // namespace

const std::vector<Definition>& definitions() {
    // The embedded files never change: parse them once per process, not once per caller (the
    // CLI's surface check, register_all, select and the key guard each used to parse all 45).
    static const std::vector<Definition> parsed = parse_definitions();
    return parsed;
}

const std::vector<Registration>& registrations() {
    // The one list: every group's tools, in toolset order (each group lists its tools by name).
    static const std::vector<Registration> list = [] {
        std::vector<Registration> all;
        for (auto group : {server_tools, contact_tools, calendar_tools, opportunity_tools,
                           conversation_tools, workflow_tools, account_tools, analysis_tools, event_tools}) {
            auto tools = group();
            all.insert(all.end(), std::make_move_iterator(tools.begin()),
                       std::make_move_iterator(tools.end()));
        }
        return all;
    }();
    return list;
}

const std::vector<std::string>& default_toolsets() {
    static const std::vector<std::string> list = {"contacts",  "calendars", "opportunities", "conversations",
                                                  "workflows", "analysis",  "events"};
    return list;
}

std::vector<std::string> all_toolsets() {
    return {"server",        "contacts",  "calendars", "opportunities", "conversations",
            "workflows",     "location",  "payments",  "analysis", "events"};
}

const std::map<std::string, std::vector<std::string>>& composite_toolsets() {
    static const std::map<std::string, std::vector<std::string>> sets = {
        {"voice",
         {"find_contact", "get_free_slots", "book_appointment", "reschedule_appointment", "cancel_appointment",
          "add_contact_note", "send_message", "update_opportunity"}},
    };
    return sets;
}

std::vector<std::string> toolset_names() {
    auto names = all_toolsets();
    for (const auto& [name, members] : composite_toolsets()) names.push_back(name);
    return names;
}

bool toolset_covers(const std::string& toolset, const std::string& tool, const std::string& tool_toolset) {
    if (toolset == tool_toolset) return true;
    auto it = composite_toolsets().find(toolset);
    return it != composite_toolsets().end() &&
           std::find(it->second.begin(), it->second.end(), tool) != it->second.end();
}

namespace {
std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}
bool is_read_only(const Definition& d) {
    const auto& a = d.wire["annotations"];
    return a.contains("readOnlyHint") && a["readOnlyHint"].is_boolean() && a["readOnlyHint"].get<bool>();
}
}  // namespace

std::vector<Definition> select(const Surface& surface) {
    std::vector<Definition> all = definitions();
    const auto names = all_toolsets();
    const std::set<std::string> known_sets(names.begin(), names.end());
    std::set<std::string> wanted_sets;
    std::set<std::string> composite_members;  // tools a named composite toolset brings in
    const auto& named = surface.toolsets.empty() ? default_toolsets() : surface.toolsets;
    for (const auto& t : named) {
        if (t == "all") {
            wanted_sets = known_sets;
            continue;
        }
        if (auto c = composite_toolsets().find(t); c != composite_toolsets().end()) {
            composite_members.insert(c->second.begin(), c->second.end());
            continue;
        }
        if (!known_sets.count(t))
            throw std::invalid_argument("unknown toolset \"" + t + "\"; toolsets: " + joined(toolset_names()) +
                                        " (or all)");
        wanted_sets.insert(t);
    }
    wanted_sets.insert("server");

    std::set<std::string> wanted_tools;
    if (!surface.tools.empty()) {
        std::set<std::string> known_tools;
        for (const auto& d : all) known_tools.insert(d.wire["name"].get<std::string>());
        for (const auto& t : surface.tools) {
            if (!known_tools.count(t))
                throw std::invalid_argument("unknown tool \"" + t +
                                            "\"; `ghl-mcp tools --toolsets all` lists every tool");
            wanted_tools.insert(t);
        }
    }
    std::vector<Definition> out;
    for (auto& d : all) {
        const std::string name = d.wire["name"];
        if (!wanted_tools.empty()) {
            if (!wanted_tools.count(name)) continue;
            if (surface.read_only && !is_read_only(d))
                throw std::invalid_argument("tool \"" + name +
                                            "\" changes data but --read-only was given; drop one of them");
        } else {
            const bool extra = std::find(surface.extra_tools.begin(), surface.extra_tools.end(),
                                         name) != surface.extra_tools.end() &&
                               is_read_only(d);
            if (!wanted_sets.count(d.toolset) && !composite_members.count(name) && !extra) continue;
            if (surface.read_only && !is_read_only(d)) continue;
        }
        out.push_back(std::move(d));
    }
    return out;
}

void register_all(mcp::Registry& registry, const Environment& env, const Surface& surface,
                  const HandlerDecorator& decorate) {
    std::map<std::string, const Registration*> handlers;
    for (const auto& r : registrations()) {
        if (!handlers.emplace(r.name, &r).second)
            throw std::logic_error("tool registered twice: " + r.name);
    }
    std::set<std::string> defined;
    for (const auto& d : definitions()) {
        std::string name = d.wire["name"];
        if (!handlers.count(name))
            throw std::logic_error("schemas/tools/" + d.file + " has no handler in the registration list");
        defined.insert(name);
    }
    for (const auto& [name, r] : handlers)
        if (!defined.count(name))
            throw std::logic_error("tool " + name + " is registered but has no schemas/tools/" + name + ".json");
    for (auto& d : select(surface)) {
        std::string name = d.wire["name"];
        mcp::ToolHandler handler = handlers.at(name)->make(env);
        if (decorate) handler = decorate(d, std::move(handler));
        registry.add_tool(std::move(d.wire), std::move(handler), d.toolset);
    }
}

}  // namespace tools
