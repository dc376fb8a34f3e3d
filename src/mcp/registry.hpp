// The catalog a server exposes: tools (definitions + handlers), resources, resource templates,
// prompts and completions. Definitions are plain JSON as they appear on the wire.
#pragma once

#include "mcp/json_rpc.hpp"
#include "mcp/schema_validator.hpp"

#include <any>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mcp {

class ToolContext;

/// What a tool handler returns: content blocks, optional structured content, error flag.
struct ToolResult {
    json content = json::array();
    std::optional<json> structured;
    bool is_error = false;

    static ToolResult text(std::string text);
    /// An `isError: true` result: the model sees `message` and can act on it.
    static ToolResult error(std::string message);
    /// Structured output; the text block (its JSON) is added by the server.
    static ToolResult structured_result(json value);
    ToolResult& add_text(std::string text);
};

using ToolHandler = std::function<ToolResult(const json& arguments, ToolContext& ctx)>;

/// A tool's `execution.taskSupport` (wire field; absent means forbidden).
enum class TaskSupport { kForbidden, kOptional, kRequired };

/// When a call that may run as a task (tasks extension) becomes one. Engine side, not on the wire.
enum class TaskStart {
    kBeforeHandler,  // before the handler runs: the client gets the task handle at once
    kInHandler,      // when the handler calls ToolContext::continue_as_task (MRTR input first)
};

/// One tool: its wire definition (name, title, description, inputSchema, outputSchema,
/// annotations, execution, ...) plus metadata that never goes on the wire (toolset, ...).
struct Tool {
    json definition;
    std::string toolset;
    ToolHandler handler;
    std::shared_ptr<const SchemaValidator> input_validator;
    std::shared_ptr<const SchemaValidator> output_validator;
    TaskSupport task_support = TaskSupport::kForbidden;  // from definition.execution.taskSupport
    TaskStart task_start = TaskStart::kBeforeHandler;

    const std::string& name() const { return definition.at("name").get_ref<const std::string&>(); }
    bool read_only() const;
};

/// Reads a resource; returns the `contents` array. Throws RpcError or InputRequired.
using ResourceReader = std::function<json(const std::string& uri, ToolContext& ctx)>;

struct Resource {
    json definition;  // uri, name, title?, description?, mimeType?, ...
    ResourceReader reader;
};

/// A URI template (RFC 6570 level 1: `{var}` segments). `match` extracts the variables.
struct ResourceTemplate {
    json definition;  // uriTemplate, name, ...
    std::function<json(const std::string& uri, const std::map<std::string, std::string>& vars,
                       ToolContext& ctx)>
        reader;
    std::optional<std::map<std::string, std::string>> match(const std::string& uri) const;
};

/// Returns `{description?, messages[]}` for prompts/get.
using PromptHandler = std::function<json(const std::map<std::string, std::string>& arguments,
                                         ToolContext& ctx)>;

struct Prompt {
    json definition;  // name, title?, description?, arguments[{name, description?, required?}]
    PromptHandler handler;
};

/// Completion for one argument of a prompt or a resource template:
/// (argument value typed so far, other arguments already given, the request) -> candidate
/// values. A completer that reads data checks the caller's scope through the context, as a
/// resource or prompt handler does, and may throw RpcError to refuse.
using Completer = std::function<std::vector<std::string>(
    const std::string& value, const std::map<std::string, std::string>& context, ToolContext& ctx)>;

/// Decides whether a principal (e.g. an API key's scope) may see a tool. Empty: everything.
using ToolFilter = std::function<bool(const Tool& tool, const std::any& principal)>;

class Registry {
public:
    /// Adds a tool. The definition must carry name and inputSchema; both schemas are compiled
    /// now, so a bad schema fails at start-up, not on the first call. Throws std::invalid_argument.
    /// `task_start` matters only for tools whose `execution.taskSupport` allows tasks.
    void add_tool(json definition, ToolHandler handler, std::string toolset = {},
                  TaskStart task_start = TaskStart::kBeforeHandler);
    /// Removes a tool (no-op when absent).
    void remove_tool(const std::string& name);
    void add_resource(json definition, ResourceReader reader);
    void add_resource_template(json definition,
                               std::function<json(const std::string&,
                                                  const std::map<std::string, std::string>&,
                                                  ToolContext&)>
                                   reader);
    void add_prompt(json definition, PromptHandler handler);
    /// `ref_type` is "ref/prompt" or "ref/resource"; `ref` the prompt name or template URI.
    void add_completer(const std::string& ref_type, const std::string& ref,
                       const std::string& argument, Completer completer);

    const std::vector<std::shared_ptr<const Tool>>& tools() const { return tools_; }
    std::shared_ptr<const Tool> find_tool(const std::string& name) const;
    const std::vector<Resource>& resources() const { return resources_; }
    const std::vector<ResourceTemplate>& resource_templates() const { return templates_; }
    const std::vector<Prompt>& prompts() const { return prompts_; }
    const Prompt* find_prompt(const std::string& name) const;
    const Completer* find_completer(const std::string& ref_type, const std::string& ref,
                                    const std::string& argument) const;

    void set_tool_filter(ToolFilter filter) { tool_filter_ = std::move(filter); }
    bool tool_visible(const Tool& tool, const std::any& principal) const {
        return !tool_filter_ || tool_filter_(tool, principal);
    }

private:
    std::vector<std::shared_ptr<const Tool>> tools_;
    std::map<std::string, std::shared_ptr<const Tool>, std::less<>> tools_by_name_;
    std::vector<Resource> resources_;
    std::vector<ResourceTemplate> templates_;
    std::vector<Prompt> prompts_;
    std::map<std::string, Completer> completers_;
    ToolFilter tool_filter_;
};

/// Checks a tool name against the MCP rule (SEP-986): 1-128 chars of [A-Za-z0-9_.-].
bool valid_tool_name(std::string_view name);

}  // namespace mcp
