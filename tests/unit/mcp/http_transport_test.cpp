// HttpTransport: Streamable HTTP at /mcp (both eras) and legacy HTTP+SSE, driven by a real
// httplib client against an ephemeral loopback port.
#include "http_support.hpp"

#include <gmock/gmock.h>

#include <future>
#include <set>
#include <sstream>

namespace mcp_test {
namespace {

using ::testing::HasSubstr;

// The response message of a POST: the JSON body, or the last message event of an SSE body (a
// call that takes long, e.g. on a loaded machine, may be answered as a stream; both are valid).
json body_of(const httplib::Result& r) {
    if (r->get_header_value("Content-Type").find("text/event-stream") == std::string::npos)
        return json::parse(r->body, nullptr, false);
    json last = json::value_t::discarded;
    std::istringstream in(r->body);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("data: ", 0) != 0) continue;
        json m = json::parse(line.substr(6), nullptr, false);
        if (!m.is_discarded() && m.contains("id")) last = std::move(m);
    }
    return last;
}

TEST(HttpTransport, InitializeReturnsARandomSessionId) {
    HttpHarness h;
    std::set<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        auto r = h.post(request(1, "initialize", initialize_params("2025-11-25")));
        ASSERT_TRUE(r) << httplib::to_string(r.error());
        EXPECT_EQ(r->status, 200);
        EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("application/json"));
        json b = body_of(r);
        EXPECT_EQ(b["result"]["protocolVersion"], "2025-11-25") << r->body;
        std::string sid = r->get_header_value("Mcp-Session-Id");
        EXPECT_TRUE(is_hex32(sid)) << "'" << sid << "'";
        ids.insert(sid);
    }
    EXPECT_EQ(ids.size(), 3u) << "session ids must differ";
}

