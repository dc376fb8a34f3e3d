// bench-abuse: proves that the server's memory and threads stay flat under the abusive requests of
// the security review (issue 18), measured, not asserted.
//
//   bench-abuse [--server PATH] [--server-log PATH]
//
// Starts `ghl-mcp serve --http 127.0.0.1:PORT --sandbox --log-level warn` on a free loopback port,
// then runs six bounded scenarios against it, one after the other:
//   1. 2,000 2025-11-25 experimental tasks with ttl 1 ms on one session, then tasks/list 2 s later
//   2. 15 initialize requests, each with a ~3.8 MB capabilities object
//   3. legacy HTTP+SSE: one /sse stream, then 1,500 tools/call POSTs to /messages at full speed
//   4. a 2025-03-26 session posting one JSON-RPC batch of 500 tools/call
//   5. a 200 KB body nested 100,000 deep to /mcp, then GET /healthz
//   6. a Vapi tool-calls message with 1,000 tool calls to /voice/vapi
//   7. 1,000 connections that send part of a request's headers and stop, while a well-behaved
//      client's GET /healthz p99 is measured (bound: within 2x of its p99 alone)
// Before and after each one it reads the server's VmRSS, VmHWM, Threads (/proc/PID/status) and
// open fds (/proc/PID/fd); while it runs, a sampler thread keeps the peak of Threads and VmRSS
// every 50 ms. It prints what the server answered (counts per HTTP status and JSON-RPC outcome),
// then one table with a verdict against the bounds below.
//
// It reports, it does not judge: exit 0 whenever it measured, even over a bound ("OVER BOUND" in
// the table; "NOT SENT" when a scenario's set-up was refused, e.g. no /sse); 2 when the server
// could not be started (or restarted after a crash). A server that dies during a scenario is
// reported ("DIED") and restarted for the next one.
#include <httplib.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#ifndef GHL_MCP_BINARY
#define GHL_MCP_BINARY "ghl-mcp"  // built outside CMake: the one on PATH
#endif

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Documented bounds (docs/security.md, issue 18). A scenario is within bounds when the server's
// resident memory after it is less than kRssGrowthBoundMb above what it was before (so nothing
// the abusive client sent is kept, beyond small bounded tables), and when the server never ran
// kPeakThreadsBound threads or more while it lasted (its pools: 32 connection threads kept ready
// and a few workers, so a count above that means a thread per request or per task). The slow
// clients of scenario 7 each hold a connection thread by design (at most 2,048): there the bound
// is that number plus the pools, and the latency ratio below.
constexpr double kRssGrowthBoundMb = 20;
constexpr long kPeakThreadsBound = 300;
constexpr long kMaxConnectionThreads = 2048;
constexpr double kSlowClientP99Ratio = 2.0;

// Size of each abuse, as the review reported it.
constexpr int kTasks = 2000;
constexpr int kBigInitializes = 15;
constexpr size_t kBigCapabilityBytes = 3'800'000;  // under the 4 MiB body limit
constexpr int kLegacyPosts = 1500;
constexpr int kBatchCalls = 500;
constexpr size_t kNestingDepth = 100'000;  // "[" x 100,000, "1", "]" x 100,000: 200 KB
constexpr int kVapiCalls = 1000;
constexpr int kSlowClients = 1000;
constexpr int kProbeRequests = 200;  // GET /healthz of the well-behaved client, per measurement

// Every scenario is bounded in time too, so one run stays under two minutes against any server.
constexpr auto kSendDeadline = 30s;  // a flood stops sending after this
constexpr int kReadTimeoutS = 20;    // one HTTP answer
constexpr auto kTaskListDelay = 2s;  // ttl 1 ms: every task should be gone by then
constexpr auto kLegacyDrain = 10s;   // waiting for the answers on the SSE stream
constexpr auto kSettle = 250ms;      // before the "after" sample: let finished threads exit
constexpr auto kStartTimeout = 30s;  // an ASan build starts slowly
constexpr auto kStopGrace = 10s;     // SIGTERM, then SIGKILL
constexpr auto kSamplePeriod = 50ms;
constexpr int kFloodWorkers = 4;  // concurrent connections of one abusive client

constexpr const char* kHost = "127.0.0.1";  // never anything else: the server is ours, on loopback
constexpr const char* kAccept = "application/json, text/event-stream";

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// ---- the server process --------------------------------------------------------------------

struct ProcSample {
    long rss_kb = -1;
    long hwm_kb = -1;
    long threads = -1;
    long fds = -1;
};

/// VmRSS, VmHWM and Threads; fds stay -1 (the sampler thread reads only these, every 50 ms).
ProcSample sample_status(pid_t pid) {
    ProcSample s;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    auto field = [&](const char* name, long& out) {
        const size_t n = std::strlen(name);
        if (line.compare(0, n, name) == 0) out = std::strtol(line.c_str() + n, nullptr, 10);
    };
    while (std::getline(in, line)) {
        field("VmRSS:", s.rss_kb);
        field("VmHWM:", s.hwm_kb);
        field("Threads:", s.threads);
    }
    return s;
}

