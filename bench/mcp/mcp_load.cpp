// mcp-load: a load driver for any MCP server, speaking only the wire protocol.
//
//   mcp-load stdio [options] -- COMMAND [ARGS...]
//       spawn-to-initialize time (median of --spawns spawns), then --calls sequential tools/call
//       round trips on one process (p50/p99), and the child's peak RSS (VmHWM before it exits,
//       and wait4's ru_maxrss).
//   mcp-load http --url http://127.0.0.1:PORT/mcp [options]
//       for each of --clients (1,8,64): that many concurrent clients, each with its own
//       keep-alive connection, doing initialize then tools/call in a loop for --duration seconds
//       (legacy Streamable HTTP session with Mcp-Session-Id), or stateless 2026-07-28 POSTs
//       (--era modern); reports calls/s and p50/p99 latency. --pid reads the server's VmHWM.
//   mcp-load floor [--spawns N] -- /bin/true
//       the machine's floor for the spawn metric: fork+exec+exit of a trivial command.
//
// Both print a human line per measurement and, with --results FILE, append TSV rows
// `label<TAB>metric<TAB>value` (scripts/bench.sh builds its summary table from them).
#include <httplib.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

/// Nearest-rank percentile of an ascending-sorted sample.
double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return NAN;
    auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

/// Appends `label<TAB>metric<TAB>value` rows to the results file (when one was given).
class Results {
  public:
    Results(std::string path, std::string label)
        : path_(std::move(path)), label_(std::move(label)) {}
    void add(const std::string& metric, double value) {
        if (path_.empty() || std::isnan(value)) return;
        std::ofstream out(path_, std::ios::app);
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6g", value);
        out << label_ << '\t' << metric << '\t' << buf << '\n';
    }
    const std::string& label() const { return label_; }

  private:
    std::string path_;
    std::string label_;
};

/// Reads "VmHWM:   1234 kB" (peak resident set) from /proc/PID/status; -1 when unavailable.
long vm_hwm_kb(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

/// CPU time (user + system) a process has used so far, in ms; -1 when unavailable.
double process_cpu_ms(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    auto close = stat.rfind(')');  // the command name may contain spaces
    if (close == std::string::npos) return -1;
    std::istringstream fields(stat.substr(close + 2));
    std::string f;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {  // fields 14 and 15: utime, stime (ticks)
        if (i == 14) utime = std::stoull(f);
        if (i == 15) stime = std::stoull(f);
    }
    return static_cast<double>(utime + stime) * 1000.0 /
           static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double self_cpu_ms() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto ms = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
    };
    return ms(ru.ru_utime) + ms(ru.ru_stime);
}

json tools_call(int64_t id, const std::string& tool, const json& args) {
    return json{{"jsonrpc", "2.0"},
                {"id", id},
                {"method", "tools/call"},
                {"params", {{"name", tool}, {"arguments", args}}}};
}

json initialize_request(int64_t id, const std::string& version) {
    return json{{"jsonrpc", "2.0"},
                {"id", id},
                {"method", "initialize"},
                {"params",
                 {{"protocolVersion", version},
                  {"capabilities", json::object()},
                  {"clientInfo", {{"name", "mcp-load"}, {"version", "1.0.0"}}}}}};
}

/// "" when the response is a successful, non-error tool result; otherwise what went wrong.
std::string call_problem(const json& response) {
    if (response.contains("error")) return "JSON-RPC error: " + response["error"].dump();
    if (!response.contains("result")) return "no result: " + response.dump();
    const json& r = response["result"];
    if (r.value("isError", false)) return "tool returned isError: " + r.dump();
    return {};
}

// --- stdio ----------------------------------------------------------------------------------

