// CurlTransport over real loopback HTTP against a cpp-httplib server in the test: keep-alive
// reuse, compressed responses, methods and bodies, query encoding on the wire, timeouts, refused
// and dropped connections, concurrency, and the whole Client on top.
#include "ghl/curl_transport.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "ghl/client.hpp"

namespace ghl {
namespace {

using std::chrono::milliseconds;

/// A cpp-httplib server on an ephemeral loopback port, stopped and joined on destruction.
class LoopbackServer {
  public:
    LoopbackServer() {
        server.set_keep_alive_max_count(1000);  // httplib closes after 5 requests by default
        // Without it a reused connection waits ~40 ms per response (Nagle vs delayed ACK).
        server.set_tcp_nodelay(true);
        port_ = server.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server.listen_after_bind(); });
    }
    ~LoopbackServer() {
        {
            std::lock_guard lock(mutex_);
            released_ = true;
        }
        cv_.notify_all();
        // stop() is a no-op until the listener runs; wait for it so the join cannot hang.
        while (!server.is_running()) std::this_thread::yield();
        server.stop();
        thread_.join();
    }
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

    /// Blocks a handler until the server is torn down (or `limit` passes).
    void hold(milliseconds limit) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, limit, [this] { return released_; });
    }

    httplib::Server server;

  private:
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool released_ = false;
};

Request get(const std::string& url, milliseconds timeout = milliseconds(5000)) {
    Request r;
    r.method = Method::kGet;
    r.url = url;
    r.deadline = std::chrono::steady_clock::now() + timeout;
    return r;
}

TEST(CurlTransport, ReusesOneKeepAliveConnection) {
    LoopbackServer srv;
    std::mutex mutex;
    std::set<int> client_ports;
    srv.server.Get("/ping", [&](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mutex);
        client_ports.insert(req.remote_port);
        res.set_content(R"({"ok":true})", "application/json");
    });
    CurlTransport transport;
    for (int i = 0; i < 20; ++i) {
        auto r = transport.send(get(srv.base() + "/ping"));
        ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, R"({"ok":true})");
    }
    EXPECT_EQ(client_ports.size(), 1u) << "every request should reuse the first connection";
    EXPECT_EQ(transport.stats().connections_opened, 1u);
    EXPECT_EQ(transport.stats().requests, 20u);
    EXPECT_EQ(transport.stats().handles_created, 1u);
}

TEST(CurlTransport, AcceptsAndDecodesCompressedResponses) {
    LoopbackServer srv;
    std::string accept_encoding;
    std::string big = "{\"contacts\":[";
    for (int i = 0; i < 2000; ++i)
        big += (i ? "," : "") + std::string(R"({"id":"contact)") + std::to_string(i) + "\"}";
    big += "]}";
    srv.server.Get("/contacts/", [&](const httplib::Request& req, httplib::Response& res) {
        accept_encoding = req.get_header_value("Accept-Encoding");
        res.set_content(big, "application/json");
    });
    CurlTransport transport;
    auto r = transport.send(get(srv.base() + "/contacts/"));
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_NE(accept_encoding.find("gzip"), std::string::npos) << accept_encoding;
    const auto encoding = r.headers.get("content-encoding");
    ASSERT_TRUE(encoding.has_value()) << "the server did not compress";
    EXPECT_TRUE(*encoding == "gzip" || *encoding == "br") << *encoding;
    EXPECT_LT(std::stoul(r.headers.get("Content-Length").value_or("0")), big.size() / 4);
    EXPECT_EQ(r.body, big);
}

