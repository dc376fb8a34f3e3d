// The server: one dispatcher in front of the route table doing what GHL's gateway does (auth,
// Version, rate limits) plus the injected faults, the request log and the counters.
#include "ghlsim/simulator.hpp"

#include "api.hpp"
#include "oauth.hpp"
#include "webhooks.hpp"

#include <httplib.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <cstdlib>
#include <ctime>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace ghlsim {

namespace {

int port_of(const sockaddr_storage& a) {
    if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
    if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
    return -1;
}

std::string address_of(const sockaddr_storage& a) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = a.ss_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&a)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr);
    return ::inet_ntop(a.ss_family, raw, text, sizeof text) == nullptr ? "" : text;
}

/// Calls `fn(fd, peer)` for every connected socket of this process whose local port is
/// `local_port`, i.e. the server side of the simulator's connections. httplib does not expose
/// its sockets, so they are found among the process's descriptors; the descriptors stay owned
/// (and are later closed) by httplib.
template <typename Fn>
void for_each_connection(int local_port, Fn fn) {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return;
    while (const dirent* entry = ::readdir(dir)) {
        char* end = nullptr;
        const long fd = std::strtol(entry->d_name, &end, 10);
        if (end == entry->d_name || *end != '\0' || fd == ::dirfd(dir)) continue;
        sockaddr_storage local{};
        sockaddr_storage peer{};
        socklen_t local_len = sizeof local;
        socklen_t peer_len = sizeof peer;
        if (::getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
            port_of(local) != local_port ||
            ::getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) {
            continue;
        }
        if (fn(static_cast<int>(fd), peer)) break;
    }
    ::closedir(dir);
}

/// cpp-httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG). More simultaneous
/// connection attempts than that overflow the accept queue; the kernel drops the surplus
/// handshakes and the client's request then waits for a retransmission a second later. A second
/// listen() on the listening socket (found like the connections below) raises the backlog.
void widen_backlog(int local_port) {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return;
    while (const dirent* entry = ::readdir(dir)) {
        char* end = nullptr;
        const long fd = std::strtol(entry->d_name, &end, 10);
        if (end == entry->d_name || *end != '\0' || fd == ::dirfd(dir)) continue;
        sockaddr_storage local{};
        socklen_t local_len = sizeof local;
        int listening = 0;
        socklen_t flag_len = sizeof listening;
        if (::getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &local_len) == 0 &&
            port_of(local) == local_port &&
            ::getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &flag_len) == 0 &&
            listening != 0) {
            (void)::listen(static_cast<int>(fd), SOMAXCONN);
        }
    }
    ::closedir(dir);
}

/// Aborts the connection a request came in on with a TCP RST: connect(AF_UNSPEC) on a connected
/// TCP socket disconnects it with an active reset; httplib's attempt to write the response then
/// fails and ends the connection.
void reset_connection(const httplib::Request& req) {
    for_each_connection(req.local_port, [&](int fd, const sockaddr_storage& peer) {
        if (port_of(peer) != req.remote_port || address_of(peer) != req.remote_addr) return false;
        sockaddr addr{};
        addr.sa_family = AF_UNSPEC;
        (void)::connect(fd, &addr, sizeof addr);
        return true;
    });
}

/// Ends every open connection, so that stopping does not wait for idle keep-alive connections to
/// time out (httplib's keep-alive wait does not watch for stop()).
void shutdown_connections(int port) {
    for_each_connection(port, [](int fd, const sockaddr_storage&) {
        ::shutdown(fd, SHUT_RDWR);
        return false;
    });
}

const std::array<const char*, 5> kPublishedVersions = {"2021-04-15", "2021-07-28", "2023-02-21",
                                                       "v3", "legacy"};