class Child {
  public:
    Child(const std::vector<std::string>& argv, const std::string& stderr_path,
          const std::vector<std::string>& env = {}) {
        int in[2], out[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
            throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
        if (pid_ == 0) {
            ::dup2(in[0], 0);
            ::dup2(out[1], 1);
            int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (err >= 0) ::dup2(err, 2);
            for (const auto& kv : env)
                ::putenv(const_cast<char*>(kv.c_str()));  // our copy, after fork
            ::execvp(args[0], args.data());
            std::fprintf(stderr, "mcp-load: exec %s: %s\n", args[0], std::strerror(errno));
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        in_ = in[1];
        out_ = out[0];
    }
    ~Child() {
        close_stdin();
        if (out_ >= 0) ::close(out_);
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }

    void send(const json& message) {
        std::string line = message.dump() + "\n";
        const char* p = line.data();
        size_t left = line.size();
        while (left > 0) {
            ssize_t n = ::write(in_, p, left);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error(std::string("write to server: ") + std::strerror(errno));
            }
            p += n;
            left -= static_cast<size_t>(n);
        }
    }

    /// Reads messages until the response to `id`; answers server requests with an error.
    json await(const json& id, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            std::string line = read_line(deadline);
            if (line.empty()) continue;
            json msg;
            try {
                msg = json::parse(line);
            } catch (const json::parse_error&) {
                throw std::runtime_error("server wrote a non-JSON line on stdout: " +
                                         line.substr(0, 200));
            }
            if (!msg.is_object()) continue;
            if (msg.contains("method")) {
                if (msg.contains("id"))  // a request to us (roots, sampling, ...): we support none
                    send({{"jsonrpc", "2.0"},
                          {"id", msg["id"]},
                          {"error",
                           {{"code", -32601},
                            {"message", "mcp-load supports no client features"}}}});
                continue;  // notifications
            }
            if (msg.contains("id") && msg["id"] == id) return msg;
        }
    }

    void close_stdin() {
        if (in_ >= 0) ::close(in_);
        in_ = -1;
    }

    /// Closes stdin and waits for the exit (SIGTERM, then SIGKILL, after `grace`); returns
    /// ru_maxrss in kB.
    long finish(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
        close_stdin();
        rusage ru{};
        int status = 0;
        const auto deadline = Clock::now() + grace;
        bool termed = false;
        for (;;) {
            pid_t r = ::wait4(pid_, &status, WNOHANG, &ru);
            if (r == pid_) break;
            if (r < 0 && errno != EINTR) return -1;
            if (Clock::now() > deadline) {
                ::kill(pid_, termed ? SIGKILL : SIGTERM);
                termed = true;
                ::wait4(pid_, &status, 0, &ru);
                break;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        reaped_ = true;
        return ru.ru_maxrss;
    }

  private:
    std::string read_line(Clock::time_point deadline) {
        for (;;) {
            auto nl = buf_.find('\n');
            if (nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                if (!line.empty() && line.back() == '\r') line.pop_back();
                return line;
            }
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) throw std::runtime_error("timed out waiting for the server");
            pollfd pfd{out_, POLLIN, 0};
            int pr = ::poll(&pfd, 1, static_cast<int>(left.count()));
            if (pr < 0 && errno != EINTR) throw std::runtime_error("poll failed");
            if (pr <= 0) continue;
            char chunk[65536];
            ssize_t n = ::read(out_, chunk, sizeof chunk);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) throw std::runtime_error("the server closed stdout (exited?)");
            buf_.append(chunk, static_cast<size_t>(n));
        }
    }

    pid_t pid_ = -1;
    int in_ = -1;
    int out_ = -1;
    bool reaped_ = false;
    std::string buf_;
};

struct StdioOptions {
    std::vector<std::string> command;
    int spawns = 20;
    int calls = 2000;
    int warmup = 200;
    std::string tool;
    json args = json::object();
    std::string version = "2025-11-25";
    std::string stderr_path = "/dev/null";
    std::vector<std::string> env;  // NAME=VALUE set in the child (no extra exec of env(1))
};

