// ghl-sim: the GHL API simulator as a standalone server.
//
//   ghl-sim --port 8910 --seed 42 --token sandbox-token --rate 100/10s --faults 5xx=0.05
//
// Prints the base URL on stdout (one line, for scripts) and logs to stderr; stops cleanly on
// SIGINT or SIGTERM.
#include "ghlsim/simulator.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <iostream>
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
    app.add_option("--port", opts.port, "TCP port (0: any free port)")->capture_default_str();
    app.add_option("--host", opts.host, "address to listen on")->capture_default_str();
    app.add_option("--seed", opts.seed, "seed of the deterministic sub-account data")
        ->capture_default_str();
    app.add_option("--token", tokens,
                   "accepted Bearer token (repeatable; default: sandbox-token)");
    app.add_option("--rate", rate, "burst limit per token, N/INTERVAL (100/10s, 5/500ms, 60/1m)")
        ->capture_default_str();
    app.add_option("--daily", opts.daily_limit, "requests per token per UTC day")
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

    ghlsim::Simulator sim(opts);
    if (print_seed) {
        std::cout << facts_json(sim.seed_facts()).dump(2) << std::endl;
        return 0;
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

    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("{} received, stopping", received == SIGINT ? "SIGINT" : "SIGTERM");
    sim.stop();
    const ghlsim::Counters c = sim.counters();
    spdlog::info("served {} requests ({} rate limited, {} injected faults)", c.requests,
                 c.rate_limited, c.faults);
    return 0;
}
