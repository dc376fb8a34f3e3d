// Server::handle in the legacy (handshake) era: 2024-11-05 .. 2025-11-25.
#include "server_fixture.hpp"

#include <gmock/gmock.h>

#include <future>
#include <set>

namespace mcp_test {
namespace {

using ::testing::HasSubstr;

int error_code(const json& response) { return response.at("error").at("code").get<int>(); }

// --- JSON-RPC framing -------------------------------------------------------------------

TEST_F(ServerTest, MalformedJsonIsParseErrorWithoutId) {
    auto o = server->handle_text("{\"jsonrpc\":\"2.0\",\"id\":1,", legacy_in());
    ASSERT_TRUE(o.response);
    EXPECT_EQ(error_code(*o.response), -32700);
    EXPECT_FALSE(o.response->contains("id"));
    EXPECT_EQ(o.http_status, 400);
}

TEST_F(ServerTest, InvalidEnvelopesAreInvalidRequest) {
    init("2025-11-25");
    auto r = legacy(json(5));
    EXPECT_EQ(error_code(r), -32600);
    r = legacy(json{{"jsonrpc", "1.0"}, {"id", 1}, {"method", "ping"}});
    EXPECT_EQ(error_code(r), -32600);
    EXPECT_EQ(r["id"], 1) << "a readable id is echoed";
    r = legacy(json{{"id", 2}, {"method", "ping"}});
    EXPECT_EQ(error_code(r), -32600);
    r = legacy(json{{"jsonrpc", "2.0"}, {"id", 3}, {"method", 7}});
    EXPECT_EQ(error_code(r), -32600);
    r = legacy(json{{"jsonrpc", "2.0"}, {"id", 4}});
    EXPECT_EQ(error_code(r), -32600) << "neither request, notification nor response";
}

TEST_F(ServerTest, NullAndFractionalIdsAreRejectedWithoutEchoingThem) {
    init("2025-11-25");
    for (const json& id : {json(), json(1.5), json::array(), json(true)}) {
        auto r = legacy(json{{"jsonrpc", "2.0"}, {"id", id}, {"method", "ping"}});
        EXPECT_EQ(error_code(r), -32600) << id.dump();
        EXPECT_FALSE(r.contains("id")) << "ids are never null: " << r.dump();
    }
}

TEST_F(ServerTest, StringAndIntegerIdsAreEchoedExactly) {
    init("2025-11-25");
    EXPECT_EQ(legacy(request("abc-1", "ping"))["id"], "abc-1");
    EXPECT_EQ(legacy(request(0, "ping"))["id"], 0);
    EXPECT_EQ(legacy(request(-7, "ping"))["id"], -7);
    EXPECT_EQ(legacy(request(9007199254740993LL, "ping"))["id"], 9007199254740993LL);
}

TEST_F(ServerTest, NonObjectParamsAreInvalidParams) {
    init("2025-11-25");
    auto r = legacy(json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}, {"params", {1, 2}}});
    EXPECT_EQ(error_code(r), -32602);
    EXPECT_EQ(r["id"], 1);
}

TEST_F(ServerTest, UnknownMethodIsMethodNotFound) {
    init("2025-11-25");
    auto o = server->handle(request(1, "tools/explode"), legacy_in());
    ASSERT_TRUE(o.response);
    EXPECT_EQ(error_code(*o.response), -32601);
    EXPECT_EQ((*o.response)["id"], 1);
    EXPECT_EQ(error_code(legacy(request(2, "subscriptions/listen", json::object()))), -32601)
        << "subscriptions/listen is 2026-07-28 only";
}

TEST_F(ServerTest, NotificationsProduceNoResponse) {
    init("2025-11-25");
    channel->clear();
    for (const char* m : {"notifications/initialized", "notifications/progress",
                          "notifications/roots/list_changed", "notifications/unknown", "tools/list",
                          "ping"}) {
        auto o = server->handle(notification(m, json::object()), legacy_in());
        EXPECT_FALSE(o.response.has_value()) << m << ": " << (o.response ? o.response->dump() : "");
        EXPECT_EQ(o.http_status, 202) << m;
    }
    EXPECT_TRUE(channel->messages().empty());
}

TEST_F(ServerTest, ClientResponsesProduceNoResponse) {
    init("2025-11-25");
    auto o = server->handle(json{{"jsonrpc", "2.0"}, {"id", "srv-99"}, {"result", json::object()}},
                            legacy_in());
    EXPECT_FALSE(o.response.has_value());
    o = server->handle(json{{"jsonrpc", "2.0"}, {"id", "srv-98"}, {"error", {{"code", -1}, {"message", "x"}}}},
                       legacy_in());
    EXPECT_FALSE(o.response.has_value());
}