int run_stdio(const StdioOptions& o, Results& results) {
    const std::string& label = results.label();
    // 1. Spawn to initialize response.
    std::vector<double> spawn_ms;
    long spawn_rss_max = 0;
    for (int i = 0; i < o.spawns; ++i) {
        const auto t0 = Clock::now();
        Child c(o.command, o.stderr_path, o.env);
        c.send(initialize_request(0, o.version));
        json r = c.await(0);
        const auto t1 = Clock::now();
        if (!r.contains("result")) {
            std::fprintf(stderr, "%s: initialize failed: %s\n", label.c_str(), r.dump().c_str());
            return 1;
        }
        spawn_ms.push_back(ms_between(t0, t1));
        spawn_rss_max = std::max(spawn_rss_max, c.finish());
    }
    std::sort(spawn_ms.begin(), spawn_ms.end());

    // 2. Sequential round trips on one process.
    Child c(o.command, o.stderr_path, o.env);
    c.send(initialize_request(0, o.version));
    json init = c.await(0);
    if (!init.contains("result")) {
        std::fprintf(stderr, "%s: initialize failed: %s\n", label.c_str(), init.dump().c_str());
        return 1;
    }
    c.send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
    int64_t id = 1;
    int errors = 0;
    std::string first_error;
    std::vector<double> lat;
    lat.reserve(static_cast<size_t>(o.calls));
    for (int i = 0; i < o.warmup + o.calls; ++i) {
        const std::string msg = tools_call(id, o.tool, o.args).dump();  // built outside the timing
        json parsed = json::parse(msg);
        const auto t0 = Clock::now();
        c.send(parsed);
        json r = c.await(id);
        const auto t1 = Clock::now();
        ++id;
        if (auto p = call_problem(r); !p.empty()) {
            if (first_error.empty()) first_error = p;
            ++errors;
            continue;
        }
        if (i >= o.warmup) lat.push_back(ms_between(t0, t1));
    }
    const long hwm = vm_hwm_kb(c.pid());
    const long maxrss = c.finish();
    std::sort(lat.begin(), lat.end());
    const double peak_mb = static_cast<double>(std::max(hwm, maxrss)) / 1024.0;

    std::printf(
        "%-28s stdio  spawn->initialize p50 %.2f ms (min %.2f, max %.2f, n=%d)  "
        "tools/call p50 %.3f ms p99 %.3f ms (n=%zu, errors %d)  peak RSS %.1f MB "
        "(VmHWM %ld kB, ru_maxrss %ld kB; at start-up %.1f MB)\n",
        label.c_str(), percentile(spawn_ms, 50), spawn_ms.front(), spawn_ms.back(), o.spawns,
        percentile(lat, 50), percentile(lat, 99), lat.size(), errors, peak_mb, hwm, maxrss,
        static_cast<double>(spawn_rss_max) / 1024.0);
    if (!first_error.empty())
        std::printf("    first error: %s\n", first_error.substr(0, 400).c_str());
    std::fflush(stdout);
    results.add("spawn_init_ms", percentile(spawn_ms, 50));
    results.add("stdio_p50_ms", percentile(lat, 50));
    results.add("stdio_p99_ms", percentile(lat, 99));
    results.add("stdio_errors", errors);
    results.add("stdio_peak_rss_mb", peak_mb);
    results.add("startup_rss_mb", static_cast<double>(spawn_rss_max) / 1024.0);
    return lat.empty() ? 1 : 0;
}

/// The machine's floor for the spawn metric: fork+exec+exit of a trivial command (/bin/true).
int run_floor(const StdioOptions& o, Results& results) {
    std::vector<double> ms;
    for (int i = 0; i < o.spawns; ++i) {
        const auto t0 = Clock::now();
        Child c(o.command, o.stderr_path, o.env);
        c.finish();
        ms.push_back(ms_between(t0, Clock::now()));
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%-28s spawn floor: fork+exec+exit of %s p50 %.2f ms (min %.2f, max %.2f, n=%d)\n",
                results.label().c_str(), o.command.front().c_str(), percentile(ms, 50), ms.front(),
                ms.back(), o.spawns);
    std::fflush(stdout);
    results.add("spawn_exit_ms", percentile(ms, 50));
    return 0;
}

// --- HTTP -----------------------------------------------------------------------------------

struct Url {
    std::string host;
    int port = 80;
    std::string path = "/";
};

Url parse_url(const std::string& url) {
    const std::string scheme = "http://";
    if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("only http:// URLs: " + url);
    std::string rest = url.substr(scheme.size());
    Url u;
    auto slash = rest.find('/');
    std::string hostport = rest.substr(0, slash);
    u.path = slash == std::string::npos ? "/" : rest.substr(slash);
    const auto bracket = hostport.find(']');  // [::1]:8787
    const auto colon = hostport.rfind(':');
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
        u.host = hostport.substr(0, colon);
        u.port = std::stoi(hostport.substr(colon + 1));
    } else {
        u.host = hostport;
    }
    if (u.host.size() > 2 && u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
    return u;
}

struct HttpOptions {
    Url url;
    std::vector<int> clients{1, 8, 64};
    double duration = 5;
    double warmup = 1;
    bool modern = false;
    std::string tool;
    json args = json::object();
    std::string version = "2025-11-25";
    pid_t pid = 0;
};

