// The tasks extension end to end through Server::handle (2026-07-28 requests, no sockets):
// negotiation, task creation, tasks/get|update|cancel, input rounds, MRTR-then-task, TTL,
// ownership, notifications/tasks, and the 2025-11-25 experimental tasks still working.
// No wall-clock assertions: waits are bounded polls that only turn a hang into a failure.
#include "mcp/context.hpp"
#include "mcp/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace {

using mcp::json;
using mcp::ToolContext;
using mcp::ToolResult;
using namespace std::chrono_literals;

constexpr const char* kExt = "io.modelcontextprotocol/tasks";

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) return pred();
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

class Recorder : public mcp::Channel {
public:
    bool send(const json& m) override {
        std::lock_guard lock(mu_);
        if (!open_) return false;
        messages_.push_back(m);
        return true;
    }
    bool open() const override {
        std::lock_guard lock(mu_);
        return open_;
    }
    void close() {
        std::lock_guard lock(mu_);
        open_ = false;
    }
    std::vector<json> with_method(const std::string& method) const {
        std::lock_guard lock(mu_);
        std::vector<json> out;
        for (const auto& m : messages_)
            if (m.value("method", "") == method) out.push_back(m);
        return out;
    }

private:
    mutable std::mutex mu_;
    bool open_ = true;
    std::vector<json> messages_;
};

json schema() { return json{{"type", "object"}, {"properties", json::object()}}; }

json def(const std::string& name, const char* task_support = nullptr) {
    json d{{"name", name}, {"description", name}, {"inputSchema", schema()}};
    if (task_support) d["execution"] = {{"taskSupport", task_support}};
    return d;
}

json elicit(const std::string& message) {
    return json{{"method", "elicitation/create"},
                {"params",
                 {{"message", message},
                  {"requestedSchema",
                   {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}}}}};
}

std::string answered_name(const json& responses, const std::string& key) {
    if (!responses.is_object() || !responses.contains(key)) return {};
    return responses[key].value("content", json::object()).value("name", "");
}

json accept(const std::string& name) {
    return json{{"action", "accept"}, {"content", {{"name", name}}}};
}

class TasksServer : public ::testing::Test {
protected:
    void SetUp() override { make_server({}); }

    void make_server(mcp::ServerOptions options) {
        server_.reset();
        registry_ = std::make_shared<mcp::Registry>();
        auto& r = *registry_;
        r.add_tool(def("sync_tool"), [](const json&, ToolContext&) { return ToolResult::text("sync"); });
        r.add_tool(def("quick", "optional"), [](const json&, ToolContext& ctx) {
            return ToolResult::text(ctx.in_task() ? "quick in task" : "quick sync");
        });
        // Runs until the test releases it or the task is cancelled.
        r.add_tool(def("job", "optional"), [this](const json&, ToolContext& ctx) {
            ++job_started_;
            while (!release_.load() && !ctx.cancelled()) std::this_thread::sleep_for(1ms);
            if (ctx.cancelled()) {
                ++job_saw_cancel_;
                return ToolResult::text("stopped");
            }
            return ToolResult::text("job done");
        });
        r.add_tool(def("tool_error", "required"),
                   [](const json&, ToolContext&) { return ToolResult::error("it went wrong"); });
        r.add_tool(def("rpc_error", "optional"), [](const json&, ToolContext&) -> ToolResult {
            throw mcp::RpcError(mcp::ErrorCode::kInternalError, "backend exploded");
        });
        // Two questions at once.
        r.add_tool(def("pair", "optional"), [](const json&, ToolContext& ctx) {
            std::string a = answered_name(ctx.input_responses(), "a");
            std::string b = answered_name(ctx.input_responses(), "b");
            if (a.empty() || b.empty()) ctx.require_input(json{{"a", elicit("A?")}, {"b", elicit("B?")}});
            return ToolResult::text("a=" + a + " b=" + b);
        });
        // Asks under the same key twice, carrying the first answer in its state.
        r.add_tool(def("ask_twice", "optional"), [](const json&, ToolContext& ctx) {
            std::string q = answered_name(ctx.input_responses(), "q");
            const auto& state = ctx.request_state();
            if (!state) {
                if (q.empty()) ctx.require_input(json{{"q", elicit("First?")}});
                ctx.require_input(json{{"q", elicit("Second?")}}, json{{"first", q}});
            }
            if (q.empty()) ctx.require_input(json{{"q", elicit("Second?")}}, *state);
            return ToolResult::text("answers: " + state->value("first", "") + ", " + q);
        });
        // MRTR first (synchronously), then the rest as a task.
        r.add_tool(
            def("mrtr_then_task", "required"),
            [](const json&, ToolContext& ctx) {
                std::string name = answered_name(ctx.input_responses(), "user_name");
                if (name.empty()) ctx.require_input(json{{"user_name", elicit("Name?")}}, json{{"step", 1}});
                EXPECT_FALSE(ctx.in_task());
                ctx.continue_as_task();
                EXPECT_TRUE(ctx.in_task());
                ctx.continue_as_task();  // idempotent
                return ToolResult::text("Hello, " + name);
            },
            {}, mcp::TaskStart::kInHandler);
        options.name = "tasks-test";
        server_ = std::make_unique<mcp::Server>(std::move(options), registry_);
    }

