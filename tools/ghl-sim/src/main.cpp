// ghl-sim: the GHL API simulator as a standalone server.
//
//   ghl-sim --port 8910 --seed 42 --token sandbox-token --rate 100/10s --faults 5xx=0.05
//   ghl-sim --port 8910 --locations 3 --oauth --client-id myapp-x --redirect-uri http://...
//   ghl-sim --port 8910 --webhook-url http://127.0.0.1:8787/webhooks/ghl --webhook-keys-dir keys
//
// Prints the base URL on stdout (one line, for scripts) and logs to stderr; stops cleanly on
// SIGINT or SIGTERM.
#include "ghlsim/simulator.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <pthread.h>

namespace {

nlohmann::ordered_json facts_json(const ghlsim::SeedFacts& f) {
    return {{"locationId", f.location_id},
            {"companyId", f.company_id},
            {"referenceNowMs", f.reference_now_ms},
            {"contacts", f.contacts},
            {"opportunities", f.opportunities},
            {"conversations", f.conversations},
            {"messages", f.messages},
            {"appointments", f.appointments},
            {"userIds", f.user_ids},
            {"calendarIds", f.calendar_ids},
            {"pipelineIds", f.pipeline_ids},
            {"workflowIds", f.workflow_ids},
            {"campaignIds", f.campaign_ids},
            {"staleOpportunityIds", f.stale_opportunity_ids},
            {"waitingConversationIds", f.waiting_conversation_ids},
            {"unreadConversationIds", f.unread_conversation_ids},
            {"phoneOnlyContactIds", f.phone_only_contact_ids},
            {"emailOnlyContactIds", f.email_only_contact_ids},
            {"sharedEmailContactIds", f.shared_email_contact_ids},
            {"upcomingAppointmentIds", f.upcoming_appointment_ids}};
}

/// Writes `text` to `path`, mode 0644 whatever the umask; false (and a message) on failure.
bool write_public_file(const std::filesystem::path& path, const std::string& text) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush()) {
            std::cerr << "ghl-sim: cannot write " << path.string() << "\n";
            return false;
        }
    }
    if (::chmod(path.c_str(), 0644) != 0) {
        std::cerr << "ghl-sim: cannot chmod " << path.string() << "\n";
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ghl-sim: a GoHighLevel API v2 simulator (contacts, calendars, opportunities, "
                 "conversations, workflows, locations, users, payments) over real HTTP"};
    ghlsim::Options opts;
    std::vector<std::string> tokens;
    std::string rate = "100/10s";
    std::string faults;
    bool log_requests = false;
    bool lenient_version = false;
    bool print_seed = false;
    bool oauth = false;
    ghlsim::OAuthApp oauth_app;
    int locations = 1;
    std::string webhook_url;
    int webhook_repeat = 1;
    std::string webhook_keys_dir;
    bool webhook_no_rsa = false;
    app.add_option("--port", opts.port, "TCP port (0: any free port)")->capture_default_str();
    app.add_option("--host", opts.host, "address to listen on")->capture_default_str();
    app.add_option("--seed", opts.seed, "seed of the deterministic sub-account data")
        ->capture_default_str();
    app.add_option("--token", tokens,
                   "accepted Bearer token (repeatable; default: sandbox-token)");
    app.add_option("--rate", rate,
                   "burst limit per token (OAuth: per resource), N/INTERVAL (100/10s, 5/500ms, "
                   "60/1m)")
        ->capture_default_str();
    app.add_option("--daily", opts.daily_limit,
                   "requests per token (OAuth: per resource) per UTC day")
        ->capture_default_str();
    app.add_option("--faults", faults,
                   "injected faults: 5xx=RATIO,reset=RATIO,latency=MS,burst429=N");
    app.add_option("--location-id", opts.location_id, "id of the simulated sub-account")
        ->capture_default_str();
    app.add_flag("--log-requests", log_requests, "log every request to stderr");
    app.add_flag("--lenient-version", lenient_version,
                 "accept any published Version on every endpoint, as live GHL does (default: "
                 "only the Version each endpoint's spec declares)");
    app.add_flag("--nested-messages", opts.nested_messages,
                 "answer GET /conversations/{id}/messages in the older nested shape");
    app.add_option("--locations", locations,
                   "sub-accounts of the agency (the default one plus N-1 more, each with its own "
                   "data)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    auto* oauth_flag = app.add_flag(
        "--oauth", oauth,
        "serve GHL's OAuth side (/oauth/chooselocation, /oauth/token, /oauth/locationToken, "
        "/oauth/installedLocations) and accept the access tokens it issues");
    app.add_option("--client-id", oauth_app.client_id, "OAuth client id (<appId>-<suffix>)")
        ->capture_default_str()
        ->needs(oauth_flag);
    auto* secret_option =
        app.add_option("--client-secret", oauth_app.client_secret,
                       "OAuth client secret (default: $GHL_SIM_CLIENT_SECRET, else "
                       "sandbox-client-secret)")
            ->needs(oauth_flag);
    app.add_option("--redirect-uri", oauth_app.redirect_uris,
                   "registered OAuth redirect URI (repeatable; default: any loopback URI)")
        ->needs(oauth_flag);
    app.add_option("--access-ttl", oauth_app.access_ttl_s, "OAuth access token lifetime, seconds")
        ->check(CLI::PositiveNumber)
        ->capture_default_str()
        ->needs(oauth_flag);
    app.add_option("--location-token-ttl", oauth_app.location_token_ttl_s,
                   "lifetime of /oauth/locationToken tokens, seconds")
        ->check(CLI::PositiveNumber)
        ->capture_default_str()
        ->needs(oauth_flag);
    auto* webhook_flag = app.add_option(
        "--webhook-url", webhook_url,
        "POST a signed GHL webhook (X-GHL-Signature Ed25519, X-WH-Signature RSA) to this URL for "
        "every change made through the API");
    app.add_option("--webhook-repeat", webhook_repeat,
                   "send every webhook N times (same bytes, same webhookId) to test dedupe")
        ->check(CLI::Range(1, 100))
        ->capture_default_str()
        ->needs(webhook_flag);
    app.add_option("--webhook-keys-dir", webhook_keys_dir,
                   "write the signing keys' public halves there (ed25519-public.pem, "
                   "rsa-public.pem) for the receiver")
        ->needs(webhook_flag);
    app.add_flag("--webhook-no-rsa", webhook_no_rsa,
                 "leave out the legacy X-WH-Signature (RSA) header")
        ->needs(webhook_flag);
    app.add_flag("--print-seed", print_seed,
                 "print the seed facts (ids the seed makes stale, waiting, ...) as JSON and exit");
    CLI11_PARSE(app, argc, argv);

    auto log = spdlog::stderr_color_mt("ghl-sim");
    spdlog::set_default_logger(log);
    try {
        if (!tokens.empty()) opts.tokens = tokens;
        opts.rate = ghlsim::RateLimit::parse(rate);
        opts.faults = ghlsim::Faults::parse(faults);
    } catch (const std::exception& e) {
        std::cerr << "ghl-sim: " << e.what() << "\n";
        return 2;
    }
    if (opts.location_id.size() < 3) {
        std::cerr << "ghl-sim: --location-id is too short\n";
        return 2;
    }
    opts.strict_version = !lenient_version;
    opts.extra_locations = locations - 1;
    if (oauth) {
        const char* secret = std::getenv("GHL_SIM_CLIENT_SECRET");
        if (secret_option->count() == 0 && secret != nullptr && *secret != '\0') {
            oauth_app.client_secret = secret;
        }
        if (oauth_app.client_id.empty() || oauth_app.client_secret.empty()) {
            std::cerr << "ghl-sim: the OAuth client id and secret must not be empty\n";
            return 2;
        }
        opts.oauth = oauth_app;
    }
    if (!webhook_url.empty()) {
        ghlsim::Webhooks webhooks;
        webhooks.url = webhook_url;
        webhooks.repeat = webhook_repeat;
        webhooks.sign_rsa = !webhook_no_rsa;
        opts.webhooks = webhooks;
    }
    if (log_requests) {
        opts.on_request = [](const ghlsim::RequestRecord& r) {
            spdlog::info("{} {}{}{} -> {}", r.method, r.path, r.query.empty() ? "" : "?", r.query,
                         r.status == 0 ? std::string("connection reset")
                                       : std::to_string(r.status));
        };
    }

    // SIGINT/SIGTERM are taken by sigwait below; every thread started from here inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    std::unique_ptr<ghlsim::Simulator> owned;
    try {
        owned = std::make_unique<ghlsim::Simulator>(opts);
    } catch (const std::invalid_argument& e) {
        std::cerr << e.what() << "\n";
        return 2;
    }
    ghlsim::Simulator& sim = *owned;
    if (print_seed) {
        std::cout << facts_json(sim.seed_facts()).dump(2) << std::endl;
        return 0;
    }
    if (opts.webhooks && !webhook_keys_dir.empty()) {
        const std::filesystem::path dir(webhook_keys_dir);
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (!write_public_file(dir / "ed25519-public.pem",
                               sim.webhook_public_key_pem(ghlsim::WebhookKey::Ed25519)) ||
            (!webhook_no_rsa &&
             !write_public_file(dir / "rsa-public.pem",
                                sim.webhook_public_key_pem(ghlsim::WebhookKey::Rsa)))) {
            return 1;
        }
    }
    try {
        sim.start();
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    std::cout << sim.base_url() << std::endl;
    spdlog::info("listening on {} (location {}, {} token(s), rate {}/{}ms, daily {}{}{})",
                 sim.base_url(), sim.location_id(), opts.tokens.size(), opts.rate.max_requests,
                 opts.rate.interval_ms, opts.daily_limit, faults.empty() ? "" : ", faults ",
                 faults);
    const ghlsim::SeedFacts& f = sim.seed_facts();
    spdlog::info("seed {}: {} contacts, {} opportunities, {} conversations, {} appointments",
                 opts.seed, f.contacts, f.opportunities, f.conversations, f.appointments);
    if (sim.location_ids().size() > 1) {
        std::string ids;
        for (const std::string& id : sim.location_ids()) ids += (ids.empty() ? "" : ", ") + id;
        spdlog::info("company {}: {} sub-accounts: {}", sim.company_id(), sim.location_ids().size(),
                     ids);
    }
    if (opts.webhooks) {
        spdlog::info("webhooks to {} (Ed25519{}{}){}", opts.webhooks->url,
                     webhook_no_rsa ? "" : " and RSA", webhook_repeat > 1 ? ", each sent " : "",
                     webhook_repeat > 1 ? std::to_string(webhook_repeat) + " times" : "");
        if (!webhook_keys_dir.empty()) spdlog::info("public keys in {}", webhook_keys_dir);
    }
    if (opts.oauth) {
        const std::string redirect = opts.oauth->redirect_uris.empty()
                                         ? std::string("http://localhost/callback")
                                         : opts.oauth->redirect_uris.front();
        spdlog::info("OAuth client id {} (app {}), token endpoint {}/oauth/token",
                     opts.oauth->client_id, opts.oauth->app_id(), sim.base_url());
        spdlog::info("authorize: {}{}", sim.authorize_url(redirect),
                     opts.oauth->redirect_uris.empty() ? " (any loopback redirect_uri works)" : "");
    }

    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("{} received, stopping", received == SIGINT ? "SIGINT" : "SIGTERM");
    sim.stop();
    const ghlsim::Counters c = sim.counters();
    spdlog::info("served {} requests ({} rate limited, {} injected faults)", c.requests,
                 c.rate_limited, c.faults);
    if (opts.webhooks) {
        const ghlsim::WebhookCounters w = sim.webhook_counters();
        spdlog::info("webhooks: {} events, {} POSTs, {} answered 2xx, {} failed, {} unsent",
                     w.events, w.deliveries, w.delivered_2xx, w.failed, w.pending + w.dropped);
    }
    return 0;
}
