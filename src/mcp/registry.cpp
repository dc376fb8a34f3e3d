// Registry: compiles schemas once at registration, looks things up by name, matches templates.
#include "mcp/registry.hpp"

#include <algorithm>
#include <stdexcept>

namespace mcp {

ToolResult ToolResult::text(std::string text) {
    ToolResult r;
    r.add_text(std::move(text));
    return r;
}

ToolResult ToolResult::error(std::string message) {
    ToolResult r = text(std::move(message));
    r.is_error = true;
    return r;
}

ToolResult ToolResult::structured_result(json value) {
    ToolResult r;
    r.structured = std::move(value);
    return r;
}

ToolResult& ToolResult::add_text(std::string text) {
    content.push_back(json{{"type", "text"}, {"text", std::move(text)}});
    return *this;
}

bool Tool::read_only() const {
    auto it = definition.find("annotations");
    if (it == definition.end() || !it->is_object()) return false;
    return it->value("readOnlyHint", false);
}

bool valid_tool_name(std::string_view name) {
    if (name.empty() || name.size() > 128) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

void Registry::add_tool(json definition, ToolHandler handler, std::string toolset,
                        TaskStart task_start) {
    if (!definition.is_object() || !definition.contains("name") ||
        !definition["name"].is_string())
        throw std::invalid_argument("tool definition needs a string name");
    const std::string name = definition["name"];
    if (!valid_tool_name(name)) throw std::invalid_argument("invalid tool name: " + name);
    if (tools_by_name_.count(name)) throw std::invalid_argument("duplicate tool: " + name);
    auto input = definition.find("inputSchema");
    if (input == definition.end() || !input->is_object() || input->value("type", "") != "object")
        throw std::invalid_argument("tool " + name + ": inputSchema must be an object schema");
    if (!handler) throw std::invalid_argument("tool " + name + " has no handler");
    auto tool = std::make_shared<Tool>();
    if (auto ex = definition.find("execution"); ex != definition.end() && ex->contains("taskSupport")) {
        const json& ts = (*ex)["taskSupport"];
        if (ts == "optional")
            tool->task_support = TaskSupport::kOptional;
        else if (ts == "required")
            tool->task_support = TaskSupport::kRequired;
        else if (ts != "forbidden")
            throw std::invalid_argument("tool " + name +
                                        ": execution.taskSupport must be forbidden, optional or required");
    }
    tool->task_start = task_start;
    try {
        tool->input_validator = std::make_shared<SchemaValidator>(*input);
        if (auto out = definition.find("outputSchema"); out != definition.end())
            tool->output_validator = std::make_shared<SchemaValidator>(*out);
    } catch (const std::exception& e) {
        throw std::invalid_argument("tool " + name + ": " + e.what());
    }
    tool->definition = std::move(definition);
    tool->toolset = std::move(toolset);
    tool->handler = std::move(handler);
    tools_by_name_.emplace(name, tool);
    tools_.push_back(std::move(tool));
}

void Registry::remove_tool(const std::string& name) {
    tools_by_name_.erase(name);
    tools_.erase(std::remove_if(tools_.begin(), tools_.end(),
                                [&](const auto& t) { return t->name() == name; }),
                 tools_.end());
}

std::shared_ptr<const Tool> Registry::find_tool(const std::string& name) const {
    auto it = tools_by_name_.find(name);
    return it == tools_by_name_.end() ? nullptr : it->second;
}

void Registry::add_resource(json definition, ResourceReader reader) {
    if (!definition.contains("uri") || !definition.contains("name"))
        throw std::invalid_argument("resource needs uri and name");
    resources_.push_back(Resource{std::move(definition), std::move(reader)});
}

void Registry::add_resource_template(
    json definition,
    std::function<json(const std::string&, const std::map<std::string, std::string>&,
                       ToolContext&)>
        reader) {
    if (!definition.contains("uriTemplate") || !definition.contains("name"))
        throw std::invalid_argument("resource template needs uriTemplate and name");
    templates_.push_back(ResourceTemplate{std::move(definition), std::move(reader)});
}

void Registry::add_prompt(json definition, PromptHandler handler) {
    if (!definition.contains("name")) throw std::invalid_argument("prompt needs a name");
    prompts_.push_back(Prompt{std::move(definition), std::move(handler)});
}

const Prompt* Registry::find_prompt(const std::string& name) const {
    for (const auto& p : prompts_)
        if (p.definition.at("name") == name) return &p;
    return nullptr;
}

void Registry::add_completer(const std::string& ref_type, const std::string& ref,
                             const std::string& argument, Completer completer) {
    completers_[ref_type + "\n" + ref + "\n" + argument] = std::move(completer);
}

const Completer* Registry::find_completer(const std::string& ref_type, const std::string& ref,
                                          const std::string& argument) const {
    auto it = completers_.find(ref_type + "\n" + ref + "\n" + argument);
    return it == completers_.end() ? nullptr : &it->second;
}

std::optional<std::map<std::string, std::string>> ResourceTemplate::match(
    const std::string& uri) const {
    const std::string tpl = definition.at("uriTemplate");
    std::map<std::string, std::string> vars;
    size_t t = 0, u = 0;
    while (t < tpl.size()) {
        if (tpl[t] == '{') {
            size_t close = tpl.find('}', t);
            if (close == std::string::npos) return std::nullopt;
            std::string var = tpl.substr(t + 1, close - t - 1);
            t = close + 1;
            // A variable runs to the next literal character of the template (or the end) and
            // never spans a '/' (level-1 expansion of a path segment).
            char stop = t < tpl.size() ? tpl[t] : '\0';
            size_t end = u;
            while (end < uri.size() && uri[end] != '/' && (stop == '\0' || uri[end] != stop))
                ++end;
            if (end == u) return std::nullopt;
            vars[var] = uri.substr(u, end - u);
            u = end;
        } else {
            if (u >= uri.size() || uri[u] != tpl[t]) return std::nullopt;
            ++t;
            ++u;
        }
    }
    if (u != uri.size()) return std::nullopt;
    return vars;
}

}  // namespace mcp
