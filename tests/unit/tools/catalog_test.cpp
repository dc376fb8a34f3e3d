// The whole tool surface: every definition well-formed and handled, sizes within budget, and the
// committed tools/list snapshot (tests/golden/tools/) up to date. Regenerate the snapshot after an
// intended change with: GHL_UPDATE_GOLDEN=1 build-asan/tools-tests --gtest_filter='Catalog*'
#include "app/wiring.hpp"
#include "mcp/registry.hpp"
#include "tools/catalog.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace tools {
namespace {

using json = nlohmann::json;

json tools_list(const Surface& surface) {
    app::Config config;
    config.surface = surface;
    app::App a(config, /*offline=*/true);
    json list = json::array();
    for (const auto& t : a.server().registry().tools()) list.push_back(t->definition);
    return json{{"tools", list}};
}

std::vector<std::string> names(const json& list) {
    std::vector<std::string> out;
    for (const auto& t : list["tools"]) out.push_back(t["name"]);
    return out;
}

bool has_key_anywhere(const json& j, const std::string& key) {
    if (j.is_object()) {
        for (const auto& [k, v] : j.items())
            if (k == key || has_key_anywhere(v, key)) return true;
    } else if (j.is_array()) {
        for (const auto& v : j)
            if (has_key_anywhere(v, key)) return true;
    }
    return false;
}

TEST(Catalog, EveryDefinitionIsWellFormed) {
    const std::regex snake("^[a-z]+(_[a-z0-9]+)+$");
    std::set<std::string> seen;
    auto defs = definitions();
    ASSERT_FALSE(defs.empty());
    for (const auto& d : defs) {
        const json& w = d.wire;
        const std::string name = w["name"];
        SCOPED_TRACE(name);
        EXPECT_TRUE(seen.insert(name).second) << "duplicate name";
        EXPECT_TRUE(mcp::valid_tool_name(name));
        EXPECT_TRUE(std::regex_match(name, snake)) << "names are snake_case verb_noun";
        EXPECT_FALSE(w["title"].get<std::string>().empty());
        const auto description = w["description"].get<std::string>();
        EXPECT_GE(description.size(), 30u) << "describe the tool for a model";
        EXPECT_LE(description.size(), 400u) << "descriptions are precise, not long";

        const json& in = w["inputSchema"];
        EXPECT_EQ(in.value("type", ""), "object");
        EXPECT_EQ(in.value("additionalProperties", true), false) << "inputs are strict";
        for (const char* combinator : {"anyOf", "oneOf", "allOf", "not", "if"})
            EXPECT_FALSE(in.contains(combinator)) << "top-level " << combinator << " breaks clients";
        ASSERT_TRUE(in.contains("properties"));
        ASSERT_TRUE(in["properties"].contains("locationId")) << "every tool takes locationId";
        EXPECT_EQ(in["properties"]["locationId"].value("type", ""), "string");
        if (in.contains("required")) {
            for (const auto& r : in["required"]) EXPECT_NE(r, "locationId") << "locationId is optional";
        }
        EXPECT_EQ(w["outputSchema"].value("type", ""), "object");
        for (const char* key : {"$ref", "$defs", "definitions", "$schema"})
            EXPECT_FALSE(has_key_anywhere(w, key)) << key << ": use keywords draft 7 and 2020-12 share";

        const json& a = w["annotations"];
        ASSERT_TRUE(a.contains("readOnlyHint") && a["readOnlyHint"].is_boolean());
        // openWorldHint defaults to true (every tool here reaches GHL); we spend no bytes on it.
        EXPECT_TRUE(!a.contains("openWorldHint") || a["openWorldHint"] == true);
        if (!a["readOnlyHint"].get<bool>()) {
            EXPECT_TRUE(a.contains("destructiveHint") && a["destructiveHint"].is_boolean())
                << "a write tool says whether it destroys";
            EXPECT_TRUE(a.contains("idempotentHint") && a["idempotentHint"].is_boolean())
                << "a write tool says whether repeating it is harmless";
        }
        if (name.rfind("delete_", 0) == 0) {
            EXPECT_EQ(a.value("destructiveHint", false), true);
        }
        if (name.rfind("list_", 0) == 0 || name.rfind("get_", 0) == 0 || name.rfind("search_", 0) == 0) {
            EXPECT_EQ(a["readOnlyHint"], true);
        }
    }
}

TEST(Catalog, EverySchemaHasAHandlerAndEveryHandlerASchema) {
    mcp::Registry registry;
    Environment env;
    EXPECT_NO_THROW(register_all(registry, env, Surface{{"all"}, {}, false}));
    EXPECT_EQ(registry.tools().size(), definitions().size());
    std::set<std::string> registered;
    for (const auto& r : registrations()) EXPECT_TRUE(registered.insert(r.name).second) << r.name;
    for (const auto& d : definitions()) EXPECT_TRUE(registered.count(d.wire["name"])) << d.file;
}

TEST(Catalog, ToolsListStaysWithinItsSizeBudget) {
    // The leading community server ships 132 KB (~33k tokens) of tools/list; ours must not eat a
    // model's context: the default surface (40 tools since the events toolset joined it) under
    // 25 KB, everything under 64 KB (compact JSON).
    const auto default_size = tools_list({}).dump().size();
    const auto full_size = tools_list({{"all"}, {}, false}).dump().size();
    EXPECT_LT(default_size, 25u * 1024) << "default tools/list is " << default_size << " bytes";
    EXPECT_LT(full_size, 64u * 1024) << "full tools/list is " << full_size << " bytes";
    std::cout << "tools/list: default " << default_size << " bytes, all " << full_size << " bytes\n";
}

TEST(Catalog, SurfaceFilters) {
    auto all = names(tools_list({{"all"}, {}, false}));
    auto defaults = names(tools_list({}));
    EXPECT_LT(defaults.size(), all.size());
    auto read_only = tools_list({{"all"}, {}, true});
    for (const auto& t : read_only["tools"]) EXPECT_TRUE(t["annotations"]["readOnlyHint"].get<bool>()) << t["name"];
    EXPECT_EQ(names(tools_list({{}, {"get_contact"}, false})), std::vector<std::string>{"get_contact"});
    EXPECT_THROW(select({{"nope"}, {}, false}), std::invalid_argument);
    EXPECT_THROW(select({{}, {"no_such_tool"}, false}), std::invalid_argument);
    for (const auto& d : definitions())
        if (!d.wire["annotations"]["readOnlyHint"].get<bool>()) {
            EXPECT_THROW(select({{}, {d.wire["name"].get<std::string>()}, true}), std::invalid_argument);
            break;
        }
}

TEST(Catalog, CompositeToolsetsNameCatalogToolsAndSelectExactlyThem) {
    for (const auto& [set, members] : composite_toolsets()) {
        SCOPED_TRACE(set);
        const auto plain = all_toolsets();
        EXPECT_EQ(std::find(plain.begin(), plain.end(), set), plain.end()) << "a composite name shadows a toolset";
        std::vector<std::string> expected;  // catalog order, with get_server_status (always on)
        std::size_t found = 0;
        for (const auto& d : definitions()) {
            const bool member = std::find(members.begin(), members.end(), d.wire["name"]) != members.end();
            found += member;
            if (member || d.toolset == "server") expected.push_back(d.wire["name"]);
        }
        EXPECT_EQ(found, members.size()) << "a member is not a catalog tool";
        EXPECT_EQ(names(tools_list({{set}, {}, false})), expected);
        for (const auto& d : definitions())
            EXPECT_EQ(toolset_covers(set, d.wire["name"], d.toolset),
                      std::find(members.begin(), members.end(), d.wire["name"]) != members.end())
                << d.file;
    }
    // The voice toolset, read-only: what a phone agent may look up and nothing it could change.
    EXPECT_EQ(names(tools_list({{"voice"}, {}, true})),
              (std::vector<std::string>{"find_contact", "get_free_slots", "get_server_status"}));
}

// The committed snapshot: the full tools/list, and which tools each filter offers.
TEST(Catalog, SnapshotIsUpToDate) {
    json snapshot = tools_list({{"all"}, {}, false});
    json filters = json::object();
    filters["default"] = names(tools_list({}));
    filters["read-only (default toolsets)"] = names(tools_list({{}, {}, true}));
    for (const auto& set : toolset_names()) filters["toolset " + set] = names(tools_list({{set}, {}, false}));
    filters["all"] = names(snapshot);

    const std::string dir = std::string(GHL_MCP_SOURCE_DIR) + "/tests/golden/tools/";
    const std::pair<std::string, json> files[] = {{"tools-list.json", snapshot},
                                                  {"toolset-filters.json", filters}};
    for (const auto& [file, value] : files) {
        const std::string text = value.dump(2) + "\n";
        if (std::getenv("GHL_UPDATE_GOLDEN")) {
            std::ofstream(dir + file) << text;
            continue;
        }
        std::ifstream in(dir + file);
        std::stringstream ss;
        ss << in.rdbuf();
        EXPECT_EQ(ss.str(), text) << "tests/golden/tools/" << file
                                  << " is stale: review the change, then regenerate with "
                                     "GHL_UPDATE_GOLDEN=1 build-asan/tools-tests --gtest_filter='Catalog*'";
    }
}

}  // namespace
}  // namespace tools
