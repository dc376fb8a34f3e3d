// The GHL simulator: an in-process GoHighLevel API v2 stand-in served over real HTTP.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ghlsim {

/// The id of the seeded sub-account unless Options::location_id says otherwise (20 chars, like
/// every GHL id).
inline constexpr std::string_view kDefaultLocationId = "sbxL0c4t1onQm2Vt9RkP";
/// The agency (company) that owns the seeded sub-account.
inline constexpr std::string_view kCompanyId = "sbxC0mp4nyQm2Vt9RkP1";

/// Burst limit: at most `max_requests` per `interval_ms` per budget (GHL: 100 per 10 s). A static
/// token is a budget of its own; OAuth tokens are charged to their resource (the location, or the
/// company for agency tokens), as GHL counts per app and resource.
struct RateLimit {
    int max_requests = 100;
    int interval_ms = 10000;

    /// Parses "100/10s", "5/500ms", "60/1m" or "100/10000" (milliseconds when no unit).
    /// Throws std::invalid_argument on anything else.
    static RateLimit parse(std::string_view spec);
};

/// Failures injected on purpose so tests can prove a client's behaviour.
///
/// Half of the injected failures happen after the request was applied, like a gateway that loses
/// the answer of a backend that did the work: 500 and 503 are answered before the handler runs,
/// 502 and 504 after it (a create answered 502/504 did create); a reset hits before or after the
/// handler with equal odds. Counters and the request log tell them apart (a reset is logged with
/// status 0). Decisions come from a generator seeded with Options::seed.
struct Faults {
    /// Share of authenticated requests (and of POST /oauth/token requests) answered
    /// 500/502/503/504
    double error_5xx_ratio = 0.0;
    double reset_ratio = 0.0;      ///< share of requests whose TCP connection is reset (RST)
    int latency_ms = 0;            ///< added before every request is handled
    int burst_429 = 0;             ///< the next N authenticated requests get 429 + Retry-After

    /// Parses "5xx=0.1,reset=0.05,latency=200,burst429=5" (any subset, any order; "" is none).
    /// Throws std::invalid_argument on an unknown key or a bad value.
    static Faults parse(std::string_view spec);
};

/// One request as the simulator saw it, kept for tests (see Simulator::requests).
struct RequestRecord {
    std::string method;
    std::string path;   ///< without the query string
    std::string query;  ///< the raw query string, without '?'
    std::map<std::string, std::string> headers;  ///< request headers, names lower-cased
    std::string body;
    int status = 0;
    std::int64_t at_ms = 0;  ///< when it arrived (simulator clock, epoch ms)
};

/// What the API has done since start, for assertions. Global: with several sub-accounts
/// (Options::extra_locations) every count is the sum over all of them.
struct Counters {
    int requests = 0;
    int rate_limited = 0;  ///< 429s (real limit or injected burst)
    int faults = 0;        ///< injected 5xx and resets
    int contacts_created = 0;
    int contacts_updated = 0;
    int contacts_deleted = 0;
    int notes_created = 0;
    int tasks_created = 0;
    int appointments_created = 0;
    int appointments_updated = 0;
    int appointments_deleted = 0;
    int opportunities_created = 0;
    int opportunities_updated = 0;
    int opportunities_deleted = 0;
    int messages_sent = 0;      ///< POST /conversations/messages
    int messages_inbound = 0;   ///< POST /conversations/messages/inbound
    int workflow_enrolments = 0;
    int campaign_enrolments = 0;
    // OAuth (Options::oauth)
    int oauth_codes_issued = 0;      ///< by /oauth/chooselocation and Simulator::issue_code
    int oauth_code_exchanges = 0;    ///< successful grant_type=authorization_code
    int oauth_refreshes = 0;         ///< successful grant_type=refresh_token
    int oauth_refresh_rejected = 0;  ///< refresh tokens refused as reused, unknown or expired
    int location_tokens_issued = 0;  ///< POST /oauth/locationToken
    int expired_token_rejections = 0;  ///< 401 "Invalid JWT" to an expired access token
};

/// Facts about the deterministic seed, so end-to-end tests can assert exact sets.
struct SeedFacts {
    std::string location_id;
    std::string company_id;
    std::int64_t reference_now_ms = 0;  ///< the "now" the seed was laid out against

    int contacts = 0;
    int opportunities = 0;
    int conversations = 0;
    int messages = 0;
    int appointments = 0;

    std::vector<std::string> user_ids;
    std::vector<std::string> calendar_ids;  ///< New York, Chicago (two members), Los Angeles
    std::vector<std::string> pipeline_ids;
    std::vector<std::string> workflow_ids;
    std::vector<std::string> campaign_ids;

