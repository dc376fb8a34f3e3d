// ghl::Client + ghl::CurlTransport against ghlsim::Simulator over real HTTP on a loopback port.
//
// Every test asserts on what the simulator saw (its request log and counters), not only on what
// the client returned: the Version and Authorization headers per endpoint, the query string as it
// arrived, that a rejected path id never left the process, that creates were never sent twice
// under injected 5xx and connection resets, that a 429 burst was retried, that the client-side
// limiter kept a concurrent burst inside the simulator's limit, and that a deadline was kept.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ghl/client.hpp"
#include "ghl/clock.hpp"
#include "ghl/curl_transport.hpp"
#include "ghl/endpoints.hpp"
#include "ghl/errors.hpp"
#include "ghl/pagination.hpp"
#include "ghl/rate_limiter.hpp"
#include "ghlsim/simulator.hpp"

namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr const char* kToken = "sim-token-0123456789";

/// The JSON a request carried (null when it had none or it is not JSON).
json body_of(const ghlsim::RequestRecord& r) {
    return json::parse(r.body, nullptr, /*allow_exceptions=*/false);
}

std::string header(const ghlsim::RequestRecord& r, const std::string& lower_name) {
    const auto it = r.headers.find(lower_name);
    return it == r.headers.end() ? "" : it->second;
}

long long ms_since(steady_clock::time_point t0) {
    return std::chrono::duration_cast<milliseconds>(steady_clock::now() - t0).count();
}

struct ClientSetup {
    /// The client limiter's budget; set it to the simulator's.
    ghl::RateLimits limits{100000, milliseconds(10000), 200000};
    /// Short backoff so that retry tests take milliseconds, not seconds.
    ghl::RetryPolicy retry{4, milliseconds(20), milliseconds(100), milliseconds(60000),
                           std::chrono::seconds(120)};
    std::string version_override;
};

class ClientSim : public ::testing::Test {
  protected:
    /// Starts a simulator with `o` (accepting kToken only) on an ephemeral loopback port and a
    /// client against it, its limiter and retry policy per `setup`.
    void start(ghlsim::Options o = {}, ClientSetup setup = {}) {
        o.tokens = {kToken};
        sim = std::make_unique<ghlsim::Simulator>(std::move(o));
        sim->start();
        ghl::InMemoryRateLimiterOptions lo;
        lo.defaults = setup.limits;
        limiter = std::make_shared<ghl::InMemoryRateLimiter>(lo);
        transport = std::make_shared<ghl::CurlTransport>();
        ghl::ClientOptions co;
        co.base_url = sim->base_url();
        co.retry = setup.retry;
        co.version_override = setup.version_override;
        co.jitter_seed = 12345;
        co.logger = std::make_shared<spdlog::logger>(
            "ghl-client-sim", std::make_shared<spdlog::sinks::null_sink_mt>());
        client = std::make_unique<ghl::Client>(co, transport, limiter);
    }

    /// A new limiter and client on the same transport (whose pooled connections stay open).
    void renew_client(const ClientSetup& setup) {
        ghl::InMemoryRateLimiterOptions lo;
        lo.defaults = setup.limits;
        limiter = std::make_shared<ghl::InMemoryRateLimiter>(lo);
        ghl::ClientOptions co = client->options();
        co.retry = setup.retry;
        co.version_override = setup.version_override;
        client = std::make_unique<ghl::Client>(co, transport, limiter);
    }

    static ghlsim::Options roomy() {
        ghlsim::Options o;
        o.rate = {100000, 10000};
        return o;
    }

    ghl::CallOptions opts(std::string token = kToken) const {
        ghl::CallOptions c;
        c.token = std::move(token);
        c.resource_key = loc();
        return c;
    }

    std::string loc() const { return sim->location_id(); }
    const ghlsim::SeedFacts& facts() const { return sim->seed_facts(); }

    /// Calls and expects an ApiError, which it returns.
    ghl::ApiError expect_error(std::string_view endpoint, const ghl::Params& path,
                               const ghl::Params& query, const json& body,
                               const ghl::CallOptions& call) {
        try {
            const json out = client->call(endpoint, path, query, body, call);
            ADD_FAILURE() << endpoint << " succeeded unexpectedly: " << out.dump().substr(0, 300);
        } catch (const ghl::ApiError& e) {
            return e;
        }
        return ghl::ApiError(ghl::ApiError::Details{});
    }

    struct Walk {
        std::vector<json> items;
        int pages = 0;
    };

