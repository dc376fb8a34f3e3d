#include "tools/server_tools.hpp"

#include "mcp/context.hpp"
#include "mcp/server.hpp"

namespace tools {

mcp::ToolHandler make_get_server_status(const Environment& env) {
    return [&env](const json&, mcp::ToolContext& ctx) {
        auto up = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::steady_clock::now() - env.started);
        json location = env.default_location_id.empty() ? json(nullptr) : json(env.default_location_id);
        return mcp::ToolResult::structured_result(json{
            {"server", {{"name", env.server_name}, {"version", env.server_version}}},
            {"mode", env.sandbox ? "sandbox" : "live"},
            {"apiBaseUrl", env.api_base_url},
            {"defaultLocationId", location},
            {"uptimeSeconds", up.count()},
            {"toolCount", ctx.server().registry().tools().size()},
        });
    };
}

}  // namespace tools
