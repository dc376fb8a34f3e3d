// The voice endpoints over real HTTP: the sandbox App (catalog, dispatcher, GHL client,
// simulator) behind HttpTransport with the voice routes mounted, as `serve --http` runs them.
// Every recorded Vapi and Retell shape, each credential and how it fails, retries that must not
// book twice (counted in the simulator), deadlines against the simulator's latency fault, and
// free slots served from the cache until a booking drops it.
#include "app/wiring.hpp"
#include "ghlsim/simulator.hpp"
#include "payloads.hpp"
#include "temp_dir.hpp"
#include "tools/support.hpp"
#include "voice/protocol.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <functional>
#include <thread>

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using voice_test::payload_text;

constexpr const char* kVapiSecret = "vapi-secret-Qm2Vt9RkP";
constexpr const char* kVapiHmac = "vapi-hmac-8d7c6b5a";
constexpr const char* kRetellKey = "key_retell_5f0c3e";
constexpr const char* kPlaceholderPhone = "+15550001111";
constexpr std::int64_t kDay = 86'400'000;

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto p = text.find(from); p != std::string::npos; p = text.find(from, p + to.size()))
        text.replace(p, from.size(), to);
    return text;
}

class VoiceHttp : public ::testing::Test {
protected:
    void SetUp() override {}

