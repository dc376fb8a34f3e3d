// Configuration of one ghl-mcp process: flags > environment (GHL_*, GHL_MCP_*) > defaults.
// Secrets come only from the environment or files, never from flags (they would show in `ps`).
#pragma once

#include "ghl/rate_limiter.hpp"
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

    // OAuth (`ghl-mcp auth login`): the marketplace app and where its tokens are kept.
    std::string client_id;      // GHL_CLIENT_ID
    std::string client_secret;  // GHL_CLIENT_SECRET (environment only; never logged)
    std::string redirect_uri = "http://localhost:8788/oauth/callback";  // GHL_REDIRECT_URI
    std::string app_id;          // GHL_APP_ID; default: the client id's part before '-'
    std::string marketplace_url = "https://marketplace.gohighlevel.com/v2";  // GHL_MARKETPLACE_URL
    /// GHL_MCP_TOKEN_STORE / --token-store: SQLite file of OAuth identities (tokens encrypted).
    /// Default: $XDG_STATE_HOME/ghl-mcp/tokens.db (~/.local/state/ghl-mcp/tokens.db).
    std::string token_store;
    std::optional<std::string> store_key;  // GHL_MCP_STORE_KEY (environment only)
    std::string store_key_file;            // GHL_MCP_STORE_KEY_FILE; default <token store>.key
    /// Test hook (GHL_MCP_TEST_CRASH_AFTER_REFRESH=1): exit right after a refreshed token pair
    /// was committed, before it is used, to prove a crash there loses nothing.
    bool crash_after_refresh = false;

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
    /// --audit-max-age-days / GHL_MCP_AUDIT_MAX_AGE_DAYS, --audit-max-rows /
    /// GHL_MCP_AUDIT_MAX_ROWS: how long audit rows are kept, and how many at most.
    std::chrono::seconds audit_max_age = std::chrono::hours(24 * 90);
    std::size_t audit_max_rows = 1'000'000;
    // Voice agents (POST /voice/vapi, /voice/retell): platform credentials and the time budget.
    std::string vapi_secret;       // GHL_MCP_VAPI_SECRET: X-Vapi-Secret (or Bearer) value
    std::string vapi_hmac_secret;  // GHL_MCP_VAPI_HMAC_SECRET: Vapi HMAC credential's secret
    std::string retell_api_key;    // GHL_MCP_RETELL_API_KEY: verifies X-Retell-Signature
    /// GHL_MCP_VOICE_BUDGET / --voice-budget (seconds): a voice request answers within this.
    std::chrono::milliseconds voice_budget{2500};
    /// GHL_MCP_VOICE_RETRY_WINDOW (seconds, 0 to 60): the same tool + arguments under a new tool
    /// call id is answered from memory this long after the first answer (a platform's retry).
    std::chrono::milliseconds voice_retry_window{10000};
    /// GHL_MCP_VOICE_MAX_CALLS (1 to 100): calls one voice request may carry.
    std::size_t voice_max_calls = 10;
    // GHL webhooks in (POST /webhooks/ghl on the HTTP server) and the event store behind
    // list_recent_events and ghl://events/...
    /// GHL_MCP_EVENTS_DB / --events-db: the SQLite event store ("off": none). Default:
    /// $XDG_STATE_HOME/ghl-mcp/events.db; the sandbox keeps its events in memory.
    std::string events_db;
    /// GHL_MCP_WEBHOOK_PUBLIC_KEY / --webhook-public-key: a file with the Ed25519 public key
    /// (SPKI PEM) X-GHL-Signature is checked with. Default: GHL's published key.
    std::string webhook_public_key_file;
    /// GHL_MCP_WEBHOOK_RSA_KEY / --webhook-rsa-key: the same for the legacy X-WH-Signature
    /// (RSA); "none" refuses legacy-only deliveries. Default: GHL's published key.
    std::string webhook_rsa_key_file;
    /// --webhooks-insecure: accept unsigned deliveries (local testing only; loopback only).
    bool webhooks_insecure = false;
    /// GHL_MCP_EVENTS_MAX_AGE_DAYS / GHL_MCP_EVENTS_MAX_COUNT: how long events are kept.
    std::chrono::seconds events_max_age = std::chrono::hours(24 * 30);
    std::size_t events_max_count = 100000;
    /// --log-level / GHL_MCP_LOG_LEVEL: trace, debug, info, warn, error, critical, off.
    std::string log_level = "info";
    /// --log-format / GHL_MCP_LOG_FORMAT: "text" (for people) or "json" (one object per line).
    std::string log_format = "text";
    /// Benchmarks only (no flag, no variable): the GHL budget our limiter keeps to, and the
    /// sandbox's limit, instead of GHL's published 100 per 10 s. Unset: GHL's limits.
    std::optional<ghl::RateLimits> rate_limits;
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

    /// A Private Integration Token is configured (it wins over OAuth identities).
    bool has_credentials() const { return !token.empty(); }
    /// The token store exists, so OAuth identities may be in it.
    bool has_token_store() const;
    /// True when HTTP callers must present a key (GHL_MCP_API_KEY or a keys file).
    bool has_api_keys() const { return !api_key.empty() || !api_keys_file.empty(); }
    /// True when a voice platform credential is configured.
    bool has_voice_secrets() const {
        return !vapi_secret.empty() || !vapi_hmac_secret.empty() || !retell_api_key.empty();
    }
};

/// Parses "HOST:PORT", "[v6]:PORT" or ":PORT"/"PORT" (host 127.0.0.1). Throws
/// std::invalid_argument with a readable message.
void parse_listen_address(const std::string& text, std::string& host, int& port);

/// The event store the config names: GHL_MCP_EVENTS_DB, else ":memory:" in the sandbox, else
/// beside the token store (events.db); "" when there is none ("off", or no state directory).
std::string events_store_path(const Config& c);

/// Seconds (0.1 to 60, decimals allowed) as a voice budget; throws std::runtime_error.
std::chrono::milliseconds parse_voice_budget(const std::string& seconds);

/// Fills the environment-derived fields that flags did not set and reads --token-file.
/// Throws std::runtime_error with an actionable message (unreadable token file, ...).
void apply_environment(Config& config, const EnvLookup& env);

/// $XDG_STATE_HOME/ghl-mcp/tokens.db, else ~/.local/state/ghl-mcp/tokens.db (empty: no home).
std::string default_token_store(const EnvLookup& env);

/// Why this configuration cannot serve GHL, as text for a human; empty when it can.
std::string credential_problem(const Config& config);

}  // namespace app