ProcSample sample_proc(pid_t pid) {
    ProcSample s = sample_status(pid);
    std::error_code ec;
    long fds = 0;
    for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
         !ec && it != end; it.increment(ec))
        ++fds;
    if (!ec) s.fds = fds;
    return s;
}

/// A free loopback port: bound to port 0, read back, released (a race with other programs is
/// possible and shows as a start failure).
int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

void configure(httplib::Client& cli, int read_timeout_s) {
    cli.set_keep_alive(true);
    cli.set_tcp_nodelay(true);
    cli.set_connection_timeout(5);
    cli.set_read_timeout(read_timeout_s);
    cli.set_write_timeout(kReadTimeoutS);
}

/// GET /healthz: the HTTP status, 0 when nothing answered.
int healthz(int port) {
    httplib::Client cli(kHost, port);
    configure(cli, 5);
    auto res = cli.Get("/healthz");
    return res ? res->status : 0;
}

class ServerProcess {
  public:
    ServerProcess(std::string binary, std::string log_path)
        : binary_(std::move(binary)), log_path_(std::move(log_path)) {}
    ~ServerProcess() { stop(); }
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    pid_t pid() const { return pid_; }
    int port() const { return port_; }

    /// Starts the server and waits for /healthz 200; "" on success, else why not.
    std::string start() {
        port_ = free_port();
        if (port_ <= 0) return std::string("no free loopback port: ") + std::strerror(errno);
        const std::string listen = std::string(kHost) + ":" + std::to_string(port_);
        std::vector<std::string> argv{binary_,     "serve",       "--http", listen,
                                      "--sandbox", "--log-level", "warn"};
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        // Restarts append, so the log of a server that crashed survives its restart.
        int log = ::open(log_path_.c_str(),
                         O_WRONLY | O_CREAT | O_CLOEXEC | (started_ ? O_APPEND : O_TRUNC), 0644);
        started_ = true;
        pid_ = ::fork();
        if (pid_ < 0) {
            if (log >= 0) ::close(log);
            return std::string("fork: ") + std::strerror(errno);
        }
        if (pid_ == 0) {
            // If this driver dies without stopping it (a crash, ^C), the server goes too.
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            int null = ::open("/dev/null", O_RDONLY);
            if (null >= 0) ::dup2(null, 0);
            if (log >= 0) {
                ::dup2(log, 1);
                ::dup2(log, 2);
            }
            ::execvp(args[0], args.data());
            std::fprintf(stderr, "bench-abuse: exec %s: %s\n", args[0], std::strerror(errno));
            ::_exit(127);
        }
        if (log >= 0) ::close(log);
        exit_.clear();
        const auto start = Clock::now();
        while (Clock::now() - start < kStartTimeout) {
            if (!alive())
                return "the server exited during start-up (" + exit_ + "); see " + log_path_;
            if (healthz(port_) == 200) return {};
            std::this_thread::sleep_for(100ms);
        }
        stop();
        return "GET /healthz did not answer 200 within " +
               std::to_string(
                   std::chrono::duration_cast<std::chrono::seconds>(kStartTimeout).count()) +
               " s; see " + log_path_;
    }

    /// False once the process has exited; how it ended is then in exit_description().
    bool alive() {
        if (pid_ <= 0) return false;
        int status = 0;
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == 0) return true;
        if (r == pid_) {
            exit_ = WIFSIGNALED(status) ? std::string("killed by ") + ::strsignal(WTERMSIG(status))
                                        : "exit " + std::to_string(WEXITSTATUS(status));
        }
        pid_ = -1;
        return false;
    }
    const std::string& exit_description() const { return exit_; }

    /// SIGTERM, then SIGKILL after the grace period; "" or how long the shutdown took beyond it.
    std::string stop() {
        if (!alive()) return {};
        ::kill(pid_, SIGTERM);
        const auto start = Clock::now();
        while (Clock::now() - start < kStopGrace) {
            if (!alive()) return {};
            std::this_thread::sleep_for(50ms);
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
        return "did not stop within 10 s of SIGTERM: killed";
    }

  private:
    std::string binary_;
    std::string log_path_;
    pid_t pid_ = -1;
    int port_ = -1;
    bool started_ = false;
    std::string exit_;
};

/// Peak of Threads and VmRSS of a process, sampled every kSamplePeriod on its own thread.
class PeakSampler {
  public:
    explicit PeakSampler(pid_t pid) : thread_([this, pid] { loop(pid); }) {}
    ~PeakSampler() { finish(); }
    PeakSampler(const PeakSampler&) = delete;
    PeakSampler& operator=(const PeakSampler&) = delete;

    /// Stops sampling; then peak_threads() and peak_rss_kb() are final.
    void finish() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    long peak_threads() const { return peak_threads_; }
    long peak_rss_kb() const { return peak_rss_kb_; }

  private:
    void loop(pid_t pid) {
        std::unique_lock lock(mu_);
        do {
            ProcSample s = sample_status(pid);
            peak_threads_ = std::max(peak_threads_, s.threads);
            peak_rss_kb_ = std::max(peak_rss_kb_, s.rss_kb);
        } while (!cv_.wait_for(lock, kSamplePeriod, [this] { return stop_; }));
    }

    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    long peak_threads_ = -1;
    long peak_rss_kb_ = -1;
    std::thread thread_;
};