TEST(CurlTransport, MethodsBodiesHeadersAndQueryOnTheWire) {
    LoopbackServer srv;
    struct Seen {
        std::string method, target, body, content_type, version, number;
    };
    std::vector<Seen> seen;
    auto record = [&](const httplib::Request& req, httplib::Response& res) {
        seen.push_back({req.method, req.target, req.body, req.get_header_value("Content-Type"),
                        req.get_header_value("Version"),
                        req.has_param("number") ? req.get_param_value("number") : ""});
        res.status = req.method == "POST" ? 201 : 200;
        res.set_header("X-RateLimit-Remaining", "99");
        res.set_content("{}", "application/json");
    };
    srv.server.Get("/contacts/search/duplicate", record);
    srv.server.Post("/contacts/", record);
    srv.server.Put("/contacts/c1", record);
    srv.server.Delete("/contacts/c1/tags", record);

    CurlTransport transport;
    Request dup = get(srv.base() + "/contacts/search/duplicate");
    dup.query = {{"number", "+1 555"}, {"email", "a+b@x.io"}};
    dup.headers.add("Version", "2021-07-28");
    auto r1 = transport.send(dup);
    EXPECT_EQ(r1.status, 200);
    EXPECT_EQ(r1.headers.get("x-ratelimit-remaining"), "99");

    Request post = get(srv.base() + "/contacts/");
    post.method = Method::kPost;
    post.body = R"({"locationId":"L"})";
    post.headers.add("Content-Type", "application/json");
    EXPECT_EQ(transport.send(post).status, 201);

    Request put = get(srv.base() + "/contacts/c1");
    put.method = Method::kPut;
    put.body = R"({"name":"x"})";
    put.headers.add("Content-Type", "application/json");
    EXPECT_EQ(transport.send(put).status, 200);

    Request del = get(srv.base() + "/contacts/c1/tags");
    del.method = Method::kDelete;
    del.body = R"({"tags":["vip"]})";
    del.headers.add("Content-Type", "application/json");
    EXPECT_EQ(transport.send(del).status, 200);

    ASSERT_EQ(seen.size(), 4u);
    EXPECT_EQ(seen[0].target, "/contacts/search/duplicate?number=%2B1%20555&email=a%2Bb%40x.io");
    EXPECT_EQ(seen[0].number, "+1 555");
    EXPECT_EQ(seen[0].version, "2021-07-28");
    EXPECT_EQ(seen[1].method, "POST");
    EXPECT_EQ(seen[1].body, R"({"locationId":"L"})");
    EXPECT_EQ(seen[1].content_type, "application/json");
    EXPECT_EQ(seen[2].method, "PUT");
    EXPECT_EQ(seen[2].body, R"({"name":"x"})");
    EXPECT_EQ(seen[3].method, "DELETE");
    EXPECT_EQ(seen[3].body, R"({"tags":["vip"]})");
}

TEST(CurlTransport, DeadlineBecomesATimeout) {
    LoopbackServer srv;
    srv.server.Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
        srv.hold(milliseconds(10000));
        res.set_content("{}", "application/json");
    });
    CurlTransport transport;
    auto r = transport.send(get(srv.base() + "/slow", milliseconds(300)));
    EXPECT_EQ(r.error, TransportError::kTimeout) << r.error_message;
    EXPECT_EQ(r.status, 0);

    // A deadline already past sends nothing.
    auto none = transport.send(get(srv.base() + "/slow", milliseconds(-1)));
    EXPECT_EQ(none.error, TransportError::kTimeout);
    EXPECT_EQ(transport.stats().requests, 1u);
}

TEST(CurlTransport, RefusedConnectionIsConnectFailed) {
    // Bind a port, then close it: nothing listens there.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    const int port = ntohs(addr.sin_port);
    ::close(fd);

    CurlTransport transport;
    auto r = transport.send(get("http://127.0.0.1:" + std::to_string(port) + "/x"));
    EXPECT_EQ(r.error, TransportError::kConnectFailed) << r.error_message;
    EXPECT_FALSE(r.error_message.empty());
}

TEST(CurlTransport, ConnectionClosedAfterTheRequestIsConnectionLost) {
    // A raw server that reads the request and hangs up without answering.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    const int port = ntohs(addr.sin_port);
    std::thread hangup([fd] {
        const int conn = ::accept(fd, nullptr, nullptr);
        if (conn < 0) return;
        char buf[4096];
        (void)::recv(conn, buf, sizeof buf, 0);
        ::close(conn);
    });
    CurlTransport transport;
    Request post = get("http://127.0.0.1:" + std::to_string(port) + "/contacts/");
    post.method = Method::kPost;
    post.body = "{}";
    auto r = transport.send(post);
    hangup.join();
    ::close(fd);
    EXPECT_EQ(r.error, TransportError::kConnectionLost) << r.error_message;
}

