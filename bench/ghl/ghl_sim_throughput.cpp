// Sustained throughput of the real client (ghl::Client + ghl::CurlTransport + the in-memory rate
// limiter) against the real simulator limited like GHL, over HTTP on a loopback port.
//
// GHL allows 100 requests per 10 s per resource; this runs the same ratio on a shorter window
// (default 1,000 requests at 100 per 1 s, 8 concurrent callers) and checks that the client uses
// at least 97% of the allowed rate with zero 429s.
//
// The fastest any client may go under a sliding window of `max` per `interval` is a burst of
// `max` and then `max` more every interval, so N requests need at least
// floor((N - 1) / max) intervals between the first and the last arrival. Utilisation is that
// minimum divided by the span the simulator measured; the sustained rate is utilisation times the
// allowed rate (max / interval).
//
// Exit status: 0 when utilisation >= --min-utilisation and nothing was refused or failed, 1
// otherwise, 2 for bad arguments.
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ghl/client.hpp"
#include "ghl/curl_transport.hpp"
#include "ghl/rate_limiter.hpp"
#include "ghlsim/simulator.hpp"

namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr const char* kToken = "bench-token-0123456789";

/// Times every HTTP exchange (the transport's share of a call, without limiter waits).
class TimedTransport final : public ghl::HttpTransport {
  public:
    explicit TimedTransport(std::shared_ptr<ghl::HttpTransport> inner) : inner_(std::move(inner)) {}

    ghl::Response send(const ghl::Request& request) override {
        const auto t0 = steady_clock::now();
        ghl::Response r = inner_->send(request);
        const auto us = duration_cast<microseconds>(steady_clock::now() - t0).count();
        std::lock_guard lock(mutex_);
        latencies_us_.push_back(us);
        return r;
    }

    std::vector<long long> latencies_us() const {
        std::lock_guard lock(mutex_);
        return latencies_us_;
    }

  private:
    std::shared_ptr<ghl::HttpTransport> inner_;
    mutable std::mutex mutex_;
    std::vector<long long> latencies_us_;
};

