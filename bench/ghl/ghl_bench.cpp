// Per-call overhead of the GHL client with the network taken out (a canned-response transport),
// and the cost of the rate limiter's acquire/observe.
#include <benchmark/benchmark.h>

#include <atomic>

#include "ghl/client.hpp"
#include "ghl/credentials.hpp"
#include "ghl/pagination.hpp"
#include "ghl/url.hpp"

namespace {

/// Answers every request at once with the same small JSON body and GHL's rate-limit headers.
class CannedTransport final : public ghl::HttpTransport {
  public:
    ghl::Response send(const ghl::Request&) override {
        ghl::Response r;
        r.status = 200;
        r.body = R"({"contact":{"id":"ocQHyuzHvysMo5N5VsXc","firstName":"Jane","lastName":"Doe",)"
                 R"("email":"jane@example.com","phone":"+15551234567","tags":["vip","lead"]}})";
        r.headers.add("Content-Type", "application/json");
        r.headers.add("X-RateLimit-Max", "100000000");
        r.headers.add("X-RateLimit-Remaining", "99999999");
        r.headers.add("X-RateLimit-Interval-Milliseconds", "10000");
        return r;
    }
};

ghl::InMemoryRateLimiterOptions roomy_limits() {
    ghl::InMemoryRateLimiterOptions o;
    o.defaults.burst_max = 100000000;  // never the bottleneck here: we measure overhead
    o.defaults.daily_max = 1LL << 60;
    return o;
}

void BM_ClientCallGet(benchmark::State& state) {
    // One client shared by every benchmark thread, as in the server.
    static ghl::Client client({}, std::make_shared<CannedTransport>(),
                              std::make_shared<ghl::InMemoryRateLimiter>(roomy_limits()));
    ghl::CallOptions call;
    call.token = "pit-bench-token";
    call.resource_key = "loc" + std::to_string(state.thread_index());
    for (auto _ : state) {
        auto out =
            client.call("contacts.get", {{"contactId", "ocQHyuzHvysMo5N5VsXc"}}, {}, nullptr, call);
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClientCallGet)->Threads(1)->Threads(2)->UseRealTime();

void BM_ClientCallPostWithQuery(benchmark::State& state) {
    auto limiter = std::make_shared<ghl::InMemoryRateLimiter>(roomy_limits());
    ghl::Client client({}, std::make_shared<CannedTransport>(), limiter);
    ghl::CallOptions call;
    call.token = "pit-bench-token";
    call.resource_key = "loc1";
    const nlohmann::json body = {{"locationId", "loc1"}, {"pageLimit", 50}, {"query", "jane doe"}};
    for (auto _ : state) {
        auto out =
            client.call("contacts.search", {}, {{"email", "jane+vip@example.com"}}, body, call);
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClientCallPostWithQuery);

void BM_LimiterAcquire(benchmark::State& state) {
    ghl::InMemoryRateLimiter limiter(roomy_limits());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
    const std::string key = "loc" + std::to_string(state.thread_index());
    for (auto _ : state) {
        auto a = limiter.acquire(key, deadline);
        benchmark::DoNotOptimize(a);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LimiterAcquire)->Threads(1)->Threads(2)->UseRealTime();

/// Acquire at GHL's real budget (100/10 s) on a key that is always full: the cost of computing a
/// future slot with 100 recent slots in the log.
void BM_LimiterAcquireSaturated(benchmark::State& state) {
    ghl::InMemoryRateLimiter limiter;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::hours(24 * 365);
    for (auto _ : state) {
        auto a = limiter.acquire("loc1", deadline);
        benchmark::DoNotOptimize(a);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LimiterAcquireSaturated)->Iterations(20000);

void BM_LimiterObserve(benchmark::State& state) {
    ghl::InMemoryRateLimiter limiter(roomy_limits());
    const ghl::Headers headers{{"X-RateLimit-Max", "100"},
                               {"X-RateLimit-Remaining", "42"},
                               {"X-RateLimit-Interval-Milliseconds", "10000"},
                               {"X-RateLimit-Limit-Daily", "200000"},
                               {"X-RateLimit-Daily-Remaining", "150000"}};
    for (auto _ : state) limiter.observe("loc1", 200, headers);
}
BENCHMARK(BM_LimiterObserve);

void BM_ExpandPathAndEncodeQuery(benchmark::State& state) {
    const ghl::Params path{{"contactId", "ocQHyuzHvysMo5N5VsXc"}, {"workflowId", "wf0123456789"}};
    const ghl::Params query{{"number", "+15551234567"}, {"email", "jane+vip@example.com"}};
    for (auto _ : state) {
        auto p = ghl::expand_path("/contacts/{contactId}/workflow/{workflowId}", path);
        auto q = ghl::encode_query(query);
        benchmark::DoNotOptimize(p);
        benchmark::DoNotOptimize(q);
    }
}
BENCHMARK(BM_ExpandPathAndEncodeQuery);

void BM_CursorRoundTrip(benchmark::State& state) {
    const ghl::Cursor cursor{"opportunities.search",
                             ghl::Pagination::kStartAfterId,
                             {{"startAfter", 1730000000000}, {"startAfterId", "opp0123456789"}}};
    const nlohmann::json filters = {{"status", "open"}};
    for (auto _ : state) {
        auto text = ghl::encode_cursor(cursor, filters);
        auto back = ghl::decode_cursor(text, "opportunities.search", filters);
        benchmark::DoNotOptimize(back);
    }
}
BENCHMARK(BM_CursorRoundTrip);

/// The token lookup every OAuth call makes first: a sub-account login whose token is fresh (the
/// common case; refreshes happen once a day). Shared by every thread, as in the server.
void BM_OAuthGrantFresh(benchmark::State& state) {
    static auto store = [] {
        auto s = std::make_shared<ghl::MemoryTokenStore>();
        for (int i = 0; i < 50; ++i) {
            ghl::Identity id;
            id.key = ghl::identity_key_for_location("loc" + std::to_string(i));
            id.location_id = "loc" + std::to_string(i);
            id.tokens = {"access-" + std::to_string(i), "refresh", std::int64_t{1} << 40, "scope"};
            s->save(id);
        }
        return s;
    }();
    static auto client = std::make_shared<ghl::Client>(ghl::ClientOptions{},
                                                       std::make_shared<CannedTransport>());
    static ghl::OAuthCredentials creds({}, client, store);
    const std::string location = "loc" + std::to_string(state.thread_index() % 50);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
    for (auto _ : state) {
        auto g = creds.for_location(location, deadline);
        benchmark::DoNotOptimize(g);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OAuthGrantFresh)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
