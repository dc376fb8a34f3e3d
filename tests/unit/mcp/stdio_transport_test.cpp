// StdioTransport over pipes: framing, error lines, size limit, EOF and stop() behaviour.
#include "server_fixture.hpp"

#include "mcp/stdio_transport.hpp"

#include <gmock/gmock.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <set>

namespace mcp_test {
namespace {

/// Runs a StdioTransport on a thread, fed through one pipe and read through another.
class StdioHarness {
public:
    explicit StdioHarness(mcp::StdioOptions options = {}) {
        registry_ = std::make_shared<mcp::Registry>();
        add_catalog(*registry_, probe);
        mcp::ServerOptions so;
        so.name = "unit-stdio";
        server_ = std::make_unique<mcp::Server>(so, registry_);
        EXPECT_EQ(::pipe(in_), 0);
        EXPECT_EQ(::pipe(out_), 0);
        transport_ = std::make_unique<mcp::StdioTransport>(*server_, options, in_[0], out_[1]);
        thread_ = std::thread([this] {
            transport_->run();
            done_.notify();
        });
    }
    ~StdioHarness() {
        probe->slow_release = true;
        close_input();
        if (!done_.wait()) transport_->stop();
        if (thread_.joinable()) thread_.join();
        for (int fd : {in_[0], out_[0], out_[1]})
            if (fd >= 0) ::close(fd);
    }

    void write_raw(const std::string& bytes) {
        size_t off = 0;
        while (off < bytes.size()) {
            ssize_t n = ::write(in_[1], bytes.data() + off, bytes.size() - off);
            if (n < 0 && errno == EINTR) continue;
            ASSERT_GT(n, 0);
            off += static_cast<size_t>(n);
        }
    }
    void send(const json& msg) { write_raw(msg.dump() + "\n"); }
    void close_input() {
        if (in_[1] >= 0) ::close(in_[1]);
        in_[1] = -1;
    }

    /// Next output line (without '\n'); nullopt on timeout or EOF.
    std::optional<std::string> next_line(std::chrono::milliseconds timeout =
                                             std::chrono::duration_cast<std::chrono::milliseconds>(kWait)) {
        auto until = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto nl = buffer_.find('\n');
            if (nl != std::string::npos) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                return line;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{out_[0], POLLIN, 0};
            int r = ::poll(&p, 1, static_cast<int>(left.count()));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return std::nullopt;
            char chunk[65536];
            ssize_t n = ::read(out_[0], chunk, sizeof chunk);
            if (n <= 0) return std::nullopt;
            buffer_.append(chunk, static_cast<size_t>(n));
        }
    }
    /// Next output message, parsed (fails the test on a non-JSON line).
    json next() {
        auto line = next_line();
        EXPECT_TRUE(line.has_value()) << "no output line";
        if (!line) return json();
        auto j = json::parse(*line, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << "not JSON: " << *line;
        return j.is_discarded() ? json() : j;
    }
    /// Next message that is a response (has an id and result/error), skipping notifications.
    json next_response() {
        for (int i = 0; i < 1000; ++i) {
            json m = next();
            if (m.is_null()) return m;
            if (!m.contains("method")) return m;
        }
        return json();
    }
    /// After run() returned: every remaining output line.
    std::vector<std::string> drain() {
        EXPECT_TRUE(done_.is_set());
        ::close(out_[1]);
        out_[1] = -1;
        std::vector<std::string> lines;
        while (auto l = next_line()) lines.push_back(*l);
        EXPECT_TRUE(buffer_.empty()) << "unterminated output: " << buffer_;
        return lines;
    }
    void handshake() {
        send(request(0, "initialize", initialize_params("2025-11-25")));
        json r = next();
        ASSERT_EQ(r["id"], 0) << r.dump();
        ASSERT_TRUE(r.contains("result")) << r.dump();
        send(notification("notifications/initialized"));
    }

    bool wait_done(std::chrono::milliseconds timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kWait)) {
        return done_.wait(timeout);
    }
    bool done() const { return done_.is_set(); }
    mcp::StdioTransport& transport() { return *transport_; }

