// Shared helpers for the src/mcp unit tests: a recording Channel, message builders for both
// protocol eras, and bounded condition waits (tests never assert on wall-clock timings; a
// timeout only turns a hang into a failure).
#pragma once

#include "mcp/json_rpc.hpp"
#include "mcp/server.hpp"
#include "mcp/session.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mcp_test {

using json = nlohmann::json;
using namespace std::chrono_literals;

/// Generous upper bound for "this must happen eventually" waits.
inline constexpr auto kWait = std::chrono::seconds(20);

/// Polls `pred` until it holds or `timeout` passes; returns its last value.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kWait)) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) return pred();
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

/// A Channel that records every message; thread-safe; can be closed to simulate a gone client.
class RecordingChannel : public mcp::Channel {
public:
    bool send(const json& message) override {
        std::lock_guard lock(mu_);
        if (!open_) return false;
        messages_.push_back(message);
        cv_.notify_all();
        return true;
    }
    bool open() const override {
        std::lock_guard lock(mu_);
        return open_;
    }
    void set_open(bool on) {
        std::lock_guard lock(mu_);
        open_ = on;
    }
    std::vector<json> messages() const {
        std::lock_guard lock(mu_);
        return messages_;
    }
    /// Messages whose method is `method`.
    std::vector<json> with_method(const std::string& method) const {
        std::lock_guard lock(mu_);
        std::vector<json> out;
        for (const auto& m : messages_)
            if (m.value("method", "") == method) out.push_back(m);
        return out;
    }
    void clear() {
        std::lock_guard lock(mu_);
        messages_.clear();
    }
    /// Waits until at least `n` messages were recorded.
    bool wait_for_count(size_t n, std::chrono::milliseconds timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kWait)) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, [&] { return messages_.size() >= n; });
    }

private:
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<json> messages_;
    bool open_ = true;
};

/// A one-shot latch with a bounded wait.
class Signal {
public:
    void notify() {
        std::lock_guard lock(mu_);
        set_ = true;
        cv_.notify_all();
    }
    bool wait(std::chrono::milliseconds timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kWait)) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, [&] { return set_; });
    }
    bool is_set() const {
        std::lock_guard lock(mu_);
        return set_;
    }

private:
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool set_ = false;
};

inline json request(const json& id, const std::string& method, json params = nullptr) {
    return mcp::make_request(id, method, std::move(params));
}

inline json notification(const std::string& method, json params = nullptr) {
    return mcp::make_notification(method, std::move(params));
}

/// The `_meta` every 2026-07-28 request carries.
inline json modern_meta(const std::string& version = "2026-07-28", json caps = json::object()) {
    return json{{mcp::meta::kProtocolVersion, version},
                {mcp::meta::kClientCapabilities, std::move(caps)},
                {mcp::meta::kClientInfo, {{"name", "unit-test"}, {"version", "1.0"}}}};
}

/// A 2026-07-28 request: `params._meta` gets the protocol version and client capabilities.
inline json modern_request(const json& id, const std::string& method, json params = json::object(),
                           json caps = json::object(), const std::string& version = "2026-07-28") {
    json meta = modern_meta(version, std::move(caps));
    if (params.contains("_meta"))
        for (auto& [k, v] : params["_meta"].items()) meta[k] = v;
    params["_meta"] = meta;
    return mcp::make_request(id, method, std::move(params));
}

inline json initialize_params(const std::string& version, json caps = json::object()) {
    return json{{"protocolVersion", version},
                {"capabilities", std::move(caps)},
                {"clientInfo", {{"name", "unit-test"}, {"version", "1.0"}}}};
}

/// Runs the legacy handshake on `session`; returns the initialize result.
inline json handshake(mcp::Server& server, const std::shared_ptr<mcp::Session>& session,
                      const std::shared_ptr<mcp::Channel>& channel, const std::string& version,
                      json caps = json::object()) {
    mcp::Incoming in{session, channel};
    auto o = server.handle(request(0, "initialize", initialize_params(version, std::move(caps))), in);
    EXPECT_TRUE(o.response.has_value());
    EXPECT_TRUE(o.response && o.response->contains("result")) << (o.response ? o.response->dump() : "");
    auto n = server.handle(notification("notifications/initialized"), in);
    EXPECT_FALSE(n.response.has_value());
    return o.response ? o.response->value("result", json()) : json();
}

/// Text of the first content block of a tools/call result.
inline std::string first_text(const json& result) {
    if (!result.contains("content") || result["content"].empty()) return {};
    return result["content"][0].value("text", "");
}

inline bool is_hex32(const std::string& s) {
    if (s.size() != 32) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace mcp_test