// --- initialize ---------------------------------------------------------------------------

class InitializeVersions : public ServerTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(InitializeVersions, SupportedVersionIsEchoed) {
    json result = init(GetParam());
    EXPECT_EQ(result["protocolVersion"], GetParam());
    EXPECT_EQ(result["serverInfo"]["name"], "unit-server");
    EXPECT_EQ(result["serverInfo"]["version"], "9.9.9");
    for (const char* cap : {"tools", "resources", "prompts", "logging", "completions"})
        EXPECT_TRUE(result["capabilities"].contains(cap)) << cap;
    EXPECT_EQ(session->version(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Legacy, InitializeVersions,
                         ::testing::Values("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"));

TEST_F(ServerTest, UnsupportedVersionNegotiatesOurLatest) {
    for (const char* v : {"2099-01-01", "2024-10-07", "2026-07-28", "garbage"}) {
        auto s = std::make_shared<mcp::Session>(std::string("s-") + v);
        auto o = server->handle(request(1, "initialize", initialize_params(v)), mcp::Incoming{s, channel});
        ASSERT_TRUE(o.response);
        EXPECT_EQ((*o.response)["result"]["protocolVersion"], "2025-11-25") << v;
    }
}

TEST_F(ServerTest, InitializeNeedsAStringProtocolVersion) {
    auto r = legacy(request(1, "initialize", json{{"capabilities", json::object()}}));
    EXPECT_EQ(error_code(r), -32602);
    r = legacy(request(2, "initialize", json{{"protocolVersion", 20250618}}));
    EXPECT_EQ(error_code(r), -32602);
    EXPECT_FALSE(session->handshake_done());
}

TEST_F(ServerTest, SecondInitializeOnASessionIsRejected) {
    init("2025-06-18");
    auto r = legacy(request(5, "initialize", initialize_params("2025-11-25")));
    EXPECT_EQ(error_code(r), -32600);
    EXPECT_EQ(session->version(), "2025-06-18") << "the first negotiation stands";
}

TEST_F(ServerTest, InitializeWithoutSessionCreatesOne) {
    auto o = server->handle(request(1, "initialize", initialize_params("2025-11-25")), mcp::Incoming{nullptr, channel});
    ASSERT_TRUE(o.response);
    EXPECT_TRUE(o.created_session);
    EXPECT_TRUE(is_hex32(o.session_id)) << o.session_id;
    auto s = server->find_session(o.session_id);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->version(), "2025-11-25");
    auto o2 = server->handle(request(1, "initialize", initialize_params("2025-11-25")), mcp::Incoming{nullptr, channel});
    EXPECT_NE(o2.session_id, o.session_id);
    EXPECT_EQ(server->session_count(), 2u);
}

TEST_F(ServerTest, InstructionsAreSentWhenConfigured) {
    mcp::ServerOptions o;
    o.instructions = "Use search first.";
    make_server(o);
    EXPECT_EQ(init("2025-11-25")["instructions"], "Use search first.");
}

TEST_F(ServerTest, RequestsBeforeInitializeAreRejected) {
    for (const char* m : {"tools/list", "tools/call", "resources/list", "prompts/list", "logging/setLevel"}) {
        auto r = legacy(request(1, m, json::object()));
        EXPECT_EQ(error_code(r), -32600) << m;
        EXPECT_EQ(r["id"], 1) << m;
    }
    EXPECT_EQ(probe->echo_calls.load(), 0);
}

TEST_F(ServerTest, PingWorksBeforeAndAfterInitialize) {
    auto before = legacy(request(1, "ping"));
    EXPECT_EQ(before["result"], json::object()) << before.dump();
    init("2025-11-25");
    auto after = legacy(request(2, "ping", json::object()));
    EXPECT_EQ(after["result"], json::object()) << after.dump();
    EXPECT_EQ(after["id"], 2);
}

// --- tools --------------------------------------------------------------------------------

TEST_F(ServerTest, ToolsListStripsFieldsByNegotiatedVersion) {
    auto find = [](const json& tools, const std::string& name) {
        for (const auto& t : tools)
            if (t["name"] == name) return t;
        return json();
    };
    init("2024-11-05");
    json old = find(legacy(request(1, "tools/list"))["result"]["tools"], "sum");
    ASSERT_FALSE(old.is_null());
    EXPECT_FALSE(old.contains("title"));
    EXPECT_FALSE(old.contains("outputSchema"));
    EXPECT_FALSE(old.contains("annotations"));
    EXPECT_TRUE(old.contains("inputSchema"));

    session = std::make_shared<mcp::Session>("s2");
    init("2025-06-18");
    json now = find(legacy(request(1, "tools/list"))["result"]["tools"], "sum");
    EXPECT_EQ(now["title"], "Sum");
    EXPECT_TRUE(now.contains("outputSchema"));
    EXPECT_TRUE(now["annotations"]["readOnlyHint"].get<bool>());
}

TEST(ServerPagination, ToolsListPagesWithCursors) {
    auto registry = std::make_shared<mcp::Registry>();
    for (int i = 0; i < 5; ++i)
        registry->add_tool(json{{"name", "t" + std::to_string(i)}, {"inputSchema", {{"type", "object"}}}},
                           [](const json&, mcp::ToolContext&) { return mcp::ToolResult::text(""); });
    mcp::ServerOptions o;
    o.page_size = 2;
    mcp::Server server(o, registry);
    auto session = std::make_shared<mcp::Session>("p");
    auto channel = std::make_shared<RecordingChannel>();
    handshake(server, session, channel, "2025-11-25");
    mcp::Incoming in{session, channel};

    std::vector<std::string> names;
    std::vector<size_t> page_sizes;
    json cursor;
    for (int page = 0; page < 10; ++page) {
        json params = json::object();
        if (!cursor.is_null()) params["cursor"] = cursor;
        auto o2 = server.handle(request(page, "tools/list", params), in);
        ASSERT_TRUE(o2.response && o2.response->contains("result")) << o2.response->dump();
        const json& result = (*o2.response)["result"];
        page_sizes.push_back(result["tools"].size());
        for (const auto& t : result["tools"]) names.push_back(t["name"]);
        if (!result.contains("nextCursor")) break;
        ASSERT_TRUE(result["nextCursor"].is_string());
        cursor = result["nextCursor"];
    }
    EXPECT_EQ(page_sizes, (std::vector<size_t>{2, 2, 1}));
    EXPECT_EQ(names, (std::vector<std::string>{"t0", "t1", "t2", "t3", "t4"}));

    for (const json& bad : {json("garbage"), json(2), json("o99"), json("o-1"), json(""), json("o"),
                            json::object()}) {
        auto o3 = server.handle(request(100, "tools/list", json{{"cursor", bad}}), in);
        ASSERT_TRUE(o3.response);
        ASSERT_TRUE(o3.response->contains("error")) << bad.dump() << " -> " << o3.response->dump();
        EXPECT_EQ((*o3.response)["error"]["code"], -32602) << bad.dump();
        EXPECT_EQ((*o3.response)["id"], 100);
    }
}

TEST(ServerPagination, PaginateHelper) {
    std::string next;
    auto [b, e] = mcp::paginate(5, json(), 2, next);
    EXPECT_EQ(b, 0u);
    EXPECT_EQ(e, 2u);
    EXPECT_FALSE(next.empty());
    auto [b2, e2] = mcp::paginate(5, json(next), 2, next);
    EXPECT_EQ(b2, 2u);
    EXPECT_EQ(e2, 4u);
    auto [b3, e3] = mcp::paginate(5, json(next), 2, next);
    EXPECT_EQ(b3, 4u);
    EXPECT_EQ(e3, 5u);
    EXPECT_TRUE(next.empty());
    auto [b4, e4] = mcp::paginate(0, json(), 2, next);
    EXPECT_EQ(b4, e4);
    EXPECT_TRUE(next.empty());
    EXPECT_THROW(mcp::paginate(5, json("zzz"), 2, next), mcp::RpcError);
}

TEST_F(ServerTest, ToolsListHonorsTheToolFilter) {
    registry->set_tool_filter([](const mcp::Tool& t, const std::any& principal) {
        if (t.name() != "fail") return true;
        auto* who = std::any_cast<std::string>(&principal);
        return who && *who == "admin";
    });
    init("2025-11-25");
    auto names = [&](std::any principal) {
        mcp::Incoming in{session, channel, nullptr, principal};
        auto o = server->handle(request(1, "tools/list"), in);
        std::set<std::string> out;
        for (const auto& t : (*o.response)["result"]["tools"]) out.insert(t["name"]);
        return out;
    };
    EXPECT_EQ(names(std::any{}).count("fail"), 0u);
    EXPECT_EQ(names(std::any(std::string("admin"))).count("fail"), 1u);
    // A hidden tool cannot be called either.
    auto o = server->handle(request(2, "tools/call", json{{"name", "fail"}}), legacy_in());
    EXPECT_EQ((*o.response)["error"]["code"], -32602);
}

TEST_F(ServerTest, UnknownToolIsInvalidParams) {
    init("2025-11-25");
    auto r = call_tool("does_not_exist");
    EXPECT_EQ(error_code(r), -32602);
    EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("does_not_exist"));
    r = legacy(request(2, "tools/call", json{{"arguments", json::object()}}));
    EXPECT_EQ(error_code(r), -32602) << "missing name";
    r = legacy(request(3, "tools/call", json{{"name", "echo"}, {"arguments", "text"}}));
    EXPECT_EQ(error_code(r), -32602) << "arguments must be an object";
}