TEST(CurlTransport, OversizedResponsesFail) {
    LoopbackServer srv;
    srv.server.Get("/big", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(10000, 'x'), "text/plain");
    });
    CurlTransportOptions o;
    o.max_response_bytes = 1000;
    CurlTransport transport(o);
    auto r = transport.send(get(srv.base() + "/big"));
    EXPECT_EQ(r.error, TransportError::kOther);
    EXPECT_NE(r.error_message.find("larger than 1000"), std::string::npos) << r.error_message;
    EXPECT_TRUE(r.body.empty());
}

TEST(CurlTransport, ConcurrentRequestsShareThePool) {
    LoopbackServer srv;
    std::atomic<int> served{0};
    srv.server.Get(R"(/n/(\d+))", [&](const httplib::Request& req, httplib::Response& res) {
        ++served;
        res.set_content(std::string(req.matches[1]), "text/plain");
    });
    CurlTransport transport;
    constexpr int kThreads = 4;
    constexpr int kEach = 25;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                const auto n = std::to_string(t * 1000 + i);
                auto r = transport.send(get(srv.base() + "/n/" + n));
                if (r.status == 200 && r.body == n) ++ok;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok.load(), kThreads * kEach);
    EXPECT_EQ(served.load(), kThreads * kEach);
    const auto stats = transport.stats();
    EXPECT_LE(stats.handles_created, static_cast<std::uint64_t>(kThreads));
    EXPECT_LE(stats.connections_opened, static_cast<std::uint64_t>(kThreads) * 2);
}

TEST(CurlTransport, ClientOverLoopback) {
    LoopbackServer srv;
    std::string auth, version, accept;
    srv.server.Get("/calendars/cal1/free-slots",
                   [&](const httplib::Request& req, httplib::Response& res) {
                       auth = req.get_header_value("Authorization");
                       version = req.get_header_value("Version");
                       accept = req.get_header_value("Accept");
                       res.set_content(R"({"2024-10-28":{"slots":["2024-10-28T10:00:00-05:00"]}})",
                                       "application/json");
                   });
    srv.server.Get("/contacts/missing", [&](const httplib::Request&, httplib::Response& res) {
        res.status = 404;
        res.set_content(R"({"statusCode":404,"message":"Contact not found"})", "application/json");
    });
    ClientOptions o;
    o.base_url = srv.base();
    Client client(o, std::make_shared<CurlTransport>());
    CallOptions call;
    call.token = "sandbox-token";
    call.resource_key = "loc1";
    auto slots =
        client.call("calendars.free_slots", {{"calendarId", "cal1"}},
                    {{"startDate", "1730000000000"}, {"endDate", "1730600000000"}}, nullptr, call);
    EXPECT_EQ(slots["2024-10-28"]["slots"][0], "2024-10-28T10:00:00-05:00");
    EXPECT_EQ(auth, "Bearer sandbox-token");
    EXPECT_EQ(version, "2021-04-15");
    EXPECT_EQ(accept, "application/json");
    try {
        client.call("contacts.get", {{"contactId", "missing"}}, {}, nullptr, call);
        FAIL() << "expected a 404";
    } catch (const ApiError& e) {
        EXPECT_EQ(e.code(), "ghl.not_found");
        EXPECT_NE(e.agent_text().find("contactId 'missing'"), std::string::npos);
    }
}

// libcurl is loaded on the first request, not when a transport is made: a stdio session that
// never calls GHL never pays for libcurl's ~25 shared libraries. Runs in a fresh process
// ("threadsafe" death test re-executes the binary), where nothing has loaded libcurl yet.
TEST(CurlTransportLazy, LoadsLibcurlOnTheFirstRequestOnly) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            auto loaded = [] { return dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD) != nullptr; };
            if (loaded()) std::_Exit(2);
            CurlTransport transport;
            if (loaded()) std::_Exit(3);
            Request r;
            r.url = "http://127.0.0.1:1/";  // refused: enough to need libcurl
            r.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
            (void)transport.send(r);
            std::_Exit(loaded() ? 0 : 4);
        },
        ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace ghl