/// Nearest-rank percentile in milliseconds.
double percentile_ms(std::vector<long long> us, double p) {
    if (us.empty()) return 0;
    std::sort(us.begin(), us.end());
    const auto rank =
        static_cast<std::size_t>(p / 100.0 * static_cast<double>(us.size()) + 0.999999);
    return static_cast<double>(us[std::clamp<std::size_t>(rank, 1, us.size()) - 1]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
    int requests = 1000;
    std::string rate_spec = "100/1s";
    int threads = 8;
    double min_utilisation = 97.0;
    bool json_out = false;
    bool cold = false;

    CLI::App app{
        "bench-ghl-sim-throughput: sustained throughput of ghl::Client against a rate-limited "
        "ghl-sim (GHL's 100 per 10 s ratio on a shorter window)"};
    app.add_option("--requests", requests, "requests to send")->check(CLI::PositiveNumber);
    app.add_option("--rate", rate_spec,
                   "the simulator's burst limit, also the client's: N/INTERVAL");
    app.add_option("--threads", threads, "concurrent callers")->check(CLI::Range(1, 256));
    app.add_option("--min-utilisation", min_utilisation, "percent of the allowed rate required");
    app.add_flag("--json", json_out, "also print the results as one JSON line");
    app.add_flag("--cold", cold,
                 "measure from cold connections (default: one warm-up call per caller first, "
                 "then both budgets are reset)");
    CLI11_PARSE(app, argc, argv);

    ghlsim::RateLimit rate;
    try {
        rate = ghlsim::RateLimit::parse(rate_spec);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bad --rate: %s\n", e.what());
        return 2;
    }
    if (requests <= rate.max_requests) {
        std::fprintf(stderr, "--requests must exceed the burst (%d) to measure a sustained rate\n",
                     rate.max_requests);
        return 2;
    }

    ghlsim::Options so;
    so.tokens = {kToken};
    so.rate = rate;
    so.daily_limit = 100000000;
    so.request_log_capacity = static_cast<std::size_t>(requests) * 2 + 100;
    ghlsim::Simulator sim(so);
    sim.start();

    ghl::InMemoryRateLimiterOptions lo;  // default safety margin, as in production
    lo.defaults = {rate.max_requests, milliseconds(rate.interval_ms), so.daily_limit};
    auto limiter = std::make_shared<ghl::InMemoryRateLimiter>(lo);
    auto curl = std::make_shared<ghl::CurlTransport>();
    auto timed = std::make_shared<TimedTransport>(curl);
    ghl::ClientOptions co;
    co.base_url = sim.base_url();
    co.logger =
        std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
    ghl::Client client(co, timed, limiter);

    ghl::CallOptions call;
    call.token = kToken;
    call.resource_key = sim.location_id();
    const auto& facts = sim.seed_facts();
    std::vector<std::string> ids = facts.phone_only_contact_ids;
    ids.insert(ids.end(), facts.email_only_contact_ids.begin(), facts.email_only_contact_ids.end());

    // Warm-up: one call per caller at once opens the connections the run will reuse (its own
    // client and limiter on the same transport), then the simulator forgets it.
    if (!cold) {
        ghl::InMemoryRateLimiterOptions roomy;
        roomy.defaults.burst_max = 1 << 20;
        ghl::Client warm(co, curl, std::make_shared<ghl::InMemoryRateLimiter>(roomy));
        std::vector<std::jthread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                try {
                    warm.call("contacts.get",
                              {{"contactId", ids[static_cast<std::size_t>(t) % ids.size()]}}, {},
                              nullptr, call);
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "warm-up call failed: %s\n", e.what());
                }
            });
        }
        pool.clear();  // joins
        sim.reset_rate_limits();
        sim.clear_requests();
    }
    const auto before = sim.counters();

    std::atomic<int> next{0};
    std::atomic<int> failed{0};
    std::mutex mu;
    std::vector<long long> call_us;
    std::string first_error;
    const auto t0 = steady_clock::now();
    {
        std::vector<std::jthread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&] {
                std::vector<long long> mine;
                for (int i = next++; i < requests; i = next++) {
                    const auto& id = ids[static_cast<std::size_t>(i) % ids.size()];
                    ghl::CallOptions c = call;
                    // Generous: a caller may queue for the whole run behind the limiter.
                    c.deadline = steady_clock::now() +
                                 milliseconds(static_cast<long long>(rate.interval_ms) *
                                              (requests / rate.max_requests + 2) * 2);
                    const auto start = steady_clock::now();
                    try {
                        client.call("contacts.get", {{"contactId", id}}, {}, nullptr, c);
                    } catch (const std::exception& e) {
                        ++failed;
                        std::lock_guard lock(mu);
                        if (first_error.empty()) first_error = e.what();
                    }
                    mine.push_back(
                        duration_cast<microseconds>(steady_clock::now() - start).count());
                }
                std::lock_guard lock(mu);
                call_us.insert(call_us.end(), mine.begin(), mine.end());
            });
        }
    }
    const double wall_s =
        static_cast<double>(duration_cast<microseconds>(steady_clock::now() - t0).count()) / 1e6;

    const auto log = sim.requests();
    auto counters = sim.counters();
    counters.requests -= before.requests;
    counters.rate_limited -= before.rate_limited;
    std::int64_t first_ms = 0;
    std::int64_t last_ms = 0;
    for (std::size_t i = 0; i < log.size(); ++i) {
        if (i == 0 || log[i].at_ms < first_ms) first_ms = log[i].at_ms;
        if (i == 0 || log[i].at_ms > last_ms) last_ms = log[i].at_ms;
    }
    const double span_s = static_cast<double>(last_ms - first_ms) / 1000.0;
    const int windows = (requests - 1) / rate.max_requests;
    const double ideal_s = windows * rate.interval_ms / 1000.0;
    const double utilisation = span_s > 0 ? 100.0 * ideal_s / span_s : 0.0;
    const double allowed_rate = rate.max_requests * 1000.0 / rate.interval_ms;
    const double sustained_rate = allowed_rate * utilisation / 100.0;
    const auto total = client.snapshot().total();
    const auto http_us = timed->latencies_us();
    const auto stats = curl->stats();

    const bool pass = utilisation >= min_utilisation && counters.rate_limited == 0 &&
                      total.http_429 == 0 && failed == 0 && counters.requests == requests;

    std::printf(
        "ghl client vs ghl-sim: %d requests, limit %d per %d ms, %d concurrent callers, "
        "%s connections\n",
        requests, rate.max_requests, rate.interval_ms, threads, cold ? "cold" : "warm");
    std::printf("  wall time              %8.3f s\n", wall_s);
    std::printf("  first..last arrival    %8.3f s   (minimum possible %.3f s)\n", span_s, ideal_s);
    std::printf("  sustained rate         %8.2f req/s of %.2f allowed\n", sustained_rate,
                allowed_rate);
    std::printf("  utilisation            %8.2f %%   (required >= %.2f %%)\n", utilisation,
                min_utilisation);
    std::printf("  429s                   %8d       (simulator; client saw %llu)\n",
                counters.rate_limited, static_cast<unsigned long long>(total.http_429));
    std::printf("  requests at simulator  %8d       failed calls %d\n", counters.requests,
                failed.load());
    std::printf("  HTTP latency           p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
                percentile_ms(http_us, 50), percentile_ms(http_us, 99),
                percentile_ms(http_us, 100));
    std::printf("  call latency (+queue)  p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
                percentile_ms(call_us, 50), percentile_ms(call_us, 99),
                percentile_ms(call_us, 100));
    std::printf("  connections opened     %8llu\n",
                static_cast<unsigned long long>(stats.connections_opened));
    if (!first_error.empty()) std::printf("  first error: %s\n", first_error.c_str());
    std::printf("RESULT: %s\n", pass ? "PASS" : "FAIL");

    if (json_out) {
        const nlohmann::json j = {
            {"requests", requests},
            {"rate_max", rate.max_requests},
            {"rate_interval_ms", rate.interval_ms},
            {"threads", threads},
            {"cold", cold},
            {"wall_s", wall_s},
            {"span_s", span_s},
            {"ideal_span_s", ideal_s},
            {"utilisation_pct", utilisation},
            {"sustained_rate", sustained_rate},
            {"allowed_rate", allowed_rate},
            {"http_429", counters.rate_limited},
            {"failed", failed.load()},
            {"http_p50_ms", percentile_ms(http_us, 50)},
            {"http_p99_ms", percentile_ms(http_us, 99)},
            {"call_p50_ms", percentile_ms(call_us, 50)},
            {"call_p99_ms", percentile_ms(call_us, 99)},
            {"pass", pass},
        };
        std::printf("%s\n", j.dump().c_str());
    }
    sim.stop();
    return pass ? 0 : 1;
}