// ---- what the server answered --------------------------------------------------------------

/// Counts of outcome labels ("HTTP 200 result", "HTTP 429", ...) with the first thing the
/// server said for each (an error message), safe to add to from threads.
class Outcomes {
  public:
    void add(const std::string& label, const std::string& example = {}) {
        std::lock_guard lock(mu_);
        ++counts_[label];
        if (!example.empty()) examples_.try_emplace(label, example.substr(0, 200));
    }
    std::map<std::string, std::string> examples() const {
        std::lock_guard lock(mu_);
        return examples_;
    }
    long count(const std::string& label) const {
        std::lock_guard lock(mu_);
        auto it = counts_.find(label);
        return it == counts_.end() ? 0 : it->second;
    }
    /// "2000x HTTP 200 task created, 3x HTTP 429", most frequent first.
    std::string str() const {
        std::vector<std::pair<std::string, long>> v;
        {
            std::lock_guard lock(mu_);
            v.assign(counts_.begin(), counts_.end());
        }
        std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
        std::string out;
        for (const auto& [label, n] : v)
            out += (out.empty() ? "" : ", ") + std::to_string(n) + "x " + label;
        return out.empty() ? "(nothing)" : out;
    }

  private:
    mutable std::mutex mu_;
    std::map<std::string, long> counts_;
    std::map<std::string, std::string> examples_;
};

/// Incremental text/event-stream parser: on_event(type, data) for each complete event.
class SseParser {
  public:
    template <class F>
    void feed(std::string_view chunk, F&& on_event) {
        buf_.append(chunk);
        size_t start = 0;
        for (size_t nl; (nl = buf_.find('\n', start)) != std::string::npos; start = nl + 1) {
            std::string_view line(buf_.data() + start, nl - start);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (line.empty()) {
                if (!data_.empty()) on_event(type_.empty() ? std::string("message") : type_, data_);
                type_.clear();
                data_.clear();
            } else if (line.starts_with("event:")) {
                type_ = value(line.substr(6));
            } else if (line.starts_with("data:")) {
                if (!data_.empty()) data_ += '\n';
                data_ += value(line.substr(5));
            }  // comments (": keepalive") and id: lines carry nothing counted here
        }
        buf_.erase(0, start);
    }

  private:
    static std::string value(std::string_view v) {
        if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        return std::string(v);
    }
    std::string buf_, type_, data_;
};

/// The outcome of one JSON-RPC response message.
std::string rpc_outcome(const json& m) {
    if (!m.is_object()) return "not a JSON-RPC message";
    if (auto e = m.find("error"); e != m.end())
        return "error " +
               (e->is_object() && e->contains("code") ? (*e)["code"].dump() : std::string("?"));
    auto r = m.find("result");
    if (r == m.end()) return "no result";
    if (r->is_object() && r->contains("task")) return "task created";  // CreateTaskResult
    if (r->is_object() && r->value("isError", false)) return "tool error";
    return "result";
}

/// What a response said beyond its outcome: the error message, or the text of a tool error.
std::string rpc_example(const json& m) {
    if (!m.is_object()) return {};
    if (auto e = m.find("error"); e != m.end())
        return e->is_object() ? e->value("message", std::string()) : e->dump();
    auto r = m.find("result");
    if (r == m.end() || !r->is_object() || !r->value("isError", false)) return {};
    for (const auto& c : r->value("content", json::array()))
        if (c.is_object() && c.value("type", "") == "text") return c.value("text", std::string());
    return {};
}

/// One HTTP exchange: the status (0 when nothing answered) and the JSON-RPC messages of the body
/// (a JSON object, a JSON array for a batch, or an SSE stream).
struct Reply {
    int status = 0;
    std::string error;
    std::string session_id;
    std::string body;
    std::vector<json> messages;

    /// "HTTP 200 result", "HTTP 400 error -32600", "HTTP 200 batch of 500", "no answer (Read)".
    std::string label() const {
        if (status == 0) return "no answer (" + error + ")";
        std::string l = "HTTP " + std::to_string(status);
        if (messages.size() == 1) l += " " + rpc_outcome(messages.front());
        if (messages.size() > 1) l += " batch of " + std::to_string(messages.size());
        return l;
    }
    /// What the server said: the message of a single response, or the start of a non-JSON body.
    std::string example() const {
        if (messages.size() == 1) return rpc_example(messages.front());
        if (messages.empty() && status >= 300) return body.substr(0, 200);
        return {};
    }
};

Reply to_reply(const httplib::Result& res) {
    Reply r;
    if (!res) {
        r.error = httplib::to_string(res.error());
        return r;
    }
    r.status = res->status;
    r.session_id = res->get_header_value("Mcp-Session-Id");
    r.body = res->body;
    try {
        if (res->get_header_value("Content-Type").find("text/event-stream") != std::string::npos) {
            SseParser sse;
            sse.feed(res->body + "\n\n", [&](const std::string&, const std::string& data) {
                r.messages.push_back(json::parse(data));
            });
        } else if (!res->body.empty() && (res->body.front() == '{' || res->body.front() == '[')) {
            json body = json::parse(res->body);
            if (body.is_array())
                for (auto& m : body) r.messages.push_back(std::move(m));
            else
                r.messages.push_back(std::move(body));
        }
    } catch (const json::exception&) {
        r.messages.clear();  // the status alone then says what happened
    }
    return r;
}

