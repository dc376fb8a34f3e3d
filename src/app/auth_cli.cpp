#include "app/auth_cli.hpp"

#include "app/token_store.hpp"
#include "app/wiring.hpp"

#include "ghl/credentials.hpp"
#include "ghl/url.hpp"
#include "mcp/crypto.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>

namespace app {
namespace {

using json = nlohmann::json;

std::string iso_utc(std::int64_t epoch_s) {
    if (epoch_s <= 0) return "";
    std::time_t t = static_cast<std::time_t>(epoch_s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string describe_expiry(std::int64_t expires_at) {
    if (expires_at <= 0) return "unknown";
    const auto left = expires_at - now_s();
    if (left <= 0) return "expired " + iso_utc(expires_at) + " (refreshed on next use)";
    if (left < 120) return "in " + std::to_string(left) + " s (" + iso_utc(expires_at) + ")";
    if (left < 7200) return "in " + std::to_string(left / 60) + " min (" + iso_utc(expires_at) + ")";
    return "in " + std::to_string(left / 3600) + " h (" + iso_utc(expires_at) + ")";
}

/// host, port and path of a loopback http redirect URI; throws with what is wrong.
struct Redirect {
    std::string host;
    int port = 0;
    std::string path;
};

Redirect parse_redirect(const std::string& uri) {
    const std::string scheme = "http://";
    if (uri.rfind(scheme, 0) != 0)
        throw std::runtime_error("GHL_REDIRECT_URI must be a loopback http:// URI that this "
                                 "command can listen on (got '" + uri + "'), e.g. "
                                 "http://localhost:8788/oauth/callback, registered in the app's "
                                 "settings on the marketplace");
    std::string rest = uri.substr(scheme.size());
    const auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    Redirect r;
    r.path = slash == std::string::npos ? "/" : rest.substr(slash);
    if (auto q = r.path.find('?'); q != std::string::npos) r.path.resize(q);
    std::string host = authority;
    std::string port = "80";
    if (authority.starts_with("[")) {
        const auto close = authority.find(']');
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
    } else if (auto colon = authority.rfind(':'); colon != std::string::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host == "localhost") host = "127.0.0.1";
    if (host != "127.0.0.1" && host != "::1")
        throw std::runtime_error("GHL_REDIRECT_URI must point at this machine's loopback "
                                 "(localhost, 127.0.0.1 or [::1]) so `auth login` can receive the "
                                 "code; got host '" + host + "'");
    try {
        r.port = std::stoi(port);
    } catch (...) {
        r.port = 0;
    }
    if (r.port <= 0 || r.port > 65535) throw std::runtime_error("GHL_REDIRECT_URI has a bad port");
    r.host = host;
    return r;
}

ghl::OAuthApp oauth_app(const Config& c) {
    ghl::OAuthApp app;
    app.client_id = c.client_id;
    app.client_secret = c.client_secret;
    app.redirect_uri = c.redirect_uri;
    app.app_id = c.app_id;
    return app;
}

const char* kScopes[] = {
    "contacts.readonly",       "contacts.write",          "calendars.readonly",
    "calendars.write",         "calendars/events.readonly", "calendars/events.write",
    "opportunities.readonly",  "opportunities.write",     "conversations.readonly",
    "conversations.write",     "conversations/message.readonly", "conversations/message.write",
    "workflows.readonly",      "campaigns.readonly",      "locations.readonly",
    "locations/customFields.readonly", "locations/tags.readonly", "users.readonly",
    "payments/orders.readonly", "payments/transactions.readonly", "oauth.readonly",
    "oauth.write",
};

std::string page(const std::string& title, const std::string& text) {
    return "<!doctype html><meta charset=utf-8><title>ghl-mcp</title><body style=\"font-family:"
           "sans-serif;max-width:40em;margin:4em auto\"><h1>" + title + "</h1><p>" + text +
           "</p></body>";
}

std::string html_escape(const std::string& in) {
    std::string out;
    for (char ch : in) {
        switch (ch) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            default: out += ch;
        }
    }
    return out;
}

}  // namespace

std::shared_ptr<ghl::TokenStore> open_token_store(const Config& c, bool create) {
    if (c.token_store.empty())
        throw std::runtime_error("no token store: set GHL_MCP_TOKEN_STORE or --token-store (no HOME "
                                 "to put the default under)");
    if (!create && !c.has_token_store())
        throw std::runtime_error("no token store at " + c.token_store +
                                 ": nothing is logged in (run `ghl-mcp auth login`)");
    if (create) {
        // The directory holds secrets: create it (and missing parents) for this user only.
        const auto dir = c.token_store.substr(0, c.token_store.rfind('/'));
        std::string partial;
        for (std::size_t i = 0; i <= dir.size(); ++i) {
            if (i == dir.size() || (dir[i] == '/' && i > 0)) {
                partial = dir.substr(0, i);
                ::mkdir(partial.c_str(), 0700);  // EEXIST is fine; a real failure shows at open
            }
        }
    }
    StoreKeySource key;
    key.env_value = c.store_key;
    key.key_file = c.store_key_file;
    return std::make_shared<SqliteTokenStore>(c.token_store, key);
}

int auth_login(const Config& c, const LoginOptions& options) {
    if (c.client_id.empty() || c.client_secret.empty()) {
        std::fputs("auth login needs the marketplace app's credentials: export GHL_CLIENT_ID=... and "
                   "GHL_CLIENT_SECRET=... (Marketplace > My Apps > your app > Auth). The app's "
                   "redirect URL must include GHL_REDIRECT_URI (default "
                   "http://localhost:8788/oauth/callback).\n",
                   stderr);
        return 2;
    }
    Redirect redirect;
    std::shared_ptr<ghl::TokenStore> store;
    std::shared_ptr<ghl::Client> client;
    try {
        redirect = parse_redirect(c.redirect_uri);
        store = open_token_store(c, /*create=*/true);
        client = make_ghl_client(c);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }

    const std::string state = mcp::base64url_encode(mcp::random_bytes(24));
    std::mutex mu;
    std::condition_variable cv;
    std::string code, failure;
    bool done = false;

    httplib::Server server;
    server.Get(redirect.path, [&](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mu);
        if (done) {
            res.set_content(page("Already done", "You can close this tab."), "text/html");
            return;
        }
        // A request without our state is not the answer to our consent page (a stray or forged
        // redirect): refuse it and keep waiting.
        const std::string got = req.get_param_value("state");
        if (!mcp::constant_time_equal(got, state)) {
            res.status = 400;
            res.set_content(page("Not this login", "This callback does not carry the state of the "
                                                    "running <code>ghl-mcp auth login</code>."),
                            "text/html");
            return;
        }
        if (req.has_param("error")) {
            failure = "the authorisation was refused: " + req.get_param_value("error");
            res.set_content(page("Not authorised", html_escape(failure)), "text/html");
        } else if (req.get_param_value("code").empty()) {
            failure = "the redirect carried no code";
            res.status = 400;
            res.set_content(page("No code", "The redirect carried no authorisation code."), "text/html");
        } else {
            code = req.get_param_value("code");
            res.set_content(page("ghl-mcp is authorised",
                                 "The code reached <code>ghl-mcp auth login</code>; it is finishing "
                                 "in the terminal. You can close this tab."),
                            "text/html");
        }
        done = true;
        cv.notify_all();
    });
    if (!server.bind_to_port(redirect.host, redirect.port)) {
        std::fprintf(stderr,
                     "cannot listen on %s:%d for the OAuth redirect (is another login running, or "
                     "the port taken?). Change GHL_REDIRECT_URI (and the app's redirect URL).\n",
                     redirect.host.c_str(), redirect.port);
        return 1;
    }
    std::thread listener([&] { server.listen_after_bind(); });

