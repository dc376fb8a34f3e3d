// Header/body agreement checks for 2026-07-28 HTTP requests.
#include "mcp/headers.hpp"

#include "mcp/crypto.hpp"
#include "mcp/registry.hpp"

#include <algorithm>
#include <cctype>

namespace mcp {

namespace {

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

const std::string* find_header(const HeaderMap& h, const std::string& lower_name) {
    auto it = h.find(lower_name);
    return it == h.end() ? nullptr : &it->second;
}

[[noreturn]] void mismatch(const std::string& what) {
    throw RpcError(ErrorCode::kHeaderMismatch, "Header mismatch: " + what, nullptr, 400);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/// Header value for a JSON primitive, as a client would have sent it.
std::optional<std::string> primitive_text(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    if (v.is_number_float()) return v.dump();
    return std::nullopt;
}

bool numbers_equal(const std::string& a, const json& b) {
    try {
        size_t pos = 0;
        double x = std::stod(a, &pos);
        if (pos != a.size()) return false;
        return b.is_number() && x == b.get<double>();
    } catch (...) {
        return false;
    }
}

}  // namespace

std::optional<std::string> decode_header_value(const std::string& value) {
    const std::string raw = trim(value);  // optional whitespace around field values (RFC 9110)
    const std::string prefix = "=?base64?";
    if (raw.size() >= prefix.size() + 2 && raw.compare(0, prefix.size(), prefix) == 0 &&
        raw.compare(raw.size() - 2, 2, "?=") == 0) {
        bool ok = false;
        std::string decoded = base64_decode_strict(
            std::string_view(raw).substr(prefix.size(), raw.size() - prefix.size() - 2), &ok);
        if (!ok) return std::nullopt;
        return decoded;
    }
    return raw;
}

void validate_version_header(const HeaderMap& headers, const std::string& version) {
    const std::string* header = find_header(headers, "mcp-protocol-version");
    if (!header) mismatch("MCP-Protocol-Version header is required");
    if (trim(*header) != version)
        mismatch("MCP-Protocol-Version header (" + *header + ") differs from params._meta (" +
                 version + ")");
}

void validate_http_headers(const HeaderMap& headers, const CallInfo& call, const Registry* registry) {
    const std::string* method = find_header(headers, "mcp-method");
    if (!method) mismatch("Mcp-Method header is required");
    auto decoded_method = decode_header_value(*method);
    if (!decoded_method || *decoded_method != call.method)
        mismatch("Mcp-Method header differs from the request method " + call.method);
    const char* name_field = nullptr;
    if (call.method == "tools/call" || call.method == "prompts/get") name_field = "name";
    if (call.method == "resources/read") name_field = "uri";
    // Tasks extension: the task id routes tasks/* requests to the instance holding the task.
    if (call.method == "tasks/get" || call.method == "tasks/update" || call.method == "tasks/cancel")
        name_field = "taskId";
    if (name_field) {
        const std::string* name = find_header(headers, "mcp-name");
        if (!name) mismatch("Mcp-Name header is required for " + call.method);
        auto decoded = decode_header_value(*name);
        auto body = call.params.find(name_field);
        if (!decoded || body == call.params.end() || !body->is_string() || *decoded != *body)
            mismatch(std::string("Mcp-Name header differs from params.") + name_field);
    }
    // x-mcp-header: tool arguments mirrored in Mcp-Param-<Name> headers.
    if (call.method == "tools/call" && registry) {
        auto name = call.params.find("name");
        if (name == call.params.end() || !name->is_string()) return;
        auto tool = registry->find_tool(name->get<std::string>());
        if (!tool) return;
        const json& props = tool->definition["inputSchema"].value("properties", json::object());
        const json args = call.params.value("arguments", json::object());
        for (const auto& [prop, schema] : props.items()) {
            if (!schema.is_object() || !schema.contains("x-mcp-header")) continue;
            const std::string header = "mcp-param-" + lower(schema["x-mcp-header"].get<std::string>());
            const std::string* raw = find_header(headers, header);
            bool in_body = args.is_object() && args.contains(prop) && !args[prop].is_null();
            if (!raw) {
                if (in_body) mismatch("Mcp-Param header for argument '" + prop + "' is missing");
                continue;
            }
            auto decoded = decode_header_value(*raw);
            if (!decoded) mismatch("Mcp-Param header for '" + prop + "' is not valid base64");
            if (!in_body) mismatch("Mcp-Param header for '" + prop + "' has no argument in the body");
            const json& v = args[prop];
            bool ok;
            if (v.is_number())
                ok = numbers_equal(*decoded, v);
            else
                ok = primitive_text(v) == *decoded;
            if (!ok) mismatch("Mcp-Param header for '" + prop + "' differs from the argument");
        }
    }
}

}  // namespace mcp