json request(int64_t id, const std::string& method, json params) {
    return json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

json tools_call(int64_t id, const std::string& tool, json args) {
    return request(id, "tools/call", {{"name", tool}, {"arguments", std::move(args)}});
}

json initialize(int64_t id, const std::string& version, json capabilities = json::object()) {
    return request(id, "initialize",
                   {{"protocolVersion", version},
                    {"capabilities", std::move(capabilities)},
                    {"clientInfo", {{"name", "bench-abuse"}, {"version", "1.0.0"}}}});
}

/// A Streamable HTTP session: initialize, notifications/initialized; the headers every later
/// request of the session carries. Empty headers and `error` set when the handshake failed.
struct McpSession {
    httplib::Headers headers;
    std::string error;
};

McpSession open_session(httplib::Client& cli, const std::string& version) {
    McpSession s;
    httplib::Headers h{{"Accept", kAccept}};
    Reply r = to_reply(cli.Post("/mcp", h, initialize(0, version).dump(), "application/json"));
    if (r.status != 200 || r.session_id.empty() || r.messages.empty() ||
        !r.messages.front().contains("result")) {
        const std::string said = r.example();
        s.error =
            "initialize " + version + ": " + r.label() + (said.empty() ? "" : " (" + said + ")");
        return s;
    }
    h.emplace("Mcp-Session-Id", r.session_id);
    h.emplace("MCP-Protocol-Version",
              r.messages.front()["result"].value("protocolVersion", version));
    cli.Post("/mcp", h, R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
             "application/json");
    s.headers = std::move(h);
    return s;
}

/// Runs send(i, client) for i in [0, n) on kFloodWorkers connections, until done or the deadline.
/// Returns how many were sent.
int flood(int port, int n, const std::function<void(int, httplib::Client&)>& send) {
    std::atomic<int> next{0}, sent{0};
    const auto deadline = Clock::now() + kSendDeadline;
    std::vector<std::thread> workers;
    for (int w = 0; w < kFloodWorkers; ++w)
        workers.emplace_back([&] {
            httplib::Client cli(kHost, port);
            configure(cli, kReadTimeoutS);
            for (int i; (i = next.fetch_add(1)) < n && Clock::now() < deadline; ++sent)
                send(i, cli);
        });
    for (auto& t : workers) t.join();
    return sent.load();
}

// ---- scenarios -----------------------------------------------------------------------------

/// What one scenario measured.
struct Result {
    std::string name;
    std::string title;
    bool ran = false;
    ProcSample before, after;
    long peak_threads = -1;
    long peak_rss_kb = -1;
    double seconds = 0;
    Outcomes outcomes;
    std::vector<std::string> notes;
    bool delivered = false;  // the abusive requests were sent (not stopped by a failed set-up)
    long threads_bound = kPeakThreadsBound;
    std::optional<double> latency_ratio;  // scenario 7: p99 with the abuse / p99 without
    std::string died;  // how the server ended during the scenario; empty when it survived
};

/// 1. 2025-11-25 tasks with ttl 1 ms: each used to run on its own detached thread and stay
/// listed past its TTL.
void scenario_tasks(int port, Result& res) {
    httplib::Client cli(kHost, port);
    configure(cli, kReadTimeoutS);
    McpSession s = open_session(cli, "2025-11-25");
    if (!s.error.empty()) {
        res.outcomes.add(s.error);
        return;
    }
    const int sent = flood(port, kTasks, [&](int i, httplib::Client& c) {
        json call = tools_call(i + 1, "get_server_status", {{"checkConnection", false}});
        call["params"]["task"] = {{"ttl", 1}};
        Reply r = to_reply(c.Post("/mcp", s.headers, call.dump(), "application/json"));
        res.outcomes.add(r.label(), r.example());
    });
    res.delivered = true;
    res.notes.push_back("sent " + std::to_string(sent) + " of " + std::to_string(kTasks));
    std::this_thread::sleep_for(kTaskListDelay);
    long listed = 0;
    std::string cursor;
    for (int page = 0; page < 1000; ++page) {  // bounded, should the server loop its cursors
        json params = json::object();
        if (!cursor.empty()) params["cursor"] = cursor;
        Reply r = to_reply(cli.Post("/mcp", s.headers,
                                    request(900000 + page, "tasks/list", params).dump(),
                                    "application/json"));
        if (r.messages.empty() || !r.messages.front().contains("result")) {
            res.notes.push_back("tasks/list: " + r.label());
            break;
        }
        const json& result = r.messages.front()["result"];
        listed += static_cast<long>(result.value("tasks", json::array()).size());
        cursor = result.value("nextCursor", "");
        if (cursor.empty()) break;
    }
    res.notes.push_back(
        "tasks/list " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kTaskListDelay).count()) +
        " s later: " + std::to_string(listed) + " still listed");
}

