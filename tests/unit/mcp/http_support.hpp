// Helpers for HttpTransport tests: a transport on an ephemeral loopback port running on its own
// thread, httplib clients, and an SSE reader that consumes a long-lived stream on a thread.
#pragma once

#include "server_fixture.hpp"

#include "mcp/http_transport.hpp"

#include <httplib.h>

#include <memory>
#include <optional>
#include <sstream>
#include <thread>

namespace mcp_test {

inline constexpr const char* kAcceptBoth = "application/json, text/event-stream";

/// A Server + HttpTransport on 127.0.0.1:<ephemeral>, served on a background thread.
class HttpHarness {
public:
    explicit HttpHarness(mcp::HttpOptions options = {}, mcp::ServerOptions server_options = {}) {
        registry = std::make_shared<mcp::Registry>();
        add_catalog(*registry, probe);
        server_options.name = "unit-http";
        server = std::make_unique<mcp::Server>(server_options, registry);
        options.host = "127.0.0.1";
        options.port = 0;
        transport = std::make_unique<mcp::HttpTransport>(*server, options);
        transport->bind();
        thread = std::thread([this] { transport->run(); });
        EXPECT_TRUE(eventually([&] { return transport->raw().is_running(); })) << "server did not start";
    }
    ~HttpHarness() {
        probe->slow_release = true;
        transport->stop();
        if (thread.joinable()) thread.join();
    }

    int port() const { return transport->port(); }

    std::unique_ptr<httplib::Client> client() const {
        auto c = std::make_unique<httplib::Client>("127.0.0.1", port());
        c->set_connection_timeout(std::chrono::seconds(10));
        c->set_read_timeout(std::chrono::seconds(60));
        c->set_write_timeout(std::chrono::seconds(10));
        return c;
    }

    /// POST /mcp with `body` and the usual headers plus `extra`.
    httplib::Result post(const json& body, httplib::Headers extra = {},
                         const std::string& content_type = "application/json") const {
        httplib::Headers h{{"Accept", kAcceptBoth}};
        for (auto& [k, v] : extra) h.emplace(k, v);
        return client()->Post("/mcp", h, body.dump(), content_type);
    }

    /// Legacy handshake over HTTP; returns the session id (empty on failure).
    std::string initialize(const std::string& version = "2025-11-25") const {
        auto res = post(request(0, "initialize", initialize_params(version)));
        if (!res || res->status != 200) return {};
        std::string sid = res->get_header_value("Mcp-Session-Id");
        auto n = post(notification("notifications/initialized"),
                      {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", version}});
        EXPECT_TRUE(n && n->status == 202);
        return sid;
    }

    std::shared_ptr<Probe> probe = std::make_shared<Probe>();
    std::shared_ptr<mcp::Registry> registry;
    std::unique_ptr<mcp::Server> server;
    std::unique_ptr<mcp::HttpTransport> transport;
    std::thread thread;
};

/// JSON payloads of the `data:` lines of an SSE body (empty data lines skipped).
inline std::vector<json> sse_messages(const std::string& body) {
    std::vector<json> out;
    std::istringstream in(body);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("data:", 0) != 0) continue;
        std::string data = line.substr(5);
        if (!data.empty() && data[0] == ' ') data.erase(0, 1);
        if (data.empty()) continue;
        auto j = json::parse(data, nullptr, false);
        if (!j.is_discarded()) out.push_back(std::move(j));
    }
    return out;
}

/// Holds one GET SSE stream open on its own thread and client, recording what arrives.
class SseReader {
public:
    SseReader(int port, std::string path, httplib::Headers headers)
        : client_("127.0.0.1", port) {
        client_.set_connection_timeout(std::chrono::seconds(10));
        client_.set_read_timeout(std::chrono::seconds(120));  // longer than the keepalive
        thread_ = std::thread([this, path = std::move(path), headers = std::move(headers)] {
            auto res = client_.Get(
                path, headers,
                [this](const httplib::Response& r) {
                    std::lock_guard lock(mu_);
                    status_ = r.status;
                    cv_.notify_all();
                    return true;
                },
                [this](const char* data, size_t n) {
                    std::lock_guard lock(mu_);
                    body_.append(data, n);
                    cv_.notify_all();
                    return !stop_;
                });
            std::lock_guard lock(mu_);
            if (res && status_ == 0) status_ = res->status;
            if (res && body_.empty()) body_ = res->body;
            finished_ = true;
            cv_.notify_all();
        });
    }
    ~SseReader() { close(); }

    /// Waits until the body contains `needle`.
    bool wait_for(const std::string& needle,
                  std::chrono::milliseconds timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kWait)) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, [&] { return body_.find(needle) != std::string::npos; });
    }
    bool wait_status(std::chrono::milliseconds timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kWait)) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, [&] { return status_ != 0 || finished_; });
    }
    bool wait_finished(std::chrono::milliseconds timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kWait)) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, [&] { return finished_; });
    }
    int status() const {
        std::lock_guard lock(mu_);
        return status_;
    }
    std::string body() const {
        std::lock_guard lock(mu_);
        return body_;
    }
    bool finished() const {
        std::lock_guard lock(mu_);
        return finished_;
    }
    /// Drops the connection from the client side and joins the reader thread.
    void close() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        // stop() only reaches a request already in flight; repeat until the reader is out.
        auto until = std::chrono::steady_clock::now() + kWait;
        do {
            client_.stop();
        } while (!wait_finished(std::chrono::milliseconds(50)) && std::chrono::steady_clock::now() < until);
        if (thread_.joinable()) thread_.join();
    }

private:
    httplib::Client client_;
    std::thread thread_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::string body_;
    int status_ = 0;
    bool finished_ = false;
    bool stop_ = false;
};

}  // namespace mcp_test
