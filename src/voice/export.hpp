// Ready-made tool definitions for voice platforms: the voice toolset as Vapi "function" tools
// (pointing at /voice/vapi) or Retell custom functions (pointing at /voice/retell), built from
// the same schemas the MCP tools use. `ghl-mcp voice export` prints them.
#pragma once

#include "mcp/json_rpc.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace voice {

using json = mcp::json;

struct ExportOptions {
    std::string platform;       // "vapi" or "retell"
    std::string base_url;       // where ghl-mcp is reachable, e.g. https://ghl.example.com
    std::string credential_id;  // Vapi: server.credentialId (created in Vapi); empty: none
    std::chrono::milliseconds budget{2500};  // our answer time; platform timeouts leave room above it
};

/// The platform definitions of `definitions` (MCP wire definitions of voice tools, in order).
/// `locationId` is left out of the parameters (the server's default sub-account is used).
/// Throws std::invalid_argument for an unknown platform or a URL that is not http(s).
json export_tools(const ExportOptions& options, const std::vector<json>& definitions);

}  // namespace voice
