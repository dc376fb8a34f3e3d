// /healthz, /readyz and /metrics: the sandbox App served over real HTTP (its tool calls and GHL
// requests must show up in the exposition), readiness against a fake GHL probe and a locked
// store, and the door rules: key required off loopback, foreign Host refused.
#include "app/ops.hpp"
#include "app/sqlite.hpp"
#include "app/wiring.hpp"
#include "ghlsim/simulator.hpp"

#include "mcp/http_transport.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

namespace {

using json = nlohmann::json;
using keys_test::TempDir;

/// The value of the sample `series` (name plus labels exactly as serialized), if present.
std::optional<double> sample(const std::string& exposition, const std::string& series) {
    std::istringstream in(exposition);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return std::nullopt;
}

/// Every non-comment line is `name{labels} value`, and every family has HELP and TYPE.
void expect_well_formed(const std::string& exposition) {
    std::istringstream in(exposition);
    std::string line;
    int samples = 0;
    std::set<std::string> typed;
    while (std::getline(in, line)) {
        if (line.rfind("# TYPE ", 0) == 0) {
            std::istringstream t(line.substr(7));
            std::string name;
            t >> name;
            typed.insert(name);
            continue;
        }
        if (line.empty() || line[0] == '#') continue;
        ++samples;
        auto space = line.rfind(' ');
        ASSERT_NE(space, std::string::npos) << line;
        std::string name = line.substr(0, std::min(line.find('{'), space));
        for (const char* suffix : {"_bucket", "_sum", "_count"})
            if (!typed.count(name) && name.size() > std::strlen(suffix) &&
                name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
                name.resize(name.size() - std::strlen(suffix));
        EXPECT_TRUE(typed.count(name)) << "no # TYPE before " << line;
        EXPECT_NO_THROW((void)std::stod(line.substr(space + 1))) << line;
    }
    EXPECT_GT(samples, 0);
}

class OpsHttp : public ::testing::Test {
  protected:
    void start(app::Config c) {
        c.sandbox = true;
        c.log_level = "off";
        c.http = true;
        app_ = std::make_unique<app::App>(c);
        mcp::HttpOptions o;
        o.host = "127.0.0.1";
        o.port = 0;
        transport_ = std::make_unique<mcp::HttpTransport>(app_->server(), o);
        transport_->bind();
        app_->mount_operations(*transport_, o, nullptr);
        thread_ = std::thread([this] { transport_->run(); });
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!transport_->raw().is_running() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ASSERT_TRUE(transport_->raw().is_running());
    }

    void TearDown() override {
        if (transport_) transport_->stop();
        if (thread_.joinable()) thread_.join();
        transport_.reset();
        app_.reset();
    }

    httplib::Result get(const std::string& path, httplib::Headers h = {}) {
        httplib::Client client("127.0.0.1", transport_->port());
        client.set_read_timeout(std::chrono::seconds(30));
        return client.Get(path, h);
    }

    json call(const std::string& tool, const json& args) {
        json params = {
            {"name", tool},
            {"arguments", args},
            {"_meta",
             {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
              {"io.modelcontextprotocol/clientInfo", {{"name", "ops-tests"}, {"version", "1"}}},
              {"io.modelcontextprotocol/clientCapabilities", json::object()}}}};
        json body{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"}, {"params", params}};
        httplib::Headers h{{"Accept", "application/json, text/event-stream"},
                           {"MCP-Protocol-Version", "2026-07-28"},
                           {"Mcp-Method", "tools/call"},
                           {"Mcp-Name", tool}};
        httplib::Client client("127.0.0.1", transport_->port());
        client.set_read_timeout(std::chrono::seconds(60));
        auto r = client.Post("/mcp", h, body.dump(), "application/json");
        if (!r) return json();
        return json::parse(r->body, nullptr, false);
    }

    std::unique_ptr<app::App> app_;
    std::unique_ptr<mcp::HttpTransport> transport_;
    std::thread thread_;
};

TEST_F(OpsHttp, HealthzAnswersWithoutTouchingGhl) {
    start({});
    auto r = get("/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    json body = json::parse(r->body);
    EXPECT_EQ(body["status"], "ok");
    EXPECT_EQ(body["version"], GHL_MCP_VERSION);
    EXPECT_EQ(app_->sandbox()->counters().requests, 0u) << "liveness must not depend on GHL";
}

TEST_F(OpsHttp, MetricsCountToolCallsAndTheGhlRequestsBehindThem) {
    start({});
    auto before = get("/metrics");
    ASSERT_TRUE(before);
    EXPECT_EQ(before->status, 200);
    EXPECT_NE(before->get_header_value("Content-Type").find("text/plain; version=0.0.4"),
              std::string::npos);
    EXPECT_FALSE(
        sample(before->body, R"(ghl_mcp_tool_calls_total{outcome="ok",tool="list_calendars"})"));

    json r = call("list_calendars", json::object());
    ASSERT_TRUE(r.contains("result")) << r.dump();
    ASSERT_FALSE(r["result"].value("isError", false)) << r.dump();
    json bad = call("get_contact", {{"contactId", "no-such-contact"}});
    ASSERT_TRUE(bad["result"].value("isError", false)) << bad.dump();

    auto after = get("/metrics");
    ASSERT_TRUE(after);
    const std::string& text = after->body;
    expect_well_formed(text);
    EXPECT_EQ(sample(text, R"(ghl_mcp_tool_calls_total{outcome="ok",tool="list_calendars"})"), 1.0)
        << text;
    EXPECT_EQ(sample(text, R"(ghl_mcp_tool_calls_total{outcome="tool_error",tool="get_contact"})"),
              1.0)
        << text;
    EXPECT_EQ(sample(text, R"(ghl_mcp_tool_call_duration_seconds_count{tool="list_calendars"})"),
              1.0)
        << text;
    EXPECT_GE(
        sample(text, R"(ghl_requests_total{endpoint="calendars.list",status="200"})").value_or(0),
        1.0)
        << text;
    // GHL (and the simulator) answer an unknown contact id with 400 "Contact not found".
    EXPECT_GE(
        sample(text, R"(ghl_requests_total{endpoint="contacts.get",status="400"})").value_or(0),
        1.0)
        << text;
    EXPECT_GE(sample(text, R"(ghl_request_duration_seconds_count{endpoint="calendars.list"})")
                  .value_or(0),
              1.0);
    EXPECT_EQ(
        sample(text, R"(ghl_request_duration_seconds_bucket{endpoint="calendars.list",le="+Inf"})"),
        sample(text, R"(ghl_request_duration_seconds_count{endpoint="calendars.list"})"));
    EXPECT_EQ(sample(text, "ghl_limiter_queue_depth"), 0.0) << text;
    EXPECT_EQ(sample(text, R"(ghl_mcp_info{mode="sandbox",version=")" GHL_MCP_VERSION R"("})"), 1.0)
        << text;
    EXPECT_TRUE(sample(text, "ghl_mcp_sessions")) << text;
    EXPECT_TRUE(sample(text, R"(ghl_token_renewals_total{kind="refresh"})")) << text;
    // Values, never arguments: the contact id the caller sent appears nowhere.
    EXPECT_EQ(text.find("no-such-contact"), std::string::npos);
}

TEST_F(OpsHttp, ReadyzProbesGhlAndTheStores) {
    TempDir dir;
    app::Config c;
    c.events_db = dir.file("events.db");
    start(c);
    auto r = get("/readyz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    json body = json::parse(r->body);
    EXPECT_EQ(body["ready"], true);
    EXPECT_EQ(body["checks"]["ghl"]["ok"], true) << r->body;
    EXPECT_EQ(body["checks"]["store:events"]["ok"], true) << r->body;
}

TEST_F(OpsHttp, PingFailsOnceGhlIsGone) {
    start({});
    EXPECT_EQ(app_->ping_ghl(std::chrono::seconds(5)), "");
    app_->sandbox()->stop();
    EXPECT_NE(app_->ping_ghl(std::chrono::seconds(2)), "");
}

TEST_F(OpsHttp, ForeignHostIsRefused) {
    start({});
    auto r = get("/metrics", {{"Host", "rebound.attacker.example"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    auto o = get("/readyz", {{"Origin", "https://attacker.example"}});
    ASSERT_TRUE(o);
    EXPECT_EQ(o->status, 403);
}

// ---- the door rules on a bare server, exposed as if bound off loopback ----

class OpsDoor : public ::testing::Test {
  protected:
    void SetUp() override {
        metrics_ = std::make_shared<app::ServerMetrics>(std::set<std::string>{"get_free_slots"});
        app::ReadinessSources rs;
        rs.probe_ghl = [] { return std::string(); };
        readiness_ = std::make_shared<app::Readiness>(rs);
        app::OpsOptions o;
        o.http.host = "0.0.0.0";
        o.http.allowed_hosts = {"127.0.0.1"};
        o.exposed = true;
        o.http.authenticate = [](const mcp::HeaderMap& h) {
            mcp::AuthDecision d;
            auto it = h.find("authorization");
            d.allowed = it != h.end() && it->second == "Bearer right";
            if (!d.allowed) d.www_authenticate = "Bearer";
            return d;
        };
        app::mount_operations(http_, o, metrics_, readiness_);
        port_ = http_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { http_.listen_after_bind(); });
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!http_.is_running() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ASSERT_TRUE(http_.is_running());
    }
    void TearDown() override {
        http_.stop();
        thread_.join();
    }
    httplib::Result get(const std::string& path, const std::string& key = {}) {
        httplib::Client client("127.0.0.1", port_);
        httplib::Headers h;
        if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
        return client.Get(path, h);
    }

    httplib::Server http_;
    int port_ = 0;
    std::thread thread_;
    std::shared_ptr<app::ServerMetrics> metrics_;
    std::shared_ptr<app::Readiness> readiness_;
};

TEST_F(OpsDoor, ExposedMetricsAndReadinessNeedAKeyLivenessDoesNot) {
    EXPECT_EQ(get("/healthz")->status, 200);
    for (const char* path : {"/metrics", "/readyz"}) {
        auto none = get(path);
        EXPECT_EQ(none->status, 401) << path;
        EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
        EXPECT_EQ(get(path, "wrong")->status, 401) << path;
        EXPECT_EQ(get(path, "right")->status, 200) << path;
    }
}

TEST_F(OpsDoor, UnknownToolNamesShareOneLabel) {
    metrics_->tool_call("get_free_slots", "ok", std::chrono::milliseconds(3));
    metrics_->tool_call("<script>x</script>", "refused", std::chrono::milliseconds(0));
    metrics_->tool_call("another-made-up-name", "refused", std::chrono::milliseconds(0));
    const std::string text = get("/metrics", "right")->body;
    expect_well_formed(text);
    EXPECT_EQ(sample(text, R"(ghl_mcp_tool_calls_total{outcome="ok",tool="get_free_slots"})"), 1.0)
        << text;
    EXPECT_EQ(sample(text, R"(ghl_mcp_tool_calls_total{outcome="refused",tool="unknown"})"), 2.0)
        << text;
    EXPECT_EQ(text.find("script"), std::string::npos);
    EXPECT_EQ(
        sample(text,
               R"(ghl_mcp_tool_call_duration_seconds_bucket{tool="get_free_slots",le="0.005"})"),
        1.0)
        << text;
}

// ---- exposition of the sources read at scrape time ----

TEST(OpsMetrics, ExportsLimiterRetriesRenewalsAndWebhooks) {
    app::ServerMetrics m({});
    app::ServerMetrics::Sources s;
    s.mode = "live";
    s.ghl = [] {
        ghl::MetricsSnapshot snap;
        auto& e = snap.endpoints["contacts.search"];
        e.calls = 4;
        e.attempts = 6;
        e.successes = 3;
        e.failures = 1;
        e.retries = 2;
        e.http_429 = 2;
        e.local_limited = 1;
        e.statuses = {{200, 3}, {429, 2}};
        e.transport_errors = 1;
        e.queue_waits = 2;
        e.queue_wait_total = std::chrono::milliseconds(1500);
        e.queue_wait_max = std::chrono::milliseconds(1000);
        e.latency_total = std::chrono::milliseconds(600);
        e.latency_buckets[0] = 1;  // <= 5 ms
        e.latency_buckets[4] = 4;  // <= 100 ms
        e.latency_buckets.back() = 1;
        snap.waiting = 3;
        return snap;
    };
    s.renewals = [] { return ghl::RenewalCounters{5, 2, 1}; };
    s.webhooks = [] {
        events::Receiver::Counters c;
        c.stored = 7;
        c.duplicates = 2;
        c.unauthorized = 1;
        return std::optional<events::Receiver::Counters>(c);
    };
    s.sessions = [] { return std::size_t{4}; };
    m.set_sources(s);
    const std::string text = m.scrape();
    expect_well_formed(text);
    EXPECT_EQ(sample(text, "ghl_limiter_queue_depth"), 3.0);
    EXPECT_EQ(sample(text, R"(ghl_requests_total{endpoint="contacts.search",status="429"})"), 2.0);
    EXPECT_EQ(sample(text, R"(ghl_requests_total{endpoint="contacts.search",status="error"})"),
              1.0);
    EXPECT_EQ(sample(text, R"(ghl_rate_limited_total{by="ghl",endpoint="contacts.search"})"), 2.0);
    EXPECT_EQ(sample(text, R"(ghl_rate_limited_total{by="local",endpoint="contacts.search"})"),
              1.0);
    EXPECT_EQ(sample(text, R"(ghl_retries_total{endpoint="contacts.search"})"), 2.0);
    EXPECT_EQ(sample(text, R"(ghl_limiter_wait_seconds_total{endpoint="contacts.search"})"), 1.5);
    EXPECT_EQ(
        sample(text,
               R"(ghl_request_duration_seconds_bucket{endpoint="contacts.search",le="0.005"})"),
        1.0);
    EXPECT_EQ(
        sample(text, R"(ghl_request_duration_seconds_bucket{endpoint="contacts.search",le="0.1"})"),
        5.0);
    EXPECT_EQ(
        sample(text,
               R"(ghl_request_duration_seconds_bucket{endpoint="contacts.search",le="+Inf"})"),
        6.0);
    EXPECT_EQ(sample(text, R"(ghl_calls_total{endpoint="contacts.search",result="failure"})"), 1.0);
    EXPECT_EQ(sample(text, R"(ghl_token_renewals_total{kind="refresh"})"), 5.0);
    EXPECT_EQ(sample(text, R"(ghl_token_renewals_total{kind="failure"})"), 1.0);
    EXPECT_EQ(sample(text, R"(ghl_mcp_webhook_deliveries_total{result="stored"})"), 7.0);
    EXPECT_EQ(sample(text, R"(ghl_mcp_webhook_deliveries_total{result="unauthorized"})"), 1.0);
    EXPECT_EQ(sample(text, "ghl_mcp_sessions"), 4.0);
}

// ---- readiness ----

TEST(OpsReadiness, RecentAnswerSkipsTheProbeAndVerdictsAreReused) {
    std::atomic<int> probes{0};
    app::ReadinessSources rs;
    auto last = std::chrono::steady_clock::time_point{};
    rs.last_ghl_response = [&] { return last; };
    rs.probe_ghl = [&] {
        ++probes;
        return std::string("connection refused");
    };
    app::Readiness fresh_each_time(rs, std::chrono::seconds(0));
    auto c = fresh_each_time.check();
    ASSERT_EQ(c.size(), 1u);
    EXPECT_FALSE(c[0].ok);
    EXPECT_EQ(c[0].detail, "connection refused");
    EXPECT_EQ(probes, 1);
    last = std::chrono::steady_clock::now();  // GHL just answered a tool call
    c = fresh_each_time.check();
    EXPECT_TRUE(c[0].ok);
    EXPECT_EQ(probes, 1) << "a recent answer makes the probe unnecessary";

    last = {};
    app::Readiness cached(rs, std::chrono::seconds(60));
    cached.check();
    cached.check();
    cached.check();
    EXPECT_EQ(probes, 2) << "one probe per ttl, however often the balancer asks";
}

TEST(OpsReadiness, LockedStoreIsNotReady) {
    TempDir dir;
    const std::string path = dir.file("events.db");
    app::sqlite::Database holder(path, /*create=*/true);
    holder.exec("CREATE TABLE t (x); ");
    app::ReadinessSources rs;
    rs.stores = {{"events", path}, {"memory", ":memory:"}};
    app::Readiness r(rs, std::chrono::seconds(0));
    auto ok = r.check();
    ASSERT_EQ(ok.size(), 1u) << "in-memory stores need no check";
    EXPECT_TRUE(ok[0].ok) << ok[0].detail;
    holder.exec("BEGIN EXCLUSIVE;");  // another writer holds the file
    auto locked = r.check();
    EXPECT_FALSE(locked[0].ok);
    EXPECT_NE(locked[0].detail.find("lock"), std::string::npos) << locked[0].detail;
    holder.exec("ROLLBACK;");
    EXPECT_TRUE(r.check()[0].ok);
    std::filesystem::remove(path);
    auto gone = r.check();
    EXPECT_FALSE(gone[0].ok) << "a vanished store is not writable";
}

}  // namespace