    /// Every page of a listing, following the client's own cursors (encoded and decoded as a
    /// tool would hand them to the model and take them back).
    Walk walk(const std::string& endpoint_id, const ghl::Params& path, const ghl::Params& query,
              const json& body, const ghl::PageOptions& po) {
        const ghl::Endpoint& ep = ghl::endpoint(endpoint_id);
        const json filters = {{"endpoint", endpoint_id}, {"query", query}};
        Walk out;
        json position = json::object();
        for (int guard = 0; guard < 200; ++guard) {
            ghl::Params q = query;
            json b = body;
            ghl::apply_position(ep, position, q, b);
            const json page = client->call(endpoint_id, path, q, b, opts());
            ++out.pages;
            const json* items = ghl::page_items(page, po.items_key);
            if (items == nullptr) {
                ADD_FAILURE() << endpoint_id << ": no '" << po.items_key << "' array in "
                              << page.dump().substr(0, 300);
                return out;
            }
            for (const json& item : *items) out.items.push_back(item);
            const std::string cursor = ghl::next_cursor(ep, position, page, po, filters);
            if (cursor.empty()) return out;
            position = ghl::decode_cursor(cursor, endpoint_id, filters).position;
        }
        ADD_FAILURE() << endpoint_id << ": pagination did not end";
        return out;
    }

    static std::vector<std::string> ids_of(const std::vector<json>& items, const char* key = "id") {
        std::vector<std::string> out;
        for (const json& it : items) out.push_back(it.value(key, ""));
        return out;
    }

    std::unique_ptr<ghlsim::Simulator> sim;
    std::shared_ptr<ghl::InMemoryRateLimiter> limiter;
    std::shared_ptr<ghl::CurlTransport> transport;
    std::unique_ptr<ghl::Client> client;
};

// ---------------------------------------------------------------------------------------------
// Headers

TEST_F(ClientSim, SendsEachEndpointsSpecVersionAndTheBearerToken) {
    start(roomy());  // strict_version: an endpoint answers 400 to another published Version
    const std::string contact = facts().phone_only_contact_ids.at(0);
    const std::string loc_id = loc();
    struct Case {
        const char* endpoint;
        ghl::Params path;
        ghl::Params query;
        json body;
        const char* version;
        const char* path_prefix;
    };
    const std::vector<Case> cases = {
        {"contacts.get", {{"contactId", contact}}, {}, nullptr, "2021-07-28", "/contacts/"},
        {"contacts.appointments",
         {{"contactId", contact}},
         {},
         nullptr,
         "2021-07-28",
         "/contacts/"},
        {"contacts.search",
         {},
         {},
         {{"locationId", loc_id}, {"pageLimit", 1}},
         "2021-07-28",
         "/contacts/search"},
        {"opportunities.pipelines",
         {},
         {{"locationId", loc_id}},
         nullptr,
         "2021-07-28",
         "/opportunities/pipelines"},
        {"users.list", {}, {{"locationId", loc_id}}, nullptr, "2021-07-28", "/users"},
        {"workflows.list", {}, {{"locationId", loc_id}}, nullptr, "2021-07-28", "/workflows"},
        {"locations.get", {{"locationId", loc_id}}, {}, nullptr, "2021-07-28", "/locations/"},
        {"calendars.list", {}, {{"locationId", loc_id}}, nullptr, "2021-04-15", "/calendars"},
        {"calendars.get",
         {{"calendarId", facts().calendar_ids.at(0)}},
         {},
         nullptr,
         "2021-04-15",
         "/calendars/"},
        {"conversations.search",
         {},
         {{"locationId", loc_id}, {"limit", "1"}},
         nullptr,
         "2021-04-15",
         "/conversations/search"},
        {"conversations.get",
         {{"conversationId", facts().waiting_conversation_ids.at(0)}},
         {},
         nullptr,
         "2021-04-15",
         "/conversations/"},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(ghl::endpoint(c.endpoint).version, c.version) << c.endpoint;
        EXPECT_NO_THROW(client->call(c.endpoint, c.path, c.query, c.body, opts())) << c.endpoint;
    }
    const auto log = sim->requests();
    ASSERT_EQ(log.size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].endpoint);
        EXPECT_EQ(log[i].status / 100, 2) << log[i].method << " " << log[i].path;
        EXPECT_TRUE(log[i].path.starts_with(cases[i].path_prefix)) << log[i].path;
        EXPECT_EQ(header(log[i], "version"), cases[i].version);
        EXPECT_EQ(header(log[i], "authorization"), std::string("Bearer ") + kToken);
        EXPECT_EQ(header(log[i], "accept"), "application/json");
    }
    EXPECT_EQ(sim->counters().requests, static_cast<int>(cases.size()));
}

TEST_F(ClientSim, StrictSimulatorRejectsAnotherPublishedVersion) {
    // The control for the test above: the simulator really checks the pairing.
    ClientSetup setup;
    setup.version_override = "2021-04-15";
    start(roomy(), setup);
    const auto e = expect_error(
        "contacts.get", {{"contactId", facts().phone_only_contact_ids.at(0)}}, {}, nullptr, opts());
    EXPECT_EQ(e.kind(), ghl::ErrorKind::kHttp);
    EXPECT_EQ(e.status(), 400);
    const auto log = sim->requests();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(header(log[0], "version"), "2021-04-15");
}

