// Server::handle in the stateless 2026-07-28 era: per-request _meta, resultType, caching hints,
// error codes -32020/-32021/-32022, removed methods, MRTR with sealed requestState.
#include "server_fixture.hpp"

#include "mcp/crypto.hpp"

#include <gmock/gmock.h>

#include <future>

namespace mcp_test {
namespace {

using ::testing::HasSubstr;

int error_code(const json& response) { return response.at("error").at("code").get<int>(); }

class ModernTest : public ServerTest {
protected:
    mcp::Outcome send(const json& msg, const mcp::HeaderMap* headers = nullptr) {
        mcp::Incoming in{nullptr, channel, headers};
        return server->handle(msg, in);
    }
    json result_of(const std::string& method, json params = json::object(), json caps = json::object()) {
        auto o = send(modern_request(1, method, std::move(params), std::move(caps)));
        EXPECT_TRUE(o.response.has_value());
        if (!o.response) return json();
        EXPECT_TRUE(o.response->contains("result")) << method << ": " << o.response->dump();
        return o.response->value("result", json());
    }
};

TEST_F(ModernTest, DiscoverListsVersionsAndCapabilities) {
    auto r = result_of("server/discover");
    EXPECT_EQ(r["resultType"], "complete");
    std::vector<std::string> versions = r["supportedVersions"];
    for (const char* v : {"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"})
        EXPECT_THAT(versions, ::testing::Contains(v));
    EXPECT_TRUE(r["capabilities"].contains("tools"));
    EXPECT_FALSE(r["capabilities"].contains("tasks")) << "the 2025-11-25 experimental tasks are legacy only";
    EXPECT_EQ(r["_meta"][mcp::meta::kServerInfo]["name"], "unit-server");
    EXPECT_TRUE(r.contains("ttlMs"));
    EXPECT_TRUE(r.contains("cacheScope"));
}

TEST_F(ModernTest, ListResultsCarryResultTypeAndCachingHints) {
    for (const char* m : {"tools/list", "resources/list", "resources/templates/list", "prompts/list"}) {
        auto r = result_of(m);
        EXPECT_EQ(r["resultType"], "complete") << m;
        ASSERT_TRUE(r.contains("ttlMs")) << m;
        EXPECT_TRUE(r["ttlMs"].is_number_integer()) << m;
        EXPECT_EQ(r["ttlMs"], 60000) << m;
        EXPECT_THAT(r["cacheScope"].get<std::string>(), ::testing::AnyOf("private", "public")) << m;
        EXPECT_EQ(r["_meta"][mcp::meta::kServerInfo]["version"], "9.9.9") << m;
    }
}

TEST_F(ModernTest, ReadResultsCarryCachingHints) {
    auto r = result_of("resources/read", json{{"uri", "test://static"}});
    EXPECT_EQ(r["resultType"], "complete");
    EXPECT_EQ(r["contents"][0]["text"], "hello");
    ASSERT_TRUE(r.contains("ttlMs"));
    EXPECT_EQ(r["ttlMs"], 0);
    EXPECT_TRUE(r.contains("cacheScope"));
}

TEST_F(ModernTest, ConfiguredTtlsAreUsed) {
    mcp::ServerOptions o;
    o.list_ttl_ms = 1234;
    o.read_ttl_ms = 99;
    make_server(o);
    EXPECT_EQ(result_of("tools/list")["ttlMs"], 1234);
    EXPECT_EQ(result_of("resources/read", json{{"uri", "test://static"}})["ttlMs"], 99);
}

TEST_F(ModernTest, CallResultsAreCompleteWithoutCachingHints) {
    auto r = result_of("tools/call", json{{"name", "echo"}, {"arguments", {{"text", "x"}}}});
    EXPECT_EQ(r["resultType"], "complete");
    EXPECT_EQ(first_text(r), "x");
    EXPECT_FALSE(r.contains("ttlMs"));
    EXPECT_FALSE(r.contains("cacheScope"));
    r = result_of("prompts/get", json{{"name", "greet"}, {"arguments", {{"name", "Ada"}}}});
    EXPECT_EQ(r["resultType"], "complete");
    EXPECT_FALSE(r.contains("ttlMs"));
    r = result_of("completion/complete", json{{"ref", {{"type", "ref/prompt"}, {"name", "greet"}}},
                                              {"argument", {{"name", "name"}, {"value", "b"}}}});
    EXPECT_EQ(r["resultType"], "complete");
    EXPECT_EQ(r["completion"]["values"], json{"bob"});
}

TEST_F(ModernTest, ToolErrorsAreStillResults) {
    auto r = result_of("tools/call", json{{"name", "fail"}});
    EXPECT_EQ(r["resultType"], "complete");
    EXPECT_TRUE(r["isError"].get<bool>());
    r = result_of("tools/call", json{{"name", "echo"}, {"arguments", {{"text", 1}}}});
    EXPECT_TRUE(r["isError"].get<bool>());
    EXPECT_EQ(probe->echo_calls.load(), 0);
}

TEST_F(ModernTest, StructuredContentAlwaysIncluded) {
    auto r = result_of("tools/call", json{{"name", "sum"}, {"arguments", {{"a", 40}, {"b", 2}}}});
    EXPECT_EQ(r["structuredContent"], (json{{"sum", 42}}));
    EXPECT_EQ(json::parse(first_text(r)), (json{{"sum", 42}}));
}

TEST_F(ModernTest, ToolsListKeepsNewFields) {
    auto r = result_of("tools/list");
    bool found = false;
    for (const auto& t : r["tools"])
        if (t["name"] == "sum") {
            found = true;
            EXPECT_EQ(t["title"], "Sum");
            EXPECT_TRUE(t.contains("outputSchema"));
        }
    EXPECT_TRUE(found);
}

TEST_F(ModernTest, ResourceNotFoundIsInvalidParams) {
    auto o = send(modern_request(3, "resources/read", json{{"uri", "test://missing"}}));
    ASSERT_TRUE(o.response);
    EXPECT_EQ(error_code(*o.response), -32602) << "2026-07-28 MUST NOT emit -32002";
    EXPECT_EQ((*o.response)["error"]["data"]["uri"], "test://missing");
    EXPECT_EQ((*o.response)["id"], 3);
}

TEST_F(ModernTest, UnknownToolIsInvalidParams) {
    auto o = send(modern_request(4, "tools/call", json{{"name", "nope"}}));
    EXPECT_EQ(error_code(*o.response), -32602);
    EXPECT_EQ((*o.response)["id"], 4);
}

// --- required _meta -----------------------------------------------------------------------

TEST_F(ModernTest, MissingMetaIsInvalidParamsWith400) {
    mcp::Incoming in{nullptr, channel};
    in.modern = true;  // the HTTP transport routed it here by its MCP-Protocol-Version header
    auto o = server->handle(request(1, "tools/list", json::object()), in);
    ASSERT_TRUE(o.response);
    EXPECT_EQ(error_code(*o.response), -32602);
    EXPECT_EQ(o.http_status, 400);
    EXPECT_EQ((*o.response)["id"], 1);
    EXPECT_THAT((*o.response)["error"]["message"].get<std::string>(), HasSubstr(mcp::meta::kProtocolVersion));

    o = server->handle(request(2, "server/discover"), modern_in());
    ASSERT_TRUE(o.response);
    EXPECT_EQ(error_code(*o.response), -32602) << "server/discover is modern by method and needs _meta";
    EXPECT_EQ(o.http_status, 400);
}

TEST_F(ModernTest, MissingClientCapabilitiesIsInvalidParams) {
    json msg = request(1, "tools/list", json{{"_meta", {{mcp::meta::kProtocolVersion, "2026-07-28"}}}});
    auto o = send(msg);
    ASSERT_TRUE(o.response);
    EXPECT_EQ(error_code(*o.response), -32602);
    EXPECT_EQ(o.http_status, 400);
    EXPECT_THAT((*o.response)["error"]["message"].get<std::string>(), HasSubstr(mcp::meta::kClientCapabilities));

    msg["params"]["_meta"][mcp::meta::kClientCapabilities] = "all";
    o = send(msg);
    EXPECT_EQ(error_code(*o.response), -32602);
}

TEST_F(ModernTest, ClientInfoIsOptional) {
    json msg = request(1, "tools/list",
                       json{{"_meta", {{mcp::meta::kProtocolVersion, "2026-07-28"},
                                       {mcp::meta::kClientCapabilities, json::object()}}}});
    auto o = send(msg);
    ASSERT_TRUE(o.response);
    EXPECT_TRUE(o.response->contains("result")) << o.response->dump();
}

TEST_F(ModernTest, UnsupportedVersionIsMinus32022WithSupportedList) {
    for (const char* v : {"2030-01-01", "2025-11-25", ""}) {
        auto o = send(modern_request(5, "tools/list", json::object(), json::object(), v));
        ASSERT_TRUE(o.response);
        EXPECT_EQ(error_code(*o.response), -32022) << v;
        EXPECT_EQ(o.http_status, 400) << v;
        EXPECT_EQ((*o.response)["id"], 5);
        const json& data = (*o.response)["error"]["data"];
        ASSERT_TRUE(data["supported"].is_array()) << o.response->dump();
        EXPECT_THAT(data["supported"].get<std::vector<std::string>>(), ::testing::Contains("2026-07-28"));
        EXPECT_EQ(data["requested"], v);
    }
}

TEST_F(ModernTest, InvalidLogLevelIsInvalidParams) {
    auto o = send(modern_request(1, "tools/call",
                                 json{{"name", "noop"}, {"_meta", {{mcp::meta::kLogLevel, "loud"}}}}));
    EXPECT_EQ(error_code(*o.response), -32602);
    EXPECT_EQ(o.http_status, 400);
}

class RemovedMethods : public ModernTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(RemovedMethods, AreMethodNotFoundWith404) {
    json params = GetParam() == "initialize" ? initialize_params("2026-07-28") : json::object();
    if (GetParam() == "logging/setLevel") params["level"] = "info";
    if (GetParam().rfind("resources/", 0) == 0) params["uri"] = "test://static";
    auto o = send(modern_request(6, GetParam(), params));
    ASSERT_TRUE(o.response);
    EXPECT_EQ(error_code(*o.response), -32601) << o.response->dump();
    EXPECT_EQ(o.http_status, 404);
    EXPECT_EQ((*o.response)["id"], 6);
}

INSTANTIATE_TEST_SUITE_P(Modern, RemovedMethods,
                         ::testing::Values("initialize", "ping", "logging/setLevel", "resources/subscribe",
                                           "resources/unsubscribe", "tools/explode", "tasks/list"));

TEST_F(ModernTest, NoSessionIsCreated) {
    result_of("tools/list");
    result_of("tools/call", json{{"name", "noop"}});
    EXPECT_EQ(server->session_count(), 0u);
}

// --- logging and progress -----------------------------------------------------------------

TEST_F(ModernTest, NoLogNotificationsWithoutALogLevel) {
    result_of("tools/call", json{{"name", "logs"}});
    EXPECT_TRUE(channel->with_method("notifications/message").empty())
        << "2026-07-28: MUST NOT emit notifications/message without the per-request logLevel";
}

TEST_F(ModernTest, PerRequestLogLevelFilters) {
    result_of("tools/call", json{{"name", "logs"}, {"_meta", {{mcp::meta::kLogLevel, "warning"}}}});
    auto logs = channel->with_method("notifications/message");
    ASSERT_EQ(logs.size(), 2u);
    EXPECT_EQ(logs[0]["params"]["level"], "warning");
    EXPECT_EQ(logs[1]["params"]["level"], "error");
}

TEST_F(ModernTest, ProgressWithToken) {
    result_of("tools/call", json{{"name", "progress"}, {"_meta", {{"progressToken", "p1"}}}});
    auto p = channel->with_method("notifications/progress");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0]["params"]["progressToken"], "p1");
}