/// One JSON-RPC exchange over POST: the response to `id` from a JSON or an SSE body.
struct Exchange {
    int status = 0;
    std::string session_id;
    std::optional<json> response;
    std::string error;
};

Exchange post(httplib::Client& cli, const std::string& path, const httplib::Headers& headers,
              const std::string& body, const json& id) {
    Exchange x;
    auto res = cli.Post(path, headers, body, "application/json");
    if (!res) {
        x.error = "HTTP request failed: " + httplib::to_string(res.error());
        return x;
    }
    x.status = res->status;
    x.session_id = res->get_header_value("Mcp-Session-Id");
    if (id.is_null()) return x;  // a notification
    const std::string ctype = res->get_header_value("Content-Type");
    try {
        if (ctype.find("text/event-stream") != std::string::npos) {
            // data: lines of each event, an empty line ends the event
            std::istringstream in(res->body);
            std::string line, data;
            auto flush = [&] {
                if (data.empty()) return;
                json m = json::parse(data);
                data.clear();
                if (m.is_object() && m.contains("id") && m["id"] == id && !m.contains("method"))
                    x.response = std::move(m);
            };
            while (std::getline(in, line)) {
                if (!line.empty() && line.back() == '\r') line.pop_back();
                if (line.empty()) {
                    flush();
                } else if (line.rfind("data:", 0) == 0) {
                    std::string d = line.substr(5);
                    if (!d.empty() && d.front() == ' ') d.erase(0, 1);
                    if (!data.empty()) data += '\n';
                    data += d;
                }
            }
            flush();
        } else if (!res->body.empty()) {
            json m = json::parse(res->body);
            if (m.is_object()) x.response = std::move(m);
        }
    } catch (const json::parse_error& e) {
        x.error = std::string("unparsable response body: ") + e.what();
    }
    if (!x.response && x.error.empty())
        x.error = "HTTP " + std::to_string(res->status) + " without a response to id " + id.dump() +
                  ": " + res->body.substr(0, 300);
    return x;
}

struct ClientStats {
    std::vector<double> lat;
    int64_t completed = 0;  // every successful call, warm-up included (for CPU per call)
    int64_t errors = 0;
    std::string first_error;
    void fail(const std::string& e) {
        ++errors;
        if (first_error.empty()) first_error = e;
    }
};