/// 2. initialize with a ~3.8 MB capabilities object, 15 times: the sessions used to keep it all.
void scenario_big_initialize(int port, Result& res) {
    httplib::Client cli(kHost, port);
    configure(cli, kReadTimeoutS);
    httplib::Headers h{{"Accept", kAccept}};
    const std::string body =
        initialize(0, "2025-11-25",
                   {{"sampling", {{"blob", std::string(kBigCapabilityBytes, 'x')}}}})
            .dump();
    res.notes.push_back("body " + std::to_string(body.size() / 1000) + " kB each");
    for (int i = 0; i < kBigInitializes; ++i) {
        Reply r = to_reply(cli.Post("/mcp", h, body, "application/json"));
        res.outcomes.add(r.label(), r.example());
    }
    res.delivered = true;
}

/// The legacy HTTP+SSE stream of scenario 3, read on its own thread: the endpoint event, then
/// the answers to what is POSTed to /messages.
class LegacyStream {
  public:
    explicit LegacyStream(int port) : cli_(kHost, port) {
        // Longer than the server's keep-alive comments (15 s): only close() ends the stream.
        configure(cli_, 60);
        thread_ = std::thread([this] { run(); });
    }
    ~LegacyStream() { close(); }
    LegacyStream(const LegacyStream&) = delete;
    LegacyStream& operator=(const LegacyStream&) = delete;

    /// The /messages?sessionId=... path, or "" when none came in time.
    std::string endpoint(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, timeout, [this] { return !endpoint_.empty() || ended_; });
        return endpoint_;
    }
    /// Waits for the answer to initialize (id 0); false on timeout or when the stream ended.
    bool wait_initialized(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, [&] { return initialized_ || ended_; }) && initialized_;
    }
    /// Waits until `n` answers to tools/call (ids >= 1) arrived, the stream ended, or the timeout.
    void wait_answers(long n, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, timeout, [&] { return answers_ >= n || ended_; });
    }
    long answers() {
        std::lock_guard lock(mu_);
        return answers_;
    }
    /// Outcomes of the tools/call answers that came on the stream.
    const Outcomes& outcomes() const { return outcomes_; }
    /// Why the stream ended before close(), if it did.
    std::string ended_why() {
        std::lock_guard lock(mu_);
        return ended_ && !closing_ ? end_why_ : std::string();
    }

    void close() {
        {
            std::lock_guard lock(mu_);
            closing_ = true;
        }
        // stop() only cuts a request in flight: repeat until the reader has seen it.
        while (thread_.joinable()) {
            cli_.stop();
            std::unique_lock lock(mu_);
            if (cv_.wait_for(lock, 50ms, [this] { return ended_; })) {
                lock.unlock();
                thread_.join();
            }
        }
    }

  private:
    void run() {
        SseParser sse;
        auto res =
            cli_.Get("/sse", httplib::Headers{{"Accept", "text/event-stream"}},
                     [&](const char* data, size_t len) {
                         sse.feed({data, len}, [this](const std::string& type,
                                                      const std::string& d) { on_event(type, d); });
                         std::lock_guard lock(mu_);
                         return !closing_;
                     });
        std::lock_guard lock(mu_);
        ended_ = true;
        end_why_ = res ? "the server ended the stream (HTTP " + std::to_string(res->status) + ")"
                       : "the stream broke (" + httplib::to_string(res.error()) + ")";
        cv_.notify_all();
    }

    void on_event(const std::string& type, const std::string& data) {
        std::lock_guard lock(mu_);
        if (type == "endpoint") {
            endpoint_ = data;
        } else {
            json m = json::parse(data, nullptr, false);
            if (m.is_object() && m.contains("id") && m["id"].is_number_integer() &&
                !m.contains("method")) {
                if (m["id"].get<int64_t>() == 0) {
                    initialized_ = true;
                } else {
                    ++answers_;
                    outcomes_.add(rpc_outcome(m), rpc_example(m));
                }
            }
        }
        cv_.notify_all();
    }

    httplib::Client cli_;
    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::string endpoint_;
    bool initialized_ = false;
    long answers_ = 0;
    Outcomes outcomes_;
    bool closing_ = false;
    bool ended_ = false;
    std::string end_why_;
};

/// 3. Legacy HTTP+SSE: every POST to /messages used to get a 202 and a thread of its own.
void scenario_legacy_sse(int port, Result& res) {
    LegacyStream stream(port);
    const std::string endpoint = stream.endpoint(5s);
    if (endpoint.empty()) {
        const std::string why = stream.ended_why();
        res.outcomes.add("GET /sse: " + (why.empty() ? "no endpoint event in 5 s" : why));
        return;
    }
    httplib::Client cli(kHost, port);
    configure(cli, kReadTimeoutS);
    const httplib::Headers h{{"Accept", kAccept}};
    Reply init =
        to_reply(cli.Post(endpoint, h, initialize(0, "2024-11-05").dump(), "application/json"));
    if (init.status != 202 || !stream.wait_initialized(10s)) {
        res.outcomes.add("initialize over /messages: " + init.label() + ", no answer on the stream",
                         init.example());
        return;
    }
    cli.Post(endpoint, h, R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
             "application/json");
    const auto t0 = Clock::now();
    const int sent = flood(port, kLegacyPosts, [&](int i, httplib::Client& c) {
        Reply r =
            to_reply(c.Post(endpoint, h, tools_call(i + 1, "list_calendars", json::object()).dump(),
                            "application/json"));
        res.outcomes.add(r.status == 0 ? r.label() : "HTTP " + std::to_string(r.status),
                         r.example());
    });
    res.delivered = true;
    char line[160];
    std::snprintf(line, sizeof line, "sent %d of %d POSTs in %.2f s", sent, kLegacyPosts,
                  seconds_since(t0));
    res.notes.push_back(line);
    const long accepted = res.outcomes.count("HTTP 202");
    stream.wait_answers(accepted,
                        std::chrono::duration_cast<std::chrono::milliseconds>(kLegacyDrain));
    res.notes.push_back("answers on the stream: " + std::to_string(stream.answers()) + " of " +
                        std::to_string(accepted) + " accepted (" + stream.outcomes().str() + ")");
    for (const auto& [label, example] : stream.outcomes().examples())
        res.notes.push_back("on the stream, " + label + ": " + example);
    if (auto why = stream.ended_why(); !why.empty()) res.notes.push_back(why);
}

