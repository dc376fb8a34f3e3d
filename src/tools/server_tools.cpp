#include "tools/server_tools.hpp"
#include "tools/groups.hpp"

#include "tools/ghl_access.hpp"

#include "mcp/context.hpp"
#include "mcp/server.hpp"

namespace tools {
namespace {

/// One cheap authenticated read of the default sub-account: proves the token, the base URL and
/// the Version headers work, and names the account the assistant is about to act on.
json check_connection(const Environment& env, const json& args, mcp::ToolContext& ctx) {
    json out{{"checked", true}, {"ok", false}, {"locationName", nullptr}, {"latencyMs", nullptr},
             {"error", nullptr}};
    if (!env.ghl) {
        out["error"] = "no GHL client configured";
        return out;
    }
    auto started = std::chrono::steady_clock::now();
    try {
        std::string location = env.ghl->location(args);
        json body = env.ghl->call(ctx, "locations.get", {{"locationId", location}}, {}, nullptr, location);
        out["ok"] = true;
        const json& loc = body.contains("location") ? body["location"] : body;
        if (loc.is_object() && loc.contains("name") && loc["name"].is_string()) out["locationName"] = loc["name"];
    } catch (const ToolFailure& e) {
        out["error"] = e.what();
    }
    out["latencyMs"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
    return out;
}

}  // namespace

mcp::ToolHandler make_get_server_status(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto up = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::steady_clock::now() - env.started);
        json location = env.default_location_id.empty() ? json(nullptr) : json(env.default_location_id);
        json connection{{"checked", false}, {"ok", nullptr}, {"locationName", nullptr},
                        {"latencyMs", nullptr}, {"error", nullptr}};
        if (args.value("checkConnection", true)) connection = check_connection(env, args, ctx);
        json api{{"requests", 0}, {"rateLimited", 0}, {"retries", 0}, {"failures", 0}};
        if (env.ghl) {
            auto total = env.ghl->client().snapshot().total();
            api = {{"requests", total.attempts},
                   {"rateLimited", total.http_429 + total.local_limited},
                   {"retries", total.retries},
                   {"failures", total.failures}};
        }
        return mcp::ToolResult::structured_result(json{
            {"server", {{"name", env.server_name}, {"version", env.server_version}}},
            {"mode", env.sandbox ? "sandbox" : "live"},
            {"apiBaseUrl", env.api_base_url},
            {"defaultLocationId", location},
            {"uptimeSeconds", up.count()},
            {"toolCount", ctx.server().registry().tools().size()},
            {"connection", connection},
            {"ghlApi", api},
        });
    };
}

std::vector<Registration> server_tools() {
    return {{"get_server_status", make_get_server_status}};
}

}  // namespace tools