TEST_F(ClientSim, WrongTokenIsA401WithAgentTextAndNoToken) {
    start(roomy());
    const std::string wrong = "pit-wrong-token-5b0e7c1d9a";
    const auto e =
        expect_error("contacts.get", {{"contactId", facts().phone_only_contact_ids.at(0)}}, {},
                     nullptr, opts(wrong));
    EXPECT_EQ(e.kind(), ghl::ErrorKind::kHttp);
    EXPECT_EQ(e.status(), 401);
    EXPECT_EQ(e.code(), "ghl.unauthorized");
    EXPECT_FALSE(e.transient());
    const std::string text = e.agent_text();
    EXPECT_TRUE(text.starts_with("[ghl.unauthorized]")) << text;
    EXPECT_NE(text.find("access token"), std::string::npos) << text;
    EXPECT_NE(text.find("Invalid token"), std::string::npos) << text;  // GHL's own message
    EXPECT_NE(text.find("Private Integration Token"), std::string::npos) << text;
    for (const std::string& s : {text, std::string(e.what()), e.message()}) {
        EXPECT_EQ(s.find(wrong), std::string::npos) << s;
        EXPECT_EQ(s.find("5b0e7c1d9a"), std::string::npos) << s;
    }
    // Sent once with the wrong token, refused, not retried.
    const auto log = sim->requests();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].status, 401);
    EXPECT_EQ(header(log[0], "authorization"), "Bearer " + wrong);
    EXPECT_EQ(sim->counters().rate_limited, 0);
}

// ---------------------------------------------------------------------------------------------
// Encoding

TEST_F(ClientSim, QueryValuesArriveEncodedExactlyOnceAndMatch) {
    start(roomy());
    // '+' in a phone number: sent raw it would arrive as a space (GHL decodes '+' as a space).
    const std::string phone_id = facts().phone_only_contact_ids.at(0);
    const json contact =
        client->call("contacts.get", {{"contactId", phone_id}}, {}, nullptr, opts())["contact"];
    const std::string phone = contact.value("phone", "");
    ASSERT_TRUE(phone.starts_with("+")) << contact.dump();

    // '+' and '@' in an email.
    const std::string email = "ada.lovelace+ghl@example.com";
    const json created = client->call(
        "contacts.create", {}, {},
        {{"locationId", loc()}, {"firstName", "Ada"}, {"lastName", "Lovelace"}, {"email", email}},
        opts());
    const std::string email_id = created["contact"].value("id", "");
    ASSERT_FALSE(email_id.empty()) << created.dump();

    sim->clear_requests();
    const json by_phone = client->call("contacts.duplicate_search", {},
                                       {{"locationId", loc()}, {"number", phone}}, nullptr, opts());
    const json by_email = client->call("contacts.duplicate_search", {},
                                       {{"locationId", loc()}, {"email", email}}, nullptr, opts());
    ASSERT_TRUE(by_phone["contact"].is_object()) << by_phone.dump();
    ASSERT_TRUE(by_email["contact"].is_object()) << by_email.dump();
    EXPECT_EQ(by_phone["contact"].value("id", ""), phone_id);
    EXPECT_EQ(by_email["contact"].value("id", ""), email_id);

    const auto log = sim->requests();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0].path, "/contacts/search/duplicate");
    EXPECT_EQ(log[0].query, "locationId=" + loc() + "&number=%2B" + phone.substr(1));
    EXPECT_EQ(log[1].query, "locationId=" + loc() + "&email=ada.lovelace%2Bghl%40example.com");
    for (const auto& r : log) {
        EXPECT_EQ(r.query.find('+'), std::string::npos) << r.query;
        EXPECT_EQ(r.query.find('@'), std::string::npos) << r.query;
        EXPECT_EQ(r.query.find("%25"), std::string::npos) << "encoded twice: " << r.query;
    }
}

TEST_F(ClientSim, PathIdsThatCouldChangeThePathNeverLeaveTheClient) {
    start(roomy());
    // One good call first, so the count below is not trivially zero.
    client->call("contacts.get", {{"contactId", facts().phone_only_contact_ids.at(0)}}, {}, nullptr,
                 opts());
    const int before = sim->counters().requests;
    const auto logged_before = sim->requests().size();
    for (const char* bad :
         {"../locations/x", "a/b", "..", "abc?x=1", "abc#frag", "%2e%2e", "a b", "a\\b", ""}) {
        SCOPED_TRACE(bad);
        const auto e =
            expect_error("contacts.get", {{"contactId", std::string(bad)}}, {}, nullptr, opts());
        EXPECT_EQ(e.kind(), ghl::ErrorKind::kInvalidArgument);
        EXPECT_EQ(e.code(), "ghl.invalid_argument");
        EXPECT_EQ(e.details().bad_param, "contactId");
        EXPECT_NE(e.agent_text().find("contactId"), std::string::npos) << e.agent_text();
    }
    // A bad id in the second of two path parameters is caught as well.
    const auto e = expect_error(
        "contacts.workflow.add",
        {{"contactId", facts().phone_only_contact_ids.at(0)}, {"workflowId", "../../x"}}, {},
        json::object(), opts());
    EXPECT_EQ(e.details().bad_param, "workflowId");
    EXPECT_EQ(sim->counters().requests, before);
    EXPECT_EQ(sim->requests().size(), logged_before);
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST_F(ClientSim, UnknownIdsAndUnknownRoutesAreTypedErrors) {
    start(roomy());
    // GHL v2 answers an unknown contact id with 400 {"message":"Contact not found"}, and the
    // simulator does the same; a 404 is what an unknown route gets.
    const std::string missing = "zzzzMissingContact01";
    const auto e = expect_error("contacts.get", {{"contactId", missing}}, {}, nullptr, opts());
    EXPECT_EQ(e.kind(), ghl::ErrorKind::kHttp);
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.code(), "ghl.bad_request");
    EXPECT_FALSE(e.transient());
    EXPECT_FALSE(e.trace_id().empty());
    std::string text = e.agent_text();
    EXPECT_NE(text.find("contactId '" + missing + "'"), std::string::npos) << text;
    EXPECT_NE(text.find("Contact not found"), std::string::npos) << text;

    // A route GHL has and the simulator does not serve: 404.
    const auto nf = expect_error("oauth.installed_locations", {},
                                 {{"companyId", std::string(ghlsim::kCompanyId)}}, nullptr, opts());
    EXPECT_EQ(nf.status(), 404);
    EXPECT_EQ(nf.code(), "ghl.not_found");
    text = nf.agent_text();
    EXPECT_NE(text.find("GHL found nothing"), std::string::npos) << text;
    EXPECT_NE(text.find("/oauth/installedLocations"), std::string::npos) << text;

    // Neither is retried: one request each.
    const auto log = sim->requests();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0].status, 400);
    EXPECT_EQ(log[1].status, 404);
}