TEST(HttpTransport, LegacySessionServesCalls) {
    HttpHarness h;
    std::string sid = h.initialize("2025-06-18");
    ASSERT_FALSE(sid.empty());
    auto r = h.post(request(2, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", "over http"}}}}),
                    {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-06-18"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(first_text(body_of(r)["result"]), "over http");
    EXPECT_EQ(body_of(r)["id"], 2);
    EXPECT_TRUE(r->get_header_value("Mcp-Session-Id").empty()) << "only initialize hands out a session";
}

TEST(HttpTransport, ForeignOriginIs403) {
    HttpHarness h;
    auto r = h.post(request(1, "initialize", initialize_params("2025-11-25")), {{"Origin", "http://evil.example.com"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_TRUE(r->get_header_value("Mcp-Session-Id").empty());
    EXPECT_EQ(h.server->session_count(), 0u) << "a refused request creates nothing";
    r = h.post(request(1, "initialize", initialize_params("2025-11-25")), {{"Origin", "null"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << "an opaque origin is not loopback";
    r = h.post(request(1, "initialize", initialize_params("2025-11-25")),
               {{"Origin", "http://localhost.evil.example.com:80"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
}

TEST(HttpTransport, LoopbackOriginsAreAllowed) {
    HttpHarness h;
    for (const char* origin : {"http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]:9000"}) {
        auto r = h.post(request(1, "initialize", initialize_params("2025-11-25")), {{"Origin", origin}});
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200) << origin;
    }
}

TEST(HttpTransport, ConfiguredOriginIsAllowed) {
    mcp::HttpOptions o;
    o.allowed_origins = {"https://app.example.com"};
    HttpHarness h(o);
    auto r = h.post(request(1, "initialize", initialize_params("2025-11-25")), {{"Origin", "https://app.example.com"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST(HttpTransport, ForeignHostIs403) {
    HttpHarness h;
    auto r = h.post(request(1, "initialize", initialize_params("2025-11-25")), {{"Host", "evil.example.com"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    r = h.post(request(1, "initialize", initialize_params("2025-11-25")),
               {{"Host", "localhost:" + std::to_string(h.port())}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << "localhost:<port> is ours";
}

TEST(HttpTransport, IsLoopbackHost) {
    EXPECT_TRUE(mcp::is_loopback_host("localhost"));
    EXPECT_TRUE(mcp::is_loopback_host("LOCALHOST:8787"));
    EXPECT_TRUE(mcp::is_loopback_host("127.0.0.1:1"));
    EXPECT_TRUE(mcp::is_loopback_host("127.1.2.3"));
    EXPECT_TRUE(mcp::is_loopback_host("[::1]:8787"));
    EXPECT_FALSE(mcp::is_loopback_host("evil.example.com"));
    EXPECT_FALSE(mcp::is_loopback_host("127.0.0.1.evil.example.com"));
    EXPECT_FALSE(mcp::is_loopback_host("10.0.0.1"));
    EXPECT_FALSE(mcp::is_loopback_host("localhost.evil.com"));
}

TEST(HttpTransport, WrongContentTypeIs415) {
    HttpHarness h;
    auto r = h.post(request(1, "initialize", initialize_params("2025-11-25")), {}, "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 415);
}

TEST(HttpTransport, AcceptWithoutJsonOrSseIs406) {
    HttpHarness h;
    auto c = h.client();
    auto r = c->Post("/mcp", httplib::Headers{{"Accept", "text/html"}},
                     request(1, "initialize", initialize_params("2025-11-25")).dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 406);
}

TEST(HttpTransport, MalformedBodyIs400ParseError) {
    HttpHarness h;
    auto c = h.client();
    auto r = c->Post("/mcp", httplib::Headers{{"Accept", kAcceptBoth}}, "{\"jsonrpc\":", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(body_of(r)["error"]["code"], -32700);
}

TEST(HttpTransport, UnknownSessionIs404) {
    HttpHarness h;
    auto r = h.post(request(1, "tools/list"), {{"Mcp-Session-Id", std::string(32, 'a')}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
}

TEST(HttpTransport, MissingSessionOnALegacyRequestIs400) {
    HttpHarness h;
    h.initialize();
    auto r = h.post(request(1, "tools/list"), {{"MCP-Protocol-Version", "2025-11-25"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    r = h.post(request(2, "tools/list"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
}

TEST(HttpTransport, UnsupportedProtocolVersionHeaderIs400) {
    HttpHarness h;
    std::string sid = h.initialize();
    auto r = h.post(request(1, "tools/list"), {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "1999-01-01"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
}

TEST(HttpTransport, NotificationsAre202WithoutBody) {
    HttpHarness h;
    auto init = h.post(request(1, "initialize", initialize_params("2025-11-25")));
    std::string sid = init->get_header_value("Mcp-Session-Id");
    auto r = h.post(notification("notifications/initialized"), {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202);
    EXPECT_TRUE(r->body.empty()) << r->body;
    // A client response (to a server request) is accepted the same way.
    r = h.post(json{{"jsonrpc", "2.0"}, {"id", "srv-1"}, {"result", json::object()}},
               {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202);
}

TEST(HttpTransport, DeleteEndsTheSession) {
    HttpHarness h;
    std::string sid = h.initialize();
    ASSERT_FALSE(sid.empty());
    auto c = h.client();
    auto d = c->Delete("/mcp", httplib::Headers{{"Mcp-Session-Id", sid}});
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status, 200);
    auto r = h.post(request(1, "tools/list"), {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << "a terminated session is 404 so the client re-initializes";
    d = c->Delete("/mcp", httplib::Headers{{"Mcp-Session-Id", sid}});
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status, 404);
    d = c->Delete("/mcp");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status, 400);
}

TEST(HttpTransport, GetWithoutEventStreamAcceptIs405) {
    HttpHarness h;
    std::string sid = h.initialize();
    auto c = h.client();
    auto r = c->Get("/mcp", httplib::Headers{{"Accept", "application/json"}, {"Mcp-Session-Id", sid}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405);
    r = c->Get("/mcp", httplib::Headers{{"Accept", "text/event-stream"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405) << "no session: stateless clients use POST only";
    r = c->Get("/mcp", httplib::Headers{{"Accept", "text/event-stream"}, {"Mcp-Session-Id", std::string(32, 'b')}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
}

TEST(HttpTransport, BodyOverTheLimitIsRejected) {
    mcp::HttpOptions o;
    o.max_body_bytes = 1024;
    HttpHarness h(o);
    std::string sid = h.initialize();
    json big = request(1, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", std::string(4096, 'x')}}}});
    auto r = h.post(big, {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
    if (r) {
        EXPECT_EQ(r->status, 413);
    }  // (a reset connection is also a rejection)
    EXPECT_EQ(h.probe->echo_calls.load(), 0);
    // The server keeps serving.
    auto ok = h.post(request(2, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", "small"}}}}),
                     {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(h.probe->echo_calls.load(), 1);
}

TEST(HttpTransport, ProgressSwitchesTheResponseToSse) {
    HttpHarness h;
    std::string sid = h.initialize();
    auto r = h.post(request(3, "tools/call", json{{"name", "progress"}, {"_meta", {{"progressToken", "pt"}}}}),
                    {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("text/event-stream"));
    auto msgs = sse_messages(r->body);
    ASSERT_EQ(msgs.size(), 4u) << r->body;
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(msgs[i]["method"], "notifications/progress");
        EXPECT_EQ(msgs[i]["params"]["progressToken"], "pt");
    }
    EXPECT_EQ(msgs[3]["id"], 3) << "the response ends the stream";
    EXPECT_EQ(first_text(msgs[3]["result"]), "progressed");
}

TEST(HttpTransport, JsonOnlyClientGetsJustTheResult) {
    HttpHarness h;
    std::string sid = h.initialize();
    auto c = h.client();
    auto r = c->Post("/mcp",
                     httplib::Headers{{"Accept", "application/json"}, {"Mcp-Session-Id", sid},
                                      {"MCP-Protocol-Version", "2025-11-25"}},
                     request(4, "tools/call", json{{"name", "progress"}, {"_meta", {{"progressToken", 1}}}}).dump(),
                     "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("application/json"));
    EXPECT_EQ(first_text(body_of(r)["result"]), "progressed");
}

TEST(HttpTransport, StandaloneGetStreamCarriesListChanged) {
    HttpHarness h;
    std::string sid = h.initialize("2025-11-25");
    SseReader reader(h.port(), "/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", sid}});
    ASSERT_TRUE(reader.wait_for("retry:")) << "2025-11-25 streams start with a priming event: " << reader.body();
    EXPECT_EQ(reader.status(), 200);
    ASSERT_TRUE(eventually([&] { return h.transport->open_streams() == 1; }));
    h.server->notify_tools_changed();
    ASSERT_TRUE(reader.wait_for("notifications/tools/list_changed")) << reader.body();
    reader.close();
}

TEST(HttpTransport, StreamsOverMaxStreamsAre503) {
    mcp::HttpOptions o;
    o.max_streams = 2;
    HttpHarness h(o);
    std::vector<std::unique_ptr<SseReader>> readers;
    for (int i = 0; i < 2; ++i) {
        std::string sid = h.initialize();
        readers.push_back(std::make_unique<SseReader>(
            h.port(), "/mcp", httplib::Headers{{"Accept", "text/event-stream"}, {"Mcp-Session-Id", sid}}));
        ASSERT_TRUE(readers.back()->wait_for("retry:"));
    }
    ASSERT_TRUE(eventually([&] { return h.transport->open_streams() == 2; }));
    std::string sid = h.initialize();
    auto c = h.client();
    auto r = c->Get("/mcp", httplib::Headers{{"Accept", "text/event-stream"}, {"Mcp-Session-Id", sid}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    // POSTs are not streams and still work.
    auto p = h.post(request(1, "tools/call", json{{"name", "noop"}}),
                    {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
    ASSERT_TRUE(p);
    EXPECT_EQ(p->status, 200);
    for (auto& rd : readers) rd->close();
    EXPECT_TRUE(eventually([&] { return h.transport->open_streams() == 0; }, std::chrono::seconds(60)));
}

TEST(HttpTransport, LastEventIdResumesAResponseStream) {
    HttpHarness h;
    std::string sid = h.initialize("2025-11-25");
    auto r = h.post(request(3, "tools/call", json{{"name", "progress"}, {"_meta", {{"progressToken", "pt"}}}}),
                    {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
    ASSERT_TRUE(r);
    ASSERT_THAT(r->get_header_value("Content-Type"), HasSubstr("text/event-stream"));
    // Event ids of the original stream, in order.
    std::vector<std::string> ids;
    std::istringstream in(r->body);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("id: ", 0) == 0) ids.push_back(line.substr(4));
    ASSERT_GE(ids.size(), 4u) << r->body;
    const std::string& after_first_progress = ids[ids.size() - 4];  // priming, p1, p2, p3, result
    auto c = h.client();
    auto resumed = c->Get("/mcp", httplib::Headers{{"Accept", "text/event-stream"},
                                                   {"Mcp-Session-Id", sid},
                                                   {"Last-Event-ID", after_first_progress}});
    ASSERT_TRUE(resumed);
    EXPECT_EQ(resumed->status, 200);
    auto msgs = sse_messages(resumed->body);
    ASSERT_EQ(msgs.size(), 3u) << "replays what came after the given id: " << resumed->body;
    EXPECT_EQ(msgs[0]["params"]["progress"], 2);
    EXPECT_EQ(msgs[1]["params"]["progress"], 3);
    EXPECT_EQ(msgs[2]["id"], 3);

    // Another session cannot resume this stream.
    std::string other = h.initialize("2025-11-25");
    SseReader foreign(h.port(), "/mcp",
                      {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", other}, {"Last-Event-ID", ids.back()}});
    ASSERT_TRUE(foreign.wait_for("retry:"));
    EXPECT_EQ(foreign.body().find("progressed"), std::string::npos) << foreign.body();
    foreign.close();
}

// Regression: DELETE /mcp used to leave the session's standalone GET stream open.
TEST(HttpTransport, DeleteEndsTheSessionsOpenStream) {
    HttpHarness h;
    std::string sid = h.initialize();
    SseReader reader(h.port(), "/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", sid}});
    ASSERT_TRUE(reader.wait_for("retry:"));
    auto c = h.client();
    auto d = c->Delete("/mcp", httplib::Headers{{"Mcp-Session-Id", sid}});
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status, 200);
    EXPECT_TRUE(reader.wait_finished()) << "the terminated session's GET stream should end";
    reader.close();
}

TEST(HttpTransport, LegacyNotificationsCancelledStopsACall) {
    HttpHarness h;
    std::string sid = h.initialize();
    httplib::Headers hdr{{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}};
    auto call = std::async(std::launch::async, [&] {
        return h.post(request("c1", "tools/call", json{{"name", "slow"}}), hdr);
    });
    ASSERT_TRUE(h.probe->slow_started.wait());
    auto n = h.post(notification("notifications/cancelled", json{{"requestId", "c1"}}), hdr);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->status, 202);
    ASSERT_TRUE(h.probe->slow_finished.wait());
    EXPECT_TRUE(h.probe->slow_saw_cancel.load());
    ASSERT_EQ(call.wait_for(kWait), std::future_status::ready);
    auto r = call.get();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body.find("slow done"), std::string::npos) << "a cancelled call is not answered: " << r->body;
}

// Regression: in 2026-07-28 closing the HTTP request cancels even a call that has not emitted anything.
TEST(HttpTransport, ModernClientDisconnectCancelsASilentCall) {
    HttpHarness h;
    auto client = h.client();
    json msg = modern_request(1, "tools/call", json{{"name", "slow"}});
    httplib::Headers hdr{{"Accept", kAcceptBoth}, {"MCP-Protocol-Version", "2026-07-28"},
                         {"Mcp-Method", "tools/call"}, {"Mcp-Name", "slow"}};
    auto call = std::async(std::launch::async, [&] { return client->Post("/mcp", hdr, msg.dump(), "application/json"); });
    ASSERT_TRUE(h.probe->slow_started.wait());
    while (call.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) client->stop();
    EXPECT_TRUE(h.probe->slow_finished.wait());
    EXPECT_TRUE(h.probe->slow_saw_cancel.load()) << "the handler should see ctx.cancelled()";
}

TEST(HttpTransport, ModernStatelessPost) {
    HttpHarness h;
    json msg = modern_request(5, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", "stateless"}}}});
    httplib::Headers hdr{{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/call"}, {"Mcp-Name", "echo"}};
    auto r = h.post(msg, hdr);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    json b = body_of(r);
    EXPECT_EQ(b["result"]["resultType"], "complete");
    EXPECT_EQ(first_text(b["result"]), "stateless");
    EXPECT_TRUE(r->get_header_value("Mcp-Session-Id").empty());
    EXPECT_EQ(h.server->session_count(), 0u);
}

TEST(HttpTransport, ModernHeaderMismatchIs400) {
    HttpHarness h;
    json msg = modern_request(6, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", "x"}}}});
    auto r = h.post(msg, {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/call"}, {"Mcp-Name", "noop"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(body_of(r)["error"]["code"], -32020);
    EXPECT_EQ(body_of(r)["id"], 6);
    r = h.post(msg, {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Name", "echo"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << "Mcp-Method is required";
    EXPECT_EQ(body_of(r)["error"]["code"], -32020);
    EXPECT_EQ(h.probe->echo_calls.load(), 0);
}

TEST(HttpTransport, ModernRemovedMethodIs404) {
    HttpHarness h;
    auto r = h.post(modern_request(7, "ping"), {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "ping"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(body_of(r)["error"]["code"], -32601);
}

TEST(HttpTransport, ModernUnsupportedVersionIs400WithMinus32022) {
    HttpHarness h;
    auto r = h.post(modern_request(8, "tools/list", json::object(), json::object(), "2030-01-01"),
                    {{"MCP-Protocol-Version", "2030-01-01"}, {"Mcp-Method", "tools/list"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(body_of(r)["error"]["code"], -32022) << r->body;
    EXPECT_THAT(body_of(r)["error"]["data"]["supported"].dump(), HasSubstr("2026-07-28"));
}

TEST(HttpTransport, ModernMissingMetaIs400) {
    HttpHarness h;
    auto r = h.post(request(9, "tools/list", json::object()),
                    {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/list"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(body_of(r)["error"]["code"], -32602);
}

TEST(HttpTransport, AuthenticateRefusalIs401WithChallenge) {
    mcp::HttpOptions o;
    o.authenticate = [](const mcp::HeaderMap& headers) {
        auto it = headers.find("authorization");
        mcp::AuthDecision d;
        if (it != headers.end() && it->second == "Bearer good") {
            d.principal = std::string("alice");
            return d;
        }
        d.allowed = false;
        d.status = 401;
        d.www_authenticate = "Bearer resource_metadata=\"http://127.0.0.1/.well-known/oauth-protected-resource\"";
        d.message = "token required";
        return d;
    };
    HttpHarness h(o);
    auto r = h.post(request(1, "initialize", initialize_params("2025-11-25")));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_THAT(r->get_header_value("WWW-Authenticate"), HasSubstr("Bearer resource_metadata="));
    EXPECT_EQ(h.server->session_count(), 0u);
    auto c = h.client();
    auto g = c->Get("/sse");
    ASSERT_TRUE(g);
    EXPECT_EQ(g->status, 401) << "the legacy SSE door is guarded too";

    r = h.post(request(1, "initialize", initialize_params("2025-11-25")), {{"Authorization", "Bearer good"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST(HttpTransport, LegacySseEndpointAndAnswersOnTheStream) {
    HttpHarness h;
    SseReader reader(h.port(), "/sse", {{"Accept", "text/event-stream"}});
    ASSERT_TRUE(reader.wait_for("\n\n")) << reader.body();
    const std::string body = reader.body();
    ASSERT_THAT(body, HasSubstr("event: endpoint")) << body;
    auto data = body.find("data: ");
    ASSERT_NE(data, std::string::npos);
    std::string endpoint = body.substr(data + 6, body.find('\n', data) - data - 6);
    EXPECT_THAT(endpoint, ::testing::StartsWith("/messages?sessionId="));
    std::string sid = endpoint.substr(endpoint.find('=') + 1);
    EXPECT_TRUE(is_hex32(sid)) << sid;

    auto c = h.client();
    auto r = c->Post(endpoint, request(31, "initialize", initialize_params("2024-11-05")).dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202);
    ASSERT_TRUE(reader.wait_for("\"id\":31")) << reader.body();
    r = c->Post(endpoint, notification("notifications/initialized").dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202);
    r = c->Post(endpoint, request(32, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", "via sse"}}}}).dump(),
                "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202);
    ASSERT_TRUE(reader.wait_for("\"id\":32")) << reader.body();

    bool saw_init = false, saw_call = false;
    for (const auto& m : sse_messages(reader.body())) {
        if (m.value("id", json()) == json(31)) {
            saw_init = true;
            EXPECT_EQ(m["result"]["protocolVersion"], "2024-11-05");
        }
        if (m.value("id", json()) == json(32)) {
            saw_call = true;
            EXPECT_EQ(first_text(m["result"]), "via sse");
        }
    }
    EXPECT_TRUE(saw_init);
    EXPECT_TRUE(saw_call);
    EXPECT_THAT(reader.body(), HasSubstr("event: message"));

    auto bad = c->Post("/messages?sessionId=" + std::string(32, 'c'), request(1, "ping").dump(), "application/json");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 404);
    reader.close();
}

TEST(HttpTransport, StopEndsOpenStreams) {
    auto h = std::make_unique<HttpHarness>();
    std::string sid = h->initialize();
    SseReader reader(h->port(), "/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", sid}});
    ASSERT_TRUE(reader.wait_for("retry:"));
    h->transport->stop();
    EXPECT_TRUE(reader.wait_finished()) << "stop() must end streams so their clients see EOF";
    h.reset();
}

}  // namespace
}  // namespace mcp_test
