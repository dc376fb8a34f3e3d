// analysis toolset against the simulator: audit_pipeline and summarize_conversations must match
// the seed's facts exactly, make the GHL requests they claim (and few of them), and explain each
// suggestion from data the test reads independently.
#include "sandbox_fixture.hpp"

#include "mcp/server.hpp"
#include "tools/catalog.hpp"
#include "tools/support.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace tools_test {
namespace {

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

/// Keeps the notifications a call sends (progress).
class Recorder : public mcp::Channel {
public:
    bool send(const json& m) override {
        std::lock_guard lock(mu_);
        messages_.push_back(m);
        return true;
    }
    bool open() const override { return true; }
    std::vector<json> with_method(const std::string& method) const {
        std::lock_guard lock(mu_);
        std::vector<json> out;
        for (const auto& m : messages_)
            if (m.value("method", "") == method) out.push_back(m);
        return out;
    }

private:
    mutable std::mutex mu_;
    std::vector<json> messages_;
};

/// A 2026-07-28 request (as `ghl-mcp call` sends it), optionally declaring the tasks extension
/// and asking for progress.
json request(int id, const std::string& method, json params, bool tasks = false) {
    json caps = json::object();
    if (tasks) caps["extensions"]["io.modelcontextprotocol/tasks"] = json::object();
    params["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2026-07-28";
    params["_meta"]["io.modelcontextprotocol/clientCapabilities"] = caps;
    return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
}

json tool_call(const std::string& name, const json& args, bool tasks = false) {
    json params = {{"name", name}, {"arguments", args}};
    params["_meta"]["progressToken"] = "p1";
    return request(1, "tools/call", params, tasks);
}

json result_of(mcp::Server& server, const json& msg, std::shared_ptr<mcp::Channel> channel = nullptr) {
    mcp::Incoming in;
    in.channel = std::move(channel);
    in.modern = true;
    auto o = server.handle(msg, in);
    EXPECT_TRUE(o.response);
    if (!o.response) return json::object();
    EXPECT_FALSE(o.response->contains("error")) << o.response->dump();
    return o.response->value("result", json::object());
}

class AnalysisTest : public SandboxTest {
protected:
    /// A server over this sandbox whose calls get `timeout` (the real catalog and handlers).
    std::unique_ptr<mcp::Server> server_with_timeout(std::chrono::milliseconds timeout) {
        auto registry = std::make_shared<mcp::Registry>();
        tools::register_all(*registry, app().environment());
        mcp::ServerOptions o;
        o.default_timeout = timeout;
        o.validate_output = true;
        return std::make_unique<mcp::Server>(o, registry);
    }

    /// Books a confirmed appointment for `contact` three days from now; returns its startTime
    /// as GHL answered it (with the calendar's offset).
    std::string book(const std::string& contact) {
        const std::string start = tools::iso_utc(seed().reference_now_ms + 3 * 86400 * 1000LL);
        json a = raw("calendars.appointments.create", {}, {},
                     {{"calendarId", seed().calendar_ids.at(0)},
                      {"locationId", seed().location_id},
                      {"contactId", contact},
                      {"startTime", start},
                      {"appointmentStatus", "confirmed"},
                      {"ignoreFreeSlotValidation", true}});
        return a["startTime"];
    }

    /// What audit_pipeline must suggest for each deal, worked out from raw GHL reads: the contact
    /// waits for a reply, else has an upcoming (seeded) appointment, else nothing is planned.
    void expect_suggestions_follow_activity(const json& deals) {
        std::map<std::string, std::string> last_direction;  // contactId -> direction
        json conversations = raw("conversations.search", {},
                                 {{"locationId", seed().location_id}, {"limit", "100"}});
        for (const auto& c : conversations["conversations"])
            last_direction[c["contactId"]] = c.value("lastMessageDirection", "");
        const auto upcoming = as_set(seed().upcoming_appointment_ids);
        std::map<std::string, int> seen;
        for (const auto& d : deals) {
            const std::string contact = d["contactId"];
            json events = raw("contacts.appointments", {{"contactId", contact}});
            bool booked = false;
            for (const auto& e : events["events"]) booked |= upcoming.count(e["id"]) > 0;
            const std::string action = d["suggestedNextAction"];
            if (last_direction[contact] == "inbound") {
                EXPECT_EQ(action, "reply: the contact is waiting") << d.dump();
                EXPECT_EQ(d["priority"], "high");
                EXPECT_TRUE(d.contains("lastMessageAt"));
            } else if (booked) {
                EXPECT_EQ(action.rfind("confirm the appointment on 20", 0), 0u) << d.dump();
                EXPECT_EQ(d["priority"], "low");
                ASSERT_TRUE(d.contains("appointmentAt"));
                const std::string at = d["appointmentAt"];
                EXPECT_TRUE(tools::parse_iso(at).has_value()) << at;
                EXPECT_EQ(action, "confirm the appointment on " + at.substr(0, 10));
            } else {
                EXPECT_EQ(action, "book a call") << d.dump();
                EXPECT_EQ(d["priority"], "medium");
            }
            ++seen[action.substr(0, 4)];
        }
        // Say which branches the seed exercised (the checks above hold for each deal either way).
        for (const auto& [kind, n] : seen) std::cout << "  [" << kind << "...] " << n << "\n";
    }
};

// ---- audit_pipeline -------------------------------------------------------------------------

TEST_F(AnalysisTest, AuditFlagsExactlyTheSeededStaleDealsWithBulkReads) {
    json out = ok("audit_pipeline", {{"limit", 100}});
    std::set<std::string> flagged;
    for (const auto& d : out["deals"]) {
        EXPECT_TRUE(flagged.insert(d["opportunityId"].get<std::string>()).second);
        EXPECT_GT(d["daysInStage"].get<int>(), 14);
        EXPECT_FALSE(d["name"].get<std::string>().empty());
        EXPECT_FALSE(d["stage"].get<std::string>().empty());
        EXPECT_TRUE(d["value"].is_number());
        EXPECT_TRUE(contains(d["reason"], "days in " + d["stage"].get<std::string>())) << d["reason"];
    }
    EXPECT_EQ(flagged, as_set(seed().stale_opportunity_ids));
    EXPECT_EQ(out["totals"]["staleDeals"], seed().stale_opportunity_ids.size());
    EXPECT_EQ(out["staleDays"], 14);
    EXPECT_EQ(out["complete"], true);
    EXPECT_FALSE(out.contains("note")) << out["note"];

    // Stage totals add up, in both pipelines.
    std::int64_t count = 0, stale = 0;
    double stale_value = 0;
    std::set<std::string> pipelines;
    for (const auto& s : out["stages"]) {
        count += s["count"].get<std::int64_t>();
        stale += s["staleCount"].get<std::int64_t>();
        stale_value += s["staleValue"].get<double>();
        pipelines.insert(s["pipeline"]);
        EXPECT_LE(s["staleCount"], s["count"]);
    }
    EXPECT_EQ(out["stages"].size(), 11u) << "6 + 5 seeded stages";
    EXPECT_EQ(pipelines.size(), 2u);
    EXPECT_EQ(count, out["totals"]["openDeals"].get<std::int64_t>());
    EXPECT_EQ(stale, out["totals"]["staleDeals"].get<std::int64_t>());
    double deal_value = 0;
    for (const auto& d : out["deals"]) deal_value += d["value"].get<double>();
    EXPECT_DOUBLE_EQ(deal_value, stale_value);
    EXPECT_DOUBLE_EQ(out["totals"]["staleValue"].get<double>(), stale_value);

    // Prioritized: high, medium, low; the larger value first within each.
    auto rank = [](const json& d) { return d["priority"] == "high" ? 0 : d["priority"] == "medium" ? 1 : 2; };
    for (std::size_t i = 1; i < out["deals"].size(); ++i) {
        const json& a = out["deals"][i - 1];
        const json& b = out["deals"][i];
        EXPECT_LE(rank(a), rank(b));
        if (rank(a) == rank(b)) {
            EXPECT_GE(a["value"].get<double>(), b["value"].get<double>());
        }
    }

    // The requests: bulk listings only, and ghlRequests tells the truth.
    auto all = requests();
    EXPECT_EQ(out["ghlRequests"], all.size());
    std::map<std::string, int> by_path;
    std::set<std::string> calendars;
    for (const auto& r : all) {
        EXPECT_EQ(r.method, "GET");
        ++by_path[r.path];
        auto q = query_of(r);
        if (r.path == "/opportunities/search") {
            EXPECT_EQ(q["status"], "open");
            EXPECT_EQ(q["limit"], "100");
            EXPECT_EQ(q.count("pipeline_id"), 0u);
        }
        if (r.path == "/calendars/events") {
            calendars.insert(q["calendarId"]);
            EXPECT_EQ(std::stoll(q["endTime"]) - std::stoll(q["startTime"]), 30LL * 86400 * 1000);
        }
    }
    EXPECT_EQ(by_path["/opportunities/pipelines"], 1);
    EXPECT_EQ(by_path["/opportunities/search"], 1) << "52-ish open deals fit one page of 100";
    EXPECT_EQ(by_path["/calendars/"], 1);
    EXPECT_EQ(calendars, as_set(seed().calendar_ids));
    EXPECT_EQ(by_path["/conversations/search"], 1) << "60 conversations fit one page of 100";
    EXPECT_EQ(all.size(), 4u + seed().calendar_ids.size()) << "no per-contact reads";
}

TEST_F(AnalysisTest, AuditSuggestionsFollowTheContactsActivity) {
    json out = ok("audit_pipeline", {{"limit", 100}});
    ASSERT_EQ(out["deals"].size(), seed().stale_opportunity_ids.size());
    expect_suggestions_follow_activity(out["deals"]);

    // Book a call for a deal that needed one: the next audit asks to confirm it instead.
    json deal;
    for (const auto& d : out["deals"])
        if (d["suggestedNextAction"] == "book a call") deal = d;
    ASSERT_TRUE(deal.is_object());
    const std::string start = book(deal["contactId"]);
    json again = ok("audit_pipeline", {{"limit", 100}});
    int found = 0;
    for (const auto& d : again["deals"]) {
        if (d["opportunityId"] != deal["opportunityId"]) continue;
        ++found;
        EXPECT_EQ(d["suggestedNextAction"], "confirm the appointment on " + start.substr(0, 10));
        EXPECT_EQ(d["appointmentAt"], start);
    }
    EXPECT_EQ(found, 1);
}

TEST_F(AnalysisTest, AuditOnePipeline) {
    json everything = ok("audit_pipeline", {{"limit", 100}});
    const std::string pipeline = seed().pipeline_ids.at(1);
    sim().clear_requests();
    json out = ok("audit_pipeline", {{"pipelineId", pipeline}, {"limit", 100}});
    bool pipeline_query = false;
    for (const auto& r : requests())
        if (r.path == "/opportunities/search") pipeline_query = query_of(r)["pipeline_id"] == pipeline;
    EXPECT_TRUE(pipeline_query);
    ASSERT_EQ(out["stages"].size(), 5u);
    const std::string name = out["stages"][0]["pipeline"];
    for (const auto& s : out["stages"]) EXPECT_EQ(s["pipeline"], name);
    std::set<std::string> expected, got;
    for (const auto& d : everything["deals"])
        if (d["pipeline"] == name) expected.insert(d["opportunityId"].get<std::string>());
    for (const auto& d : out["deals"]) got.insert(d["opportunityId"].get<std::string>());
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(got, expected);
}

TEST_F(AnalysisTest, AuditUnknownPipelineNamesTheRealOnes) {
    std::string text = tool_error("audit_pipeline", {{"pipelineId", "nosuchpipeline000001"}});
    EXPECT_TRUE(contains(text, "not a pipeline of this sub-account")) << text;
    for (const auto& id : seed().pipeline_ids) EXPECT_TRUE(contains(text, id)) << text;
    EXPECT_EQ(only_request().path, "/opportunities/pipelines");
}

TEST_F(AnalysisTest, AuditWithFewStaleDealsReadsPerContact) {
    // A pipeline and a staleDays that leave one or two contacts with stale deals: the deals
    // longest in their stage (ages are whole days plus under 20 hours in the seed).
    std::string pipeline_id;
    int oldest = 0;
    std::set<std::string> expected, contacts;
    for (const auto& pid : seed().pipeline_ids) {
        json one = ok("audit_pipeline", {{"pipelineId", pid}, {"staleDays", 1}, {"limit", 100}});
        std::set<int> ages;
        for (const auto& d : one["deals"]) ages.insert(d["daysInStage"].get<int>());
        for (auto age = ages.rbegin(); age != ages.rend() && pipeline_id.empty(); ++age) {
            std::set<std::string> ids, who;
            for (const auto& d : one["deals"]) {
                if (d["daysInStage"].get<int>() >= *age) {
                    ids.insert(d["opportunityId"].get<std::string>());
                    who.insert(d["contactId"].get<std::string>());
                }
            }
            if (who.size() > 2) break;
            pipeline_id = pid;
            oldest = *age;
            expected = ids;
            contacts = who;
        }
        if (!pipeline_id.empty()) break;
    }
    ASSERT_FALSE(pipeline_id.empty()) << "no pipeline whose oldest deals belong to at most two contacts";
    ASSERT_GT(oldest, 1);
    sim().clear_requests();
    json out = ok("audit_pipeline", {{"pipelineId", pipeline_id}, {"staleDays", oldest}, {"limit", 100}});
    std::set<std::string> got;
    for (const auto& d : out["deals"]) got.insert(d["opportunityId"].get<std::string>());
    EXPECT_EQ(got, expected);

    auto reqs = requests();
    EXPECT_EQ(out["ghlRequests"], reqs.size());
    EXPECT_EQ(reqs.size(), 2 + 2 * contacts.size());
    std::set<std::string> appointment_reads, conversation_reads;
    for (const auto& r : reqs) {
        EXPECT_EQ(r.path.rfind("/calendars", 0), std::string::npos) << "no bulk listing for few deals";
        if (r.path.rfind("/contacts/", 0) == 0) appointment_reads.insert(r.path);
        if (r.path == "/conversations/search") {
            auto q = query_of(r);
            EXPECT_EQ(q["limit"], "1");
            conversation_reads.insert(q["contactId"]);
        }
    }
    std::set<std::string> want_paths;
    for (const auto& c : contacts) want_paths.insert("/contacts/" + c + "/appointments");
    EXPECT_EQ(appointment_reads, want_paths);
    EXPECT_EQ(conversation_reads, contacts);
    expect_suggestions_follow_activity(out["deals"]);

    // A booking changes the suggestion (the per-contact listing gives local times without offset).
    const json deal = out["deals"][0];
    ASSERT_NE(deal["suggestedNextAction"], "reply: the contact is waiting") << "pick another deal";
    const std::string start = book(deal["contactId"]);
    json again = ok("audit_pipeline", {{"pipelineId", pipeline_id}, {"staleDays", oldest}, {"limit", 100}});
    bool found = false;
    for (const auto& d : again["deals"]) {
        if (d["opportunityId"] != deal["opportunityId"]) continue;
        found = true;
        EXPECT_EQ(d["suggestedNextAction"], "confirm the appointment on " + start.substr(0, 10)) << d.dump();
        EXPECT_EQ(d["appointmentAt"], start.substr(0, 19)) << "local time, ISO 8601";
        EXPECT_EQ(d["priority"], "low");
    }
    EXPECT_TRUE(found);
}

TEST_F(AnalysisTest, AuditWithoutStaleDealsMakesNoActivityReads) {
    json out = ok("audit_pipeline", {{"staleDays", 365}});
    EXPECT_TRUE(out["deals"].empty());
    EXPECT_EQ(out["totals"]["staleDeals"], 0);
    EXPECT_GT(out["totals"]["openDeals"].get<int>(), 0);
    EXPECT_EQ(out["ghlRequests"], 2);
    EXPECT_EQ(requests().size(), 2u);
}

TEST_F(AnalysisTest, AuditLimitCutsTheListAndSaysSo) {
    json out = ok("audit_pipeline", {{"limit", 5}});
    EXPECT_EQ(out["deals"].size(), 5u);
    EXPECT_EQ(out["totals"]["staleDeals"], seed().stale_opportunity_ids.size());
    EXPECT_TRUE(contains(out["note"], "Showing the first 5 of " +
                                          std::to_string(seed().stale_opportunity_ids.size())))
        << out["note"];
    EXPECT_EQ(out["complete"], true);
}

TEST_F(AnalysisTest, AuditRejectsInvalidArguments) {
    invalid_arguments("audit_pipeline", {{"staleDays", 0}});
    invalid_arguments("audit_pipeline", {{"staleDays", 366}});
    invalid_arguments("audit_pipeline", {{"limit", 0}});
    invalid_arguments("audit_pipeline", {{"limit", 101}});
    invalid_arguments("audit_pipeline", {{"pipelineId", ""}});
    invalid_arguments("audit_pipeline", {{"status", "open"}});
}

TEST_F(AnalysisTest, AuditMayRunAsATask) {
    bool found = false;
    for (const auto& d : tools::definitions()) {
        if (d.wire["name"] != "audit_pipeline") continue;
        found = true;
        EXPECT_EQ(d.wire["execution"]["taskSupport"], "optional");
    }
    EXPECT_TRUE(found);
    auto tool = app().server().registry().find_tool("audit_pipeline");
    ASSERT_TRUE(tool);
    EXPECT_EQ(tool->task_support, mcp::TaskSupport::kOptional);
}

TEST_F(AnalysisTest, AuditRunsAsATaskWhenTheClientAsks) {
    json created = result_of(app().server(), tool_call("audit_pipeline", {{"limit", 100}}, true));
    ASSERT_EQ(created["resultType"], "task") << created.dump();
    const std::string task = created["taskId"];
    json done;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    do {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        done = result_of(app().server(), request(2, "tasks/get", {{"taskId", task}}, true));
    } while (done["status"] == "working" && std::chrono::steady_clock::now() < until);
    ASSERT_EQ(done["status"], "completed") << done.dump();
    std::set<std::string> flagged;
    for (const auto& d : done["result"]["structuredContent"]["deals"]) flagged.insert(d["opportunityId"].get<std::string>());
    EXPECT_EQ(flagged, as_set(seed().stale_opportunity_ids));
}

TEST_F(AnalysisTest, AuditReportsProgress) {
    auto server = server_with_timeout(std::chrono::minutes(5));
    auto channel = std::make_shared<Recorder>();
    json r = result_of(*server, tool_call("audit_pipeline", json::object()), channel);
    EXPECT_EQ(r["structuredContent"]["complete"], true);
    auto progress = channel->with_method("notifications/progress");
    ASSERT_FALSE(progress.empty());
    EXPECT_EQ(progress.front()["params"]["progressToken"], "p1");
    bool listed = false;
    for (const auto& p : progress) listed |= contains(p["params"].value("message", ""), "open opportunities");
    EXPECT_TRUE(listed);
    server->shutdown();
}

TEST_F(AnalysisTest, SummaryReportsProgressPerConversation) {
    auto server = server_with_timeout(std::chrono::minutes(5));
    auto channel = std::make_shared<Recorder>();
    json r = result_of(*server, tool_call("summarize_conversations", {{"limit", 5}}), channel);
    ASSERT_FALSE(r.value("isError", false)) << r.dump();
    auto progress = channel->with_method("notifications/progress");
    ASSERT_EQ(progress.size(), 5u) << "one notification per conversation read";
    double last = 0;
    for (const auto& p : progress) {
        EXPECT_EQ(p["params"]["progressToken"], "p1");
        EXPECT_EQ(p["params"]["total"], 5);
        EXPECT_GT(p["params"]["progress"].get<double>(), last) << "progress must increase";
        last = p["params"]["progress"].get<double>();
    }
    EXPECT_EQ(last, 5);
    EXPECT_TRUE(contains(progress.back()["params"].value("message", ""), "5 of 5"));
    server->shutdown();
}

TEST_F(AnalysisTest, NoProgressWithoutAToken) {
    auto server = server_with_timeout(std::chrono::minutes(5));
    auto channel = std::make_shared<Recorder>();
    json call = tool_call("summarize_conversations", {{"limit", 3}});
    call["params"]["_meta"].erase("progressToken");
    json r = result_of(*server, call, channel);
    ASSERT_FALSE(r.value("isError", false)) << r.dump();
    EXPECT_TRUE(channel->with_method("notifications/progress").empty());
    server->shutdown();
}

TEST_F(AnalysisTest, AuditStopsCleanlyBeforeTheDeadline) {
    // Too little time for anything but the first read: an answer saying so, not a timeout.
    auto server = server_with_timeout(std::chrono::milliseconds(2000));
    json r = result_of(*server, tool_call("audit_pipeline", json::object()));
    ASSERT_FALSE(r.value("isError", false)) << r.dump();
    const json& out = r["structuredContent"];
    EXPECT_EQ(out["complete"], false);
    EXPECT_EQ(out["ghlRequests"], 1);
    EXPECT_EQ(requests().size(), 1u);
    EXPECT_TRUE(out["deals"].empty());
    EXPECT_TRUE(contains(out["note"], "Stopped early (the call's deadline was near)")) << out["note"];
    server->shutdown();

    // Slow GHL: it stops somewhere along the way; whatever it flags is really stale.
    sim().clear_requests();
    ghlsim::Faults slow;
    slow.latency_ms = 700;
    sim().set_faults(slow);
    server = server_with_timeout(std::chrono::milliseconds(5000));
    const auto started = std::chrono::steady_clock::now();
    r = result_of(*server, tool_call("audit_pipeline", {{"limit", 100}}));
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(5000));
    ASSERT_FALSE(r.value("isError", false)) << r.dump();
    const json& slow_out = r["structuredContent"];
    EXPECT_EQ(slow_out["complete"], false);
    EXPECT_EQ(slow_out["ghlRequests"], requests().size());
    EXPECT_TRUE(contains(slow_out["note"], "Stopped early")) << slow_out["note"];
    const auto stale = as_set(seed().stale_opportunity_ids);
    for (const auto& d : slow_out["deals"]) EXPECT_EQ(stale.count(d["opportunityId"]), 1u) << d.dump();
    server->shutdown();
}

// ---- summarize_conversations ----------------------------------------------------------------

TEST_F(AnalysisTest, SummaryClassifiesEveryConversationAndWaitingIsExact) {
    json out = ok("summarize_conversations", {{"limit", 100}, {"messages", 3}});
    ASSERT_EQ(out["conversations"].size(), static_cast<std::size_t>(seed().conversations));
    std::set<std::string> waiting, ids;
    std::map<std::string, int> counted;
    for (const auto& c : out["conversations"]) {
        ids.insert(c["id"].get<std::string>());
        const std::string status = c["status"];
        ++counted[status];
        const auto age = c["ageHours"].get<std::int64_t>();
        const json& shown = c["messages"];
        ASSERT_GE(shown.size(), 1u);
        ASSERT_LE(shown.size(), 3u);
        for (std::size_t i = 1; i < shown.size(); ++i) EXPECT_LE(shown[i - 1]["at"], shown[i]["at"]) << "oldest first";
        EXPECT_EQ(shown.back()["at"], c["lastMessageAt"]);
        if (status == "waiting_for_reply") {
            waiting.insert(c["id"].get<std::string>());
            EXPECT_EQ(shown.back()["direction"], "inbound");
            EXPECT_LE(c["waitingSince"], c["lastMessageAt"]);
            EXPECT_GE(c["waitingHours"].get<std::int64_t>(), age);
        } else {
            EXPECT_EQ(shown.back()["direction"], "outbound");
            if (status == "active") {
                EXPECT_LE(age, 48);
            }
            if (status == "idle") {
                EXPECT_TRUE(age >= 48 && age <= 30 * 24) << age;
            }
            if (status == "closed") {
                EXPECT_GE(age, 30 * 24);
            }
        }
    }
    EXPECT_EQ(waiting, as_set(seed().waiting_conversation_ids));
    for (const auto& [status, n] : counted) EXPECT_EQ(out["byStatus"][status], n) << status;
    EXPECT_EQ(out["byStatus"]["waiting_for_reply"], seed().waiting_conversation_ids.size());

    std::set<std::string> attention;
    for (std::size_t i = 0; i < out["attention"].size(); ++i) {
        const json& a = out["attention"][i];
        attention.insert(a["conversationId"].get<std::string>());
        EXPECT_FALSE(a["lastMessage"].get<std::string>().empty());
        if (i > 0) {
            EXPECT_LE(out["attention"][i - 1]["waitingSince"], a["waitingSince"]) << "longest wait first";
        }
    }
    EXPECT_EQ(attention, waiting);

    auto all = requests();
    EXPECT_EQ(out["ghlRequests"], all.size());
    ASSERT_EQ(all.size(), 1u + seed().conversations);
    EXPECT_EQ(all[0].path, "/conversations/search");
    EXPECT_EQ(query_of(all[0])["limit"], "100");
    std::set<std::string> read;
    for (std::size_t i = 1; i < all.size(); ++i) {
        EXPECT_EQ(query_of(all[i])["limit"], "3");
        const std::string prefix = "/conversations/";
        ASSERT_EQ(all[i].path.rfind(prefix, 0), 0u);
        read.insert(all[i].path.substr(prefix.size(), 20));
    }
    EXPECT_EQ(read, ids) << "each conversation read once";
    EXPECT_EQ(out["complete"], true);
}

TEST_F(AnalysisTest, SummaryDefaultsAndANewInboundMessage) {
    json out = ok("summarize_conversations", json::object());
    EXPECT_EQ(out["conversations"].size(), 20u);
    EXPECT_EQ(requests().size(), 21u);
    EXPECT_EQ(query_of(requests()[0])["limit"], "20");
    for (const auto& c : out["conversations"]) EXPECT_LE(c["messages"].size(), 5u);

    // A message the contact just sent on an answered conversation: now waiting, the shortest wait.
    std::string answered;
    for (const auto& c : out["conversations"])
        if (c["status"] != "waiting_for_reply") answered = c["id"];
    ASSERT_FALSE(answered.empty());
    ok("log_inbound_message", {{"conversationId", answered},
                               {"conversationProviderId", "provider0000000000001"},
                               {"type", "SMS"},
                               {"message", "Are you still coming?"}});
    json after = ok("summarize_conversations", json::object());
    EXPECT_EQ(after["conversations"][0]["id"], answered) << "latest activity first";
    EXPECT_EQ(after["conversations"][0]["status"], "waiting_for_reply");
    EXPECT_EQ(after["attention"].back()["conversationId"], answered);
    EXPECT_EQ(after["attention"].back()["waitingHours"], 0);
    EXPECT_EQ(after["attention"].back()["lastMessage"], "Are you still coming?");
}

TEST_F(AnalysisTest, SummaryNearTheDeadlineClassifiesFromTheListing) {
    auto server = server_with_timeout(std::chrono::milliseconds(2000));
    json r = result_of(*server, tool_call("summarize_conversations", {{"limit", 100}}));
    ASSERT_FALSE(r.value("isError", false)) << r.dump();
    const json& out = r["structuredContent"];
    EXPECT_EQ(out["complete"], false);
    EXPECT_EQ(out["ghlRequests"], 1) << "no message reads";
    EXPECT_TRUE(contains(out["note"], "Stopped early")) << out["note"];
    std::set<std::string> waiting;
    for (const auto& c : out["conversations"]) {
        EXPECT_FALSE(c.contains("messages"));
        EXPECT_TRUE(c.contains("lastMessage"));
        if (c["status"] == "waiting_for_reply") waiting.insert(c["id"].get<std::string>());
    }
    EXPECT_EQ(waiting, as_set(seed().waiting_conversation_ids));
    EXPECT_EQ(out["attention"].size(), waiting.size());
    server->shutdown();
}

TEST_F(AnalysisTest, SummaryRejectsInvalidArguments) {
    invalid_arguments("summarize_conversations", {{"limit", 0}});
    invalid_arguments("summarize_conversations", {{"limit", 101}});
    invalid_arguments("summarize_conversations", {{"messages", 0}});
    invalid_arguments("summarize_conversations", {{"messages", 21}});
    invalid_arguments("summarize_conversations", {{"unread", true}});
}

}  // namespace
}  // namespace tools_test
