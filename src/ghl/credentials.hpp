// Which token a GHL call presents, and keeping OAuth tokens alive.
//
// - StaticCredentials: a Private Integration Token for one sub-account.
// - OAuthCredentials: identities from `ghl-mcp auth login` in a TokenStore. Sub-account (Location)
//   identities are used directly; an agency (Company) identity mints location tokens through
//   /oauth/locationToken, cached per location until they expire (persisted too).
//
// Refresh is done the only safe way for GHL's single-use, rotating refresh tokens: proactively
// shortly before expiry and once after a 401; every caller of one identity shares a single
// in-flight refresh (and processes sharing a store exclude each other with TokenStore::lock);
// the new pair is committed to the store before anyone uses it, so a crash never strands the only
// valid refresh token. A refresh GHL rejects for good marks the identity as needing login, and
// every call says so.
//
// Thread-safe. Never logs or throws token values.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ghl/client.hpp"
#include "ghl/token_store.hpp"

namespace ghl {

/// A marketplace app's OAuth client (GHL_CLIENT_ID, GHL_CLIENT_SECRET, redirect URI).
struct OAuthApp {
    std::string client_id;
    std::string client_secret;  ///< secret
    std::string redirect_uri;
    /// GHL_APP_ID, else the client id's part before '-' (GHL client ids read "<appId>-<suffix>";
    /// UNVERIFIED beyond observed ids). /oauth/installedLocations needs it.
    std::string app_id;

    std::string resolved_app_id() const;
};

/// No usable credential for a call; the text says what to do. code(): auth.no_credential,
/// auth.needs_login, auth.refresh_failed, auth.busy.
class CredentialError : public std::runtime_error {
public:
    CredentialError(std::string code, const std::string& message)
        : std::runtime_error("[" + code + "] " + message), code_(std::move(code)) {}
    const std::string& code() const { return code_; }

private:
    std::string code_;
};

/// What a call presents: the bearer token and the rate-limit bucket it counts against.
struct Grant {
    std::string token;         ///< secret
    std::string resource_key;  ///< the location id (the company id for agency calls)
};

/// A credential as `auth status` and list_locations show it (never token values).
struct CredentialInfo {
    std::string key;  ///< "location:<id>", "company:<id>", "company:<c>/location:<l>", "pit:<id>"
    std::string kind;  ///< "private_integration_token", "location", "agency", "minted_location"
    std::string company_id;
    std::string location_id;
    std::string scope;
    std::int64_t expires_at = 0;  ///< epoch seconds; 0: unknown (a PIT does not say)
    bool refreshable = false;
    bool needs_login = false;
    std::string needs_login_reason;
};

/// Token renewals so far (for /metrics).
struct RenewalCounters {
    std::uint64_t refreshes = 0;  ///< access tokens refreshed with a refresh token
    std::uint64_t mints = 0;      ///< location tokens obtained from an agency token
    std::uint64_t failures = 0;   ///< refreshes or mints GHL refused or that could not complete
};

class Credentials {
public:
    virtual ~Credentials() = default;

