// A catalog of small tools, resources and prompts for the Server tests, plus a Probe the
// handlers report to (calls, cancellation, start signals).
#pragma once

#include "test_support.hpp"

#include "mcp/context.hpp"
#include "mcp/registry.hpp"
#include "mcp/server.hpp"

#include <atomic>
#include <memory>
#include <stdexcept>

namespace mcp_test {

struct Probe {
    std::atomic<int> echo_calls{0};
    std::atomic<int> slow_calls{0};
    Signal slow_started;
    std::atomic<bool> slow_release{false};
    std::atomic<bool> slow_saw_cancel{false};
    Signal slow_finished;
    std::atomic<int> ask_calls{0};
};

inline json echo_schema() {
    return json::parse(R"({"type":"object","properties":{"text":{"type":"string"}},
                           "required":["text"],"additionalProperties":false})");
}

inline json sum_output_schema() {
    return json::parse(R"({"type":"object","properties":{"sum":{"type":"integer"}},"required":["sum"]})");
}

/// Registers the shared test catalog on `r`; handlers report to `probe`.
inline void add_catalog(mcp::Registry& r, const std::shared_ptr<Probe>& probe) {
    r.add_tool(json{{"name", "echo"}, {"description", "Echoes text"}, {"inputSchema", echo_schema()}},
               [probe](const json& args, mcp::ToolContext&) {
                   ++probe->echo_calls;
                   return mcp::ToolResult::text(args.at("text").get<std::string>());
               });
    r.add_tool(json{{"name", "noop"}, {"inputSchema", {{"type", "object"}}}},
               [](const json&, mcp::ToolContext&) { return mcp::ToolResult::text("ok"); });
    r.add_tool(json{{"name", "fail"}, {"inputSchema", {{"type", "object"}}}},
               [](const json&, mcp::ToolContext&) -> mcp::ToolResult {
                   throw std::runtime_error("database unreachable: retry in a minute");
               });
    r.add_tool(json{{"name", "rpc_fail"}, {"inputSchema", {{"type", "object"}}}},
               [](const json&, mcp::ToolContext&) -> mcp::ToolResult {
                   throw mcp::RpcError(mcp::ErrorCode::kInvalidParams, "rpc failure from handler");
               });
    r.add_tool(json{{"name", "sum"},
                    {"title", "Sum"},
                    {"annotations", {{"readOnlyHint", true}}},
                    {"inputSchema",
                     {{"type", "object"},
                      {"properties", {{"a", {{"type", "integer"}}}, {"b", {{"type", "integer"}}}}},
                      {"required", {"a", "b"}}}},
                    {"outputSchema", sum_output_schema()}},
               [](const json& args, mcp::ToolContext&) {
                   return mcp::ToolResult::structured_result(
                       json{{"sum", args["a"].get<int64_t>() + args["b"].get<int64_t>()}});
               });
    r.add_tool(json{{"name", "bad_output"},
                    {"inputSchema", {{"type", "object"}}},
                    {"outputSchema", sum_output_schema()}},
               [](const json&, mcp::ToolContext&) {
                   return mcp::ToolResult::structured_result(json{{"sum", "three"}});
               });
    r.add_tool(json{{"name", "slow"}, {"inputSchema", {{"type", "object"}}}},
               [probe](const json&, mcp::ToolContext& ctx) {
                   ++probe->slow_calls;
                   probe->slow_started.notify();
                   auto until = std::chrono::steady_clock::now() + kWait;
                   while (!ctx.cancelled() && !probe->slow_release.load() &&
                          std::chrono::steady_clock::now() < until)
                       std::this_thread::sleep_for(1ms);
                   if (ctx.cancelled()) probe->slow_saw_cancel = true;
                   probe->slow_finished.notify();
                   return mcp::ToolResult::text("slow done");
               });
    r.add_tool(json{{"name", "progress"}, {"inputSchema", {{"type", "object"}}}},
               [](const json&, mcp::ToolContext& ctx) {
                   ctx.progress(1, 3, "one");
                   ctx.progress(2, 3);
                   ctx.progress(3);
                   return mcp::ToolResult::text("progressed");
               });
    r.add_tool(json{{"name", "logs"}, {"inputSchema", {{"type", "object"}}}},
               [](const json&, mcp::ToolContext& ctx) {
                   ctx.log(mcp::LogLevel::kDebug, "d");
                   ctx.log(mcp::LogLevel::kInfo, "i");
                   ctx.log(mcp::LogLevel::kWarning, "w", "unit");
                   ctx.log(mcp::LogLevel::kError, json{{"e", 1}});
                   return mcp::ToolResult::text("logged");
               });
    r.add_tool(json{{"name", "ask"}, {"inputSchema", {{"type", "object"}}}},
               [probe](const json&, mcp::ToolContext& ctx) {
                   ++probe->ask_calls;
                   const json& responses = ctx.input_responses();
                   if (!responses.is_object() || !responses.contains("who"))
                       ctx.require_input(
                           json{{"who",
                                 {{"method", "elicitation/create"},
                                  {"params",
                                   {{"message", "Who are you?"},
                                    {"requestedSchema",
                                     {{"type", "object"},
                                      {"properties", {{"name", {{"type", "string"}}}}}}}}}}}},
                           json{{"step", 1}, {"secret", "server-side"}});
                   std::string state = ctx.request_state() ? ctx.request_state()->dump() : "none";
                   return mcp::ToolResult::text(
                       "hello " + responses["who"]["content"].value("name", std::string("?")) +
                       " state=" + state);
               });
    r.add_tool(json{{"name", "ask_other"}, {"inputSchema", {{"type", "object"}}}},
               [](const json&, mcp::ToolContext& ctx) {
                   return mcp::ToolResult::text(ctx.request_state() ? "had state" : "no state");
               });
    r.add_tool(json{{"name", "needs_sampling"}, {"inputSchema", {{"type", "object"}}}},
               [](const json&, mcp::ToolContext& ctx) {
                   ctx.require_client_capability("sampling");
                   return mcp::ToolResult::text("sampling available");
               });
    r.add_tool(json{{"name", "sample"}, {"inputSchema", {{"type", "object"}}}},
               [](const json&, mcp::ToolContext& ctx) {
                   json res = ctx.request_client(
                       "sampling/createMessage",
                       json{{"messages", json::array()}, {"maxTokens", 10}},
                       std::chrono::duration_cast<std::chrono::milliseconds>(kWait));
                   return mcp::ToolResult::text("model said " +
                                                res["content"].value("text", std::string()));
               });
    r.add_tool(json{{"name", "multiline"}, {"inputSchema", {{"type", "object"}}}},
               [](const json&, mcp::ToolContext&) { return mcp::ToolResult::text("line1\nline2\r\n"); });

    r.add_resource(json{{"uri", "test://static"}, {"name", "static"}, {"mimeType", "text/plain"}},
                   [](const std::string& uri, mcp::ToolContext&) {
                       return json::array({{{"uri", uri}, {"mimeType", "text/plain"}, {"text", "hello"}}});
                   });
    r.add_resource_template(json{{"uriTemplate", "test://items/{id}"}, {"name", "item"}},
                            [](const std::string& uri, const std::map<std::string, std::string>& vars,
                               mcp::ToolContext&) {
                                return json::array({{{"uri", uri}, {"text", "item " + vars.at("id")}}});
                            });
    r.add_prompt(json{{"name", "greet"},
                      {"description", "Greets someone"},
                      {"arguments",
                       {{{"name", "name"}, {"required", true}}, {{"name", "tone"}, {"required", false}}}}},
                 [](const std::map<std::string, std::string>& args, mcp::ToolContext&) {
                     std::string text = "Hello " + args.at("name");
                     if (args.count("tone")) text += " (" + args.at("tone") + ")";
                     return json{{"messages",
                                  json::array({{{"role", "user"},
                                                {"content", {{"type", "text"}, {"text", text}}}}})}};
                 });
    r.add_completer("ref/prompt", "greet", "name",
                    [](const std::string& value, const std::map<std::string, std::string>&, mcp::ToolContext&) {
                        std::vector<std::string> out;
                        for (std::string c : {"alice", "albert", "bob"})
                            if (c.rfind(value, 0) == 0) out.push_back(c);
                        return out;
                    });
    r.add_completer("ref/resource", "test://items/{id}", "id",
                    [](const std::string&, const std::map<std::string, std::string>& ctx, mcp::ToolContext&) {
                        std::vector<std::string> out;
                        for (int i = 0; i < 150; ++i) out.push_back(std::to_string(i));
                        if (ctx.count("hint")) out.insert(out.begin(), ctx.at("hint"));
                        return out;
                    });
}