Ms system_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string lower_ascii(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// An IMF-fixdate ("Mon, 07 Dec 2026 19:46:35 GMT"), the form of HTTP's Date header.
std::string http_date(Ms epoch_ms) {
    const std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char out[64];
    std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return out;
}

Json unauthorized(const std::string& message) {
    return {{"statusCode", 401}, {"message", message}, {"error", "Unauthorized"}};
}

/// Every field of Counters, to add them up over the sub-accounts (the static_assert below keeps
/// the list complete).
constexpr std::array<int Counters::*, 24> kCounterFields = {
    &Counters::requests,          &Counters::rate_limited,         &Counters::faults,
    &Counters::contacts_created,  &Counters::contacts_updated,     &Counters::contacts_deleted,
    &Counters::notes_created,     &Counters::tasks_created,        &Counters::appointments_created,
    &Counters::appointments_updated, &Counters::appointments_deleted,
    &Counters::opportunities_created, &Counters::opportunities_updated,
    &Counters::opportunities_deleted, &Counters::messages_sent,    &Counters::messages_inbound,
    &Counters::workflow_enrolments, &Counters::campaign_enrolments,
    &Counters::oauth_codes_issued, &Counters::oauth_code_exchanges, &Counters::oauth_refreshes,
    &Counters::oauth_refresh_rejected, &Counters::location_tokens_issued,
    &Counters::expired_token_rejections};
static_assert(sizeof(Counters) == kCounterFields.size() * sizeof(int),
              "kCounterFields must list every field of Counters");

void add_counters(Counters& into, const Counters& from) {
    for (int Counters::*field : kCounterFields) into.*field += from.*field;
}

/// The seed of the n-th further sub-account: a mix of the simulator's seed and n, so that the
/// sub-accounts of one simulator differ and those of simulators with neighbouring seeds too.
std::uint64_t extra_seed(std::uint64_t seed, int n) {
    Rng mixer(seed ^ (0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(n)));
    return mixer.next();
}

/// Per-token usage: a sliding window of admitted requests and a per-UTC-day count.
struct Usage {
    std::deque<std::int64_t> window;  // steady-clock ms of the admitted requests
    std::int64_t day = -1;
    long daily = 0;
};

struct LimitState {
    int max = 0;
    int interval_ms = 0;
    long daily_limit = 0;
    int remaining = 0;
    long daily_remaining = 0;
};

}  // namespace

struct Simulator::Impl {
    explicit Impl(Options o) : opts(std::move(o)), fault_rng(opts.seed ^ 0x5EED5EED5EEDULL),
                               trace_rng(opts.seed ^ 0x7AC3ULL) {
        faults = opts.faults;
        burst_left = faults.burst_429;
        if (opts.extra_locations < 0 || opts.extra_locations > kMaxExtraLocations) {
            throw std::invalid_argument("ghl-sim: extra_locations must be between 0 and " +
                                        std::to_string(kMaxExtraLocations));
        }
        const Ms reference_now = now_ms();
        stores.push_back(std::make_unique<Store>(opts.seed, reference_now, opts.location_id));
        for (int n = 1; n <= opts.extra_locations; ++n) {
            std::string id = extra_location_id(n);
            if (id == opts.location_id) {
                throw std::invalid_argument("ghl-sim: location_id " + id +
                                            " is the id of a further sub-account");
            }
            stores.push_back(std::make_unique<Store>(extra_seed(opts.seed, n), reference_now,
                                                     std::move(id), static_cast<std::size_t>(n)));
        }
        for (const auto& s : stores) location_ids.push_back(s->location.id);
        register_contact_routes(router);
        register_calendar_routes(router);
        register_opportunity_routes(router);
        register_conversation_routes(router);
        register_account_routes(router);
        if (opts.oauth) {
            const OAuthApp& app = *opts.oauth;
            if (app.client_id.empty() || app.client_secret.empty() || app.access_ttl_s <= 0 ||
                app.location_token_ttl_s <= 0) {
                throw std::invalid_argument(
                    "ghl-sim: the OAuth app needs a client id, a client secret and positive "
                    "token lifetimes");
            }
            std::vector<SubAccount> subs;
            for (const auto& s : stores) {
                const Location& l = s->location;
                subs.push_back({l.id, l.name,
                                l.address + ", " + l.city + ", " + l.state + " " + l.postal_code +
                                    ", " + l.country,
                                s->facts.user_ids.front()});
            }
            oauth = std::make_unique<OAuthServer>(app, company_id, std::move(subs), reference_now);
            register_oauth_routes(router);
        }
        if (opts.webhooks) {
            webhooks = std::make_unique<WebhookSender>(*opts.webhooks, [this] { return now_ms(); });
        }
    }