    /// Open opportunities whose stage has not changed for more than 14 days. No seeded stage
    /// change lies within a day of that threshold, so the set stays exact while tests run.
    std::vector<std::string> stale_opportunity_ids;
    /// Conversations whose last message is inbound (the contact is waiting for a reply).
    std::vector<std::string> waiting_conversation_ids;
    /// Conversations with unreadCount > 0 (a subset of the waiting ones).
    std::vector<std::string> unread_conversation_ids;
    std::vector<std::string> phone_only_contact_ids;
    std::vector<std::string> email_only_contact_ids;
    /// Contacts that share their email with at least one other contact.
    std::vector<std::string> shared_email_contact_ids;
    /// Confirmed appointments that start after reference_now_ms.
    std::vector<std::string> upcoming_appointment_ids;
};

/// The marketplace app the simulator plays GHL's OAuth 2.0 server for (Options::oauth). Every
/// sub-account of the agency has it installed.
struct OAuthApp {
    /// GHL client ids look like "<appId>-<suffix>"; the app id is the part before the first '-'
    /// (UNVERIFIED), see app_id().
    std::string client_id = "sbxapp00000000000000000a-sbxclient";
    std::string client_secret = "sandbox-client-secret";
    /// Registered redirect URIs, matched exactly. Empty: any loopback URI, i.e.
    /// http://127.0.0.1[:PORT][/PATH] or http://localhost[:PORT][/PATH].
    std::vector<std::string> redirect_uris;
    int access_ttl_s = 86399;          ///< expires_in of /oauth/token access tokens
    int location_token_ttl_s = 86399;  ///< expires_in of /oauth/locationToken access tokens
    /// The granted scopes, space-separated (reported in every token answer; not enforced).
    std::string scope =
        "contacts.readonly contacts.write calendars.readonly calendars.write "
        "calendars/events.readonly calendars/events.write calendars/groups.readonly "
        "opportunities.readonly opportunities.write conversations.readonly conversations.write "
        "conversations/message.readonly conversations/message.write workflows.readonly "
        "campaigns.readonly locations.readonly locations/customFields.readonly "
        "locations/tags.readonly users.readonly payments/orders.readonly "
        "payments/transactions.readonly oauth.readonly oauth.write";
    std::string version_id = "sbxver00000000000000000a";  ///< the installed app version
    std::string plan_id = "sbxplan0000000000000000a";     ///< empty: a free app, no planId

    /// client_id up to its first '-' (all of it when there is none).
    std::string app_id() const;
};

/// Signed GHL webhooks (Options::webhooks): every change made through the API (a contact created,
/// an appointment booked, an opportunity moved, a message received, ...) becomes one event, POSTed
/// as compact JSON to `url` from one background thread, in the order the changes happened, and
/// signed the way GHL signs (../shared/reference/ghl-api.md N5): Ed25519 over the exact body
/// bytes in X-GHL-Signature, RSASSA-PKCS1-v1_5 with SHA-256 in the legacy X-WH-Signature, both
/// base64. Deliveries are not retried (GHL retries only 429s, ten minutes apart).
struct Webhooks {
    /// The POST target, "http://127.0.0.1:8787/webhooks/ghl" (http or https). Empty: events are
    /// generated, counted and queued, and sent once Simulator::set_webhook_url() names a target.
    std::string url;
    /// The Ed25519 signing key (PKCS#8 PEM). Empty: a fresh key is generated at construction.
    std::string ed25519_private_pem;
    /// The RSA signing key (PEM). Empty: a fresh RSA-2048 key is generated when first needed
    /// (and only when sign_rsa is set).
    std::string rsa_private_pem;
    bool sign_ed25519 = true;  ///< send X-GHL-Signature
    bool sign_rsa = true;      ///< send X-WH-Signature (GHL's legacy header)
    /// Each event is POSTed this many times, the same bytes with the same webhookId, so that
    /// receivers can prove they drop duplicates (1-100).
    int repeat = 1;
    /// Connect, read and write timeout of one POST; also how long Simulator::stop() waits for
    /// the queue to drain before it abandons what is left.
    std::chrono::milliseconds timeout{5000};
    /// Events waiting beyond this (no URL yet, or a slow receiver) are dropped, oldest first,
    /// and counted in WebhookCounters::dropped.
    std::size_t max_queued = 100000;
};

/// Which signing key (Simulator::webhook_public_key_pem).
enum class WebhookKey { Ed25519, Rsa };