TEST_F(ServerTest, ValidToolCallRunsTheHandler) {
    init("2025-11-25");
    auto r = call_tool("echo", {{"text", "hi there"}}, 42);
    EXPECT_EQ(r["id"], 42);
    EXPECT_EQ(first_text(r["result"]), "hi there");
    EXPECT_FALSE(r["result"].contains("isError"));
    EXPECT_EQ(probe->echo_calls.load(), 1);
}

TEST_F(ServerTest, InvalidArgumentsAreAnActionableToolErrorAndSkipTheHandler) {
    init("2025-11-25");
    auto r = call_tool("echo", {{"text", 5}});
    ASSERT_TRUE(r.contains("result")) << "validation failures are results, not JSON-RPC errors: " << r.dump();
    EXPECT_TRUE(r["result"]["isError"].get<bool>());
    std::string text = first_text(r["result"]);
    EXPECT_THAT(text, HasSubstr("echo"));
    EXPECT_THAT(text, HasSubstr("/text: expected string, got integer"));
    EXPECT_THAT(text, HasSubstr("inputSchema"));

    r = call_tool("echo", {{"text", "x"}, {"txet", "y"}});
    EXPECT_TRUE(r["result"]["isError"].get<bool>());
    EXPECT_THAT(first_text(r["result"]), HasSubstr("unknown property 'txet' (allowed: text)"));

    r = call_tool("echo", json::object());
    EXPECT_TRUE(r["result"]["isError"].get<bool>());
    EXPECT_THAT(first_text(r["result"]), HasSubstr("text"));
    EXPECT_EQ(probe->echo_calls.load(), 0) << "the handler must not run on invalid arguments";
}

