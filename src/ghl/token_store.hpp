// Where OAuth credentials live between processes: identities (an agency or a sub-account that
// authorised our app) with their token pair, and the location tokens minted from agency tokens.
//
// The interface is small so a shared store (PostgreSQL, for several replicas) can replace the
// embedded SQLite one (app::SqliteTokenStore). Implementations keep token values secret at rest
// (encrypted) and never log them.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghl {

/// GHL's `userType` / `user_type`: who authorised the app.
enum class UserType {
    kLocation,  ///< a sub-account token ("Location")
    kCompany,   ///< an agency token ("Company"): mints location tokens
};

std::string_view to_string(UserType type);  ///< "Location" / "Company"
/// "Location"/"location"/"Company"/"company"/"agency"; nullopt otherwise.
std::optional<UserType> parse_user_type(std::string_view text);

/// One access token and what it may do.
struct TokenSet {
    std::string access_token;   ///< secret
    std::string refresh_token;  ///< secret; single-use and rotating. Empty for minted location tokens.
    std::int64_t expires_at = 0;  ///< epoch seconds (wall clock) when access_token stops working
    std::string scope;            ///< space-separated scopes as GHL granted them
};

/// One stored credential.
///
/// Keys: "company:<companyId>" for an agency identity, "location:<locationId>" for a sub-account
/// identity, "company:<companyId>/location:<locationId>" for a location token minted from that
/// agency identity (parent = "company:<companyId>").
struct Identity {
    std::string key;
    UserType user_type = UserType::kLocation;
    std::string company_id;
    std::string location_id;  ///< sub-account identities and minted location tokens
    std::string user_id;      ///< who approved the install, if GHL said
    std::string parent;       ///< key of the agency identity a minted token came from; else empty
    TokenSet tokens;
    /// The refresh token was rejected for good: a human must run `ghl-mcp auth login` again.
    bool needs_login = false;
    std::string needs_login_reason;  ///< e.g. "refresh token rejected: invalid_grant" (no secrets)
    std::int64_t updated_at = 0;     ///< epoch seconds of the last save
};

std::string identity_key_for_company(std::string_view company_id);
std::string identity_key_for_location(std::string_view location_id);
std::string identity_key_for_minted(std::string_view company_id, std::string_view location_id);

/// Held while one process refreshes one identity, so processes sharing a store never spend the
/// same single-use refresh token twice. Released by destruction (and by the OS if the process
/// dies).
class StoreLock {
public:
    virtual ~StoreLock() = default;
};

class TokenStore {
public:
    virtual ~TokenStore() = default;

    /// Every stored identity (minted location tokens included), ordered by key.
    virtual std::vector<Identity> list() = 0;
    virtual std::optional<Identity> load(const std::string& key) = 0;
    /// Inserts or replaces `identity` (by key) and sets updated_at. Durable when it returns (one
    /// committed transaction): the caller may use a new token only after save() returned.
    /// Throws std::runtime_error on failure.
    virtual void save(const Identity& identity) = 0;
    /// Removes `key` and every identity whose parent is `key`; false when there was none.
    virtual bool remove(const std::string& key) = 0;
    /// Removes everything.
    virtual void clear() = 0;
    /// Cross-process exclusion for refreshing `key` (blocks until acquired). Default: none
    /// (a store only one process uses).
    virtual std::unique_ptr<StoreLock> lock(const std::string& /*key*/) { return nullptr; }
};

/// A store in memory (tests; a process without a token store file). Thread-safe.
class MemoryTokenStore final : public TokenStore {
public:
    std::vector<Identity> list() override;
    std::optional<Identity> load(const std::string& key) override;
    void save(const Identity& identity) override;
    bool remove(const std::string& key) override;
    void clear() override;

private:
    std::mutex mu_;
    std::vector<Identity> items_;
};

}  // namespace ghl
