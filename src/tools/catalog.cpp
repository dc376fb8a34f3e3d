#include "tools/catalog.hpp"

#include "tools/groups.hpp"

#include <map>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace tools {
namespace embedded {
std::vector<std::pair<std::string_view, std::string_view>> tool_schema_files();
}

std::vector<Definition> definitions() {
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
        d.wire.erase("toolset");
        out.push_back(std::move(d));
    }
    return out;
}

const std::vector<Registration>& registrations() {
    // The one list: every group's tools, in toolset order (each group lists its tools by name).
    static const std::vector<Registration> list = [] {
        std::vector<Registration> all;
        for (auto group : {server_tools, contact_tools, calendar_tools, opportunity_tools,
                           conversation_tools, workflow_tools, account_tools, analysis_tools}) {
            auto tools = group();
            all.insert(all.end(), std::make_move_iterator(tools.begin()),
                       std::make_move_iterator(tools.end()));
        }
        return all;
    }();
    return list;
}

void register_all(mcp::Registry& registry, const Environment& env) {
    std::map<std::string, const Registration*> handlers;
    for (const auto& r : registrations()) {
        if (!handlers.emplace(r.name, &r).second)
            throw std::logic_error("tool registered twice: " + r.name);
    }
    std::set<std::string> defined;
    for (auto& d : definitions()) {
        std::string name = d.wire["name"];
        auto it = handlers.find(name);
        if (it == handlers.end())
            throw std::logic_error("schemas/tools/" + d.file + " has no handler in the registration list");
        defined.insert(name);
        registry.add_tool(std::move(d.wire), it->second->make(env), d.toolset);
    }
    for (const auto& [name, r] : handlers)
        if (!defined.count(name))
            throw std::logic_error("tool " + name + " is registered but has no schemas/tools/" + name + ".json");
}

}  // namespace tools
