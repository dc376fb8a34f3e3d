// Tools about the server itself (toolset "server").
#pragma once

#include "tools/catalog.hpp"

namespace tools {

mcp::ToolHandler make_get_server_status(const Environment& env);

}  // namespace tools
