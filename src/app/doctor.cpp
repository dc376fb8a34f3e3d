#include "app/doctor.hpp"

#include "app/audit.hpp"
#include "app/keys.hpp"
#include "app/token_store.hpp"
#include "app/wiring.hpp"

#include "ghl/client.hpp"
#include "ghl/credentials.hpp"
#include "ghl/endpoints.hpp"
#include "ghl/errors.hpp"
#include "ghl/retry.hpp"
#include "mcp/http_transport.hpp"
#include "tools/catalog.hpp"
#include "tools/ghl_access.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

namespace app {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

DoctorCheck ok(std::string check, std::string detail) {
    return {std::move(check), "ok", std::move(detail), {}};
}
DoctorCheck warn(std::string check, std::string detail, std::string fix) {
    return {std::move(check), "warn", std::move(detail), std::move(fix)};
}
DoctorCheck fail(std::string check, std::string detail, std::string fix) {
    return {std::move(check), "fail", std::move(detail), std::move(fix)};
}

std::string joined(const std::vector<std::string>& items, const char* sep = ", ") {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
    return out;
}
template <typename Set>
std::string joined_set(const Set& items) {
    return joined(std::vector<std::string>(items.begin(), items.end()));
}

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

std::string trim_right(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// ---- what the process would run as ----

enum class Mode { kSandbox, kPit, kOAuth, kNone };

Mode mode_of(const Config& c) {
    if (c.sandbox) return Mode::kSandbox;
    if (c.has_credentials()) return Mode::kPit;
    if (c.has_token_store()) return Mode::kOAuth;
    return Mode::kNone;
}

/// The fix for a token GHL refuses, by mode.
std::string token_fix(Mode mode) {
    if (mode == Mode::kOAuth)
        return "log in again: ghl-mcp auth login (with GHL_CLIENT_ID and GHL_CLIENT_SECRET set)";
    return "create a new Private Integration Token in GHL (Settings > Private Integrations) for "
           "this "
           "sub-account and set GHL_PRIVATE_INTEGRATION_TOKEN (or GHL_TOKEN_FILE) to it";
}

// ---- configuration ----

std::vector<DoctorCheck> configuration_checks(const Config& c, const DoctorOptions& o, Mode mode) {
    std::vector<DoctorCheck> out;
    for (const auto& issue : o.config_issues)
        out.push_back(fail("configuration", issue.problem, issue.fix));
    if (auto problem = credential_problem(c); !problem.empty()) {
        out.push_back(fail("configuration", "no usable GHL credentials", trim_right(problem)));
        return out;
    }
    std::string surface;
    if (!c.surface.tools.empty())
        surface = "tools " + joined(c.surface.tools, ",");
    else
        surface = "toolsets " + (c.surface.toolsets.empty()
                                     ? joined(tools::default_toolsets(), ",") + " (default)"
                                     : joined(c.surface.toolsets, ","));
    if (c.surface.read_only) surface += ", read-only";
    const bool custom_url = c.base_url != ghl::kDefaultBaseUrl;
    switch (mode) {
        case Mode::kSandbox:
            out.push_back(ok("configuration",
                             "SANDBOX: the embedded GHL simulator with seeded demo data (nothing "
                             "reaches a real CRM); " +
                                 surface));
            break;
        case Mode::kPit:
            out.push_back(ok("configuration",
                             "Private Integration Token (" +
                                 std::string(c.token_file.empty() ? "GHL_PRIVATE_INTEGRATION_TOKEN"
                                                                  : "token file " + c.token_file) +
                                 ") for location " + c.location_id + "; API " + c.base_url +
                                 (custom_url ? " (GHL_BASE_URL, not GHL's own)" : "") + "; " +
                                 surface));
            break;
        case Mode::kOAuth:
            out.push_back(
                ok("configuration",
                   "OAuth logins from the token store " + c.token_store +
                       (c.location_id.empty() ? "" : "; default location " + c.location_id) +
                       "; API " + c.base_url + (custom_url ? " (GHL_BASE_URL)" : "") + "; " +
                       surface));
            if (c.client_id.empty() || c.client_secret.empty())
                out.push_back(warn(
                    "oauth app",
                    "GHL_CLIENT_ID/GHL_CLIENT_SECRET are not set: stored tokens work until they "
                    "expire (a day) and cannot be refreshed",
                    "export GHL_CLIENT_ID=... GHL_CLIENT_SECRET=... (Marketplace > My Apps > "
                    "your app > Auth)"));
            break;
        case Mode::kNone:
            break;
    }
    return out;
}

/// HTTP exposure and the API keys (`serve --http`): refused off loopback without keys.
std::vector<DoctorCheck> http_checks(const Config& c) {
    std::vector<DoctorCheck> out;
    if (!c.http && c.api_keys_file.empty() && c.api_key.empty()) return out;
    std::string keys = !c.api_key.empty() ? "GHL_MCP_API_KEY" : "";
    struct stat st {};
    if (!c.api_keys_file.empty() && ::stat(c.api_keys_file.c_str(), &st) == 0 &&
        (st.st_mode & 077) != 0) {
        // Opening it would make it private without telling anyone; the store check reports it.
        keys += (keys.empty() ? "" : " and ") + std::string("the keys file ") + c.api_keys_file;
    } else if (!c.api_keys_file.empty()) {
        try {
            KeyStore store(c.api_keys_file, /*create=*/false);
            const auto active = store.active_count();
            keys += (keys.empty() ? "" : " and ") + std::to_string(active) + " active key(s) in " +
                    c.api_keys_file;
            if (active == 0 && c.api_key.empty())
                out.push_back(warn("http",
                                   "the API keys file " + c.api_keys_file +
                                       " holds no active key: every HTTP request would get 401",
                                   "create one: ghl-mcp keys create NAME"));
        } catch (const std::exception& e) {
            out.push_back(
                fail("http", std::string("cannot use the API keys file: ") + e.what(),
                     "create it with `ghl-mcp keys create NAME`, or fix GHL_MCP_API_KEYS_FILE / "
                     "--api-keys-file"));
            return out;
        }
    }
    if (!c.http) {
        if (out.empty()) out.push_back(ok("http", "API keys: " + keys));
        return out;
    }
    const std::string where = c.http_host + ":" + std::to_string(c.http_port);
    if (!mcp::is_loopback_host(c.http_host) && !c.has_api_keys()) {
        out.push_back(
            fail("http",
                 "serve --http " + where +
                     " listens beyond this machine without API keys: `serve` refuses to start",
                 "create keys (export GHL_MCP_API_KEYS_FILE=/var/lib/ghl-mcp/keys.db; ghl-mcp keys "
                 "create NAME) or set GHL_MCP_API_KEY, or listen on 127.0.0.1"));
        return out;
    }
    if (out.empty())
        out.push_back(ok("http", "serve --http " + where + ": " +
                                     (c.has_api_keys() ? "clients need an API key (" + keys + ")"
                                                       : "loopback only, open without a key")));
    return out;
}

// ---- stores ----

/// Checks one path's mode and owner; empty when fine, else what is wrong and the fix.
std::optional<std::pair<std::string, std::string>> permission_problem(const std::string& path,
                                                                      const struct stat& st) {
    if (st.st_uid != ::geteuid())
        return std::make_pair(
            path + " belongs to uid " + std::to_string(st.st_uid) + ", not to this user (uid " +
                std::to_string(::geteuid()) + ")",
            "run doctor as the user that runs ghl-mcp (e.g. sudo -u ghl-mcp ghl-mcp doctor), "
            "or give the file to that user: chown USER " +
                path);
    if ((st.st_mode & 077) != 0)
        return std::make_pair(path + " is mode " + octal_mode(st.st_mode) +
                                  ": group or others can " +
                                  ((st.st_mode & 044) != 0 ? "read" : "write") + " it",
                              "chmod 600 " + path);
    return std::nullopt;
}

}  // namespace

DoctorCheck store_check(const std::string& name, const std::string& path) {
    namespace fs = std::filesystem;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        // Not there yet: the nearest existing directory must let us create it.
        fs::path dir = fs::path(path).parent_path();
        if (dir.empty()) dir = ".";
        while (!dir.empty() && ::access(dir.c_str(), F_OK) != 0 && dir != dir.parent_path())
            dir = dir.parent_path();
        struct stat dst {};
        if (::stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode) ||
            ::access(dir.c_str(), W_OK | X_OK) != 0)
            return fail(name,
                        path + " does not exist and cannot be created: " + dir.string() +
                            " is not writable",
                        "mkdir -p " + fs::path(path).parent_path().string() + " && chmod 700 " +
                            fs::path(path).parent_path().string() +
                            " (as the user that runs ghl-mcp)");
        return ok(name, path + ": not created yet (created mode 0600 on first use)");
    }
    if (!S_ISREG(st.st_mode))
        return fail(name, path + " is not a regular file", "point the setting at a file");
    if (auto p = permission_problem(path, st)) return fail(name, p->first, p->second);
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
        struct stat side {};
        const std::string side_path = path + suffix;
        if (::stat(side_path.c_str(), &side) == 0)
            if (auto p = permission_problem(side_path, side))
                return fail(name, p->first, p->second);
    }
    const std::string dir =
        fs::path(path).parent_path().empty() ? "." : fs::path(path).parent_path().string();
    struct stat dst {};
    if (::stat(dir.c_str(), &dst) == 0 && (dst.st_mode & S_IWOTH) != 0)
        return fail(name,
                    "its directory " + dir + " is writable by everyone (mode " +
                        octal_mode(dst.st_mode) + "): anyone may replace " + path,
                    "chmod o-w " + dir + " (or move the file to a private directory)");
    return ok(name, path + " (mode " + octal_mode(st.st_mode) + ", yours)");
}