/// What the webhook sender has done (Simulator::webhook_counters).
struct WebhookCounters {
    int events = 0;         ///< distinct events generated (API changes and emit_webhook)
    int deliveries = 0;     ///< POSTs attempted (events x repeat, once a URL is set)
    int delivered_2xx = 0;  ///< POSTs answered 2xx
    int failed = 0;         ///< POSTs answered otherwise, or that got no answer
    int last_status = 0;    ///< the last POST's status; 0: none yet, or no answer
    int pending = 0;        ///< events queued or being delivered
    int dropped = 0;        ///< events dropped beyond Webhooks::max_queued
};

struct Options {
    std::string host = "127.0.0.1";
    int port = 0;  ///< 0: an ephemeral port, see Simulator::port()
    std::uint64_t seed = 42;
    /// Accepted Bearer tokens besides OAuth ones: the default sub-account's private
    /// integration tokens.
    std::vector<std::string> tokens = {"sandbox-token"};
    /// Scopes granted to static tokens, space-separated as GHL's token answers list them
    /// ("contacts.readonly calendars.readonly"). A token listed here is answered 401 "The token
    /// is not authorized for this scope." on any endpoint whose scope (required_scope()) it lacks,
    /// as live GHL answers a Private Integration Token created without that scope. Tokens not
    /// listed have every scope.
    std::map<std::string, std::string> token_scopes;
    RateLimit rate;
    long daily_limit = 200000;  ///< per budget (see RateLimit) per UTC day
    Faults faults;
    std::string location_id = std::string(kDefaultLocationId);
    /// How many more sub-accounts of kCompanyId to simulate beside the default one (0-99). The
    /// n-th of them (n = 1, 2, ...) has the id extra_location_id(n), its own business (name,
    /// address, email domain) and its own data, seeded from `seed` and n. Static `tokens` belong
    /// to the default sub-account.
    int extra_locations = 0;
    /// Set: GHL's OAuth 2.0 side for this app is served (GET /oauth/chooselocation, POST
    /// /oauth/token, POST /oauth/locationToken, GET /oauth/installedLocations) and the access
    /// tokens it issues are accepted beside `tokens`. Unset: those paths answer as any unknown
    /// route does. The constructor throws std::invalid_argument when client_id or client_secret
    /// is empty or a TTL is not positive.
    std::optional<OAuthApp> oauth;
    /// The simulator's clock: the seed is laid out against its value at construction, and
    /// "now" in the API (free slots, timestamps) comes from it. Empty: the system clock.
    std::function<std::chrono::system_clock::time_point()> now;
    /// true: each endpoint accepts only the Version its spec declares (2021-04-15 for calendars
    /// and conversations, 2021-07-28 for the rest) and answers 400 to another published one.
    /// false: any published version (2021-04-15, 2021-07-28, 2023-02-21, v3, legacy) is accepted,
    /// as live GHL does. Either way a missing Version is 401 "version header was not found." and
    /// an unpublished one 401 "version header is invalid", which is what live GHL answers.
    bool strict_version = true;
    /// GET /conversations/{id}/messages answers {lastMessageId, nextPage, messages[]} as the
    /// current spec says (false), or nests that page under "messages" as the older spec and the
    /// live API do (true), so clients can prove they parse both.
    bool nested_messages = false;
    /// Called after every request (from the server's threads), e.g. for --log-requests.
    std::function<void(const RequestRecord&)> on_request;
    std::size_t request_log_capacity = 10000;  ///< oldest records are dropped beyond this
    /// Set: changes made through the API are sent as signed GHL webhooks (see Webhooks). The
    /// constructor throws std::invalid_argument on a bad URL, a key of the wrong type or a
    /// repeat outside 1-100. Unset: no events are generated.
    std::optional<Webhooks> webhooks;
};

/// The OAuth scope GHL requires for `method` on the route `pattern` ("/contacts/{contactId}/tags",
/// a trailing slash ignored): "contacts.write" for that one, "calendars/events.readonly" for
/// GET /calendars/events, ... Empty for OAuth's own endpoints, which need no scope of a token.
std::string required_scope(std::string_view method, std::string_view pattern);

/// The id of the n-th further sub-account (n >= 1, see Options::extra_locations):
/// "sbxL0c4t1on002Vt9RkP" for n = 1, "sbxL0c4t1on003Vt9RkP" for n = 2, ... (20 characters).
std::string extra_location_id(int n);