/// A Server over the shared catalog with a recording channel; calls Server::handle directly.
class ServerTest : public ::testing::Test {
protected:
    void SetUp() override { make_server(mcp::ServerOptions{}); }

    void make_server(mcp::ServerOptions options) {
        options.name = "unit-server";
        options.version = "9.9.9";
        registry = std::make_shared<mcp::Registry>();
        add_catalog(*registry, probe);
        server = std::make_unique<mcp::Server>(options, registry);
    }

    mcp::Incoming legacy_in() const { return mcp::Incoming{session, channel}; }
    mcp::Incoming modern_in() const { return mcp::Incoming{nullptr, channel}; }

    /// Handshake with `version` on the fixture's session.
    json init(const std::string& version, json caps = json::object()) {
        return handshake(*server, session, channel, version, std::move(caps));
    }

    /// Sends one message on the legacy session and returns the response (null when none).
    json legacy(const json& msg) {
        auto o = server->handle(msg, legacy_in());
        return o.response ? *o.response : json();
    }
    json modern(const json& msg) {
        auto o = server->handle(msg, modern_in());
        return o.response ? *o.response : json();
    }
    json call_tool(const std::string& name, json args = json::object(), json id = 1) {
        return legacy(request(id, "tools/call", json{{"name", name}, {"arguments", std::move(args)}}));
    }

    std::shared_ptr<Probe> probe = std::make_shared<Probe>();
    std::shared_ptr<mcp::Registry> registry;
    std::unique_ptr<mcp::Server> server;
    std::shared_ptr<mcp::Session> session = std::make_shared<mcp::Session>("session-1");
    std::shared_ptr<RecordingChannel> channel = std::make_shared<RecordingChannel>();
};

}  // namespace mcp_test