TEST_F(ClientSim, MissingRequiredParamsAreActionable) {
    start(roomy());
    // 422 (UnprocessableDTO) with class-validator messages naming the field.
    auto e = expect_error("contacts.create", {}, {}, {{"firstName", "NoLocation"}}, opts());
    EXPECT_EQ(e.status(), 422);
    EXPECT_EQ(e.code(), "ghl.invalid_params");
    std::string text = e.agent_text();
    EXPECT_NE(text.find("locationId"), std::string::npos) << text;
    EXPECT_NE(text.find("Fix these fields"), std::string::npos) << text;

    e = expect_error("contacts.create", {}, {}, {{"locationId", loc()}, {"favouriteColour", "red"}},
                     opts());
    EXPECT_EQ(e.status(), 422);
    text = e.agent_text();
    EXPECT_NE(text.find("favouriteColour"), std::string::npos) << text;

    e = expect_error("opportunities.search", {}, {{"limit", "5"}}, nullptr, opts());
    EXPECT_EQ(e.status(), 422);
    text = e.agent_text();
    EXPECT_NE(text.find("location_id"), std::string::npos) << text;

    // Where the spec declares no 422 GHL answers the same array body with 400.
    e = expect_error("contacts.search", {}, {}, {{"locationId", loc()}}, opts());
    EXPECT_EQ(e.status(), 400);
    text = e.agent_text();
    EXPECT_NE(text.find("pageLimit"), std::string::npos) << text;

    const auto log = sim->requests();
    ASSERT_EQ(log.size(), 4u);  // none retried
    EXPECT_EQ(sim->counters().contacts_created, 0);
}

// ---------------------------------------------------------------------------------------------
// Pagination

TEST_F(ClientSim, WalksEveryPageOfContactsWithSearchAfter) {
    start(roomy());
    ghl::PageOptions po;
    po.page_size = 100;
    po.items_key = "contacts";
    const Walk w = walk("contacts.search", {}, {}, {{"locationId", loc()}, {"pageLimit", 100}}, po);
    const auto ids = ids_of(w.items);
    const std::set<std::string> unique(ids.begin(), ids.end());
    EXPECT_EQ(static_cast<int>(ids.size()), facts().contacts);
    EXPECT_EQ(unique.size(), ids.size()) << "duplicates across pages";
    EXPECT_EQ(unique.count(""), 0u);
    EXPECT_EQ(w.pages, 3);
    const auto log = sim->requests();
    ASSERT_EQ(log.size(), 3u);
    EXPECT_FALSE(body_of(log[0]).contains("searchAfter"));
    EXPECT_TRUE(body_of(log[1]).contains("searchAfter"));
    EXPECT_TRUE(body_of(log[2]).contains("searchAfter"));
}

TEST_F(ClientSim, WalksEveryPageOfContactsWithStartAfterId) {
    start(roomy());
    ghl::PageOptions po;
    po.page_size = 100;
    po.items_key = "contacts";
    const Walk w =
        walk("contacts.list", {}, {{"locationId", loc()}, {"limit", "100"}}, nullptr, po);
    const auto ids = ids_of(w.items);
    const std::set<std::string> unique(ids.begin(), ids.end());
    EXPECT_EQ(static_cast<int>(ids.size()), facts().contacts);
    EXPECT_EQ(unique.size(), ids.size());
    EXPECT_EQ(w.pages, 3);
    const auto log = sim->requests();
    ASSERT_EQ(log.size(), 3u);
    EXPECT_NE(log[1].query.find("startAfterId="), std::string::npos) << log[1].query;
}

