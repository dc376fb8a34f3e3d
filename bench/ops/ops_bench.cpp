// bench-ops: the cost of the metrics on the hot path (ServerMetrics::tool_call, once per tool call,
// from many threads) and of one /metrics scrape of a busy server.
#include "app/ops.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace {

std::set<std::string> tool_names() {
    std::set<std::string> names;
    for (int i = 0; i < 45; ++i) names.insert("tool_" + std::to_string(i));
    return names;
}

app::ServerMetrics& shared_metrics() {
    static app::ServerMetrics m(tool_names());
    return m;
}

void BM_RecordToolCall(benchmark::State& state) {
    auto& m = shared_metrics();
    const std::string tool = "tool_" + std::to_string(state.thread_index() % 45);
    for (auto _ : state) m.tool_call(tool, "ok", std::chrono::milliseconds(12));
}
BENCHMARK(BM_RecordToolCall)->Threads(1)->Threads(4)->Threads(16)->UseRealTime();

void BM_Scrape(benchmark::State& state) {
    app::ServerMetrics m(tool_names());
    for (int i = 0; i < 45; ++i)
        for (const char* outcome : {"ok", "tool_error"})
            m.tool_call("tool_" + std::to_string(i), outcome, std::chrono::milliseconds(i));
    ghl::MetricsSnapshot snap;
    for (int e = 0; e < 40; ++e) {
        auto& em = snap.endpoints["endpoint." + std::to_string(e)];
        em.attempts = 1000;
        em.statuses = {{200, 950}, {404, 30}, {429, 20}};
        em.latency_buckets[3] = 1000;
    }
    app::ServerMetrics::Sources s;
    s.mode = "live";
    s.ghl = [snap] { return snap; };
    s.renewals = [] { return ghl::RenewalCounters{3, 1, 0}; };
    s.sessions = [] { return std::size_t{12}; };
    m.set_sources(s);
    std::size_t bytes = 0;
    for (auto _ : state) {
        std::string text = m.scrape();
        bytes = text.size();
        benchmark::DoNotOptimize(text);
    }
    state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Scrape)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
