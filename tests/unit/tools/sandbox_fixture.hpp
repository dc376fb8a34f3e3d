// A fresh sandbox per test: the real App (catalog, dispatcher, schema validation, GHL client,
// limiter) in front of an in-process simulator with the deterministic seed. Tests call tools the
// way `ghl-mcp call` does and inspect the exact HTTP requests the simulator received.
#pragma once

#include "app/wiring.hpp"
#include "ghl/client.hpp"
#include "ghlsim/simulator.hpp"
#include "tools/catalog.hpp"
#include "tools/ghl_access.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tools_test {

using json = nlohmann::json;

class SandboxTest : public ::testing::Test {
protected:
    void SetUp() override {
        app::Config config;
        config.sandbox = true;
        config.log_level = "off";
        config.validate_output = true;  // every result must match its outputSchema
        config.surface.toolsets = {"all"};  // every tool, whatever the default surface
        app_ = std::make_unique<app::App>(config);
        sim().clear_requests();
    }

    ghlsim::Simulator& sim() { return *app_->sandbox(); }
    const ghlsim::SeedFacts& seed() { return sim().seed_facts(); }
    app::App& app() { return *app_; }

    /// Calls a tool; fails the test on a protocol error (unknown tool, invalid arguments), and
    /// when the tool called a GHL endpoint its definition does not declare ("endpoints" in
    /// schemas/tools/<tool>.json, whose scopes `ghl-mcp doctor` checks): every tool test keeps
    /// that list honest.
    app::CallOutput call(const std::string& tool, const json& args) {
        const auto before = app_->environment().ghl->client().snapshot();
        auto out = app_->call(tool, args);
        EXPECT_EQ(out.protocol_error, "") << tool << " " << args.dump();
        for (const auto& endpoint : touched_since(before))
            EXPECT_TRUE(declares(tool, endpoint))
                << tool << " called " << endpoint << ", which schemas/tools/" << tool
                << ".json lists in neither \"endpoints\" nor \"optionalEndpoints\"";
        return out;
    }
    /// The endpoints called since `before` (a snapshot of the client's metrics).
    std::set<std::string> touched_since(const ghl::MetricsSnapshot& before) {
        std::set<std::string> out;
        for (const auto& [endpoint, m] : app_->environment().ghl->client().snapshot().endpoints) {
            auto it = before.endpoints.find(endpoint);
            if (m.calls > (it == before.endpoints.end() ? 0 : it->second.calls)) out.insert(endpoint);
        }
        return out;
    }
    /// Whether `tool`'s definition lists `endpoint` (as needed or optional).
    static bool declares(const std::string& tool, const std::string& endpoint) {
        for (const auto& d : tools::definitions())
            if (d.wire["name"] == tool)
                return std::find(d.endpoints.begin(), d.endpoints.end(), endpoint) != d.endpoints.end() ||
                       std::find(d.optional_endpoints.begin(), d.optional_endpoints.end(), endpoint) !=
                           d.optional_endpoints.end();
        return false;
    }
    /// Calls a tool that must succeed; returns its structured result.
    json ok(const std::string& tool, const json& args) {
        auto out = call(tool, args);
        EXPECT_FALSE(out.is_error) << tool << " " << args.dump() << " -> " << out.result.dump();
        return out.result;
    }
    /// Calls a tool that must fail with isError; returns the error text.
    std::string tool_error(const std::string& tool, const json& args) {
        auto out = call(tool, args);
        EXPECT_TRUE(out.is_error) << tool << " " << args.dump() << " -> " << out.result.dump();
        std::string text;
        if (out.result.is_array())
            for (const auto& block : out.result)
                if (block.value("type", "") == "text") text += block.value("text", "");
        return text;
    }
    /// A call the dispatcher must refuse before the handler runs (input schema validation):
    /// returns the error text and checks that no GHL request was made.
    std::string invalid_arguments(const std::string& tool, const json& args) {
        const auto before = requests().size();
        std::string text = tool_error(tool, args);
        EXPECT_NE(text.find("[mcp.invalid_arguments]"), std::string::npos) << text;
        EXPECT_EQ(requests().size(), before) << "a GHL request was sent for invalid arguments";
        return text;
    }

