// How tool handlers reach GHL: the one shared client, the credentials (a Private Integration Token,
// or OAuth identities routed per sub-account) and the default sub-account. A handler never sees a
// token; it names an endpoint from the table (src/ghl/endpoints.cpp) and
// gets parsed JSON back, or a ToolFailure whose text an agent can act on.
#pragma once

#include "ghl/client.hpp"
#include "ghl/credentials.hpp"
#include "mcp/context.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tools {

using json = mcp::json;

/// A tool failure meant for the model: becomes an `isError: true` result with this text.
class ToolFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class GhlAccess {
public:
    GhlAccess(std::shared_ptr<ghl::Client> client, std::shared_ptr<ghl::Credentials> credentials,
              std::string default_location);

    /// The sub-account a call acts on: the `locationId` argument, else the configured default.
    /// Throws ToolFailure when there is neither.
    std::string location(const json& arguments) const;
    const std::string& default_location() const { return default_location_; }

    /// Calls `endpoint` with the caller's deadline and request id, presenting `location`'s token
    /// (refreshed or minted first when needed; a 401 refreshes it and repeats the call once, which
    /// is safe because GHL processed nothing). The rate limit is counted against `location`.
    /// Throws ToolFailure (ghl::ApiError's agent text, or what to do about a missing credential).
    json call(mcp::ToolContext& ctx, std::string_view endpoint, const ghl::Params& path,
              const ghl::Params& query, const json& body, const std::string& location);

    /// Like call(), for work outside a tool call (completions): no request id, `timeout` budget.
    json call_detached(std::string_view endpoint, const ghl::Params& path, const ghl::Params& query,
                       const json& body, const std::string& location,
                       std::chrono::milliseconds timeout);

    /// Like call_detached(), for diagnostics (`ghl-mcp doctor`): the whole reply (status and
    /// headers, e.g. `Date`) and GHL's own errors. Throws ghl::ApiError (status, message) and
    /// ghl::CredentialError instead of ToolFailure; never counts as a write.
    ghl::Reply probe(std::string_view endpoint, const ghl::Params& path, const ghl::Params& query,
                     const json& body, const std::string& location, std::chrono::milliseconds timeout);

    /// Like call(), with the agency token of `company_id` (empty: the only agency identity), for
    /// agency-only endpoints (/oauth/installedLocations).
    json call_agency(mcp::ToolContext& ctx, std::string_view endpoint, const ghl::Params& path,
                     const ghl::Params& query, const json& body, const std::string& company_id);

    /// Called after every successful request that may have changed data (any method but GET,
    /// except POST searches),
    /// e.g. to invalidate cached reference data. Set once at wiring time, before any call.
    using WriteObserver = std::function<void(std::string_view endpoint, const ghl::Params& path,
                                             const std::string& location)>;
    void on_write(WriteObserver observer) { on_write_ = std::move(observer); }

    ghl::Credentials& credentials() { return *credentials_; }
    ghl::Client& client() { return *client_; }
    const ghl::Client& client() const { return *client_; }

private:
    enum class Scope { kLocation, kAgency };
    /// One call with `who`'s token, repeated once with a fresh token after a 401 (OAuth). Throws
    /// ghl::ApiError and ghl::CredentialError as they come; `token` is set to the token used last.
    ghl::Reply exchange(Scope scope, const std::string& who, std::string_view endpoint,
                        const ghl::Params& path, const ghl::Params& query, const json& body,
                        ghl::CallOptions options, std::string& token);
    json send(Scope scope, const std::string& who, std::string_view endpoint,
              const ghl::Params& path, const ghl::Params& query, const json& body,
              ghl::CallOptions options);

    std::shared_ptr<ghl::Client> client_;
    std::shared_ptr<ghl::Credentials> credentials_;
    std::string default_location_;
    WriteObserver on_write_;
};

}  // namespace tools
