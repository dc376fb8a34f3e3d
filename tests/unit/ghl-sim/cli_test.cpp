// The ghl-sim binary: prints its URL, serves, stops cleanly on SIGTERM/SIGINT, rejects bad flags.
#include "webhook_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace simtest {
namespace {

struct Child {
    pid_t pid = -1;
    int out = -1;  ///< the child's stdout
};

Child spawn(std::vector<std::string> args) {
    args.insert(args.begin(), GHL_SIM_BINARY);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    Child child;
    EXPECT_EQ(posix_spawn(&child.pid, GHL_SIM_BINARY, &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    child.out = fds[0];
    return child;
}

/// Everything the child writes until `stop` appears or it closes stdout (10 s at most).
std::string read_until(int fd, const std::string& stop) {
    std::string text;
    char buf[4096];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline &&
           (stop.empty() || text.find(stop) == std::string::npos)) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    return text;
}

int wait_exit(pid_t pid) {
    int status = 0;
    for (int i = 0; i < 200; ++i) {
        if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -2;
}

TEST(Cli, ServesPrintsUrlAndStopsOnSignals) {
    for (int sig : {SIGTERM, SIGINT}) {
        Child child = spawn({"--port", "0", "--seed", "3", "--token", "cli-a", "--token", "cli-b",
                             "--rate", "50/1s", "--log-requests"});
        const std::string line = read_until(child.out, "\n");
        ASSERT_EQ(line.rfind("http://127.0.0.1:", 0), 0u) << line;
        const int port = std::stoi(line.substr(std::strlen("http://127.0.0.1:")));
        {
            httplib::Client client("127.0.0.1", port);
            const httplib::Headers headers = {{"Authorization", "Bearer cli-b"}, {"Version", kV1}};
            auto r = client.Get("/locations/" + std::string(ghlsim::kDefaultLocationId), headers);
            ASSERT_TRUE(r);
            EXPECT_EQ(r->status, 200);
            EXPECT_EQ(r->get_header_value("X-RateLimit-Max"), "50");
            EXPECT_EQ(r->get_header_value("X-RateLimit-Interval-Milliseconds"), "1000");
        }
        ::kill(child.pid, sig);
        EXPECT_EQ(wait_exit(child.pid), 0) << sig;
        ::close(child.out);
    }
}

TEST(Cli, OAuthAppAndSeveralSubAccounts) {
    // The secret comes from the environment, as it would outside tests (no secret in argv).
    ASSERT_EQ(::setenv("GHL_SIM_CLIENT_SECRET", "cli-env-secret", 1), 0);
    Child child = spawn({"--port", "0", "--locations", "3", "--oauth", "--client-id",
                         "cliapp42-web", "--redirect-uri", "http://127.0.0.1:9/cb",
                         "--access-ttl", "120"});
    ::unsetenv("GHL_SIM_CLIENT_SECRET");
    const std::string line = read_until(child.out, "\n");
    ASSERT_EQ(line.rfind("http://127.0.0.1:", 0), 0u) << line;
    const int port = std::stoi(line.substr(std::strlen("http://127.0.0.1:")));
    {
        httplib::Client client("127.0.0.1", port);
        auto consent = client.Get(
            "/oauth/chooselocation?response_type=code&client_id=cliapp42-web&sim_user_type="
            "Company&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb");
        ASSERT_TRUE(consent);
        ASSERT_EQ(consent->status, 302);
        const std::string location = consent->get_header_value("Location");
        const std::string prefix = "http://127.0.0.1:9/cb?code=";
        ASSERT_EQ(location.rfind(prefix, 0), 0u) << location;
        const httplib::Params form = {{"client_id", "cliapp42-web"},
                                      {"client_secret", "cli-env-secret"},
                                      {"grant_type", "authorization_code"},
                                      {"code", location.substr(prefix.size())}};
        auto token = client.Post("/oauth/token", form);
        ASSERT_TRUE(token);
        ASSERT_EQ(token->status, 200) << token->body;
        const Json t = Json::parse(token->body);
        EXPECT_EQ(t["expires_in"], 120);
        EXPECT_EQ(t["approvedLocations"].size(), 3u);
        const httplib::Headers headers = {
            {"Authorization", "Bearer " + t["access_token"].get<std::string>()}, {"Version", kV1}};
        auto installed = client.Get("/oauth/installedLocations?companyId=" +
                                        std::string(ghlsim::kCompanyId) + "&appId=cliapp42",
                                    headers);
        ASSERT_TRUE(installed);
        ASSERT_EQ(installed->status, 200) << installed->body;
        EXPECT_EQ(Json::parse(installed->body)["count"], 3);
    }
    ::kill(child.pid, SIGTERM);
    EXPECT_EQ(wait_exit(child.pid), 0);
    ::close(child.out);
}

TEST(Cli, PrintSeedAndBadFlags) {
    Child child = spawn({"--print-seed", "--seed", "5"});
    const std::string text = read_until(child.out, "");
    EXPECT_EQ(wait_exit(child.pid), 0);
    ::close(child.out);
    const Json facts = Json::parse(text, nullptr, false);
    ASSERT_TRUE(facts.is_object()) << text;
    EXPECT_EQ(facts["contacts"], 250);
    EXPECT_EQ(facts["locationId"], ghlsim::kDefaultLocationId);
    ghlsim::Options o = options(5);
    o.now = nullptr;
    EXPECT_EQ(facts["phoneOnlyContactIds"], Json(ghlsim::Simulator(o).seed_facts().phone_only_contact_ids));
    // Refused by ghl-sim itself: exit 2.
    for (const std::vector<std::string>& bad :
         {std::vector<std::string>{"--rate", "lots"}, std::vector<std::string>{"--faults", "5xx=3"},
          std::vector<std::string>{"--oauth", "--client-id", ""},
          std::vector<std::string>{"--location-id", ghlsim::extra_location_id(1), "--locations",
                                   "2"}}) {
        Child c = spawn(bad);
        read_until(c.out, "");
        EXPECT_EQ(wait_exit(c.pid), 2) << bad[0];
        ::close(c.out);
    }
    // Refused by the command-line parser (CLI11's own exit codes), before anything is served.
    for (const std::vector<std::string>& bad :
         {std::vector<std::string>{"--locations", "0"},
          std::vector<std::string>{"--locations", "101"},
          std::vector<std::string>{"--client-id", "x-y"},  // needs --oauth
          std::vector<std::string>{"--oauth", "--access-ttl", "0"}}) {
        Child c = spawn(bad);
        EXPECT_EQ(read_until(c.out, ""), "") << bad[0];
        EXPECT_GT(wait_exit(c.pid), 2) << bad[0];
        ::close(c.out);
    }
}

TEST(Cli, SendsSignedWebhooksAndWritesThePublicKeys) {
    Receiver receiver;
    char dir_template[] = "/tmp/ghl-sim-keys-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    const std::filesystem::path dir = std::filesystem::path(dir_template) / "keys";
    Child child = spawn({"--port", "0", "--token", "cli-a", "--webhook-url", receiver.url(),
                         "--webhook-repeat", "2", "--webhook-keys-dir", dir.string()});
    const std::string line = read_until(child.out, "\n");
    ASSERT_EQ(line.rfind("http://127.0.0.1:", 0), 0u) << line;
    const int port = std::stoi(line.substr(std::strlen("http://127.0.0.1:")));
    {
        httplib::Client client("127.0.0.1", port);
        const httplib::Headers headers = {{"Authorization", "Bearer cli-a"}, {"Version", kV1}};
        const Json body = {{"locationId", ghlsim::kDefaultLocationId},
                           {"email", "cli@example.com"}};
        auto r = client.Post("/contacts/", headers, body.dump(), "application/json");
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 201) << r->body;
    }
    ASSERT_TRUE(receiver.wait_for_deliveries(2, 5s));
    ::kill(child.pid, SIGTERM);
    EXPECT_EQ(wait_exit(child.pid), 0);
    ::close(child.out);

    const auto read = [&](const char* name) {
        const std::filesystem::path path = dir / name;
        struct stat st {};
        EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
        EXPECT_EQ(st.st_mode & 0777, 0644u) << path;
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    };
    const std::string ed_pem = read("ed25519-public.pem");
    const std::string rsa_pem = read("rsa-public.pem");
    const std::vector<Delivery> got = receiver.deliveries();
    ASSERT_EQ(got.size(), 2u);  // --webhook-repeat 2: the same event twice
    EXPECT_EQ(got[0].body, got[1].body);
    EXPECT_EQ(got[0].json()["type"], "ContactCreate");
    EXPECT_EQ(got[0].json()["email"], "cli@example.com");
    EXPECT_TRUE(verifies(ed_pem, Alg::kEd25519, got[0].body, got[0].ghl_signature));
    EXPECT_TRUE(verifies(rsa_pem, Alg::kRsaSha256, got[0].body, got[0].wh_signature));
    std::filesystem::remove_all(dir_template);
}

TEST(Cli, WebhooksWithoutRsaAndBadWebhookFlags) {
    Receiver receiver;
    char dir_template[] = "/tmp/ghl-sim-keys-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    Child child = spawn({"--port", "0", "--webhook-url", receiver.url(), "--webhook-no-rsa",
                         "--webhook-keys-dir", dir_template});
    const std::string line = read_until(child.out, "\n");
    EXPECT_EQ(line.rfind("http://127.0.0.1:", 0), 0u) << line;
    ::kill(child.pid, SIGTERM);
    EXPECT_EQ(wait_exit(child.pid), 0);
    ::close(child.out);
    const std::filesystem::path keys(dir_template);
    EXPECT_TRUE(std::filesystem::exists(keys / "ed25519-public.pem"));
    EXPECT_FALSE(std::filesystem::exists(keys / "rsa-public.pem"));
    std::filesystem::remove_all(dir_template);

    Child bad_url = spawn({"--webhook-url", "ftp://127.0.0.1/hooks"});
    read_until(bad_url.out, "");
    EXPECT_EQ(wait_exit(bad_url.pid), 2);
    ::close(bad_url.out);
    for (const std::vector<std::string>& bad :
         {std::vector<std::string>{"--webhook-repeat", "2"},  // needs --webhook-url
          std::vector<std::string>{"--webhook-url", receiver.url(), "--webhook-repeat", "0"}}) {
        Child c = spawn(bad);
        EXPECT_EQ(read_until(c.out, ""), "") << bad[0];
        EXPECT_GT(wait_exit(c.pid), 2) << bad[0];
        ::close(c.out);
    }
}

}  // namespace
}  // namespace simtest