    /// Any JSON-RPC request in the 2026-07-28 era through the real dispatcher; returns the whole
    /// response ({result} or {error}). Notifications the server sends on the request's channel
    /// (progress, logs) are collected in `notifications`.
    json rpc(const std::string& method, json params = json::object()) {
        params["_meta"] = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                           {"io.modelcontextprotocol/clientInfo", {{"name", "tools-tests"}, {"version", "1"}}},
                           {"io.modelcontextprotocol/clientCapabilities", json::object()}};
        json request{{"jsonrpc", "2.0"}, {"id", ++rpc_id_}, {"method", method}, {"params", params}};
        mcp::Incoming in;
        in.channel = channel_;
        in.modern = true;
        auto outcome = app_->server().handle(request, in);
        return outcome.response ? *outcome.response : json(nullptr);
    }
    struct Collector : mcp::Channel {
        std::mutex mutex;
        std::vector<json> messages;
        bool send(const json& m) override {
            std::lock_guard lock(mutex);
            messages.push_back(m);
            return true;
        }
        bool open() const override { return true; }
    };
    std::vector<json> notifications() {
        std::lock_guard lock(channel_->mutex);
        return channel_->messages;
    }

    /// A GHL call straight to the sandbox, outside the tools: state a test sets up, or facts the
    /// tools under test do not give.
    json raw(std::string_view endpoint, const ghl::Params& path, const ghl::Params& query = {},
             const json& body = nullptr) {
        ghl::CallOptions o;
        o.token = sim().tokens().front();
        o.resource_key = seed().location_id;
        return app().environment().ghl->client().call(endpoint, path, query, body, o);
    }

    /// Requests the simulator saw since the test started (or the last clear).
    std::vector<ghlsim::RequestRecord> requests() { return sim().requests(); }
    /// Those of requests() with `method` whose path starts with `path_prefix`.
    std::vector<ghlsim::RequestRecord> requests_to(const std::string& method,
                                                   const std::string& path_prefix = "") {
        std::vector<ghlsim::RequestRecord> out;
        for (auto& r : requests())
            if (r.method == method && r.path.rfind(path_prefix, 0) == 0) out.push_back(r);
        return out;
    }
    /// The only request the simulator saw; fails the test unless there was exactly one.
    ghlsim::RequestRecord only_request() {
        auto all = requests();
        EXPECT_EQ(all.size(), 1u);
        return all.empty() ? ghlsim::RequestRecord{} : all.front();
    }
    json body_of(const ghlsim::RequestRecord& r) {
        return r.body.empty() ? json(nullptr) : json::parse(r.body);
    }

private:
    std::unique_ptr<app::App> app_;
    std::shared_ptr<Collector> channel_ = std::make_shared<Collector>();
    int rpc_id_ = 0;
};

/// true when `haystack` contains `needle`.
inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

/// `s` with %XX escapes and '+' (a space) decoded.
inline std::string url_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}

/// The query parameters of a recorded request, decoded, in their order (a name may repeat; one
/// without '=' has the value "").
inline std::vector<std::pair<std::string, std::string>> query_pairs(
    const ghlsim::RequestRecord& r) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t start = 0;
    while (start < r.query.size()) {
        auto end = r.query.find('&', start);
        if (end == std::string::npos) end = r.query.size();
        const std::string pair = r.query.substr(start, end - start);
        const auto eq = pair.find('=');
        out.emplace_back(url_decode(pair.substr(0, eq)),
                         eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1)));
        start = end + 1;
    }
    return out;
}

/// The query parameters of a recorded request by name, decoded (the last value of a repeated
/// name).
inline std::map<std::string, std::string> query_of(const ghlsim::RequestRecord& r) {
    std::map<std::string, std::string> out;
    for (auto& [name, value] : query_pairs(r)) out[name] = std::move(value);
    return out;
}

/// The first value of the query parameter `name` of a recorded request, decoded; `absent` when
/// there is none.
inline std::string query_param(const ghlsim::RequestRecord& r, const std::string& name,
                               const std::string& absent = "") {
    for (auto& [n, value] : query_pairs(r))
        if (n == name) return value;
    return absent;
}

/// true for an ISO 8601 UTC time as the tools write it ("2026-11-23T14:05:00Z").
inline bool is_iso_utc(const json& v) {
    if (!v.is_string()) return false;
    const std::string s = v;
    return s.size() == 20 && s[4] == '-' && s[10] == 'T' && s.back() == 'Z';
}

}  // namespace tools_test