/// 4. One 2025-03-26 batch of 500 tools/call: each call used to reach GHL.
void scenario_batch(int port, Result& res) {
    httplib::Client cli(kHost, port);
    configure(cli, kReadTimeoutS);
    McpSession s = open_session(cli, "2025-03-26");
    if (!s.error.empty()) {
        res.outcomes.add(s.error);
        return;
    }
    json batch = json::array();
    for (int i = 0; i < kBatchCalls; ++i)
        batch.push_back(tools_call(i + 1, "list_calendars", json::object()));
    const auto t0 = Clock::now();
    Reply r = to_reply(cli.Post("/mcp", s.headers, batch.dump(), "application/json"));
    res.outcomes.add(r.label(), r.example());
    res.delivered = true;
    char line[120];
    std::snprintf(line, sizeof line, "answered in %.2f s", seconds_since(t0));
    res.notes.push_back(line);
    if (r.messages.size() > 1) {
        Outcomes each;
        for (const auto& m : r.messages) each.add(rpc_outcome(m));
        res.notes.push_back("batch answers: " + each.str());
    }
}

/// 5. A 200 KB body nested 100,000 deep: used to overflow the stack in a recursive copy.
void scenario_deep_json(int port, Result& res) {
    httplib::Client cli(kHost, port);
    configure(cli, kReadTimeoutS);
    McpSession s = open_session(cli, "2025-11-25");
    if (!s.error.empty()) {
        res.outcomes.add(s.error);
        return;
    }
    // Built as text: nlohmann would itself recurse that deep to serialise it.
    std::string body =
        R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_server_status",)"
        R"("arguments":{"checkConnection":false},"deep":)";
    body.append(kNestingDepth, '[');
    body += '1';
    body.append(kNestingDepth, ']');
    body += "}}";
    res.notes.push_back("body " + std::to_string(body.size() / 1000) + " kB, nested " +
                        std::to_string(kNestingDepth) + " deep");
    Reply r = to_reply(cli.Post("/mcp", s.headers, body, "application/json"));
    res.outcomes.add(r.label(), r.example());
    res.delivered = true;
    const int health = healthz(port);
    res.notes.push_back("GET /healthz afterwards: " +
                        (health ? "HTTP " + std::to_string(health) : "no answer"));
}

/// 6. A Vapi tool-calls message with 1,000 calls: each used to reach GHL, long after the answer.
void scenario_vapi(int port, Result& res) {
    httplib::Client cli(kHost, port);
    configure(cli, kReadTimeoutS);
    json calls = json::array();
    for (int i = 0; i < kVapiCalls; ++i) {
        char phone[24];
        std::snprintf(phone, sizeof phone, "+1555%07d", i);
        calls.push_back(
            {{"id", "call_" + std::to_string(i)},
             {"type", "function"},
             {"function", {{"name", "find_contact"}, {"arguments", {{"phone", phone}}}}}});
    }
    json message = {{"message",
                     {{"type", "tool-calls"},
                      {"timestamp", 1678901234567},
                      {"call", {{"id", "call-bench-abuse"}, {"type", "inboundPhoneCall"}}},
                      {"toolCallList", std::move(calls)}}}};
    const auto t0 = Clock::now();
    auto raw = cli.Post("/voice/vapi", message.dump(), "application/json");
    const double took = seconds_since(t0);
    res.delivered = true;
    if (!raw) {
        res.outcomes.add("no answer (" + httplib::to_string(raw.error()) + ")");
        return;
    }
    json body = json::parse(raw->body, nullptr, false);
    const auto* results = body.is_object() && body.contains("results") && body["results"].is_array()
                              ? &body["results"]
                              : nullptr;
    res.outcomes.add("HTTP " + std::to_string(raw->status) +
                     (results ? " with " + std::to_string(results->size()) + " results" : ""));
    char line[120];
    std::snprintf(line, sizeof line, "answered in %.2f s", took);
    res.notes.push_back(line);
    if (!results) res.notes.push_back("body: " + raw->body.substr(0, 200));
}

