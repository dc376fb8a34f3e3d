// `ghl-mcp doctor`, run as the real binary in a clean environment: against the embedded sandbox,
// and with a Private Integration Token against a simulator that refuses the token or some scopes.
#include "app/doctor.hpp"
#include "app/keys.hpp"

#include "ghl/endpoints.hpp"
#include "tools/catalog.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <ghlsim/simulator.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>

namespace {

using keys_test::TempDir;
using json = nlohmann::json;

using keys_test::Exec;

/// Runs `ghl-mcp ARGS` with only HOME (a fresh directory), PATH and `env` in its environment.
Exec doctor_run(const TempDir& home, const std::map<std::string, std::string>& env,
                const std::string& args) {
    std::string cmd = "env -i PATH=/usr/bin:/bin HOME='" + home.file("home") + "'";
    for (const auto& [k, v] : env) cmd += " " + k + "='" + v + "'";
    cmd += std::string(" '") + GHL_MCP_BINARY + "' " + args + " 2>/dev/null";
    return keys_test::run_command(cmd);
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// The line of `out` that starts with `prefix` ("" when none), and the line after it.
std::pair<std::string, std::string> line_starting(const std::string& out,
                                                  const std::string& prefix) {
    std::size_t pos = 0;
    while (pos < out.size()) {
        auto end = out.find('\n', pos);
        if (end == std::string::npos) end = out.size();
        if (out.compare(pos, prefix.size(), prefix) == 0) {
            const auto next_end = out.find('\n', end + 1);
            return {
                out.substr(pos, end - pos),
                end + 1 < out.size()
                    ? out.substr(end + 1,
                                 (next_end == std::string::npos ? out.size() : next_end) - end - 1)
                    : ""};
        }
        pos = end + 1;
    }
    return {"", ""};
}

/// A simulator serving a PIT sub-account, and the environment pointing ghl-mcp at it.
struct Sim {
    explicit Sim(std::map<std::string, std::string> scopes = {},
                 std::chrono::seconds clock_offset = std::chrono::seconds(0)) {
        ghlsim::Options o;
        if (clock_offset.count() != 0)
            o.now = [clock_offset] { return std::chrono::system_clock::now() + clock_offset; };
        o.tokens = {"pit-good-token-0001", "pit-scoped-token-0002"};
        o.token_scopes = std::move(scopes);
        sim = std::make_unique<ghlsim::Simulator>(o);
        sim->start();
    }
    std::map<std::string, std::string> env(const std::string& token) const {
        return {{"GHL_BASE_URL", sim->base_url()},
                {"GHL_PRIVATE_INTEGRATION_TOKEN", token},
                {"GHL_LOCATION_ID", sim->location_id()}};
    }
    std::unique_ptr<ghlsim::Simulator> sim;
};

TEST(DoctorCli, SandboxPassesEveryCheck) {
    TempDir dir;
    Exec r = doctor_run(dir, {}, "--sandbox doctor");
    EXPECT_EQ(r.status, 0) << r.out;
    for (const char* check :
         {"ok   configuration: SANDBOX", "ok   credentials: sandbox token for location",
          "ok   scopes: ", "ok   clock: ", "ok   event store: in memory"})
        EXPECT_TRUE(has(r.out, check)) << check << " missing from:\n" << r.out;
    EXPECT_FALSE(has(r.out, "FAIL")) << r.out;
    EXPECT_FALSE(has(r.out, "\nwarn")) << r.out;
    EXPECT_TRUE(has(r.out, "no problems, 0 warning(s)")) << r.out;
    EXPECT_TRUE(has(r.out, "GHL request(s) made")) << r.out;
    EXPECT_FALSE(has(r.out, "sandbox-")) << "the sandbox token must not be printed:\n" << r.out;
}

TEST(DoctorCli, JsonIsAnArrayOfChecks) {
    TempDir dir;
    Exec r = doctor_run(dir, {}, "--sandbox doctor --json");
    ASSERT_EQ(r.status, 0) << r.out;
    const json checks = json::parse(r.out);
    ASSERT_TRUE(checks.is_array());
    std::set<std::string> names;
    for (const auto& c : checks) {
        ASSERT_TRUE(c.is_object());
        EXPECT_EQ(c["status"], "ok") << c.dump();
        EXPECT_TRUE(c["detail"].is_string() && !c["detail"].get<std::string>().empty()) << c.dump();
        EXPECT_TRUE(c.contains("fix") && c["fix"].is_null()) << c.dump();
        names.insert(c["check"].get<std::string>());
    }
    for (const char* n : {"configuration", "credentials", "scopes", "clock", "event store"})
        EXPECT_TRUE(names.count(n)) << n << " missing from " << r.out;
}

TEST(DoctorCli, AWrongTokenFailsCredentialsWithAFix) {
    TempDir dir;
    Sim s;
    Exec r = doctor_run(dir, s.env("pit-wrong-token-9999"), "doctor");
    EXPECT_EQ(r.status, 1) << r.out;
    auto [line, fix] = line_starting(r.out, "FAIL credentials: ");
    EXPECT_TRUE(has(line, "401")) << r.out;
    EXPECT_TRUE(has(line, s.sim->location_id())) << r.out;
    EXPECT_EQ(fix.rfind("     fix: ", 0), 0u) << r.out;
    EXPECT_TRUE(has(fix, "GHL_PRIVATE_INTEGRATION_TOKEN")) << r.out;
    EXPECT_TRUE(has(r.out, "warn clock: not checked")) << r.out;
    EXPECT_FALSE(has(r.out, "pit-wrong-token")) << "a token must never be printed:\n" << r.out;

    Exec good = doctor_run(dir, s.env("pit-good-token-0001"), "doctor");
    EXPECT_EQ(good.status, 0) << good.out;
    EXPECT_TRUE(has(good.out, "ok   credentials: Private Integration Token for location " +
                                  s.sim->location_id()))
        << good.out;
}

TEST(DoctorCli, AnUnreachableGhlNamesTheUrl) {
    TempDir dir;
    std::string url;
    {
        Sim s;  // a port that was just free, and is again
        url = s.sim->base_url();
    }
    Exec r = doctor_run(dir,
                        {{"GHL_BASE_URL", url},
                         {"GHL_PRIVATE_INTEGRATION_TOKEN", "pit-x"},
                         {"GHL_LOCATION_ID", "loc00000000000000001"}},
                        "doctor");
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_TRUE(
        has(line_starting(r.out, "FAIL credentials: cannot reach GHL at " + url).first, url))
        << r.out;
}

TEST(DoctorCli, MissingScopesNameTheToolsThatWillFail) {
    TempDir dir;
    // Contacts only: the calendar, opportunity, conversation and workflow tools will fail.
    Sim s(std::map<std::string, std::string>{
        {"pit-scoped-token-0002", "locations.readonly contacts.readonly contacts.write"}});
    Exec r = doctor_run(dir, s.env("pit-scoped-token-0002"), "doctor");
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_TRUE(has(r.out, "ok   credentials: ")) << "the token itself is fine:\n" << r.out;
    auto [line, fix] = line_starting(r.out, "FAIL scopes: ");
    ASSERT_FALSE(line.empty()) << r.out;
    for (const char* scope :
         {"calendars.readonly", "calendars/events.readonly", "opportunities.readonly",
          "conversations.readonly", "workflows.readonly"})
        EXPECT_TRUE(has(line, scope)) << scope << " in " << line;
    for (const char* tool : {"list_calendars", "get_free_slots", "search_opportunities",
                             "audit_pipeline", "search_conversations", "list_workflows"})
        EXPECT_TRUE(has(line, tool)) << tool << " in " << line;
    // "...: these N enabled tools will fail with 401/403: a, b, c (how it was checked)"
    const auto from = line.find("will fail with 401/403: ");
    ASSERT_NE(from, std::string::npos) << line;
    std::string list = line.substr(from + 24);
    list = list.substr(0, list.find(" ("));
    std::set<std::string> failing;
    for (std::size_t pos = 0; pos <= list.size();) {
        auto end = std::min(list.find(", ", pos), list.size());
        failing.insert(list.substr(pos, end - pos));
        pos = end + 2;
    }
    for (const char* tool :
         {"search_contacts", "get_contact", "find_contact", "create_contact", "list_recent_events"})
        EXPECT_FALSE(failing.count(tool)) << tool << " needs no missing scope: " << line;
    EXPECT_TRUE(has(fix, "Private Integration")) << fix;

    // Offering only the contacts tools passes: those that resolve custom fields by key (another
    // scope) fail for such arguments only, a warning.
    Exec narrow = doctor_run(dir, s.env("pit-scoped-token-0002"), "--toolsets contacts doctor");
    EXPECT_EQ(narrow.status, 0) << narrow.out;
    EXPECT_TRUE(has(narrow.out, "ok   scopes: ")) << narrow.out;
    auto [warned, warn_fix] =
        line_starting(narrow.out, "warn scopes: missing locations/customFields.readonly");
    EXPECT_TRUE(has(warned, "create_contact")) << narrow.out;
    EXPECT_TRUE(has(warn_fix, "locations/customFields.readonly")) << narrow.out;
}

TEST(DoctorCli, AWorldReadableStoreFailsWithChmod) {
    TempDir dir;
    const std::string keys = dir.file("keys.db");
    app::KeyStore(keys, /*create=*/true).create("one", {}, {}, false);
    ASSERT_EQ(::chmod(keys.c_str(), 0644), 0);
    Exec r = doctor_run(dir, {{"GHL_MCP_API_KEYS_FILE", keys}}, "--sandbox doctor");
    EXPECT_EQ(r.status, 1) << r.out;
    auto [line, fix] = line_starting(r.out, "FAIL API keys: ");
    EXPECT_TRUE(has(line, "0644")) << r.out;
    EXPECT_EQ(fix, "     fix: chmod 600 " + keys) << r.out;
    EXPECT_TRUE(has(r.out, "audit log: ")) << "the audit log beside the keys is checked too:\n"
                                           << r.out;

    ASSERT_EQ(::chmod(keys.c_str(), 0600), 0);
    Exec fixed = doctor_run(dir, {{"GHL_MCP_API_KEYS_FILE", keys}}, "--sandbox doctor");
    EXPECT_EQ(fixed.status, 0) << fixed.out;
    EXPECT_TRUE(has(fixed.out, "ok   API keys: " + keys + " (mode 0600, yours)")) << fixed.out;
    EXPECT_FALSE(has(fixed.out, "ghlmcp_")) << "no key is printed";
}

TEST(DoctorCli, ListeningBeyondLoopbackWithoutKeysFails) {
    TempDir dir;
    Exec r = doctor_run(dir, {}, "--sandbox doctor --http 0.0.0.0:8787");
    EXPECT_EQ(r.status, 1) << r.out;
    auto [line, fix] = line_starting(r.out, "FAIL http: ");
    EXPECT_TRUE(has(line, "0.0.0.0:8787")) << r.out;
    EXPECT_TRUE(has(fix, "ghl-mcp keys create")) << r.out;

    Exec keyed = doctor_run(dir, {{"GHL_MCP_API_KEY", "k-secret-value-123"}},
                            "--sandbox doctor --http 0.0.0.0:8787");
    EXPECT_EQ(keyed.status, 0) << keyed.out;
    EXPECT_FALSE(has(keyed.out, "k-secret-value-123"));
}

TEST(DoctorCli, ConfigurationProblemsAreReportedNotUsageErrors) {
    TempDir dir;
    Exec unknown = doctor_run(dir, {{"GHL_MCP_TOOLSETS", "contacts,crm"}}, "--sandbox doctor");
    EXPECT_EQ(unknown.status, 1) << unknown.out;
    EXPECT_TRUE(
        has(line_starting(unknown.out, "FAIL configuration: ").first, "unknown toolset \"crm\""))
        << unknown.out;

    Exec none = doctor_run(dir, {}, "doctor");
    EXPECT_EQ(none.status, 1) << none.out;
    auto [line, fix] = line_starting(none.out, "FAIL configuration: ");
    EXPECT_TRUE(has(line, "no usable GHL credentials")) << none.out;
    EXPECT_EQ(fix.rfind("     fix: ", 0), 0u) << none.out;
    EXPECT_TRUE(has(none.out, "export GHL_PRIVATE_INTEGRATION_TOKEN=")) << none.out;

    EXPECT_EQ(doctor_run(dir, {}, "--sandbox doctor --http nonsense:port").status, 2);
    EXPECT_TRUE(has(doctor_run(dir, {}, "--help").out, "doctor")) << "--help lists doctor";
}

TEST(DoctorCli, AClockFarFromGhlsFails) {
    TempDir dir;
    Sim s({}, std::chrono::minutes(10));  // GHL's Date says 10 minutes later than ours
    Exec r = doctor_run(dir, s.env("pit-good-token-0001"), "doctor");
    EXPECT_EQ(r.status, 1) << r.out;
    auto [line, fix] = line_starting(r.out, "FAIL clock: ");
    EXPECT_TRUE(has(line, "s behind GHL's"))
        << r.out;  // ~600 s, give or take the Date header's second
    EXPECT_TRUE(has(fix, "timedatectl set-ntp true")) << r.out;
}

TEST(Doctor, ClockThresholds) {
    using std::chrono::seconds;
    EXPECT_EQ(app::clock_check(seconds(0)).status, "ok");
    EXPECT_EQ(app::clock_check(seconds(-30)).status, "ok");
    EXPECT_EQ(app::clock_check(seconds(31)).status, "warn");
    EXPECT_EQ(app::clock_check(seconds(-300)).status, "warn");
    EXPECT_EQ(app::clock_check(seconds(301)).status, "fail");
    auto behind = app::clock_check(seconds(-3600));
    EXPECT_EQ(behind.status, "fail");
    EXPECT_TRUE(has(behind.detail, "3600 s ahead of GHL's")) << behind.detail;
    EXPECT_TRUE(has(behind.fix, "timedatectl")) << behind.fix;
}

TEST(Doctor, StoreCheckModesOwnerAndDirectory) {
    TempDir dir;
    const std::string f = dir.file("s.db");
    EXPECT_EQ(app::store_check("x", f).status, "ok") << "missing but creatable";
    { std::ofstream(f) << "x"; }
    EXPECT_EQ(app::store_check("x", f + "/sub/s.db").status, "fail")
        << "under a file: cannot be created";
    ASSERT_EQ(::chmod(f.c_str(), 0600), 0);
    EXPECT_EQ(app::store_check("x", f).status, "ok");
    ASSERT_EQ(::chmod(f.c_str(), 0620), 0);
    EXPECT_EQ(app::store_check("x", f).status, "fail") << "group-writable";
    ASSERT_EQ(::chmod(f.c_str(), 0600), 0);
    { std::ofstream(f + "-wal") << "x"; }
    ASSERT_EQ(::chmod((f + "-wal").c_str(), 0644), 0);
    auto wal = app::store_check("x", f);
    EXPECT_EQ(wal.status, "fail");
    EXPECT_EQ(wal.fix, "chmod 600 " + f + "-wal");
}

// Every read scope an enabled tool may need has a cheap probe doctor can send with a PIT, and that
// probe really needs the scope.
TEST(Doctor, EveryReadScopeOfEveryToolHasAProbe) {
    for (const auto& d : tools::definitions()) {
        for (const auto& id : d.endpoints) {
            const auto& ep = ghl::endpoint(id);
            if (ep.scope.empty() || ep.scope.ends_with(".write") ||
                ep.token == ghl::TokenKind::kAgency)
                continue;
            auto probe = app::scope_probe_endpoint(ep.scope);
            ASSERT_TRUE(probe.has_value()) << d.file << ": no probe for " << ep.scope;
            EXPECT_EQ(ghl::endpoint(*probe).scope, ep.scope) << *probe;
            EXPECT_TRUE(ghl::endpoint(*probe).retry_safe) << *probe << " must be a read";
        }
    }
}

// The simulator refuses scopes by the same rules as our endpoint table (which a test checks
// against GHL's OpenAPI specs).
TEST(Doctor, SimulatorScopesMatchTheEndpointTable) {
    for (const auto& ep : ghl::endpoints()) {
        if (ep.id.starts_with("oauth.")) continue;
        EXPECT_EQ(ghlsim::required_scope(ghl::to_string(ep.method), ep.path), ep.scope) << ep.id;
    }
}

}  // namespace
