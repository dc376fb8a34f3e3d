#include "app/cli.hpp"
#include "core/json.hpp"

#include "app/auth_cli.hpp"
#include "app/config.hpp"
#include "app/doctor.hpp"
#include "app/logging.hpp"
#include "app/wiring.hpp"

#include "ghl/url.hpp"
#include "mcp/http_transport.hpp"
#include "mcp/stdio_transport.hpp"
#include "voice/export.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

namespace app {
namespace {

mcp::HttpOptions http_options(const Config& c, const App& a) {
    mcp::HttpOptions o;
    o.host = c.http_host;
    o.port = c.http_port;
    o.allowed_origins = c.allowed_origins;
    o.allowed_hosts = c.allowed_hosts;
    o.legacy_sse = c.legacy_sse;
    o.authenticate = a.authenticator();
    return o;
}

/// How to reach a freshly started HTTP server: the URL, a curl one-liner and client configs.
/// `webhooks`: an event store is open, so POST /webhooks/ghl will be served (else it is not
/// advertised: GHL does not retry a 404).
std::string connect_help(const Config& c, const std::string& url, bool webhooks) {
    std::string auth = !c.api_key.empty()         ? " -H \"Authorization: Bearer $GHL_MCP_API_KEY\""
                       : !c.api_keys_file.empty() ? " -H 'Authorization: Bearer <your key>'"
                                                  : "";
    std::string h;
    h += "\n";
    if (c.sandbox)
        h += "  SANDBOX: a simulated GHL sub-account with demo data; nothing reaches real customers.\n\n";
    h += "  MCP endpoint (Streamable HTTP):  " + url + "/mcp\n";
    h += "  Legacy HTTP+SSE clients (n8n):   " + url + "/sse\n";
    h += "  Voice agents: Vapi server URL    " + url + "/voice/vapi\n";
    h += "                Retell functions   " + url + "/voice/retell (or /voice/retell/TOOL, args only)\n";
    if (webhooks)
        h += "  GHL webhooks (your app's URL):   " + url + "/webhooks/ghl\n\n";
    else
        h += "  GHL webhooks:                    off (no event store; set GHL_MCP_EVENTS_DB)\n\n";
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
    const bool exposed = c.http && !mcp::is_loopback_host(c.http_host);
    if (exposed && !c.has_api_keys()) {
        std::fprintf(stderr,
                     "Refusing to listen on %s without a credential: anyone who can reach it could "
                     "act on your CRM. Create API keys (ghl-mcp keys create NAME, with "
                     "GHL_MCP_API_KEYS_FILE set) or set GHL_MCP_API_KEY (clients then send "
                     "Authorization: Bearer <key>), or bind to 127.0.0.1.\n",
                     c.http_host.c_str());
        return 2;
    }
    if (exposed && c.webhooks_insecure) {
        std::fprintf(stderr,
                     "Refusing --webhooks-insecure on %s: anyone could post fake GHL events. It is for "
                     "local testing on 127.0.0.1 only.\n",
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
    if (a->keys() && a->keys()->active_count() == 0 && c.api_key.empty())
        spdlog::warn("the API keys file {} holds no active key: every HTTP request will get 401 "
                     "(create one with `ghl-mcp keys create NAME`)",
                     a->keys()->path());
    if (a->audit()) spdlog::info("audit log: {}", a->audit()->path());
    mcp::install_stop_signals();
    if (!c.http) {
        spdlog::info("serving MCP over stdio ({} tools{})", a->server().registry().tools().size(),
                     c.sandbox ? ", SANDBOX" : "");
        mcp::StdioTransport transport(a->server());
        transport.run();
        a->server().shutdown();
        return 0;
    }
    mcp::HttpTransport transport(a->server(), http_options(c, *a));
    try {
        transport.bind();
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    std::string url = "http://" + (c.http_host.find(':') != std::string::npos ? "[" + c.http_host + "]" : c.http_host) +
                      ":" + std::to_string(transport.port());
    if (parse_log_format(c.log_format) == LogFormat::kJson) {
        // A log pipeline reads one JSON object per line: the banner is a log line, without the
        // multi-line help for people.
        spdlog::info("ghl-mcp {} listening on {}/mcp{} (legacy SSE: {}/sse)", GHL_MCP_VERSION, url,
                     c.sandbox ? " [SANDBOX]" : "", url);
    } else {
        std::fprintf(stderr, "ghl-mcp %s listening on %s/mcp%s (legacy SSE: %s/sse)\n", GHL_MCP_VERSION,
                     url.c_str(), c.sandbox ? " [SANDBOX]" : "", url.c_str());
        std::fputs(connect_help(c, url, a->events() != nullptr).c_str(), stderr);
    }
    // Voice agents (Vapi, Retell) on the same server, through the same dispatcher.
    auto voice = a->make_voice();
    voice->mount(transport.raw());
    // GHL webhooks: verified, deduplicated, stored, then shown to subscribed sessions.
    std::unique_ptr<events::Receiver> webhooks;
    try {
        webhooks = a->make_webhooks(url);
    } catch (const std::exception& e) {
        spdlog::critical("webhooks: {}", e.what());
        return 1;
    }
    if (webhooks) {
        webhooks->mount(transport.raw());
        spdlog::info("GHL webhooks: POST {}/webhooks/ghl -> event store {}{}", url, a->events()->path(),
                     c.webhooks_insecure ? " (UNSIGNED DELIVERIES ACCEPTED: --webhooks-insecure)" : "");
    } else {
        spdlog::warn("GHL webhooks: off (no event store; set GHL_MCP_EVENTS_DB)");
    }
    // Health, readiness and Prometheus metrics for whoever operates the server.
    a->mount_operations(transport, http_options(c, *a), webhooks.get());
    std::thread warm([&] { a->warm_up(); });
    std::thread watcher([&] {
        while (!mcp::stop_requested().load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        transport.stop();
    });
    transport.run();
    mcp::stop_requested().store(true);
    watcher.join();
    warm.join();
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
        args = args_text.empty() ? json::object() : core::parse_json(args_text);
    } catch (const json::parse_error& e) {
        std::fprintf(stderr, "ARGS is not valid JSON: %s\n", e.what());
        return 2;
    } catch (const core::JsonTooDeep& e) {
        std::fprintf(stderr, "ARGS: %s\n", e.what());
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

int voice_export(Config& c, const std::string& platform, const std::string& url,
                 const std::string& credential_id) {
    std::unique_ptr<App> app;
    try {
        app = std::make_unique<App>(c, /*offline=*/true);  // definitions need no GHL access
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    std::vector<json> definitions;
    std::string missing;
    for (const auto& name : tools::composite_toolsets().at("voice")) {
        if (auto tool = app->server().registry().find_tool(name)) definitions.push_back(tool->definition);
        else missing += (missing.empty() ? "" : ", ") + name;
    }
    json out;
    try {
        out = voice::export_tools({platform, url, credential_id, c.voice_budget}, definitions);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    std::cout << out.dump(2) << "\n";
    if (!missing.empty())
        std::fprintf(stderr, "left out (not offered with these --toolsets/--tools/--read-only): %s\n",
                     missing.c_str());
    if (platform == "vapi")
        std::fprintf(stderr,
                     "Create each tool with POST https://api.vapi.ai/tool (or paste it in Tools > Create Tool).\n"
                     "Vapi must authenticate: create a credential in Vapi (Bearer token = an API key from\n"
                     "`ghl-mcp keys create`, or X-Vapi-Secret = GHL_MCP_VAPI_SECRET, or HMAC with\n"
                     "GHL_MCP_VAPI_HMAC_SECRET) and pass its id with --credential-id.\n");
    else
        std::fprintf(stderr,
                     "Add these to your Retell LLM's general_tools (or as Custom Functions in the dashboard).\n"
                     "Retell signs each request with your API key: set GHL_MCP_RETELL_API_KEY to the key with\n"
                     "the webhook badge.\n");
    return 0;
}

int doctor(const Config& c, std::vector<ConfigIssue> issues, bool as_json) {
    DoctorOptions o;
    o.config_issues = std::move(issues);
    const DoctorReport report = run_doctor(c, o);
    if (as_json) std::cout << doctor_json(report).dump(2) << "\n";
    else std::cout << doctor_text(report);
    std::cout.flush();
    return report.failed() ? 1 : 0;
}

std::string joined(const std::vector<std::string>& items, const std::string& none) {
    if (items.empty()) return none;
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
}

std::unique_ptr<KeyStore> open_keys(const Config& c, bool create) {
    if (c.api_keys_file.empty())
        throw std::runtime_error("no keys file: set GHL_MCP_API_KEYS_FILE or pass --api-keys-file FILE");
    return std::make_unique<KeyStore>(c.api_keys_file, create);
}

int keys_create(const Config& c, const std::string& name, const std::vector<std::string>& locations,
                const std::vector<std::string>& toolsets, bool read_only) {
    if (auto problem = key_name_problem(name); !problem.empty()) {
        std::fprintf(stderr, "invalid key name \"%s\": %s\n", name.c_str(), problem.c_str());
        return 2;
    }
    const auto valid = tools::toolset_names();
    for (const auto& t : toolsets) {
        if (std::find(valid.begin(), valid.end(), t) == valid.end()) {
            std::fprintf(stderr, "unknown toolset \"%s\"; toolsets: %s\n", t.c_str(), joined(valid, "").c_str());
            return 2;
        }
    }
    for (const auto& l : locations) {
        if (auto problem = ghl::id_problem(l); !problem.empty() || l.size() > 64) {
            std::fprintf(stderr, "invalid location id \"%s\": %s\n", l.c_str(),
                         problem.empty() ? "longer than 64 characters" : problem.c_str());
            return 2;
        }
    }
    std::string key;
    try {
        key = open_keys(c, /*create=*/true)->create(name, locations, toolsets, read_only);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    // The key on stdout, alone (scripts capture it); everything else on stderr.
    std::cout << key << std::endl;
    std::fprintf(stderr,
                 "Created API key \"%s\" (locations: %s; toolsets: %s%s). This is the only time "
                 "it is shown: only its hash is stored. Clients send Authorization: Bearer <key>.\n",
                 name.c_str(), joined(locations, "any").c_str(), joined(toolsets, "all offered").c_str(),
                 read_only ? "; read-only" : "");
    return 0;
}

int keys_list(const Config& c) {
    std::vector<KeyInfo> keys;
    try {
        keys = open_keys(c, /*create=*/false)->list();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    if (keys.empty()) {
        std::fprintf(stderr, "no keys in %s (ghl-mcp keys create NAME)\n", c.api_keys_file.c_str());
        return 0;
    }
    for (const auto& k : keys) {
        std::cout << k.scope.name << (k.revoked_at.empty() ? "" : "  [revoked " + k.revoked_at + "]")
                  << "\n    locations: " << joined(k.scope.locations, "any")
                  << "\n    toolsets:  " << joined(k.scope.toolsets, "all offered")
                  << (k.scope.read_only ? "\n    read-only" : "") << "\n    created:   " << k.created_at
                  << "\n";
    }
    return 0;
}

int keys_revoke(const Config& c, const std::string& name) {
    try {
        if (!open_keys(c, /*create=*/false)->revoke(name)) {
            std::fprintf(stderr, "no active key named \"%s\" (ghl-mcp keys list)\n", name.c_str());
            return 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    std::fprintf(stderr, "revoked \"%s\": it stops working on the next request\n", name.c_str());
    return 0;
}

}  // namespace

int run(int argc, char** argv) {
    CLI::App cli{"ghl-mcp: a Model Context Protocol server for the GoHighLevel CRM.\n\n"
                 "Credentials come from the environment: GHL_PRIVATE_INTEGRATION_TOKEN and\n"
                 "GHL_LOCATION_ID, or OAuth logins (`ghl-mcp auth login`, with GHL_CLIENT_ID and\n"
                 "GHL_CLIENT_SECRET), or --sandbox to try every tool on simulated data.\n"
                 "HTTP clients authenticate with scoped API keys (GHL_MCP_API_KEYS_FILE, see\n"
                 "`ghl-mcp keys`) or GHL_MCP_API_KEY; one is required when listening on a\n"
                 "non-loopback address.",
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
                   "and payments; `voice` is the eight tools a phone agent needs)")
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
    auto* log_level_opt =
        cli.add_option("--log-level", c.log_level,
                       "Log level on stderr: trace, debug (each GHL request), info (each tool call), "
                       "warn, error, critical, off (env GHL_MCP_LOG_LEVEL)")
            ->capture_default_str()
            ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
    auto* log_format_opt =
        cli.add_option("--log-format", c.log_format,
                       "Log format on stderr: text (for people) or json (one object per line with ts, "
                       "level, msg, request_id, tool, session; for log pipelines) (env GHL_MCP_LOG_FORMAT). "
                       "Secrets, e-mail addresses and phone numbers are redacted either way")
            ->capture_default_str()
            ->check(CLI::IsMember({"text", "json"}));

    cli.add_option("--token-store", c.token_store,
                   "SQLite file of OAuth logins, tokens encrypted (env GHL_MCP_TOKEN_STORE; default "
                   "~/.local/state/ghl-mcp/tokens.db; key: GHL_MCP_STORE_KEY or a key file beside it)");
    cli.add_option("--store-key-file", c.store_key_file,
                   "Key file of the token store (env GHL_MCP_STORE_KEY_FILE; default: <token store>.key)");
    cli.add_option("--api-keys-file", c.api_keys_file,
                   "SQLite database of scoped API keys for HTTP clients (env GHL_MCP_API_KEYS_FILE; "
                   "manage with `ghl-mcp keys`)");
    cli.add_option("--audit-db", c.audit_db,
                   "SQLite audit log of tool calls (env GHL_MCP_AUDIT_DB; default: next to the keys file)");
    long audit_max_age_days = 90, audit_max_rows = 1'000'000;
    auto* audit_age_opt =
        cli.add_option("--audit-max-age-days", audit_max_age_days,
                       "Audit rows older than this many days are removed (env GHL_MCP_AUDIT_MAX_AGE_DAYS)")
            ->capture_default_str()
            ->check(CLI::Range(1L, 3650L));
    auto* audit_rows_opt =
        cli.add_option("--audit-max-rows", audit_max_rows,
                       "Most audit rows kept; the oldest go first (env GHL_MCP_AUDIT_MAX_ROWS)")
            ->capture_default_str()
            ->check(CLI::Range(1000L, 1000000000L));

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
    double voice_budget_s = 0;
    auto* voice_budget_opt =
        serve_cmd->add_option("--voice-budget", voice_budget_s,
                              "Seconds a voice request (/voice/vapi, /voice/retell) may take before it "
                              "answers a speakable failure (env GHL_MCP_VOICE_BUDGET; default 2.5)")
            ->check(CLI::Range(0.1, 60.0));
    cli.add_option("--events-db", c.events_db,
                   "SQLite store of GHL webhook events (env GHL_MCP_EVENTS_DB; default "
                   "~/.local/state/ghl-mcp/events.db, in memory with --sandbox; off: none)");
    serve_cmd->add_option("--webhook-public-key", c.webhook_public_key_file,
                          "File with the Ed25519 public key (PEM) that checks X-GHL-Signature on "
                          "/webhooks/ghl (env GHL_MCP_WEBHOOK_PUBLIC_KEY; default: GHL's published key)");
    serve_cmd->add_option("--webhook-rsa-key", c.webhook_rsa_key_file,
                          "File with the RSA public key (PEM) for the legacy X-WH-Signature, or none "
                          "(env GHL_MCP_WEBHOOK_RSA_KEY; default: GHL's published key)");
    serve_cmd->add_flag("--webhooks-insecure", c.webhooks_insecure,
                        "Accept unsigned webhook deliveries (local testing only; loopback binds only)");
    bool no_legacy = false;
    serve_cmd->add_flag("--no-legacy-sse", no_legacy, "Disable the legacy HTTP+SSE transport (/sse, /messages)");

    auto* call_cmd = cli.add_subcommand("call", "Call one tool and print its result as JSON "
                                                "(exit 1 when the tool reports an error)");
    std::string tool_name, tool_args;
    call_cmd->add_option("TOOL", tool_name, "Tool name (see `ghl-mcp tools`)")->required();
    call_cmd->add_option("ARGS", tool_args, "Arguments as a JSON object, e.g. '{\"query\":\"smith\"}'");

    auto* doctor_cmd = cli.add_subcommand(
        "doctor", "Check the configuration, credentials, token scopes against the enabled tools, clock "
                  "and store permissions, and say what to fix (exit 1 when something is wrong)");
    bool doctor_as_json = false;
    std::string doctor_listen;
    doctor_cmd->add_flag("--json", doctor_as_json, "Print [{check, status, detail, fix}] as JSON");
    doctor_cmd->add_option("--http", doctor_listen,
                           "Also check serving HTTP on HOST:PORT as `serve --http` would (API keys off loopback)");

    auto* tools_cmd = cli.add_subcommand("tools", "List the tools this server offers");
    bool tools_json = false;
    tools_cmd->add_flag("--json", tools_json, "Print the full definitions (schemas, annotations)");

    auto* keys_cmd = cli.add_subcommand("keys", "Manage API keys for HTTP clients (GHL_MCP_API_KEYS_FILE)");
    keys_cmd->require_subcommand(1);
    auto* keys_create_cmd = keys_cmd->add_subcommand(
        "create", "Create a key and print it once on stdout (only its hash is stored)");
    std::string key_name;
    std::vector<std::string> key_locations, key_toolsets;
    bool key_read_only = false;
    keys_create_cmd->add_option("NAME", key_name, "Unique name (letters, digits, _ - .)")->required();
    keys_create_cmd->add_option("--locations", key_locations, "Sub-accounts the key may act on (default: any)")
        ->delimiter(',');
    keys_create_cmd->add_option("--toolsets", key_toolsets, "Toolsets the key may use (default: all offered)")
        ->delimiter(',');
    keys_create_cmd->add_flag("--read-only", key_read_only, "Only tools that change nothing");
    keys_cmd->add_subcommand("list", "List keys: names, scopes, created, revoked (never keys or hashes)");
    auto* keys_revoke_cmd = keys_cmd->add_subcommand("revoke", "Revoke a key by name");
    std::string revoke_name;
    keys_revoke_cmd->add_option("NAME", revoke_name, "Key name")->required();

    auto* voice_cmd = cli.add_subcommand("voice", "Voice agents (Vapi, Retell) calling /voice/vapi and /voice/retell");
    voice_cmd->require_subcommand(1);
    auto* voice_export_cmd = voice_cmd->add_subcommand(
        "export", "Print the voice toolset as ready-made Vapi or Retell tool definitions (JSON)");
    std::string export_platform, export_url, export_credential;
    voice_export_cmd->add_option("--platform", export_platform, "vapi or retell")
        ->required()
        ->check(CLI::IsMember({"vapi", "retell"}));
    voice_export_cmd->add_option("--url", export_url, "Public base URL of this server, e.g. https://ghl.example.com")
        ->required();
    voice_export_cmd->add_option("--credential-id", export_credential,
                                 "Vapi: the id of the Vapi credential that authenticates to this server");

    auto* auth_cmd = cli.add_subcommand(
        "auth", "OAuth logins of a marketplace app (GHL_CLIENT_ID, GHL_CLIENT_SECRET, GHL_REDIRECT_URI)");
    auth_cmd->require_subcommand(1);
    auto* auth_login_cmd = auth_cmd->add_subcommand(
        "login", "Print the consent URL, receive the code on the loopback redirect URI, store the tokens");
    std::string login_user_type;
    double login_timeout_s = 300;
    auth_login_cmd->add_option("--user-type", login_user_type,
                               "Location (one sub-account) or Company (an agency: every sub-account the "
                               "app is installed in); default: what the person approves")
        ->check(CLI::IsMember({"Location", "Company", "location", "company", "agency"}));
    auth_login_cmd->add_option("--timeout", login_timeout_s, "Seconds to wait for the browser")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 3600.0));
    auto* auth_status_cmd =
        auth_cmd->add_subcommand("status", "Stored logins: kind, ids, scopes, expiry (never tokens)");
    bool auth_json = false;
    auth_status_cmd->add_flag("--json", auth_json, "Print JSON");
    auto* auth_locations_cmd = auth_cmd->add_subcommand(
        "locations", "Sub-accounts the logins can act on (an agency's installed locations)");
    auth_locations_cmd->add_flag("--json", auth_json, "Print JSON");
    auto* auth_logout_cmd =
        auth_cmd->add_subcommand("logout", "Forget one stored login (KEY from `auth status`) or all");
    std::string logout_key;
    auth_logout_cmd->add_option("KEY", logout_key, "e.g. company:<id> or location:<id>; default: all");

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; a usage error (unknown flag, bad value) exits 2, like
        // every other configuration error.
        return cli.exit(e) == 0 ? 0 : 2;
    }
    // Doctor reports what it sees instead of stopping at the first problem: only what `serve`
    // would call a usage error is one for doctor too (a bad --http).
    std::vector<ConfigIssue> doctor_issues;
    try {
        const std::string base_url_flag = c.base_url, log_level_flag = c.log_level,
                          log_format_flag = c.log_format;
        try {
            apply_environment(c, process_env());
        } catch (const std::exception& e) {
            if (!*doctor_cmd) throw;
            doctor_issues.push_back({e.what(), "fix the setting it names (see ghl-mcp --help and the README's "
                                               "Configuration table)"});
        }
        // Flags win over the environment.
        if (base_url_opt->count() > 0) c.base_url = base_url_flag;
        if (log_level_opt->count() > 0) c.log_level = log_level_flag;
        if (log_format_opt->count() > 0) c.log_format = log_format_flag;
        if (audit_age_opt->count() > 0) c.audit_max_age = std::chrono::hours(24 * audit_max_age_days);
        if (audit_rows_opt->count() > 0) c.audit_max_rows = static_cast<std::size_t>(audit_max_rows);
        setup_logging(c.log_level, parse_log_format(c.log_format).value_or(LogFormat::kText));
        if (*doctor_cmd && log_level_opt->count() == 0) spdlog::set_level(spdlog::level::err);
        try {
            (void)tools::select(c.surface);  // unknown toolsets/tools are a start-up error
        } catch (const std::exception& e) {
            if (!*doctor_cmd) throw;
            doctor_issues.push_back({e.what(), "fix --toolsets/GHL_MCP_TOOLSETS or --tools/GHL_MCP_TOOLS "
                                               "(ghl-mcp tools --toolsets all lists every tool)"});
            c.surface = {};  // check the rest with the default tools
        }
        if (!doctor_listen.empty()) listen = doctor_listen;
        if (!listen.empty()) {
            c.http = true;
            parse_listen_address(listen, c.http_host, c.http_port);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    c.legacy_sse = !no_legacy;
    if (voice_budget_opt->count() > 0)
        c.voice_budget = std::chrono::milliseconds(static_cast<long long>(voice_budget_s * 1000));
    c.call_timeout = std::chrono::milliseconds(static_cast<long long>(call_timeout_s * 1000));
    if (*keys_cmd) {
        if (*keys_create_cmd) return keys_create(c, key_name, key_locations, key_toolsets, key_read_only);
        if (*keys_revoke_cmd) return keys_revoke(c, revoke_name);
        return keys_list(c);
    }
    if (*auth_cmd) {
        if (*auth_login_cmd) {
            LoginOptions lo;
            if (!login_user_type.empty()) lo.user_type = ghl::parse_user_type(login_user_type);
            lo.timeout = std::chrono::seconds(static_cast<long long>(login_timeout_s));
            return auth_login(c, lo);
        }
        if (*auth_status_cmd) return auth_status(c, auth_json);
        if (*auth_locations_cmd) return auth_locations(c, auth_json);
        return auth_logout(c, logout_key);
    }
    if (*voice_export_cmd) return voice_export(c, export_platform, export_url, export_credential);
    if (*doctor_cmd) return doctor(c, doctor_issues, doctor_as_json);
    if (*call_cmd) return call_tool(c, tool_name, tool_args);
    if (*tools_cmd) return list_tools(c, tools_json);
    return serve(c);
}

}  // namespace app
