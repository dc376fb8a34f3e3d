#include "app/wiring.hpp"

#include "tools/reference.hpp"

#include "ghl/curl_transport.hpp"
#include "mcp/session.hpp"
#include "tools/ghl_access.hpp"

#include <ghlsim/simulator.hpp>
#include <spdlog/spdlog.h>

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
    if (config_.sandbox && !offline) {
        ghlsim::Options so;
        so.host = "127.0.0.1";
        so.port = 0;
        // A fresh random token per process: nothing else on this machine can use the sandbox.
        so.tokens = {"sandbox-" + mcp::random_id()};
        so.strict_version = true;  // catch a wrong Version header here, before live GHL does
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
        ghl::ClientOptions co;
        co.base_url = config_.base_url;
        co.user_agent = std::string("ghl-mcp/") + GHL_MCP_VERSION;
        auto client = std::make_shared<ghl::Client>(co, std::make_shared<ghl::CurlTransport>());
        env_.ghl = std::make_shared<tools::GhlAccess>(std::move(client), config_.token,
                                                      config_.location_id);
    }

    if (env_.ghl) env_.cache = std::make_shared<tools::ReferenceCache>();

    registry_ = std::make_shared<mcp::Registry>();
    tools::register_all(*registry_, env_, config_.surface);
    tools::register_reference(*registry_, env_);

    mcp::ServerOptions o;
    o.name = "ghl-mcp";
    o.version = GHL_MCP_VERSION;
    o.title = config.sandbox ? "GoHighLevel CRM (SANDBOX)" : "GoHighLevel CRM";
    o.description = "MCP server for the GoHighLevel CRM";
    o.instructions = instructions(config.sandbox);
    o.validate_output = config.validate_output;
    o.default_timeout = config.call_timeout;
    server_ = std::make_unique<mcp::Server>(o, registry_);

    if (env_.ghl) {
        // Our own writes drop the cached resources they may have changed, and subscribers hear it.
        env_.ghl->on_write([this](std::string_view endpoint, const ghl::Params& path,
                                  const std::string& location) {
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
