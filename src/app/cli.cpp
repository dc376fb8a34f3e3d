#include "app/cli.hpp"

#include "app/config.hpp"
#include "app/wiring.hpp"

#include "mcp/crypto.hpp"
#include "mcp/http_transport.hpp"
#include "mcp/stdio_transport.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <thread>

namespace app {
namespace {

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("ghl-mcp");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    spdlog::set_level(spdlog::level::from_str(level));
}

mcp::HttpOptions http_options(const Config& c) {
    mcp::HttpOptions o;
    o.host = c.http_host;
    o.port = c.http_port;
    o.allowed_origins = c.allowed_origins;
    o.allowed_hosts = c.allowed_hosts;
    o.legacy_sse = c.legacy_sse;
    if (!c.api_key.empty()) {
        // Compare MACs of both values so neither the key nor its length leaks through timing.
        auto mac_key = std::make_shared<std::string>(mcp::random_bytes(32));
        auto expected = std::make_shared<std::string>(mcp::hmac_sha256(*mac_key, c.api_key));
        o.authenticate = [mac_key, expected](const mcp::HeaderMap& h) {
            mcp::AuthDecision d;
            auto it = h.find("authorization");
            std::string given = it == h.end() ? std::string() : it->second;
            static const std::string kBearer = "bearer ";
            bool ok = false;
            if (given.size() > kBearer.size()) {
                std::string scheme = given.substr(0, kBearer.size());
                for (auto& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                ok = scheme == kBearer &&
                     mcp::constant_time_equal(mcp::hmac_sha256(*mac_key, given.substr(kBearer.size())), *expected);
            }
            if (ok) return d;
            d.allowed = false;
            d.status = 401;
            d.www_authenticate = "Bearer realm=\"ghl-mcp\"";
            d.message = it == h.end() ? "Unauthorized: send Authorization: Bearer <GHL_MCP_API_KEY>"
                                      : "Unauthorized: the API key is not valid";
            return d;
        };
    }
    return o;
}

/// How to reach a freshly started HTTP server: the URL, a curl one-liner and client configs.
std::string connect_help(const Config& c, const std::string& url) {
    std::string auth = c.api_key.empty() ? "" : " -H 'Authorization: Bearer $GHL_MCP_API_KEY'";
    std::string h;
    h += "\n";
    if (c.sandbox)
        h += "  SANDBOX: a simulated GHL sub-account with demo data; nothing reaches real customers.\n\n";
    h += "  MCP endpoint (Streamable HTTP):  " + url + "/mcp\n";
    h += "  Legacy HTTP+SSE clients (n8n):   " + url + "/sse\n\n";
    h += "  Try a tool with curl (one stateless 2026-07-28 request):\n";
    h += "    curl -s " + url + "/mcp" + auth +
         " -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\\n"
         "      -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: get_server_status' \\\n"
         "      -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"get_server_status\","
         "\"arguments\":{},\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
         "\"io.modelcontextprotocol/clientCapabilities\":{}}}}'\n\n";
    h += "  Or by hand without HTTP:  ghl-mcp" + std::string(c.sandbox ? " --sandbox" : "") +
         " call get_server_status '{}'\n\n";
    h += "  Claude Code:     claude mcp add --transport http gohighlevel " + url + "/mcp\n";
    h += "  Claude Desktop (claude_desktop_config.json, runs ghl-mcp over stdio):\n";
    h += "    {\"mcpServers\": {\"gohighlevel\": {\"command\": \"/absolute/path/to/ghl-mcp\", \"args\": [\"serve\", \"--stdio\"" +
         std::string(c.sandbox ? ", \"--sandbox\"" : "") + "]}}}\n\n";
    return h;
}

int serve(Config& c) {
    if (auto problem = credential_problem(c); !problem.empty()) {
        std::fputs(problem.c_str(), stderr);
        return 2;
    }
    if (c.http && !mcp::is_loopback_host(c.http_host) && c.api_key.empty()) {
        std::fprintf(stderr,
                     "Refusing to listen on %s without a credential: anyone who can reach it could "
                     "act on your CRM. Set GHL_MCP_API_KEY (clients then send Authorization: Bearer "
                     "<key>) or bind to 127.0.0.1.\n",
                     c.http_host.c_str());
        return 2;
    }
    std::unique_ptr<App> a;
    try {
        a = std::make_unique<App>(c);
    } catch (const std::exception& e) {
        spdlog::critical("start-up failed: {}", e.what());
        return 1;
    }
    mcp::install_stop_signals();
    if (!c.http) {
        spdlog::info("serving MCP over stdio ({} tools{})", a->server().registry().tools().size(),
                     c.sandbox ? ", SANDBOX" : "");
        mcp::StdioTransport transport(a->server());
        transport.run();
        a->server().shutdown();
        return 0;
    }
    mcp::HttpTransport transport(a->server(), http_options(c));
    try {
        transport.bind();
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    std::string url = "http://" + (c.http_host.find(':') != std::string::npos ? "[" + c.http_host + "]" : c.http_host) +
                      ":" + std::to_string(transport.port());
    std::fprintf(stderr, "ghl-mcp %s listening on %s/mcp%s (legacy SSE: %s/sse)\n", GHL_MCP_VERSION,
                 url.c_str(), c.sandbox ? " [SANDBOX]" : "", url.c_str());
    std::fputs(connect_help(c, url).c_str(), stderr);
    std::thread watcher([&] {
        while (!mcp::stop_requested().load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        transport.stop();
    });
    transport.run();
    mcp::stop_requested().store(true);
    watcher.join();
    a->server().shutdown();
    return 0;
}

int list_tools(Config& c, bool as_json) {
    std::unique_ptr<App> app;
    try {
        app = std::make_unique<App>(c, /*offline=*/true);  // listing needs no GHL access
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    App& a = *app;
    if (as_json) {
        json out = json::array();
        for (const auto& t : a.server().registry().tools()) out.push_back(t->definition);
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    for (const auto& t : a.server().registry().tools()) {
        std::string title = t->definition.value("title", "");
        std::cout << t->name() << "  [" << t->toolset << (t->read_only() ? ", read-only" : "")
                  << "]\n    " << title << "\n";
    }
    return 0;
}

int call_tool(Config& c, const std::string& name, const std::string& args_text) {
    if (auto problem = credential_problem(c); !problem.empty()) {
        std::fputs(problem.c_str(), stderr);
        return 2;
    }
    json args;
    try {
        args = args_text.empty() ? json::object() : json::parse(args_text);
    } catch (const json::parse_error& e) {
        std::fprintf(stderr, "ARGS is not valid JSON: %s\n", e.what());
        return 2;
    }
    std::unique_ptr<App> a;
    try {
        a = std::make_unique<App>(c);
    } catch (const std::exception& e) {
        spdlog::critical("start-up failed: {}", e.what());
        return 1;
    }
    CallOutput out = a->call(name, args);
    if (!out.protocol_error.empty()) {
        std::fprintf(stderr, "error: %s\n", out.protocol_error.c_str());
        return 2;
    }
    std::cout << out.result.dump(2) << "\n";
    return out.is_error ? 1 : 0;
}

}  // namespace

int run(int argc, char** argv) {
    CLI::App cli{"ghl-mcp: a Model Context Protocol server for the GoHighLevel CRM.\n\n"
                 "Credentials come from the environment: GHL_PRIVATE_INTEGRATION_TOKEN and\n"
                 "GHL_LOCATION_ID (or --sandbox to try every tool on simulated data).\n"
                 "HTTP clients authenticate with GHL_MCP_API_KEY when it is set (required when\n"
                 "listening on a non-loopback address).",
                 "ghl-mcp"};
    cli.set_version_flag("--version", std::string("ghl-mcp ") + GHL_MCP_VERSION);
    cli.require_subcommand(0, 1);
    cli.fallthrough();

    Config c;
    cli.add_flag("--sandbox", c.sandbox,
                 "Use the embedded GHL simulator (seeded demo sub-account) instead of the real API");
    cli.add_option("--location-id", c.location_id, "Default sub-account (env GHL_LOCATION_ID)");
    auto* base_url_opt =
        cli.add_option("--base-url", c.base_url, "GHL API base URL (env GHL_BASE_URL)")->capture_default_str();
    cli.add_option("--token-file", c.token_file,
                   "Read the Private Integration Token from this file (env GHL_TOKEN_FILE; "
                   "else GHL_PRIVATE_INTEGRATION_TOKEN)");
    cli.add_option("--toolsets", c.surface.toolsets,
                   "Toolsets to offer, comma-separated (env GHL_MCP_TOOLSETS; default: contacts, "
                   "calendars, opportunities, conversations, workflows, analysis; `all` adds location "
                   "and payments)")
        ->delimiter(',');
    cli.add_option("--tools", c.surface.tools,
                   "Offer exactly these tools, comma-separated (env GHL_MCP_TOOLS)")
        ->delimiter(',');
    cli.add_flag("--read-only", c.surface.read_only,
                 "Offer only tools that do not change data (env GHL_MCP_READ_ONLY=1)");
    double call_timeout_s = 300;
    cli.add_option("--call-timeout", call_timeout_s,
                   "Seconds one tool call may take, GHL retries and rate-limit waits included")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 3600.0));
    cli.add_option("--log-level", c.log_level, "stderr log level: trace, debug, info, warn, error, off")
        ->capture_default_str()
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

    auto* serve_cmd = cli.add_subcommand("serve", "Serve MCP (the default): stdio, or HTTP with --http");
    bool stdio_flag = false;
    std::string listen;
    auto* stdio_opt = serve_cmd->add_flag("--stdio", stdio_flag, "Serve over stdin/stdout (the default)");
    serve_cmd->add_option("--http", listen,
                          "Serve Streamable HTTP at /mcp (and legacy SSE at /sse) on HOST:PORT, "
                          "e.g. 127.0.0.1:8787")
        ->excludes(stdio_opt);
    serve_cmd->add_option("--allowed-origin", c.allowed_origins,
                          "Browser Origin allowed besides loopback ones (repeatable)");
    serve_cmd->add_option("--allowed-host", c.allowed_hosts,
                          "Host header value allowed besides loopback ones (repeatable)");
    bool no_legacy = false;
    serve_cmd->add_flag("--no-legacy-sse", no_legacy, "Disable the legacy HTTP+SSE transport (/sse, /messages)");

    auto* call_cmd = cli.add_subcommand("call", "Call one tool and print its result as JSON "
                                                "(exit 1 when the tool reports an error)");
    std::string tool_name, tool_args;
    call_cmd->add_option("TOOL", tool_name, "Tool name (see `ghl-mcp tools`)")->required();
    call_cmd->add_option("ARGS", tool_args, "Arguments as a JSON object, e.g. '{\"query\":\"smith\"}'");

    auto* tools_cmd = cli.add_subcommand("tools", "List the tools this server offers");
    bool tools_json = false;
    tools_cmd->add_flag("--json", tools_json, "Print the full definitions (schemas, annotations)");

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    }
    setup_logging(c.log_level);
    try {
        const std::string base_url_flag = c.base_url;
        apply_environment(c, process_env());
        if (base_url_opt->count() > 0) c.base_url = base_url_flag;  // flags win over the environment
        (void)tools::select(c.surface);  // unknown toolsets/tools are a start-up error
        if (!listen.empty()) {
            c.http = true;
            parse_listen_address(listen, c.http_host, c.http_port);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    c.legacy_sse = !no_legacy;
    c.call_timeout = std::chrono::milliseconds(static_cast<long long>(call_timeout_s * 1000));
    if (*call_cmd) return call_tool(c, tool_name, tool_args);
    if (*tools_cmd) return list_tools(c, tools_json);
    return serve(c);
}

}  // namespace app