TEST_F(ModernTest, ClosedStreamCancelsTheCallAndItIsNotAnswered) {
    auto fut = std::async(std::launch::async, [&] {
        return send(modern_request(7, "tools/call", json{{"name", "slow"}}));
    });
    ASSERT_TRUE(probe->slow_started.wait());
    channel->set_open(false);  // the HTTP response stream went away: that is the cancellation
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready);
    auto o = fut.get();
    EXPECT_TRUE(probe->slow_saw_cancel.load()) << "closing the response stream is the cancellation";
    (void)o;  // whatever comes back has nowhere to go: the stream is closed
}

// Regression: a 2026-07-28 request on stdio is cancelled by notifications/cancelled.
TEST_F(ModernTest, NotificationsCancelledStopsAModernCallOnStdio) {
    auto stdio_session = std::make_shared<mcp::Session>("stdio");
    mcp::Incoming in{stdio_session, channel};  // what StdioTransport passes for every line
    auto fut = std::async(std::launch::async, [&] {
        return server->handle(modern_request("m-1", "tools/call", json{{"name", "slow"}}), in);
    });
    ASSERT_TRUE(probe->slow_started.wait());
    server->handle(notification("notifications/cancelled", json{{"requestId", "m-1"}}), in);
    probe->slow_finished.wait();  // returns at once when the cancellation reached the handler
    probe->slow_release = true;   // (otherwise the handler gives up after kWait)
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready);
    auto o = fut.get();
    EXPECT_TRUE(probe->slow_saw_cancel.load());
    EXPECT_FALSE(o.response.has_value());
}

