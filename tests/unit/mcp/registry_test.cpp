// registry.hpp: tool registration rules (names, schemas), lookups, URI templates, tool filter.
#include "mcp/registry.hpp"

#include "mcp/context.hpp"
#include "mcp/server.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using mcp::json;
using mcp::Registry;

mcp::ToolHandler ok_handler() {
    return [](const json&, mcp::ToolContext&) { return mcp::ToolResult::text("ok"); };
}

json tool_def(const std::string& name) {
    return json{{"name", name}, {"inputSchema", {{"type", "object"}}}};
}

TEST(ValidToolName, FollowsSep986) {
    EXPECT_TRUE(mcp::valid_tool_name("a"));
    EXPECT_TRUE(mcp::valid_tool_name("get_user.v2-beta"));
    EXPECT_TRUE(mcp::valid_tool_name("ABC_xyz_019"));
    EXPECT_TRUE(mcp::valid_tool_name(std::string(128, 'x')));
    EXPECT_FALSE(mcp::valid_tool_name(""));
    EXPECT_FALSE(mcp::valid_tool_name(std::string(129, 'x')));
    EXPECT_FALSE(mcp::valid_tool_name("has space"));
    EXPECT_FALSE(mcp::valid_tool_name("a/b"));
    EXPECT_FALSE(mcp::valid_tool_name("a,b"));
    EXPECT_FALSE(mcp::valid_tool_name("caf\xC3\xA9"));
}

TEST(RegistryAddTool, AcceptsAValidTool) {
    Registry r;
    ASSERT_NO_THROW(r.add_tool(tool_def("echo"), ok_handler(), "core"));
    ASSERT_EQ(r.tools().size(), 1u);
    auto t = r.find_tool("echo");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->name(), "echo");
    EXPECT_EQ(t->toolset, "core");
    EXPECT_NE(t->input_validator, nullptr);
    EXPECT_EQ(t->output_validator, nullptr);
}

TEST(RegistryAddTool, RejectsBadNames) {
    Registry r;
    EXPECT_THROW(r.add_tool(json::array(), ok_handler()), std::invalid_argument);
    EXPECT_THROW(r.add_tool(json{{"inputSchema", {{"type", "object"}}}}, ok_handler()), std::invalid_argument);
    EXPECT_THROW(r.add_tool(json{{"name", 5}, {"inputSchema", {{"type", "object"}}}}, ok_handler()),
                 std::invalid_argument);
    EXPECT_THROW(r.add_tool(tool_def("bad name"), ok_handler()), std::invalid_argument);
    EXPECT_THROW(r.add_tool(tool_def(""), ok_handler()), std::invalid_argument);
    EXPECT_THROW(r.add_tool(tool_def(std::string(129, 'a')), ok_handler()), std::invalid_argument);
    EXPECT_TRUE(r.tools().empty());
}

TEST(RegistryAddTool, RejectsDuplicates) {
    Registry r;
    r.add_tool(tool_def("echo"), ok_handler());
    EXPECT_THROW(r.add_tool(tool_def("echo"), ok_handler()), std::invalid_argument);
    EXPECT_EQ(r.tools().size(), 1u);
}

TEST(RegistryAddTool, RejectsBadSchemas) {
    Registry r;
    EXPECT_THROW(r.add_tool(json{{"name", "t"}}, ok_handler()), std::invalid_argument) << "no inputSchema";
    EXPECT_THROW(r.add_tool(json{{"name", "t"}, {"inputSchema", "object"}}, ok_handler()),
                 std::invalid_argument);
    EXPECT_THROW(r.add_tool(json{{"name", "t"}, {"inputSchema", {{"type", "string"}}}}, ok_handler()),
                 std::invalid_argument)
        << "inputSchema must be an object schema";
    EXPECT_THROW(r.add_tool(json{{"name", "t"}, {"inputSchema", json::object()}}, ok_handler()),
                 std::invalid_argument)
        << "inputSchema needs type object";
    EXPECT_THROW(r.add_tool(json{{"name", "t"},
                                 {"inputSchema", {{"type", "object"}, {"properties", {{"a", {{"$ref", "#/x"}}}}}}}},
                            ok_handler()),
                 std::invalid_argument)
        << "an unresolvable schema fails at registration";
    EXPECT_THROW(r.add_tool(json{{"name", "t"}, {"inputSchema", {{"type", "object"}}}, {"outputSchema", 7}},
                            ok_handler()),
                 std::invalid_argument)
        << "bad outputSchema";
    EXPECT_THROW(r.add_tool(tool_def("t"), nullptr), std::invalid_argument) << "no handler";
    EXPECT_TRUE(r.tools().empty());
    EXPECT_EQ(r.find_tool("t"), nullptr);
}