    std::shared_ptr<Probe> probe = std::make_shared<Probe>();

private:
    std::shared_ptr<mcp::Registry> registry_;
    std::unique_ptr<mcp::Server> server_;
    std::unique_ptr<mcp::StdioTransport> transport_;
    int in_[2] = {-1, -1};
    int out_[2] = {-1, -1};
    std::thread thread_;
    Signal done_;
    std::string buffer_;
};

TEST(StdioTransport, AnswersRequestsOneLineEach) {
    StdioHarness h;
    h.handshake();
    h.send(request(1, "ping"));
    json r = h.next();
    EXPECT_EQ(r["id"], 1);
    EXPECT_EQ(r["result"], json::object());
}

TEST(StdioTransport, MalformedLineGetsParseErrorAndServingContinues) {
    StdioHarness h;
    h.write_raw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\n");
    json e = h.next();
    EXPECT_EQ(e["error"]["code"], -32700) << e.dump();
    EXPECT_FALSE(e.contains("id"));
    h.write_raw("not json at all\n");
    EXPECT_EQ(h.next()["error"]["code"], -32700);
    h.handshake();
    h.send(request(2, "ping"));
    json r = h.next();
    EXPECT_EQ(r["id"], 2);
    EXPECT_TRUE(r.contains("result"));
}

TEST(StdioTransport, InvalidRequestShapesGetErrorsAndServingContinues) {
    StdioHarness h;
    h.handshake();
    h.write_raw("42\n");
    EXPECT_EQ(h.next()["error"]["code"], -32600);
    h.send(json{{"jsonrpc", "2.0"}, {"id", 3}, {"method", "no/such"}});
    json r = h.next();
    EXPECT_EQ(r["error"]["code"], -32601);
    EXPECT_EQ(r["id"], 3);
    h.send(request(4, "ping"));
    EXPECT_EQ(h.next()["id"], 4);
}

TEST(StdioTransport, OversizedLineGetsInvalidRequestAndServingContinues) {
    mcp::StdioOptions o;
    o.max_line_bytes = 1024;
    StdioHarness h(o);
    h.handshake();
    json big = request(1, "tools/call",
                       json{{"name", "echo"}, {"arguments", {{"text", std::string(3000, 'x')}}}});
    std::string line = big.dump() + "\n";
    // The first 2000 bytes carry no newline: whatever the reads look like, the buffered part of
    // the line passes the limit before the line ends.
    h.write_raw(line.substr(0, 2000));
    json e = h.next();
    EXPECT_EQ(e["error"]["code"], -32600) << e.dump();
    EXPECT_FALSE(e.contains("id"));
    EXPECT_THAT(e.value("error", json::object()).value("message", std::string()), ::testing::HasSubstr("1024"));
    h.write_raw(line.substr(2000));  // the rest of the line is dropped up to its newline

    // A line under the limit right after it is served normally.
    json small = request(2, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", std::string(500, 'y')}}}});
    ASSERT_LT(small.dump().size(), 1024u);
    h.send(small);
    json r = h.next_response();
    EXPECT_EQ(r["id"], 2) << r.dump();
    EXPECT_EQ(first_text(r["result"]), std::string(500, 'y'));
    EXPECT_EQ(h.probe->echo_calls.load(), 1) << "the oversized call never ran";
}

// Regression: the size limit applies to a complete line that arrives in one read.
TEST(StdioTransport, OversizedLineInOneReadIsRejected) {
    mcp::StdioOptions o;
    o.max_line_bytes = 1024;
    StdioHarness h(o);
    h.handshake();
    json big = request(1, "tools/call",
                       json{{"name", "echo"}, {"arguments", {{"text", std::string(3000, 'x')}}}});
    h.send(big);
    json e = h.next();
    EXPECT_EQ(e.value("error", json::object()).value("code", 0), -32600) << e.dump().substr(0, 200);
    EXPECT_FALSE(e.contains("id"));
    h.send(request(2, "ping"));
    EXPECT_EQ(h.next()["id"], 2);
    EXPECT_EQ(h.probe->echo_calls.load(), 0) << "the oversized call must not run";
}

TEST(StdioTransport, BlankLinesAndCrLfAreTolerated) {
    StdioHarness h;
    h.handshake();
    h.write_raw("\n   \n\t\n");
    h.write_raw(request(5, "ping").dump() + "\r\n");
    json r = h.next();
    EXPECT_EQ(r["id"], 5) << r.dump();
    EXPECT_TRUE(r.contains("result"));
}

TEST(StdioTransport, NotificationsProduceNoOutput) {
    StdioHarness h;
    h.handshake();
    h.send(notification("notifications/initialized"));
    h.send(notification("notifications/whatever", json{{"x", 1}}));
    h.send(request(6, "ping"));
    EXPECT_EQ(h.next()["id"], 6) << "the first line out is the ping's answer";
}

// Regression: tools/call must run off the stdio reader thread.
TEST(StdioTransport, PingIsAnsweredWhileALongCallRuns) {
    StdioHarness h;
    h.handshake();
    h.send(request(7, "tools/call", json{{"name", "slow"}}));
    ASSERT_TRUE(h.probe->slow_started.wait());
    h.send(request(8, "ping"));
    json first = h.next();
    EXPECT_EQ(first["id"], 8) << "the reader must not wait for tools/call: " << first.dump();
    h.probe->slow_release = true;
    json second = h.next();
    EXPECT_EQ(second["id"], 7);
    EXPECT_EQ(first_text(second["result"]), "slow done");
}

// Regression: tools/call must run off the stdio reader thread.
TEST(StdioTransport, NotificationsCancelledStopsACallAndItIsNotAnswered) {
    StdioHarness h;
    h.handshake();
    h.send(request(9, "tools/call", json{{"name", "slow"}}));
    ASSERT_TRUE(h.probe->slow_started.wait());
    h.send(notification("notifications/cancelled", json{{"requestId", 9}}));
    ASSERT_TRUE(h.probe->slow_finished.wait());
    EXPECT_TRUE(h.probe->slow_saw_cancel.load());
    h.send(request(10, "ping"));
    EXPECT_EQ(h.next()["id"], 10);
    h.close_input();
    ASSERT_TRUE(h.wait_done());
    for (const auto& line : h.drain()) {
        json m = json::parse(line);
        EXPECT_NE(m.value("id", json()), json(9)) << "cancelled call answered: " << line;
    }
}

TEST(StdioTransport, EofWaitsForInFlightCallsThenReturns) {
    StdioHarness h;
    h.handshake();
    h.send(request(11, "tools/call", json{{"name", "slow"}}));
    ASSERT_TRUE(h.probe->slow_started.wait());
    h.close_input();
    // run() may not return while the call is in flight; the call is not cancelled by EOF.
    EXPECT_FALSE(h.done());
    h.probe->slow_release = true;
    ASSERT_TRUE(h.wait_done()) << "run() must return after EOF";
    EXPECT_FALSE(h.probe->slow_saw_cancel.load()) << "EOF finishes what was asked";
    auto lines = h.drain();
    ASSERT_FALSE(lines.empty());
    json last = json::parse(lines.back());
    EXPECT_EQ(last["id"], 11);
    EXPECT_EQ(first_text(last["result"]), "slow done");
}

TEST(StdioTransport, EofWithoutTrailingNewlineStillHandlesTheLastLine) {
    StdioHarness h;
    h.handshake();
    h.write_raw(request(12, "ping").dump());  // no '\n'
    h.close_input();
    ASSERT_TRUE(h.wait_done());
    auto lines = h.drain();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(json::parse(lines[0])["id"], 12);
}

TEST(StdioTransport, StopReturnsPromptlyWhenIdle) {
    StdioHarness h;
    h.handshake();
    h.transport().stop();
    EXPECT_TRUE(h.wait_done()) << "stop() must make run() return without EOF";
}

// Regression: tools/call must run off the stdio reader thread.
TEST(StdioTransport, StopCancelsInFlightCalls) {
    StdioHarness h;
    h.handshake();
    h.send(request(13, "tools/call", json{{"name", "slow"}}));
    ASSERT_TRUE(h.probe->slow_started.wait());
    h.transport().stop();
    ASSERT_TRUE(h.wait_done());
    EXPECT_TRUE(h.probe->slow_saw_cancel.load()) << "stop() cancels what is running";
    for (const auto& line : h.drain()) {
        json m = json::parse(line);
        EXPECT_NE(m.value("id", json()), json(13)) << "a cancelled call is not answered: " << line;
    }
}

TEST(StdioTransport, OutputIsOnlyCompactJsonLines) {
    StdioHarness h;
    h.handshake();
    h.send(request(20, "logging/setLevel", json{{"level", "debug"}}));
    h.send(request(21, "tools/call", json{{"name", "multiline"}}));
    h.send(request(22, "tools/call", json{{"name", "logs"}}));
    h.send(request(23, "tools/call", json{{"name", "progress"}, {"_meta", {{"progressToken", "t"}}}}));
    h.write_raw("garbage\n");
    h.send(request(24, "tools/call", json{{"name", "fail"}}));
    h.close_input();
    ASSERT_TRUE(h.wait_done());
    auto lines = h.drain();
    std::set<int> answered;
    int logs = 0, progress = 0;
    for (const auto& line : lines) {
        ASSERT_FALSE(line.empty());
        EXPECT_EQ(line.find('\r'), std::string::npos) << line;
        json m = json::parse(line, nullptr, false);
        ASSERT_FALSE(m.is_discarded()) << "stdout carries JSON-RPC only: " << line;
        ASSERT_TRUE(m.is_object());
        EXPECT_EQ(m["jsonrpc"], "2.0") << line;
        EXPECT_EQ(line, m.dump()) << "compact serialization";
        if (m.contains("id")) answered.insert(m["id"].get<int>());
        if (m.value("method", "") == "notifications/message") ++logs;
        if (m.value("method", "") == "notifications/progress") ++progress;
        if (m.value("id", 0) == 21) {
            EXPECT_EQ(first_text(m["result"]), "line1\nline2\r\n");
        }
    }
    EXPECT_EQ(answered, (std::set<int>{20, 21, 22, 23, 24}));
    EXPECT_EQ(logs, 4);
    EXPECT_EQ(progress, 3);
}

}  // namespace
}  // namespace mcp_test
