// Credentials: static PITs, and OAuth identities with single-flight, commit-before-use refresh.
#include "ghl/credentials.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <set>

#include "ghl/url.hpp"

namespace ghl {
namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

std::int64_t epoch_s(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string describe_key(const Identity& id) {
    if (!id.parent.empty())
        return "sub-account " + id.location_id + " (through agency " + id.company_id + ")";
    if (id.user_type == UserType::kCompany) return "agency " + id.company_id;
    return "sub-account " + id.location_id;
}

/// GHL's message for an error, with every secret we might have sent taken out.
std::string scrubbed(const ApiError& e, std::initializer_list<std::string_view> secrets) {
    std::string text = e.agent_text();
    for (auto s : secrets) text = redact(std::move(text), s);
    return text;
}

}  // namespace

std::string OAuthApp::resolved_app_id() const {
    if (!app_id.empty()) return app_id;
    const auto dash = client_id.find('-');
    return dash == std::string::npos ? client_id : client_id.substr(0, dash);
}

// ---------------------------------------------------------------------------------------------
// StaticCredentials

StaticCredentials::StaticCredentials(std::string token, std::string location_id)
    : token_(std::move(token)), location_(std::move(location_id)) {}

Grant StaticCredentials::for_location(const std::string& location_id, Clock::time_point) {
    if (token_.empty())
        throw CredentialError("auth.no_credential",
                              "No GHL credential is configured: set GHL_PRIVATE_INTEGRATION_TOKEN "
                              "and GHL_LOCATION_ID, or run `ghl-mcp auth login`.");
    // A Private Integration Token belongs to one sub-account. With no configured location we
    // cannot tell, and let GHL decide.
    if (!location_.empty() && location_id != location_)
        throw CredentialError(
            "auth.no_credential",
            "No credential for sub-account " + location_id +
                ": the configured Private Integration Token belongs to sub-account " + location_ +
                ". Omit locationId (or pass " + location_ +
                "), or authorise more sub-accounts with `ghl-mcp auth login`.");
    return {token_, location_id};
}

Grant StaticCredentials::for_company(const std::string&, Clock::time_point) {
    throw CredentialError("auth.no_credential",
                          "This needs an agency (Company) OAuth token, and only a sub-account "
                          "Private Integration Token is configured. Run `ghl-mcp auth login "
                          "--user-type Company` with the agency's marketplace app.");
}

std::vector<CredentialInfo> StaticCredentials::describe() {
    if (token_.empty()) return {};
    CredentialInfo i;
    i.key = "pit:" + location_;
    i.kind = "private_integration_token";
    i.location_id = location_;
    return {i};
}

std::vector<std::string> StaticCredentials::locations() {
    if (token_.empty() || location_.empty()) return {};
    return {location_};
}

// ---------------------------------------------------------------------------------------------
// OAuthCredentials

struct OAuthCredentials::Slot {
    std::timed_mutex m;  // held to read or change `identity`; held across a refresh (single flight)
    Identity identity;
    bool stale = false;  // GHL rejected the current access token (guarded by m)
};

OAuthCredentials::OAuthCredentials(OAuthOptions options, std::shared_ptr<Client> client,
                                   std::shared_ptr<TokenStore> store)
    : options_(std::move(options)), client_(std::move(client)), store_(std::move(store)) {
    if (!client_ || !store_) throw std::invalid_argument("OAuthCredentials needs a client and a store");
    for (auto& id : store_->list()) {
        auto s = std::make_shared<Slot>();
        s->identity = std::move(id);
        slots_.emplace(s->identity.key, std::move(s));
    }
}

OAuthCredentials::~OAuthCredentials() = default;

std::int64_t OAuthCredentials::now_s() const { return epoch_s(client_->clock().wall_now()); }

std::int64_t OAuthCredentials::margin(const Identity& id) const {
    // GHL's tokens live a day and the margin is minutes; a token issued for less (a test app, the
    // simulator's short lifetimes) is refreshed in the second half of its life, not on every call.
    std::int64_t m = options_.refresh_margin.count();
    const std::int64_t lifetime = id.tokens.expires_at - id.updated_at;
    if (id.updated_at > 0 && lifetime > 0) m = std::min(m, std::max<std::int64_t>(1, lifetime / 2));
    return m;
}

std::shared_ptr<OAuthCredentials::Slot> OAuthCredentials::find(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = slots_.find(key);
    return it == slots_.end() ? nullptr : it->second;
}

std::shared_ptr<OAuthCredentials::Slot> OAuthCredentials::slot(const std::string& key) {
    std::lock_guard lock(mu_);
    auto& s = slots_[key];
    if (!s) {
        s = std::make_shared<Slot>();
        s->identity.key = key;
    }
    return s;
}

int OAuthCredentials::refreshes() const { return refreshes_.load(); }
int OAuthCredentials::mints() const { return mints_.load(); }

RenewalCounters OAuthCredentials::renewals() const {
    return {static_cast<std::uint64_t>(refreshes_.load()), static_cast<std::uint64_t>(mints_.load()),
            static_cast<std::uint64_t>(renewal_failures_.load())};
}

std::vector<std::string> OAuthCredentials::companies() {
    std::vector<std::string> out;
    std::lock_guard lock(mu_);
    for (const auto& [key, s] : slots_)
        if (key.starts_with("company:") && key.find('/') == std::string::npos)
            out.push_back(key.substr(8));
    return out;
}

std::vector<std::string> OAuthCredentials::locations() {
    std::set<std::string> out;
    std::lock_guard lock(mu_);
    for (const auto& [key, s] : slots_) {
        const auto pos = key.find("location:");
        if (pos != std::string::npos) out.insert(key.substr(pos + 9));
    }
    return {out.begin(), out.end()};
}

std::vector<CredentialInfo> OAuthCredentials::describe() {
    std::vector<std::shared_ptr<Slot>> all;
    {
        std::lock_guard lock(mu_);
        for (const auto& [key, s] : slots_) all.push_back(s);
    }
    std::vector<CredentialInfo> out;
    for (const auto& s : all) {
        std::lock_guard lock(s->m);
        const Identity& id = s->identity;
        if (id.tokens.access_token.empty() && !id.needs_login) continue;  // a mint that failed
        CredentialInfo i;
        i.key = id.key;
        i.kind = !id.parent.empty()                   ? "minted_location"
                 : id.user_type == UserType::kCompany ? "agency"
                                                      : "location";
        i.company_id = id.company_id;
        i.location_id = id.location_id;
        i.scope = id.tokens.scope;
        i.expires_at = id.tokens.expires_at;
        i.refreshable = !id.tokens.refresh_token.empty();
        i.needs_login = id.needs_login;
        i.needs_login_reason = id.needs_login_reason;
        out.push_back(std::move(i));
    }
    std::sort(out.begin(), out.end(),
              [](const CredentialInfo& a, const CredentialInfo& b) { return a.key < b.key; });
    return out;
}

std::string OAuthCredentials::no_credential_text(const std::string& location_id) {
    const auto locs = locations();
    std::string text = "No credential for sub-account " + location_id + ". ";
    if (locs.empty())
        text += "No sub-account has authorised this app yet";
    else
        text += "Sub-accounts with a credential: " + join(locs);
    return text + ". Pass one of them as locationId, or authorise this one with `ghl-mcp auth "
                  "login` (an agency login covers every sub-account the app is installed in).";
}

Grant OAuthCredentials::for_location(const std::string& location_id, Clock::time_point deadline) {
    if (auto s = find(identity_key_for_location(location_id))) return grant(*s, deadline);
    // An agency identity can mint a token for any sub-account the app is installed in.
    const auto agencies = companies();
    std::string last_failure;
    for (const auto& company : agencies) {
        auto s = slot(identity_key_for_minted(company, location_id));
        {
            std::lock_guard lock(s->m);
            if (s->identity.parent.empty()) {
                s->identity.parent = identity_key_for_company(company);
                s->identity.company_id = company;
                s->identity.location_id = location_id;
                s->identity.user_type = UserType::kLocation;
            }
        }
        try {
            return grant(*s, deadline);
        } catch (const CredentialError& e) {
            if (e.code() != "auth.no_credential" || agencies.size() == 1) throw;
            last_failure = e.what();
        }
    }
    if (!last_failure.empty()) throw CredentialError("auth.no_credential", last_failure);
    throw CredentialError("auth.no_credential", no_credential_text(location_id));
}

Grant OAuthCredentials::for_company(const std::string& company_id, Clock::time_point deadline) {
    std::string company = company_id;
    if (company.empty()) {
        const auto agencies = companies();
        if (agencies.size() != 1)
            throw CredentialError(
                "auth.no_credential",
                agencies.empty()
                    ? "This needs an agency (Company) login: run `ghl-mcp auth login --user-type "
                      "Company` with the agency's marketplace app."
                    : "Several agencies are logged in (" + join(agencies) + "): say which one.");
        company = agencies.front();
    }
    auto s = find(identity_key_for_company(company));
    if (!s)
        throw CredentialError("auth.no_credential",
                              "No login for agency " + company + ". Agencies logged in: " +
                                  (companies().empty() ? std::string("none") : join(companies())) +
                                  ". Run `ghl-mcp auth login --user-type Company`.");
    return grant(*s, deadline);
}

bool OAuthCredentials::rejected(const std::string& token) {
    std::vector<std::shared_ptr<Slot>> all;
    {
        std::lock_guard lock(mu_);
        for (const auto& [key, s] : slots_) all.push_back(s);
    }
    for (const auto& s : all) {
        std::lock_guard lock(s->m);  // callers hold no slot lock (mint marks its agency itself)
        if (!token.empty() && s->identity.tokens.access_token == token) {
            s->stale = true;
            return true;
        }
    }
    // Not current any more: someone refreshed it since; the next grant gets the new token.
    return true;
}

Grant OAuthCredentials::grant(Slot& s, Clock::time_point deadline) {
    std::unique_lock lock(s.m, std::defer_lock);
    if (!lock.try_lock_until(deadline))
        throw CredentialError("auth.busy", "Timed out waiting for the GHL token of " +
                                               describe_key(s.identity) +
                                               " to be refreshed; try again.");
    Identity& id = s.identity;
    if (id.needs_login)
        throw CredentialError("auth.needs_login",
                              "The GHL authorisation of " + describe_key(id) +
                                  " is no longer valid (" + id.needs_login_reason +
                                  "). A person must run `ghl-mcp auth login` again.");
    const bool fresh = !id.tokens.access_token.empty() && !s.stale &&
                       id.tokens.expires_at - now_s() > margin(id);
    if (!fresh) {
        if (!id.parent.empty())
            mint(s, deadline);
        else
            refresh(s, deadline);
    }
    return {id.tokens.access_token,
            id.user_type == UserType::kCompany && id.parent.empty() ? id.company_id
                                                                    : id.location_id};
}

void OAuthCredentials::refresh(Slot& s, Clock::time_point deadline) {
    Identity& id = s.identity;
    // Processes sharing the store take turns; one of them may have refreshed while we waited.
    auto cross_process = store_->lock(id.key);
    if (auto stored = store_->load(id.key)) {
        const bool changed = stored->tokens.access_token != id.tokens.access_token ||
                             stored->tokens.refresh_token != id.tokens.refresh_token ||
                             stored->needs_login != id.needs_login;
        if (changed) {
            id = std::move(*stored);
            s.stale = false;
            if (id.needs_login)
                throw CredentialError("auth.needs_login",
                                      "The GHL authorisation of " + describe_key(id) +
                                          " is no longer valid (" + id.needs_login_reason +
                                          "). A person must run `ghl-mcp auth login` again.");
            if (id.tokens.expires_at - now_s() > margin(id)) return;
        }
    } else {
        throw CredentialError("auth.needs_login",
                              "The GHL authorisation of " + describe_key(id) +
                                  " was removed from the token store (`ghl-mcp auth logout`?). A "
                                  "person must run `ghl-mcp auth login` again.");
    }
    if (id.tokens.refresh_token.empty()) {
        id.needs_login = true;
        id.needs_login_reason = "no refresh token was stored";
        store_->save(id);
        throw CredentialError("auth.needs_login", "The GHL authorisation of " + describe_key(id) +
                                                      " has no refresh token. A person must run "
                                                      "`ghl-mcp auth login` again.");
    }

    const std::string spent = id.tokens.refresh_token;
    nlohmann::json form = {{"client_id", options_.app.client_id},
                           {"client_secret", options_.app.client_secret},
                           {"grant_type", "refresh_token"},
                           {"refresh_token", spent},
                           {"user_type", std::string(to_string(id.user_type))}};
    if (!options_.app.redirect_uri.empty()) form["redirect_uri"] = options_.app.redirect_uri;
    CallOptions co;
    co.deadline = deadline;
    co.resource_key = id.user_type == UserType::kCompany ? id.company_id : id.location_id;
    nlohmann::json body;
    try {
        body = client_->call("oauth.token", {}, {}, form, co);
    } catch (const ApiError& e) {
        ++renewal_failures_;
        const std::string why =
            scrubbed(e, {spent, options_.app.client_secret, id.tokens.access_token});
        const bool client_problem = e.details().error == "invalid_client";
        if (e.kind() == ErrorKind::kHttp && !client_problem &&
            (e.status() == 400 || e.status() == 401 || e.status() == 403)) {
            // GHL refused the refresh token itself: it was used or revoked. Nothing but a new
            // login can fix that; say so on every call instead of trying again.
            id.needs_login = true;
            id.needs_login_reason = "GHL rejected the refresh token: HTTP " +
                                    std::to_string(e.status()) +
                                    (e.message().empty() ? std::string() : " " + e.message());
            id.needs_login_reason = redact(std::move(id.needs_login_reason), spent);
            try {
                store_->save(id);
            } catch (const std::exception& se) {
                spdlog::error("token store: cannot record that {} needs login: {}", id.key, se.what());
            }
            spdlog::error("GHL refused the refresh token of {}: {}; run `ghl-mcp auth login`", id.key,
                          why);
            throw CredentialError("auth.needs_login",
                                  "The GHL authorisation of " + describe_key(id) +
                                      " is no longer valid (" + id.needs_login_reason +
                                      "). A person must run `ghl-mcp auth login` again.");
        }
        if (client_problem)
            throw CredentialError("auth.refresh_failed",
                                  "GHL rejected this app's client credentials while refreshing the "
                                  "token of " + describe_key(id) +
                                      ": check GHL_CLIENT_ID and GHL_CLIENT_SECRET. " + why);
        throw CredentialError("auth.refresh_failed",
                              "Could not refresh the GHL token of " + describe_key(id) + ": " +
                                  why + " The stored credential is unchanged; try again.");
    }

    Identity fresh;
    try {
        fresh = identity_from_token_response(body, now_s());
    } catch (const std::exception& e) {
        throw CredentialError("auth.refresh_failed",
                              "GHL's answer to the token refresh of " + describe_key(id) +
                                  " is unusable: " + e.what());
    }
    fresh.key = id.key;
    fresh.parent = id.parent;
    fresh.updated_at = now_s();
    fresh.user_type = id.user_type;
    if (fresh.company_id.empty()) fresh.company_id = id.company_id;
    if (fresh.location_id.empty() || id.user_type == UserType::kCompany)
        fresh.location_id = id.location_id;
    if (fresh.user_id.empty()) fresh.user_id = id.user_id;
    if (fresh.tokens.scope.empty()) fresh.tokens.scope = id.tokens.scope;

    // Commit before use: the spent refresh token is dead now, and the new one must survive a
    // crash from here on. If the store fails, the pair stays in memory (the only copy left) and
    // is saved again on the next refresh.
    try {
        store_->save(fresh);
    } catch (const std::exception& e) {
        spdlog::error("token store: could not save the refreshed token of {}: {} (kept in memory; "
                      "a restart now would need `ghl-mcp auth login`)",
                      id.key, e.what());
    }
    if (options_.after_commit) options_.after_commit(fresh);
    id = std::move(fresh);
    s.stale = false;
    ++refreshes_;
    spdlog::info("refreshed the GHL token of {} (valid for {} s)", id.key,
                 id.tokens.expires_at - now_s());
}

void OAuthCredentials::mint(Slot& s, Clock::time_point deadline) {
    Identity& id = s.identity;
    for (int attempt = 0;; ++attempt) {
        Grant agency = for_company(id.company_id, deadline);  // lock order: minted, then agency
        CallOptions co;
        co.token = agency.token;
        co.resource_key = agency.resource_key;
        co.deadline = deadline;
        nlohmann::json body;
        try {
            body = client_->call("oauth.location_token", {}, {},
                                 {{"companyId", id.company_id}, {"locationId", id.location_id}}, co);
        } catch (const ApiError& e) {
            const std::string why = scrubbed(e, {agency.token});
            if (e.kind() == ErrorKind::kHttp && e.status() == 401 && attempt == 0) {
                // The agency token itself was refused: refresh it once and try again.
                if (auto a = find(id.parent)) {
                    std::lock_guard lock(a->m);
                    if (a->identity.tokens.access_token == agency.token) a->stale = true;
                }
                continue;
            }
            ++renewal_failures_;
            if (e.kind() == ErrorKind::kHttp &&
                (e.status() == 400 || e.status() == 403 || e.status() == 404 || e.status() == 422))
                throw CredentialError(
                    "auth.no_credential",
                    "Agency " + id.company_id + " could not get a token for sub-account " +
                        id.location_id + " (" + why +
                        "). Is the app installed there? list_locations shows the sub-accounts it "
                        "can act on.");
            throw CredentialError("auth.refresh_failed", "Could not get a token for sub-account " +
                                                             id.location_id + " from agency " +
                                                             id.company_id + ": " + why);
        }
        Identity fresh;
        try {
            fresh = identity_from_token_response(body, now_s());
        } catch (const std::exception& e) {
            throw CredentialError("auth.refresh_failed",
                                  "GHL's location token answer for sub-account " + id.location_id +
                                      " is unusable: " + e.what());
        }
        fresh.key = id.key;
        fresh.parent = id.parent;
        fresh.updated_at = now_s();
        fresh.user_type = UserType::kLocation;
        fresh.company_id = id.company_id;
        fresh.location_id = id.location_id;
        // A minted token is renewed by minting again; a refresh token the v3 API may add is not
        // needed (and not kept, so nothing relies on it).
        fresh.tokens.refresh_token.clear();
        try {
            store_->save(fresh);  // a cache: losing it only costs one more mint
        } catch (const std::exception& e) {
            spdlog::warn("token store: could not cache the location token of {}: {}", id.key,
                         e.what());
        }
        id = std::move(fresh);
        s.stale = false;
        ++mints_;
        spdlog::info("obtained a location token for {} from agency {}", id.location_id,
                     id.company_id);
        return;
    }
}

// ---------------------------------------------------------------------------------------------
// The authorization-code flow

std::string authorization_url(std::string_view marketplace_base, const OAuthApp& app,
                              const std::vector<std::string>& scopes, std::string_view state) {
    std::string base(marketplace_base);
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string scope;
    for (const auto& s : scopes) scope += (scope.empty() ? "" : " ") + s;
    Params q = {{"response_type", "code"},
                {"redirect_uri", app.redirect_uri},
                {"client_id", app.client_id},
                {"scope", scope}};
    if (!state.empty()) q.emplace_back("state", std::string(state));
    return base + "/oauth/chooselocation?" + encode_query(q);
}

Identity identity_from_token_response(const nlohmann::json& body, std::int64_t now_s) {
    if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string() ||
        body["access_token"].get_ref<const std::string&>().empty())
        throw std::runtime_error("no access_token in the answer");
    auto str = [&](const char* name) {
        auto it = body.find(name);
        return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    Identity id;
    id.tokens.access_token = str("access_token");
    id.tokens.refresh_token = str("refresh_token");
    id.tokens.scope = str("scope");
    std::int64_t expires_in = 3600;  // conservative when GHL does not say (it says 86399)
    if (auto it = body.find("expires_in"); it != body.end() && it->is_number())
        expires_in = it->get<std::int64_t>();
    id.tokens.expires_at = now_s + expires_in;
    const std::string type = str("userType");
    id.user_type = parse_user_type(type).value_or(str("locationId").empty() ? UserType::kCompany
                                                                            : UserType::kLocation);
    id.company_id = str("companyId");
    id.location_id = str("locationId");
    id.user_id = str("userId");
    id.key = id.user_type == UserType::kCompany ? identity_key_for_company(id.company_id)
                                                : identity_key_for_location(id.location_id);
    for (const std::string* v : {&id.company_id, &id.location_id}) {
        if (!v->empty() && !id_problem(*v).empty())
            throw std::runtime_error("the answer carries an invalid id");
    }
    if (id.user_type == UserType::kCompany && id.company_id.empty())
        throw std::runtime_error("an agency token without companyId");
    if (id.user_type == UserType::kLocation && id.location_id.empty())
        throw std::runtime_error("a sub-account token without locationId");
    return id;
}

Identity exchange_code(Client& client, const OAuthApp& app, const std::string& code,
                       std::optional<UserType> user_type, Clock::time_point deadline) {
    nlohmann::json form = {{"client_id", app.client_id},
                           {"client_secret", app.client_secret},
                           {"grant_type", "authorization_code"},
                           {"code", code}};
    if (!app.redirect_uri.empty()) form["redirect_uri"] = app.redirect_uri;
    if (user_type) form["user_type"] = std::string(to_string(*user_type));
    CallOptions co;
    co.deadline = deadline;
    nlohmann::json body = client.call("oauth.token", {}, {}, form, co);
    return identity_from_token_response(body, epoch_s(client.clock().wall_now()));
}

}  // namespace ghl
