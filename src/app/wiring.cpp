#include "app/wiring.hpp"

#include "tools/reference.hpp"

#include "app/auth_cli.hpp"

#include "ghl/credentials.hpp"
#include "ghl/curl_transport.hpp"
#include "mcp/crypto.hpp"
#include "mcp/session.hpp"
#include "tools/ghl_access.hpp"

#include <ghlsim/simulator.hpp>
#include <spdlog/spdlog.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace app {
namespace {

/// Side messages of an in-process call (logs, progress) go to stderr.
class StderrChannel : public mcp::Channel {
public:
    bool send(const json& message) override {
        spdlog::info("{}", message.dump());
        return true;
    }
    bool open() const override { return true; }
};

}  // namespace

std::shared_ptr<ghl::Client> make_ghl_client(const Config& c) {
    ghl::ClientOptions co;
    co.base_url = c.base_url;
    co.user_agent = std::string("ghl-mcp/") + GHL_MCP_VERSION;
    std::shared_ptr<ghl::RateLimiter> limiter;
    if (c.rate_limits)
        limiter = std::make_shared<ghl::InMemoryRateLimiter>(ghl::InMemoryRateLimiterOptions{*c.rate_limits});
    return std::make_shared<ghl::Client>(co, std::make_shared<ghl::CurlTransport>(), std::move(limiter));
}

std::shared_ptr<ghl::Credentials> make_credentials(const Config& c,
                                                   std::shared_ptr<ghl::Client> client,
                                                   std::string& default_location) {
    default_location = c.location_id;
    if (c.sandbox || c.has_credentials())
        return std::make_shared<ghl::StaticCredentials>(c.token, c.location_id);
    auto store = open_token_store(c, /*create=*/false);
    ghl::OAuthOptions o;
    o.app.client_id = c.client_id;
    o.app.client_secret = c.client_secret;
    o.app.redirect_uri = c.redirect_uri;
    o.app.app_id = c.app_id;
    if (c.crash_after_refresh)
        o.after_commit = [](const ghl::Identity&) {
            std::fputs("GHL_MCP_TEST_CRASH_AFTER_REFRESH: exiting after the commit\n", stderr);
            std::_Exit(86);
        };
    auto creds = std::make_shared<ghl::OAuthCredentials>(o, std::move(client), store);
    const auto described = creds->describe();
    if (described.empty())
        throw std::runtime_error("the token store " + c.token_store +
                                 " holds no login: run `ghl-mcp auth login`, or set "
                                 "GHL_PRIVATE_INTEGRATION_TOKEN and GHL_LOCATION_ID");
    if (c.client_id.empty() || c.client_secret.empty())
        spdlog::warn("GHL_CLIENT_ID/GHL_CLIENT_SECRET are not set: stored OAuth tokens work until "
                     "they expire, and cannot be refreshed");
    if (default_location.empty()) {
        std::vector<std::string> own;  // sub-account logins (not minted tokens)
        for (const auto& i : described)
            if (i.kind == "location") own.push_back(i.location_id);
        if (own.size() == 1 && creds->companies().empty()) default_location = own.front();
    }
    for (const auto& i : described)
        spdlog::info("GHL credential {} ({}{})", i.key, i.kind, i.needs_login ? ", NEEDS LOGIN" : "");
    return creds;
}

std::string instructions(bool sandbox) {
    std::string text =
        "Tools for one GoHighLevel (GHL) CRM: contacts, calendars and bookings, opportunities "
        "and pipelines, conversations and messages, workflows. Every tool accepts an optional "
        "locationId; without it the server's default sub-account is used. Read-only tools are "
        "marked with readOnlyHint; tools that send messages or change records act on real "
        "customer data, so confirm intent before using them. Errors come back as tool results "
        "with isError and a message that says what to fix.";
    if (sandbox)
        text = "SANDBOX: this server is connected to a simulated GHL sub-account with demo data, "
               "not a real CRM. Nothing you do here reaches real customers. " + text;
    return text;
}

