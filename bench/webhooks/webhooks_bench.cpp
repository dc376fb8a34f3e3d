// A burst of signed GHL webhook deliveries against POST /webhooks/ghl: several concurrent
// senders (kept-alive connections, as GHL's delivery workers), each delivery Ed25519-signed over
// its exact body, a share of them sent twice (GHL's retries, our dedupe), into the durable
// SQLite event store (WAL, synchronous=FULL, group commit) on a real file.
//
// Checks, exit 1 when any fails (a latency of a lossy run would be a lie): every answer is 200;
// stored events == unique deliveries; duplicates answered as duplicates; the store's count
// matches after a reopen. Prints p50/p99/max response time and deliveries per second.
//
// Usage: bench-webhooks [--deliveries 5000] [--senders 8] [--duplicates 0.1] [--dir DIR]
#include "app/event_store.hpp"
#include "events/receiver.hpp"
#include "ghlsim/simulator.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

std::string payload(int n) {
    static const char* kTypes[] = {"ContactCreate", "InboundMessage", "AppointmentCreate",
                                   "OpportunityStageUpdate"};
    const char* type = kTypes[n % 4];
    json b = {{"type", type},
              {"locationId", "benchL0c4t1on00000001"},
              {"webhookId", "bench-" + std::to_string(n)},
              {"timestamp", events::iso_utc(std::chrono::system_clock::now())}};
    if (n % 4 == 2)
        b["appointment"] = {{"id", "apt-" + std::to_string(n)},
                            {"contactId", "c-" + std::to_string(n % 97)},
                            {"calendarId", "cal-1"},
                            {"startTime", "2026-12-08T10:30:00-05:00"}};
    else
        b["contactId"] = "c-" + std::to_string(n % 97);
    if (n % 4 == 1) b["body"] = "Hi, can I book for Tuesday at 3? Message " + std::to_string(n);
    return b.dump();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"bench-webhooks: signed GHL webhook deliveries into the durable event store"};
    int deliveries = 5000, senders = 8;
    double duplicate_share = 0.1;
    std::string dir;
    cli.add_option("--deliveries", deliveries, "Unique deliveries")
        ->check(CLI::Range(10, 10000000));
    cli.add_option("--senders", senders, "Concurrent senders")->check(CLI::Range(1, 256));
    cli.add_option("--duplicates", duplicate_share, "Share of deliveries sent a second time")
        ->check(CLI::Range(0.0, 1.0));
    cli.add_option("--dir", dir, "Directory for the event store (default: a fresh temporary one)");
    CLI11_PARSE(cli, argc, argv);
    spdlog::set_level(spdlog::level::warn);

    std::filesystem::path base = dir.empty() ? std::filesystem::temp_directory_path() /
                                                   ("bench-webhooks-" + std::to_string(::getpid()))
                                             : std::filesystem::path(dir);
    std::filesystem::create_directories(base);
    const std::string db = (base / "events.db").string();
    std::filesystem::remove(db);

    const std::string key = ghlsim::generate_ed25519_private_pem();
    // Bodies and signatures are prepared up front: the clock measures the receiver only.
    std::vector<std::string> bodies(static_cast<std::size_t>(deliveries)),
        signatures(bodies.size());
    for (int i = 0; i < deliveries; ++i) {
        bodies[static_cast<std::size_t>(i)] = payload(i);
        signatures[static_cast<std::size_t>(i)] =
            ghlsim::sign_ed25519_base64(key, bodies[static_cast<std::size_t>(i)]);
    }
    // The send plan: every delivery once, a share twice, shuffled so twins race each other.
    std::vector<int> plan;
    for (int i = 0; i < deliveries; ++i) plan.push_back(i);
    std::mt19937 rng(7);
    const int twins = static_cast<int>(deliveries * duplicate_share);
    for (int i = 0; i < twins; ++i)
        plan.push_back(static_cast<int>(rng() % static_cast<unsigned>(deliveries)));
    std::shuffle(plan.begin(), plan.end(), rng);

    std::size_t stored_after = 0;
    std::atomic<int> ok{0}, failed{0}, said_duplicate{0};
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(senders));
    double wall_s = 0;
    app::SqliteEventStore::Stats stats;
    {
        app::SqliteEventStore store(db, {});
        events::ReceiverOptions o;
        o.ed25519_public_pem = ghlsim::public_pem_of(key);
        o.rsa_public_pem.clear();
        events::Receiver receiver(store, o);
        httplib::Server http;
        // As mcp::HttpTransport, which serves /webhooks/ghl in ghl-mcp: no Nagle delay (header and
        // body are separate writes), and kept-alive connections for the whole burst.
        http.set_tcp_nodelay(true);
        http.set_keep_alive_max_count(100000);
        http.new_task_queue = [senders] {
            return new httplib::ThreadPool(static_cast<std::size_t>(senders) + 4);
        };
        receiver.mount(http);
        const int port = http.bind_to_any_port("127.0.0.1");
        std::thread server([&] { http.listen_after_bind(); });
        while (!http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));

        std::atomic<std::size_t> next{0};
        const auto started = Clock::now();
        std::vector<std::thread> threads;
        for (int s = 0; s < senders; ++s)
            threads.emplace_back([&, s] {
                httplib::Client c("127.0.0.1", port);
                c.set_keep_alive(true);
                c.set_tcp_nodelay(true);
                c.set_read_timeout(std::chrono::seconds(30));
                auto& mine = latencies[static_cast<std::size_t>(s)];
                for (std::size_t i; (i = next++) < plan.size();) {
                    const auto n = static_cast<std::size_t>(plan[i]);
                    const auto t0 = Clock::now();
                    auto r = c.Post("/webhooks/ghl", {{"X-GHL-Signature", signatures[n]}},
                                    bodies[n], "application/json");
                    mine.push_back(
                        std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
                    if (!r || r->status != 200) {
                        ++failed;
                        continue;
                    }
                    ++ok;
                    if (r->body.find("\"duplicate\":true") != std::string::npos) ++said_duplicate;
                }
            });
        for (auto& t : threads) t.join();
        wall_s = std::chrono::duration<double>(Clock::now() - started).count();
        http.stop();
        server.join();
        stats = store.stats();
    }
    {
        app::SqliteEventStore reopened(db, {});  // what a restart finds
        stored_after = reopened.count();
    }
    if (dir.empty()) std::filesystem::remove_all(base);

    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    const int sent = static_cast<int>(plan.size());
    std::printf(
        "bench-webhooks: %d deliveries (%d unique, %d repeated) from %d senders, Ed25519-signed, "
        "durable SQLite store\n",
        sent, deliveries, sent - deliveries, senders);
    std::printf("  answered 200: %d / %d   failed: %d\n", ok.load(), sent, failed.load());
    std::printf(
        "  stored (after reopen): %zu   unique sent: %d   answered as duplicate: %d (expected "
        "%d)\n",
        stored_after, deliveries, said_duplicate.load(), sent - deliveries);
    std::printf("  response time ms: p50 %.2f  p99 %.2f  max %.2f   throughput %.0f deliveries/s\n",
                percentile(all, 0.50), percentile(all, 0.99), percentile(all, 1.0), sent / wall_s);
    std::printf("  group commits: %llu for %llu events (largest group %zu)\n",
                static_cast<unsigned long long>(stats.commits),
                static_cast<unsigned long long>(stats.appended), stats.largest_group);
    const bool lossless = failed == 0 && stored_after == static_cast<std::size_t>(deliveries) &&
                          said_duplicate == sent - deliveries;
    std::printf("  %s\n", lossless ? "OK: nothing lost, every duplicate dropped"
                                   : "FAILED: deliveries were lost or duplicated");
    return lossless ? 0 : 1;
}