    /// The token for acting on sub-account `location_id`; may refresh or mint first (bounded by
    /// `deadline`). Throws CredentialError when we hold nothing usable for it.
    virtual Grant for_location(const std::string& location_id, Clock::time_point deadline) = 0;
    /// An agency token for `company_id` (empty: the only agency identity). Throws CredentialError.
    virtual Grant for_company(const std::string& company_id, Clock::time_point deadline) = 0;
    /// GHL answered 401 to `token`: the next grant of that credential refreshes (or re-mints)
    /// first. Returns false when there is nothing to refresh (a PIT): retrying is pointless.
    virtual bool rejected(const std::string& token) = 0;
    /// Every credential held, ordered by key.
    virtual std::vector<CredentialInfo> describe() = 0;
    /// The sub-accounts we hold a credential for (minted ones included), for error texts.
    virtual std::vector<std::string> locations() = 0;
    /// Agency identities (company ids).
    virtual std::vector<std::string> companies() = 0;
    /// Renewals made so far; nothing for credentials that never renew (a PIT).
    virtual RenewalCounters renewals() const { return {}; }
};

/// A Private Integration Token (or the sandbox's token) of one sub-account.
class StaticCredentials final : public Credentials {
public:
    StaticCredentials(std::string token, std::string location_id);
    Grant for_location(const std::string& location_id, Clock::time_point deadline) override;
    Grant for_company(const std::string& company_id, Clock::time_point deadline) override;
    bool rejected(const std::string&) override { return false; }
    std::vector<CredentialInfo> describe() override;
    std::vector<std::string> locations() override;
    std::vector<std::string> companies() override { return {}; }

private:
    std::string token_;
    std::string location_;
};

struct OAuthOptions {
    OAuthApp app;
    /// Refresh when less than this is left of an access token's life (at most half of the life
    /// it was issued for, known from Identity::updated_at).
    std::chrono::seconds refresh_margin{300};
    /// Test hook: runs right after a refreshed pair was committed to the store and before it is
    /// used (the crash test kills the process here).
    std::function<void(const Identity&)> after_commit;
};

class OAuthCredentials final : public Credentials {
public:
    /// Loads every identity from `store`. `client` makes the /oauth calls (its clock decides
    /// expiry).
    OAuthCredentials(OAuthOptions options, std::shared_ptr<Client> client,
                     std::shared_ptr<TokenStore> store);
    ~OAuthCredentials() override;

    Grant for_location(const std::string& location_id, Clock::time_point deadline) override;
    Grant for_company(const std::string& company_id, Clock::time_point deadline) override;
    bool rejected(const std::string& token) override;
    std::vector<CredentialInfo> describe() override;
    std::vector<std::string> locations() override;
    std::vector<std::string> companies() override;

    /// How many refreshes (and location-token mints) this object made, for tests and metrics.
    int refreshes() const;
    int mints() const;
    RenewalCounters renewals() const override;

private:
    struct Slot;
    std::shared_ptr<Slot> slot(const std::string& key);
    std::shared_ptr<Slot> find(const std::string& key);
    Grant grant(Slot& slot, Clock::time_point deadline);
    void refresh(Slot& slot, Clock::time_point deadline);
    void mint(Slot& slot, Clock::time_point deadline);
    std::string no_credential_text(const std::string& location_id);
    std::int64_t now_s() const;
    /// How long before expiry `id` is refreshed: the configured margin, at most half its life.
    std::int64_t margin(const Identity& id) const;

    OAuthOptions options_;
    std::shared_ptr<Client> client_;
    std::shared_ptr<TokenStore> store_;
    mutable std::mutex mu_;
    std::map<std::string, std::shared_ptr<Slot>> slots_;
    std::atomic<int> refreshes_{0};
    std::atomic<int> mints_{0};
    std::atomic<int> renewal_failures_{0};
};

// ---- the authorization-code flow (`ghl-mcp auth login`) ----

/// The consent page URL: `<marketplace>/oauth/chooselocation?response_type=code&redirect_uri=…
/// &client_id=…&scope=…&state=…`. `marketplace_base` is e.g.
/// "https://marketplace.gohighlevel.com/v2" (or the simulator's base URL + "/v2").
std::string authorization_url(std::string_view marketplace_base, const OAuthApp& app,
                              const std::vector<std::string>& scopes, std::string_view state);

/// Exchanges an authorization code at /oauth/token for an identity (not yet stored).
/// `user_type` empty: let GHL decide from the code. Throws ApiError.
Identity exchange_code(Client& client, const OAuthApp& app, const std::string& code,
                       std::optional<UserType> user_type, Clock::time_point deadline);

/// The identity a /oauth/token answer describes, expiry taken from `now_s` + expires_in.
/// Throws std::runtime_error when the answer lacks a token.
Identity identity_from_token_response(const nlohmann::json& body, std::int64_t now_s);

}  // namespace ghl