    void TearDown() override {
        release_.store(true);
        server_.reset();
    }

    /// A 2026-07-28 request; `tasks` declares the extension in its client capabilities.
    json request(const std::string& method, json params, bool tasks = true, json extra_caps = json::object()) {
        json caps = std::move(extra_caps);
        if (tasks) caps["extensions"][kExt] = json::object();
        params["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2026-07-28";
        params["_meta"]["io.modelcontextprotocol/clientCapabilities"] = caps;
        return json{{"jsonrpc", "2.0"}, {"id", ++next_id_}, {"method", method}, {"params", params}};
    }

    mcp::Outcome handle(const json& msg, std::any principal = {},
                        std::shared_ptr<mcp::Channel> channel = nullptr,
                        const mcp::HeaderMap* headers = nullptr) {
        mcp::Incoming in{nullptr, std::move(channel), headers, std::move(principal), true};
        return server_->handle(msg, in);
    }

    /// The result of a successful request (fails the test on an error response).
    json ok(const json& msg, std::any principal = {}) {
        auto o = handle(msg, std::move(principal));
        EXPECT_TRUE(o.response);
        if (!o.response) return json::object();
        EXPECT_FALSE(o.response->contains("error")) << o.response->dump();
        return o.response->value("result", json::object());
    }

    /// The error of a failed request (fails the test on a result).
    json err(const json& msg, std::any principal = {}) {
        auto o = handle(msg, std::move(principal));
        EXPECT_TRUE(o.response);
        if (!o.response) return json::object();
        EXPECT_TRUE(o.response->contains("error")) << o.response->dump();
        return o.response->value("error", json::object());
    }

    json call_tool(const std::string& name, bool tasks = true, json extra = json::object()) {
        extra["name"] = name;
        extra["arguments"] = json::object();
        return ok(request("tools/call", extra, tasks, json{{"elicitation", json::object()}}));
    }

    json get(const std::string& id) { return ok(request("tasks/get", {{"taskId", id}})); }

    json wait_status(const std::string& id, const std::string& status) {
        json last;
        EXPECT_TRUE(eventually([&] {
            last = get(id);
            return last["status"] == status;
        })) << "task " << id << " never reached " << status << "; last: " << last.dump();
        return last;
    }

    std::shared_ptr<mcp::Registry> registry_;
    std::unique_ptr<mcp::Server> server_;
    std::atomic<bool> release_{false};
    std::atomic<int> job_started_{0};
    std::atomic<int> job_saw_cancel_{0};
    int next_id_ = 0;
};

TEST_F(TasksServer, DiscoverAdvertisesTheExtensionNotTheLegacySlot) {
    json r = ok(request("server/discover", json::object(), false));
    ASSERT_TRUE(r["capabilities"].contains("extensions"));
    EXPECT_TRUE(r["capabilities"]["extensions"].contains(kExt));
    EXPECT_FALSE(r["capabilities"].contains("tasks"));
}

TEST_F(TasksServer, ExtensionCanBeTurnedOff) {
    mcp::ServerOptions o;
    o.task_extension.enabled = false;
    make_server(o);
    json r = ok(request("server/discover", json::object(), false));
    EXPECT_FALSE(r["capabilities"].contains("extensions"));
    EXPECT_EQ(call_tool("quick")["resultType"], "complete");
    EXPECT_EQ(err(request("tasks/get", {{"taskId", "x"}}))["code"], -32601);
}

TEST_F(TasksServer, TaskMethodsNeedTheDeclaredExtension) {
    for (const auto& [method, params] :
         std::vector<std::pair<std::string, json>>{{"tasks/get", {{"taskId", "t"}}},
                                                   {"tasks/update", {{"taskId", "t"}, {"inputResponses", json::object()}}},
                                                   {"tasks/cancel", {{"taskId", "t"}}}}) {
        json e = err(request(method, params, false));
        EXPECT_EQ(e["code"], -32021) << method;
        EXPECT_TRUE(e["data"]["requiredCapabilities"]["extensions"].contains(kExt)) << method;
        EXPECT_EQ(err(request(method, params, true))["code"], -32602) << method << ": unknown id";
    }
    EXPECT_EQ(err(request("tasks/get", json::object()))["code"], -32602) << "taskId is required";
    EXPECT_EQ(err(request("tasks/result", {{"taskId", "t"}}))["code"], -32601) << "removed in v2";
    EXPECT_EQ(err(request("tasks/list", json::object()))["code"], -32601) << "removed in v2";
}

TEST_F(TasksServer, ToolsRunSynchronouslyUnlessTheClientDeclaresTheExtension) {
    json sync = call_tool("quick", false);
    EXPECT_EQ(sync["resultType"], "complete");
    EXPECT_FALSE(sync.contains("taskId"));
    EXPECT_EQ(sync["content"][0]["text"], "quick sync");

    json forbidden = call_tool("sync_tool", true, json{{"task", {{"ttl", 60000}}}});
    EXPECT_EQ(forbidden["resultType"], "complete") << "a legacy task hint never promotes a sync tool";
    EXPECT_FALSE(forbidden.contains("taskId"));

    json created = call_tool("quick");
    EXPECT_EQ(created["resultType"], "task");
    ASSERT_TRUE(created["taskId"].is_string());
    EXPECT_FALSE(created.contains("task")) << "flat, no v1 wrapper";
    for (const char* absent : {"result", "error", "inputRequests", "requestState", "ttl", "pollInterval"})
        EXPECT_FALSE(created.contains(absent)) << absent;
    EXPECT_TRUE(created["ttlMs"].is_number_integer());
    EXPECT_GT(created["ttlMs"].get<int64_t>(), 0);
    EXPECT_TRUE(created["pollIntervalMs"].is_number_integer());
    json done = wait_status(created["taskId"], "completed");
    EXPECT_EQ(done["resultType"], "complete");
    EXPECT_EQ(done["result"]["content"][0]["text"], "quick in task");
    EXPECT_FALSE(done["result"].contains("_meta")) << "no related-task meta on the inlined result";
}

TEST_F(TasksServer, RequiredToolsRefuseClientsWithoutTheExtension) {
    json e = err(request("tools/call", {{"name", "tool_error"}, {"arguments", json::object()}}, false));
    EXPECT_EQ(e["code"], -32021);
    EXPECT_TRUE(e["data"]["requiredCapabilities"]["extensions"].contains(kExt));
    auto o = handle(request("tools/call", {{"name", "tool_error"}, {"arguments", json::object()}}, false));
    EXPECT_EQ(o.http_status, 400);
}

TEST_F(TasksServer, WorkingTaskIsVisibleAtOnceAndCompletes) {
    json created = call_tool("job");
    const std::string id = created["taskId"];
    json working = get(id);  // durable before the CreateTaskResult
    EXPECT_EQ(working["taskId"], id);
    EXPECT_EQ(working["status"], "working");
    EXPECT_FALSE(working.contains("result"));
    release_.store(true);
    EXPECT_EQ(wait_status(id, "completed")["result"]["content"][0]["text"], "job done");
}

TEST_F(TasksServer, ToolErrorsCompleteAndProtocolErrorsFail) {
    json tool_error = wait_status(call_tool("tool_error")["taskId"], "completed");
    EXPECT_EQ(tool_error["result"]["isError"], true);

    json failed = wait_status(call_tool("rpc_error")["taskId"], "failed");
    EXPECT_EQ(failed["error"]["code"], -32603);
    EXPECT_EQ(failed["error"]["message"], "backend exploded");
    EXPECT_FALSE(failed.contains("result"));
}

TEST_F(TasksServer, CancelStopsTheWorkAndIsIdempotent) {
    const std::string id = call_tool("job")["taskId"];
    ASSERT_TRUE(eventually([&] { return job_started_.load() == 1; }));
    json ack = ok(request("tasks/cancel", {{"taskId", id}}));
    EXPECT_EQ(ack["resultType"], "complete");
    for (const char* absent : {"taskId", "status", "result", "error", "inputRequests"})
        EXPECT_FALSE(ack.contains(absent)) << absent;
    EXPECT_EQ(get(id)["status"], "cancelled");
    EXPECT_TRUE(eventually([&] { return job_saw_cancel_.load() == 1; })) << "the handler is told to stop";
    EXPECT_EQ(get(id)["status"], "cancelled") << "the late outcome is dropped";

    json again = ok(request("tasks/cancel", {{"taskId", id}}));
    EXPECT_EQ(again["resultType"], "complete");
    EXPECT_FALSE(again.contains("status"));

    const std::string finished = call_tool("quick")["taskId"];
    wait_status(finished, "completed");
    EXPECT_EQ(ok(request("tasks/cancel", {{"taskId", finished}}))["resultType"], "complete");
    EXPECT_EQ(get(finished)["status"], "completed") << "cancelling a terminal task changes nothing";
}

TEST_F(TasksServer, InputRoundsAcceptPartialAnswers) {
    const std::string id = call_tool("pair")["taskId"];
    json parked = wait_status(id, "input_required");
    ASSERT_TRUE(parked["inputRequests"].contains("a"));
    ASSERT_TRUE(parked["inputRequests"].contains("b"));
    EXPECT_EQ(parked["inputRequests"]["a"]["method"], "elicitation/create");

    json ack = ok(request("tasks/update", {{"taskId", id}, {"inputResponses", {{"a", accept("Ann")}}}}));
    EXPECT_EQ(ack["resultType"], "complete");
    EXPECT_FALSE(ack.contains("status"));
    json partial = get(id);
    EXPECT_EQ(partial["status"], "input_required");
    EXPECT_FALSE(partial["inputRequests"].contains("a")) << "answered keys leave";
    EXPECT_TRUE(partial["inputRequests"].contains("b"));

    // Keys that are not outstanding are ignored.
    ok(request("tasks/update", {{"taskId", id}, {"inputResponses", {{"a", accept("Other")}, {"zzz", accept("?")}}}}));
    EXPECT_EQ(get(id)["status"], "input_required");
    EXPECT_EQ(err(request("tasks/update", {{"taskId", id}, {"inputResponses", json::array()}}))["code"], -32602);
    EXPECT_EQ(err(request("tasks/update", {{"taskId", id}}))["code"], -32602);

    ok(request("tasks/update", {{"taskId", id}, {"inputResponses", {{"b", accept("Bob")}}}}));
    EXPECT_EQ(wait_status(id, "completed")["result"]["content"][0]["text"], "a=Ann b=Bob");
}

TEST_F(TasksServer, InputKeysAreUniqueOverTheTaskLifetime) {
    const std::string id = call_tool("ask_twice")["taskId"];
    json first = wait_status(id, "input_required");
    ASSERT_TRUE(first["inputRequests"].contains("q"));
    ok(request("tasks/update", {{"taskId", id}, {"inputResponses", {{"q", accept("one")}}}}));

    std::string second_key;
    ASSERT_TRUE(eventually([&] {
        json t = get(id);
        if (t["status"] != "input_required" || t["inputRequests"].contains("q")) return false;
        second_key = t["inputRequests"].begin().key();
        return true;
    }));
    EXPECT_NE(second_key, "q") << "the handler's repeated key gets a fresh wire key";
    ok(request("tasks/update", {{"taskId", id}, {"inputResponses", {{"q", accept("stale")}}}}));
    EXPECT_EQ(get(id)["status"], "input_required") << "an answer under the used key is ignored";
    ok(request("tasks/update", {{"taskId", id}, {"inputResponses", {{second_key, accept("two")}}}}));
    EXPECT_EQ(wait_status(id, "completed")["result"]["content"][0]["text"], "answers: one, two");
}

TEST_F(TasksServer, CancelWhileWaitingForInput) {
    const std::string id = call_tool("pair")["taskId"];
    wait_status(id, "input_required");
    ok(request("tasks/cancel", {{"taskId", id}}));
    json t = get(id);
    EXPECT_EQ(t["status"], "cancelled");
    EXPECT_FALSE(t.contains("inputRequests"));
    ok(request("tasks/update", {{"taskId", id}, {"inputResponses", {{"a", accept("late")}}}}));
    EXPECT_EQ(get(id)["status"], "cancelled");
}

TEST_F(TasksServer, MrtrRoundsHappenBeforeTheTaskExists) {
    json round1 = call_tool("mrtr_then_task");
    EXPECT_EQ(round1["resultType"], "input_required");
    EXPECT_FALSE(round1.contains("taskId"));
    ASSERT_TRUE(round1["inputRequests"].contains("user_name"));
    ASSERT_TRUE(round1["requestState"].is_string()) << "sealed like any MRTR state";

    json round2 = call_tool("mrtr_then_task", true,
                            json{{"inputResponses", {{"user_name", accept("Alice")}}},
                                 {"requestState", round1["requestState"]}});
    EXPECT_EQ(round2["resultType"], "task");
    EXPECT_FALSE(round2.contains("requestState"));
    EXPECT_FALSE(round2.contains("inputRequests"));
    EXPECT_EQ(wait_status(round2["taskId"], "completed")["result"]["content"][0]["text"], "Hello, Alice");
}

TEST_F(TasksServer, ExpiredTasksAreGone) {
    mcp::ServerOptions o;
    o.task_extension.ttl = 50ms;
    make_server(o);
    json created = call_tool("quick");
    EXPECT_EQ(created["ttlMs"], 50);
    const std::string id = created["taskId"];
    EXPECT_TRUE(eventually([&] {
        auto out = handle(request("tasks/get", {{"taskId", id}}));
        return out.response && out.response->contains("error") &&
               (*out.response)["error"]["code"] == -32602;
    })) << "after its TTL the task is unknown";
}

TEST_F(TasksServer, StoreLimitIsAnError) {
    mcp::ServerOptions o;
    o.task_extension.max_tasks = 1;
    make_server(o);
    call_tool("job");
    json e = err(request("tools/call", {{"name", "job"}, {"arguments", json::object()}}));
    EXPECT_EQ(e["code"], -32603);
}

TEST_F(TasksServer, TasksBelongToTheirOwner) {
    mcp::ServerOptions o;
    o.task_owner = [](const std::any& p) {
        return p.has_value() ? std::any_cast<std::string>(p) : std::string();
    };
    make_server(o);
    json created = ok(request("tools/call", {{"name", "job"}, {"arguments", json::object()}}),
                      std::string("key-a"));
    const std::string id = created["taskId"];
    EXPECT_EQ(ok(request("tasks/get", {{"taskId", id}}), std::string("key-a"))["status"], "working");
    for (const auto& [method, params] :
         std::vector<std::pair<std::string, json>>{{"tasks/get", {{"taskId", id}}},
                                                   {"tasks/update", {{"taskId", id}, {"inputResponses", json::object()}}},
                                                   {"tasks/cancel", {{"taskId", id}}}})
        EXPECT_EQ(err(request(method, params), std::string("key-b"))["code"], -32602) << method;
    EXPECT_EQ(ok(request("tasks/get", {{"taskId", id}}), std::string("key-a"))["status"], "working");
}

TEST_F(TasksServer, RoutingHeaderMustNameTheTask) {
    const std::string id = call_tool("job")["taskId"];
    mcp::HeaderMap good{{"mcp-protocol-version", "2026-07-28"}, {"mcp-method", "tasks/get"}, {"mcp-name", id}};
    auto o = handle(request("tasks/get", {{"taskId", id}}), {}, nullptr, &good);
    ASSERT_TRUE(o.response);
    EXPECT_EQ((*o.response)["result"]["taskId"], id);

    mcp::HeaderMap wrong{{"mcp-protocol-version", "2026-07-28"}, {"mcp-method", "tasks/get"}, {"mcp-name", "other"}};
    o = handle(request("tasks/get", {{"taskId", id}}), {}, nullptr, &wrong);
    ASSERT_TRUE(o.response);
    EXPECT_EQ((*o.response)["error"]["code"], -32020);
    EXPECT_EQ(o.http_status, 400);
}

TEST_F(TasksServer, StatusNotificationsOnSubscriptionsListen) {
    const std::string id = call_tool("job")["taskId"];
    auto refused = handle(request("subscriptions/listen", {{"notifications", {{"taskIds", {id}}}}}, false), {},
                          std::make_shared<Recorder>());
    ASSERT_TRUE(refused.response);
    EXPECT_EQ((*refused.response)["error"]["code"], -32021) << "taskIds need the extension";

    auto channel = std::make_shared<Recorder>();
    std::thread listener([&] {
        handle(request("subscriptions/listen", {{"notifications", {{"taskIds", {id, "unknown"}}}}}), {}, channel);
    });
    ASSERT_TRUE(eventually([&] { return !channel->with_method("notifications/subscriptions/acknowledged").empty(); }));
    json ackd = channel->with_method("notifications/subscriptions/acknowledged")[0];
    EXPECT_EQ(ackd["params"]["notifications"]["taskIds"], json::array({id})) << "only known tasks";

    release_.store(true);
    ASSERT_TRUE(eventually([&] {
        for (const auto& n : channel->with_method("notifications/tasks"))
            if (n["params"]["status"] == "completed") return true;
        return false;
    }));
    json done;
    for (const auto& n : channel->with_method("notifications/tasks"))
        if (n["params"]["status"] == "completed") done = n["params"];
    EXPECT_EQ(done["taskId"], id);
    EXPECT_EQ(done["result"]["content"][0]["text"], "job done");
    channel->close();
    listener.join();
}

TEST_F(TasksServer, LegacyExperimentalTasksStillWork) {
    auto session = server_->create_session();
    mcp::Incoming in{session, nullptr, nullptr, {}, false};
    auto init = server_->handle(json{{"jsonrpc", "2.0"},
                                     {"id", 1},
                                     {"method", "initialize"},
                                     {"params",
                                      {{"protocolVersion", "2025-11-25"},
                                       {"capabilities", json::object()},
                                       {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}},
                                in);
    ASSERT_TRUE(init.response);
    EXPECT_TRUE((*init.response)["result"]["capabilities"].contains("tasks"));
    EXPECT_FALSE((*init.response)["result"]["capabilities"].contains("extensions"));
    server_->handle(json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, in);
    auto created = server_->handle(json{{"jsonrpc", "2.0"},
                                        {"id", 2},
                                        {"method", "tools/call"},
                                        {"params", {{"name", "quick"}, {"arguments", json::object()}, {"task", {{"ttl", 60000}}}}}},
                                   in);
    ASSERT_TRUE(created.response);
    const std::string id = (*created.response)["result"]["task"]["taskId"];
    auto result = server_->handle(
        json{{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tasks/result"}, {"params", {{"taskId", id}}}}, in);
    ASSERT_TRUE(result.response);
    EXPECT_EQ((*result.response)["result"]["content"][0]["text"], "quick sync");
}

}  // namespace