TEST_F(ServerTest, MissingOrNullArgumentsAreAnEmptyObject) {
    init("2025-11-25");
    auto r = legacy(request(1, "tools/call", json{{"name", "noop"}}));
    EXPECT_EQ(first_text(r["result"]), "ok");
    r = legacy(request(2, "tools/call", json{{"name", "noop"}, {"arguments", nullptr}}));
    EXPECT_EQ(first_text(r["result"]), "ok");
}

TEST_F(ServerTest, HandlerExceptionBecomesIsErrorResult) {
    init("2025-11-25");
    auto r = call_tool("fail");
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_TRUE(r["result"]["isError"].get<bool>());
    EXPECT_THAT(first_text(r["result"]), HasSubstr("database unreachable"));
}

TEST_F(ServerTest, HandlerRpcErrorBecomesJsonRpcError) {
    init("2025-11-25");
    auto r = call_tool("rpc_fail", json::object(), 9);
    EXPECT_EQ(error_code(r), -32602);
    EXPECT_EQ(r["id"], 9);
}

TEST_F(ServerTest, StructuredContentWithTextForm) {
    init("2025-06-18");
    auto r = call_tool("sum", {{"a", 2}, {"b", 3}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_EQ(r["result"]["structuredContent"], (json{{"sum", 5}}));
    EXPECT_EQ(json::parse(first_text(r["result"])), (json{{"sum", 5}})) << "text mirrors the structured value";
    EXPECT_FALSE(r["result"].contains("isError"));
}

TEST_F(ServerTest, StructuredContentIsOmittedBefore2025_06_18) {
    init("2025-03-26");
    auto r = call_tool("sum", {{"a", 2}, {"b", 3}});
    EXPECT_FALSE(r["result"].contains("structuredContent"));
    EXPECT_EQ(json::parse(first_text(r["result"])), (json{{"sum", 5}}));
}

TEST_F(ServerTest, OutputSchemaViolationIsCaughtWhenValidating) {
    mcp::ServerOptions o;
    o.validate_output = true;
    make_server(o);
    init("2025-11-25");
    auto r = call_tool("bad_output");
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_TRUE(r["result"]["isError"].get<bool>());
    EXPECT_FALSE(r["result"].contains("structuredContent")) << "never ship a non-conforming value";
    EXPECT_THAT(first_text(r["result"]), HasSubstr("/sum"));
    // A conforming result passes.
    r = call_tool("sum", {{"a", 1}, {"b", 1}});
    EXPECT_EQ(r["result"]["structuredContent"]["sum"], 2);
}

// --- batches ------------------------------------------------------------------------------

TEST_F(ServerTest, BatchesAreAcceptedOn2025_03_26) {
    init("2025-03-26");
    json batch = json::array({request(1, "ping"), notification("notifications/initialized"),
                              request(2, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", "b"}}}})});
    auto o = server->handle(batch, legacy_in());
    ASSERT_TRUE(o.response);
    ASSERT_TRUE(o.response->is_array()) << o.response->dump();
    ASSERT_EQ(o.response->size(), 2u) << "one response per request, none for the notification";
    std::map<int, json> by_id;
    for (const auto& r : *o.response) by_id[r["id"].get<int>()] = r;
    EXPECT_EQ(by_id[1]["result"], json::object());
    EXPECT_EQ(first_text(by_id[2]["result"]), "b");
}

TEST_F(ServerTest, BatchOfNotificationsHasNoResponse) {
    init("2025-03-26");
    auto o = server->handle(json::array({notification("notifications/initialized")}), legacy_in());
    EXPECT_FALSE(o.response.has_value());
}

TEST_F(ServerTest, EmptyBatchAndBatchedInitializeAreInvalid) {
    init("2025-03-26");
    auto o = server->handle(json::array(), legacy_in());
    ASSERT_TRUE(o.response);
    EXPECT_EQ((*o.response)["error"]["code"], -32600);
    o = server->handle(json::array({request(7, "initialize", initialize_params("2025-03-26"))}), legacy_in());
    ASSERT_TRUE(o.response && o.response->is_array());
    EXPECT_EQ((*o.response)[0]["error"]["code"], -32600);
    EXPECT_EQ((*o.response)[0]["id"], 7);
}

class BatchRejected : public ServerTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(BatchRejected, OnOtherVersions) {
    init(GetParam());
    auto o = server->handle(json::array({request(1, "ping"), request(2, "ping")}), legacy_in());
    ASSERT_TRUE(o.response);
    ASSERT_TRUE(o.response->is_object()) << "one error, not a batch of answers: " << o.response->dump();
    EXPECT_EQ((*o.response)["error"]["code"], -32600);
    EXPECT_FALSE(o.response->contains("id"));
}

INSTANTIATE_TEST_SUITE_P(Legacy, BatchRejected, ::testing::Values("2024-11-05", "2025-06-18", "2025-11-25"));

TEST_F(ServerTest, BatchBeforeInitializeIsRejected) {
    auto o = server->handle(json::array({request(1, "ping")}), legacy_in());
    ASSERT_TRUE(o.response && o.response->is_object());
    EXPECT_EQ((*o.response)["error"]["code"], -32600);
}

// --- logging, progress, cancellation ------------------------------------------------------

std::vector<std::string> levels_of(const std::vector<json>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(m["params"]["level"]);
    return out;
}

TEST_F(ServerTest, SetLevelFiltersLogNotifications) {
    init("2025-11-25");
    auto r = legacy(request(1, "logging/setLevel", json{{"level", "warning"}}));
    EXPECT_EQ(r["result"], json::object()) << r.dump();
    channel->clear();
    call_tool("logs");
    auto logs = channel->with_method("notifications/message");
    EXPECT_EQ(levels_of(logs), (std::vector<std::string>{"warning", "error"}));
    ASSERT_EQ(logs.size(), 2u);
    EXPECT_EQ(logs[0]["params"]["data"], "w");
    EXPECT_EQ(logs[0]["params"]["logger"], "unit");
    EXPECT_EQ(logs[1]["params"]["data"], (json{{"e", 1}}));

    legacy(request(2, "logging/setLevel", json{{"level", "debug"}}));
    channel->clear();
    call_tool("logs");
    EXPECT_EQ(levels_of(channel->with_method("notifications/message")),
              (std::vector<std::string>{"debug", "info", "warning", "error"}));

    legacy(request(3, "logging/setLevel", json{{"level", "emergency"}}));
    channel->clear();
    call_tool("logs");
    EXPECT_TRUE(channel->with_method("notifications/message").empty());
}

TEST_F(ServerTest, SetLevelRejectsUnknownLevels) {
    init("2025-11-25");
    EXPECT_EQ(error_code(legacy(request(1, "logging/setLevel", json{{"level", "verbose"}}))), -32602);
    EXPECT_EQ(error_code(legacy(request(2, "logging/setLevel", json::object()))), -32602);
    EXPECT_EQ(error_code(legacy(request(3, "logging/setLevel", json{{"level", 3}}))), -32602);
}

TEST_F(ServerTest, ProgressNotificationsCarryTheToken) {
    init("2025-11-25");
    channel->clear();
    auto r = legacy(request(1, "tools/call",
                            json{{"name", "progress"}, {"_meta", {{"progressToken", "tok-1"}}}}));
    EXPECT_EQ(first_text(r["result"]), "progressed");
    auto p = channel->with_method("notifications/progress");
    ASSERT_EQ(p.size(), 3u);
    for (const auto& n : p) EXPECT_EQ(n["params"]["progressToken"], "tok-1");
    EXPECT_EQ(p[0]["params"]["progress"], 1);
    EXPECT_EQ(p[0]["params"]["total"], 3);
    EXPECT_EQ(p[0]["params"]["message"], "one");
    EXPECT_EQ(p[1]["params"]["progress"], 2);
    EXPECT_EQ(p[2]["params"]["progress"], 3);
    EXPECT_FALSE(p[2]["params"].contains("total"));

    channel->clear();
    legacy(request(2, "tools/call", json{{"name", "progress"}, {"_meta", {{"progressToken", 77}}}}));
    p = channel->with_method("notifications/progress");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0]["params"]["progressToken"], 77);
}

TEST_F(ServerTest, NoProgressWithoutAToken) {
    init("2025-11-25");
    channel->clear();
    call_tool("progress");
    EXPECT_TRUE(channel->with_method("notifications/progress").empty());
}

TEST_F(ServerTest, CancelledCallStopsAndIsNotAnswered) {
    init("2025-11-25");
    auto fut = std::async(std::launch::async, [&] {
        return server->handle(request("call-7", "tools/call", json{{"name", "slow"}}), legacy_in());
    });
    ASSERT_TRUE(probe->slow_started.wait());
    auto n = server->handle(notification("notifications/cancelled", json{{"requestId", "call-7"}, {"reason", "user"}}),
                            legacy_in());
    EXPECT_FALSE(n.response.has_value());
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready);
    mcp::Outcome o = fut.get();
    EXPECT_TRUE(probe->slow_saw_cancel.load()) << "the handler must see the cancellation";
    EXPECT_FALSE(o.response.has_value()) << "a cancelled call is not answered: " << o.response->dump();
}

TEST_F(ServerTest, CancellingAnotherIdLeavesTheCallAlone) {
    init("2025-11-25");
    auto fut = std::async(std::launch::async, [&] {
        return server->handle(request(8, "tools/call", json{{"name", "slow"}}), legacy_in());
    });
    ASSERT_TRUE(probe->slow_started.wait());
    server->handle(notification("notifications/cancelled", json{{"requestId", 9}}), legacy_in());
    server->handle(notification("notifications/cancelled", json{{"requestId", "8"}}), legacy_in());
    probe->slow_release = true;
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready);
    mcp::Outcome o = fut.get();
    EXPECT_FALSE(probe->slow_saw_cancel.load());
    ASSERT_TRUE(o.response.has_value());
    EXPECT_EQ(first_text((*o.response)["result"]), "slow done");
}

TEST_F(ServerTest, CancellationOfAFinishedCallIsHarmless) {
    init("2025-11-25");
    call_tool("noop", json::object(), 5);
    auto n = server->handle(notification("notifications/cancelled", json{{"requestId", 5}}), legacy_in());
    EXPECT_FALSE(n.response.has_value());
    EXPECT_EQ(first_text(call_tool("noop", json::object(), 6)["result"]), "ok") << "later calls are unaffected";
}

TEST_F(ServerTest, CancellationThatOvertakesItsRequestStillCancelsIt) {
    // A worker-pool transport may dispatch notifications/cancelled before the call it cancels.
    init("2025-11-25");
    server->handle(notification("notifications/cancelled", json{{"requestId", "early"}}), legacy_in());
    auto o = server->handle(request("early", "tools/call", json{{"name", "slow"}}), legacy_in());
    EXPECT_TRUE(probe->slow_saw_cancel.load());
    EXPECT_FALSE(o.response.has_value()) << o.response->dump();
}

// --- server-to-client requests ------------------------------------------------------------

TEST_F(ServerTest, SamplingNeedsTheClientCapability) {
    init("2025-11-25");
    auto r = call_tool("sample");
    ASSERT_TRUE(r.contains("error")) << r.dump();
    EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("sampling"));
    EXPECT_TRUE(channel->with_method("sampling/createMessage").empty()) << "nothing may be sent";
}

