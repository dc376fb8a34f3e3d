// /healthz, /readyz and /metrics.
#include "app/ops.hpp"

#include "app/sqlite.hpp"

#include <httplib.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <limits>
#include <sstream>

namespace app {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

/// Tool calls take from well under a millisecond (cached reads) to a minute (a pipeline audit).
const prometheus::Histogram::BucketBoundaries& tool_buckets() {
    static const prometheus::Histogram::BucketBoundaries b = {
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    return b;
}

ClientMetric::Label label(std::string name, std::string value) {
    return {std::move(name), std::move(value)};
}

MetricFamily family(std::string name, std::string help, MetricType type) {
    MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = type;
    return f;
}

ClientMetric counter(std::vector<ClientMetric::Label> labels, double value) {
    ClientMetric m;
    m.label = std::move(labels);
    m.counter.value = value;
    return m;
}

ClientMetric gauge(std::vector<ClientMetric::Label> labels, double value) {
    ClientMetric m;
    m.label = std::move(labels);
    m.gauge.value = value;
    return m;
}

double seconds(std::chrono::microseconds us) {
    return static_cast<double>(us.count()) / 1e6;
}

/// The GHL client's per-endpoint counters as Prometheus families.
void add_ghl(const ghl::MetricsSnapshot& s, std::vector<MetricFamily>& out) {
    auto requests = family("ghl_requests_total",
                           "HTTP requests sent to GHL (retries included), by endpoint and status "
                           "(\"error\": no HTTP answer: DNS, connect, TLS, timeout)",
                           MetricType::Counter);
    auto duration = family("ghl_request_duration_seconds", "Time GHL took to answer one request",
                           MetricType::Histogram);
    auto calls = family("ghl_calls_total",
                        "Calls to a GHL endpoint (one call may send several requests), by result",
                        MetricType::Counter);
    auto retries =
        family("ghl_retries_total", "Requests repeated after a 429, a 5xx or a lost connection",
               MetricType::Counter);
    auto limited =
        family("ghl_rate_limited_total",
               "Calls slowed or refused by a rate limit: by=\"ghl\" 429 answers, by=\"local\" "
               "calls our limiter refused because no slot came before their deadline",
               MetricType::Counter);
    auto waits = family("ghl_limiter_waits_total", "Calls that waited for a rate-limit slot",
                        MetricType::Counter);
    auto waited = family("ghl_limiter_wait_seconds_total",
                         "Time calls spent waiting for rate-limit slots", MetricType::Counter);
    auto wait_max = family("ghl_limiter_wait_max_seconds",
                           "Longest wait for a rate-limit slot so far", MetricType::Gauge);
    for (const auto& [endpoint, m] : s.endpoints) {
        for (const auto& [status, n] : m.statuses)
            requests.metric.push_back(counter(
                {label("endpoint", endpoint), label("status", std::to_string(status))}, double(n)));
        if (m.transport_errors)
            requests.metric.push_back(
                counter({label("endpoint", endpoint), label("status", "error")},
                        double(m.transport_errors)));
        ClientMetric h;
        h.label = {label("endpoint", endpoint)};
        h.histogram.sample_count = m.attempts;
        h.histogram.sample_sum = seconds(m.latency_total);
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < ghl::kLatencyBucketsMs.size(); ++i) {
            cumulative += m.latency_buckets[i];
            h.histogram.bucket.push_back({cumulative, double(ghl::kLatencyBucketsMs[i]) / 1000.0});
        }
        h.histogram.bucket.push_back({m.attempts, std::numeric_limits<double>::infinity()});
        duration.metric.push_back(std::move(h));
        calls.metric.push_back(counter({label("endpoint", endpoint), label("result", "success")},
                                       double(m.successes)));
        calls.metric.push_back(
            counter({label("endpoint", endpoint), label("result", "failure")}, double(m.failures)));
        retries.metric.push_back(counter({label("endpoint", endpoint)}, double(m.retries)));
        limited.metric.push_back(
            counter({label("by", "ghl"), label("endpoint", endpoint)}, double(m.http_429)));
        limited.metric.push_back(
            counter({label("by", "local"), label("endpoint", endpoint)}, double(m.local_limited)));
        waits.metric.push_back(counter({label("endpoint", endpoint)}, double(m.queue_waits)));
        waited.metric.push_back(
            counter({label("endpoint", endpoint)}, seconds(m.queue_wait_total)));
        wait_max.metric.push_back(gauge({label("endpoint", endpoint)}, seconds(m.queue_wait_max)));
    }
    auto queue = family("ghl_limiter_queue_depth", "Calls waiting for a rate-limit slot right now",
                        MetricType::Gauge);
    queue.metric.push_back(gauge({}, double(s.waiting)));
    for (auto* f :
         {&requests, &duration, &calls, &retries, &limited, &waits, &waited, &wait_max, &queue})
        out.push_back(std::move(*f));
}

void add_renewals(const ghl::RenewalCounters& r, std::vector<MetricFamily>& out) {
    auto f = family(
        "ghl_token_renewals_total",
        "OAuth token renewals: kind=\"refresh\" (refresh token), \"mint\" (location token from "
        "an agency token), \"failure\" (GHL refused or the renewal could not complete)",
        MetricType::Counter);
    f.metric.push_back(counter({label("kind", "refresh")}, double(r.refreshes)));
    f.metric.push_back(counter({label("kind", "mint")}, double(r.mints)));
    f.metric.push_back(counter({label("kind", "failure")}, double(r.failures)));
    out.push_back(std::move(f));
}

void add_webhooks(const events::Receiver::Counters& c, std::vector<MetricFamily>& out) {
    auto f = family("ghl_mcp_webhook_deliveries_total",
                    "GHL webhook deliveries to POST /webhooks/ghl, by what became of them",
                    MetricType::Counter);
    const std::pair<const char*, std::uint64_t> rows[] = {{"stored", c.stored},
                                                          {"duplicate", c.duplicates},
                                                          {"unauthorized", c.unauthorized},
                                                          {"malformed", c.malformed},
                                                          {"stale", c.stale},
                                                          {"too_large", c.too_large},
                                                          {"store_failure", c.store_failures}};
    for (const auto& [result, n] : rows)
        f.metric.push_back(counter({label("result", result)}, double(n)));
    auto dropped = family("ghl_mcp_webhook_notifications_dropped_total",
                          "Event notifications not sent to MCP sessions because the queue was full",
                          MetricType::Counter);
    dropped.metric.push_back(counter({}, double(c.notifications_dropped)));
    out.push_back(std::move(f));
    out.push_back(std::move(dropped));
}

void reply_json(httplib::Response& res, int status, const nlohmann::json& body) {
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    res.set_content(body.dump() + "\n", "application/json");
}

}  // namespace

