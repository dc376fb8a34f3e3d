#include "tools/ghl_access.hpp"

#include "ghl/url.hpp"

#include <utility>

namespace tools {

GhlAccess::GhlAccess(std::shared_ptr<ghl::Client> client,
                     std::shared_ptr<ghl::Credentials> credentials, std::string default_location)
    : client_(std::move(client)), credentials_(std::move(credentials)),
      default_location_(std::move(default_location)) {}

std::string GhlAccess::location(const json& arguments) const {
    if (arguments.is_object()) {
        auto it = arguments.find("locationId");
        if (it != arguments.end() && it->is_string() && !it->get<std::string>().empty()) {
            // The schema keeps locationId a bare string (tools/list size); bound it here.
            const std::string& id = it->get_ref<const std::string&>();
            std::string problem = id.size() > 64 ? "is longer than 64 characters" : ghl::id_problem(id);
            if (!problem.empty())
                throw ToolFailure("[tools.invalid_argument] locationId " + problem +
                                  ": pass a sub-account id (get_server_status shows the default one).");
            return id;
        }
    }
    if (!default_location_.empty()) return default_location_;
    throw ToolFailure(
        "[tools.no_location] No sub-account to act on: pass locationId, or start the server with "
        "GHL_LOCATION_ID set.");
}

ghl::Reply GhlAccess::exchange(Scope scope, const std::string& who, std::string_view endpoint,
                               const ghl::Params& path, const ghl::Params& query, const json& body,
                               ghl::CallOptions o, std::string& token) {
    const auto deadline =
        o.deadline.value_or(std::chrono::steady_clock::now() + std::chrono::seconds(30));
    for (int attempt = 0;; ++attempt) {
        ghl::Grant grant = scope == Scope::kLocation ? credentials_->for_location(who, deadline)
                                                     : credentials_->for_company(who, deadline);
        token = grant.token;
        o.token = grant.token;
        o.resource_key = grant.resource_key;
        try {
            return client_->call_reply(endpoint, path, query, body, o);
        } catch (const ghl::ApiError& e) {
            // A 401 means GHL processed nothing: with a fresh token the call may be repeated,
            // once. A PIT has nothing fresher to offer.
            if (attempt == 0 && e.kind() == ghl::ErrorKind::kHttp && e.status() == 401 &&
                credentials_->rejected(grant.token))
                continue;
            throw;
        }
    }
}

json GhlAccess::send(Scope scope, const std::string& who, std::string_view endpoint,
                     const ghl::Params& path, const ghl::Params& query, const json& body,
                     ghl::CallOptions o) {
    std::string token;
    try {
        return exchange(scope, who, endpoint, path, query, body, std::move(o), token).body;
    } catch (const ghl::CredentialError& e) {
        throw ToolFailure(e.what());
    } catch (const ghl::ApiError& e) {
        throw ToolFailure(ghl::redact(e.agent_text(), token));
    }
}

ghl::Reply GhlAccess::probe(std::string_view endpoint, const ghl::Params& path, const ghl::Params& query,
                            const json& body, const std::string& location,
                            std::chrono::milliseconds timeout) {
    ghl::CallOptions o;
    o.deadline = std::chrono::steady_clock::now() + timeout;
    o.request_id = "doctor";
    std::string token;
    return exchange(Scope::kLocation, location, endpoint, path, query, body, std::move(o), token);
}

json GhlAccess::call(mcp::ToolContext& ctx, std::string_view endpoint, const ghl::Params& path,
                     const ghl::Params& query, const json& body, const std::string& location) {
    ghl::CallOptions o;
    // Both clocks are steady_clock: the tool's deadline is the GHL call's deadline.
    o.deadline = ctx.deadline();
    o.request_id = ctx.call_id();
    json out = send(Scope::kLocation, location, endpoint, path, query, body, std::move(o));
    // POST searches read; every other non-GET may have changed something.
    if (on_write_ && ghl::endpoint(endpoint).method != ghl::Method::kGet &&
        endpoint.find("search") == std::string_view::npos)
        on_write_(endpoint, path, location);
    return out;
}

json GhlAccess::call_agency(mcp::ToolContext& ctx, std::string_view endpoint,
                            const ghl::Params& path, const ghl::Params& query, const json& body,
                            const std::string& company_id) {
    ghl::CallOptions o;
    o.deadline = ctx.deadline();
    o.request_id = ctx.call_id();
    return send(Scope::kAgency, company_id, endpoint, path, query, body, std::move(o));
}

json GhlAccess::call_detached(std::string_view endpoint, const ghl::Params& path,
                              const ghl::Params& query, const json& body,
                              const std::string& location, std::chrono::milliseconds timeout) {
    ghl::CallOptions o;
    o.deadline = std::chrono::steady_clock::now() + timeout;
    return send(Scope::kLocation, location, endpoint, path, query, body, std::move(o));
}

}  // namespace tools
