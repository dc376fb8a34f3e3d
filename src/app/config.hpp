// Configuration of one ghl-mcp process: flags > environment (GHL_*, GHL_MCP_*) > defaults.
// Secrets come only from the environment or files, never from flags (they would show in `ps`).
#pragma once

#include "tools/catalog.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace app {

/// Reads one environment variable (injectable for tests).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_env();

struct Config {
    // GHL side.
    bool sandbox = false;
    std::string base_url = "https://services.leadconnectorhq.com";
    std::string location_id;  // GHL_LOCATION_ID / --location-id
    std::string token;        // GHL_PRIVATE_INTEGRATION_TOKEN or --token-file (never logged)
    std::string token_file;

    // Which tools are offered (--toolsets / GHL_MCP_TOOLSETS, --tools / GHL_MCP_TOOLS,
    // --read-only / GHL_MCP_READ_ONLY).
    tools::Surface surface;

    // Our side.
    bool http = false;          // serve over HTTP instead of stdio
    std::string http_host = "127.0.0.1";
    int http_port = 8787;
    std::vector<std::string> allowed_origins;
    std::vector<std::string> allowed_hosts;
    bool legacy_sse = true;
    std::string api_key;  // GHL_MCP_API_KEY: one unrestricted Bearer credential for HTTP
    /// GHL_MCP_API_KEYS_FILE / --api-keys-file: SQLite database of named, scoped API keys
    /// (`ghl-mcp keys create|list|revoke`).
    std::string api_keys_file;
    /// GHL_MCP_AUDIT_DB / --audit-db: SQLite audit log of tool calls. Default: next to the keys
    /// file; with neither, no audit log is kept.
    std::string audit_db;
    std::string log_level = "info";
    /// How long one tool call may take, GHL retries and rate-limit waits included
    /// (--call-timeout seconds). Past it the call fails with a clear error instead of hanging.
    std::chrono::milliseconds call_timeout{std::chrono::minutes(5)};
    /// Check every structuredContent against the tool's outputSchema (a violation becomes an
    /// isError result naming it). On in tests and debug builds; GHL_MCP_VALIDATE_OUTPUT=1.
#ifdef NDEBUG
    bool validate_output = false;
#else
    bool validate_output = true;
#endif

    bool has_credentials() const { return !token.empty(); }
    /// True when HTTP callers must present a key (GHL_MCP_API_KEY or a keys file).
    bool has_api_keys() const { return !api_key.empty() || !api_keys_file.empty(); }
};

/// Parses "HOST:PORT", "[v6]:PORT" or ":PORT"/"PORT" (host 127.0.0.1). Throws
/// std::invalid_argument with a readable message.
void parse_listen_address(const std::string& text, std::string& host, int& port);

/// Fills the environment-derived fields that flags did not set and reads --token-file.
/// Throws std::runtime_error with an actionable message (unreadable token file, ...).
void apply_environment(Config& config, const EnvLookup& env);

/// Why this configuration cannot serve GHL, as text for a human; empty when it can.
std::string credential_problem(const Config& config);

}  // namespace app