/// A GHL API v2 simulator on a loopback port. Thread-safe; start() and stop() may each be called
/// once per object (stop() is idempotent and also runs in the destructor).
class Simulator {
public:
    /// Throws std::invalid_argument when Options::extra_locations is outside 0-99 or
    /// Options::location_id is one of the further sub-accounts' ids.
    explicit Simulator(Options options);
    ~Simulator();
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    /// Binds (port 0 picks a free port) and serves on a background thread; returns once the
    /// server accepts connections. Throws std::runtime_error if the address cannot be bound.
    void start();
    void stop();
    bool running() const;

    int port() const;
    std::string base_url() const;  ///< "http://127.0.0.1:PORT"
    /// The default sub-account (the one static tokens belong to).
    const std::string& location_id() const;
    /// Every sub-account of the agency, the default one first.
    const std::vector<std::string>& location_ids() const;
    /// The agency (kCompanyId).
    const std::string& company_id() const;
    const std::vector<std::string>& tokens() const;

    /// The default sub-account's seed facts.
    const SeedFacts& seed_facts() const;
    /// The seed facts of one of location_ids(); std::out_of_range for another id.
    const SeedFacts& seed_facts(const std::string& location_id) const;
    Counters counters() const;
    std::vector<RequestRecord> requests() const;
    void clear_requests();

    // ---- OAuth (each throws std::logic_error when Options::oauth is unset) ----

    /// The consent URL a client sends the user to: base_url() + "/oauth/chooselocation?
    /// response_type=code&client_id=...&redirect_uri=...&scope=..." (+ "&state=..." if given).
    std::string authorize_url(const std::string& redirect_uri, const std::string& state = "") const;
    /// The authorization code /oauth/chooselocation would redirect with, for tests without a
    /// browser step. `user_type` is "Location" (for `location_id`) or "Company" (location_id is
    /// then ignored); `redirect_uri` must be acceptable to the app. std::invalid_argument if not.
    std::string issue_code(std::string_view user_type, const std::string& location_id,
                           const std::string& redirect_uri);
    /// Every OAuth access token issued so far counts as expired from now on (tokens issued later
    /// do not); their use is answered 401 "Invalid JWT". Refresh tokens are untouched.
    void expire_access_tokens();

    /// Replaces the injected faults (a new burst_429 re-arms the burst).
    void set_faults(const Faults& faults);
    /// Forgets every budget's burst and daily usage.
    void reset_rate_limits();

    // ---- webhooks (each throws std::logic_error when Options::webhooks is unset) ----

    /// Where events go from now on (thread-safe). Events queued while there was no URL are sent
    /// to this one. "" pauses delivery. std::invalid_argument unless an http(s) URL.
    void set_webhook_url(std::string url);
    /// The public half of a signing key as an SPKI PEM ("-----BEGIN PUBLIC KEY-----"), what a
    /// receiver is configured with. The RSA key is generated here if it was not yet;
    /// std::logic_error for WebhookKey::Rsa when Webhooks::sign_rsa is off and no RSA key was
    /// given.
    std::string webhook_public_key_pem(WebhookKey kind) const;
    /// Waits until every queued event has been delivered (or failed); false on timeout (e.g.
    /// while there is no URL).
    bool flush_webhooks(std::chrono::milliseconds timeout);
    WebhookCounters webhook_counters() const;
    /// Sends an arbitrary event (e.g. an INSTALL) like the simulator's own: adds `webhookId` and
    /// `timestamp` when absent, then queues it to be signed and POSTed. std::invalid_argument
    /// unless `payload` is an object. After stop() it is dropped.
    void emit_webhook(nlohmann::json payload);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Webhook signing exactly as GHL does it (../shared/reference/ghl-api.md N5), for tests and
/// benchmarks that forge deliveries. Keys are PEM text (PKCS#8 or traditional private keys); every
/// function throws std::runtime_error when OpenSSL refuses (not a key, wrong key type).
///
/// Pure Ed25519 (no prehash) over `body`, base64 of the 64-byte signature (no newlines): the
/// X-GHL-Signature header value.
std::string sign_ed25519_base64(const std::string& private_pem, std::string_view body);
/// RSASSA-PKCS1-v1_5 with SHA-256 over `body`, base64: the X-WH-Signature header value.
std::string sign_rsa_sha256_base64(const std::string& private_pem, std::string_view body);
/// A fresh Ed25519 private key, PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----").
std::string generate_ed25519_private_pem();
/// A fresh RSA private key of `bits` bits (1024-16384; std::invalid_argument otherwise), PKCS#8
/// PEM. 2048 bits take a noticeable fraction of a second; generate once per process in tests.
std::string generate_rsa_private_pem(int bits);
/// The SPKI PEM ("-----BEGIN PUBLIC KEY-----") of a private key.
std::string public_pem_of(const std::string& private_pem);

}  // namespace ghlsim