TEST_F(ClientSim, WalksEveryPageOfOpportunitiesEndingOnAFullPage) {
    start(roomy());
    // 80 opportunities in pages of 20: the last page is full, so only meta.nextPage == null
    // ends the walk (no empty fifth request).
    ASSERT_EQ(facts().opportunities % 20, 0);
    ghl::PageOptions po;
    po.page_size = 20;
    po.items_key = "opportunities";
    const Walk w =
        walk("opportunities.search", {}, {{"location_id", loc()}, {"limit", "20"}}, nullptr, po);
    const auto ids = ids_of(w.items);
    const std::set<std::string> unique(ids.begin(), ids.end());
    EXPECT_EQ(static_cast<int>(ids.size()), facts().opportunities);
    EXPECT_EQ(unique.size(), ids.size());
    EXPECT_EQ(w.pages, facts().opportunities / 20);
    for (const auto& r : sim->requests()) EXPECT_EQ(r.status, 200);
}

TEST_F(ClientSim, WalksEveryPageOfConversationsWithStartAfterDate) {
    start(roomy());
    ghl::PageOptions po;
    po.page_size = 25;
    po.items_key = "conversations";
    po.sort_field = "lastMessageDate";
    const Walk w =
        walk("conversations.search", {}, {{"locationId", loc()}, {"limit", "25"}}, nullptr, po);
    const auto ids = ids_of(w.items);
    const std::set<std::string> unique(ids.begin(), ids.end());
    EXPECT_EQ(static_cast<int>(ids.size()), facts().conversations);
    EXPECT_EQ(unique.size(), ids.size());
    EXPECT_EQ(w.pages, (facts().conversations + 24) / 25);
}

TEST_F(ClientSim, WalksEveryMessageOfEveryConversationWithLastMessageId) {
    // Both shapes of the messages page: {lastMessageId, nextPage, messages[]} and the older
    // {messages: {lastMessageId, nextPage, messages[]}}.
    for (bool nested : {false, true}) {
        SCOPED_TRACE(nested ? "nested shape" : "flat shape");
        ghlsim::Options o = roomy();
        o.nested_messages = nested;
        start(o);
        ghl::PageOptions cpo;
        cpo.page_size = 100;
        cpo.items_key = "conversations";
        const auto conversations =
            ids_of(walk("conversations.search", {}, {{"locationId", loc()}, {"limit", "100"}},
                        nullptr, cpo)
                       .items);
        ASSERT_EQ(static_cast<int>(conversations.size()), facts().conversations);
        std::size_t total = 0;
        std::set<std::string> unique;
        int longest = 0;
        for (const std::string& conv : conversations) {
            ghl::PageOptions po;
            po.page_size = 5;
            po.items_key = "messages";
            const Walk w = walk("conversations.messages.list", {{"conversationId", conv}},
                                {{"limit", "5"}}, nullptr, po);
            const auto ids = ids_of(w.items);
            total += ids.size();
            unique.insert(ids.begin(), ids.end());
            longest = std::max(longest, w.pages);
        }
        EXPECT_EQ(static_cast<int>(total), facts().messages);
        EXPECT_EQ(unique.size(), total) << "duplicates across pages";
        EXPECT_GT(longest, 1) << "no conversation needed a second page";
        client.reset();
        sim.reset();
    }
}

// ---------------------------------------------------------------------------------------------
// Rate limiter

TEST(InMemoryRateLimiterCompleted, ASlowRequestsSlotCountsFromItsEnd) {
    // GHL counts a request when it arrives, which can be up to its completion; a request slower
    // than the safety margin (here 10 ms) must not free its slot one window after it was merely
    // scheduled. Virtual time, so the numbers are exact.
    auto clock = std::make_shared<ghl::ManualClock>();
    ghl::InMemoryRateLimiterOptions lo;
    lo.defaults = {2, milliseconds(1000), 1000};
    ghl::InMemoryRateLimiter limiter(lo, clock);
    const auto t0 = clock->now();
    const auto far = t0 + std::chrono::hours(1);
    const auto a = limiter.acquire("k", far);
    const auto b = limiter.acquire("k", far);
    ASSERT_EQ(a.ready_at, t0);
    ASSERT_EQ(b.ready_at, t0);
    limiter.completed("k", b.ready_at);  // fast: within the margin, nothing changes
    clock->advance(milliseconds(200));   // a took 200 ms (a cold TLS connection, say)
    limiter.completed("k", a.ready_at);
    limiter.completed("other", a.ready_at);              // unknown key: ignored
    limiter.completed("k", t0 - std::chrono::hours(1));  // unknown slot: ignored
    const auto c = limiter.acquire("k", far);
    const auto d = limiter.acquire("k", far);
    EXPECT_EQ(c.ready_at, t0 + milliseconds(1010));  // one window (+1%) after b
    // One window (+1%) after a ended, minus the margin: not before a's arrival + 1000 ms.
    EXPECT_EQ(d.ready_at, t0 + milliseconds(1200));
    EXPECT_EQ(limiter.state("k").in_window, 4);
}