// --- required client capabilities ---------------------------------------------------------

TEST_F(ModernTest, RequireClientCapabilityIsMinus32021) {
    auto o = send(modern_request(8, "tools/call", json{{"name", "needs_sampling"}}));
    ASSERT_TRUE(o.response);
    EXPECT_EQ(error_code(*o.response), -32021) << o.response->dump();
    EXPECT_EQ(o.http_status, 400);
    EXPECT_EQ((*o.response)["id"], 8);
    EXPECT_TRUE((*o.response)["error"]["data"]["requiredCapabilities"].contains("sampling"));

    auto ok = result_of("tools/call", json{{"name", "needs_sampling"}}, json{{"sampling", json::object()}});
    EXPECT_EQ(first_text(ok), "sampling available");
}

// --- MRTR ---------------------------------------------------------------------------------

class Mrtr : public ModernTest {
protected:
    /// First round: returns the input_required result.
    json first_round(const std::string& tool = "ask") {
        auto r = result_of("tools/call", json{{"name", tool}, {"arguments", json::object()}},
                           json{{"elicitation", json::object()}});
        return r;
    }
    mcp::Outcome second_round(const json& state, const std::string& tool = "ask", json id = 2) {
        json params{{"name", tool},
                    {"arguments", json::object()},
                    {"inputResponses", {{"who", {{"action", "accept"}, {"content", {{"name", "Ada"}}}}}}}};
        if (!state.is_null()) params["requestState"] = state;
        return send(modern_request(id, "tools/call", params, json{{"elicitation", json::object()}}));
    }
};