    /// `credentials`: the platform secrets and the keys file (false: none at all, as a first
    /// try through a tunnel has). `tune` adjusts the voice options before the service is built.
    void start(std::chrono::milliseconds budget = 2500ms, bool credentials = true,
               const std::function<void(voice::VoiceOptions&)>& tune = {},
               std::vector<std::string> allowed_hosts = {}) {
        keys_path_ = dir_.file("keys.db");
        store_ = std::make_unique<app::KeyStore>(keys_path_, /*create=*/true);
        app::Config c;
        c.sandbox = true;
        c.log_level = "off";
        c.http = true;
        c.surface.toolsets = {"all"};
        c.allowed_hosts = std::move(allowed_hosts);
        if (credentials) {
            c.api_keys_file = keys_path_;
            c.vapi_secret = kVapiSecret;
            c.vapi_hmac_secret = kVapiHmac;
            c.retell_api_key = kRetellKey;
        }
        c.voice_budget = budget;
        app_ = std::make_unique<app::App>(c);
        reader_key_ = store_->create("reader", {}, {}, /*read_only=*/true);
        desk_key_ = store_->create("desk", {}, {}, /*read_only=*/false);
        if (tune) {
            voice::VoiceOptions vo = app_->voice_options();
            tune(vo);
            voice_ = std::make_shared<voice::VoiceService>(app_->server(), std::move(vo));
        } else {
            voice_ = app_->make_voice();
        }
        mcp::HttpOptions o;
        o.host = "127.0.0.1";
        o.port = 0;
        o.authenticate = app_->authenticator();
        transport_ = std::make_unique<mcp::HttpTransport>(app_->server(), o);
        voice_->mount(transport_->raw());
        transport_->bind();
        thread_ = std::thread([this] { transport_->run(); });
        auto until = std::chrono::steady_clock::now() + 20s;
        while (!transport_->raw().is_running() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(10ms);
        ASSERT_TRUE(transport_->raw().is_running());
    }

    void TearDown() override {
        if (transport_) transport_->stop();
        if (thread_.joinable()) thread_.join();
        voice_.reset();  // waits for calls still running past their deadline
        transport_.reset();
        app_.reset();
    }

    ghlsim::Simulator& sim() { return *app_->sandbox(); }
    int booked() { return sim().counters().appointments_created; }
    int notes() { return sim().counters().notes_created; }

    httplib::Result post(const std::string& path, const std::string& body, httplib::Headers h,
                         const std::string& content_type = "application/json") {
        httplib::Client client("127.0.0.1", transport_->port());
        client.set_read_timeout(30s);
        return client.Post(path.c_str(), h, body, content_type.c_str());
    }
    httplib::Result vapi(const std::string& body, httplib::Headers h = {{"X-Vapi-Secret", kVapiSecret}}) {
        return post("/voice/vapi", body, std::move(h));
    }
    httplib::Result retell(const std::string& path, const std::string& body, std::int64_t ts = 0,
                           const std::string& key = kRetellKey) {
        return post(path, body,
                    {{"X-Retell-Signature", voice::retell_signature(key, body, ts ? ts : voice::now_epoch_ms())}});
    }

    static json body_of(const httplib::Result& r) {
        return r ? json::parse(r->body, nullptr, false) : json();
    }

    /// A Vapi tool-calls message with one call per (id, name, arguments).
    static std::string vapi_body(const std::string& call_id, const std::vector<std::tuple<std::string, std::string, json>>& calls,
                                 const std::string& customer = {}) {
        json list = json::array();
        for (const auto& [id, name, args] : calls)
            list.push_back({{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", args}}}});
        json call = {{"id", call_id}, {"type", "inboundPhoneCall"}};
        if (!customer.empty()) call["customer"] = {{"number", customer}};
        return json{{"message", {{"type", "tool-calls"}, {"call", call}, {"toolCallList", list}}}}.dump();
    }

    std::string contact_id() { return sim().seed_facts().phone_only_contact_ids.at(0); }
    std::string calendar_id() { return sim().seed_facts().calendar_ids.at(0); }
    std::string contact_phone() {
        auto out = app_->call("get_contact", {{"contactId", contact_id()}});
        EXPECT_FALSE(out.is_error) << out.result.dump();
        return out.result["contact"].value("phone", "");
    }
    json slot_args() {
        return {{"calendarId", calendar_id()},
                {"startDate", tools::iso_utc(tools::now_ms() + 2 * kDay).substr(0, 10)},
                {"endDate", tools::iso_utc(tools::now_ms() + 9 * kDay).substr(0, 10)},
                {"limit", 20}};
    }
    std::string a_free_slot() {
        auto out = app_->call("get_free_slots", slot_args());
        EXPECT_FALSE(out.is_error || out.result["slots"].empty()) << out.result.dump();
        return out.result["slots"].empty() ? std::string() : out.result["slots"][0]["start"].get<std::string>();
    }
    std::vector<std::string> free_slots(std::size_t n) {
        auto out = app_->call("get_free_slots", slot_args());
        std::vector<std::string> starts;
        for (const auto& slot : out.result["slots"])
            if (starts.size() < n) starts.push_back(slot["start"]);
        EXPECT_EQ(starts.size(), n) << out.result.dump();
        return starts;
    }
    json note(const std::string& text) { return {{"contactId", contact_id()}, {"body", text}}; }
    json booking(const std::string& start) {
        return {{"calendarId", calendar_id()}, {"contactId", contact_id()}, {"startTime", start}};
    }

    keys_test::TempDir dir_;
    std::string keys_path_, reader_key_, desk_key_;
    std::unique_ptr<app::KeyStore> store_;
    std::unique_ptr<app::App> app_;
    std::shared_ptr<voice::VoiceService> voice_;
    std::unique_ptr<mcp::HttpTransport> transport_;
    std::thread thread_;
};

// ---- Shapes ---------------------------------------------------------------------------------

TEST_F(VoiceHttp, EveryRecordedVapiShapeAnswersInVapisFormat) {
    start();
    const std::string phone = contact_phone();
    ASSERT_FALSE(phone.empty());
    const std::vector<std::pair<std::string, std::string>> shapes = {
        {"vapi_tool_call_list.json", "call_VaJOd8ZeZgWCEHDYomyCPfwN"},
        {"vapi_arguments_string.json", "call_str_1"},
        {"vapi_flat_arguments.json", "toolu_flat_args"},
        {"vapi_flat_parameters.json", "toolu_flat_params"},
        {"vapi_tool_with_tool_call_list_only.json", "call_twtcl_1"},
        {"vapi_legacy_tool_calls.json", "call_legacy_1"},
    };
    for (const auto& [file, id] : shapes) {
        SCOPED_TRACE(file);
        auto r = vapi(replace_all(payload_text(file), kPlaceholderPhone, phone));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        json b = body_of(r);
        ASSERT_EQ(b["results"].size(), 1u) << r->body;
        const json& res = b["results"][0];
        EXPECT_EQ(res["toolCallId"], id);
        EXPECT_EQ(res["name"], "find_contact");
        ASSERT_TRUE(res["result"].is_string()) << res.dump();
        const std::string line = res["result"];
        EXPECT_EQ(line.rfind("I found ", 0), 0u) << line;
        EXPECT_EQ(line.find('\n'), std::string::npos);
        EXPECT_NE(line.find(contact_id()), std::string::npos) << "the model needs the contactId next";
        EXPECT_EQ(res["metadata"]["data"]["contact"]["id"], contact_id());
        EXPECT_FALSE(res.contains("error"));
    }
}

TEST_F(VoiceHttp, CallerNumberFillsPhoneAndEachCallAnswersInOrder) {
    start();
    const std::string phone = contact_phone();
    auto r = vapi(replace_all(payload_text("vapi_caller_number_only.json"), kPlaceholderPhone, phone));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    json b = body_of(r);
    ASSERT_EQ(b["results"].size(), 3u) << r->body;
    EXPECT_EQ(b["results"][0]["toolCallId"], "call_callerid_1");
    EXPECT_EQ(b["results"][0]["metadata"]["data"]["contact"]["id"], contact_id()) << r->body;
    EXPECT_EQ(b["results"][1]["toolCallId"], "call_callerid_2");
    EXPECT_NE(b["results"][1]["error"].get<std::string>().find("not valid JSON"), std::string::npos);
    EXPECT_EQ(b["results"][2]["toolCallId"], "call_callerid_3");
    EXPECT_TRUE(b["results"][2].contains("error"));
    // An explicit phone wins over the caller's number.
    auto other = body_of(vapi(vapi_body("c2", {{"t1", "find_contact", {{"phone", "+15550009999"}}}}, phone)));
    EXPECT_EQ(other["results"][0]["metadata"]["data"]["found"], false) << other.dump();
}

TEST_F(VoiceHttp, OtherVapiMessagesAndBadBodiesStill200) {
    start();
    auto status = vapi(payload_text("vapi_status_update.json"));
    ASSERT_TRUE(status);
    EXPECT_EQ(status->status, 200);
    EXPECT_EQ(body_of(status), json::object());
    auto garbage = vapi("{not json");
    EXPECT_EQ(garbage->status, 200);
    EXPECT_TRUE(body_of(garbage).contains("error"));
    auto no_message = vapi("{\"hello\":1}");
    EXPECT_EQ(no_message->status, 200);
    EXPECT_TRUE(body_of(no_message).contains("error"));
    auto unknown = body_of(vapi(vapi_body("c", {{"t1", "no_such_tool", json::object()}})));
    EXPECT_EQ(unknown["results"][0]["toolCallId"], "t1");
    EXPECT_TRUE(unknown["results"][0].contains("error"));
    // Browsers and non-JSON posts are refused before anything runs.
    EXPECT_EQ(post("/voice/vapi", "{}", {{"X-Vapi-Secret", kVapiSecret}}, "text/plain")->status, 415);
    EXPECT_EQ(post("/voice/vapi", "{}", {{"X-Vapi-Secret", kVapiSecret}, {"Origin", "https://evil.example"}})->status, 403);
}

TEST_F(VoiceHttp, DeeplyNestedBodiesAreRefusedBeforeAnyCopy) {
    // 100,000 levels: before the bounded parser, a stack overflow of the whole server (issue 18).
    start();
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    auto v = vapi(R"({"message":{"type":"tool-calls","x":)" + deep + "}}");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 200) << "Vapi ignores other statuses";
    EXPECT_EQ(body_of(v).value("error", ""), "the request body nests JSON too deeply");
    auto r = retell("/voice/retell/get_free_slots", R"({"x":)" + deep + "}");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(body_of(r).value("error", ""), "the request body nests JSON too deeply");
    EXPECT_EQ(vapi(payload_text("vapi_status_update.json"))->status, 200) << "the server lives on";
}

TEST_F(VoiceHttp, RetellDefaultAndArgsOnlyPayloads) {
    start();
    const std::string phone = contact_phone();
    const std::string full = replace_all(payload_text("retell_function_call.json"), kPlaceholderPhone, phone);
    for (const std::string path : {"/voice/retell", "/voice/retell/find_contact"}) {
        SCOPED_TRACE(path);
        auto r = retell(path, full);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200) << r->body;
        json b = body_of(r);
        EXPECT_EQ(b["ok"], true) << r->body;
        EXPECT_EQ(b["say"].get<std::string>().rfind("I found ", 0), 0u);
        EXPECT_EQ(b["refs"]["contactId"], contact_id());
        EXPECT_EQ(b["result"]["contact"]["id"], contact_id());
    }
    auto args_only = retell("/voice/retell/find_contact",
                            replace_all(payload_text("retell_args_only.json"), kPlaceholderPhone, phone));
    EXPECT_EQ(body_of(args_only)["refs"]["contactId"], contact_id()) << args_only->body;
    // from_number fills phone when the model left it out.
    json no_phone = json::parse(full);
    no_phone["args"] = json::object();
    EXPECT_EQ(body_of(retell("/voice/retell", no_phone.dump()))["refs"]["contactId"], contact_id());
    // A body naming another tool than the URL, and a bare body without a tool: 400.
    EXPECT_EQ(retell("/voice/retell/book_appointment", full)->status, 400);
    EXPECT_EQ(retell("/voice/retell", "{\"phone\":\"1\"}")->status, 400);
}

// ---- Credentials ----------------------------------------------------------------------------

TEST_F(VoiceHttp, VapiCredentialsAndHowEachFails) {
    start();
    const std::string body = vapi_body("c-auth", {{"t1", "find_contact", {{"phone", contact_phone()}}}});
    auto ok = [&](httplib::Headers h) {
        auto r = vapi(body, std::move(h));
        return r && r->status == 200 && body_of(r)["results"][0].contains("result");
    };
    auto refused = [&](httplib::Headers h) {
        auto r = vapi(body, std::move(h));
        EXPECT_TRUE(r);
        if (!r) return false;
        EXPECT_EQ(r->body.find("wrong-"), std::string::npos) << "a presented secret is never echoed";
        return r->status == 401;
    };
    sim().clear_requests();
    EXPECT_TRUE(refused({}));
    EXPECT_TRUE(refused({{"X-Vapi-Secret", "wrong-secret"}}));
    EXPECT_TRUE(refused({{"Authorization", "Bearer wrong-key"}}));
    EXPECT_TRUE(sim().requests().empty()) << "a refused request must not reach GHL";
    EXPECT_TRUE(ok({{"X-Vapi-Secret", kVapiSecret}}));
    EXPECT_TRUE(ok({{"Authorization", std::string("Bearer ") + kVapiSecret}}));
    EXPECT_TRUE(ok({{"Authorization", "Bearer " + desk_key_}}));

    const std::string now_s = std::to_string(voice::now_epoch_ms() / 1000);
    EXPECT_TRUE(ok({{"x-signature", voice::vapi_signature(kVapiHmac, body, now_s)}, {"x-timestamp", now_s}}));
    EXPECT_TRUE(refused({{"x-signature", voice::vapi_signature("wrong-hmac", body, now_s)}, {"x-timestamp", now_s}}));
    const std::string stale = std::to_string(voice::now_epoch_ms() / 1000 - 600);
    EXPECT_TRUE(refused({{"x-signature", voice::vapi_signature(kVapiHmac, body, stale)}, {"x-timestamp", stale}}));
    auto altered = vapi(body + " ", {{"x-signature", voice::vapi_signature(kVapiHmac, body, now_s)}, {"x-timestamp", now_s}});
    EXPECT_EQ(altered->status, 401);
    // A bad signature is not rescued by another header.
    EXPECT_TRUE(refused({{"x-signature", voice::vapi_signature("wrong-hmac", body, now_s)},
                         {"x-timestamp", now_s},
                         {"X-Vapi-Secret", kVapiSecret}}));
}

TEST_F(VoiceHttp, RetellSignatureAndHowItFails) {
    start();
    const std::string body = replace_all(payload_text("retell_function_call.json"), kPlaceholderPhone, contact_phone());
    sim().clear_requests();
    EXPECT_EQ(retell("/voice/retell", body, 0, "key_wrong")->status, 401);
    EXPECT_EQ(retell("/voice/retell", body, voice::now_epoch_ms() - 6 * 60'000)->status, 401);
    EXPECT_EQ(retell("/voice/retell", body, voice::now_epoch_ms() + 6 * 60'000)->status, 401);
    const std::string header = voice::retell_signature(kRetellKey, body, voice::now_epoch_ms());
    EXPECT_EQ(post("/voice/retell", body + "\n", {{"X-Retell-Signature", header}})->status, 401) << "altered body";
    EXPECT_EQ(post("/voice/retell", body, {{"X-Retell-Signature", "v=1,d=abc"}})->status, 401);
    EXPECT_EQ(post("/voice/retell", body, {})->status, 401);
    EXPECT_TRUE(sim().requests().empty());
    EXPECT_EQ(post("/voice/retell", body, {{"X-Retell-Signature", header}})->status, 200);
    EXPECT_EQ(post("/voice/retell", body, {{"Authorization", "Bearer " + desk_key_}})->status, 200);
}

TEST_F(VoiceHttp, KeysKeepTheirScopeAndPlatformsTheVoiceToolset) {
    start();
    const std::string slot = a_free_slot();
    const int before = booked();
    // A read-only key cannot book through the voice door either.
    auto r = body_of(vapi(vapi_body("c-scope", {{"t1", "book_appointment", booking(slot)}}),
                          {{"Authorization", "Bearer " + reader_key_}}));
    EXPECT_TRUE(r["results"][0].contains("error")) << r.dump();
    EXPECT_EQ(booked(), before);
    // A platform credential may use the voice tools only; an API key its whole scope.
    auto platform = body_of(vapi(vapi_body("c-scope", {{"t2", "get_server_status", json::object()}})));
    EXPECT_NE(platform["results"][0].value("error", "").find("not one of the voice tools"), std::string::npos)
        << platform.dump();
    auto keyed = body_of(vapi(vapi_body("c-scope", {{"t3", "get_server_status", json::object()}}),
                              {{"Authorization", "Bearer " + desk_key_}}));
    EXPECT_TRUE(keyed["results"][0].contains("result")) << keyed.dump();
    // Audited like any MCP call: who (key name or platform), which tool, the outcome.
    ASSERT_NE(app_->audit(), nullptr);
    auto rows = app_->audit()->recent(10);
    ASSERT_GE(rows.size(), 2u);
    EXPECT_EQ(rows[0].caller, "desk");
    EXPECT_EQ(rows[0].tool, "get_server_status");
    bool reader_refused = false;
    for (const auto& row : rows)
        reader_refused |= row.caller == "reader" && row.tool == "book_appointment";
    EXPECT_TRUE(reader_refused) << "the read-only key's attempt is in the audit log";
    auto found = body_of(vapi(vapi_body("c-scope", {{"t4", "find_contact", {{"phone", "+15550001234"}}}})));
    ASSERT_TRUE(found["results"][0].contains("result")) << found.dump();
    EXPECT_EQ(app_->audit()->recent(1).at(0).caller, "voice:vapi");
}

// ---- Idempotent writes ----------------------------------------------------------------------

TEST_F(VoiceHttp, AKeyOfAnotherSubAccountGetsNothingThroughTheVoiceDoor) {
    // The voice row of the scope table (issue 18): the same key scope as /mcp, audited, and no
    // GHL request for a refused call.
    start();
    const std::string elsewhere = store_->create("elsewhere", {"otherLocation123"}, {}, false);
    sim().clear_requests();
    auto r = body_of(vapi(vapi_body("c-else", {{"t1", "find_contact", {{"phone", "+15550001234"}}}}),
                          {{"Authorization", "Bearer " + elsewhere}}));
    ASSERT_TRUE(r["results"][0].contains("error")) << r.dump();
    EXPECT_EQ(r.dump().find("+15550001234"), std::string::npos) << "nothing of the contact comes back";
    EXPECT_TRUE(sim().requests().empty()) << "a refused voice call reached GHL";
    const auto rows = app_->audit()->recent(1);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].caller, "elsewhere");
    EXPECT_EQ(rows[0].tool, "find_contact");
    EXPECT_EQ(rows[0].outcome, "refused");
}

TEST_F(VoiceHttp, RetriedBookingsBookOnce) {
    start();
    const std::string slot = a_free_slot();
    const int before = booked();
    const std::string body = vapi_body("call-idem", {{"tc-1", "book_appointment", booking(slot)}});
    json first = body_of(vapi(body));
    ASSERT_TRUE(first["results"][0].contains("result")) << first.dump();
    const json id = first["results"][0]["metadata"]["data"]["appointment"]["id"];
    EXPECT_NE(first["results"][0]["result"].get<std::string>().find("You're booked for "), std::string::npos);
    // The platform's retry (same call and tool call id), and the model asking again (new id).
    json again = body_of(vapi(body));
    EXPECT_EQ(again["results"][0]["metadata"]["data"]["appointment"]["id"], id) << again.dump();
    json asked_again = body_of(vapi(vapi_body("call-idem", {{"tc-2", "book_appointment", booking(slot)}})));
    EXPECT_EQ(asked_again["results"][0]["toolCallId"], "tc-2");
    EXPECT_EQ(asked_again["results"][0]["metadata"]["data"]["appointment"]["id"], id);
    EXPECT_EQ(booked(), before + 1);
    // Retell retries its whole request (no tool call id: the same arguments are the key).
    json retell_body = json::parse(payload_text("retell_function_call.json"));
    retell_body["name"] = "book_appointment";
    retell_body["args"] = booking(a_free_slot());
    json via_retell = body_of(retell("/voice/retell", retell_body.dump()));
    ASSERT_EQ(via_retell["ok"], true) << via_retell.dump();
    json retried = body_of(retell("/voice/retell", retell_body.dump()));
    EXPECT_EQ(retried["result"]["appointment"]["id"], via_retell["result"]["appointment"]["id"]) << retried.dump();
    EXPECT_EQ(booked(), before + 2);
    EXPECT_EQ(voice_->counters().replayed, 3u);
}

TEST_F(VoiceHttp, ARetryWhileTheFirstAttemptRunsWaitsForItInsteadOfBooking) {
    start();
    const std::string slot = a_free_slot();
    const int before = booked();
    ghlsim::Faults slow;
    slow.latency_ms = 300;
    sim().set_faults(slow);
    const std::string body = vapi_body("call-race", {{"tc-race", "book_appointment", booking(slot)}});
    json a, b;
    std::thread t1([&] { a = body_of(vapi(body)); });
    std::this_thread::sleep_for(50ms);
    std::thread t2([&] { b = body_of(vapi(body)); });
    t1.join();
    t2.join();
    ASSERT_TRUE(a["results"][0].contains("result")) << a.dump();
    ASSERT_TRUE(b["results"][0].contains("result")) << b.dump();
    EXPECT_EQ(a["results"][0]["metadata"]["data"]["appointment"]["id"],
              b["results"][0]["metadata"]["data"]["appointment"]["id"]);
    EXPECT_EQ(booked(), before + 1);
}

// ---- Deadlines ------------------------------------------------------------------------------

TEST_F(VoiceHttp, ASlowGhlGetsASpeakableAnswerInTimeAndTheRetryGetsTheBooking) {
    start(300ms);
    const std::string slot = a_free_slot();
    const int before = booked();
    ghlsim::Faults slow;
    slow.latency_ms = 600;  // the slot check and the booking: 1.2 s at least
    sim().set_faults(slow);
    const std::string body = vapi_body("call-slow", {{"tc-slow", "book_appointment", booking(slot)}});
    const auto t0 = std::chrono::steady_clock::now();
    json first = body_of(vapi(body));
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_LT(took, 550ms) << "the budget is 300 ms";
    ASSERT_TRUE(first["results"][0].contains("error")) << first.dump();
    EXPECT_EQ(first["results"][0]["metadata"]["timedOut"], true);
    EXPECT_NE(first["results"][0]["error"].get<std::string>().find("will not be done twice"), std::string::npos);
    // Asked again while the first attempt still runs: still no second booking.
    json during = body_of(vapi(body));
    EXPECT_EQ(during["results"][0]["metadata"]["timedOut"], true) << during.dump();
    // The first attempt finishes in the background; the next retry gets its result.
    for (int i = 0; i < 100 && booked() == before; ++i) std::this_thread::sleep_for(50ms);
    EXPECT_EQ(booked(), before + 1);
    json later = body_of(vapi(body));
    ASSERT_TRUE(later["results"][0].contains("result")) << later.dump();
    EXPECT_NE(later["results"][0]["result"].get<std::string>().find("You're booked for "), std::string::npos);
    EXPECT_EQ(booked(), before + 1);
    // Reads time out with their own line.
    auto read = body_of(vapi(vapi_body("call-slow", {{"tc-read", "find_contact", {{"phone", "+15550001234"}}}})));
    EXPECT_NE(read["results"][0].value("error", "").find("slow right now"), std::string::npos) << read.dump();
    sim().set_faults({});
}

// ---- Free-slot cache ------------------------------------------------------------------------

TEST_F(VoiceHttp, FreeSlotsComeFromTheCacheUntilABookingDropsThem) {
    start();
    const json args = slot_args();
    json first = body_of(vapi(vapi_body("call-slots", {{"s1", "get_free_slots", args}})));
    ASSERT_TRUE(first["results"][0].contains("result")) << first.dump();
    const std::string line = first["results"][0]["result"];
    EXPECT_NE(line.find(" works; I can also do "), std::string::npos) << line;
    const std::string start_iso = first["results"][0]["metadata"]["data"]["slots"][0]["start"];
    sim().clear_requests();
    json second = body_of(vapi(vapi_body("call-slots", {{"s2", "get_free_slots", args}})));
    EXPECT_EQ(second["results"][0]["result"], line);
    EXPECT_EQ(second["results"][0]["toolCallId"], "s2");
    EXPECT_TRUE(sim().requests().empty()) << "served from the cache";
    EXPECT_EQ(voice_->counters().slot_hits, 1u);
    // Booking the first slot (here through the MCP dispatcher, not the voice door) drops the cache.
    auto booked_out = app_->call("book_appointment", booking(start_iso));
    ASSERT_FALSE(booked_out.is_error) << booked_out.result.dump();
    json third = body_of(vapi(vapi_body("call-slots", {{"s3", "get_free_slots", args}})));
    EXPECT_FALSE(sim().requests().empty()) << "asked GHL again";
    EXPECT_NE(third["results"][0]["metadata"]["data"]["slots"][0]["start"], start_iso);
}

// ---- What the agent says is true ------------------------------------------------------------

/// One conversational turn: what the agent says, and the structured result it is about.
struct Turn {
    std::string said;
    json data;
};

/// Book -> cancel -> book again ("actually, keep it"), then reschedule there and back twice,
/// each turn a new tool call (as a model makes them, seconds apart at most). After each turn
/// the line the agent says must match what GHL now holds for that appointment.
void conversation(VoiceHttp& t, const std::function<Turn(const std::string&, const json&)>& turn,
                  const std::function<json(const std::string&)>& get_appointment,
                  const std::vector<std::string>& slots, const json& base_booking) {
    ASSERT_EQ(slots.size(), 2u);
    auto check = [&](const Turn& x, const char* step) {
        SCOPED_TRACE(step);
        ASSERT_TRUE(x.data.contains("appointment")) << x.said << " " << x.data.dump();
        const std::string id = x.data["appointment"].value("id", "");
        ASSERT_FALSE(id.empty()) << x.data.dump();
        const json shown = get_appointment(id);
        const bool cancelled = shown.value("status", "") == "cancelled";
        EXPECT_EQ(x.said.find("cancelled") != std::string::npos, cancelled) << x.said << " vs " << shown.dump();
        auto at = voice::spoken_time(shown.value("startTime", ""));
        ASSERT_TRUE(at) << shown.dump();
        EXPECT_NE(x.said.find(*at), std::string::npos) << x.said << " vs " << shown.dump();
    };
    (void)t;
    json book = base_booking;
    book["startTime"] = slots[0];
    Turn booked = turn("book_appointment", book);
    check(booked, "book 1");
    const std::string first = booked.data["appointment"].value("id", "");
    check(turn("cancel_appointment", {{"appointmentId", first}}), "cancel");
    // "Actually, keep it": the same words as the first booking, a new action.
    Turn again = turn("book_appointment", book);
    check(again, "book again");
    const std::string id = again.data["appointment"].value("id", "");
    EXPECT_NE(id, first) << "the cancelled appointment is not the booking the caller now has";
    for (int round = 0; round < 2; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        check(turn("reschedule_appointment", {{"appointmentId", id}, {"startTime", slots[1]}}), "there");
        check(turn("reschedule_appointment", {{"appointmentId", id}, {"startTime", slots[0]}}), "back");
    }
}

TEST_F(VoiceHttp, VapiConversationSaysWhatGetAppointmentShows) {
    start();
    const auto slots = free_slots(2);
    const int before = booked();
    int n = 0;
    auto turn = [&](const std::string& name, const json& args) {
        const std::string tc = "tc-conv-" + std::to_string(++n);
        json b = body_of(vapi(vapi_body("call-conversation", {{tc, name, args}})));
        const json& r = b["results"][0];
        EXPECT_TRUE(r.contains("result")) << b.dump();
        EXPECT_EQ(r["toolCallId"], tc);
        const std::string line = r.value("result", "");
        return Turn{line.substr(0, line.find(" Details: ")), r.contains("metadata") ? r["metadata"]["data"] : json()};
    };
    // get_appointment through the voice door too, with an API key (it is not a voice tool).
    auto get_appointment = [&](const std::string& id) {
        json b = body_of(vapi(vapi_body("call-conversation", {{"tc-get-" + std::to_string(++n), "get_appointment",
                                                                {{"appointmentId", id}}}}),
                              {{"Authorization", "Bearer " + desk_key_}}));
        EXPECT_TRUE(b["results"][0].contains("result")) << b.dump();
        return b["results"][0]["metadata"]["data"]["appointment"];
    };
    conversation(*this, turn, get_appointment, slots, booking(""));
    EXPECT_EQ(booked(), before + 2);
}

TEST_F(VoiceHttp, RetellConversationSaysWhatGetAppointmentShows) {
    start();
    const auto slots = free_slots(2);
    const int before = booked();
    std::int64_t ts = voice::now_epoch_ms();
    int n = 0;
    // Turns alternate between Retell's default payload and its args-only one.
    auto turn = [&](const std::string& name, const json& args) {
        json r;
        if (++n % 2) {
            json body = json::parse(payload_text("retell_function_call.json"));
            body["name"] = name;
            body["args"] = args;
            r = body_of(retell("/voice/retell", body.dump(), ++ts));
        } else {
            r = body_of(retell("/voice/retell/" + name, args.dump(), ++ts));
        }
        EXPECT_EQ(r["ok"], true) << r.dump();
        return Turn{r.value("say", ""), r.contains("result") ? r["result"] : json()};
    };
    auto get_appointment = [&](const std::string& id) {  // the simulator's record, through the tool
        auto out = app_->call("get_appointment", {{"appointmentId", id}});
        EXPECT_FALSE(out.is_error) << out.result.dump();
        return out.result["appointment"];
    };
    conversation(*this, turn, get_appointment, slots, booking(""));
    EXPECT_EQ(booked(), before + 2);
}

TEST_F(VoiceHttp, RescheduleThereAndBackTwiceMovesItEachTime) {
    start();
    const auto slots = free_slots(2);
    json booked_now = body_of(vapi(vapi_body("call-move", {{"tc-move-0", "book_appointment", booking(slots[0])}})));
    const std::string id = booked_now["results"][0]["metadata"]["data"]["appointment"].value("id", "");
    ASSERT_FALSE(id.empty()) << booked_now.dump();
    int n = 0;
    for (int round = 0; round < 2; ++round) {
        for (const std::string& to : {slots[1], slots[0]}) {
            SCOPED_TRACE("round " + std::to_string(round) + " to " + to);
            json b = body_of(vapi(vapi_body("call-move", {{"tc-move-" + std::to_string(++n), "reschedule_appointment",
                                                             {{"appointmentId", id}, {"startTime", to}}}})));
            const std::string said = b["results"][0].value("result", "");
            auto shown = app_->call("get_appointment", {{"appointmentId", id}});
            ASSERT_FALSE(shown.is_error) << shown.result.dump();
            const std::string start_time = shown.result["appointment"].value("startTime", "");
            EXPECT_EQ(start_time, to) << "the move was not made: " << said;
            auto at = voice::spoken_time(start_time);
            ASSERT_TRUE(at);
            EXPECT_EQ(said.rfind("The appointment is moved to " + *at + ".", 0), 0u) << said;
        }
    }
}

TEST_F(VoiceHttp, TheSameToolCallIdWithOtherArgumentsIsANewAction) {
    start();
    const auto slots = free_slots(2);
    const int before = booked();
    json a = body_of(vapi(vapi_body("call-same-id", {{"tc-same", "book_appointment", booking(slots[0])}})));
    json b = body_of(vapi(vapi_body("call-same-id", {{"tc-same", "book_appointment", booking(slots[1])}})));
    ASSERT_TRUE(b["results"][0].contains("result")) << b.dump();
    EXPECT_NE(a["results"][0]["metadata"]["data"]["appointment"]["id"],
              b["results"][0]["metadata"]["data"]["appointment"]["id"]);
    EXPECT_EQ(b["results"][0]["metadata"]["data"]["appointment"]["startTime"], slots[1]) << b.dump();
    EXPECT_EQ(booked(), before + 2);
}

TEST_F(VoiceHttp, ARepeatAfterTheRetryWindowIsANewActionButTheSameAttemptIsNot) {
    start(2500ms, true, [](voice::VoiceOptions& o) { o.retry_window = 300ms; });
    const int before = notes();
    const json args = note("Caller asked for a call back");
    auto send = [&](const std::string& tc) {
        json b = body_of(vapi(vapi_body("call-window", {{tc, "add_contact_note", args}})));
        EXPECT_TRUE(b["results"][0].contains("result")) << b.dump();
        return b["results"][0];
    };
    send("tc-w1");
    EXPECT_TRUE(send("tc-w2").contains("result"));  // a platform retry under a new id: replayed
    EXPECT_EQ(notes(), before + 1);
    std::this_thread::sleep_for(400ms);
    send("tc-w1");  // the platform resending the same attempt: still its first answer
    EXPECT_EQ(notes(), before + 1);
    send("tc-w3");  // the caller asking again later: a new note
    EXPECT_EQ(notes(), before + 2);
    EXPECT_EQ(voice_->counters().replayed, 2u);
}

// ---- Limits -----------------------------------------------------------------------------------

TEST_F(VoiceHttp, AToolCallListOverTheCapDoesNotFanOut) {
    start();
    const int before = notes();
    std::vector<std::tuple<std::string, std::string, json>> calls;
    for (int i = 0; i < 25; ++i)
        calls.emplace_back("tc-fan-" + std::to_string(i), "add_contact_note", note("note " + std::to_string(i)));
    json b = body_of(vapi(vapi_body("call-fan", calls)));
    ASSERT_EQ(b["results"].size(), 25u) << b.dump();
    for (int i = 0; i < 25; ++i) {
        const json& r = b["results"][static_cast<std::size_t>(i)];
        EXPECT_EQ(r["toolCallId"], "tc-fan-" + std::to_string(i));
        if (i < 10) {
            EXPECT_TRUE(r.contains("result")) << r.dump();
        } else {
            const std::string line = r.value("error", "");
            EXPECT_EQ(line.rfind("I couldn't add the note: that was more than 10 things at once", 0), 0u) << line;
            EXPECT_EQ(line.find('\n'), std::string::npos);
        }
    }
    EXPECT_EQ(notes(), before + 10);
}

TEST_F(VoiceHttp, MaxInFlightCountsCallsNotRequests) {
    start(2500ms, true, [](voice::VoiceOptions& o) { o.max_in_flight = 2; });
    const int before = notes();
    json b = body_of(vapi(vapi_body("call-busy", {{"b1", "add_contact_note", note("one")},
                                                  {"b2", "add_contact_note", note("two")},
                                                  {"b3", "add_contact_note", note("three")}})));
    ASSERT_EQ(b["results"].size(), 3u);
    EXPECT_TRUE(b["results"][0].contains("result")) << b.dump();
    EXPECT_TRUE(b["results"][1].contains("result")) << b.dump();
    EXPECT_NE(b["results"][2].value("error", "").find("busy"), std::string::npos) << b.dump();
    EXPECT_EQ(notes(), before + 2);
    // The busy call was not remembered: asking again runs it.
    json again = body_of(vapi(vapi_body("call-busy", {{"b3", "add_contact_note", note("three")}})));
    EXPECT_TRUE(again["results"][0].contains("result")) << again.dump();
    EXPECT_EQ(notes(), before + 3);
}

TEST_F(VoiceHttp, QueuedCallsPastTheDeadlineNeverStartAndSaySo) {
    start(300ms);
    const int before = notes();
    ghlsim::Faults slow;
    slow.latency_ms = 450;
    sim().set_faults(slow);
    const std::string body = vapi_body("call-queue", {{"q1", "add_contact_note", note("first")},
                                                      {"q2", "add_contact_note", note("second")},
                                                      {"q3", "add_contact_note", note("third")}});
    json b = body_of(vapi(body));
    ASSERT_EQ(b["results"].size(), 3u) << b.dump();
    EXPECT_EQ(b["results"][0]["metadata"]["timedOut"], true) << b.dump();
    EXPECT_NE(b["results"][0].value("error", "").find("still trying"), std::string::npos);
    for (std::size_t i = 1; i < 3; ++i) {
        EXPECT_EQ(b["results"][i]["metadata"]["notStarted"], true) << b.dump();
        EXPECT_NE(b["results"][i].value("error", "").find("nothing has been done yet"), std::string::npos) << b.dump();
    }
    // The first call finishes in the background; the two queued ones never go out.
    for (int i = 0; i < 100 && notes() == before; ++i) std::this_thread::sleep_for(50ms);
    std::this_thread::sleep_for(1200ms);
    EXPECT_EQ(notes(), before + 1);
    EXPECT_EQ(voice_->counters().not_started, 2u);
    // The platform's retry: the first call's result, and the other two run now.
    sim().set_faults({});
    json retry = body_of(vapi(body));
    for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(retry["results"][i].contains("result")) << retry.dump();
    EXPECT_EQ(notes(), before + 3);
}

TEST_F(VoiceHttp, ShutdownStopsQueuedCallsAndWaitsABoundedTime) {
    start(5000ms, true, [](voice::VoiceOptions& o) { o.shutdown_wait = 3s; });
    const int before = notes();
    ghlsim::Faults slow;
    slow.latency_ms = 700;
    sim().set_faults(slow);
    json b;
    std::thread caller([&] {
        b = body_of(vapi(vapi_body("call-stop", {{"s1", "add_contact_note", note("first")},
                                                 {"s2", "add_contact_note", note("second")}})));
    });
    std::this_thread::sleep_for(200ms);
    voice_.reset();  // the first call is running, the second queued
    caller.join();
    ASSERT_EQ(b["results"].size(), 2u) << b.dump();
    EXPECT_TRUE(b["results"][0].contains("result")) << b.dump();
    EXPECT_EQ(b["results"][1]["metadata"]["notStarted"], true) << b.dump();
    EXPECT_EQ(notes(), before + 1);
}

TEST_F(VoiceHttp, ShutdownAbandonsARunningCallAfterTheWait) {
    start(300ms, true, [](voice::VoiceOptions& o) { o.shutdown_wait = 200ms; });
    const int before = notes();
    ghlsim::Faults slow;
    slow.latency_ms = 2500;
    sim().set_faults(slow);
    json b = body_of(vapi(vapi_body("call-abandon", {{"a1", "add_contact_note", note("slow")}})));
    EXPECT_EQ(b["results"][0]["metadata"]["timedOut"], true) << b.dump();
    const auto t0 = std::chrono::steady_clock::now();
    voice_.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms) << "shutdown_wait is 200 ms";
    // Let the abandoned call land before the App goes away under it.
    for (int i = 0; i < 100 && notes() == before; ++i) std::this_thread::sleep_for(50ms);
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(notes(), before + 1);
}

TEST_F(VoiceHttp, RememberedWritesAreBounded) {
    start(2500ms, true, [](voice::VoiceOptions& o) { o.max_remembered = 8; });
    for (int i = 0; i < 30; ++i) {
        json b = body_of(vapi(vapi_body("call-mem", {{"m" + std::to_string(i), "add_contact_note",
                                                      note(std::string(2000, 'x') + std::to_string(i))}})));
        ASSERT_TRUE(b["results"][0].contains("result")) << b.dump();
    }
    EXPECT_LE(voice_->counters().remembered, 8u);
    // The newest write is still remembered: its retry books nothing new.
    const int before = notes();
    json again = body_of(vapi(vapi_body("call-mem", {{"m29", "add_contact_note", note(std::string(2000, 'x') + "29")}})));
    EXPECT_TRUE(again["results"][0].contains("result"));
    EXPECT_EQ(notes(), before);
}

// ---- Signatures ---------------------------------------------------------------------------------

TEST_F(VoiceHttp, ASignedRetellRequestCountsOnlyWhereItWasSent) {
    start(2500ms, true, [](voice::VoiceOptions& o) { o.retry_window = 0ms; });
    const std::string body = note("Signed once").dump();
    const std::string header = voice::retell_signature(kRetellKey, body, voice::now_epoch_ms());
    const int before = notes();
    auto first = post("/voice/retell/add_contact_note", body, {{"X-Retell-Signature", header}});
    ASSERT_EQ(first->status, 200) << first->body;
    EXPECT_EQ(body_of(first)["ok"], true);
    // Retell resending the same signed request: the same attempt, answered from memory.
    auto resent = post("/voice/retell/add_contact_note", body, {{"X-Retell-Signature", header}});
    EXPECT_EQ(body_of(resent)["result"], body_of(first)["result"]) << resent->body;
    EXPECT_EQ(notes(), before + 1);
    // The same signed body on another tool's path: someone replaying it.
    auto moved = post("/voice/retell/send_message", body, {{"X-Retell-Signature", header}});
    EXPECT_EQ(moved->status, 401) << moved->body;
    EXPECT_NE(body_of(moved).value("error", "").find("already used for another endpoint"), std::string::npos);
    // A new signature (a new request) with the same words: a deliberate repeat.
    const std::string later = voice::retell_signature(kRetellKey, body, voice::now_epoch_ms() + 1);
    EXPECT_EQ(body_of(post("/voice/retell/add_contact_note", body, {{"X-Retell-Signature", later}}))["ok"], true);
    EXPECT_EQ(notes(), before + 2);
}

// ---- Host and tunnels ---------------------------------------------------------------------------

const std::vector<std::string> kVoiceRoutes = {"/voice/vapi", "/voice/retell", "/voice/retell/find_contact"};

TEST_F(VoiceHttp, EveryVoiceRouteRefusesAForeignHost) {
    start();
    sim().clear_requests();
    const std::string vapi_ok = vapi_body("c-host", {{"t1", "find_contact", {{"phone", "+15550001234"}}}});
    const std::string retell_ok = json{{"phone", "+15550001234"}}.dump();
    for (const auto& route : kVoiceRoutes) {
        for (const std::string host : {"evil.example", "evil.example:8787", "127.0.0.1.evil.example"}) {
            SCOPED_TRACE(route + " Host " + host);
            const bool is_vapi = route == "/voice/vapi";
            const std::string& body = is_vapi ? vapi_ok : (route == "/voice/retell" ? std::string("{}") : retell_ok);
            httplib::Headers h = {{"Host", host}};
            if (is_vapi) h.emplace("X-Vapi-Secret", kVapiSecret);  // a valid credential does not help
            else h.emplace("X-Retell-Signature", voice::retell_signature(kRetellKey, body, voice::now_epoch_ms()));
            auto r = post(route, body, h);
            ASSERT_TRUE(r);
            EXPECT_EQ(r->status, 403) << r->body;
            EXPECT_EQ(body_of(r).value("error", ""), "Forbidden: Host '" + host + "' is not allowed");
        }
    }
    EXPECT_TRUE(sim().requests().empty());
}

TEST_F(VoiceHttp, ATunnelWithoutACredentialIsRefusedWithHowToConfigureOne) {
    start(2500ms, /*credentials=*/false, {}, {"voice.example.test"});
    const std::string expected =
        "Unauthorized: this request came through a tunnel or proxy and no voice credential is "
        "configured, so the voice endpoints answer only callers on this machine. Configure one and "
        "restart: GHL_MCP_VAPI_SECRET (Vapi X-Vapi-Secret), GHL_MCP_VAPI_HMAC_SECRET (Vapi HMAC "
        "credential) or GHL_MCP_RETELL_API_KEY (Retell), or an API key from `ghl-mcp keys create NAME` "
        "(with GHL_MCP_API_KEYS_FILE) sent as Authorization: Bearer";
    const std::string vapi_ok = vapi_body("c-tunnel", {{"t1", "send_message", {{"contactId", contact_id()},
                                                                               {"type", "SMS"},
                                                                               {"message", "hi"}}}});
    const std::string retell_ok = json{{"phone", "+15550001234"}}.dump();
    const std::vector<httplib::Headers> tunnels = {
        {{"Host", "voice.example.test"}},
        {{"X-Forwarded-For", "203.0.113.7"}},
        {{"Forwarded", "for=203.0.113.7;proto=https"}},
        {{"X-Forwarded-Host", "abc.ngrok.app"}},
    };
    sim().clear_requests();
    for (const auto& route : kVoiceRoutes) {
        const std::string& body = route == "/voice/vapi" ? vapi_ok : retell_ok;
        for (const auto& h : tunnels) {
            SCOPED_TRACE(route + " " + h.begin()->first);
            auto r = post(route, body, h);
            ASSERT_TRUE(r);
            EXPECT_EQ(r->status, 401) << r->body;
            EXPECT_EQ(body_of(r).value("error", ""), expected);
        }
        SCOPED_TRACE(route);
        auto foreign = post(route, body, {{"Host", "evil.example"}});
        EXPECT_EQ(foreign->status, 403) << foreign->body;
    }
    EXPECT_TRUE(sim().requests().empty()) << "nothing reached GHL";
    // On this machine, with nothing configured, the door stays open as /mcp is.
    auto local = body_of(vapi(vapi_body("c-local", {{"t1", "find_contact", {{"phone", contact_phone()}}}}), {}));
    EXPECT_TRUE(local["results"][0].contains("result")) << local.dump();
}

}  // namespace