TEST_F(ServerTest, SamplingRoundTripThroughTheSession) {
    init("2025-11-25", json{{"sampling", json::object()}});
    channel->clear();
    auto fut = std::async(std::launch::async, [&] { return call_tool("sample", json::object(), 11); });
    ASSERT_TRUE(channel->wait_for_count(1));
    auto reqs = channel->with_method("sampling/createMessage");
    ASSERT_EQ(reqs.size(), 1u);
    ASSERT_TRUE(reqs[0].contains("id"));
    auto o = server->handle(json{{"jsonrpc", "2.0"},
                                 {"id", reqs[0]["id"]},
                                 {"result", {{"role", "assistant"}, {"content", {{"type", "text"}, {"text", "42"}}}}}},
                            legacy_in());
    EXPECT_FALSE(o.response.has_value());
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready);
    EXPECT_EQ(first_text(fut.get()["result"]), "model said 42");
}

TEST_F(ServerTest, MrtrInputIsUnavailableInLegacySessions) {
    init("2025-11-25");
    auto r = call_tool("ask");
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_TRUE(r["result"]["isError"].get<bool>());
    EXPECT_FALSE(r["result"].contains("resultType"));
}

// --- resources, prompts, completion -------------------------------------------------------

TEST_F(ServerTest, ResourcesListReadAndTemplates) {
    init("2025-11-25");
    auto list = legacy(request(1, "resources/list"))["result"];
    ASSERT_EQ(list["resources"].size(), 1u);
    EXPECT_EQ(list["resources"][0]["uri"], "test://static");
    EXPECT_FALSE(list.contains("resultType")) << "legacy results carry no resultType";
    EXPECT_FALSE(list.contains("ttlMs"));
    auto tpls = legacy(request(2, "resources/templates/list"))["result"];
    ASSERT_EQ(tpls["resourceTemplates"].size(), 1u);
    EXPECT_EQ(tpls["resourceTemplates"][0]["uriTemplate"], "test://items/{id}");

    auto read = legacy(request(3, "resources/read", json{{"uri", "test://static"}}))["result"];
    ASSERT_EQ(read["contents"].size(), 1u);
    EXPECT_EQ(read["contents"][0]["text"], "hello");
    auto item = legacy(request(4, "resources/read", json{{"uri", "test://items/42"}}))["result"];
    EXPECT_EQ(item["contents"][0]["text"], "item 42");
    EXPECT_EQ(item["contents"][0]["uri"], "test://items/42");
}