TEST_F(Mrtr, InputRequiredRoundTrip) {
    json r = first_round();
    EXPECT_EQ(r["resultType"], "input_required") << r.dump();
    EXPECT_EQ(r["inputRequests"]["who"]["method"], "elicitation/create");
    ASSERT_TRUE(r["requestState"].is_string());
    const std::string sealed = r["requestState"];
    EXPECT_EQ(sealed.find("server-side"), std::string::npos) << "state is opaque, not plain JSON";
    EXPECT_FALSE(r.contains("ttlMs")) << "no caching hints on input_required";

    auto o = second_round(r["requestState"]);
    ASSERT_TRUE(o.response && o.response->contains("result")) << o.response->dump();
    const json& done = (*o.response)["result"];
    EXPECT_EQ(done["resultType"], "complete");
    EXPECT_THAT(first_text(done), HasSubstr("hello Ada"));
    EXPECT_THAT(first_text(done), HasSubstr("\"step\":1")) << "the handler gets the verified state back";
    EXPECT_EQ(probe->ask_calls.load(), 2);
}

TEST_F(Mrtr, RoundTripWithoutStateStillWorks) {
    auto o = second_round(nullptr);
    ASSERT_TRUE(o.response && o.response->contains("result")) << o.response->dump();
    EXPECT_THAT(first_text((*o.response)["result"]), HasSubstr("state=none"));
}

TEST_F(Mrtr, TamperedStateIsRejected) {
    const std::string sealed = first_round()["requestState"];
    auto dot = sealed.find('.');
    ASSERT_NE(dot, std::string::npos);

    // Forge a body with a different state but keep the old MAC.
    json forged_payload = json::parse(mcp::base64url_decode(sealed.substr(0, dot)));
    forged_payload["s"]["step"] = 99;
    std::string forged = mcp::base64url_encode(forged_payload.dump()) + sealed.substr(dot);

    // Change a character inside the MAC: the last one of unpadded base64url also carries two
    // unused bits, so flipping it from 'A' to 'B' (one run in 16) left the MAC bytes unchanged.
    std::string flipped_mac = sealed;
    char& c = flipped_mac[dot + 1 + 10];
    c = c == 'A' ? 'B' : 'A';

    int calls_before = probe->ask_calls.load();
    for (const json& bad : {json(forged), json(flipped_mac), json("not-a-state"), json(sealed.substr(0, dot)),
                            json(42), json::object()}) {
        auto o = second_round(bad);
        ASSERT_TRUE(o.response);
        EXPECT_EQ(error_code(*o.response), -32602) << bad.dump() << " -> " << o.response->dump();
        EXPECT_EQ((*o.response)["id"], 2);
    }
    EXPECT_EQ(probe->ask_calls.load(), calls_before) << "the handler never sees a bad state";
}

TEST_F(Mrtr, StateIsBoundToTheTool) {
    const std::string sealed = first_round("ask")["requestState"];
    auto o = second_round(sealed, "ask_other");
    EXPECT_EQ(error_code(*o.response), -32602) << "state issued for 'ask' replayed on 'ask_other'";
}

TEST_F(Mrtr, StateFromAnotherServerKeyIsRejected) {
    const std::string sealed = first_round()["requestState"];
    make_server(mcp::ServerOptions{});  // a new random key
    auto o = second_round(sealed);
    EXPECT_EQ(error_code(*o.response), -32602);
}

