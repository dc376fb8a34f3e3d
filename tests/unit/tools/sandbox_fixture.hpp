// A fresh sandbox per test: the real App (catalog, dispatcher, schema validation, GHL client,
// limiter) in front of an in-process simulator with the deterministic seed. Tests call tools the
// way `ghl-mcp call` does and inspect the exact HTTP requests the simulator received.
#pragma once

#include "app/wiring.hpp"
#include "ghlsim/simulator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
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

    /// Calls a tool; fails the test on a protocol error (unknown tool, invalid arguments).
    app::CallOutput call(const std::string& tool, const json& args) {
        auto out = app_->call(tool, args);
        EXPECT_EQ(out.protocol_error, "") << tool << " " << args.dump();
        return out;
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

    /// Requests the simulator saw since the test started (or the last clear).
    std::vector<ghlsim::RequestRecord> requests() { return sim().requests(); }
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

}  // namespace tools_test