    static constexpr int kMaxExtraLocations = 99;

    Options opts;
    std::vector<std::unique_ptr<Store>> stores;  // the default sub-account first
    std::vector<std::string> location_ids;       // in the order of `stores`
    const std::string company_id = std::string(kCompanyId);
    std::unique_ptr<OAuthServer> oauth;  // Options::oauth
    std::unique_ptr<WebhookSender> webhooks;  // Options::webhooks
    Router router;
    httplib::Server server;
    std::thread thread;
    int port = 0;
    bool started = false;
    bool stopped = false;
    std::mutex lifecycle_mu;

    std::mutex fault_mu;
    Faults faults;
    int burst_left = 0;
    Rng fault_rng;

    std::mutex limit_mu;
    std::map<std::string, Usage> usage;

    std::mutex log_mu;
    std::deque<RequestRecord> log;
    Rng trace_rng;

    std::mutex counter_mu;
    Counters gateway_counters;  // requests, rate_limited, faults; the stores count the writes

    Store& default_store() const { return *stores.front(); }
    OAuthServer& oauth_or_throw() const;
    WebhookSender& webhooks_or_throw() const;

    /// The sub-account `location_id`, or nullptr when it is not one of ours.
    Store* store_for(const std::string& location_id) const {
        for (const auto& s : stores) {
            if (s->location.id == location_id) return s.get();
        }
        return nullptr;
    }

    Ms now_ms() const { return opts.now ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                                opts.now().time_since_epoch())
                                                .count()
                                        : system_now_ms(); }

    std::string trace_id() {
        std::lock_guard lock(log_mu);
        return trace_rng.uuid();
    }

    /// Admits one request of `token` (or refuses it); fills the header values either way.
    bool admit(const std::string& token, LimitState& state, int& retry_after_s) {
        std::lock_guard lock(limit_mu);
        Usage& u = usage[token];
        const std::int64_t now = steady_ms();
        const std::int64_t today = now_ms() / timeutil::kDay;
        if (u.day != today) {
            u.day = today;
            u.daily = 0;
        }
        while (!u.window.empty() && u.window.front() <= now - opts.rate.interval_ms) {
            u.window.pop_front();
        }
        state.max = opts.rate.max_requests;
        state.interval_ms = opts.rate.interval_ms;
        state.daily_limit = opts.daily_limit;
        bool ok = true;
        if (u.daily >= opts.daily_limit) {
            ok = false;
            const Ms until_midnight = (today + 1) * timeutil::kDay - now_ms();
            retry_after_s = static_cast<int>(std::max<Ms>(1, (until_midnight + 999) / 1000));
        } else if (static_cast<int>(u.window.size()) >= opts.rate.max_requests) {
            ok = false;
            const std::int64_t wait = u.window.front() + opts.rate.interval_ms - now;
            retry_after_s = static_cast<int>(std::max<std::int64_t>(1, (wait + 999) / 1000));
        } else {
            u.window.push_back(now);
            ++u.daily;
        }
        state.remaining = std::max(0, opts.rate.max_requests - static_cast<int>(u.window.size()));
        state.daily_remaining = std::max(0L, opts.daily_limit - u.daily);
        return ok;
    }

    /// Rate-limit headers of `token` without counting a request.
    LimitState peek(const std::string& token) {
        std::lock_guard lock(limit_mu);
        LimitState state{opts.rate.max_requests, opts.rate.interval_ms, opts.daily_limit,
                         opts.rate.max_requests, opts.daily_limit};
        const auto it = usage.find(token);
        if (it != usage.end()) {
            const std::int64_t now = steady_ms();
            int in_window = 0;
            for (std::int64_t t : it->second.window) {
                if (t > now - opts.rate.interval_ms) ++in_window;
            }
            state.remaining = std::max(0, opts.rate.max_requests - in_window);
            if (it->second.day == now_ms() / timeutil::kDay) {
                state.daily_remaining = std::max(0L, opts.daily_limit - it->second.daily);
            }
        }
        return state;
    }

    void count(int Counters::*field) {
        std::lock_guard lock(counter_mu);
        ++(gateway_counters.*field);
    }

    void dispatch(const httplib::Request& req, httplib::Response& res);
};