namespace {

std::vector<DoctorCheck> store_checks(const Config& c, Mode mode) {
    std::vector<DoctorCheck> out;
    if (!c.token_file.empty()) out.push_back(store_check("token file", c.token_file));
    if (mode == Mode::kOAuth) {
        out.push_back(store_check("token store", c.token_store));
        if (c.store_key)
            out.push_back(ok("store key", "from GHL_MCP_STORE_KEY (no key file)"));
        else
            out.push_back(store_check("store key", c.store_key_file.empty()
                                                       ? default_store_key_file(c.token_store)
                                                       : c.store_key_file));
    }
    if (!c.api_keys_file.empty()) out.push_back(store_check("API keys", c.api_keys_file));
    const std::string audit = !c.audit_db.empty()        ? c.audit_db
                              : !c.api_keys_file.empty() ? default_audit_path(c.api_keys_file)
                                                         : std::string();
    if (!audit.empty()) out.push_back(store_check("audit log", audit));
    const std::string events = events_store_path(c);
    if (events == ":memory:")
        out.push_back(ok("event store", "in memory (sandbox): nothing on disk"));
    else if (!events.empty())
        out.push_back(store_check("event store", events));
    return out;
}

// ---- GHL ----

/// A 401 GHL gives a valid token lacking the endpoint's scope (or token kind), as opposed to an
/// invalid token.
bool scope_refusal(const ghl::ApiError& e) {
    if (e.kind() != ghl::ErrorKind::kHttp || e.status() != 401) return false;
    const std::string m = e.message();
    return m.find("scope") != std::string::npos || m.find("authClass") != std::string::npos;
}

/// What one probe found.
enum class Access { kGranted, kDenied, kUnknown };

struct Probe {
    std::string endpoint;
    ghl::Params path;
    ghl::Params query;
    nlohmann::json body;
};

/// Ids later probes need (a calendar, a conversation), taken from earlier answers.
struct Found {
    std::string calendar_id;
    std::string conversation_id;
};

std::string first_id(const nlohmann::json& body, const char* list) {
    if (!body.is_object() || !body.contains(list) || !body[list].is_array() || body[list].empty())
        return {};
    const auto& item = body[list][0];
    return item.is_object() && item.contains("id") && item["id"].is_string()
               ? item["id"].get<std::string>()
               : "";
}

/// Read scopes in the order they are probed (a calendar before its events, a conversation before
/// its messages) with their cheapest read: a listing of the location with limit 1 where the
/// endpoint has one. A placeholder id is used only when no real one was found; GHL checks the
/// scope before it looks the id up, so any answer but 401/403 proves the scope.
constexpr std::pair<std::string_view, std::string_view> kProbes[] = {
    {"locations.readonly", "locations.get"},
    {"contacts.readonly", "contacts.search"},
    {"calendars.readonly", "calendars.list"},
    {"calendars/events.readonly", "calendars.events.list"},
    {"opportunities.readonly", "opportunities.search"},
    {"conversations.readonly", "conversations.search"},
    {"conversations/message.readonly", "conversations.messages.list"},
    {"workflows.readonly", "workflows.list"},
    {"campaigns.readonly", "campaigns.list"},
    {"locations/customFields.readonly", "locations.custom_fields.list"},
    {"locations/tags.readonly", "locations.tags.list"},
    {"users.readonly", "users.list"},
    {"payments/orders.readonly", "payments.orders.list"},
    {"payments/transactions.readonly", "payments.transactions.list"},
};
constexpr std::string_view kPlaceholderId = "ghlmcpdoctorprobe000";

Probe probe_for(std::string_view endpoint, const std::string& location, const Found& found) {
    const auto now_ms =
        duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string id = std::string(kPlaceholderId);
    if (endpoint == "locations.get")
        return {"locations.get", {{"locationId", location}}, {}, nullptr};
    if (endpoint == "contacts.search")
        return {"contacts.search", {}, {}, {{"locationId", location}, {"pageLimit", 1}}};
    if (endpoint == "calendars.list")
        return {"calendars.list", {}, {{"locationId", location}}, nullptr};
    if (endpoint == "calendars.events.list")
        return {"calendars.events.list",
                {},
                {{"locationId", location},
                 {"calendarId", found.calendar_id.empty() ? id : found.calendar_id},
                 {"startTime", std::to_string(now_ms)},
                 {"endTime", std::to_string(now_ms + 3600 * 1000)}},
                nullptr};
    if (endpoint == "opportunities.search")
        return {"opportunities.search", {}, {{"location_id", location}, {"limit", "1"}}, nullptr};
    if (endpoint == "conversations.search")
        return {"conversations.search", {}, {{"locationId", location}, {"limit", "1"}}, nullptr};
    if (endpoint == "conversations.messages.list")
        return {"conversations.messages.list",
                {{"conversationId", found.conversation_id.empty() ? id : found.conversation_id}},
                {{"limit", "1"}},
                nullptr};
    if (endpoint == "workflows.list")
        return {"workflows.list", {}, {{"locationId", location}}, nullptr};
    if (endpoint == "campaigns.list")
        return {"campaigns.list", {}, {{"locationId", location}}, nullptr};
    if (endpoint == "locations.custom_fields.list")
        return {"locations.custom_fields.list", {{"locationId", location}}, {}, nullptr};
    if (endpoint == "locations.tags.list")
        return {"locations.tags.list", {{"locationId", location}}, {}, nullptr};
    if (endpoint == "users.list") return {"users.list", {}, {{"locationId", location}}, nullptr};
    if (endpoint == "payments.orders.list")
        return {"payments.orders.list", {}, {{"altId", location}, {"limit", "1"}}, nullptr};
    return {"payments.transactions.list", {}, {{"altId", location}, {"limit", "1"}}, nullptr};
}

bool is_write_scope(std::string_view scope) {
    return scope.ends_with(".write");
}

struct Reached {
    bool any_success = false;
    std::optional<seconds> skew;  ///< GHL's Date minus our clock, from the first answer with one
};

void note_date(Reached& r, const ghl::Headers& headers, std::chrono::system_clock::time_point sent,
               std::chrono::system_clock::time_point received) {
    r.any_success = true;
    if (r.skew) return;
    auto date = headers.get("Date");
    if (!date) return;
    auto at = ghl::parse_http_date(*date);
    if (!at) return;
    // Date has whole seconds (truncated): its middle is half a second later.
    const auto middle = sent + (received - sent) / 2;
    r.skew = std::chrono::round<seconds>(*at + milliseconds(500) - middle);
}

}  // namespace