TEST(RegistryAddTool, CompilesOutputSchema) {
    Registry r;
    r.add_tool(json{{"name", "t"},
                    {"inputSchema", {{"type", "object"}}},
                    {"outputSchema", {{"type", "object"}, {"required", {"n"}}}}},
               ok_handler());
    auto t = r.find_tool("t");
    ASSERT_NE(t->output_validator, nullptr);
    EXPECT_TRUE(t->output_validator->validate(json{{"n", 1}}).empty());
    EXPECT_FALSE(t->output_validator->validate(json::object()).empty());
}

TEST(RegistryFindTool, FindsByExactNameAndRemoves) {
    Registry r;
    r.add_tool(tool_def("alpha"), ok_handler());
    r.add_tool(tool_def("beta"), ok_handler());
    EXPECT_NE(r.find_tool("alpha"), nullptr);
    EXPECT_EQ(r.find_tool("Alpha"), nullptr);
    EXPECT_EQ(r.find_tool("alph"), nullptr);
    EXPECT_EQ(r.find_tool(""), nullptr);
    ASSERT_EQ(r.tools().size(), 2u);
    EXPECT_EQ(r.tools()[0]->name(), "alpha") << "registration order is kept";
    EXPECT_EQ(r.tools()[1]->name(), "beta");
    r.remove_tool("alpha");
    EXPECT_EQ(r.find_tool("alpha"), nullptr);
    ASSERT_EQ(r.tools().size(), 1u);
    r.remove_tool("does-not-exist");
    EXPECT_EQ(r.tools().size(), 1u);
    EXPECT_NO_THROW(r.add_tool(tool_def("alpha"), ok_handler())) << "a removed name can be reused";
}

TEST(RegistryTool, ReadOnlyHint) {
    Registry r;
    json def = tool_def("ro");
    def["annotations"] = {{"readOnlyHint", true}};
    r.add_tool(def, ok_handler());
    r.add_tool(tool_def("rw"), ok_handler());
    EXPECT_TRUE(r.find_tool("ro")->read_only());
    EXPECT_FALSE(r.find_tool("rw")->read_only());
}

TEST(RegistryToolFilter, HidesToolsPerPrincipal) {
    Registry r;
    r.add_tool(tool_def("public_tool"), ok_handler(), "public");
    r.add_tool(tool_def("admin_tool"), ok_handler(), "admin");
    auto pub = r.find_tool("public_tool");
    auto adm = r.find_tool("admin_tool");
    EXPECT_TRUE(r.tool_visible(*adm, std::any{})) << "no filter: everything visible";
    r.set_tool_filter([](const mcp::Tool& t, const std::any& principal) {
        if (t.toolset != "admin") return true;
        auto* who = std::any_cast<std::string>(&principal);
        return who && *who == "root";
    });
    EXPECT_TRUE(r.tool_visible(*pub, std::any{}));
    EXPECT_FALSE(r.tool_visible(*adm, std::any{}));
    EXPECT_FALSE(r.tool_visible(*adm, std::any(std::string("guest"))));
    EXPECT_TRUE(r.tool_visible(*adm, std::any(std::string("root"))));
}

TEST(RegistryResources, RequireUriAndName) {
    Registry r;
    auto reader = [](const std::string&, mcp::ToolContext&) { return json::array(); };
    EXPECT_THROW(r.add_resource(json{{"name", "x"}}, reader), std::invalid_argument);
    EXPECT_THROW(r.add_resource(json{{"uri", "test://x"}}, reader), std::invalid_argument);
    EXPECT_NO_THROW(r.add_resource(json{{"uri", "test://x"}, {"name", "x"}}, reader));
    EXPECT_EQ(r.resources().size(), 1u);
    auto tpl_reader = [](const std::string&, const std::map<std::string, std::string>&,
                         mcp::ToolContext&) { return json::array(); };
    EXPECT_THROW(r.add_resource_template(json{{"name", "t"}}, tpl_reader), std::invalid_argument);
    EXPECT_NO_THROW(r.add_resource_template(json{{"uriTemplate", "test://{id}"}, {"name", "t"}}, tpl_reader));
    EXPECT_EQ(r.resource_templates().size(), 1u);
}