/// p99 of `n` sequential GET /healthz on one keep-alive connection, in ms; nullopt when one
/// went unanswered.
std::optional<double> healthz_p99_ms(int port, int n) {
    httplib::Client cli(kHost, port);
    configure(cli, 10);
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
        const auto t0 = Clock::now();
        auto r = cli.Get("/healthz");
        if (!r || r->status != 200) return std::nullopt;
        ms.push_back(seconds_since(t0) * 1000.0);
    }
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1, static_cast<size_t>(static_cast<double>(ms.size()) * 0.99))];
}

/// 7. Slow clients: connections that trickle a request's headers used to take every connection
/// thread, so every door timed out for everyone.
void scenario_slow_clients(int port, Result& res) {
    res.threads_bound = kMaxConnectionThreads + kPeakThreadsBound;
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 &&
        lim.rlim_cur < static_cast<rlim_t>(kSlowClients + 256)) {
        lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, kSlowClients + 256);
        ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    const auto alone = healthz_p99_ms(port, kProbeRequests);
    std::vector<int> fds;
    const std::string start = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    for (int i = 0; i < kSlowClients; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) break;
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::send(fd, start.data(), start.size(), MSG_NOSIGNAL) !=
                static_cast<ssize_t>(start.size())) {
            ::close(fd);
            break;
        }
        fds.push_back(fd);
    }
    res.delivered = !fds.empty();
    res.outcomes.add(std::to_string(fds.size()) + " slow connections open");
    std::this_thread::sleep_for(500ms);  // let the server take them all
    const auto loaded = healthz_p99_ms(port, kProbeRequests);
    for (int fd : fds) ::close(fd);
    auto show = [](const std::optional<double>& v) {
        char b[32];
        if (!v) return std::string("no answer");
        std::snprintf(b, sizeof b, "%.2f ms", *v);
        return std::string(b);
    };
    res.notes.push_back("GET /healthz p99 alone: " + show(alone) + "; beside " +
                        std::to_string(fds.size()) + " slow connections: " + show(loaded));
    if (alone && loaded) {
        // Sub-millisecond p99s are noise-bound: compare against at least 1 ms.
        res.latency_ratio = *loaded / std::max(1.0, *alone);
        char b[64];
        std::snprintf(b, sizeof b, "ratio %.2f (bound %.1fx)", *res.latency_ratio,
                      kSlowClientP99Ratio);
        res.notes.push_back(b);
    } else if (alone) {
        res.latency_ratio = 1e9;  // unanswered beside the slow clients: starved
    }
}

struct Scenario {
    const char* name;   // in the table
    const char* title;  // what it does
    void (*run)(int port, Result& res);
};

const Scenario kScenarios[] = {
    {"tasks", "2,000 tools/call as 2025-11-25 tasks, ttl 1 ms, then tasks/list", scenario_tasks},
    {"big-initialize", "15 initialize with a 3.8 MB capabilities object", scenario_big_initialize},
    {"legacy-sse", "GET /sse, then 1,500 tools/call POSTs to /messages", scenario_legacy_sse},
    {"batch-500", "2025-03-26 session, one batch of 500 tools/call", scenario_batch},
    {"deep-json", "200 KB body nested 100,000 deep to /mcp, then /healthz", scenario_deep_json},
    {"vapi-1000", "Vapi tool-calls with 1,000 calls to /voice/vapi", scenario_vapi},
    {"slow-clients", "1,000 connections trickling headers; /healthz p99 beside them",
     scenario_slow_clients},
};

// ---- report --------------------------------------------------------------------------------

std::string mb(long kb) {
    if (kb < 0) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(kb) / 1024.0);
    return buf;
}

std::string num(long v) {
    return v < 0 ? "-" : std::to_string(v);
}

/// RSS growth in MB, when both samples exist.
std::optional<double> growth_mb(const Result& r) {
    if (r.before.rss_kb < 0 || r.after.rss_kb < 0) return std::nullopt;
    return static_cast<double>(r.after.rss_kb - r.before.rss_kb) / 1024.0;
}

bool within_bounds(const Result& r) {
    auto g = growth_mb(r);
    return r.died.empty() && g && *g < kRssGrowthBoundMb && r.peak_threads >= 0 &&
           r.peak_threads < r.threads_bound &&
           (!r.latency_ratio || *r.latency_ratio <= kSlowClientP99Ratio);
}

void print_scenario(size_t i, const Result& r) {
    std::printf("[%zu/%zu] %s: %s (%.1f s)\n", i + 1, std::size(kScenarios), r.name.c_str(),
                r.title.c_str(), r.seconds);
    std::printf("    answers: %s\n", r.outcomes.str().c_str());
    for (const auto& [label, example] : r.outcomes.examples())
        std::printf("      %s: %s\n", label.c_str(), example.c_str());
    for (const auto& n : r.notes) std::printf("    %s\n", n.c_str());
    if (!r.died.empty()) std::printf("    SERVER DIED: %s\n", r.died.c_str());
    std::printf(
        "    server: RSS %s -> %s MB (peak %s, VmHWM %s), threads %s -> %s (peak %s), fds %s -> "
        "%s\n",
        mb(r.before.rss_kb).c_str(), mb(r.after.rss_kb).c_str(), mb(r.peak_rss_kb).c_str(),
        mb(r.after.hwm_kb).c_str(), num(r.before.threads).c_str(), num(r.after.threads).c_str(),
        num(r.peak_threads).c_str(), num(r.before.fds).c_str(), num(r.after.fds).c_str());
    std::fflush(stdout);
}