    std::vector<std::string> scopes(std::begin(kScopes), std::end(kScopes));
    const std::string url = ghl::authorization_url(c.marketplace_url, oauth_app(c), scopes, state);
    if (options.on_url) {
        options.on_url(url);
    } else {
        std::fprintf(stderr,
                     "Open this URL in a browser, choose the %s and approve:\n\n  %s\n\n"
                     "Waiting for the redirect to %s (Ctrl-C to give up) ...\n",
                     options.user_type == ghl::UserType::kCompany ? "agency" : "sub-account (or agency)",
                     url.c_str(), c.redirect_uri.c_str());
    }
    {
        std::unique_lock lock(mu);
        cv.wait_for(lock, options.timeout, [&] { return done; });
    }
    server.stop();
    listener.join();
    if (!done) {
        std::fprintf(stderr, "no answer from the browser within %lld s; run `ghl-mcp auth login` again\n",
                     static_cast<long long>(options.timeout.count()));
        return 1;
    }
    if (!failure.empty()) {
        std::fprintf(stderr, "login failed: %s\n", failure.c_str());
        return 1;
    }

    ghl::Identity identity;
    try {
        identity = ghl::exchange_code(*client, oauth_app(c), code, options.user_type,
                                      std::chrono::steady_clock::now() + std::chrono::seconds(30));
        store->save(identity);
    } catch (const ghl::ApiError& e) {
        std::fprintf(stderr, "GHL refused the code exchange: %s\n",
                     ghl::redact(e.agent_text(), c.client_secret).c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "login failed: %s\n", ghl::redact(e.what(), c.client_secret).c_str());
        return 1;
    }
    if (identity.user_type == ghl::UserType::kCompany)
        std::printf("Logged in as agency %s (%s). Every sub-account the app is installed in is "
                    "reachable; `ghl-mcp auth locations` lists them.\n",
                    identity.company_id.c_str(), identity.key.c_str());
    else
        std::printf("Logged in to sub-account %s (%s).\n", identity.location_id.c_str(),
                    identity.key.c_str());
    std::printf("Tokens are stored encrypted in %s; the access token is valid %s.\n",
                c.token_store.c_str(), describe_expiry(identity.tokens.expires_at).c_str());
    return 0;
}

int auth_status(const Config& c, bool as_json) {
    json out = json::array();
    if (c.has_credentials())
        out.push_back({{"key", "pit:" + c.location_id},
                       {"kind", "private_integration_token"},
                       {"locationId", c.location_id},
                       {"source", c.token_file.empty() ? "GHL_PRIVATE_INTEGRATION_TOKEN" : c.token_file}});
    if (c.has_token_store()) {
        try {
            auto store = open_token_store(c, false);
            for (const auto& id : store->list()) {
                json row = {{"key", id.key},
                            {"kind", !id.parent.empty() ? "minted_location"
                                     : id.user_type == ghl::UserType::kCompany ? "agency"
                                                                               : "location"},
                            {"companyId", id.company_id},
                            {"locationId", id.location_id},
                            {"scopes", id.tokens.scope},
                            {"expiresAt", iso_utc(id.tokens.expires_at)},
                            {"refreshable", !id.tokens.refresh_token.empty()},
                            {"needsLogin", id.needs_login}};
                if (id.needs_login) row["needsLoginReason"] = id.needs_login_reason;
                out.push_back(std::move(row));
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s\n", e.what());
            return 1;
        }
    }
    if (as_json) {
        std::cout << json{{"tokenStore", c.token_store}, {"credentials", out}}.dump(2) << "\n";
        return 0;
    }
    if (out.empty()) {
        std::printf("Nothing is logged in (token store: %s).\nSet GHL_PRIVATE_INTEGRATION_TOKEN + "
                    "GHL_LOCATION_ID, or run `ghl-mcp auth login`.\n",
                    c.token_store.c_str());
        return 0;
    }
    std::printf("Token store: %s\n", c.token_store.c_str());
    for (const auto& row : out) {
        const std::string kind = row["kind"];
        std::printf("\n%s  [%s]\n", row["key"].get<std::string>().c_str(), kind.c_str());
        if (!row.value("companyId", "").empty())
            std::printf("  agency:      %s\n", row["companyId"].get<std::string>().c_str());
        if (!row.value("locationId", "").empty())
            std::printf("  sub-account: %s\n", row["locationId"].get<std::string>().c_str());
        if (kind == "private_integration_token") {
            std::printf("  from:        %s\n", row["source"].get<std::string>().c_str());
            continue;
        }
        std::printf("  scopes:      %s\n", row.value("scopes", "").c_str());
        if (row.value("needsLogin", false)) {
            std::printf("  NEEDS LOGIN: %s -> run `ghl-mcp auth login`\n",
                        row.value("needsLoginReason", "").c_str());
        } else {
            // expiresAt is ISO text; describe from the store value again for the relative part.
            std::printf("  access:      expires %s%s\n", row.value("expiresAt", "").c_str(),
                        row.value("refreshable", false) ? " (refreshed automatically)"
                                                        : " (renewed from the agency token)");
        }
    }
    return 0;
}

int auth_locations(const Config& c, bool as_json) {
    std::shared_ptr<ghl::TokenStore> store;
    std::shared_ptr<ghl::OAuthCredentials> creds;
    try {
        store = open_token_store(c, false);
        ghl::OAuthOptions o;
        o.app = oauth_app(c);
        auto client = make_ghl_client(c);
        creds = std::make_shared<ghl::OAuthCredentials>(o, client, store);
        const auto agencies = creds->companies();
        json rows = json::array();
        for (const auto& loc : creds->locations()) {
            if (!store->load(ghl::identity_key_for_location(loc))) continue;
            rows.push_back({{"id", loc}, {"source", "sub-account login"}});
        }
        for (const auto& company : agencies) {
            const auto grant =
                creds->for_company(company, std::chrono::steady_clock::now() + std::chrono::seconds(30));
            for (int skip = 0;; ) {
                ghl::CallOptions co;
                co.token = grant.token;
                co.resource_key = grant.resource_key;
                json page = client->call("oauth.installed_locations", {},
                                         {{"companyId", company},
                                          {"appId", o.app.resolved_app_id()},
                                          {"isInstalled", "true"},
                                          {"skip", std::to_string(skip)},
                                          {"limit", "100"}},
                                         nullptr, co);
                const auto& locs = page.value("locations", json::array());
                for (const auto& l : locs)
                    rows.push_back({{"id", l.value("_id", "")},
                                    {"name", l.value("name", "")},
                                    {"source", "agency " + company}});
                skip += static_cast<int>(locs.size());
                if (locs.empty() || skip >= page.value("count", 0) || skip >= 10000) break;
            }
        }
        if (as_json) {
            std::cout << rows.dump(2) << "\n";
            return 0;
        }
        if (rows.empty()) {
            std::printf("No sub-accounts: nothing is logged in with OAuth (run `ghl-mcp auth login`).\n");
            return 0;
        }
        for (const auto& r : rows)
            std::printf("%-24s  %-40s  %s\n", r.value("id", "").c_str(), r.value("name", "").c_str(),
                        r.value("source", "").c_str());
        return 0;
    } catch (const ghl::ApiError& e) {
        std::fprintf(stderr, "GHL: %s\n", e.agent_text().c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}

int auth_logout(const Config& c, const std::string& key) {
    if (!c.has_token_store()) {
        std::printf("Nothing to forget: no token store at %s.\n", c.token_store.c_str());
        return 0;
    }
    std::shared_ptr<ghl::TokenStore> store;
    try {
        store = open_token_store(c, false);
    } catch (const StoreKeyError& e) {
        // The key is lost or wrong: nothing in the store can be read any more. Forgetting all of
        // it is the way out; forgetting one login is impossible without the key.
        if (!key.empty()) {
            std::fprintf(stderr, "%s\n(`ghl-mcp auth logout` without KEY forgets every login)\n", e.what());
            return 1;
        }
        int removed = 0;
        for (const char* suffix : {"", "-wal", "-shm", ".lock"})
            removed += ::unlink((c.token_store + suffix).c_str()) == 0 ? 1 : 0;
        std::printf("The token store could not be decrypted (%s); removed it (%d file(s)). Run "
                    "`ghl-mcp auth login` again.\n",
                    e.what(), removed);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    try {
        if (key.empty()) {
            const auto n = store->list().size();
            store->clear();
            std::printf("Forgot %zu stored credential(s). GHL keeps the app installed; uninstall it "
                        "in GHL to revoke access there too.\n", n);
            return 0;
        }
        if (!store->remove(key)) {
            std::fprintf(stderr, "no stored identity \"%s\" (see `ghl-mcp auth status`)\n", key.c_str());
            return 1;
        }
        std::printf("Forgot %s (and the location tokens obtained through it).\n", key.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}

}  // namespace app