std::optional<std::string_view> scope_probe_endpoint(std::string_view scope) {
    for (const auto& [s, endpoint] : kProbes)
        if (s == scope) return endpoint;
    return std::nullopt;
}

DoctorCheck clock_check(seconds skew) {
    const auto off = std::abs(skew.count());
    const std::string how =
        std::to_string(off) + " s " + (skew.count() > 0 ? "behind" : "ahead of") + " GHL's";
    const std::string fix =
        "sync the system clock: timedatectl set-ntp true (or run chrony / ntpd)";
    if (off > 300)
        return fail("clock",
                    "this machine's clock is " + how +
                        " (Date header): OAuth expiry and webhook timestamps are off by as much",
                    fix);
    if (off > 30) return warn("clock", "this machine's clock is " + how + " (Date header)", fix);
    return ok("clock", "within " + std::to_string(std::max<long long>(off, 1)) +
                           " s of GHL's (Date header)");
}

int DoctorReport::count(std::string_view status) const {
    return static_cast<int>(std::count_if(
        checks.begin(), checks.end(), [&](const DoctorCheck& c) { return c.status == status; }));
}

DoctorReport run_doctor(const Config& config, const DoctorOptions& o) {
    DoctorReport report;
    const Mode mode = mode_of(config);
    auto& checks = report.checks;
    auto add = [&](std::vector<DoctorCheck> more) {
        for (auto& c : more) checks.push_back(std::move(c));
    };
    add(configuration_checks(config, o, mode));
    add(http_checks(config));
    // Inspected before the App exists, so that nothing doctor does creates them.
    const auto stores = store_checks(config, mode);

    if (mode == Mode::kNone || !credential_problem(config).empty()) {
        add(stores);
        return report;
    }

    // The GHL side exactly as `serve` builds it, without the stores it would create.
    Config g = config;
    g.http = false;
    g.api_keys_file.clear();
    g.audit_db.clear();
    g.events_db = "off";
    std::unique_ptr<App> app;
    try {
        app = std::make_unique<App>(g);
    } catch (const std::exception& e) {
        const std::string what = e.what();
        std::string fix = mode == Mode::kOAuth
                              ? "ghl-mcp auth status shows the logins; ghl-mcp auth login adds one"
                              : "fix GHL_BASE_URL (https://services.leadconnectorhq.com)";
        checks.push_back(fail(mode == Mode::kOAuth ? "credentials" : "configuration",
                              "cannot set up the GHL client: " + what, fix));
        add(stores);
        return report;
    }
    auto& access = *app->environment().ghl;
    const std::string base_url = app->environment().api_base_url;
    Reached reached;

    // 1. Credentials: one cheap read of each sub-account we hold a credential for.
    std::vector<std::pair<std::string, std::string>> targets;  // location, how it is reached
    std::vector<std::string> needs_login;
    std::vector<ghl::CredentialInfo> described = access.credentials().describe();
    auto kind_text = [&](const std::string& kind) -> std::string {
        if (mode == Mode::kSandbox) return "sandbox token";
        if (kind == "private_integration_token") return "Private Integration Token";
        if (kind == "location") return "sub-account login";
        if (kind == "minted_location") return "agency login";
        return kind;
    };
    for (const auto& d : described) {
        if (d.needs_login) needs_login.push_back(d.key);
        if (!d.location_id.empty() &&
            std::none_of(targets.begin(), targets.end(),
                         [&](const auto& t) { return t.first == d.location_id; }))
            targets.emplace_back(d.location_id, kind_text(d.kind));
    }
    const std::string default_location = access.default_location();
    if (!default_location.empty() &&
        std::none_of(targets.begin(), targets.end(),
                     [&](const auto& t) { return t.first == default_location; }))
        targets.emplace_back(default_location, "agency login");
    constexpr std::size_t kMaxLocations = 20;
    const std::size_t skipped = targets.size() > kMaxLocations ? targets.size() - kMaxLocations : 0;
    if (skipped) targets.resize(kMaxLocations);
    for (const auto& key : needs_login)
        checks.push_back(fail(
            "credentials", "the login " + key + " needs a new login: GHL refused its refresh token",
            "ghl-mcp auth login (then ghl-mcp auth status)"));
    if (targets.empty())
        checks.push_back(
            warn("credentials",
                 "no sub-account to check: the logins name none and GHL_LOCATION_ID is unset",
                 "set GHL_LOCATION_ID to a sub-account of the agency to check it"));

    std::map<std::string, Access>
        location_scope;            // locations.readonly per location, from this check
    std::set<std::string> usable;  // locations whose token GHL accepted
    for (const auto& [location, how] : targets) {
        const auto sent = std::chrono::system_clock::now();
        const auto started = std::chrono::steady_clock::now();
        auto elapsed = [&] {
            return std::to_string(
                duration_cast<milliseconds>(std::chrono::steady_clock::now() - started).count());
        };
        try {
            auto reply = access.probe("locations.get", {{"locationId", location}}, {}, nullptr,
                                      location, o.timeout);
            note_date(reached, reply.headers, sent, std::chrono::system_clock::now());
            usable.insert(location);
            location_scope[location] = Access::kGranted;
            checks.push_back(ok("credentials", how + " for location " + location +
                                                   " (GET /locations/{locationId} " +
                                                   std::to_string(reply.status) + " in " +
                                                   elapsed() + " ms)"));
        } catch (const ghl::CredentialError& e) {
            checks.push_back(
                fail("credentials",
                     std::string("no usable token for location ") + location + ": " + e.what(),
                     "ghl-mcp auth login (ghl-mcp auth status shows the logins)"));
        } catch (const ghl::ApiError& e) {
            const std::string status = e.status() ? std::to_string(e.status()) + " " : "";
            if (scope_refusal(e)) {
                usable.insert(location);
                location_scope[location] = Access::kDenied;
                checks.push_back(ok("credentials", how + " for location " + location +
                                                       " accepted (GET /locations/{locationId} " +
                                                       status + "\"" + e.message() +
                                                       "\": the scope is missing, see scopes)"));
            } else if (e.kind() == ghl::ErrorKind::kHttp && e.status() == 401) {
                checks.push_back(fail("credentials",
                                      "GHL refused the " + how + " for location " + location +
                                          " (GET /locations/{locationId} 401 \"" + e.message() +
                                          "\")",
                                      token_fix(mode)));
            } else if (e.kind() == ghl::ErrorKind::kHttp &&
                       (e.status() == 403 || e.status() == 400 || e.status() == 404)) {
                checks.push_back(
                    fail("credentials",
                         "GHL refused location " + location + " to the " + how +
                             " (GET /locations/{locationId} " + status + "\"" + e.message() + "\")",
                         "set GHL_LOCATION_ID (or --location-id) to the id of the sub-account the "
                         "token belongs to"));
            } else if (e.kind() == ghl::ErrorKind::kHttp ||
                       e.kind() == ghl::ErrorKind::kRateLimited) {
                checks.push_back(fail("credentials",
                                      "GHL answered GET /locations/{locationId} for location " +
                                          location + " with " + status + e.message(),
                                      e.transient()
                                          ? "GHL is busy or failing: run doctor again in a minute"
                                          : "see the message above"));
            } else {
                checks.push_back(fail("credentials",
                                      "cannot reach GHL at " + base_url + ": " + e.agent_text(),
                                      "check this machine's network access to " + base_url +
                                          " (proxy: HTTPS_PROXY), or GHL_BASE_URL"));
            }
        }
    }
    if (skipped)
        checks.push_back(ok("credentials", std::to_string(skipped) +
                                               " more sub-account(s) not checked (at most " +
                                               std::to_string(kMaxLocations) + " per run)"));

    // 2. Scopes the enabled tools need: those of the endpoints each always calls (without them the
    // tool fails), and of those it calls for some arguments only (it fails for those).
    std::map<std::string, std::set<std::string>> needed;     // scope -> tools that need it
    std::map<std::string, std::set<std::string>> sometimes;  // scope -> tools that need it at times
    std::map<std::string, const tools::Definition*> by_name;
    for (const auto& d : tools::definitions()) by_name[d.wire["name"].get<std::string>()] = &d;
    const bool agency = !access.credentials().companies().empty();
    std::size_t tool_count = 0;
    for (const auto& t : app->server().registry().tools()) {
        ++tool_count;
        auto it = by_name.find(t->name());
        if (it == by_name.end()) continue;
        auto note = [&](const std::vector<std::string>& ids,
                        std::map<std::string, std::set<std::string>>& into) {
            for (const auto& id : ids) {
                const auto& ep = ghl::endpoint(id);
                if (ep.scope.empty() || (ep.token == ghl::TokenKind::kAgency && !agency)) continue;
                into[std::string(ep.scope)].insert(t->name());
            }
        };
        note(it->second->endpoints, needed);
        note(it->second->optional_endpoints, sometimes);
    }
    std::set<std::string> all_scopes;
    for (const auto& [scope, _] : needed) all_scopes.insert(scope);
    for (const auto& [scope, _] : sometimes) all_scopes.insert(scope);

    std::map<std::string, std::set<std::string>>
        denied;                        // scope -> who lacks it (location or login)
    std::set<std::string> unverified;  // read scopes no answer settled
    std::set<std::string> writes;      // write scopes (a PIT's cannot be tested)
    std::size_t probes = 0;
    std::vector<std::string> probe_errors;
    if (mode == Mode::kOAuth) {
        for (const auto& d : described) {
            if (d.scope.empty()) {
                probe_errors.push_back("login " + d.key + ": GHL reported no scopes");
                continue;
            }
            const std::string granted = " " + d.scope + " ";
            for (const auto& scope : all_scopes) {
                // Agency-only endpoints need the agency login's scope; an agency login's scopes
                // are also those of the location tokens it mints.
                if (scope.rfind("oauth.", 0) == 0 && d.kind != "agency") continue;
                if (granted.find(" " + scope + " ") == std::string::npos)
                    denied[scope].insert(d.key);
            }
        }
    } else {
        for (const auto& scope : all_scopes)
            if (is_write_scope(scope))
                writes.insert(scope);
            else if (!scope_probe_endpoint(scope))
                unverified.insert(scope);
        Found found;
        for (const auto& [location, _] : targets) {
            if (!usable.count(location)) continue;
            for (const auto& [scope, endpoint] : kProbes) {
                const std::string s(scope);
                if (!all_scopes.count(s)) {
                    // Still read a calendar or conversation id when a later probe needs one.
                    const bool feeds = (s == "calendars.readonly" &&
                                        all_scopes.count("calendars/events.readonly")) ||
                                       (s == "conversations.readonly" &&
                                        all_scopes.count("conversations/message.readonly"));
                    if (!feeds) continue;
                }
                Access result = Access::kUnknown;
                if (s == "locations.readonly" && location_scope.count(location)) {
                    result = location_scope[location];
                } else {
                    Probe p = probe_for(endpoint, location, found);
                    ++probes;
                    const auto sent = std::chrono::system_clock::now();
                    try {
                        auto reply =
                            access.probe(p.endpoint, p.path, p.query, p.body, location, o.timeout);
                        note_date(reached, reply.headers, sent, std::chrono::system_clock::now());
                        result = Access::kGranted;
                        if (found.calendar_id.empty())
                            found.calendar_id = first_id(reply.body, "calendars");
                        if (found.conversation_id.empty())
                            found.conversation_id = first_id(reply.body, "conversations");
                    } catch (const ghl::ApiError& e) {
                        if (scope_refusal(e) ||
                            (e.kind() == ghl::ErrorKind::kHttp && e.status() == 403)) {
                            result = Access::kDenied;
                        } else if (e.kind() == ghl::ErrorKind::kHttp && e.status() != 401 &&
                                   e.status() < 500 && e.status() != 429) {
                            result = Access::kGranted;  // past the scope check (e.g. a placeholder
                                                        // id not found)
                        } else {
                            probe_errors.push_back(p.endpoint + ": " + std::string(e.code()));
                        }
                    } catch (const ghl::CredentialError& e) {
                        probe_errors.push_back(p.endpoint + ": " + e.code());
                    }
                }
                if (!all_scopes.count(s)) continue;
                if (result == Access::kDenied)
                    denied[s].insert(location);
                else if (result == Access::kUnknown)
                    unverified.insert(s);
            }
        }
    }
    if (!usable.empty() || mode == Mode::kOAuth) {
        std::set<std::string> failing, degraded;
        std::vector<std::string> denied_needed, denied_sometimes;
        std::string lacking;
        for (const auto& [scope, who] : denied) {
            lacking += (lacking.empty() ? "" : "; ") + scope + " (" + joined_set(who) + ")";
            if (needed.count(scope))
                denied_needed.push_back(scope);
            else
                denied_sometimes.push_back(scope);
            for (const auto& t : needed[scope]) failing.insert(t);
        }
        for (const auto& [scope, _] : denied)
            for (const auto& t : sometimes[scope])
                if (!failing.count(t)) degraded.insert(t);
        std::vector<std::string> verified;
        for (const auto& scope : all_scopes)
            if (!denied.count(scope) && !unverified.count(scope) &&
                (mode == Mode::kOAuth || !writes.count(scope)))
                verified.push_back(scope);
        const std::string how_checked =
            mode == Mode::kOAuth ? "granted scopes from the token store"
                                 : std::to_string(probes) + " probe request(s), one per read scope";
        std::vector<std::string> all_denied;
        for (const auto& [scope, _] : denied) all_denied.push_back(scope);
        const std::string fix =
            (mode == Mode::kOAuth
                 ? "add " + joined(all_denied, " ") +
                       " to your app's scopes (Marketplace > My Apps > Auth) and run "
                       "ghl-mcp auth login again"
                 : "edit the Private Integration in GHL (Settings > Private Integrations) to "
                   "grant " +
                       joined(all_denied, " ") + " and set the new token") +
            "; or stop offering those tools (--toolsets / --tools / --read-only)";
        if (!failing.empty()) {
            checks.push_back(fail(
                "scopes",
                "missing " + lacking + ": these " + std::to_string(failing.size()) +
                    " enabled tools will fail with 401/403: " + joined_set(failing) +
                    (degraded.empty() ? ""
                                      : "; these for some arguments: " + joined_set(degraded)) +
                    " (" + how_checked + ")",
                fix));
        } else {
            std::string detail = "the " + std::to_string(tool_count) +
                                 " enabled tools' scopes are granted: " + joined(verified) + " (" +
                                 how_checked + ")";
            if (!writes.empty())
                detail +=
                    "; write scopes cannot be tested without writing, make sure the token grants " +
                    joined_set(writes);
            checks.push_back(ok("scopes", detail));
            if (!degraded.empty())
                checks.push_back(warn("scopes",
                                      "missing " + lacking +
                                          ": these tools fail for some arguments "
                                          "(custom fields by key, naming an existing duplicate): " +
                                          joined_set(degraded),
                                      fix));
        }
        if (!unverified.empty() || !probe_errors.empty())
            checks.push_back(
                warn("scopes",
                     "not verified: " + joined_set(unverified) +
                         (probe_errors.empty() ? "" : " (" + joined(probe_errors) + ")"),
                     "run doctor again; a persistent error names what GHL answered"));
    }

    // 3. The clock against GHL's.
    if (reached.skew)
        checks.push_back(clock_check(*reached.skew));
    else
        checks.push_back(warn("clock",
                              reached.any_success
                                  ? "not checked: GHL's answers carried no Date header"
                                  : "not checked: no answer from GHL",
                              "fix the credentials above, then run doctor again"));

    add(stores);
    report.ghl_requests = static_cast<long>(access.client().snapshot().total().attempts);
    return report;
}