void print_table(const std::deque<Result>& results, const std::string& binary) {
    std::printf("\n=== bench-abuse summary: %s ===\n", binary.c_str());
    std::printf("bounds: RSS growth < %.0f MB per scenario, peak threads < %ld\n\n",
                kRssGrowthBoundMb, kPeakThreadsBound);
    std::printf("%-15s %-22s %8s %8s %-11s %-11s %s\n", "scenario", "RSS MB before -> after",
                "growth", "peak thr", "fds", "verdict", "outcomes");
    for (const auto& r : results) {
        if (!r.ran) {
            std::printf("%-15s %-22s %8s %8s %-11s %-11s %s\n", r.name.c_str(), "-", "-", "-", "-",
                        "NOT RUN", "the server could not be restarted");
            continue;
        }
        auto g = growth_mb(r);
        char growth[32] = "-";
        if (g) std::snprintf(growth, sizeof growth, "%+.1f", *g);
        const std::string rss = mb(r.before.rss_kb) + " -> " + mb(r.after.rss_kb);
        const std::string fds = num(r.before.fds) + " -> " + num(r.after.fds);
        const char* verdict = !r.died.empty()    ? "DIED"
                              : !r.delivered     ? "NOT SENT"
                              : within_bounds(r) ? "ok"
                                                 : "OVER BOUND";
        std::printf("%-15s %-22s %8s %8s %-11s %-11s %s\n", r.name.c_str(), rss.c_str(), growth,
                    num(r.peak_threads).c_str(), fds.c_str(), verdict, r.outcomes.str().c_str());
    }
    std::printf("\n");
    for (const auto& r : results) {
        if (!r.ran) continue;
        auto g = growth_mb(r);
        const bool rss_ok = g && *g < kRssGrowthBoundMb;
        const bool thr_ok = r.peak_threads >= 0 && r.peak_threads < r.threads_bound;
        char growth[32] = "-";
        if (g) std::snprintf(growth, sizeof growth, "%+.1f", *g);
        const std::string died =
            (r.died.empty() ? "" : "; SERVER DIED (" + r.died + ")") +
            (r.delivered ? "" : "; the abuse was not sent (set-up failed, see above)");
        std::printf("verdict %-15s RSS growth %s MB (< %.0f): %s; peak threads %s (< %ld): %s%s\n",
                    r.name.c_str(), growth, kRssGrowthBoundMb, rss_ok ? "ok" : "OVER BOUND",
                    num(r.peak_threads).c_str(), r.threads_bound, thr_ok ? "ok" : "OVER BOUND",
                    died.c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    CLI::App app{
        "bench-abuse: memory, threads and fds of ghl-mcp under the abusive requests of the "
        "security review, one bounded scenario at a time (loopback only)"};
    std::string binary = GHL_MCP_BINARY;
    std::string log_path =
        (std::filesystem::temp_directory_path() / "bench-abuse-server.log").string();
    app.add_option("--server", binary, "ghl-mcp binary to start")->capture_default_str();
    app.add_option("--server-log", log_path, "Where the server's stdout and stderr go")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    ServerProcess server(binary, log_path);
    if (auto why = server.start(); !why.empty()) {
        std::fprintf(stderr, "bench-abuse: could not start %s: %s\n", binary.c_str(), why.c_str());
        return 2;
    }
    std::printf("bench-abuse: %s serve --http %s:%d --sandbox (pid %d, log %s)\n\n", binary.c_str(),
                kHost, server.port(), server.pid(), log_path.c_str());
    std::fflush(stdout);

    std::deque<Result> results;  // Outcomes hold a mutex: built in place, never moved
    int status = 0;
    for (size_t i = 0; i < std::size(kScenarios); ++i) {
        Result& r = results.emplace_back();
        r.name = kScenarios[i].name;
        r.title = kScenarios[i].title;
        if (status != 0) continue;
        r.ran = true;
        const pid_t pid = server.pid();
        const auto t0 = Clock::now();
        r.before = sample_proc(pid);
        {
            PeakSampler sampler(pid);
            kScenarios[i].run(server.port(), r);
            std::this_thread::sleep_for(kSettle);
            r.after = sample_proc(pid);
            sampler.finish();
            r.peak_threads = std::max({sampler.peak_threads(), r.before.threads, r.after.threads});
            r.peak_rss_kb = std::max({sampler.peak_rss_kb(), r.before.rss_kb, r.after.rss_kb});
        }
        r.seconds = seconds_since(t0);
        if (!server.alive()) {
            r.died = server.exit_description();
            if (auto why = server.start(); !why.empty()) {
                std::fprintf(stderr, "bench-abuse: could not restart the server: %s\n",
                             why.c_str());
                status = 2;
            } else {
                r.notes.push_back("restarted for the next scenario (pid " +
                                  std::to_string(server.pid()) + ")");
            }
        }
        print_scenario(i, r);
    }
    const auto t_stop = Clock::now();
    std::string stopped = server.stop();
    print_table(results, binary);
    std::printf("\nserver stopped in %.1f s%s\n", seconds_since(t_stop),
                stopped.empty() ? "" : (": " + stopped).c_str());
    return status;
}
