// Regression tests of the security review's findings in the protocol engine and its HTTP door
// (issue 18): deep JSON, legacy tasks bound to their owner and TTL, sessions bound to the key
// that created them and capped, trimmed session memory, bounded batches, bounded background
// work, Host parsing, and streams that end when their key is revoked. Each failed (or crashed the
// process) on the code before the fix.
#include "http_support.hpp"

#include "core/json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>

namespace mcp_test {
namespace {

using ::testing::HasSubstr;

/// `depth` nested arrays around a scalar: the shape that overflowed the stack.
std::string nested(size_t depth) {
    return std::string(depth, '[') + "1" + std::string(depth, ']');
}

/// Threads of this process (from /proc): the bound that detached task threads broke.
size_t thread_count() {
    size_t n = 0;
    if (DIR* d = opendir("/proc/self/task")) {
        while (dirent* e = readdir(d))
            if (e->d_name[0] != '.') ++n;
        closedir(d);
    }
    return n;
}

// --- JSON nesting -------------------------------------------------------------------------

TEST(JsonDepth, MeasuresNestingOutsideStrings) {
    EXPECT_EQ(core::json_depth("1"), 0u);
    EXPECT_EQ(core::json_depth("{}"), 1u);
    EXPECT_EQ(core::json_depth(R"({"a":[{"b":[]}]})"), 4u);
    EXPECT_EQ(core::json_depth(R"({"a":"[[[[{{{{"})"), 1u) << "brackets inside strings do not nest";
    EXPECT_EQ(core::json_depth(R"(["\"[[["])"), 1u) << "an escaped quote does not end the string";
    EXPECT_EQ(core::json_depth(nested(100'000), 64), 65u) << "stops scanning past the bound";
}

TEST(JsonDepth, ParseRefusesPastTheBoundAndAcceptsUpToIt) {
    EXPECT_NO_THROW(core::parse_json(nested(core::kMaxJsonDepth)));
    EXPECT_THROW(core::parse_json(nested(core::kMaxJsonDepth + 1)), core::JsonTooDeep);
    bool too_deep = false;
    EXPECT_TRUE(core::parse_json_or_discard(nested(100'000), core::kMaxJsonDepth, &too_deep)
                    .is_discarded());
    EXPECT_TRUE(too_deep);
    EXPECT_TRUE(core::parse_json_or_discard("{bad", core::kMaxJsonDepth, &too_deep).is_discarded());
    EXPECT_FALSE(too_deep);
}

TEST(Limits, DeepJsonOnMcpIsRefusedAndTheServerLivesOn) {
    HttpHarness h;
    // 200 KB nested 100,000 deep: before the fix, a segfault of the whole process.
    const std::string body =
        R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":)" + nested(100'000) + "}}";
    auto r = h.client()->Post("/mcp", {{"Accept", kAcceptBoth}}, body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_THAT(r->body, HasSubstr("nested more than 64 levels"));
    EXPECT_EQ(json::parse(r->body)["error"]["code"], -32700);
    std::string sid = h.initialize();
    EXPECT_FALSE(sid.empty()) << "the server still answers";
}

TEST(Limits, DeepJsonOverStdioEntryIsAParseError) {
    mcp::Server server(mcp::ServerOptions{}, std::make_shared<mcp::Registry>());
    auto channel = std::make_shared<RecordingChannel>();
    mcp::Outcome o = server.handle_text(nested(100'000), mcp::Incoming{nullptr, channel});
    ASSERT_TRUE(o.response);
    EXPECT_EQ((*o.response)["error"]["code"], -32700);
}

// --- 2025-11-25 tasks ---------------------------------------------------------------------

/// Principals are plain strings here; the owner of a principal is the string itself.
mcp::ServerOptions owned_options() {
    mcp::ServerOptions o;
    o.task_owner = [](const std::any& p) {
        const auto* s = std::any_cast<std::string>(&p);
        return s ? *s : std::string();
    };
    return o;
}

class LegacyTasks : public ServerTest {
  protected:
    void SetUp() override { make_server(owned_options()); }

    /// A handshaken 2025-11-25 session of `key`.
    std::pair<std::shared_ptr<mcp::Session>, mcp::Incoming> session_of(const std::string& key) {
        auto s = server->create_session(key);
        mcp::Incoming in{s, channel, nullptr, std::any(key)};
        auto o = server->handle(request(0, "initialize", initialize_params("2025-11-25")), in);
        EXPECT_TRUE(o.response && o.response->contains("result"));
        server->handle(notification("notifications/initialized"), in);
        return {s, in};
    }
    json send(const mcp::Incoming& in, const json& msg) {
        auto o = server->handle(msg, in);
        return o.response ? *o.response : json();
    }
    std::string start_task(const mcp::Incoming& in, const std::string& tool,
                           json task = json::object()) {
        json r = send(
            in, request(7, "tools/call",
                        {{"name", tool}, {"arguments", {{"text", "secret row"}}}, {"task", task}}));
        EXPECT_TRUE(r.contains("result")) << r.dump();
        return r.contains("result") ? r["result"]["task"].value("taskId", "") : std::string();
    }
};

TEST_F(LegacyTasks, AnotherKeyOrSessionCannotSeeOrUseATask) {
    auto [alice, alice_in] = session_of("alice");
    auto [bob, bob_in] = session_of("bob");
    auto [alice2, alice2_in] = session_of("alice");
    const std::string id = start_task(alice_in, "echo");
    ASSERT_FALSE(id.empty());
    for (const auto* in : {&bob_in, &alice2_in}) {
        for (const char* method : {"tasks/get", "tasks/result", "tasks/cancel"}) {
            json r = send(*in, request(8, method, {{"taskId", id}}));
            ASSERT_TRUE(r.contains("error")) << method << ": " << r.dump();
            EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("Unknown task"))
                << method;
            EXPECT_THAT(r.dump(), ::testing::Not(HasSubstr("secret row"))) << method;
        }
        json list = send(*in, request(9, "tasks/list"));
        EXPECT_TRUE(list["result"]["tasks"].empty()) << list.dump();
    }
    json mine = send(alice_in, request(10, "tasks/result", {{"taskId", id}}));
    ASSERT_TRUE(mine.contains("result")) << mine.dump();
    EXPECT_EQ(first_text(mine["result"]), "secret row");
    EXPECT_EQ(send(alice_in, request(11, "tasks/list"))["result"]["tasks"].size(), 1u);
}

TEST_F(LegacyTasks, TasksAreForgottenWhenTheirTtlEnds) {
    auto [s, in] = session_of("alice");
    for (int i = 0; i < 50; ++i) {
        json r = send(
            in, request(100 + i, "tools/call",
                        {{"name", "noop"}, {"arguments", json::object()}, {"task", {{"ttl", 1}}}}));
        ASSERT_TRUE(r.contains("result")) << r.dump();
        EXPECT_EQ(r["result"]["task"]["ttl"], 1000)
            << "the TTL actually applied is the server's minimum";
    }
    ASSERT_TRUE(eventually([&] {
        return send(in, request(1, "tasks/list"))["result"]["tasks"].empty();
    })) << "tasks past their TTL must not be listed";
    EXPECT_EQ(server->legacy_task_count(), 0u);
}

TEST_F(LegacyTasks, ManyTasksPastTheirTtlLeaveNothingBehind) {
    mcp::ServerOptions o = owned_options();
    o.legacy_tasks.max_per_session = 100'000;
    o.legacy_tasks.max_tasks = 100'000;
    o.legacy_tasks.max_queued = 100'000;
    make_server(o);
    auto [s, in] = session_of("alice");
    for (int i = 0; i < 10'000; ++i) {
        json r = send(
            in, request(i + 1, "tools/call",
                        {{"name", "noop"}, {"arguments", json::object()}, {"task", {{"ttl", 1}}}}));
        ASSERT_TRUE(r.contains("result")) << r.dump();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    send(in, request(1, "tasks/list"));  // any access purges
    EXPECT_EQ(server->legacy_task_count(), 0u);
}

TEST_F(LegacyTasks, ThreadsStayBoundedAndTheExcessIsRefused) {
    mcp::ServerOptions o = owned_options();
    o.legacy_tasks.threads = 4;
    o.legacy_tasks.max_queued = 16;
    make_server(o);
    auto [s, in] = session_of("alice");
    const size_t before = thread_count();
    int accepted = 0, busy = 0;
    for (int i = 0; i < 200; ++i) {  // `slow` blocks until released: nothing finishes meanwhile
        json r = send(
            in,
            request(i + 1, "tools/call",
                    {{"name", "slow"}, {"arguments", json::object()}, {"task", json::object()}}));
        if (r.contains("result"))
            ++accepted;
        else if (r.contains("error") &&
                 r["error"]["message"].get<std::string>().find("busy") != std::string::npos)
            ++busy;
    }
    EXPECT_LE(thread_count(), before + 4) << "at most the configured task threads";
    EXPECT_EQ(accepted, 4 + 16);
    EXPECT_EQ(busy, 200 - 20);
    probe->slow_release = true;
}

TEST_F(LegacyTasks, APerSessionCapSaysWhatToDo) {
    mcp::ServerOptions o = owned_options();
    o.legacy_tasks.max_per_session = 3;
    make_server(o);
    auto [s, in] = session_of("alice");
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(start_task(in, "echo").empty());
    json r = send(
        in, request(99, "tools/call",
                    {{"name", "echo"}, {"arguments", {{"text", "x"}}}, {"task", json::object()}}));
    ASSERT_TRUE(r.contains("error")) << r.dump();
    EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("Too many tasks"));
    EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("without `task`"));
}

// --- sessions -----------------------------------------------------------------------------

TEST_F(LegacyTasks, SessionsKeepOnlyWhatTheServerReadsOfTheHandshake) {
    auto s = server->create_session("alice");
    mcp::Incoming in{s, channel, nullptr, std::any(std::string("alice"))};
    json caps = {{"sampling", {{"blob", std::string(1 << 20, 'x')}}},
                 {"elicitation", {{"form", json::object()}, {"url", json::object()}}},
                 {"roots", {{"listChanged", true}}}};
    json params = initialize_params("2025-11-25", caps);
    params["clientInfo"] = {{"name", "n"}, {"version", "1"}, {"junk", std::string(1 << 20, 'y')}};
    auto o = server->handle(request(0, "initialize", params), in);
    ASSERT_TRUE(o.response && o.response->contains("result"));
    std::lock_guard lock(s->mu);
    EXPECT_LT(s->client_capabilities.dump().size() + s->client_info.dump().size(), 512u)
        << s->client_capabilities.dump();
    EXPECT_TRUE(s->client_capabilities["elicitation"].contains("url"))
        << "declared capabilities survive";
    EXPECT_TRUE(s->client_capabilities["sampling"].is_object());
    EXPECT_EQ(s->client_info["name"], "n");
}

TEST(Limits, SessionsPerKeyDisplaceTheirOwnOldestAndTheTotalIsCapped) {
    mcp::ServerOptions o = owned_options();
    o.session_limits.max_per_owner = 3;
    o.session_limits.max_sessions = 5;
    mcp::Server server(o, std::make_shared<mcp::Registry>());
    auto bob = server.create_session("bob");
    std::vector<std::shared_ptr<mcp::Session>> alice;
    for (int i = 0; i < 3; ++i) {
        alice.push_back(server.create_session("alice"));
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    alice[1]->touch();  // alice[0] is now the least recently used
    auto fourth = server.create_session("alice");
    EXPECT_EQ(server.find_session(alice[0]->id()), nullptr)
        << "the key's least recently used one goes";
    EXPECT_TRUE(alice[0]->closed());
    EXPECT_NE(server.find_session(alice[1]->id()), nullptr);
    EXPECT_NE(server.find_session(bob->id()), nullptr)
        << "another key's session is never displaced";
    server.create_session("carol");
    try {
        server.create_session("dave");
        FAIL() << "past max_sessions, a new session is refused";
    } catch (const mcp::RpcError& e) {
        EXPECT_EQ(e.http_status(), 503);
        EXPECT_THAT(e.what(), HasSubstr("Too many open sessions"));
    }
}

TEST_F(LegacyTasks, SubscriptionsPerSessionAreCapped) {
    mcp::ServerOptions o = owned_options();
    o.session_limits.max_subscriptions = 2;
    make_server(o);
    auto [s, in] = session_of("alice");
    EXPECT_TRUE(
        send(in, request(1, "resources/subscribe", {{"uri", "test://a"}})).contains("result"));
    EXPECT_TRUE(
        send(in, request(2, "resources/subscribe", {{"uri", "test://b"}})).contains("result"));
    EXPECT_TRUE(
        send(in, request(3, "resources/subscribe", {{"uri", "test://a"}})).contains("result"))
        << "subscribing again to the same URI costs nothing";
    json r = send(in, request(4, "resources/subscribe", {{"uri", "test://c"}}));
    ASSERT_TRUE(r.contains("error")) << r.dump();
    EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("Too many subscriptions"));
}

TEST_F(LegacyTasks, BatchesAreBounded) {
    auto s = server->create_session("alice");
    mcp::Incoming in{s, channel, nullptr, std::any(std::string("alice"))};
    server->handle(request(0, "initialize", initialize_params("2025-03-26")), in);
    server->handle(notification("notifications/initialized"), in);
    json batch = json::array();
    for (int i = 0; i < 500; ++i)
        batch.push_back(
            request(i + 1, "tools/call", {{"name", "noop"}, {"arguments", json::object()}}));
    auto o = server->handle(batch, in);
    ASSERT_TRUE(o.response);
    EXPECT_EQ(o.http_status, 400);
    EXPECT_THAT((*o.response)["error"]["message"].get<std::string>(), HasSubstr("at most 16"));
    batch.erase(batch.begin() + 16, batch.end());
    o = server->handle(batch, in);
    ASSERT_TRUE(o.response && o.response->is_array());
    EXPECT_EQ(o.response->size(), 16u);
}

// --- the HTTP door ------------------------------------------------------------------------

/// Bearer <name> authenticates as principal <name> while <name> is in `keys`.
struct Keys {
    std::mutex mu;
    std::set<std::string> valid{"alice", "bob"};
    mcp::HttpOptions options() {
        mcp::HttpOptions o;
        o.authenticate = [this](const mcp::HeaderMap& h) {
            mcp::AuthDecision d;
            auto it = h.find("authorization");
            std::string name = it == h.end() || it->second.size() < 8 ? "" : it->second.substr(7);
            std::lock_guard lock(mu);
            d.allowed = valid.count(name) > 0;
            d.principal = name;
            d.message = "Unauthorized";
            return d;
        };
        return o;
    }
};

std::string init_as(HttpHarness& h, const std::string& key,
                    const std::string& version = "2025-11-25") {
    auto res = h.post(request(0, "initialize", initialize_params(version)),
                      {{"Authorization", "Bearer " + key}});
    if (!res || res->status != 200) return {};
    std::string sid = res->get_header_value("Mcp-Session-Id");
    h.post(notification("notifications/initialized"), {{"Mcp-Session-Id", sid},
                                                       {"MCP-Protocol-Version", version},
                                                       {"Authorization", "Bearer " + key}});
    return sid;
}

TEST(Limits, ASessionAnswersOnlyTheKeyThatCreatedIt) {
    Keys keys;
    HttpHarness h(keys.options(), owned_options());
    const std::string sid = init_as(h, "alice");
    ASSERT_FALSE(sid.empty());
    ASSERT_NE(h.server->find_session(sid), nullptr);
    EXPECT_EQ(h.server->find_session(sid)->owner(), "alice");
    httplib::Headers as_bob{{"Mcp-Session-Id", sid},
                            {"MCP-Protocol-Version", "2025-11-25"},
                            {"Authorization", "Bearer bob"}};
    auto r = h.post(request(1, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "x"}}}}),
                    as_bob);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << r->body;
    auto c = h.client();
    c->set_read_timeout(std::chrono::seconds(5));  // a stream served to bob would hang here
    as_bob.emplace("Accept", "text/event-stream");
    auto g = c->Get("/mcp", as_bob);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->status, 404);
    auto d = c->Delete("/mcp", as_bob);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status, 404);
    EXPECT_NE(h.server->find_session(sid), nullptr) << "bob's DELETE must not end alice's session";
    auto mine = h.post(request(2, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "x"}}}}),
                       {{"Mcp-Session-Id", sid},
                        {"MCP-Protocol-Version", "2025-11-25"},
                        {"Authorization", "Bearer alice"}});
    ASSERT_TRUE(mine);
    EXPECT_EQ(mine->status, 200);
}

TEST(Limits, LegacyMessagesOfAnotherKeyAreRefused) {
    Keys keys;
    HttpHarness h(keys.options(), owned_options());
    SseReader reader(h.port(), "/sse",
                     {{"Accept", "text/event-stream"}, {"Authorization", "Bearer alice"}});
    ASSERT_TRUE(reader.wait_for("sessionId=")) << reader.body();
    const std::string body = reader.body();
    const auto at = body.find("/messages?sessionId=");
    const std::string endpoint = body.substr(at, body.find('\n', at) - at);
    auto r = h.client()->Post(endpoint, {{"Authorization", "Bearer bob"}},
                              request(1, "initialize", initialize_params("2024-11-05")).dump(),
                              "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << "bob cannot push into alice's stream";
    reader.close();
}

TEST(Limits, StreamsEndWhenTheirKeyIsRevoked) {
    Keys keys;
    mcp::HttpOptions o = keys.options();
    o.reauth_interval = std::chrono::milliseconds(100);
    HttpHarness h(o, owned_options());
    const std::string sid = init_as(h, "alice");
    ASSERT_FALSE(sid.empty());
    SseReader get(h.port(), "/mcp",
                  {{"Accept", "text/event-stream"},
                   {"Mcp-Session-Id", sid},
                   {"Authorization", "Bearer alice"}});
    SseReader sse(h.port(), "/sse",
                  {{"Accept", "text/event-stream"}, {"Authorization", "Bearer alice"}});
    ASSERT_TRUE(get.wait_for("retry:"));
    ASSERT_TRUE(sse.wait_for("sessionId="));
    {
        std::lock_guard lock(keys.mu);
        keys.valid.erase("alice");
    }
    EXPECT_TRUE(get.wait_finished(std::chrono::seconds(5)))
        << "GET /mcp stream still open after revocation";
    EXPECT_TRUE(sse.wait_finished(std::chrono::seconds(5)))
        << "/sse stream still open after revocation";
}

TEST(Limits, OneKeyCannotTakeEveryStreamSlot) {
    Keys keys;
    mcp::HttpOptions o = keys.options();
    o.max_streams_per_key = 2;
    HttpHarness h(o, owned_options());
    SseReader a(h.port(), "/sse",
                {{"Accept", "text/event-stream"}, {"Authorization", "Bearer alice"}});
    SseReader b(h.port(), "/sse",
                {{"Accept", "text/event-stream"}, {"Authorization", "Bearer alice"}});
    ASSERT_TRUE(a.wait_for("sessionId="));
    ASSERT_TRUE(b.wait_for("sessionId="));
    auto third = h.client()->Get(
        "/sse", {{"Accept", "text/event-stream"}, {"Authorization", "Bearer alice"}});
    ASSERT_TRUE(third);
    EXPECT_EQ(third->status, 503);
    EXPECT_THAT(third->body, HasSubstr("for this key"));
    SseReader bobs(h.port(), "/sse",
                   {{"Accept", "text/event-stream"}, {"Authorization", "Bearer bob"}});
    EXPECT_TRUE(bobs.wait_for("sessionId=")) << "another key still gets a stream";
}

TEST(Limits, LegacyMessagesCannotQueueUnboundedWork) {
    mcp::HttpOptions o;
    o.inflight.per_session = 4;
    HttpHarness h(o);
    SseReader reader(h.port(), "/sse", {{"Accept", "text/event-stream"}});
    ASSERT_TRUE(reader.wait_for("sessionId="));
    const std::string body = reader.body();
    const auto at = body.find("/messages?sessionId=");
    const std::string endpoint = body.substr(at, body.find('\n', at) - at);
    auto c = h.client();
    c->Post(endpoint, request(1, "initialize", initialize_params("2024-11-05")).dump(),
            "application/json");
    c->Post(endpoint, notification("notifications/initialized").dump(), "application/json");
    const size_t before = thread_count();
    int accepted = 0, refused = 0;
    for (int i = 0; i < 200; ++i) {
        auto r = c->Post(
            endpoint,
            request(100 + i, "tools/call", {{"name", "slow"}, {"arguments", json::object()}})
                .dump(),
            "application/json");
        ASSERT_TRUE(r);
        if (r->status == 202) ++accepted;
        if (r->status == 429) {
            ++refused;
            EXPECT_EQ(r->get_header_value("Retry-After"), "1");
            EXPECT_THAT(r->body, HasSubstr("this session has 4 calls in flight"));
        }
    }
    EXPECT_EQ(accepted, 4);
    EXPECT_EQ(refused, 196);
    EXPECT_LE(thread_count(), before + 8) << "a thread per POST is what the review saw";
    h.probe->slow_release = true;
    reader.close();
}

/// A loopback TCP connection that sends the start of a request and then nothing.
class Trickler {
  public:
    explicit Trickler(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            const std::string start = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
            ok_ = ::send(fd_, start.data(), start.size(), MSG_NOSIGNAL) ==
                  static_cast<ssize_t>(start.size());
        }
    }
    ~Trickler() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool ok() const { return ok_; }

  private:
    int fd_ = -1;
    bool ok_ = false;
};

TEST(Limits, ClientsTricklingHeadersDelayOnlyThemselves) {
    mcp::HttpOptions o;
    o.threads = 8;  // fewer than the hostile connections: before the fix every thread was taken
    HttpHarness h(o);
    std::vector<std::unique_ptr<Trickler>> hostile;
    for (int i = 0; i < 150; ++i) {
        hostile.push_back(std::make_unique<Trickler>(h.port()));
        ASSERT_TRUE(hostile.back()->ok());
    }
    auto c = h.client();
    c->set_read_timeout(std::chrono::seconds(5));  // well below the 10 s read timeout
    const auto start = std::chrono::steady_clock::now();
    auto r = c->Post("/mcp", {{"Accept", kAcceptBoth}},
                     request(1, "initialize", initialize_params("2025-11-25")).dump(),
                     "application/json");
    ASSERT_TRUE(r) << "a well-behaved client got no answer while 150 connections trickled";
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(Limits, WithoutAKeyOnlyThisMachineIsServedNotATunnel) {
    // --allowed-host admits a tunnel's name; with no key that must not open /mcp to the internet.
    mcp::HttpOptions o;
    o.allowed_hosts = {"mcp.example.test"};
    HttpHarness h(o);
    const json init = request(1, "initialize", initialize_params("2025-11-25"));
    for (const httplib::Headers& tunnel :
         {httplib::Headers{{"Host", "mcp.example.test"}}, httplib::Headers{{"X-Forwarded-For", "203.0.113.7"}},
          httplib::Headers{{"Forwarded", "for=203.0.113.7"}}, httplib::Headers{{"X-Forwarded-Host", "a.ngrok.app"}}}) {
        auto r = h.post(init, tunnel);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 401) << tunnel.begin()->first;
        EXPECT_THAT(r->body, HasSubstr("ghl-mcp keys create NAME")) << r->body;
    }
    auto sse = h.client()->Get("/sse", {{"Accept", "text/event-stream"}, {"X-Forwarded-For", "203.0.113.7"}});
    ASSERT_TRUE(sse);
    EXPECT_EQ(sse->status, 401);
    EXPECT_EQ(h.server->session_count(), 0u);
    auto local = h.post(init);
    ASSERT_TRUE(local);
    EXPECT_EQ(local->status, 200) << "on this machine the open default stays";
}

TEST(Limits, HostWithAnythingButAPortAfterTheAddressIsNotLoopback) {
    EXPECT_TRUE(mcp::is_loopback_host("[::1]"));
    EXPECT_TRUE(mcp::is_loopback_host("[::1]:8787"));
    EXPECT_TRUE(mcp::is_loopback_host("localhost:8787"));
    EXPECT_FALSE(mcp::is_loopback_host("[::1]evil.com"));
    EXPECT_FALSE(mcp::is_loopback_host("[::1]:80evil.com"));
    EXPECT_FALSE(mcp::is_loopback_host("localhost:80x"));
    EXPECT_FALSE(mcp::is_loopback_host("127.0.0.1:"));
    HttpHarness h;
    auto r = h.post(request(1, "initialize", initialize_params("2025-11-25")),
                    {{"Host", "[::1]evil.com"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
}

}  // namespace
}  // namespace mcp_test