TEST_F(Mrtr, SharedStateKeyWorksAcrossInstances) {
    mcp::ServerOptions o;
    o.state_key = "a shared secret for all replicas";
    make_server(o);
    const std::string sealed = first_round()["requestState"];
    make_server(o);
    auto out = second_round(sealed);
    ASSERT_TRUE(out.response && out.response->contains("result")) << out.response->dump();
}

TEST_F(Mrtr, ExpiredStateIsRejected) {
    mcp::ServerOptions o;
    o.state_lifetime = std::chrono::seconds(-5);  // already expired when issued
    make_server(o);
    const std::string sealed = first_round()["requestState"];
    auto out = second_round(sealed);
    EXPECT_EQ(error_code(*out.response), -32602);
}

TEST_F(Mrtr, SealAndOpenDirectly) {
    mcp::CallInfo c;
    c.method = "tools/call";
    c.params = json{{"name", "ask"}};
    std::string sealed = server->seal_state(json{{"k", "v"}}, c);
    auto opened = server->open_state(sealed, c);
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ((*opened)["k"], "v");
    mcp::CallInfo other = c;
    other.method = "prompts/get";
    EXPECT_FALSE(server->open_state(sealed, other).has_value()) << "bound to the method";
    EXPECT_FALSE(server->open_state("", c).has_value());
    EXPECT_FALSE(server->open_state(".", c).has_value());
}

// --- HTTP header validation through the dispatcher ----------------------------------------

TEST_F(ModernTest, HeaderMismatchIsMinus32020With400) {
    json msg = modern_request(9, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", "x"}}}});
    mcp::HeaderMap good{{"mcp-protocol-version", "2026-07-28"}, {"mcp-method", "tools/call"}, {"mcp-name", "echo"}};
    auto o = send(msg, &good);
    ASSERT_TRUE(o.response && o.response->contains("result")) << o.response->dump();

    mcp::HeaderMap wrong_name{{"mcp-protocol-version", "2026-07-28"}, {"mcp-method", "tools/call"}, {"mcp-name", "noop"}};
    o = send(msg, &wrong_name);
    EXPECT_EQ(error_code(*o.response), -32020);
    EXPECT_EQ(o.http_status, 400);
    EXPECT_EQ((*o.response)["id"], 9);
    EXPECT_EQ(probe->echo_calls.load(), 1) << "a mismatched request never reaches the handler";

    mcp::HeaderMap wrong_method{{"mcp-protocol-version", "2026-07-28"}, {"mcp-method", "tools/list"}, {"mcp-name", "echo"}};
    o = send(msg, &wrong_method);
    EXPECT_EQ(error_code(*o.response), -32020);

    mcp::HeaderMap wrong_version{{"mcp-protocol-version", "2025-11-25"}, {"mcp-method", "tools/call"}, {"mcp-name", "echo"}};
    o = send(msg, &wrong_version);
    EXPECT_EQ(error_code(*o.response), -32020) << "header/body disagreement wins over anything else";
    EXPECT_EQ(o.http_status, 400);
}

TEST_F(ModernTest, IsModernDetection) {
    EXPECT_TRUE(mcp::Server::is_modern(modern_request(1, "tools/list"), nullptr));
    EXPECT_TRUE(mcp::Server::is_modern(request(1, "server/discover"), nullptr));
    EXPECT_FALSE(mcp::Server::is_modern(request(1, "tools/list", json::object()), nullptr));
    mcp::HeaderMap h{{"mcp-protocol-version", "2026-07-28"}};
    EXPECT_TRUE(mcp::Server::is_modern(request(1, "tools/list"), &h));
    mcp::HeaderMap legacy_h{{"mcp-protocol-version", "2025-11-25"}};
    EXPECT_FALSE(mcp::Server::is_modern(request(1, "tools/list"), &legacy_h));
}

TEST_F(ModernTest, RunsLongClassification) {
    EXPECT_TRUE(mcp::Server::runs_long(request(1, "tools/call")));
    EXPECT_TRUE(mcp::Server::runs_long(request(1, "resources/read")));
    EXPECT_TRUE(mcp::Server::runs_long(json::array({request(1, "ping"), request(2, "tools/call")})));
    EXPECT_FALSE(mcp::Server::runs_long(request(1, "tools/list")));
    EXPECT_FALSE(mcp::Server::runs_long(notification("tools/call")));
    EXPECT_FALSE(mcp::Server::runs_long(json(3)));
}

}  // namespace
}  // namespace mcp_test