void Simulator::Impl::dispatch(const httplib::Request& req, httplib::Response& res) {
    RequestRecord rec;
    rec.method = req.method;
    rec.path = req.path;
    const auto qpos = req.target.find('?');
    if (qpos != std::string::npos) rec.query = req.target.substr(qpos + 1);
    for (const auto& [name, value] : req.headers) rec.headers[lower_ascii(name)] = value;
    rec.body = req.body;
    rec.at_ms = now_ms();
    count(&Counters::requests);

    Faults f;
    bool reset = false;
    bool reset_after = false;
    {
        std::lock_guard lock(fault_mu);
        f = faults;
        if (f.reset_ratio > 0 && fault_rng.unit() < f.reset_ratio) {
            reset = true;
            reset_after = fault_rng.chance(0.5);
        }
    }
    if (f.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(f.latency_ms));

    int status = 0;
    Json body;
    std::string redirect;  // set: 302 to it
    std::string token;
    bool authenticated = false;
    LimitState limits;
    int retry_after = 0;

    // Logs the request, then answers it (or resets the connection when status is 0). The log
    // entry exists before the client can see the outcome.
    const auto finish = [&]() {
        if (status == 0) {
            count(&Counters::faults);
        } else if (status >= 400 && body.is_object() && !body.contains("traceId")) {
            body["traceId"] = trace_id();
        }
        rec.status = status;
        {
            std::lock_guard lock(log_mu);
            log.push_back(rec);
            while (log.size() > std::max<std::size_t>(1, opts.request_log_capacity)) {
                log.pop_front();
            }
        }
        if (opts.on_request) opts.on_request(rec);
        if (status == 0) {  // reset: no response at all
            reset_connection(req);
            res.status = 500;
            return;
        }
        res.status = status;
        res.set_header("Date", http_date(now_ms()));  // as GHL's gateway: clock-skew checks read it
        if (!redirect.empty()) {
            res.set_header("Location", redirect);
            res.set_content("Found. Redirecting to " + redirect, "text/plain; charset=utf-8");
        } else {
            res.set_content(body.dump(), "application/json; charset=utf-8");
        }
        if (authenticated) {
            res.set_header("X-RateLimit-Max", std::to_string(limits.max));
            res.set_header("X-RateLimit-Remaining", std::to_string(limits.remaining));
            res.set_header("X-RateLimit-Interval-Milliseconds", std::to_string(limits.interval_ms));
            res.set_header("X-RateLimit-Limit-Daily", std::to_string(limits.daily_limit));
            res.set_header("X-RateLimit-Daily-Remaining", std::to_string(limits.daily_remaining));
        }
        if (status == 429) res.set_header("Retry-After", std::to_string(retry_after));
    };

    // Injected server errors: 500/503 before the work, 502/504 after it.
    const auto draw_5xx = [&]() {
        std::lock_guard lock(fault_mu);
        if (f.error_5xx_ratio > 0 && fault_rng.unit() < f.error_5xx_ratio) {
            static constexpr std::array<int, 4> kCodes = {500, 502, 503, 504};
            return kCodes[fault_rng.next() % kCodes.size()];
        }
        return 0;
    };
    const auto answer_5xx = [&](int code) {
        count(&Counters::faults);
        status = code;
        static const std::map<int, const char*> kText = {{500, "Internal Server Error"},
                                                         {502, "Bad Gateway"},
                                                         {503, "Service Unavailable"},
                                                         {504, "Gateway Timeout"}};
        body = {{"statusCode", code}, {"message", kText.at(code)}};
        finish();
    };

    if (reset && !reset_after) {
        status = 0;
        return finish();
    }

    // OAuth without a bearer token: the consent page (a browser's GET, no Version, no rate
    // limit) and the token endpoint (client credentials; the spec declares no Version, any is
    // ignored; no rate limit is documented for it, so none is applied).
    if (oauth && req.method == "GET" &&
        (req.path == "/oauth/chooselocation" || req.path == "/v2/oauth/chooselocation")) {
        OAuthServer::Answer a = oauth->choose_location(req, now_ms());
        status = reset ? 0 : a.status;
        body = std::move(a.body);
        redirect = std::move(a.redirect);
        return finish();
    }
    if (oauth && req.method == "POST" && req.path == "/oauth/token") {
        const int injected_5xx = draw_5xx();
        if (injected_5xx == 500 || injected_5xx == 503) return answer_5xx(injected_5xx);
        OAuthServer::Answer a = oauth->token(req, now_ms());
        status = a.status;
        body = std::move(a.body);
        if (reset) {
            status = 0;
            return finish();
        }
        // A 502/504 here loses an answer whose tokens were issued (and a rotated refresh token).
        if (injected_5xx != 0) return answer_5xx(injected_5xx);
        return finish();
    }

    // Authentication: "Authorization: Bearer <token>", a static token (the default
    // sub-account's private integration token) or an OAuth access token.
    const std::string auth = req.get_header_value("Authorization");
    if (auth.size() > 7 && lower_ascii(auth.substr(0, 7)) == "bearer ") token = auth.substr(7);
    Principal who;
    bool known = false;
    if (!token.empty() &&
        std::find(opts.tokens.begin(), opts.tokens.end(), token) != opts.tokens.end()) {
        who.kind = Principal::Kind::kPrivate;
        who.company_id = company_id;
        who.location_id = location_ids.front();
        who.budget = "token:" + token;
        known = true;
    } else if (!token.empty() && oauth) {
        switch (oauth->authenticate(token, now_ms(), who)) {
            case OAuthServer::Check::kValid:
                known = true;
                break;
            case OAuthServer::Check::kExpired:
                status = 401;
                body = {{"statusCode", 401}, {"message", "Invalid JWT"}};
                return finish();
            case OAuthServer::Check::kUnknown:
                break;
        }
    }
    if (!known) {
        status = 401;
        body = unauthorized("Invalid token: access token is invalid");
        return finish();
    }

    // Version: required, one of the published values (live GHL answers 401 to both).
    if (!req.has_header("Version")) {
        status = 401;
        body = unauthorized("version header was not found.");
        return finish();
    }
    const std::string version = req.get_header_value("Version");
    if (std::find(kPublishedVersions.begin(), kPublishedVersions.end(), version) ==
        kPublishedVersions.end()) {
        status = 401;
        body = unauthorized("version header is invalid");
        return finish();
    }

    std::map<std::string, std::string> params;
    const Route* route = router.match(req.method, req.path, params);

    // Rate limits (an injected burst first), per budget: a static token's own, or the OAuth
    // resource's (so a refreshed token shares its predecessor's).
    authenticated = true;
    bool injected_429 = false;
    {
        std::lock_guard lock(fault_mu);
        if (burst_left > 0) {
            --burst_left;
            injected_429 = true;
        }
    }
    if (injected_429) {
        limits = peek(who.budget);
        limits.remaining = 0;
        retry_after = 1;
        count(&Counters::rate_limited);
        status = 429;
        body = {{"statusCode", 429}, {"message", "Too Many Requests"}, {"error", "Too Many Requests"}};
        return finish();
    }
    if (!admit(who.budget, limits, retry_after)) {
        count(&Counters::rate_limited);
        status = 429;
        body = {{"statusCode", 429}, {"message", "Too Many Requests"}, {"error", "Too Many Requests"}};
        return finish();
    }

    if (route == nullptr) {
        status = 404;
        body = {{"statusCode", 404},
                {"message", "Cannot " + req.method + " " + req.path},
                {"error", "Not Found"}};
        return finish();
    }
    if (opts.strict_version && version != route->version) {
        status = 400;
        body = {{"statusCode", 400},
                {"message", "version header is invalid for " + req.method + " " + route->pattern +
                                ": its spec declares " + route->version +
                                " (ghl-sim strict_version)"},
                {"error", "Bad Request"}};
        return finish();
    }

    // The token's kind against the endpoint's security scheme.
    const bool agency = who.kind == Principal::Kind::kCompany;
    if ((route->access == Access::kAgency && !agency) ||
        (route->access == Access::kSubAccount && agency)) {
        const ApiError e = wrong_auth_class();
        status = e.status;
        body = e.body;
        return finish();
    }

    // The token's scopes (Options::token_scopes) against the endpoint's.
    if (who.kind == Principal::Kind::kPrivate) {
        const auto granted = opts.token_scopes.find(token);
        const std::string needed = required_scope(route->method, route->pattern);
        if (granted != opts.token_scopes.end() && !needed.empty() &&
            (" " + granted->second + " ").find(" " + needed + " ") == std::string::npos) {
            status = 401;
            body = {{"statusCode", 401}, {"message", "The token is not authorized for this scope."}};
            return finish();
        }
    }

    const int injected_5xx = draw_5xx();
    if (injected_5xx == 500 || injected_5xx == 503) return answer_5xx(injected_5xx);

    // The sub-account that serves the request: the token's; for an agency token the one the
    // request names (path, then query), else the default one (whose checks then refuse any
    // location the agency does not have).
    Store* store = &default_store();
    if (who.kind == Principal::Kind::kLocation) {
        store = store_for(who.location_id);  // OAuth tokens only name our sub-accounts
    } else if (agency) {
        const auto named = params.find("locationId");
        std::string location;
        if (named != params.end()) {
            location = named->second;
        } else if (req.has_param("locationId")) {
            location = req.get_param_value("locationId");
        }
        if (Store* s = store_for(location)) store = s;
    }
    {
        std::lock_guard lock(store->mutex);
        Call call(req, params, *store, opts, now_ms(), who, oauth.get(), webhooks != nullptr);
        try {
            Reply reply = route->handler(call);
            status = reply.status;
            body = std::move(reply.body);
            // Queued under the sub-account's lock, so they leave in the order of the changes.
            for (Json& event : call.events()) webhooks->enqueue(std::move(event));
        } catch (const ApiError& e) {
            status = e.status;
            body = e.body;
            if (status == 422 && route->validation_status != 422) {
                status = route->validation_status;
                body["statusCode"] = status;
                body["error"] = "Bad Request";
            }
        } catch (const std::exception& e) {
            status = 500;
            body = {{"statusCode", 500},
                    {"message", std::string("ghl-sim internal error: ") + e.what()}};
        }
    }
    if (reset) {
        status = 0;
        return finish();
    }
    if (injected_5xx != 0) return answer_5xx(injected_5xx);
    finish();
}