// ---- ServerMetrics ----

ServerMetrics::ServerMetrics(std::set<std::string> tools)
    : tools_(std::move(tools)), registry_(std::make_shared<prometheus::Registry>()) {
    calls_ =
        &prometheus::BuildCounter()
             .Name("ghl_mcp_tool_calls_total")
             .Help(
                 "MCP tool calls, by tool and outcome (ok, tool_error: the tool reported an error, "
                 "error: protocol error, refused: outside the caller's scope or invalid, "
                 "input_required: the tool asked the client a question)")
             .Register(*registry_);
    latency_ = &prometheus::BuildHistogram()
                    .Name("ghl_mcp_tool_call_duration_seconds")
                    .Help(
                        "Time from the start of a tool call to its result, GHL requests and waits "
                        "included")
                    .Register(*registry_);
}

ServerMetrics::~ServerMetrics() = default;

void ServerMetrics::tool_call(const std::string& tool, std::string_view outcome,
                              std::chrono::steady_clock::duration latency) {
    const std::string name = tools_.count(tool) ? tool : std::string("unknown");
    prometheus::Counter* c;
    prometheus::Histogram* h;
    {
        std::lock_guard lock(mu_);
        auto key = std::make_pair(name, std::string(outcome));
        auto it = call_counters_.find(key);
        if (it == call_counters_.end())
            it =
                call_counters_
                    .emplace(key, &calls_->Add({{"tool", name}, {"outcome", std::string(outcome)}}))
                    .first;
        c = it->second;
        auto hit = histograms_.find(name);
        if (hit == histograms_.end())
            hit = histograms_.emplace(name, &latency_->Add({{"tool", name}}, tool_buckets())).first;
        h = hit->second;
    }
    c->Increment();
    h->Observe(std::chrono::duration<double>(latency).count());
}

std::string ServerMetrics::scrape() const {
    std::vector<MetricFamily> families = registry_->Collect();
    auto info = family("ghl_mcp_info", "Always 1; the labels say which build runs in which mode",
                       MetricType::Gauge);
    info.metric.push_back(
        gauge({label("mode", sources_.mode), label("version", GHL_MCP_VERSION)}, 1));
    families.push_back(std::move(info));
    auto start = family("process_start_time_seconds", "When this process started (Unix time)",
                        MetricType::Gauge);
    start.metric.push_back(
        gauge({}, std::chrono::duration<double>(started_.time_since_epoch()).count()));
    families.push_back(std::move(start));
    if (sources_.sessions) {
        auto f = family("ghl_mcp_sessions", "Open MCP sessions (Streamable HTTP and legacy SSE)",
                        MetricType::Gauge);
        f.metric.push_back(gauge({}, double(sources_.sessions())));
        families.push_back(std::move(f));
    }
    if (sources_.streams) {
        auto f = family("ghl_mcp_sse_streams", "Open server-sent event streams", MetricType::Gauge);
        f.metric.push_back(gauge({}, double(sources_.streams())));
        families.push_back(std::move(f));
    }
    if (sources_.ghl) add_ghl(sources_.ghl(), families);
    if (sources_.renewals) add_renewals(sources_.renewals(), families);
    if (sources_.webhooks)
        if (auto c = sources_.webhooks()) add_webhooks(*c, families);
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
}

