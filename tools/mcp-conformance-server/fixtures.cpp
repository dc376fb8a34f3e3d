// The fixture interface the official MCP conformance scenarios call, with the exact contents
// they check (see tests/conformance/README.md).
#include "fixtures.hpp"

#include "mcp/context.hpp"
#include "mcp/server.hpp"

#include <chrono>
#include <thread>

namespace conformance {

using mcp::json;
using mcp::ToolContext;
using mcp::ToolResult;

namespace {

constexpr const char* kPng =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
constexpr const char* kWav = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

json empty_schema() { return json{{"type", "object"}, {"properties", json::object()}}; }

json tool(const std::string& name, const std::string& description, json schema = empty_schema()) {
    return json{{"name", name}, {"description", description}, {"inputSchema", std::move(schema)}};
}

ToolResult content(json blocks) {
    ToolResult r;
    r.content = std::move(blocks);
    return r;
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

json elicit(const std::string& message, const std::string& property, const std::string& type = "string") {
    return json{{"method", "elicitation/create"},
                {"params",
                 {{"message", message},
                  {"requestedSchema",
                   {{"type", "object"},
                    {"properties", {{property, {{"type", type}}}}},
                    {"required", json::array({property})}}}}}};
}

json sample(const std::string& text, int max_tokens) {
    return json{{"method", "sampling/createMessage"},
                {"params",
                 {{"messages", json::array({{{"role", "user"},
                                             {"content", {{"type", "text"}, {"text", text}}}}})},
                  {"maxTokens", max_tokens}}}};
}

json list_roots() { return json{{"method", "roots/list"}, {"params", json::object()}}; }

/// The accepted content of an elicitation response at `key`, or null.
json accepted(const json& responses, const std::string& key) {
    if (!responses.is_object()) return nullptr;
    auto it = responses.find(key);
    if (it == responses.end() || !it->is_object()) return nullptr;
    if (it->value("action", "") != "accept") return nullptr;
    auto c = it->find("content");
    return c != it->end() && c->is_object() ? *c : json(nullptr);
}

std::string sampled_text(const json& responses, const std::string& key) {
    if (!responses.is_object() || !responses.contains(key) || !responses[key].is_object()) return {};
    const json& c = responses[key].value("content", json::object());
    return c.is_object() ? c.value("text", "") : "";
}

bool has_roots(const json& responses, const std::string& key) {
    return responses.is_object() && responses.contains(key) && responses[key].is_object() &&
           responses[key].contains("roots") && responses[key]["roots"].is_array();
}

void modern_only(ToolContext& ctx) {
    if (!ctx.modern())
        throw std::runtime_error("this fixture needs protocol 2026-07-28 (input_required results)");
}

void register_tools(mcp::Registry& r) {
    r.add_tool(tool("test_simple_text", "Returns a simple text response"), [](const json&, ToolContext&) {
        return ToolResult::text("This is a simple text response for testing.");
    });
    r.add_tool(tool("test_image_content", "Returns an image (1x1 PNG)"), [](const json&, ToolContext&) {
        return content(json::array({{{"type", "image"}, {"data", kPng}, {"mimeType", "image/png"}}}));
    });
    r.add_tool(tool("test_audio_content", "Returns audio (WAV)"), [](const json&, ToolContext&) {
        return content(json::array({{{"type", "audio"}, {"data", kWav}, {"mimeType", "audio/wav"}}}));
    });
    r.add_tool(tool("test_embedded_resource", "Returns an embedded resource"), [](const json&, ToolContext&) {
        return content(json::array({{{"type", "resource"},
                                     {"resource",
                                      {{"uri", "test://embedded-resource"},
                                       {"mimeType", "text/plain"},
                                       {"text", "This is an embedded resource content."}}}}}));
    });
    r.add_tool(tool("test_multiple_content_types", "Returns text, image and resource content"),
               [](const json&, ToolContext&) {
                   return content(json::array(
                       {{{"type", "text"}, {"text", "Multiple content types test:"}},
                        {{"type", "image"}, {"data", kPng}, {"mimeType", "image/png"}},
                        {{"type", "resource"},
                         {"resource",
                          {{"uri", "test://mixed-content-resource"},
                           {"mimeType", "application/json"},
                           {"text", "{\"test\":\"data\",\"value\":123}"}}}}}));
               });
    r.add_tool(tool("test_tool_with_logging", "Sends three log messages while it runs"),
               [](const json&, ToolContext& ctx) {
                   ctx.log(mcp::LogLevel::kInfo, "Tool execution started");
                   sleep_ms(50);
                   ctx.log(mcp::LogLevel::kInfo, "Tool processing data");
                   sleep_ms(50);
                   ctx.log(mcp::LogLevel::kInfo, "Tool execution completed");
                   return ToolResult::text("Tool with logging executed successfully");
               });
    r.add_tool(tool("test_tool_with_progress", "Reports progress 0, 50 and 100 of 100"),
               [](const json&, ToolContext& ctx) {
                   for (int i = 0; i <= 2; ++i) {
                       if (i > 0) sleep_ms(50);
                       ctx.progress(i * 50.0, 100.0,
                                    "Completed step " + std::to_string(i * 50) + " of 100");
                   }
                   return ToolResult::text("Progress tool completed");
               });
    r.add_tool(tool("test_error_handling", "Always fails with a tool error"), [](const json&, ToolContext&) {
        return ToolResult::error("This tool intentionally returns an error for testing");
    });
    r.add_tool(tool("test_sampling", "Asks the client's LLM to complete a prompt",
                    json{{"type", "object"},
                         {"properties", {{"prompt", {{"type", "string"}, {"description", "The prompt"}}}}},
                         {"required", {"prompt"}}}),
               [](const json& args, ToolContext& ctx) {
                   json result = ctx.request_client(
                       "sampling/createMessage",
                       json{{"messages", json::array({{{"role", "user"},
                                                       {"content", {{"type", "text"}, {"text", args["prompt"]}}}}})},
                            {"maxTokens", 100}});
                   std::string text = result.contains("content") && result["content"].is_object()
                                          ? result["content"].value("text", "")
                                          : "";
                   return ToolResult::text("LLM response: " + text);
               });
    r.add_tool(tool("test_elicitation", "Asks the user for input",
                    json{{"type", "object"},
                         {"properties", {{"message", {{"type", "string"}, {"description", "What to ask"}}}}},
                         {"required", {"message"}}}),
               [](const json& args, ToolContext& ctx) {
                   json result = ctx.request_client(
                       "elicitation/create",
                       json{{"message", args["message"]},
                            {"requestedSchema",
                             {{"type", "object"},
                              {"properties",
                               {{"username", {{"type", "string"}, {"description", "User's name"}}},
                                {"email", {{"type", "string"}, {"description", "User's email"}}}}},
                              {"required", {"username", "email"}}}}});
                   return ToolResult::text("User response: action=" + result.value("action", "") +
                                           ", content=" + result.value("content", json::object()).dump());
               });
    r.add_tool(tool("test_elicitation_sep1034_defaults", "Elicitation with default values (SEP-1034)"),
               [](const json&, ToolContext& ctx) {
                   json schema{
                       {"type", "object"},
                       {"properties",
                        {{"name", {{"type", "string"}, {"description", "User name"}, {"default", "John Doe"}}},
                         {"age", {{"type", "integer"}, {"description", "User age"}, {"default", 30}}},
                         {"score", {{"type", "number"}, {"description", "User score"}, {"default", 95.5}}},
                         {"status",
                          {{"type", "string"},
                           {"description", "User status"},
                           {"enum", {"active", "inactive", "pending"}},
                           {"default", "active"}}},
                         {"verified",
                          {{"type", "boolean"}, {"description", "Verification status"}, {"default", true}}}}},
                       {"required", json::array()}};
                   json result = ctx.request_client(
                       "elicitation/create",
                       json{{"message", "Please review and update the form fields with defaults"},
                            {"requestedSchema", schema}});
                   return ToolResult::text("Elicitation completed: action=" + result.value("action", "") +
                                           ", content=" + result.value("content", json::object()).dump());
               });
    r.add_tool(tool("test_elicitation_sep1330_enums", "Elicitation with enum variants (SEP-1330)"),
               [](const json&, ToolContext& ctx) {
                   json titled = json::array({{{"const", "value1"}, {"title", "First Option"}},
                                              {{"const", "value2"}, {"title", "Second Option"}},
                                              {{"const", "value3"}, {"title", "Third Option"}}});
                   json titled_multi = json::array({{{"const", "value1"}, {"title", "First Choice"}},
                                                    {{"const", "value2"}, {"title", "Second Choice"}},
                                                    {{"const", "value3"}, {"title", "Third Choice"}}});
                   json schema{
                       {"type", "object"},
                       {"properties",
                        {{"untitledSingle",
                          {{"type", "string"}, {"description", "Untitled single-select"},
                           {"enum", {"option1", "option2", "option3"}}}},
                         {"titledSingle",
                          {{"type", "string"}, {"description", "Titled single-select"}, {"oneOf", titled}}},
                         {"legacyEnum",
                          {{"type", "string"},
                           {"description", "Legacy titled enum"},
                           {"enum", {"opt1", "opt2", "opt3"}},
                           {"enumNames", {"Option One", "Option Two", "Option Three"}}}},
                         {"untitledMulti",
                          {{"type", "array"},
                           {"description", "Untitled multi-select"},
                           {"minItems", 1},
                           {"maxItems", 3},
                           {"items", {{"type", "string"}, {"enum", {"option1", "option2", "option3"}}}}}},
                         {"titledMulti",
                          {{"type", "array"},
                           {"description", "Titled multi-select"},
                           {"minItems", 1},
                           {"maxItems", 3},
                           {"items", {{"anyOf", titled_multi}}}}}}},
                       {"required", json::array()}};
                   json result = ctx.request_client(
                       "elicitation/create",
                       json{{"message", "Please pick from the options"}, {"requestedSchema", schema}});
                   return ToolResult::text("Elicitation completed: action=" + result.value("action", "") +
                                           ", content=" + result.value("content", json::object()).dump());
               });
    r.add_tool(
        tool("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features",
             json::parse(R"({"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
 "$defs":{"address":{"$anchor":"addressDef","type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}}}},
 "properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"},
   "contactMethod":{"type":"string","enum":["phone","email"]},"phone":{"type":"string"},"email":{"type":"string"}},
 "allOf":[{"anyOf":[{"required":["phone"]},{"required":["email"]}]}],
 "if":{"properties":{"contactMethod":{"const":"phone"}},"required":["contactMethod"]},
 "then":{"required":["phone"]},"else":{"required":["email"]},
 "additionalProperties":false})")),
        [](const json& args, ToolContext&) { return ToolResult::text("Received: " + args.dump()); });
    r.add_tool(tool("test_reconnection",
                    "Closes its SSE stream mid-call; the result arrives when the client resumes"),
               [](const json&, ToolContext& ctx) {
                   sleep_ms(100);
                   ctx.disconnect();
                   sleep_ms(300);
                   return ToolResult::text("Reconnection test completed successfully");
               });
    r.add_tool(
        tool("test_custom_header", "Echoes a region mirrored in the Mcp-Param-Region header",
             json{{"type", "object"},
                  {"properties",
                   {{"region", {{"type", "string"}, {"description", "Region"}, {"x-mcp-header", "Region"}}}}},
                  {"required", {"region"}}}),
        [](const json& args, ToolContext&) { return ToolResult::text("Region: " + args["region"].get<std::string>()); });

    // 2026-07-28 diagnostics (server-stateless).
    r.add_tool(tool("test_missing_capability", "Needs the client's sampling capability"),
               [](const json&, ToolContext& ctx) {
                   ctx.require_client_capability("sampling");
                   return ToolResult::text("The client declared sampling");
               });
    r.add_tool(tool("test_streaming_elicitation", "Asks for input through an input_required result"),
               [](const json&, ToolContext& ctx) {
                   if (ctx.modern() && ctx.client_supports("elicitation")) {
                       json c = accepted(ctx.input_responses(), "confirm");
                       if (c.is_null())
                           ctx.require_input(json{{"confirm", elicit("Please confirm", "ok", "boolean")}});
                   }
                   return ToolResult::text("Streaming elicitation finished");
               });
    r.add_tool(tool("test_logging_tool", "Logs only when the request asks for a log level"),
               [](const json&, ToolContext& ctx) {
                   ctx.log(mcp::LogLevel::kInfo, "test_logging_tool ran");
                   return ToolResult::text("Logging tool finished");
               });
    r.add_tool(tool("test_trigger_tool_change", "Announces a change of the tool list"),
               [](const json&, ToolContext& ctx) {
                   ctx.server().notify_tools_changed();
                   return ToolResult::text("Tool list change announced");
               });
    r.add_tool(tool("test_trigger_prompt_change", "Announces a change of the prompt list"),
               [](const json&, ToolContext& ctx) {
                   ctx.server().notify_prompts_changed();
                   return ToolResult::text("Prompt list change announced");
               });

    // 2026-07-28 MRTR (input_required results).
    r.add_tool(tool("test_input_required_result_elicitation", "Asks the user's name (MRTR)"),
               [](const json&, ToolContext& ctx) {
                   modern_only(ctx);
                   json c = accepted(ctx.input_responses(), "user_name");
                   if (c.is_null() || !c.contains("name") || !c["name"].is_string()) {
                       ctx.require_client_capability("elicitation");
                       ctx.require_input(json{{"user_name", elicit("What is your name?", "name")}});
                   }
                   return ToolResult::text("Hello, " + c["name"].get<std::string>() + "!");
               });
    r.add_tool(tool("test_input_required_result_sampling", "Asks the client's LLM a question (MRTR)"),
               [](const json&, ToolContext& ctx) {
                   modern_only(ctx);
                   std::string text = sampled_text(ctx.input_responses(), "capital_question");
                   if (text.empty()) {
                       ctx.require_client_capability("sampling");
                       ctx.require_input(json{{"capital_question", sample("What is the capital of France?", 100)}});
                   }
                   return ToolResult::text("The model answered: " + text);
               });
    r.add_tool(tool("test_input_required_result_list_roots", "Asks the client for its roots (MRTR)"),
               [](const json&, ToolContext& ctx) {
                   modern_only(ctx);
                   const json& resp = ctx.input_responses();
                   if (!has_roots(resp, "client_roots")) {
                       ctx.require_client_capability("roots");
                       ctx.require_input(json{{"client_roots", list_roots()}});
                   }
                   return ToolResult::text("Client roots: " + resp["client_roots"]["roots"].dump());
               });
    r.add_tool(tool("test_input_required_result_request_state", "Round trip with requestState (MRTR)"),
               [](const json&, ToolContext& ctx) {
                   modern_only(ctx);
                   json c = accepted(ctx.input_responses(), "confirm");
                   const auto& state = ctx.request_state();
                   if (c.is_null() || !state || state->value("step", "") != "confirm") {
                       ctx.require_client_capability("elicitation");
                       ctx.require_input(json{{"confirm", elicit("Please confirm", "ok", "boolean")}},
                                         json{{"step", "confirm"}});
                   }
                   return ToolResult::text("state-ok: requestState validated");
               });
    r.add_tool(tool("test_input_required_result_multiple_inputs", "Asks for three inputs at once (MRTR)"),
               [](const json&, ToolContext& ctx) {
                   modern_only(ctx);
                   const json& resp = ctx.input_responses();
                   json name = accepted(resp, "user_name");
                   std::string greeting = sampled_text(resp, "greeting");
                   bool roots = has_roots(resp, "client_roots");
                   if (name.is_null() || greeting.empty() || !roots || !ctx.request_state()) {
                       ctx.require_input(json{{"user_name", elicit("What is your name?", "name")},
                                              {"greeting", sample("Generate a greeting", 50)},
                                              {"client_roots", list_roots()}},
                                         json{{"step", "multiple"}});
                   }
                   return ToolResult::text("Got name " + name.value("name", std::string("?")) +
                                           ", greeting '" + greeting + "' and " +
                                           std::to_string(resp["client_roots"]["roots"].size()) + " roots");
               });
    r.add_tool(tool("test_input_required_result_multi_round", "Two rounds of questions (MRTR)"),
               [](const json&, ToolContext& ctx) {
                   modern_only(ctx);
                   const json& resp = ctx.input_responses();
                   const auto& state = ctx.request_state();
                   int round = state ? state->value("round", 0) : 0;
                   if (round == 1) {
                       json c = accepted(resp, "step1");
                       if (!c.is_null() && c.contains("name"))
                           ctx.require_input(json{{"step2", elicit("Step 2: What is your favorite color?", "color")}},
                                             json{{"round", 2}, {"name", c["name"]}});
                   } else if (round == 2) {
                       json c = accepted(resp, "step2");
                       if (!c.is_null() && c.contains("color"))
                           return ToolResult::text("Hello " + state->value("name", std::string("?")) +
                                                   ", your favorite color is " +
                                                   c["color"].get<std::string>());
                       ctx.require_input(json{{"step2", elicit("Step 2: What is your favorite color?", "color")}},
                                         *state);
                   }
                   ctx.require_input(json{{"step1", elicit("Step 1: What is your name?", "name")}},
                                     json{{"round", 1}});
               });
    r.add_tool(tool("test_input_required_result_tampered_state", "Rejects a tampered requestState (MRTR)"),
               [](const json&, ToolContext& ctx) {
                   modern_only(ctx);
                   json c = accepted(ctx.input_responses(), "confirm");
                   if (c.is_null() || !ctx.request_state())
                       ctx.require_input(json{{"confirm", elicit("Please confirm", "ok", "boolean")}},
                                         json{{"step", "confirm"}});
                   return ToolResult::text("state-ok: requestState validated");
               });
    r.add_tool(tool("test_input_required_result_capabilities",
                    "Asks only for inputs the client declared (MRTR)"),
               [](const json&, ToolContext& ctx) {
                   modern_only(ctx);
                   const json& resp = ctx.input_responses();
                   if (resp.is_object() && !resp.empty())
                       return ToolResult::text("Received " + std::to_string(resp.size()) + " responses");
                   json requests = json::object();
                   if (ctx.client_supports("sampling"))
                       requests["capital_question"] = sample("What is the capital of France?", 100);
                   if (ctx.client_supports("elicitation"))
                       requests["user_name"] = elicit("What is your name?", "name");
                   if (ctx.client_supports("roots")) requests["client_roots"] = list_roots();
                   if (requests.empty()) return ToolResult::text("The client declared no input capability");
                   ctx.require_input(requests);
               });
}

json with_task_support(json definition, const char* support) {
    definition["execution"] = {{"taskSupport", support}};
    return definition;
}

/// Sleeps in small steps; false when the call (or its task) was cancelled meanwhile.
bool sleep_unless_cancelled(ToolContext& ctx, int64_t ms) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until) {
        if (ctx.cancelled()) return false;
        sleep_ms(20);
    }
    return !ctx.cancelled();
}

/// Fixtures of the 2026-07-28 tasks extension scenarios (tasks-*, SEP-2663).
void register_task_tools(mcp::Registry& r) {
    r.add_tool(tool("greet", "Greets someone (synchronous only)",
                    json{{"type", "object"},
                         {"properties", {{"name", {{"type", "string"}, {"description", "Who to greet"}}}}},
                         {"required", {"name"}}}),
               [](const json& args, ToolContext&) {
                   return ToolResult::text("Hello, " + args["name"].get<std::string>() + "!");
               });
    r.add_tool(
        with_task_support(
            tool("slow_compute", "Computes for `seconds` seconds; may run as a task",
                 json{{"type", "object"},
                      {"properties",
                       {{"seconds", {{"type", "number"}, {"minimum", 0}, {"description", "How long to work"}}},
                        {"label", {{"type", "string"}, {"description", "A name for the computation"}}}}},
                      {"required", {"seconds"}}}),
            "optional"),
        [](const json& args, ToolContext& ctx) {
            const double seconds = args["seconds"].get<double>();
            const std::string label = args.value("label", std::string("computation"));
            if (!sleep_unless_cancelled(ctx, static_cast<int64_t>(seconds * 1000)))
                return ToolResult::text("Computation '" + label + "' was cancelled");
            return ToolResult::text("Computation '" + label + "' finished after " +
                                    json(seconds).dump() + "s");
        });
    r.add_tool(with_task_support(tool("failing_job", "Runs about a second, then fails (tool error)"),
                                 "required"),
               [](const json&, ToolContext& ctx) {
                   sleep_unless_cancelled(ctx, 1000);
                   return ToolResult::error("failing_job failed on purpose: the job reported an error");
               });
    r.add_tool(with_task_support(tool("protocol_error_job", "Fails with a JSON-RPC (protocol) error"),
                                 "optional"),
               [](const json&, ToolContext& ctx) -> ToolResult {
                   sleep_unless_cancelled(ctx, 200);
                   throw mcp::RpcError(mcp::ErrorCode::kInternalError,
                                       "protocol_error_job: simulated internal failure");
               });
    r.add_tool(
        with_task_support(
            tool("confirm_delete", "Asks for confirmation (elicitation), then deletes a file",
                 json{{"type", "object"},
                      {"properties", {{"filename", {{"type", "string"}, {"description", "File to delete"}}}}},
                      {"required", {"filename"}}}),
            "optional"),
        [](const json& args, ToolContext& ctx) {
            const std::string file = args["filename"].get<std::string>();
            const json& resp = ctx.input_responses();
            if (!resp.is_object() || !resp.contains("confirm")) {
                ctx.require_client_capability("elicitation");
                ctx.require_input(json{{"confirm", elicit("Really delete " + file + "?", "confirm", "boolean")}});
            }
            json c = accepted(resp, "confirm");
            if (c.is_null() || c.value("confirm", false) != true)
                return ToolResult::text("Kept " + file + " (not confirmed)");
            return ToolResult::text("Deleted " + file);
        });
    r.add_tool(with_task_support(tool("multi_input", "Asks two questions at once, then answers"), "optional"),
               [](const json&, ToolContext& ctx) {
                   const json& resp = ctx.input_responses();
                   json first = accepted(resp, "first");
                   json second = accepted(resp, "second");
                   if (first.is_null() || second.is_null()) {
                       ctx.require_client_capability("elicitation");
                       ctx.require_input(json{{"first", elicit("First: what is your name?", "name")},
                                              {"second", elicit("Second: what is your name?", "name")}});
                   }
                   return ToolResult::text("Got " + first.value("name", std::string("?")) + " and " +
                                           second.value("name", std::string("?")));
               });
    r.add_tool(
        with_task_support(tool("test_tool_with_task", "Asks a name (MRTR), then finishes as a task"),
                          "required"),
        [](const json&, ToolContext& ctx) {
            json c = accepted(ctx.input_responses(), "user_name");
            if (c.is_null() || !c.contains("name") || !c["name"].is_string()) {
                ctx.require_client_capability("elicitation");
                ctx.require_input(json{{"user_name", elicit("What is your name?", "name")}},
                                  json{{"step", "user_name"}});
            }
            const std::string name = c["name"].get<std::string>();
            ctx.continue_as_task();  // the input is in: the rest runs in the background
            if (!sleep_unless_cancelled(ctx, 300)) return ToolResult::text("Cancelled");
            return ToolResult::text("Hello, " + name + "! (finished as a task)");
        },
        {}, mcp::TaskStart::kInHandler);
}

json text_message(const std::string& text) {
    return json{{"role", "user"}, {"content", {{"type", "text"}, {"text", text}}}};
}

void register_resources(mcp::Registry& r) {
    r.add_resource(json{{"uri", "test://static-text"},
                        {"name", "static-text"},
                        {"title", "Static Text Resource"},
                        {"description", "A static text resource"},
                        {"mimeType", "text/plain"}},
                   [](const std::string& uri, ToolContext&) {
                       return json::array({{{"uri", uri},
                                            {"mimeType", "text/plain"},
                                            {"text", "This is the content of the static text resource."}}});
                   });
    r.add_resource(json{{"uri", "test://static-binary"},
                        {"name", "static-binary"},
                        {"description", "A static binary resource (PNG)"},
                        {"mimeType", "image/png"}},
                   [](const std::string& uri, ToolContext&) {
                       return json::array({{{"uri", uri}, {"mimeType", "image/png"}, {"blob", kPng}}});
                   });
    r.add_resource(json{{"uri", "test://watched-resource"},
                        {"name", "watched-resource"},
                        {"description", "A resource clients may subscribe to"},
                        {"mimeType", "text/plain"}},
                   [](const std::string& uri, ToolContext&) {
                       return json::array({{{"uri", uri}, {"mimeType", "text/plain"}, {"text", "Watched resource content"}}});
                   });
    r.add_resource_template(
        json{{"uriTemplate", "test://template/{id}/data"},
             {"name", "template"},
             {"description", "Data for an id"},
             {"mimeType", "application/json"}},
        [](const std::string& uri, const std::map<std::string, std::string>& vars, ToolContext&) {
            const std::string id = vars.at("id");
            json data{{"id", id}, {"templateTest", true}, {"data", "Data for ID: " + id}};
            return json::array({{{"uri", uri}, {"mimeType", "application/json"}, {"text", data.dump()}}});
        });
}

void register_prompts(mcp::Registry& r) {
    r.add_prompt(json{{"name", "test_simple_prompt"}, {"description", "A simple prompt without arguments"}},
                 [](const std::map<std::string, std::string>&, ToolContext&) {
                     return json{{"messages", json::array({text_message("This is a simple prompt for testing.")})}};
                 });
    r.add_prompt(json{{"name", "test_prompt_with_arguments"},
                      {"description", "A prompt with two required arguments"},
                      {"arguments",
                       json::array({{{"name", "arg1"}, {"description", "First test argument"}, {"required", true}},
                                    {{"name", "arg2"}, {"description", "Second test argument"}, {"required", true}}})}},
                 [](const std::map<std::string, std::string>& a, ToolContext&) {
                     return json{{"messages", json::array({text_message("Prompt with arguments: arg1='" +
                                                                        a.at("arg1") + "', arg2='" +
                                                                        a.at("arg2") + "'")})}};
                 });
    r.add_prompt(json{{"name", "test_prompt_with_embedded_resource"},
                      {"description", "A prompt that embeds a resource"},
                      {"arguments", json::array({{{"name", "resourceUri"},
                                                  {"description", "URI of the resource to embed"},
                                                  {"required", true}}})}},
                 [](const std::map<std::string, std::string>& a, ToolContext&) {
                     return json{{"messages",
                                  json::array({{{"role", "user"},
                                                {"content",
                                                 {{"type", "resource"},
                                                  {"resource",
                                                   {{"uri", a.at("resourceUri")},
                                                    {"mimeType", "text/plain"},
                                                    {"text", "Embedded resource content for testing."}}}}}},
                                               text_message("Please process the embedded resource above.")})}};
                 });
    r.add_prompt(json{{"name", "test_prompt_with_image"}, {"description", "A prompt with an image"}},
                 [](const std::map<std::string, std::string>&, ToolContext&) {
                     return json{{"messages",
                                  json::array({{{"role", "user"},
                                                {"content", {{"type", "image"}, {"data", kPng}, {"mimeType", "image/png"}}}},
                                               text_message("Please analyze the image above.")})}};
                 });
    r.add_prompt(json{{"name", "test_input_required_result_prompt"},
                      {"description", "A prompt that asks for context first (MRTR)"}},
                 [](const std::map<std::string, std::string>&, ToolContext& ctx) {
                     json c = accepted(ctx.input_responses(), "user_context");
                     if (ctx.modern() && (c.is_null() || !c.contains("context")))
                         ctx.require_input(json{{"user_context", elicit("What context should the prompt use?", "context")}});
                     std::string context = c.is_null() ? "none" : c.value("context", "none");
                     return json{{"messages", json::array({text_message("Use this context: " + context)})}};
                 });
    r.add_completer("ref/prompt", "test_prompt_with_arguments", "arg1",
                    [](const std::string& value, const std::map<std::string, std::string>&, mcp::ToolContext&) {
                        std::vector<std::string> out;
                        for (const char* c : {"test1", "test2", "testValue1"})
                            if (std::string(c).rfind(value, 0) == 0) out.emplace_back(c);
                        return out;
                    });
}

}  // namespace

void register_fixtures(mcp::Registry& registry) {
    register_tools(registry);
    register_task_tools(registry);
    register_resources(registry);
    register_prompts(registry);
}

}  // namespace conformance