std::string doctor_text(const DoctorReport& report) {
    std::string out;
    for (const auto& c : report.checks) {
        const std::string tag = c.status == "ok" ? "ok  " : c.status == "warn" ? "warn" : "FAIL";
        out += tag + " " + c.check + ": " + c.detail + "\n";
        if (!c.fix.empty()) {
            std::string fix = c.fix;
            std::string indented;
            std::size_t start = 0;
            bool first = true;
            while (start <= fix.size()) {
                auto end = fix.find('\n', start);
                if (end == std::string::npos) end = fix.size();
                indented +=
                    (first ? "     fix: " : "          ") + fix.substr(start, end - start) + "\n";
                first = false;
                start = end + 1;
            }
            out += indented;
        }
    }
    const int fails = report.count("fail"), warns = report.count("warn");
    out += "\n" +
           (fails == 0 ? std::string("no problems") : std::to_string(fails) + " problem(s)") +
           ", " + std::to_string(warns) + " warning(s); " + std::to_string(report.ghl_requests) +
           " GHL request(s) made.\n";
    return out;
}

nlohmann::json doctor_json(const DoctorReport& report) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : report.checks)
        out.push_back({{"check", c.check},
                       {"status", c.status},
                       {"detail", c.detail},
                       {"fix", c.fix.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.fix)}});
    return out;
}

}  // namespace app