// ---- readiness ----

void check_writable(const std::string& path) {
    sqlite::Database db(path, /*create=*/false);
    db.exec("PRAGMA busy_timeout = 2000; BEGIN IMMEDIATE; ROLLBACK;");
}

Readiness::Readiness(ReadinessSources sources, std::chrono::seconds ttl)
    : sources_(std::move(sources)), ttl_(ttl) {}

std::vector<ReadyCheck> Readiness::check() {
    std::lock_guard lock(mu_);  // one check at a time; the others take its verdict
    const auto now = std::chrono::steady_clock::now();
    if (checked_at_ != std::chrono::steady_clock::time_point{} && now - checked_at_ < ttl_)
        return last_;
    std::vector<ReadyCheck> checks;
    if (sources_.probe_ghl) {
        ReadyCheck c{"ghl", true, {}};
        const auto last = sources_.last_ghl_response ? sources_.last_ghl_response()
                                                     : std::chrono::steady_clock::time_point{};
        if (last != std::chrono::steady_clock::time_point{} && now - last < sources_.fresh) {
            c.detail = "answered " +
                       std::to_string(
                           std::chrono::duration_cast<std::chrono::seconds>(now - last).count()) +
                       " s ago";
        } else if (std::string why = sources_.probe_ghl(); why.empty()) {
            c.detail = "answered a probe";
        } else {
            c.ok = false;
            c.detail = why;
        }
        checks.push_back(std::move(c));
    }
    for (const auto& [name, path] : sources_.stores) {
        if (path.empty() || path == ":memory:") continue;
        ReadyCheck c{"store:" + name, true, "writable"};
        try {
            check_writable(path);
        } catch (const std::exception& e) {
            c.ok = false;
            c.detail = e.what();
        }
        checks.push_back(std::move(c));
    }
    checked_at_ = std::chrono::steady_clock::now();
    last_ = checks;
    return checks;
}

// ---- routes ----

void mount_operations(httplib::Server& http, const OpsOptions& options,
                      std::shared_ptr<ServerMetrics> metrics,
                      std::shared_ptr<Readiness> readiness) {
    // DNS rebinding: a web page must not read these through a rebound name, even on loopback.
    auto admitted = [options](const httplib::Request& req, httplib::Response& res, bool needs_key) {
        std::string problem =
            mcp::origin_problem(options.http, req.get_header_value("Host"),
                                req.get_header_value("Origin"), req.has_header("Origin"));
        if (!problem.empty()) {
            reply_json(res, 403, {{"error", problem}});
            return false;
        }
        if (!needs_key || !options.exposed) return true;  // loopback: open, like /mcp without keys
        if (!options.http.authenticate) {
            reply_json(res, 403,
                       {{"error", "Forbidden: no API key is configured for this exposed server"}});
            return false;
        }
        mcp::AuthDecision d = options.http.authenticate(mcp::header_map(req));
        if (d.allowed) return true;
        if (!d.www_authenticate.empty()) res.set_header("WWW-Authenticate", d.www_authenticate);
        reply_json(res, d.status,
                   {{"error", d.message.empty() ? "Unauthorized: send Authorization: Bearer <key>"
                                                : d.message}});
        return false;
    };

    http.Get("/healthz", [admitted](const httplib::Request& req, httplib::Response& res) {
        if (!admitted(req, res, /*needs_key=*/false)) return;
        reply_json(res, 200, {{"status", "ok"}, {"version", GHL_MCP_VERSION}});
    });

    http.Get("/readyz", [admitted, readiness](const httplib::Request& req, httplib::Response& res) {
        if (!admitted(req, res, /*needs_key=*/true)) return;
        nlohmann::json checks = nlohmann::json::object();
        bool ready = true;
        for (const auto& c : readiness->check()) {
            ready = ready && c.ok;
            checks[c.name] = {{"ok", c.ok}, {"detail", c.detail}};
        }
        reply_json(res, ready ? 200 : 503, {{"ready", ready}, {"checks", checks}});
    });

    http.Get("/metrics", [admitted, metrics](const httplib::Request& req, httplib::Response& res) {
        if (!admitted(req, res, /*needs_key=*/true)) return;
        res.set_header("Cache-Control", "no-store");
        res.set_content(metrics->scrape(), "text/plain; version=0.0.4; charset=utf-8");
    });
}

}  // namespace app