TEST_F(ServerTest, ResourceNotFoundIsMinus32002InLegacyEra) {
    init("2025-11-25");
    auto r = legacy(request(1, "resources/read", json{{"uri", "test://missing"}}));
    EXPECT_EQ(error_code(r), -32002);
    EXPECT_EQ(r["error"]["data"]["uri"], "test://missing");
    EXPECT_EQ(r["id"], 1);
    EXPECT_EQ(error_code(legacy(request(2, "resources/read", json::object()))), -32602) << "uri required";
}

TEST_F(ServerTest, SubscribeDeliversUpdatesToTheSessionStream) {
    auto standalone = std::make_shared<RecordingChannel>();
    session->set_standalone(standalone);
    server->attach_session(session);
    init("2025-11-25");
    EXPECT_EQ(legacy(request(1, "resources/subscribe", json{{"uri", "test://static"}}))["result"], json::object());
    server->notify_resource_updated("test://static");
    server->notify_resource_updated("test://other");
    auto updated = standalone->with_method("notifications/resources/updated");
    ASSERT_EQ(updated.size(), 1u);
    EXPECT_EQ(updated[0]["params"]["uri"], "test://static");

    EXPECT_EQ(legacy(request(2, "resources/unsubscribe", json{{"uri", "test://static"}}))["result"], json::object());
    server->notify_resource_updated("test://static");
    EXPECT_EQ(standalone->with_method("notifications/resources/updated").size(), 1u);

    server->notify_tools_changed();
    server->notify_prompts_changed();
    server->notify_resources_changed();
    EXPECT_EQ(standalone->with_method("notifications/tools/list_changed").size(), 1u);
    EXPECT_EQ(standalone->with_method("notifications/prompts/list_changed").size(), 1u);
    EXPECT_EQ(standalone->with_method("notifications/resources/list_changed").size(), 1u);
    server->detach_session(session->id());
}