std::string required_scope(std::string_view method, std::string_view pattern) {
    while (pattern.size() > 1 && pattern.back() == '/') pattern.remove_suffix(1);
    const auto starts = [&](std::string_view prefix) {
        return pattern.substr(0, prefix.size()) == prefix &&
               (pattern.size() == prefix.size() || pattern[prefix.size()] == '/');
    };
    // Searches by POST read; every other method but GET writes.
    const bool read = method == "GET" || (method == "POST" && pattern.ends_with("/search"));
    const std::string access = read ? ".readonly" : ".write";
    if (starts("/oauth")) return {};
    if (starts("/calendars/events")) return "calendars/events" + access;
    if (starts("/conversations") && (starts("/conversations/messages") || pattern.ends_with("/messages")))
        return "conversations/message" + access;
    if (starts("/locations/{locationId}/customFields")) return "locations/customFields" + access;
    if (starts("/locations/{locationId}/tags")) return "locations/tags" + access;
    if (starts("/payments/orders")) return "payments/orders" + access;
    if (starts("/payments/transactions")) return "payments/transactions" + access;
    const auto second_slash = pattern.find('/', 1);
    return std::string(pattern.substr(1, second_slash == std::string_view::npos ? std::string_view::npos
                                                                                 : second_slash - 1)) +
           access;
}

