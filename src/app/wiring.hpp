// Wiring: builds the tool catalog, the MCP server and (later) the GHL client and sandbox from
// a Config. Transports are attached by the CLI.
#pragma once

#include "app/audit.hpp"
#include "app/config.hpp"
#include "app/event_store.hpp"
#include "app/keys.hpp"
#include "app/ops.hpp"

#include "events/receiver.hpp"
#include "mcp/http_transport.hpp"
#include "mcp/server.hpp"
#include "tools/catalog.hpp"
#include "voice/service.hpp"

#include <memory>
#include <string>

namespace ghlsim {
class Simulator;
}
namespace ghl {
class Client;
class Credentials;
}

namespace app {

using json = mcp::json;

/// Result of a one-shot tool call (`ghl-mcp call`).
struct CallOutput {
    json result;                 // structuredContent when present, else the content blocks
    bool is_error = false;       // the tool reported an error (isError)
    std::string protocol_error;  // the call itself failed (unknown tool, ...)
};

class App {
public:
    /// `offline`: build the catalog only (listing tools needs no GHL access). With
    /// config.sandbox, starts the GHL simulator on an ephemeral loopback port first and points
    /// the real client at it (same HTTP, headers, limiter and retries as production).
    explicit App(const Config& config, bool offline = false);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    mcp::Server& server() { return *server_; }
    const tools::Environment& environment() const { return env_; }
    /// The embedded simulator (sandbox mode only), for tests and diagnostics.
    ghlsim::Simulator* sandbox() { return sandbox_.get(); }

    /// Runs one tools/call in-process through the same dispatcher the transports use (caller
    /// "local" in the audit log, unrestricted).
    CallOutput call(const std::string& name, const json& arguments);

    /// Checks `Authorization: Bearer` on HTTP requests against GHL_MCP_API_KEY (unrestricted)
    /// and the keys file (scoped Principal); empty when neither is configured (open).
    std::function<mcp::AuthDecision(const mcp::HeaderMap&)> authenticator() const;
    /// The keys file (HTTP with GHL_MCP_API_KEYS_FILE only), else null.
    KeyStore* keys() { return keys_.get(); }
    /// The audit log (GHL_MCP_AUDIT_DB, or next to the keys file), else null.
    AuditLog* audit() { return audit_.get(); }

    /// The voice door's settings: the config's budget and platform credentials, this App's API
    /// keys, and principals "voice:vapi" / "voice:retell" (any sub-account; the voice toolset).
    voice::VoiceOptions voice_options() const;
    /// Builds the voice service over this App's dispatcher and drops its cached free slots
    /// whenever a calendar changes through any client. Call before serving; the App outlives it.
    std::shared_ptr<voice::VoiceService> make_voice();
    /// The event store (webhook events), else null (GHL_MCP_EVENTS_DB=off, no state directory).
    SqliteEventStore* events() { return events_.get(); }
    /// The receiver for POST /webhooks/ghl of the HTTP server reachable at `base_url`: events go
    /// to the store, and sessions subscribed to ghl://events/recent, ghl://events/{type} or
    /// ghl://contacts/{id}/events hear of each new one. In the sandbox the simulator signs with
    /// its own test keys and delivers its changes here. Null without an event store. Throws
    /// std::runtime_error for an unreadable or invalid key file.
    std::unique_ptr<events::Receiver> make_webhooks(const std::string& base_url);
    /// Opens the GHL connection (TLS, token) before the first caller waits on it; logs and
    /// returns false when GHL does not answer. No-op without GHL access.
    bool warm_up();
    /// One cheap authenticated GHL call (the default sub-account's calendars, one rate-limit
    /// slot) within `timeout`: "" when GHL answered it, else why not.
    std::string ping_ghl(std::chrono::milliseconds timeout);
    /// Tool calls (every transport), GHL requests, renewals, webhooks and sessions.
    ServerMetrics& metrics() { return *metrics_; }
    /// Mounts /healthz, /readyz and /metrics on `transport` (served with `http`; off loopback,
    /// /readyz and /metrics need an API key like /mcp). `webhooks` may be null.
    void mount_operations(mcp::HttpTransport& transport, const mcp::HttpOptions& http,
                          const events::Receiver* webhooks);

private:
    /// Opens the event store events_store_path() names; a store the user chose must open.
    void open_event_store();
    /// Key scoping and auditing around one tool handler (see register_all's decorator).
    mcp::ToolHandler guarded(const tools::Definition& definition, mcp::ToolHandler handler);
    /// Key scoping for resources and prompts (register_reference's guard).
    std::function<void(const std::string& tool, mcp::ToolContext& ctx)> reference_guard() const;

    Config config_;
    std::shared_ptr<KeyStore> keys_;
    std::shared_ptr<AuditLog> audit_;
    std::string anonymous_caller_;                // audit name of unkeyed callers: stdio / anonymous
    std::unique_ptr<ghlsim::Simulator> sandbox_;  // started before, stopped after the server
    std::shared_ptr<SqliteEventStore> events_;
    std::shared_ptr<ServerMetrics> metrics_;
    bool sandbox_webhooks_ = false;  // the simulator delivers signed webhooks (sandbox over HTTP)
    tools::Environment env_;
    std::shared_ptr<mcp::Registry> registry_;
    std::unique_ptr<mcp::Server> server_;
    /// Told after every GHL write (endpoint name); set before serving, read by any thread.
    std::vector<std::function<void(std::string_view endpoint)>> write_listeners_;
};

/// The GHL client of `c` (base URL, user agent, libcurl transport).
std::shared_ptr<ghl::Client> make_ghl_client(const Config& c);

/// The credentials `c` describes: the sandbox's or a Private Integration Token, else the OAuth
/// identities in the token store. `default_location` is set to the sub-account calls without
/// locationId act on (GHL_LOCATION_ID, else the only sub-account identity). Throws
/// std::runtime_error when there is none usable.
std::shared_ptr<ghl::Credentials> make_credentials(const Config& c,
                                                   std::shared_ptr<ghl::Client> client,
                                                   std::string& default_location);

/// The server's instructions text (sent in initialize / server/discover).
std::string instructions(bool sandbox);

}  // namespace app
