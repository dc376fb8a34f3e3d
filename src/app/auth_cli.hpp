// `ghl-mcp auth login|status|locations|logout`: OAuth identities in the token store.
#pragma once

#include "app/config.hpp"

#include "ghl/token_store.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace app {

/// Opens the token store of `c` (SqliteTokenStore, key from GHL_MCP_STORE_KEY or the key file).
/// `create`: make the file and its directory (0700) when missing. Throws std::runtime_error
/// with an actionable message.
std::shared_ptr<ghl::TokenStore> open_token_store(const Config& c, bool create);

struct LoginOptions {
    std::optional<ghl::UserType> user_type;  ///< empty: whatever the person approves
    std::chrono::seconds timeout{300};       ///< how long to wait for the browser
    /// Receives the consent URL once the redirect listener is up (default: print it to stderr).
    std::function<void(const std::string& url)> on_url;
};

/// `auth login`: prints the consent URL, waits on the loopback redirect URI for the code,
/// checks `state`, exchanges the code and stores the identity. Returns the exit status.
int auth_login(const Config& c, const LoginOptions& options);
/// `auth status`: every stored identity (kind, ids, scopes, expiry, needs-login); never tokens.
int auth_status(const Config& c, bool as_json);
/// `auth locations`: the sub-accounts an agency login can act on (/oauth/installedLocations).
int auth_locations(const Config& c, bool as_json);
/// `auth logout [KEY]`: forgets one identity (and the location tokens minted from it) or all.
int auth_logout(const Config& c, const std::string& key);

}  // namespace app