TEST(RegistryPrompts, AddFindAndCompleters) {
    Registry r;
    auto handler = [](const std::map<std::string, std::string>&, mcp::ToolContext&) { return json::object(); };
    EXPECT_THROW(r.add_prompt(json{{"description", "no name"}}, handler), std::invalid_argument);
    r.add_prompt(json{{"name", "greet"}}, handler);
    EXPECT_NE(r.find_prompt("greet"), nullptr);
    EXPECT_EQ(r.find_prompt("greeting"), nullptr);

    r.add_completer("ref/prompt", "greet", "name",
                    [](const std::string& v, const std::map<std::string, std::string>&, mcp::ToolContext&) {
                        return std::vector<std::string>{v + "1"};
                    });
    const mcp::Completer* c = r.find_completer("ref/prompt", "greet", "name");
    ASSERT_NE(c, nullptr);
    mcp::Server server(mcp::ServerOptions{}, std::make_shared<mcp::Registry>());
    mcp::CallInfo call;
    mcp::ToolContext ctx(server, call);
    EXPECT_EQ((*c)("a", {}, ctx), std::vector<std::string>{"a1"});
    EXPECT_EQ(r.find_completer("ref/prompt", "greet", "other"), nullptr);
    EXPECT_EQ(r.find_completer("ref/resource", "greet", "name"), nullptr);
}

mcp::ResourceTemplate tpl(const std::string& uri_template) {
    return mcp::ResourceTemplate{json{{"uriTemplate", uri_template}, {"name", "t"}}, nullptr};
}

TEST(ResourceTemplateMatch, ExtractsVariables) {
    auto m = tpl("test://items/{id}").match("test://items/42");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->at("id"), "42");

    auto two = tpl("file:///{dir}/{name}.txt").match("file:///docs/readme.txt");
    ASSERT_TRUE(two.has_value());
    EXPECT_EQ(two->at("dir"), "docs");
    EXPECT_EQ(two->at("name"), "readme");

    auto nested = tpl("users/{user}/posts/{post}").match("users/ada/posts/7");
    ASSERT_TRUE(nested.has_value());
    EXPECT_EQ(nested->size(), 2u);
    EXPECT_EQ(nested->at("user"), "ada");
    EXPECT_EQ(nested->at("post"), "7");
}

TEST(ResourceTemplateMatch, RejectsNonMatchingUris) {
    auto t = tpl("test://items/{id}");
    EXPECT_FALSE(t.match("test://items/").has_value()) << "empty variable";
    EXPECT_FALSE(t.match("test://items/4/5").has_value()) << "a variable never spans '/'";
    EXPECT_FALSE(t.match("test://other/4").has_value());
    EXPECT_FALSE(t.match("test://items").has_value());
    EXPECT_FALSE(t.match("").has_value());
    EXPECT_FALSE(tpl("file:///{name}.txt").match("file:///readme.md").has_value());
    EXPECT_FALSE(tpl("static://exact").match("static://exact/more").has_value());
    EXPECT_TRUE(tpl("static://exact").match("static://exact").has_value());
    EXPECT_FALSE(tpl("broken://{id").match("broken://{id").has_value()) << "unclosed brace";
}

TEST(ToolResultHelpers, BuildContent) {
    auto t = mcp::ToolResult::text("hi");
    ASSERT_EQ(t.content.size(), 1u);
    EXPECT_EQ(t.content[0], (json{{"type", "text"}, {"text", "hi"}}));
    EXPECT_FALSE(t.is_error);
    auto e = mcp::ToolResult::error("boom");
    EXPECT_TRUE(e.is_error);
    EXPECT_EQ(e.content[0]["text"], "boom");
    auto s = mcp::ToolResult::structured_result(json{{"n", 1}});
    EXPECT_TRUE(s.content.empty());
    ASSERT_TRUE(s.structured.has_value());
    EXPECT_EQ((*s.structured)["n"], 1);
    s.add_text("extra");
    EXPECT_EQ(s.content.size(), 1u);
}

}  // namespace