Simulator::Simulator(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Simulator::~Simulator() { stop(); }

void Simulator::start() {
    std::lock_guard lock(impl_->lifecycle_mu);
    if (impl_->started) throw std::logic_error("ghlsim::Simulator::start called twice");
    Impl& im = *impl_;
    httplib::Server& svr = im.server;
    const auto handler = [&im](const httplib::Request& req, httplib::Response& res) {
        im.dispatch(req, res);
    };
    svr.Get(R"(.*)", handler);
    svr.Post(R"(.*)", handler);
    svr.Put(R"(.*)", handler);
    svr.Patch(R"(.*)", handler);
    svr.Delete(R"(.*)", handler);
    svr.set_payload_max_length(8 * 1024 * 1024);
    svr.set_keep_alive_max_count(100000);
    svr.set_keep_alive_timeout(10);
    svr.set_tcp_nodelay(true);  // headers and body go out in separate writes
    svr.new_task_queue = [] { return new httplib::ThreadPool(64); };
    // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let a second
    // simulator share a port that is already in use instead of failing.
    svr.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });

    if (im.opts.port == 0) {
        im.port = svr.bind_to_any_port(im.opts.host);
        if (im.port < 0) im.port = 0;
    } else {
        im.port = svr.bind_to_port(im.opts.host, im.opts.port) ? im.opts.port : 0;
    }
    if (im.port <= 0) {
        throw std::runtime_error("ghl-sim: cannot listen on " + im.opts.host + ":" +
                                 std::to_string(im.opts.port));
    }
    widen_backlog(im.port);
    im.thread = std::thread([&svr] {
        // The workers inherit this mask: a write to a reset connection returns EPIPE instead of
        // raising SIGPIPE in the host process.
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
        svr.listen_after_bind();
    });
    for (int i = 0; i < 5000 && !svr.is_running(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    im.started = true;
    if (!svr.is_running()) {
        svr.stop();
        im.thread.join();
        im.stopped = true;
        throw std::runtime_error("ghl-sim: the server did not start on " + im.opts.host + ":" +
                                 std::to_string(im.port));
    }
}

void Simulator::stop() {
    std::lock_guard lock(impl_->lifecycle_mu);
    if (!impl_->started || impl_->stopped) return;
    impl_->server.stop();
    shutdown_connections(impl_->port);
    if (impl_->thread.joinable()) impl_->thread.join();
    // No request adds events any more: let the queue drain for one delivery timeout at most.
    if (impl_->webhooks) impl_->webhooks->shutdown(impl_->opts.webhooks->timeout);
    impl_->stopped = true;
}

bool Simulator::running() const {
    return impl_->started && !impl_->stopped && impl_->server.is_running();
}

int Simulator::port() const { return impl_->port; }

std::string Simulator::base_url() const {
    return "http://" + impl_->opts.host + ":" + std::to_string(impl_->port);
}

const std::string& Simulator::location_id() const { return impl_->location_ids.front(); }

const std::vector<std::string>& Simulator::location_ids() const { return impl_->location_ids; }

const std::string& Simulator::company_id() const { return impl_->company_id; }

const std::vector<std::string>& Simulator::tokens() const { return impl_->opts.tokens; }

const SeedFacts& Simulator::seed_facts() const { return impl_->default_store().facts; }

const SeedFacts& Simulator::seed_facts(const std::string& location_id) const {
    const Store* store = impl_->store_for(location_id);
    if (store == nullptr) {
        throw std::out_of_range("ghl-sim: no sub-account " + location_id);
    }
    return store->facts;  // written only by the seed, before the server ran
}

Counters Simulator::counters() const {
    Counters total;
    {
        std::lock_guard lock(impl_->counter_mu);
        total = impl_->gateway_counters;
    }
    for (const auto& store : impl_->stores) {
        std::lock_guard lock(store->mutex);
        add_counters(total, store->counters);
    }
    if (impl_->oauth) impl_->oauth->add_counters(total);
    return total;
}

OAuthServer& Simulator::Impl::oauth_or_throw() const {
    if (!oauth) throw std::logic_error("ghl-sim: Options::oauth is not set");
    return *oauth;
}

std::string Simulator::authorize_url(const std::string& redirect_uri,
                                     const std::string& state) const {
    return impl_->oauth_or_throw().authorize_url(base_url(), redirect_uri, state);
}

std::string Simulator::issue_code(std::string_view user_type, const std::string& location_id,
                                  const std::string& redirect_uri) {
    return impl_->oauth_or_throw().issue_code(user_type, location_id, redirect_uri,
                                              impl_->now_ms());
}

void Simulator::expire_access_tokens() { impl_->oauth_or_throw().expire_access_tokens(); }

WebhookSender& Simulator::Impl::webhooks_or_throw() const {
    if (!webhooks) throw std::logic_error("ghl-sim: Options::webhooks is not set");
    return *webhooks;
}

void Simulator::set_webhook_url(std::string url) {
    impl_->webhooks_or_throw().set_url(std::move(url));
}

std::string Simulator::webhook_public_key_pem(WebhookKey kind) const {
    return impl_->webhooks_or_throw().public_pem(kind);
}

bool Simulator::flush_webhooks(std::chrono::milliseconds timeout) {
    return impl_->webhooks_or_throw().flush(timeout);
}

WebhookCounters Simulator::webhook_counters() const {
    return impl_->webhooks_or_throw().counters();
}

void Simulator::emit_webhook(nlohmann::json payload) {
    WebhookSender& sender = impl_->webhooks_or_throw();
    if (!payload.is_object()) {
        throw std::invalid_argument("ghl-sim: a webhook payload is a JSON object");
    }
    sender.enqueue(Json(payload));
}

std::string extra_location_id(int n) {
    if (n < 1 || n > 998) {
        throw std::out_of_range("ghl-sim: extra_location_id(" + std::to_string(n) + ")");
    }
    std::string digits = std::to_string(n + 1);
    return "sbxL0c4t1on" + std::string(3 - digits.size(), '0') + digits + "Vt9RkP";
}

std::vector<RequestRecord> Simulator::requests() const {
    std::lock_guard lock(impl_->log_mu);
    return {impl_->log.begin(), impl_->log.end()};
}

void Simulator::clear_requests() {
    std::lock_guard lock(impl_->log_mu);
    impl_->log.clear();
}

void Simulator::set_faults(const Faults& faults) {
    std::lock_guard lock(impl_->fault_mu);
    impl_->faults = faults;
    impl_->burst_left = faults.burst_429;
}

void Simulator::reset_rate_limits() {
    std::lock_guard lock(impl_->limit_mu);
    impl_->usage.clear();
}

}  // namespace ghlsim