App::App(const Config& config, bool offline) : config_(config) {
    anonymous_caller_ = config_.http ? "anonymous" : "stdio";
    if (!offline) {
        // Keys guard HTTP only; a missing keys file is an error (a typo must not mean "no keys").
        if (config_.http && !config_.api_keys_file.empty()) {
            try {
                keys_ = std::make_shared<KeyStore>(config_.api_keys_file, /*create=*/false);
            } catch (const std::exception& e) {
                throw std::runtime_error(std::string("cannot use the API keys file: ") + e.what() +
                                         " (create keys with `ghl-mcp keys create NAME`)");
            }
        }
        std::string audit_path = !config_.audit_db.empty()        ? config_.audit_db
                                 : !config_.api_keys_file.empty() ? default_audit_path(config_.api_keys_file)
                                                                  : std::string();
        if (!audit_path.empty()) {
            AuditRetention retention;
            retention.max_age = config_.audit_max_age;
            retention.max_rows = config_.audit_max_rows;
            audit_ = std::make_shared<AuditLog>(audit_path, retention);
        }
        open_event_store();
    }
    if (config_.sandbox && !offline) {
        ghlsim::Options so;
        so.host = "127.0.0.1";
        so.port = 0;
        // A fresh random token per process: nothing else on this machine can use the sandbox.
        so.tokens = {"sandbox-" + mcp::random_id()};
        so.strict_version = true;  // catch a wrong Version header here, before live GHL does
        // Served over HTTP with an event store: the simulator signs its changes as webhooks and
        // delivers them to our /webhooks/ghl once make_webhooks() tells it where that is.
        if (config_.http && events_) {
            so.webhooks = ghlsim::Webhooks{};
            // As GHL since the legacy header's retirement: X-GHL-Signature (Ed25519) only.
            so.webhooks->sign_rsa = false;
            sandbox_webhooks_ = true;
        }
        if (config_.rate_limits) {
            so.rate.max_requests = config_.rate_limits->burst_max;
            so.rate.interval_ms = static_cast<int>(config_.rate_limits->burst_interval.count());
            so.daily_limit = static_cast<long>(config_.rate_limits->daily_max);
        }
        sandbox_ = std::make_unique<ghlsim::Simulator>(so);
        sandbox_->start();
        config_.base_url = sandbox_->base_url();
        config_.token = so.tokens.front();
        config_.location_id = sandbox_->location_id();
        spdlog::warn("SANDBOX: simulated GHL sub-account {} at {} (seeded demo data, no real CRM)",
                     config_.location_id, config_.base_url);
    }
    env_.server_name = "ghl-mcp";
    env_.server_version = GHL_MCP_VERSION;
    env_.sandbox = config.sandbox;
    env_.api_base_url = config_.base_url;
    env_.default_location_id = config_.location_id;
    if (!offline) {
        auto client = make_ghl_client(config_);
        std::string default_location;
        auto creds = make_credentials(config_, client, default_location);
        env_.default_location_id = default_location;
        env_.oauth_app_id = ghl::OAuthApp{config_.client_id, "", "", config_.app_id}.resolved_app_id();
        // Several sub-accounts (an agency, or several logins): the model needs list_locations
        // to know which ids it may pass, whatever the toolsets.
        if (!creds->companies().empty() || creds->locations().size() > 1)
            config_.surface.extra_tools.push_back("list_locations");
        env_.ghl = std::make_shared<tools::GhlAccess>(std::move(client), std::move(creds),
                                                      default_location);
    }

    if (env_.ghl) env_.cache = std::make_shared<tools::ReferenceCache>();
    env_.events = events_;
    // One secret per process seals what the server hands clients to bring back: MRTR requestState
    // (the MCP server, with this key) and the listing tools' cursors (a key derived from it, so a
    // MAC made for one can never pass for the other). Neither ever leaves the process.
    const std::string state_key = mcp::random_bytes(32);
    env_.cursors = std::make_shared<const tools::CursorSeal>(
        mcp::hmac_sha256(state_key, "ghl-mcp: the key of tools' pagination cursors"));
    // Cursors are bound to the API key that asked for them.
    env_.principal_name = [](const std::any& principal) {
        const Principal* p = principal_of(principal);
        return p ? p->name : std::string();
    };

    {
        std::set<std::string> names;
        for (const auto& d : tools::definitions()) names.insert(d.wire.at("name").get<std::string>());
        metrics_ = std::make_shared<ServerMetrics>(std::move(names));
    }

    registry_ = std::make_shared<mcp::Registry>();
    tools::register_all(*registry_, env_, config_.surface,
                        [this](const tools::Definition& d, mcp::ToolHandler h) { return guarded(d, std::move(h)); });
    // A key sees only the tools of its scope; a hidden tool is an unknown tool to it.
    registry_->set_tool_filter([](const mcp::Tool& tool, const std::any& principal) {
        const Principal* p = principal_of(principal);
        return !p || p->allows_tool(tool);
    });
    tools::register_reference(*registry_, env_, reference_guard());

    mcp::ServerOptions o;
    o.name = "ghl-mcp";
    o.version = GHL_MCP_VERSION;
    o.title = config.sandbox ? "GoHighLevel CRM (SANDBOX)" : "GoHighLevel CRM";
    o.description = "MCP server for the GoHighLevel CRM";
    o.instructions = instructions(config.sandbox);
    o.validate_output = config.validate_output;
    o.default_timeout = config.call_timeout;
    o.state_key = state_key;
    // Tasks (extension) belong to the key that started them.
    o.task_owner = [](const std::any& principal) {
        const Principal* p = principal_of(principal);
        return p ? p->name : std::string();
    };
    // Calls the dispatcher refuses before any handler runs are audited too.
    o.on_refused_call = [this](const std::string& tool, const std::any& principal,
                               const json& arguments, const char* outcome) {
        metrics_->tool_call(tool, outcome, std::chrono::steady_clock::duration::zero());
        if (!audit_) return;
        const Principal* p = principal_of(principal);
        AuditEntry entry;
        entry.caller = p ? p->name : anonymous_caller_;
        entry.tool = tool.substr(0, 64);  // client-chosen text: bounded, never an essay
        entry.location = env_.default_location_id;
        if (arguments.is_object())
            if (auto it = arguments.find("locationId"); it != arguments.end() && it->is_string() &&
                                                        !it->get_ref<const std::string&>().empty())
                entry.location = it->get<std::string>().substr(0, 64);
        entry.outcome = outcome;
        entry.latency_ms = 0;
        audit_->record(entry);
    };
    // A subscription promises future reads of the resource: the same scope check as reading it.
    o.authorize_subscription = [guard = reference_guard()](const std::string& uri, mcp::ToolContext& ctx) {
        const std::string tool = tools::resource_tool(uri);
        if (tool.empty())
            throw mcp::RpcError(mcp::ErrorCode::kInvalidParams,
                                "Unknown resource: " + uri.substr(0, 200) +
                                    " (resources/list and resources/templates/list name the ones to subscribe to)");
        guard(tool, ctx);
    };
    server_ = std::make_unique<mcp::Server>(o, registry_);

    if (env_.ghl) {
        // Our own writes drop the cached resources they may have changed, and subscribers hear it.
        env_.ghl->on_write([this](std::string_view endpoint, const ghl::Params& path,
                                  const std::string& location) {
            for (const auto& listener : write_listeners_) listener(endpoint);
            if (location != env_.default_location_id) return;  // resources show the default location
            for (const auto& uri : tools::stale_after_write(endpoint, path)) {
                env_.cache->invalidate(uri);
                server_->notify_resource_updated(uri);
            }
        });
    }
}

