// The HttpKeys fixture: the sandbox App (catalog, dispatcher, GHL client, simulator) behind
// HttpTransport with the App's authenticator, keys in a SQLite file, the audit log next to it.
#pragma once

#include "app/wiring.hpp"
#include "ghlsim/simulator.hpp"

#include "mcp/http_transport.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <set>
#include <sstream>
#include <thread>

namespace keys_test {

using json = nlohmann::json;

// Sentinel personal data passed as arguments: it must never reach the audit log.
constexpr const char* kPhone = "+15558675309";
constexpr const char* kEmail = "jenny.private@example.com";

class HttpKeys : public ::testing::Test {
  protected:
    void SetUp() override { start({}); }

    void start(const std::string& env_key) {
        keys_path_ = dir_.file("keys.db");
        store_ = std::make_unique<app::KeyStore>(keys_path_, /*create=*/true);
        app::Config c;
        c.sandbox = true;
        c.log_level = "off";
        c.http = true;
        c.api_keys_file = keys_path_;
        c.api_key = env_key;
        c.surface.toolsets = {"all"};
        app_ = std::make_unique<app::App>(c);
        location_ = app_->environment().default_location_id;
        ASSERT_FALSE(location_.empty());
        // Created after start-up on purpose: the server reads keys per request.
        frontdesk_ = store_->create("frontdesk", {location_}, {}, /*read_only=*/true);
        mcp::HttpOptions o;
        o.host = "127.0.0.1";
        o.port = 0;
        o.authenticate = app_->authenticator();
        ASSERT_TRUE(o.authenticate) << "a keys file must switch authentication on";
        transport_ = std::make_unique<mcp::HttpTransport>(app_->server(), o);
        transport_->bind();
        thread_ = std::thread([this] { transport_->run(); });
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!transport_->raw().is_running() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ASSERT_TRUE(transport_->raw().is_running());
    }

    void TearDown() override {
        if (transport_) transport_->stop();
        if (thread_.joinable()) thread_.join();
        transport_.reset();
        app_.reset();
    }

    /// One 2026-07-28 stateless POST /mcp; `key` empty: no Authorization header.
    httplib::Result post(const std::string& key, const std::string& method, json params,
                         const std::string& name = {}) {
        params["_meta"] = {
            {"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
            {"io.modelcontextprotocol/clientInfo", {{"name", "keys-tests"}, {"version", "1"}}},
            {"io.modelcontextprotocol/clientCapabilities", json::object()}};
        json body{{"jsonrpc", "2.0"}, {"id", ++id_}, {"method", method}, {"params", params}};
        httplib::Headers h{{"Accept", "application/json, text/event-stream"},
                           {"MCP-Protocol-Version", "2026-07-28"},
                           {"Mcp-Method", method}};
        if (!name.empty()) h.emplace("Mcp-Name", name);
        if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
        httplib::Client client("127.0.0.1", transport_->port());
        client.set_read_timeout(std::chrono::seconds(60));
        return client.Post("/mcp", h, body.dump(), "application/json");
    }

    /// The JSON-RPC response in a JSON or SSE body.
    static json response_of(const httplib::Result& r) {
        if (!r) return json();
        if (r->get_header_value("Content-Type").find("text/event-stream") == std::string::npos)
            return json::parse(r->body, nullptr, false);
        std::istringstream in(r->body);
        std::string line;
        json last;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.rfind("data:", 0) != 0) continue;
            auto j = json::parse(line.substr(5), nullptr, false);
            if (j.is_object() && j.contains("id")) last = j;
        }
        return last;
    }

    json call(const std::string& key, const std::string& tool, const json& args) {
        return response_of(post(key, "tools/call", {{"name", tool}, {"arguments", args}}, tool));
    }

    std::set<std::string> listed(const std::string& key) {
        json r = response_of(post(key, "tools/list", json::object()));
        std::set<std::string> names;
        EXPECT_TRUE(r.contains("result")) << r.dump();
        if (!r.contains("result")) return names;
        EXPECT_FALSE(r["result"].contains("nextCursor")) << "one page expected";
        for (const auto& t : r["result"]["tools"]) names.insert(t["name"].get<std::string>());
        return names;
    }

    static std::string text_of(const json& response) {
        std::string out;
        for (const auto& b : response["result"].value("content", json::array()))
            out += b.value("text", "");
        return out;
    }

    TempDir dir_;
    std::string keys_path_;
    std::unique_ptr<app::KeyStore> store_;
    std::unique_ptr<app::App> app_;
    std::unique_ptr<mcp::HttpTransport> transport_;
    std::thread thread_;
    std::string location_;
    std::string frontdesk_;
    int id_ = 0;
};

}  // namespace keys_test