/// One client: its own connection; initialize (legacy) then tools/call until `stop`.
void client_loop(const HttpOptions& o, Clock::time_point measure_from, Clock::time_point measure_to,
                 const std::atomic<bool>& stop, ClientStats& st) {
    httplib::Client cli(o.url.host, o.url.port);
    cli.set_keep_alive(true);
    cli.set_tcp_nodelay(true);
    cli.set_connection_timeout(5);
    cli.set_read_timeout(30);
    cli.set_write_timeout(30);
    httplib::Headers base{{"Accept", "application/json, text/event-stream"}};
    std::string session;
    if (o.modern) {
        base.emplace("MCP-Protocol-Version", "2026-07-28");
        base.emplace("Mcp-Method", "tools/call");
        base.emplace("Mcp-Name", o.tool);
    } else {
        Exchange x;
        for (int attempt = 0; attempt < 3; ++attempt) {  // a 64-client burst may hit a full backlog
            x = post(cli, o.url.path, base, initialize_request(0, o.version).dump(), 0);
            if (x.response) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (!x.response || !x.response->contains("result") || x.session_id.empty()) {
            st.fail("initialize failed: " + (x.response ? x.response->dump() : x.error) +
                    (x.session_id.empty() ? " (no Mcp-Session-Id)" : ""));
            return;
        }
        session = x.session_id;
        base.emplace("Mcp-Session-Id", session);
        base.emplace("MCP-Protocol-Version",
                     (*x.response)["result"].value("protocolVersion", o.version));
        post(cli, o.url.path, base, R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
             nullptr);
    }
    int64_t id = 1;
    while (!stop.load(std::memory_order_relaxed)) {
        json msg = tools_call(id, o.tool, o.args);
        if (o.modern)
            msg["params"]["_meta"] = {
                {"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                {"io.modelcontextprotocol/clientCapabilities", json::object()},
                {"io.modelcontextprotocol/clientInfo",
                 {{"name", "mcp-load"}, {"version", "1.0.0"}}}};
        const std::string body = msg.dump();
        const auto t0 = Clock::now();
        Exchange x = post(cli, o.url.path, base, body, id);
        const auto t1 = Clock::now();
        ++id;
        if (x.response && call_problem(*x.response).empty()) ++st.completed;
        if (t0 < measure_from || t1 > measure_to) continue;  // warm-up, or past the window
        if (!x.response) {
            st.fail(x.error);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            continue;
        }
        if (auto p = call_problem(*x.response); !p.empty()) {
            st.fail(p);
            continue;
        }
        st.lat.push_back(ms_between(t0, t1));
    }
    if (!session.empty()) cli.Delete(o.url.path, base);
}

int run_http(const HttpOptions& o, Results& results) {
    const std::string& label = results.label();
    int rc = 0;
    for (int n : o.clients) {
        std::vector<ClientStats> stats(static_cast<size_t>(n));
        std::atomic<bool> stop{false};
        const auto start = Clock::now();
        const auto from = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(o.warmup));
        const auto to = from + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(o.duration));
        const double server_cpu0 = o.pid > 0 ? process_cpu_ms(o.pid) : -1;
        const double self_cpu0 = self_cpu_ms();
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i)
            threads.emplace_back(client_loop, std::cref(o), from, to, std::cref(stop),
                                 std::ref(stats[static_cast<size_t>(i)]));
        std::this_thread::sleep_until(to);
        stop = true;
        for (auto& t : threads) t.join();
        const double elapsed_ms = ms_between(start, Clock::now());
        const double server_cpu = o.pid > 0 ? process_cpu_ms(o.pid) - server_cpu0 : -1;
        const double self_cpu = self_cpu_ms() - self_cpu0;

        std::vector<double> lat;
        int64_t errors = 0, completed = 0;
        std::string first_error;
        for (auto& s : stats) {
            lat.insert(lat.end(), s.lat.begin(), s.lat.end());
            completed += s.completed;
            errors += s.errors;
            if (first_error.empty()) first_error = s.first_error;
        }
        std::sort(lat.begin(), lat.end());
        const double rate = static_cast<double>(lat.size()) / o.duration;
        // Server CPU per call is far less sensitive to other load on the machine than calls/s.
        const double cpu_us_per_call = server_cpu >= 0 && completed > 0
                                           ? server_cpu * 1000.0 / static_cast<double>(completed)
                                           : NAN;
        std::printf(
            "%-28s http   %2d client%s  %9.0f calls/s  p50 %7.3f ms  p99 %7.3f ms  "
            "(n=%zu, errors %lld)  server CPU %.0f us/call, load driver %.0f%% of a CPU\n",
            label.c_str(), n, n == 1 ? " " : "s", rate, percentile(lat, 50), percentile(lat, 99),
            lat.size(), static_cast<long long>(errors), cpu_us_per_call,
            100.0 * self_cpu / elapsed_ms);
        if (!first_error.empty())
            std::printf("    first error: %s\n", first_error.substr(0, 400).c_str());
        std::fflush(stdout);
        const std::string k = "http_c" + std::to_string(n);
        results.add(k + "_calls_per_s", rate);
        results.add(k + "_p50_ms", percentile(lat, 50));
        results.add(k + "_p99_ms", percentile(lat, 99));
        results.add(k + "_errors", static_cast<double>(errors));
        results.add(k + "_cpu_us_per_call", cpu_us_per_call);
        if (lat.empty()) rc = 1;
        if (o.pid > 0 && vm_hwm_kb(o.pid) < 0) {  // gone, or a zombie: it crashed or was killed
            std::printf("%-28s http   THE SERVER (pid %d) EXITED during this run\n", label.c_str(),
                        static_cast<int>(o.pid));
            results.add("server_exited", 1);
            return 1;
        }
    }
    if (o.pid > 0) {
        long hwm = vm_hwm_kb(o.pid);
        if (hwm > 0) {
            std::printf("%-28s http   peak RSS of the server (VmHWM) %.1f MB\n", label.c_str(),
                        static_cast<double>(hwm) / 1024.0);
            results.add("http_peak_rss_mb", static_cast<double>(hwm) / 1024.0);
        }
    }
    return rc;
}