TEST(InMemoryRateLimiterCompleted, TheClientReportsWhenEachRequestEnded) {
    // The same through ghl::Client: the first request takes 200 ms (virtual), so the third,
    // which needs its slot, waits for one window (+1%) after it ended, minus the margin.
    auto clock = std::make_shared<ghl::ManualClock>();
    struct SlowFirst final : ghl::HttpTransport {
        std::shared_ptr<ghl::ManualClock> clock;
        std::vector<ghl::Clock::time_point> sent;
        ghl::Response send(const ghl::Request&) override {
            sent.push_back(clock->now());
            if (sent.size() == 1) clock->advance(milliseconds(200));
            ghl::Response r;
            r.status = 200;
            r.body = "{}";
            return r;
        }
    };
    auto transport = std::make_shared<SlowFirst>();
    transport->clock = clock;
    ghl::InMemoryRateLimiterOptions lo;
    lo.defaults = {2, milliseconds(1000), 1000};
    auto limiter = std::make_shared<ghl::InMemoryRateLimiter>(lo, clock);
    ghl::ClientOptions co;
    co.base_url = "http://127.0.0.1:9";
    co.logger =
        std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
    ghl::Client client(co, transport, limiter, clock);
    ghl::CallOptions call;
    call.token = kToken;
    call.resource_key = "loc";
    call.deadline = clock->now() + std::chrono::hours(1);
    const auto t0 = clock->now();
    for (int i = 0; i < 3; ++i)
        client.call("contacts.get", {{"contactId", "c1"}}, {}, nullptr, call);
    ASSERT_EQ(transport->sent.size(), 3u);
    const auto at = [&](std::size_t i) {
        return std::chrono::duration_cast<milliseconds>(transport->sent[i] - t0).count();
    };
    EXPECT_EQ(at(0), 0);
    EXPECT_EQ(at(1), 200);
    EXPECT_EQ(at(2), 1200);  // not 1010: the first request may have reached GHL at 200
}

TEST_F(ClientSim, LimiterKeepsAConcurrentBurstInsideTheSimulatorsLimit) {
    // 160 calls from 4 threads against 40 per 500 ms, the client limiter configured the same
    // (with its default 1% margin): the client must spread them over at least 3 more windows
    // and the simulator must never have to refuse one. The burst is several times the number of
    // callers, as with GHL's 100 per 10 s.
    constexpr int kMax = 40;
    constexpr int kIntervalMs = 500;
    constexpr int kThreads = 4;
    constexpr int kCalls = 4 * kMax;
    ghlsim::Options o;
    o.rate = {kMax, kIntervalMs};
    ClientSetup setup;
    setup.limits = {kMax, milliseconds(kIntervalMs), 200000};
    start(o, setup);
    const auto& ids = facts().phone_only_contact_ids;
    ASSERT_FALSE(ids.empty());
    const auto run = [&](int calls, std::vector<std::string>& failures) {
        std::atomic<int> next{0};
        std::mutex mu;
        std::vector<std::jthread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&] {
                for (int i = next++; i < calls; i = next++) {
                    const auto& id = ids[static_cast<std::size_t>(i) % ids.size()];
                    try {
                        client->call("contacts.get", {{"contactId", id}}, {}, nullptr, opts());
                    } catch (const std::exception& e) {
                        std::lock_guard lock(mu);
                        failures.push_back(e.what());
                    }
                }
            });
        }
    };
    // Open one connection per caller first, then forget that warm-up on both sides. (Under
    // ASan a cold connection can take longer than the limiter's margin to reach the simulator;
    // ASlowRequestsSlotCountsFromItsEnd covers that case deterministically.)
    std::vector<std::string> failures;
    run(kThreads, failures);
    ASSERT_TRUE(failures.empty()) << failures.front();
    sim->reset_rate_limits();
    sim->clear_requests();
    renew_client(setup);
    const auto before = sim->counters();

    const auto t0 = steady_clock::now();
    run(kCalls, failures);
    const auto elapsed = ms_since(t0);
    EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
    const auto counters = sim->counters();
    EXPECT_EQ(counters.rate_limited - before.rate_limited, 0)
        << "arrivals (ms after the first: status): " << [&] {
               std::string out;
               const auto log = sim->requests();
               for (const auto& r : log) {
                   out += std::to_string(r.at_ms - log.front().at_ms) + ":" +
                          std::to_string(r.status) + " ";
               }
               return out;
           }();
    EXPECT_EQ(counters.requests - before.requests, kCalls);
    const auto total = client->snapshot().total();
    EXPECT_EQ(total.successes, static_cast<std::uint64_t>(kCalls));
    EXPECT_EQ(total.http_429, 0u);
    EXPECT_EQ(total.retries, 0u);
    EXPECT_EQ(total.attempts, static_cast<std::uint64_t>(kCalls));
    // The last window's calls cannot start before 3 full windows have passed since the first.
    EXPECT_GE(elapsed, (kCalls / kMax - 1) * kIntervalMs) << "the limiter let the burst through";
    // Generous: 4 windows plus slack for a loaded machine under ASan.
    EXPECT_LT(elapsed, 15000) << "the limiter waited far longer than the budget requires";
}

// ---------------------------------------------------------------------------------------------
// Retries under injected faults

