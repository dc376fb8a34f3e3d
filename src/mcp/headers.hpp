// 2026-07-28 Streamable HTTP header rules: MCP-Protocol-Version, Mcp-Method, Mcp-Name and
// Mcp-Param-* (x-mcp-header) must agree with the JSON body.
#pragma once

#include "mcp/context.hpp"

#include <map>
#include <optional>
#include <string>

namespace mcp {

class Registry;
using HeaderMap = std::multimap<std::string, std::string>;

/// Decodes a header value: plain visible ASCII as is, or `=?base64?<b64 of UTF-8>?=`.
/// Returns nullopt for a malformed encoded value.
std::optional<std::string> decode_header_value(const std::string& raw);

/// Throws RpcError(-32020, HTTP 400) unless MCP-Protocol-Version is present and equals `version`.
void validate_version_header(const HeaderMap& headers, const std::string& version);

/// Throws RpcError(-32020, HTTP 400) when a required header is missing or disagrees.
void validate_http_headers(const HeaderMap& headers, const CallInfo& call, const Registry* registry);

}  // namespace mcp