json parse_args(const std::string& text) {
    json j = json::parse(text);
    if (!j.is_object()) throw std::invalid_argument("--args must be a JSON object");
    return j;
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    // Everything after "--" is the server command (stdio); CLI11 sees only what comes before.
    std::vector<std::string> command;
    int cli_argc = argc;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--") == 0) {
            cli_argc = i;
            for (int j = i + 1; j < argc; ++j) command.emplace_back(argv[j]);
            break;
        }
    }

    CLI::App app{"mcp-load: tools/call load driver for MCP servers (stdio and Streamable HTTP)"};
    app.require_subcommand(1);
    app.fallthrough();  // the common options may come before or after the subcommand
    std::string label = "server", results_path, tool, args_text = "{}", version = "2025-11-25";
    app.add_option("--label", label, "Name of the server in the output");
    app.add_option("--results", results_path, "Append label<TAB>metric<TAB>value rows to FILE");
    app.add_option("--tool", tool, "Tool to call (a no-op); required by stdio and http");
    app.add_option("--args", args_text, "Tool arguments, a JSON object")->capture_default_str();
    app.add_option("--protocol-version", version, "Version asked for in initialize")
        ->capture_default_str();

    StdioOptions so;
    auto* stdio = app.add_subcommand("stdio",
                                     "Spawn a stdio server: start-up time, round trips, RSS "
                                     "(command after --)");
    stdio->add_option("--spawns", so.spawns, "Spawn-to-initialize samples")->capture_default_str();
    stdio->add_option("--calls", so.calls, "Timed sequential tools/call round trips")
        ->capture_default_str();
    stdio->add_option("--warmup", so.warmup, "Untimed calls first")->capture_default_str();
    stdio->add_option("--stderr", so.stderr_path, "Where the server's stderr goes")
        ->capture_default_str();
    stdio->add_option("--env", so.env, "NAME=VALUE for the server's environment (repeatable)");

    auto* floor = app.add_subcommand("floor",
                                     "Spawn floor of this machine: fork+exec+exit of the "
                                     "command after -- (e.g. /bin/true)");
    floor->add_option("--spawns", so.spawns, "Samples")->capture_default_str();

    HttpOptions ho;
    std::string url, clients = "1,8,64";
    int pid = 0;
    auto* http =
        app.add_subcommand("http", "Load a Streamable HTTP endpoint with concurrent clients");
    http->add_option("--url", url, "MCP endpoint, e.g. http://127.0.0.1:8787/mcp")->required();
    http->add_option("--clients", clients, "Concurrency levels, comma-separated")
        ->capture_default_str();
    http->add_option("--duration", ho.duration, "Measured seconds per level")
        ->capture_default_str();
    http->add_option("--warmup", ho.warmup, "Unmeasured seconds first (connect, initialize)")
        ->capture_default_str();
    std::string era = "legacy";
    http->add_option("--era", era,
                     "legacy: initialize + Mcp-Session-Id; modern: stateless 2026-07-28")
        ->check(CLI::IsMember({"legacy", "modern"}))
        ->capture_default_str();
    http->add_option("--pid", pid, "Server PID: report its peak RSS (VmHWM) after the run");

    try {
        app.parse(cli_argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        Results results(results_path, label);
        json args = parse_args(args_text);
        if ((stdio->parsed() || floor->parsed()) && command.empty()) {
            std::fprintf(stderr, "mcp-load: give the command after --\n");
            return 2;
        }
        if (floor->parsed()) {
            so.command = command;
            return run_floor(so, results);
        }
        if (tool.empty()) {
            std::fprintf(stderr, "mcp-load: --tool is required\n");
            return 2;
        }
        if (stdio->parsed()) {
            so.command = command;
            so.tool = tool;
            so.args = args;
            so.version = version;
            return run_stdio(so, results);
        }
        ho.url = parse_url(url);
        ho.clients.clear();
        std::stringstream ss(clients);
        for (std::string item; std::getline(ss, item, ',');)
            if (!item.empty()) ho.clients.push_back(std::stoi(item));
        ho.modern = era == "modern";
        ho.tool = tool;
        ho.args = args;
        ho.version = version;
        ho.pid = pid;
        return run_http(ho, results);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mcp-load (%s): %s\n", label.c_str(), e.what());
        return 1;
    }
}
