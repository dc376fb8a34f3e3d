// GHL's OAuth 2.0 side for one marketplace app [D:oauth] [D:auth]: the consent page's stand-in,
// the token endpoint (authorization codes, single-use rotating refresh tokens), agency ->
// location tokens and the installed locations, plus the access tokens the gateway accepts.
#pragma once

#include "api.hpp"

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ghlsim {

/// One sub-account as the OAuth side sees it; fixed once the simulator is built.
struct SubAccount {
    std::string id;
    std::string name;
    std::string address;        ///< one line: "100 Main St, New York, NY 10001, US"
    std::string admin_user_id;  ///< the user who installed the app there
};

/// Every code and token of the app, and the endpoints that issue them. Thread-safe: one mutex
/// guards the tables (no store lock is ever taken under it).
class OAuthServer {
public:
    /// `sub_accounts`: the agency's, the default one first (its admin installs agency-wide).
    /// `installed_at`: when the app was installed everywhere (installedAt).
    OAuthServer(OAuthApp app, std::string company_id, std::vector<SubAccount> sub_accounts,
                Ms installed_at);

    enum class Check { kUnknown, kExpired, kValid };
    /// Looks a bearer token up among the access tokens issued; fills `who` when valid.
    /// An expired one is counted (expired_token_rejections).
    Check authenticate(const std::string& token, Ms now, Principal& who);

    /// An answer of one of the endpoints outside the route table: `redirect` set means 302 to it.
    struct Answer {
        int status = 200;
        Json body;
        std::string redirect;
    };
    /// GET /oauth/chooselocation (and /v2/oauth/chooselocation).
    Answer choose_location(const httplib::Request& req, Ms now);
    /// POST /oauth/token.
    Answer token(const httplib::Request& req, Ms now);

    /// Routed handlers (agency tokens only, see register_oauth_routes).
    Reply location_token(Call& call);
    Reply installed_locations(Call& call);

    /// What choose_location issues on consent; std::invalid_argument on a bad argument.
    std::string issue_code(std::string_view user_type, const std::string& location_id,
                           const std::string& redirect_uri, Ms now);
    void expire_access_tokens();
    /// Adds the OAuth counters.
    void add_counters(Counters& into) const;
    /// The consent URL on `base_url` (see Simulator::authorize_url).
    std::string authorize_url(const std::string& base_url, const std::string& redirect_uri,
                              const std::string& state) const;

private:
    enum class UserType { kLocation, kCompany };

    /// What an installation approved; every code and token carries one.
    struct Grant {
        UserType type = UserType::kLocation;
        std::string location_id;  ///< kLocation only
        std::string user_id;
    };
    struct Code {
        Grant grant;
        std::string redirect_uri;
        Ms expires_at = 0;
        bool used = false;
    };
    struct AccessToken {
        Grant grant;
        Ms expires_at = 0;
        bool forced_expired = false;  ///< expire_access_tokens()
    };
    struct RefreshToken {
        Grant grant;
        Ms expires_at = 0;
        bool used = false;  ///< rotated away: dead forever
    };

    static const char* name_of(UserType type);
    const SubAccount* sub_account(const std::string& id) const;
    bool redirect_allowed(const std::string& uri) const;
    std::string random_hex(std::size_t length);  // mu_ held
    /// A new access and refresh token for `grant` and the token answer carrying them. mu_ held.
    Json issue_pair(const Grant& grant, Ms now);
    Answer exchange_code(const std::map<std::string, std::string>& form, Ms now);
    Answer refresh(const std::map<std::string, std::string>& form, Ms now);

    const OAuthApp app_;
    const std::string company_id_;
    const std::vector<SubAccount> sub_accounts_;
    const Ms installed_at_;

    mutable std::mutex mu_;
    Rng rng_;  // seeded from std::random_device: codes and tokens are not predictable
    std::map<std::string, Code> codes_;
    std::map<std::string, AccessToken> access_;
    std::map<std::string, RefreshToken> refresh_;
    Counters counters_;  // only the OAuth fields
};

}  // namespace ghlsim
