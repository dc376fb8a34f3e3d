// stdio transport: a reader thread frames lines; cheap requests run inline (so ordering holds
// for initialize/list calls), long ones on a small worker pool so ping and cancellation keep
// flowing; one mutex-guarded writer keeps lines whole.
#include "mcp/stdio_transport.hpp"
#include "core/json.hpp"

#include <spdlog/spdlog.h>

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mcp {

std::atomic<bool>& stop_requested() {
    static std::atomic<bool> flag{false};
    return flag;
}

namespace {
void on_stop_signal(int) { stop_requested().store(true); }
}  // namespace

void install_stop_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

class StdioTransport::Writer : public Channel {
public:
    explicit Writer(int fd) : fd_(fd) {}
    bool send(const json& message) override {
        std::string line = dump_line(message);
        line.push_back('\n');
        std::lock_guard lock(mu_);
        if (broken_) return false;
        const char* p = line.data();
        size_t left = line.size();
        while (left > 0) {
            ssize_t n = ::write(fd_, p, left);
            if (n < 0) {
                if (errno == EINTR) continue;
                broken_ = true;  // the client closed our stdout
                return false;
            }
            p += n;
            left -= static_cast<size_t>(n);
        }
        return true;
    }
    bool open() const override {
        std::lock_guard lock(mu_);
        return !broken_;
    }

private:
    int fd_;
    mutable std::mutex mu_;
    bool broken_ = false;
};

namespace {

/// Fixed-size worker pool; wait_idle() blocks until every queued job finished.
class WorkerPool {
public:
    explicit WorkerPool(size_t n) {
        for (size_t i = 0; i < n; ++i) threads_.emplace_back([this] { loop(); });
    }
    ~WorkerPool() {
        {
            std::lock_guard lock(mu_);
            done_ = true;
        }
        cv_.notify_all();
        for (auto& t : threads_) t.join();
    }
    void submit(std::function<void()> job) {
        {
            std::lock_guard lock(mu_);
            jobs_.push_back(std::move(job));
            ++pending_;
        }
        cv_.notify_one();
    }
    void wait_idle(const std::atomic<bool>& abort) {
        std::unique_lock lock(mu_);
        while (pending_ > 0 && !abort.load()) idle_cv_.wait_for(lock, std::chrono::milliseconds(50));
    }

private:
    void loop() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mu_);
                cv_.wait(lock, [&] { return done_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            job();
            std::lock_guard lock(mu_);
            if (--pending_ == 0) idle_cv_.notify_all();
        }
    }
    std::mutex mu_;
    std::condition_variable cv_, idle_cv_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    size_t pending_ = 0;
    bool done_ = false;
};

}  // namespace

StdioTransport::StdioTransport(Server& server, StdioOptions options, int in_fd, int out_fd)
    : server_(server), options_(options), in_fd_(in_fd), out_fd_(out_fd) {}

StdioTransport::~StdioTransport() = default;

void StdioTransport::run() {
    auto writer = std::make_shared<Writer>(out_fd_);
    auto session = std::make_shared<Session>("stdio");
    session->set_standalone(writer);
    // Register the session so change notifications reach it.
    Incoming in{session, writer, nullptr, {}};
    WorkerPool pool(options_.workers);
    auto stopping = [&] { return stop_.load() || stop_requested().load(); };

    auto handle_line = [&](std::string line) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) return;
        json payload;
        try {
            payload = core::parse_json(line);
        } catch (const json::parse_error& e) {
            writer->send(make_error(nullptr, ErrorCode::kParseError,
                                    std::string("Parse error: ") + e.what()));
            return;
        } catch (const core::JsonTooDeep& e) {
            writer->send(make_error(nullptr, ErrorCode::kParseError, std::string("Parse error: ") + e.what()));
            return;
        }
        // Decide before the payload moves into the job: long-running calls go to the pool so the
        // reader keeps reading (cancellations, sampling answers) while they run.
        const bool long_running = Server::runs_long(payload);
        auto work = [this, payload = std::move(payload), &in, writer]() {
            Outcome o = server_.handle(payload, in);
            if (o.response) writer->send(*o.response);
        };
        if (long_running)
            pool.submit(std::move(work));
        else
            work();
    };

    auto reject_oversized = [&] {
        spdlog::warn("stdio: dropping a message over {} bytes", options_.max_line_bytes);
        writer->send(make_error(nullptr, ErrorCode::kInvalidRequest,
                                "Invalid Request: message exceeds the " +
                                    std::to_string(options_.max_line_bytes) + "-byte limit"));
    };

    server_.attach_session(session);
    std::string buffer;
    bool discarding = false;  // inside an oversized line: drop bytes until its newline
    char chunk[65536];
    for (;;) {
        if (stopping()) break;
        pollfd pfd{in_fd_, POLLIN, 0};
        int pr = ::poll(&pfd, 1, 200);
        if (pr < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (pr == 0) continue;
        ssize_t n = ::read(in_fd_, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            break;
        }
        if (n == 0) break;  // EOF
        size_t start = 0;
        for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
            if (chunk[i] != '\n') continue;
            if (discarding) {
                discarding = false;
            } else if (buffer.size() + (i - start) > options_.max_line_bytes) {
                reject_oversized();  // the whole line arrived in one read: same limit applies
            } else {
                buffer.append(chunk + start, i - start);
                handle_line(std::move(buffer));
            }
            buffer.clear();
            start = i + 1;
        }
        if (!discarding) buffer.append(chunk + start, static_cast<size_t>(n) - start);
        if (!discarding && buffer.size() > options_.max_line_bytes) {
            reject_oversized();
            buffer.clear();
            buffer.shrink_to_fit();
            discarding = true;
        }
    }
    if (!discarding && !buffer.empty() && !stopping()) handle_line(std::move(buffer));
    if (stopping()) {
        session->close();  // cancels in-flight calls
        server_.shutdown();
    }
    // On EOF, finish what was asked (a piped `printf ... | ghl-mcp` expects its answers).
    pool.wait_idle(stop_requested());
    session->close();
    server_.detach_session(session->id());
}

}  // namespace mcp