App::~App() {
    server_->shutdown();
    if (sandbox_) sandbox_->stop();
}

mcp::ToolHandler App::guarded(const tools::Definition& definition, mcp::ToolHandler handler) {
    return [this, name = definition.wire.at("name").get<std::string>(),
            handler = std::move(handler)](const json& arguments, mcp::ToolContext& ctx) -> mcp::ToolResult {
        const auto started = std::chrono::steady_clock::now();
        const Principal* p = principal_of(ctx.principal());
        // The sub-account the call acts on: the locationId argument, else the default one.
        std::string location = env_.default_location_id;
        if (auto it = arguments.find("locationId");
            it != arguments.end() && it->is_string() && !it->get_ref<const std::string&>().empty())
            location = it->get<std::string>();
        AuditEntry entry;
        entry.caller = p ? p->name : anonymous_caller_;
        entry.tool = name;
        entry.location = location.substr(0, 64);  // ids are short; never store a pasted essay
        auto finish = [&](const char* outcome) {
            const auto took = std::chrono::steady_clock::now() - started;
            metrics_->tool_call(name, outcome, took);
            if (!audit_) return;
            entry.outcome = outcome;
            entry.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
            audit_->record(entry);
        };
        if (p && !p->allows_location(location)) {
            finish("refused");
            std::string allowed;
            for (const auto& l : p->locations) allowed += (allowed.empty() ? "" : ", ") + l;
            return mcp::ToolResult::error(
                "[auth.location_not_allowed] The API key \"" + p->name + "\" may not act on " +
                (location.empty() ? std::string("the default sub-account (none is configured)")
                                  : "sub-account " + entry.location) +
                ". It may act on: " + allowed + ". Pass one of them as locationId.");
        }
        try {
            mcp::ToolResult r = handler(arguments, ctx);
            finish(r.is_error ? "tool_error" : "ok");
            return r;
        } catch (const mcp::InputRequired&) {
            finish("input_required");
            throw;
        } catch (const mcp::RpcError&) {
            finish("error");
            throw;
        } catch (...) {
            finish("tool_error");  // the dispatcher turns it into an isError result
            throw;
        }
    };
}

