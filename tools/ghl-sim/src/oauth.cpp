// GHL's OAuth 2.0 side [D:oauth] [D:auth], ghl-api.md sections 9 and N4. Where GHL documents
// nothing (the consent page, the token endpoint's error bodies, code lifetime), the behaviour is
// RFC 6749's; the README lists those choices as UNVERIFIED.
#include "oauth.hpp"

#include <algorithm>
#include <cctype>
#include <random>
#include <stdexcept>

namespace ghlsim {

namespace {

constexpr Ms kCodeLifetime = 10 * timeutil::kMinute;
/// "Refresh tokens are valid for a year unless they are used" [D:auth].
constexpr Ms kRefreshLifetime = 365 * timeutil::kDay;

/// The token endpoint's error: RFC 6749's fields plus GHL's usual statusCode/message, so that
/// parsers of either kind find what they look for (GHL's own shape is undocumented).
OAuthServer::Answer oauth_error(int status, const std::string& error,
                                const std::string& description) {
    return {status,
            Json{{"statusCode", status},
                 {"error", error},
                 {"error_description", description},
                 {"message", description}},
            ""};
}

ApiError forbidden() {
    return {403, Json{{"statusCode", 403},
                      {"message", "You do not have permission to access this resource"},
                      {"error", "Forbidden"}}};
}

std::string lower_ascii(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool is_form(const httplib::Request& req) {
    return lower_ascii(req.get_header_value("Content-Type"))
               .rfind("application/x-www-form-urlencoded", 0) == 0;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte (a malformed escape
/// stays as written).
std::string form_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

struct Form {
    std::map<std::string, std::string> values;  ///< the first value of each name
    std::string repeated;                       ///< a name given more than once, if any
};

Form parse_form(std::string_view body) {
    Form form;
    while (!body.empty()) {
        const std::size_t amp = body.find('&');
        const std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        std::string name = form_decode(pair.substr(0, eq));
        std::string value = eq == std::string_view::npos ? "" : form_decode(pair.substr(eq + 1));
        if (!form.values.emplace(name, std::move(value)).second && form.repeated.empty()) {
            form.repeated = std::move(name);
        }
    }
    return form;
}

std::string value_of(const std::map<std::string, std::string>& form, const std::string& name) {
    const auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
std::string percent_encode(std::string_view value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += ch;
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

/// `uri` with the parameters appended to its query (RFC 6749 4.1.2: keep what it has).
std::string with_query(const std::string& uri,
                       const std::vector<std::pair<std::string, std::string>>& params) {
    std::string out = uri;
    bool need_separator = !out.empty() && out.back() != '?' && out.back() != '&';
    const bool has_query = uri.find('?') != std::string::npos;
    if (!has_query) {
        out += '?';
        need_separator = false;
    }
    for (const auto& [name, value] : params) {
        if (need_separator) out += '&';
        out += name + "=" + percent_encode(value);
        need_separator = true;
    }
    return out;
}

/// http://127.0.0.1[:PORT][/PATH][?QUERY] or the same with localhost; no fragment.
bool is_loopback_uri(std::string_view uri) {
    if (uri.find('#') != std::string_view::npos) return false;
    for (const std::string_view origin : {std::string_view("http://127.0.0.1"),
                                          std::string_view("http://localhost")}) {
        if (uri.substr(0, origin.size()) != origin) continue;
        std::string_view rest = uri.substr(origin.size());
        if (!rest.empty() && rest.front() == ':') {
            rest.remove_prefix(1);
            std::size_t digits = 0;
            long port = 0;
            while (digits < rest.size() && digits < 6 &&
                   std::isdigit(static_cast<unsigned char>(rest[digits]))) {
                port = port * 10 + (rest[digits] - '0');
                ++digits;
            }
            if (digits == 0 || port < 1 || port > 65535) return false;
            rest.remove_prefix(digits);
        }
        return rest.empty() || rest.front() == '/' || rest.front() == '?';
    }
    return false;
}

std::uint64_t random_seed() {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace

std::string OAuthApp::app_id() const { return client_id.substr(0, client_id.find('-')); }

OAuthServer::OAuthServer(OAuthApp app, std::string company_id,
                         std::vector<SubAccount> sub_accounts, Ms installed_at)
    : app_(std::move(app)), company_id_(std::move(company_id)),
      sub_accounts_(std::move(sub_accounts)), installed_at_(installed_at), rng_(random_seed()) {
    if (sub_accounts_.empty()) throw std::invalid_argument("ghl-sim: OAuth needs a sub-account");
}

const char* OAuthServer::name_of(UserType type) {
    return type == UserType::kCompany ? "Company" : "Location";
}

const SubAccount* OAuthServer::sub_account(const std::string& id) const {
    for (const SubAccount& s : sub_accounts_) {
        if (s.id == id) return &s;
    }
    return nullptr;
}

bool OAuthServer::redirect_allowed(const std::string& uri) const {
    if (app_.redirect_uris.empty()) return is_loopback_uri(uri);
    return std::find(app_.redirect_uris.begin(), app_.redirect_uris.end(), uri) !=
           app_.redirect_uris.end();
}

std::string OAuthServer::random_hex(std::size_t length) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    while (out.size() < length) {
        std::uint64_t bits = rng_.next();
        for (int i = 0; i < 16 && out.size() < length; ++i, bits >>= 4) out += kHex[bits & 15];
    }
    return out;
}

OAuthServer::Check OAuthServer::authenticate(const std::string& token, Ms now, Principal& who) {
    std::lock_guard lock(mu_);
    const auto it = access_.find(token);
    if (it == access_.end()) return Check::kUnknown;
    if (it->second.forced_expired || now >= it->second.expires_at) {
        ++counters_.expired_token_rejections;
        return Check::kExpired;
    }
    const Grant& g = it->second.grant;
    who.company_id = company_id_;
    who.user_id = g.user_id;
    if (g.type == UserType::kCompany) {
        who.kind = Principal::Kind::kCompany;
        who.location_id.clear();
        who.budget = "company:" + company_id_;
    } else {
        who.kind = Principal::Kind::kLocation;
        who.location_id = g.location_id;
        who.budget = "location:" + g.location_id;
    }
    return Check::kValid;
}

std::string OAuthServer::issue_code(std::string_view user_type, const std::string& location_id,
                                    const std::string& redirect_uri, Ms now) {
    Grant grant;
    if (user_type == "Company") {
        grant.type = UserType::kCompany;
        grant.user_id = sub_accounts_.front().admin_user_id;
    } else if (user_type == "Location") {
        const SubAccount* sub = sub_account(location_id);
        if (sub == nullptr) {
            throw std::invalid_argument("ghl-sim: " + location_id +
                                        " is not a sub-account of the agency");
        }
        grant.location_id = sub->id;
        grant.user_id = sub->admin_user_id;
    } else {
        throw std::invalid_argument("ghl-sim: user type '" + std::string(user_type) +
                                    "' is neither Company nor Location");
    }
    if (!redirect_allowed(redirect_uri)) {
        throw std::invalid_argument("ghl-sim: redirect_uri '" + redirect_uri +
                                    "' is not registered for the app");
    }
    std::lock_guard lock(mu_);
    // Codes past their lifetime are refused whether they are kept or not: drop them.
    std::erase_if(codes_, [now](const auto& entry) { return now >= entry.second.expires_at; });
    std::string code;
    do {
        code = random_hex(40);
    } while (codes_.count(code) != 0);
    codes_[code] = Code{grant, redirect_uri, now + kCodeLifetime, false};
    ++counters_.oauth_codes_issued;
    return code;
}

OAuthServer::Answer OAuthServer::choose_location(const httplib::Request& req, Ms now) {
    const auto query = [&](const char* name) {
        return req.has_param(name) ? req.get_param_value(name) : std::string();
    };
    // Nothing is sent to a redirect URI before both the client and the URI are known good.
    if (query("client_id") != app_.client_id) {
        return oauth_error(400, "invalid_request", "Unknown client_id");
    }
    std::string redirect_uri = query("redirect_uri");
    if (!req.has_param("redirect_uri")) {
        if (app_.redirect_uris.size() != 1) {
            return oauth_error(400, "invalid_request", "redirect_uri is required");
        }
        redirect_uri = app_.redirect_uris.front();
    } else if (!redirect_allowed(redirect_uri)) {
        return oauth_error(400, "invalid_request",
                           "redirect_uri is not registered for this app");
    }

    // The simulator's stand-ins for the user's choices on the consent page.
    const std::string user_type = req.has_param("sim_user_type") ? query("sim_user_type")
                                                                  : std::string("Location");
    if (user_type != "Location" && user_type != "Company") {
        return oauth_error(400, "invalid_request", "sim_user_type must be Location or Company");
    }
    const std::string location_id = req.has_param("sim_location_id")
                                        ? query("sim_location_id")
                                        : sub_accounts_.front().id;
    if (sub_account(location_id) == nullptr) {
        return oauth_error(400, "invalid_request",
                           "sim_location_id " + location_id +
                               " is not a sub-account of the agency");
    }

    std::vector<std::pair<std::string, std::string>> params;
    if (query("response_type") != "code") {
        params.emplace_back("error", "unsupported_response_type");
    } else if (query("sim_deny") == "1" || query("sim_deny") == "true") {
        params.emplace_back("error", "access_denied");
    } else {
        params.emplace_back("code", issue_code(user_type, location_id, redirect_uri, now));
    }
    if (req.has_param("state")) params.emplace_back("state", query("state"));
    return {302, Json::object(), with_query(redirect_uri, params)};
}

Json OAuthServer::issue_pair(const Grant& grant, Ms now) {
    std::string access;
    do {
        access = random_hex(64);
    } while (access_.count(access) != 0);
    std::string refresh;
    do {
        refresh = random_hex(64);
    } while (refresh_.count(refresh) != 0);
    access_[access] = AccessToken{grant, now + app_.access_ttl_s * Ms{1000}, false};
    refresh_[refresh] = RefreshToken{grant, now + kRefreshLifetime, false};

    Json out;
    out["access_token"] = access;
    out["token_type"] = "Bearer";
    out["expires_in"] = app_.access_ttl_s;
    out["refresh_token"] = refresh;
    out["scope"] = app_.scope;
    out["userType"] = name_of(grant.type);
    if (grant.type == UserType::kLocation) out["locationId"] = grant.location_id;
    out["companyId"] = company_id_;
    if (grant.type == UserType::kCompany) {
        Json approved = Json::array();
        for (const SubAccount& s : sub_accounts_) approved.push_back(s.id);
        out["approvedLocations"] = approved;
    }
    out["userId"] = grant.user_id;
    if (!app_.plan_id.empty()) out["planId"] = app_.plan_id;
    out["isBulkInstallation"] = false;
    if (grant.type == UserType::kCompany) {
        // "only for company tokens" [D:oauth]: installed on every sub-account, future ones too.
        out["installToFutureLocations"] = true;
        out["approveAllLocations"] = true;
    }
    return out;
}

OAuthServer::Answer OAuthServer::token(const httplib::Request& req, Ms now) {
    if (!is_form(req)) {
        return oauth_error(400, "invalid_request",
                           "The body must be application/x-www-form-urlencoded");
    }
    const Form form = parse_form(req.body);
    if (!form.repeated.empty()) {
        return oauth_error(400, "invalid_request", form.repeated + " is given more than once");
    }
    const std::string client_id = value_of(form.values, "client_id");
    if (client_id.empty() || client_id != app_.client_id ||
        value_of(form.values, "client_secret") != app_.client_secret) {
        return oauth_error(401, "invalid_client", "Invalid client credentials");
    }
    if (form.values.count("user_type") != 0) {
        const std::string user_type = value_of(form.values, "user_type");
        if (user_type != "Company" && user_type != "Location") {
            return oauth_error(400, "invalid_request", "user_type must be Company or Location");
        }
    }
    const std::string grant_type = value_of(form.values, "grant_type");
    if (grant_type.empty()) return oauth_error(400, "invalid_request", "grant_type is required");
    if (grant_type == "authorization_code") return exchange_code(form.values, now);
    if (grant_type == "refresh_token") return refresh(form.values, now);
    return oauth_error(400, "unsupported_grant_type",
                       "grant_type " + grant_type + " is not supported");
}

OAuthServer::Answer OAuthServer::exchange_code(const std::map<std::string, std::string>& form,
                                               Ms now) {
    const std::string code = value_of(form, "code");
    if (code.empty()) return oauth_error(400, "invalid_request", "code is required");
    std::lock_guard lock(mu_);
    const auto it = codes_.find(code);
    if (it == codes_.end() || it->second.used || now >= it->second.expires_at) {
        return oauth_error(400, "invalid_grant",
                           "The authorization code is invalid, expired or already used");
    }
    // A mismatch refuses the request without using the code up.
    if (form.count("redirect_uri") != 0 &&
        value_of(form, "redirect_uri") != it->second.redirect_uri) {
        return oauth_error(400, "invalid_grant",
                           "redirect_uri differs from the one the code was issued for");
    }
    if (form.count("user_type") != 0 &&
        value_of(form, "user_type") != name_of(it->second.grant.type)) {
        return oauth_error(400, "invalid_grant",
                           std::string("user_type differs from what was approved: ") +
                               name_of(it->second.grant.type));
    }
    it->second.used = true;
    ++counters_.oauth_code_exchanges;
    return {200, issue_pair(it->second.grant, now), ""};
}

OAuthServer::Answer OAuthServer::refresh(const std::map<std::string, std::string>& form, Ms now) {
    const std::string token = value_of(form, "refresh_token");
    if (token.empty()) return oauth_error(400, "invalid_request", "refresh_token is required");
    std::lock_guard lock(mu_);
    const auto it = refresh_.find(token);
    if (it == refresh_.end() || it->second.used || now >= it->second.expires_at) {
        ++counters_.oauth_refresh_rejected;
        return oauth_error(400, "invalid_grant",
                           "The refresh token is invalid, expired or already used");
    }
    if (form.count("user_type") != 0 &&
        value_of(form, "user_type") != name_of(it->second.grant.type)) {
        return oauth_error(400, "invalid_grant",
                           std::string("user_type differs from the token's: ") +
                               name_of(it->second.grant.type));
    }
    // Rotation: this refresh token is dead from now on; the access tokens issued before keep
    // their own expiry.
    it->second.used = true;
    ++counters_.oauth_refreshes;
    const Grant grant = it->second.grant;
    return {200, issue_pair(grant, now), ""};
}

Reply OAuthServer::location_token(Call& call) {
    if (!is_form(call.req)) {
        throw ApiError::bad_request("The body must be application/x-www-form-urlencoded");
    }
    const Form form = parse_form(call.req.body);
    Json body = Json::object();
    for (const auto& [name, value] : form.values) body[name] = value;
    validate_body(body, {{"companyId", Kind::kString, true}, {"locationId", Kind::kString, true}},
                  false);
    if (str(body, "companyId") != call.who.company_id) throw forbidden();
    const SubAccount* sub = sub_account(str(body, "locationId"));
    if (sub == nullptr) throw ApiError::bad_request("Location not found or app not installed");

    std::lock_guard lock(mu_);
    std::string token;
    do {
        token = random_hex(64);
    } while (access_.count(token) != 0);
    Grant grant;
    grant.type = UserType::kLocation;
    grant.location_id = sub->id;
    grant.user_id = call.who.user_id;
    access_[token] = AccessToken{grant, call.now + app_.location_token_ttl_s * Ms{1000}, false};
    ++counters_.location_tokens_issued;

    Json out;
    out["access_token"] = token;
    out["token_type"] = "Bearer";
    out["expires_in"] = app_.location_token_ttl_s;
    out["scope"] = app_.scope;
    out["locationId"] = sub->id;
    if (!app_.plan_id.empty()) out["planId"] = app_.plan_id;
    out["userId"] = grant.user_id;
    out["appId"] = app_.app_id();
    out["versionId"] = app_.version_id;
    return {200, out};
}

Reply OAuthServer::installed_locations(Call& call) {
    validate_query(call, {{"companyId", Kind::kString, true},
                          {"appId", Kind::kString, true},
                          {"skip", Kind::kNumber},
                          {"limit", Kind::kNumber},
                          {"isInstalled", Kind::kBool},
                          {"onTrial", Kind::kBool}});
    if (call.query("companyId") != call.who.company_id) throw forbidden();
    if (call.query("appId") != app_.app_id()) {
        throw ApiError::bad_request("appId " + call.query("appId") +
                                    " is not the app this token was issued to");
    }
    const long skip = query_int(call, "skip", 0, 0, 1000000);
    const long limit = query_int(call, "limit", 20, 1, 1000);
    const std::string needle = lower_ascii(call.query("query"));
    // The app is installed on every sub-account, not on trial, in one version and plan.
    const bool none = call.query("isInstalled") == "false" || call.query("onTrial") == "true" ||
                      (call.has_query("versionId") && call.query("versionId") != app_.version_id) ||
                      (call.has_query("planId") && call.query("planId") != app_.plan_id);
    std::vector<const SubAccount*> hits;
    for (const SubAccount& s : sub_accounts_) {
        if (none) break;
        if (call.has_query("locationId") && call.query("locationId") != s.id) continue;
        if (!needle.empty() && lower_ascii(s.name).find(needle) == std::string::npos) continue;
        hits.push_back(&s);
    }
    Json locations = Json::array();
    for (std::size_t i = static_cast<std::size_t>(skip);
         i < hits.size() && i < static_cast<std::size_t>(skip + limit); ++i) {
        locations.push_back({{"_id", hits[i]->id},
                             {"name", hits[i]->name},
                             {"address", hits[i]->address},
                             {"isInstalled", true},
                             {"versionId", app_.version_id},
                             {"installedAt", timeutil::iso_utc(installed_at_)}});
    }
    return {200, {{"locations", locations},
                  {"count", hits.size()},
                  {"installToFutureLocations", true}}};
}

void OAuthServer::expire_access_tokens() {
    std::lock_guard lock(mu_);
    for (auto& [token, access] : access_) access.forced_expired = true;
}

void OAuthServer::add_counters(Counters& into) const {
    std::lock_guard lock(mu_);
    into.oauth_codes_issued += counters_.oauth_codes_issued;
    into.oauth_code_exchanges += counters_.oauth_code_exchanges;
    into.oauth_refreshes += counters_.oauth_refreshes;
    into.oauth_refresh_rejected += counters_.oauth_refresh_rejected;
    into.location_tokens_issued += counters_.location_tokens_issued;
    into.expired_token_rejections += counters_.expired_token_rejections;
}

std::string OAuthServer::authorize_url(const std::string& base_url,
                                       const std::string& redirect_uri,
                                       const std::string& state) const {
    std::vector<std::pair<std::string, std::string>> params = {
        {"response_type", "code"},
        {"redirect_uri", redirect_uri},
        {"client_id", app_.client_id},
        {"scope", app_.scope}};
    if (!state.empty()) params.emplace_back("state", state);
    return with_query(base_url + "/oauth/chooselocation", params);
}

void register_oauth_routes(Router& router) {
    router
        .add("POST", "/oauth/locationToken", kVersionDefault,
             [](Call& call) { return call.oauth->location_token(call); })
        .access = Access::kAgency;
    router
        .add("GET", "/oauth/installedLocations", kVersionDefault,
             [](Call& call) { return call.oauth->installed_locations(call); })
        .access = Access::kAgency;
}

}  // namespace ghlsim