TEST_F(ServerTest, ListChangedSkipsSessionsBeforeHandshake) {
    auto standalone = std::make_shared<RecordingChannel>();
    session->set_standalone(standalone);
    server->attach_session(session);
    server->notify_tools_changed();
    EXPECT_TRUE(standalone->messages().empty());
    server->detach_session(session->id());
}

TEST_F(ServerTest, PromptsListAndGet) {
    init("2025-11-25");
    auto list = legacy(request(1, "prompts/list"))["result"];
    ASSERT_EQ(list["prompts"].size(), 1u);
    EXPECT_EQ(list["prompts"][0]["name"], "greet");

    auto got = legacy(request(2, "prompts/get", json{{"name", "greet"}, {"arguments", {{"name", "Ada"}}}}));
    ASSERT_TRUE(got.contains("result")) << got.dump();
    EXPECT_EQ(got["result"]["messages"][0]["content"]["text"], "Hello Ada");
    got = legacy(request(3, "prompts/get",
                         json{{"name", "greet"}, {"arguments", {{"name", "Ada"}, {"tone", "warm"}}}}));
    EXPECT_EQ(got["result"]["messages"][0]["content"]["text"], "Hello Ada (warm)");
}

TEST_F(ServerTest, PromptsGetErrors) {
    init("2025-11-25");
    auto r = legacy(request(1, "prompts/get", json{{"name", "nope"}}));
    EXPECT_EQ(error_code(r), -32602);
    r = legacy(request(2, "prompts/get", json{{"name", "greet"}}));
    EXPECT_EQ(error_code(r), -32602);
    EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("name")) << "names the missing argument";
    r = legacy(request(3, "prompts/get", json{{"name", "greet"}, {"arguments", {{"name", 5}}}}));
    EXPECT_EQ(error_code(r), -32602);
    r = legacy(request(4, "prompts/get", json::object()));
    EXPECT_EQ(error_code(r), -32602);
}