std::function<void(const std::string& tool, mcp::ToolContext& ctx)> App::reference_guard() const {
    // Resources and prompts read the default sub-account through a catalog tool: a key may read
    // them only when its scope covers both that tool and that sub-account.
    std::map<std::string, std::pair<std::string, bool>> catalog;  // tool -> (toolset, read-only)
    for (const auto& d : tools::definitions())
        catalog[d.wire.at("name").get<std::string>()] = {d.toolset,
                                                          d.wire["annotations"].value("readOnlyHint", false)};
    return [this, catalog = std::move(catalog)](const std::string& tool, mcp::ToolContext& ctx) {
        const Principal* p = principal_of(ctx.principal());
        // Every read of GHL data outside tools/call (resources, prompts, completions,
        // subscriptions) is audited like a tool call: who, through which method, allowed or not.
        auto audit = [&](const char* outcome) {
            if (!audit_) return;
            AuditEntry entry;
            entry.caller = p ? p->name : anonymous_caller_;
            entry.tool = tool + " via " + ctx.method();
            entry.location = env_.default_location_id;
            entry.outcome = outcome;
            audit_->record(entry);
        };
        if (!p) {
            audit("ok");
            return;
        }
        auto it = catalog.find(tool);
        if (it == catalog.end() || !p->allows_tool(it->second.first, tool, it->second.second)) {
            audit("refused");
            throw mcp::RpcError(mcp::ErrorCode::kInvalidParams,
                                "The API key \"" + p->name + "\" may not read this: it comes from the tool " +
                                    tool + ", which is outside the key's scope");
        }
        if (!p->allows_location(env_.default_location_id)) {
            audit("refused");
            std::string allowed;
            for (const auto& l : p->locations) allowed += (allowed.empty() ? "" : ", ") + l;
            throw mcp::RpcError(mcp::ErrorCode::kInvalidParams,
                                "The API key \"" + p->name + "\" may not read the default sub-account (" +
                                    env_.default_location_id + "), which resources and prompts show. It may act on: " +
                                    allowed + "; use the tools with locationId instead.");
        }
        audit("ok");
    };
}