TEST_F(ClientSim, ReadsSucceedThroughServerErrorsAndResets) {
    ClientSetup setup;
    setup.retry.max_attempts = 10;
    start(roomy(), setup);
    sim->set_faults({.error_5xx_ratio = 0.2, .reset_ratio = 0.1, .latency_ms = 0, .burst_429 = 0});
    const auto& ids = facts().email_only_contact_ids;
    constexpr int kCalls = 40;
    for (int i = 0; i < kCalls; ++i) {
        const auto& id = ids[static_cast<std::size_t>(i) % ids.size()];
        const json c = client->call("contacts.get", {{"contactId", id}}, {}, nullptr, opts());
        EXPECT_EQ(c["contact"].value("id", ""), id);
    }
    const auto counters = sim->counters();
    EXPECT_GT(counters.faults, 0) << "no fault was injected: the test proved nothing";
    const auto total = client->snapshot().total();
    EXPECT_EQ(total.successes, static_cast<std::uint64_t>(kCalls));
    EXPECT_GT(total.retries, 0u);
    // Every failed attempt the simulator logged was answered by a retry.
    int failed = 0;
    for (const auto& r : sim->requests()) failed += r.status == 200 ? 0 : 1;
    EXPECT_EQ(counters.requests, kCalls + failed);
}

TEST_F(ClientSim, CreatesAreNeverSentTwiceUnderServerErrorsAndResets) {
    start(roomy());
    sim->set_faults({.error_5xx_ratio = 0.25, .reset_ratio = 0.2, .latency_ms = 0, .burst_429 = 0});
    const int created_before = sim->counters().contacts_created;
    constexpr int kCalls = 60;
    struct Outcome {
        bool ok = false;
        ghl::ErrorKind kind = ghl::ErrorKind::kHttp;
        int status = 0;
        std::string text;
    };
    std::vector<Outcome> outcomes(kCalls);
    auto marker = [](int i) { return "Probe" + std::to_string(1000 + i); };
    for (int i = 0; i < kCalls; ++i) {
        // No email or phone: the location's duplicate rule cannot mask a second create.
        const json body = {{"locationId", loc()}, {"firstName", "Dup"}, {"lastName", marker(i)}};
        try {
            const ghl::Reply r = client->call_reply("contacts.create", {}, {}, body, opts());
            outcomes[static_cast<std::size_t>(i)].ok = true;
            outcomes[static_cast<std::size_t>(i)].status = r.status;
            EXPECT_EQ(r.attempts, 1);
        } catch (const ghl::ApiError& e) {
            outcomes[static_cast<std::size_t>(i)] = {false, e.kind(), e.status(), e.agent_text()};
        }
    }
    sim->set_faults({});

    // What the simulator saw, per client call.
    std::map<std::string, std::vector<int>> statuses;  // marker -> statuses of its POSTs
    for (const auto& r : sim->requests()) {
        if (r.method != "POST" || (r.path != "/contacts/" && r.path != "/contacts")) continue;
        const json b = body_of(r);
        statuses[b.value("lastName", "")].push_back(r.status);
    }
    // What exists now: every probe contact, counted per marker.
    ghl::PageOptions po;
    po.page_size = 100;
    po.items_key = "contacts";
    const Walk w = walk("contacts.search", {}, {},
                        {{"locationId", loc()}, {"pageLimit", 100}, {"query", "Dup Probe"}}, po);
    std::map<std::string, int> records;
    for (const json& c : w.items) ++records[c.value("lastName", "")];

    int ok = 0, lost_after_handler = 0, resets = 0, before_handler = 0, reset_records = 0;
    for (int i = 0; i < kCalls; ++i) {
        const std::string m = marker(i);
        const Outcome& o = outcomes[static_cast<std::size_t>(i)];
        SCOPED_TRACE(m + (o.ok ? " ok" : " failed: " + o.text));
        // Exactly one request per client call reached the simulator: no retry, by the client
        // or underneath it by the transport.
        EXPECT_EQ(statuses[m].size(), 1u) << "a create was sent more than once: statuses "
                                          << ::testing::PrintToString(statuses[m]);
        if (statuses[m].empty()) continue;
        const int seen = statuses[m].back();
        const int n = records.count(m) ? records.at(m) : 0;
        EXPECT_LE(n, 1) << "duplicate records";
        if (o.ok) {
            ++ok;
            EXPECT_EQ(seen, 201);
            EXPECT_EQ(n, 1);
        } else if (seen == 0) {
            ++resets;  // reset before or after the handler ran: either outcome is legal
            reset_records += n;
            EXPECT_TRUE(o.kind == ghl::ErrorKind::kConnection) << o.text;
            EXPECT_NE(o.text.find("check whether it took effect"), std::string::npos) << o.text;
        } else {
            EXPECT_EQ(o.kind, ghl::ErrorKind::kHttp);
            EXPECT_EQ(o.status, seen);
            EXPECT_NE(o.text.find("not retried"), std::string::npos) << o.text;
            if (seen == 502 || seen == 504) {
                ++lost_after_handler;
                EXPECT_EQ(n, 1) << "502/504 are answered after the handler created the record";
            } else {
                ++before_handler;
                EXPECT_TRUE(seen == 500 || seen == 503) << seen;
                EXPECT_EQ(n, 0);
            }
        }
    }
    // The categories this test is about all happened.
    EXPECT_GT(ok, 0);
    EXPECT_GT(resets, 0);
    EXPECT_GT(lost_after_handler, 0);
    EXPECT_GT(before_handler, 0);
    // No duplicates: records == client successes + answers lost after the handler ran.
    const int created = sim->counters().contacts_created - created_before;
    EXPECT_EQ(created, ok + lost_after_handler + reset_records);
    int total_records = 0;
    for (const auto& [m, n] : records) total_records += n;
    EXPECT_EQ(total_records, created);
    EXPECT_EQ(client->snapshot().total().retries, 0u);
}