TEST_F(ServerTest, CompletionComplete) {
    init("2025-11-25");
    auto r = legacy(request(1, "completion/complete",
                            json{{"ref", {{"type", "ref/prompt"}, {"name", "greet"}}},
                                 {"argument", {{"name", "name"}, {"value", "al"}}}}));
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_EQ(r["result"]["completion"]["values"], (json{"alice", "albert"}));
    EXPECT_EQ(r["result"]["completion"]["total"], 2);
    EXPECT_FALSE(r["result"]["completion"]["hasMore"].get<bool>());

    r = legacy(request(2, "completion/complete",
                       json{{"ref", {{"type", "ref/resource"}, {"uri", "test://items/{id}"}}},
                            {"argument", {{"name", "id"}, {"value", ""}}},
                            {"context", {{"arguments", {{"hint", "h"}}}}}}));
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_EQ(r["result"]["completion"]["values"].size(), 100u) << "at most 100 values";
    EXPECT_EQ(r["result"]["completion"]["values"][0], "h") << "context.arguments reach the completer";
    EXPECT_EQ(r["result"]["completion"]["total"], 151);
    EXPECT_TRUE(r["result"]["completion"]["hasMore"].get<bool>());

    r = legacy(request(3, "completion/complete",
                       json{{"ref", {{"type", "ref/prompt"}, {"name", "greet"}}},
                            {"argument", {{"name", "tone"}, {"value", "x"}}}}));
    EXPECT_EQ(r["result"]["completion"]["values"], json::array()) << "no completer: no values";
}

TEST_F(ServerTest, CompletionErrors) {
    init("2025-11-25");
    auto r = legacy(request(1, "completion/complete",
                            json{{"ref", {{"type", "ref/prompt"}, {"name", "nope"}}},
                                 {"argument", {{"name", "name"}, {"value", ""}}}}));
    EXPECT_EQ(error_code(r), -32602);
    r = legacy(request(2, "completion/complete",
                       json{{"ref", {{"type", "ref/tool"}, {"name", "echo"}}},
                            {"argument", {{"name", "x"}, {"value", ""}}}}));
    EXPECT_EQ(error_code(r), -32602);
    r = legacy(request(3, "completion/complete", json{{"ref", {{"type", "ref/prompt"}, {"name", "greet"}}}}));
    EXPECT_EQ(error_code(r), -32602);
}

TEST_F(ServerTest, CapabilitiesDifferByEra) {
    auto legacy_caps = server->capabilities(false);
    auto modern_caps = server->capabilities(true);
    EXPECT_TRUE(legacy_caps.contains("tasks"));
    EXPECT_FALSE(modern_caps.contains("tasks"));
    EXPECT_TRUE(modern_caps["tools"]["listChanged"].get<bool>());
}

TEST_F(ServerTest, ExpireSessionsClosesIdleOnes) {
    auto s = server->create_session();
    EXPECT_EQ(server->session_count(), 1u);
    server->expire_sessions(std::chrono::seconds(3600));
    EXPECT_EQ(server->session_count(), 1u) << "not idle long enough";
    server->expire_sessions(std::chrono::seconds(-1));
    EXPECT_EQ(server->session_count(), 0u);
    EXPECT_TRUE(s->closed());
}

TEST_F(ServerTest, CloseSessionCancelsItsCalls) {
    auto s = server->create_session();
    handshake(*server, s, channel, "2025-11-25");
    auto fut = std::async(std::launch::async, [&] {
        return server->handle(request(1, "tools/call", json{{"name", "slow"}}), mcp::Incoming{s, channel});
    });
    ASSERT_TRUE(probe->slow_started.wait());
    server->close_session(s->id());
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready);
    fut.get();
    EXPECT_TRUE(probe->slow_saw_cancel.load());
    EXPECT_EQ(server->find_session(s->id()), nullptr);
}

}  // namespace
}  // namespace mcp_test