std::function<mcp::AuthDecision(const mcp::HeaderMap&)> App::authenticator() const {
    if (config_.api_key.empty() && !keys_) return {};
    // GHL_MCP_API_KEY: compare MACs of both values so neither the key nor its length leaks
    // through timing. Keys from the file are compared by their stored hashes (KeyStore::check).
    std::shared_ptr<const std::string> mac_key, expected;
    if (!config_.api_key.empty()) {
        mac_key = std::make_shared<const std::string>(mcp::random_bytes(32));
        expected = std::make_shared<const std::string>(mcp::hmac_sha256(*mac_key, config_.api_key));
    }
    auto keys = keys_;
    return [mac_key, expected, keys](const mcp::HeaderMap& h) {
        mcp::AuthDecision d;
        d.allowed = false;
        d.status = 401;
        d.www_authenticate = "Bearer realm=\"ghl-mcp\"";
        auto it = h.find("authorization");
        static const std::string kBearer = "bearer ";
        std::string given = it == h.end() ? std::string() : it->second;
        std::string scheme = given.substr(0, kBearer.size());
        for (auto& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (it == h.end() || scheme != kBearer || given.size() == kBearer.size()) {
            d.message = "Unauthorized: send Authorization: Bearer <API key> (an operator creates one "
                        "with `ghl-mcp keys create NAME`)";
            return d;
        }
        const std::string key = given.substr(kBearer.size());
        if (expected && mcp::constant_time_equal(mcp::hmac_sha256(*mac_key, key), *expected)) {
            d.allowed = true;
            d.principal = Principal{"GHL_MCP_API_KEY", {}, {}, false};
            return d;
        }
        if (keys) {
            KeyCheck c;
            try {
                c = keys->check(key);
            } catch (const std::exception& e) {
                spdlog::error("API keys file: {}", e.what());
                d.status = 503;
                d.www_authenticate.clear();
                d.message = "Service Unavailable: the API keys store cannot be read";
                return d;
            }
            if (c.status == KeyCheck::Status::kValid) {
                d.allowed = true;
                d.principal = std::move(c.principal);
                return d;
            }
            if (c.status == KeyCheck::Status::kRevoked) {
                d.message = "Unauthorized: this API key (\"" + c.principal.name + "\") was revoked";
                return d;
            }
        }
        d.message = "Unauthorized: the API key is not valid";
        return d;
    };
}

voice::VoiceOptions App::voice_options() const {
    voice::VoiceOptions o;
    o.tools = tools::composite_toolsets().at("voice");
    o.budget = config_.voice_budget;
    o.retry_window = config_.voice_retry_window;
    o.max_calls_per_request = config_.voice_max_calls;
    o.vapi_secret = config_.vapi_secret;
    o.vapi_hmac_secret = config_.vapi_hmac_secret;
    o.retell_api_key = config_.retell_api_key;
    // The voice routes live on the same HTTP server: the same Host/Origin rule as /mcp.
    o.listen_host = config_.http_host;
    o.allowed_hosts = config_.allowed_hosts;
    o.allowed_origins = config_.allowed_origins;
    o.authenticate = authenticator();
    // A platform credential acts for the operator's voice agent: any sub-account, and (enforced
    // by the voice service) only the voice toolset. The name cannot collide with a key's name.
    o.platform_principal = [](const std::string& platform) -> std::any {
        return Principal{"voice:" + platform, {}, {"voice"}, false};
    };
    o.principal_name = [](const std::any& principal) {
        const Principal* p = principal_of(principal);
        return p ? p->name : std::string();
    };
    return o;
}

void App::open_event_store() {
    const std::string path = events_store_path(config_);
    if (path.empty()) return;
    const bool chosen = !config_.events_db.empty();
    try {
        if (!chosen && path != ":memory:") {  // the default place: make its directory (private)
            std::error_code ec;
            const auto dir = std::filesystem::path(path).parent_path();
            if (std::filesystem::create_directories(dir, ec))
                std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
        }
        events_ = std::make_shared<SqliteEventStore>(path, events::Retention{config_.events_max_age,
                                                                             config_.events_max_count});
    } catch (const std::exception& e) {
        if (chosen) throw std::runtime_error(std::string("cannot open the event store: ") + e.what());
        spdlog::warn("no event store ({}): list_recent_events will say so; set GHL_MCP_EVENTS_DB", e.what());
    }
}

namespace {
std::string read_key_file(const std::string& path, const char* what) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(std::string("cannot read the webhook ") + what + " key file " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

std::unique_ptr<events::Receiver> App::make_webhooks(const std::string& base_url) {
    if (!events_) return nullptr;
    events::ReceiverOptions o;
    o.insecure = config_.webhooks_insecure;
    o.max_age = config_.events_max_age;
    if (!config_.webhook_public_key_file.empty())
        o.ed25519_public_pem = read_key_file(config_.webhook_public_key_file, "Ed25519");
    if (config_.webhook_rsa_key_file == "none") o.rsa_public_pem.clear();
    else if (!config_.webhook_rsa_key_file.empty())
        o.rsa_public_pem = read_key_file(config_.webhook_rsa_key_file, "RSA");
    if (sandbox_webhooks_) {  // the simulator signs with its own test keys
        o.ed25519_public_pem = sandbox_->webhook_public_key_pem(ghlsim::WebhookKey::Ed25519);
        o.rsa_public_pem.clear();
    }
    o.on_event = [this](const events::Event& e) {
        // Resources show the default sub-account; subscribers of each view hear of a new event.
        if (!e.location_id.empty() && e.location_id != env_.default_location_id) return;
        server_->notify_resource_updated("ghl://events/recent");
        if (!e.type.empty()) server_->notify_resource_updated("ghl://events/" + e.type);
        if (!e.contact_id.empty()) server_->notify_resource_updated("ghl://contacts/" + e.contact_id + "/events");
    };
    auto receiver = std::make_unique<events::Receiver>(*events_, std::move(o));
    if (sandbox_webhooks_) sandbox_->set_webhook_url(base_url + "/webhooks/ghl");
    return receiver;
}

std::shared_ptr<voice::VoiceService> App::make_voice() {
    auto service = std::make_shared<voice::VoiceService>(*server_, voice_options());
    std::weak_ptr<voice::VoiceService> weak = service;
    write_listeners_.push_back([weak](std::string_view endpoint) {
        if (endpoint.rfind("calendars.", 0) != 0) return;
        if (auto s = weak.lock()) s->invalidate_slots();
    });
    return service;
}

std::string App::ping_ghl(std::chrono::milliseconds timeout) {
    if (!env_.ghl) return "no GHL access is configured";
    if (env_.default_location_id.empty()) return "no default sub-account to probe (set GHL_LOCATION_ID)";
    try {
        const std::string& location = env_.default_location_id;
        env_.ghl->call_detached("calendars.list", {}, {{"locationId", location}}, nullptr, location, timeout);
    } catch (const std::exception& e) {
        std::string why = e.what();
        return why.empty() ? std::string("the probe failed") : why;
    }
    return {};
}

bool App::warm_up() {
    if (!env_.ghl || env_.default_location_id.empty()) return false;
    const auto started = std::chrono::steady_clock::now();
    if (std::string why = ping_ghl(std::chrono::seconds(5)); !why.empty()) {
        spdlog::warn("warming the GHL connection failed (the first call will open it): {}", why);
        return false;
    }
    spdlog::info("GHL connection warm ({} ms)", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                     std::chrono::steady_clock::now() - started)
                                                     .count());
    return true;
}

void App::mount_operations(mcp::HttpTransport& transport, const mcp::HttpOptions& http,
                           const events::Receiver* webhooks) {
    ServerMetrics::Sources sources;
    sources.mode = config_.sandbox ? "sandbox" : "live";
    sources.sessions = [this] { return server_->session_count(); };
    sources.streams = [&transport] { return transport.open_streams(); };
    if (env_.ghl) {
        sources.ghl = [this] { return env_.ghl->client().metrics().snapshot(); };
        sources.renewals = [this] { return env_.ghl->credentials().renewals(); };
    }
    if (webhooks)
        sources.webhooks = [webhooks]() -> std::optional<events::Receiver::Counters> { return webhooks->counters(); };
    metrics_->set_sources(std::move(sources));

    ReadinessSources ready;
    if (env_.ghl) {
        ready.last_ghl_response = [this] { return env_.ghl->client().metrics().last_response(); };
        ready.probe_ghl = [this] { return ping_ghl(std::chrono::seconds(5)); };
    }
    // The stores a request may need to write: OAuth renewals, webhook events, the audit trail.
    if (!config_.sandbox && !config_.has_credentials() && config_.has_token_store())
        ready.stores.emplace_back("tokens", config_.token_store);
    if (events_) ready.stores.emplace_back("events", events_->path());
    if (audit_) ready.stores.emplace_back("audit", audit_->path());

    OpsOptions o;
    o.http = http;
    o.exposed = !mcp::is_loopback_host(http.host);
    app::mount_operations(transport.raw(), o, metrics_, std::make_shared<Readiness>(std::move(ready)));
}

CallOutput App::call(const std::string& name, const json& arguments) {
    json request = {
        {"jsonrpc", "2.0"},
        {"id", 1},
        {"method", "tools/call"},
        {"params",
         {{"name", name},
          {"arguments", arguments},
          {"_meta",
           {{mcp::meta::kProtocolVersion, std::string(mcp::kV20260728)},
            {mcp::meta::kClientInfo, {{"name", "ghl-mcp call"}, {"version", GHL_MCP_VERSION}}},
            {mcp::meta::kClientCapabilities, json::object()}}}}},
    };
    mcp::Incoming in;
    in.channel = std::make_shared<StderrChannel>();
    in.modern = true;
    in.principal = Principal{"local", {}, {}, false};  // the operator at the console: unrestricted
    mcp::Outcome o = server_->handle(request, in);
    CallOutput out;
    if (!o.response) {
        out.protocol_error = "no response";
        return out;
    }
    const json& r = *o.response;
    if (r.contains("error")) {
        out.protocol_error = r["error"].value("message", "unknown error");
        return out;
    }
    const json& result = r["result"];
    out.is_error = result.value("isError", false);
    if (result.contains("structuredContent") && !out.is_error)
        out.result = result["structuredContent"];
    else
        out.result = result.value("content", json::array());
    return out;
}

}  // namespace app