TEST_F(ClientSim, A429BurstIsRetriedForCreatesAndTheRecordExistsOnce) {
    // A short window, so that the limiter's reaction to "X-RateLimit-Remaining: 0" (the window
    // is full until it slides) costs about a second per 429 rather than ten.
    ghlsim::Options o;
    o.rate = {100, 1000};
    ClientSetup setup;
    setup.limits = {100, milliseconds(1000), 200000};
    start(o, setup);
    sim->set_faults({.error_5xx_ratio = 0, .reset_ratio = 0, .latency_ms = 0, .burst_429 = 2});
    const json body = {{"locationId", loc()}, {"firstName", "Burst"}, {"lastName", "Once429"}};
    const ghl::Reply r = client->call_reply("contacts.create", {}, {}, body, opts());
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.attempts, 3);
    const std::string id = r.body["contact"].value("id", "");
    ASSERT_FALSE(id.empty());

    const auto log = sim->requests();
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[0].status, 429);
    EXPECT_EQ(log[1].status, 429);
    EXPECT_EQ(log[2].status, 201);
    for (const auto& rec : log) EXPECT_EQ(body_of(rec).value("lastName", ""), "Once429");
    // Retry-After: 1 was honoured between the attempts.
    EXPECT_GE(log[1].at_ms - log[0].at_ms, 950);
    EXPECT_GE(log[2].at_ms - log[1].at_ms, 950);
    const auto counters = sim->counters();
    EXPECT_EQ(counters.rate_limited, 2);
    EXPECT_EQ(counters.contacts_created, 1);

    ghl::PageOptions po;
    po.page_size = 100;
    po.items_key = "contacts";
    const Walk w = walk("contacts.search", {}, {},
                        {{"locationId", loc()}, {"pageLimit", 100}, {"query", "Once429"}}, po);
    ASSERT_EQ(w.items.size(), 1u);
    EXPECT_EQ(w.items[0].value("id", ""), id);
}

// ---------------------------------------------------------------------------------------------
// Deadlines

TEST_F(ClientSim, ADeadlineShorterThanTheLatencyFailsAtTheDeadline) {
    start(roomy());
    constexpr int kLatencyMs = 1500;
    constexpr int kDeadlineMs = 300;
    sim->set_faults(
        {.error_5xx_ratio = 0, .reset_ratio = 0, .latency_ms = kLatencyMs, .burst_429 = 0});
    for (const char* endpoint : {"contacts.get", "contacts.create"}) {
        SCOPED_TRACE(endpoint);
        sim->clear_requests();
        const bool create = std::string_view(endpoint) == "contacts.create";
        ghl::CallOptions call = opts();
        const auto t0 = steady_clock::now();
        call.deadline = t0 + milliseconds(kDeadlineMs);
        const ghl::Params path =
            create ? ghl::Params{}
                   : ghl::Params{{"contactId", facts().email_only_contact_ids.at(0)}};
        const json body =
            create ? json{{"locationId", loc()}, {"firstName", "Slow"}, {"lastName", "Deadline"}}
                   : json();
        const auto e = expect_error(endpoint, path, {}, body, call);
        const auto elapsed = ms_since(t0);
        EXPECT_EQ(e.kind(), ghl::ErrorKind::kTimeout) << e.agent_text();
        EXPECT_EQ(e.code(), "ghl.timeout");
        EXPECT_TRUE(e.transient());
        EXPECT_NE(e.agent_text().find("did not complete within its deadline ("), std::string::npos)
            << e.agent_text();
        if (create) {
            EXPECT_NE(e.agent_text().find("check whether it took effect"), std::string::npos);
        }
        EXPECT_GE(elapsed, kDeadlineMs - 20);
        EXPECT_LT(elapsed, kLatencyMs - 300) << "the call outlived its deadline";
        // The one request that was sent completes in the simulator later; nothing follows it.
        const auto until = steady_clock::now() + milliseconds(kLatencyMs + 3000);
        while (sim->requests().empty() && steady_clock::now() < until) {
            std::this_thread::sleep_for(milliseconds(20));
        }
        std::this_thread::sleep_for(milliseconds(100));
        EXPECT_EQ(sim->requests().size(), 1u) << "the timed-out call was sent again";
    }
    sim->set_faults({});
}

}  // namespace
