// Issue 2: "The HTTP server must not be starved by long-lived streams: 64 open SSE streams plus a
// steady stream of POSTs from other clients must keep working (test it)." With HttpOptions
// defaults (32 connection threads kept ready, up to 2,048; max_streams 128): 64 sessions each hold GET /mcp open on its own thread
// and client while 8 other clients send 200 tools/call of a no-op tool; every call must succeed;
// then the streams close and open_streams() drops back to zero.
#include "http_support.hpp"

#include <atomic>

namespace mcp_test {
namespace {

constexpr int kStreams = 64;
constexpr int kPostThreads = 8;
constexpr int kCallsPerThread = 25;  // 200 calls in all

TEST(HttpStarvation, SixtyFourStreamsDoNotStarvePosts) {
    mcp::HttpOptions defaults;  // the shipped defaults: fewer ready threads than streams
    ASSERT_EQ(defaults.threads, 32u);
    ASSERT_EQ(defaults.max_connections, 2048u);
    ASSERT_EQ(defaults.max_streams, 128u);
    HttpHarness h(defaults);

    // 64 sessions, each with a long-lived standalone SSE stream.
    std::vector<std::unique_ptr<SseReader>> streams;
    for (int i = 0; i < kStreams; ++i) {
        std::string sid = h.initialize("2025-11-25");
        ASSERT_FALSE(sid.empty()) << "stream session " << i;
        streams.push_back(std::make_unique<SseReader>(
            h.port(), "/mcp",
            httplib::Headers{{"Accept", "text/event-stream"}, {"Mcp-Session-Id", sid},
                             {"MCP-Protocol-Version", "2025-11-25"}}));
    }
    for (int i = 0; i < kStreams; ++i)
        ASSERT_TRUE(streams[i]->wait_for("retry:")) << "stream " << i << " never opened (status "
                                                    << streams[i]->status() << ")";
    ASSERT_TRUE(eventually([&] { return h.transport->open_streams() == kStreams; }))
        << "open_streams() = " << h.transport->open_streams();

    // A steady series of POSTs from other clients, half legacy sessions, half stateless 2026.
    std::atomic<int> ok{0};
    std::vector<std::string> failures;
    std::mutex failures_mu;
    std::vector<std::thread> posters;
    for (int t = 0; t < kPostThreads; ++t) {
        posters.emplace_back([&, t] {
            const bool modern = t % 2 == 1;
            std::string sid = modern ? std::string() : h.initialize("2025-11-25");
            auto client = h.client();
            for (int i = 0; i < kCallsPerThread; ++i) {
                const int id = t * 1000 + i;
                json msg;
                httplib::Headers hdr{{"Accept", kAcceptBoth}};
                if (modern) {
                    msg = modern_request(id, "tools/call", json{{"name", "noop"}, {"arguments", json::object()}});
                    hdr.emplace("MCP-Protocol-Version", "2026-07-28");
                    hdr.emplace("Mcp-Method", "tools/call");
                    hdr.emplace("Mcp-Name", "noop");
                } else {
                    msg = request(id, "tools/call", json{{"name", "noop"}, {"arguments", json::object()}});
                    hdr.emplace("Mcp-Session-Id", sid);
                    hdr.emplace("MCP-Protocol-Version", "2025-11-25");
                }
                auto r = client->Post("/mcp", hdr, msg.dump(), "application/json");
                std::string problem;
                if (!r) {
                    problem = "transport error " + httplib::to_string(r.error());
                } else if (r->status != 200) {
                    problem = "status " + std::to_string(r->status) + ": " + r->body;
                } else {
                    json b = json::parse(r->body, nullptr, false);
                    if (b.is_discarded() || b.value("id", -1) != id || first_text(b.value("result", json())) != "ok")
                        problem = "bad body: " + r->body;
                }
                if (problem.empty()) {
                    ++ok;
                } else {
                    std::lock_guard lock(failures_mu);
                    failures.push_back("thread " + std::to_string(t) + " call " + std::to_string(i) + ": " + problem);
                }
            }
        });
    }
    for (auto& p : posters) p.join();
    EXPECT_EQ(ok.load(), kPostThreads * kCallsPerThread);
    for (size_t i = 0; i < failures.size() && i < 10; ++i) ADD_FAILURE() << failures[i];

    // The streams were held open the whole time and still work.
    EXPECT_EQ(h.transport->open_streams(), static_cast<size_t>(kStreams));
    h.server->notify_tools_changed();
    for (int i = 0; i < kStreams; ++i)
        EXPECT_TRUE(streams[i]->wait_for("notifications/tools/list_changed")) << "stream " << i;

    // Clients go away; the transport must notice on its own (no events are sent now) and give
    // the connection threads and stream slots back. The bound covers two keepalive periods.
    for (auto& s : streams) s->close();
    EXPECT_TRUE(eventually([&] { return h.transport->open_streams() == 0; }, std::chrono::seconds(60)))
        << "open_streams() stuck at " << h.transport->open_streams();
}

}  // namespace
}  // namespace mcp_test
