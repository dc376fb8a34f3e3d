// Shared fixture for the simulator tests: a Simulator on an ephemeral loopback port with a fixed
// clock, and a small httplib client that speaks to it like a GHL client would.
#pragma once

#include "ghlsim/simulator.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>

namespace simtest {

using Json = nlohmann::json;

inline constexpr const char* kToken = "test-token";
inline constexpr const char* kV1 = "2021-07-28";  // contacts, opportunities, ...
inline constexpr const char* kV2 = "2021-04-15";  // calendars, conversations

/// 2025-06-11T15:00:00Z, a Wednesday (11:00 in New York).
inline std::chrono::system_clock::time_point fixed_now() {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(1749654000000LL));
}

inline ghlsim::Options options(std::uint64_t seed = 7) {
    ghlsim::Options o;
    o.seed = seed;
    o.tokens = {kToken, "second-token"};
    o.now = fixed_now;
    o.rate = {100000, 10000};  // out of the way unless a test sets its own
    return o;
}

struct Result {
    int status = 0;  ///< 0: no response (connection error)
    Json body;
    httplib::Headers headers;
    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
};

/// Requests with the Bearer token and a Version header (nullptr: none).
class Api {
public:
    explicit Api(int port) : client_("127.0.0.1", port) {
        client_.set_keep_alive(true);
        client_.set_url_encode(false);  // paths are sent as written; use enc() for values
        client_.set_tcp_nodelay(true);
        client_.set_read_timeout(10, 0);
    }

    Result call(const std::string& method, const std::string& path, const char* version,
                const Json& body = nullptr, const char* token = kToken) {
        httplib::Headers headers;
        if (token != nullptr) headers.emplace("Authorization", std::string("Bearer ") + token);
        if (version != nullptr) headers.emplace("Version", version);
        headers.emplace("Accept", "application/json");
        const std::string payload = body.is_null() ? "" : body.dump();
        httplib::Result r = [&] {
            if (method == "GET") return client_.Get(path, headers);
            if (method == "DELETE") {
                return payload.empty() ? client_.Delete(path, headers)
                                       : client_.Delete(path, headers, payload, "application/json");
            }
            if (method == "PUT") return client_.Put(path, headers, payload, "application/json");
            return client_.Post(path, headers, payload, "application/json");
        }();
        Result out;
        if (!r) return out;
        out.status = r->status;
        out.headers = r->headers;
        out.body = Json::parse(r->body, nullptr, false);
        return out;
    }

    Result get(const std::string& path, const char* version = kV1) { return call("GET", path, version); }
    Result post(const std::string& path, const Json& body, const char* version = kV1) {
        return call("POST", path, version, body);
    }
    Result put(const std::string& path, const Json& body, const char* version = kV1) {
        return call("PUT", path, version, body);
    }
    Result del(const std::string& path, const Json& body = nullptr, const char* version = kV1) {
        return call("DELETE", path, version, body);
    }

private:
    httplib::Client client_;
};

/// A started simulator per test.
class SimTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::signal(SIGPIPE, SIG_IGN);
        sim = std::make_unique<ghlsim::Simulator>(make_options());
        sim->start();
        api = std::make_unique<Api>(sim->port());
    }
    void TearDown() override {
        api.reset();
        sim.reset();
    }
    virtual ghlsim::Options make_options() { return options(); }

    const std::string& loc() const { return sim->location_id(); }

    std::unique_ptr<ghlsim::Simulator> sim;
    std::unique_ptr<Api> api;
};

/// Percent-encodes a query value (so "+" and "@" survive).
inline std::string enc(const std::string& value) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : value) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

}  // namespace simtest
