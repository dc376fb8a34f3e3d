// Streamable HTTP (/mcp) and legacy HTTP+SSE (/sse, /messages) on cpp-httplib.
//
// A POSTed request is answered with JSON unless it emits messages before its result
// (progress, logs, requests to the client): then the response switches to an SSE stream.
// Every SSE stream is a Stream: an append-only event list a connection consumes, so a
// reconnecting client (Last-Event-ID) can replay what it missed.
#include "mcp/http_transport.hpp"
#include "core/json.hpp"
#include "core/net.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

#include <sys/socket.h>

namespace mcp {

namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/// The host of a Host header value ("localhost:8787" -> "localhost"); the value whole when it is
/// not host[:port] (so it matches no allowed name).
std::string host_only(const std::string& value) {
    const auto host = core::host_of(value);
    return host ? std::string(*host) : value;
}

/// Host of an Origin ("http://localhost:3000" -> "localhost"); empty when unparsable.
std::string origin_host(const std::string& origin) {
    auto scheme = origin.find("://");
    if (scheme == std::string::npos) return {};
    std::string rest = origin.substr(scheme + 3);
    auto slash = rest.find('/');
    if (slash != std::string::npos) rest = rest.substr(0, slash);
    return host_only(rest);
}

json rpc_error_body(ErrorCode code, const std::string& message) {
    return make_error(nullptr, code, message);
}

void send_json(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(dump_line(body), "application/json");
}

}  // namespace

bool is_loopback_host(const std::string& host) { return core::is_loopback_host(host); }

bool came_through_proxy(const HeaderMap& headers) {
    auto host = headers.find("host");
    if (host != headers.end() && !host->second.empty() && !is_loopback_host(host->second)) return true;
    return headers.count("x-forwarded-for") || headers.count("forwarded") || headers.count("x-forwarded-host");
}

// --- streams ------------------------------------------------------------------------------

namespace {

enum class StreamKind { kRequest, kStandalone, kLegacySse };

/// An SSE event log with one consumer connection at a time.
class Stream : public Channel {
public:
    Stream(std::string id, StreamKind kind, bool modern, std::weak_ptr<Session> session,
           const std::atomic<bool>& stopping)
        : id_(std::move(id)), kind_(kind), modern_(modern), session_(std::move(session)),
          stopping_(stopping) {}

    const std::string& id() const { return id_; }
    StreamKind kind() const { return kind_; }

    bool send(const json& message) override { return append(message, false); }

    bool open() const override {
        std::lock_guard lock(mu_);
        if (finished_ || stopping_.load()) return false;
        if (modern_ || kind_ != StreamKind::kRequest) return !consumer_gone_;
        auto s = session_.lock();
        return s && !s->closed();
    }

    /// Appends the final response (if any) and closes the log.
    void finish(const std::optional<json>& final_message) {
        std::lock_guard lock(mu_);
        if (finished_) return;
        if (final_message) append_locked(*final_message);
        finished_ = true;
        finished_at_ = Clock::now();
        cv_.notify_all();
    }

    /// Adds a raw pre-formatted event (priming, endpoint).
    void append_raw(std::string event) {
        std::lock_guard lock(mu_);
        events_.push_back(std::move(event));
        cv_.notify_all();
    }

    /// Waits until there are events past `cursor`, the log finished, a disconnect was asked,
    /// or `timeout`. Returns the new events; `complete`: nothing more will come;
    /// `kicked`: drop this connection now (the client will resume).
    std::vector<std::string> wait(size_t& cursor, bool& complete, bool& kicked,
                                  std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, timeout, [&] {
            return cursor < base_ + events_.size() || finished_ || stopping_.load() || kick_;
        });
        kicked = kick_;
        kick_ = false;
        std::vector<std::string> out;
        if (cursor < base_) cursor = base_;
        for (; cursor < base_ + events_.size(); ++cursor) out.push_back(events_[cursor - base_]);
        if (plain_) {
            // Legacy HTTP+SSE cannot resume: what was handed to the connection is not kept.
            events_.clear();
            base_ = cursor;
        }
        complete = finished_ || stopping_.load();
        return out;
    }

    void disconnect() override {
        std::lock_guard lock(mu_);
        kick_ = true;
        cv_.notify_all();
    }
    /// The session ended: a GET stream completes, so its connection closes.
    void close() override { finish(std::nullopt); }
    void set_priming(bool on) { priming_ = on; }
    bool priming() const { return priming_; }

    bool has_events() const {
        std::lock_guard lock(mu_);
        return !events_.empty();
    }
    bool finished() const {
        std::lock_guard lock(mu_);
        return finished_;
    }
    void wait_finished() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return finished_; });
    }
    /// Blocks until the request produced an event, finished, or asked to drop the connection
    /// (SSE polling: the client then gets a primed stream it resumes with Last-Event-ID).
    void wait_first() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !events_.empty() || finished_ || kick_; });
    }
    /// wait_first() bounded by `timeout`.
    void wait_first_for(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, timeout, [&] { return !events_.empty() || finished_ || kick_; });
    }
    bool modern() const { return modern_; }
    size_t event_count() const {
        std::lock_guard lock(mu_);
        return base_ + events_.size();
    }
    void set_consumer(bool attached) {
        std::lock_guard lock(mu_);
        if (attached) {
            consumer_gone_ = false;
        } else {
            consumer_gone_ = true;
        }
        cv_.notify_all();
    }
    std::string session_id() const {
        auto s = session_.lock();
        return s ? s->id() : std::string();
    }
    bool expired(Clock::time_point now) const {
        std::lock_guard lock(mu_);
        auto s = session_.lock();
        if (!s || s->closed()) return true;
        return finished_ && now - finished_at_ > std::chrono::minutes(5);
    }
    /// Sets the legacy-SSE flavour: no ids, "event: message".
    void set_plain() { plain_ = true; }

private:
    bool append(const json& message, bool final) {
        std::lock_guard lock(mu_);
        if (finished_) return false;
        if (!final && (modern_ || kind_ != StreamKind::kRequest) && consumer_gone_) return false;
        append_locked(message);
        return true;
    }

    void append_locked(const json& message) {
        std::string ev;
        // Event ids are <stream>_<n>, n from 1; 0 is the priming event. Resuming after n
        // replays from absolute index n.
        if (!plain_) ev = "id: " + id_ + "_" + std::to_string(base_ + events_.size() + 1) + "\n";
        ev += "event: message\ndata: " + dump_line(message) + "\n\n";
        events_.push_back(std::move(ev));
        // Bound the replay log; a reconnect older than this resumes from the oldest kept.
        if (events_.size() > 4096) {
            events_.erase(events_.begin(), events_.begin() + 1024);
            base_ += 1024;
        }
        cv_.notify_all();
    }

    const std::string id_;
    const StreamKind kind_;
    const bool modern_;
    std::weak_ptr<Session> session_;
    const std::atomic<bool>& stopping_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> events_;
    size_t base_ = 0;
    bool finished_ = false;
    bool consumer_gone_ = false;
    bool plain_ = false;
    bool kick_ = false;
    bool priming_ = false;
    Clock::time_point finished_at_;
};

/// Threads that start on demand: reuses idle threads, starts another when all are busy (up to
/// `max_threads`; past it jobs wait), and lets threads beyond `keep_idle` idle ones go after 30 s
/// without work. Threads are detached; drain() waits for them when the caller needs that.
class ElasticPool {
public:
    explicit ElasticPool(size_t keep_idle, size_t max_threads = std::numeric_limits<size_t>::max())
        : state_(std::make_shared<State>()) {
        state_->keep_idle = keep_idle;
        state_->max_threads = std::max<size_t>(1, max_threads);
    }
    ~ElasticPool() { stop(); }
    ElasticPool(const ElasticPool&) = delete;
    ElasticPool& operator=(const ElasticPool&) = delete;

    void submit(std::function<void()> job) {
        std::lock_guard lock(state_->mu);
        state_->jobs.push_back(std::move(job));
        if (state_->jobs.size() <= state_->idle) {
            state_->cv.notify_one();
            return;
        }
        if (state_->live < state_->max_threads) {
            ++state_->live;
            std::thread(work, state_).detach();
        }
    }
    /// Lets every thread go once the queued jobs are done.
    void stop() {
        std::lock_guard lock(state_->mu);
        state_->done = true;
        state_->cv.notify_all();
    }
    /// stop(), then waits until every thread has returned.
    void drain() {
        std::unique_lock lock(state_->mu);
        state_->done = true;
        state_->cv.notify_all();
        state_->gone.wait(lock, [&] { return state_->live == 0; });
    }

private:
    struct State {
        std::mutex mu;
        std::condition_variable cv, gone;
        std::deque<std::function<void()>> jobs;
        size_t idle = 0;  // threads waiting for a job
        size_t live = 0;  // threads started and not yet returned
        size_t keep_idle = 0, max_threads = 0;
        bool done = false;
    };

    static void work(std::shared_ptr<State> s) {
        std::unique_lock lock(s->mu);
        for (;;) {
            if (!s->jobs.empty()) {
                auto job = std::move(s->jobs.front());
                s->jobs.pop_front();
                lock.unlock();
                job();
                job = nullptr;  // release captures before sleeping
                lock.lock();
                continue;
            }
            if (s->done) break;
            ++s->idle;
            bool woke = s->cv.wait_for(lock, std::chrono::seconds(30),
                                       [&] { return !s->jobs.empty() || s->done; });
            --s->idle;
            if (!woke && s->idle >= s->keep_idle) break;  // surplus thread retires
        }
        --s->live;
        s->gone.notify_all();
    }

    std::shared_ptr<State> state_;
};

/// httplib's connection threads. Its own ThreadPool is fixed: a few hundred clients trickling
/// header bytes took every thread and starved every door. An ElasticPool up to `max_threads`
/// instead: a slow connection delays only itself until the read timeout ends it. Connections
/// past the bound wait (a job owns its socket, so it cannot be dropped).
class ConnectionPool final : public httplib::TaskQueue {
public:
    ConnectionPool(size_t keep_idle, size_t max_threads) : pool_(keep_idle, max_threads) {}
    void enqueue(std::function<void()> fn) override { pool_.submit(std::move(fn)); }
    // As httplib's pool: wait for the connections being served (they end with the server).
    void shutdown() override { pool_.drain(); }

private:
    ElasticPool pool_;
};

/// Counts the calls that may block (tools/call, prompts/get, ...) a session, a key and the whole
/// server have in flight, so one client can take only its share of the background threads.
class InflightLimiter {
public:
    explicit InflightLimiter(const InflightLimits& limits) : limits_(limits) {}

    /// Takes `units` slots for (session, owner); "" when taken, else why not (nothing taken).
    std::string acquire(const std::string& session, const std::string& owner, size_t units) {
        std::lock_guard lock(mu_);
        if (units > std::min({limits_.total, limits_.per_key, limits_.per_session}))
            return "this request holds " + std::to_string(units) + " calls that may block, more than may be in " +
                   "flight at once for one session (" + std::to_string(limits_.per_session) + "); split it";
        if (total_ + units > limits_.total)
            return "the server has " + std::to_string(total_) + " calls in flight (at most " +
                   std::to_string(limits_.total) + ")";
        if (owner_[owner] + units > limits_.per_key)
            return "this key has " + std::to_string(owner_[owner]) + " calls in flight (at most " +
                   std::to_string(limits_.per_key) + ")";
        if (!session.empty() && session_[session] + units > limits_.per_session)
            return "this session has " + std::to_string(session_[session]) +
                   " calls in flight (at most " + std::to_string(limits_.per_session) + ")";
        total_ += units;
        owner_[owner] += units;
        if (!session.empty()) session_[session] += units;
        return {};
    }
    void release(const std::string& session, const std::string& owner, size_t units) {
        std::lock_guard lock(mu_);
        total_ -= units;
        if ((owner_[owner] -= units) == 0) owner_.erase(owner);
        if (!session.empty() && (session_[session] -= units) == 0) session_.erase(session);
    }

private:
    const InflightLimits limits_;
    std::mutex mu_;
    size_t total_ = 0;
    std::map<std::string, size_t> owner_, session_;
};

/// How many calls of `payload` (a message or a batch) may block. A batch longer than the server
/// takes is refused by it at once without running anything: it needs no slot.
size_t blocking_units(const json& payload, size_t max_batch) {
    if (!payload.is_array()) return Server::runs_long(payload) ? 1 : 0;
    if (payload.size() > max_batch) return 0;
    size_t n = 0;
    for (const auto& m : payload) n += Server::runs_long(m) ? 1 : 0;
    return n;
}

}  // namespace

HeaderMap header_map(const httplib::Request& req) {
    HeaderMap h;
    for (const auto& [k, v] : req.headers) h.emplace(lower(k), v);
    return h;
}

std::string origin_problem(const HttpOptions& options, const std::string& host, const std::string& origin,
                           bool has_origin) {
    const bool host_ok = host.empty() || is_loopback_host(host) ||
                         std::find(options.allowed_hosts.begin(), options.allowed_hosts.end(),
                                   lower(host_only(host))) != options.allowed_hosts.end() ||
                         lower(host_only(host)) == lower(options.host);
    if (!host_ok) return "Forbidden: Host '" + host + "' is not allowed";
    if (has_origin) {
        std::string oh = lower(origin_host(origin));
        bool ok = (!oh.empty() && is_loopback_host(oh)) ||
                  std::find(options.allowed_origins.begin(), options.allowed_origins.end(), origin) !=
                      options.allowed_origins.end();
        if (!ok) return "Forbidden: Origin '" + origin + "' is not allowed";
    }
    return {};
}

struct HttpTransport::Impl {
    Server& server;
    HttpOptions options;
    httplib::Server http;
    std::atomic<bool> stopping{false};
    std::atomic<size_t> open_streams{0};
    std::atomic<size_t> background{0};
    int port = 0;
    int listen_fd = -1;
    std::mutex mu;
    std::map<std::string, std::shared_ptr<Stream>> streams;  // by stream id, for resumption
    std::thread janitor;
    std::condition_variable janitor_cv;
    ElasticPool workers{4};  // calls that may block: tools/call, prompts, ... (see inflight)
    InflightLimiter inflight;
    std::map<std::string, size_t> streams_by_owner;  // open GET/SSE streams per key (guarded by mu)

    Impl(Server& s, HttpOptions o) : server(s), options(std::move(o)), inflight(options.inflight) {}

    /// Refuses a request over the in-flight bounds: 429 with Retry-After, as JSON-RPC.
    void too_busy(httplib::Response& res, const std::string& why) {
        res.set_header("Retry-After", "1");
        send_json(res, 429, rpc_error_body(ErrorCode::kInternalError,
                                           "Too Many Requests: " + why + "; retry in a second"));
    }

    /// A session id from a request of `principal`: the session, or null when there is none or it
    /// belongs to another key (indistinguishable, so a session id of another key is useless).
    std::shared_ptr<Session> owned_session(const std::string& sid, const std::any& principal) const {
        auto session = sid.empty() ? nullptr : server.find_session(sid);
        if (!session || session->owner() != server.owner_of(principal)) return nullptr;
        return session;
    }

    /// Takes a stream slot for `owner` ("" when taken, else why not).
    std::string take_stream_slot(const std::string& owner) {
        std::lock_guard lock(mu);
        if (open_streams.load() >= options.max_streams)
            return "Too many open streams (" + std::to_string(options.max_streams) + ")";
        if (streams_by_owner[owner] >= options.max_streams_per_key)
            return "Too many open streams for this key (" + std::to_string(options.max_streams_per_key) +
                   "): close one first";
        ++streams_by_owner[owner];
        ++open_streams;
        return {};
    }
    void give_stream_slot(const std::string& owner) {
        std::lock_guard lock(mu);
        --open_streams;
        if (--streams_by_owner[owner] == 0) streams_by_owner.erase(owner);
    }

    /// For long-lived streams: re-checks the credential that opened one (a key revoked since
    /// closes its streams within reauth_interval).
    std::function<bool()> still_allowed(const HeaderMap& headers) const {
        if (!options.authenticate) return [] { return true; };
        auto copy = std::make_shared<const HeaderMap>(headers);
        auto auth = options.authenticate;
        auto every = options.reauth_interval;
        auto next = std::make_shared<Clock::time_point>(Clock::now() + every);
        return [copy, auth, every, next] {
            if (Clock::now() < *next) return true;
            *next = Clock::now() + every;
            return auth(*copy).allowed;
        };
    }

    // ---- checks shared by every MCP route ----

    /// DNS-rebinding protection: Host must be ours, Origin (when sent) must be allowed.
    bool check_origin(const httplib::Request& req, httplib::Response& res) const {
        std::string problem = origin_problem(options, req.get_header_value("Host"),
                                             req.has_header("Origin") ? req.get_header_value("Origin") : std::string(),
                                             req.has_header("Origin"));
        if (problem.empty()) return true;
        send_json(res, 403, rpc_error_body(ErrorCode::kInvalidRequest, problem));
        return false;
    }

    bool authenticate(const HeaderMap& headers, httplib::Response& res, std::any& principal) const {
        if (!options.authenticate) {
            // No credential configured: open, as on 127.0.0.1 it may be, but only to this
            // machine. A request through a tunnel or reverse proxy (allowed with --allowed-host)
            // would otherwise hand the CRM to the internet.
            if (!came_through_proxy(headers)) return true;
            send_json(res, 401,
                      rpc_error_body(ErrorCode::kInvalidRequest,
                                     "Unauthorized: this request came through a tunnel or proxy and no API key "
                                     "is configured, so this server answers only clients on this machine. "
                                     "Create a key with `ghl-mcp keys create NAME` (with GHL_MCP_API_KEYS_FILE), "
                                     "or set GHL_MCP_API_KEY, restart, and send it as Authorization: Bearer"));
            return false;
        }
        AuthDecision d = options.authenticate(headers);
        if (d.allowed) {
            principal = std::move(d.principal);
            return true;
        }
        if (!d.www_authenticate.empty()) res.set_header("WWW-Authenticate", d.www_authenticate);
        send_json(res, d.status, rpc_error_body(ErrorCode::kInvalidRequest,
                                                d.message.empty() ? "Unauthorized" : d.message));
        return false;
    }

    void forget_stream(const std::string& id) {
        std::lock_guard lock(mu);
        streams.erase(id);
    }

    std::shared_ptr<Stream> new_stream(StreamKind kind, bool modern, const std::shared_ptr<Session>& s,
                                       bool keep) {
        auto st = std::make_shared<Stream>(random_id(), kind, modern, s, stopping);
        if (keep) {
            std::lock_guard lock(mu);
            streams[st->id()] = st;
        }
        return st;
    }

    /// Serves `stream` from event `cursor` on this connection as text/event-stream.
    /// `slot_owner`: the stream holds one of that key's stream slots (taken by the caller),
    /// given back when the connection ends. `allowed`: re-checks the credential meanwhile.
    void serve_stream(httplib::Response& res, std::shared_ptr<Stream> stream, size_t cursor,
                      std::optional<std::string> slot_owner = std::nullopt,
                      std::function<bool()> allowed = {}) {
        res.status = 200;
        res.set_header("Cache-Control", "no-cache, no-transform");
        res.set_header("X-Accel-Buffering", "no");
        stream->set_consumer(true);
        auto keepalive = std::chrono::duration_cast<std::chrono::milliseconds>(options.keepalive);
        // A stateless call's stream is its cancellation signal: probe the connection often.
        if (stream->modern()) keepalive = std::min(keepalive, std::chrono::milliseconds(1000));
        auto last_write = std::make_shared<Clock::time_point>(Clock::now());
        // SSE polling (2025-11-25): a priming event (id, empty data) and the reconnect delay.
        bool prime = stream->priming() && cursor == 0;
        std::string priming = "id: " + stream->id() + "_0\nretry: " +
                              std::to_string(options.sse_retry_ms) + "\ndata: \n\n";
        res.set_chunked_content_provider(
            "text/event-stream",
            [stream, cursor, keepalive, last_write, prime, priming, allowed](size_t,
                                                                             httplib::DataSink& sink) mutable {
                if (allowed && !allowed()) return false;  // the credential was revoked
                if (prime) {
                    prime = false;
                    if (!sink.write(priming.data(), priming.size())) return false;
                }
                bool complete = false, kicked = false;
                auto events = stream->wait(cursor, complete, kicked, std::chrono::milliseconds(250));
                for (const auto& ev : events) {
                    if (!sink.write(ev.data(), ev.size())) return false;
                    *last_write = Clock::now();
                }
                if (complete || kicked) {
                    // Kicked (SSE polling): end this response cleanly; the client resumes
                    // with Last-Event-ID and gets the rest from the stream's log.
                    sink.done();
                    return true;
                }
                if (!sink.is_writable()) return false;
                if (Clock::now() - *last_write >= keepalive) {
                    static const std::string kPing = ": keepalive\n\n";
                    if (!sink.write(kPing.data(), kPing.size())) return false;
                    *last_write = Clock::now();
                }
                return true;
            },
            [this, stream, slot_owner](bool) {
                stream->set_consumer(false);
                if (slot_owner) give_stream_slot(*slot_owner);
            });
    }

    // ---- Streamable HTTP ----

    void post_mcp(const httplib::Request& req, httplib::Response& res) {
        if (!check_origin(req, res)) return;
        // Shared: a long call keeps running (and reading them) after this handler returned.
        auto headers_ptr = std::make_shared<const HeaderMap>(header_map(req));
        const HeaderMap& headers = *headers_ptr;
        std::any principal;
        if (!authenticate(headers, res, principal)) return;
        std::string ctype = lower(req.get_header_value("Content-Type"));
        if (!ctype.empty() && ctype.find("application/json") == std::string::npos) {
            send_json(res, 415, rpc_error_body(ErrorCode::kInvalidRequest,
                                               "Unsupported Media Type: send application/json"));
            return;
        }
        std::string accept = lower(req.get_header_value("Accept"));
        bool any = accept.empty() || accept.find("*/*") != std::string::npos;
        bool accept_json = any || accept.find("application/json") != std::string::npos;
        bool accept_sse = any || accept.find("text/event-stream") != std::string::npos;
        if (!accept_json && !accept_sse) {
            send_json(res, 406, rpc_error_body(ErrorCode::kInvalidRequest,
                                               "Not Acceptable: accept application/json and text/event-stream"));
            return;
        }
        json payload;
        try {
            payload = core::parse_json(req.body);
        } catch (const json::parse_error& e) {
            send_json(res, 400, rpc_error_body(ErrorCode::kParseError, std::string("Parse error: ") + e.what()));
            return;
        } catch (const core::JsonTooDeep& e) {
            send_json(res, 400, rpc_error_body(ErrorCode::kParseError, std::string("Parse error: ") + e.what()));
            return;
        }
        // Era routing: a legacy MCP-Protocol-Version or a session id means the handshake era;
        // 2026-07-28 (or an unknown version, to be refused as such) without a session means
        // stateless; without the header the body's _meta decides.
        const std::string header_version = req.get_header_value("MCP-Protocol-Version");
        const bool has_sid = req.has_header("Mcp-Session-Id");
        const bool is_init_msg = payload.is_object() && payload.value("method", "") == "initialize";
        bool modern;
        if (!header_version.empty())
            modern = !is_legacy_version(header_version) && !has_sid;
        else
            modern = !has_sid && !is_init_msg && Server::is_modern(payload, nullptr);
        std::shared_ptr<Session> session;
        if (!modern) {
            bool is_init = payload.is_object() && payload.value("method", "") == "initialize";
            std::string version = req.get_header_value("MCP-Protocol-Version");
            if (!version.empty() && !is_legacy_version(version) && !is_modern_version(version)) {
                send_json(res, 400, rpc_error_body(ErrorCode::kInvalidRequest,
                                                   "Bad Request: unsupported MCP-Protocol-Version " + version));
                return;
            }
            if (!is_init) {
                std::string sid = req.get_header_value("Mcp-Session-Id");
                if (sid.empty()) {
                    send_json(res, 400, rpc_error_body(ErrorCode::kInvalidRequest,
                                                       "Bad Request: Mcp-Session-Id header is required "
                                                       "(send initialize first)"));
                    return;
                }
                session = owned_session(sid, principal);
                if (!session) {
                    send_json(res, 404, rpc_error_body(ErrorCode::kInvalidRequest,
                                                       "Session not found: initialize a new session"));
                    return;
                }
                session->touch();
            }
        }
        // Notifications and client responses: accepted, no body.
        bool has_request = false;
        auto is_request = [](const json& m) {
            return m.is_object() && m.contains("method") && m.contains("id");
        };
        if (payload.is_array())
            has_request = std::any_of(payload.begin(), payload.end(), is_request);
        else
            has_request = is_request(payload) || !payload.is_object() ||
                          (!payload.contains("method") && !payload.contains("result") &&
                           !payload.contains("error"));
        bool keep = !modern && session && version_at_least(session->version(), kV20250326);
        auto stream = new_stream(StreamKind::kRequest, modern, session, keep);
        stream->set_priming(keep && version_at_least(session->version(), kV20251125));
        Incoming in{session, stream, &headers, principal, modern};
        if (!has_request) {
            Outcome o = server.handle(payload, in);
            if (o.response) {
                send_json(res, o.http_status == 200 ? 400 : o.http_status, *o.response);
            } else {
                res.status = 202;
            }
            return;
        }
        auto outcome = std::make_shared<Outcome>();
        if (const size_t units = blocking_units(payload, server.options().max_batch); units > 0) {
            const std::string sid = session ? session->id() : std::string();
            const std::string owner = server.owner_of(principal);
            if (auto why = inflight.acquire(sid, owner, units); !why.empty()) {
                forget_stream(stream->id());
                too_busy(res, why);
                return;
            }
            ++background;
            workers.submit([this, payload, in, stream, outcome, headers_ptr, sid, owner, units]() {
                *outcome = server.handle(payload, in);
                stream->finish(outcome->response);
                inflight.release(sid, owner, units);
                --background;
            });
            if (modern && accept.find("text/event-stream") != std::string::npos) {
                // 2026-07-28: closing the response stream is how a client cancels. A silent call
                // switches to SSE soon, so the keepalive writes notice a client that went away.
                stream->wait_first_for(std::chrono::milliseconds(100));
            } else {
                stream->wait_first();
            }
        } else {
            *outcome = server.handle(payload, in);
            stream->finish(outcome->response);
        }
        if (stream->finished() && stream->event_count() <= 1) {
            // Nothing but the result: a plain JSON response (nothing to resume later).
            forget_stream(stream->id());
            if (outcome->created_session) res.set_header("Mcp-Session-Id", outcome->session_id);
            if (!outcome->response) {
                res.status = 202;
                return;
            }
            send_json(res, outcome->http_status, *outcome->response);
            return;
        }
        if (!accept_sse) {
            // A JSON-only client: its side messages are dropped, it gets the result.
            stream->wait_finished();
            forget_stream(stream->id());
            if (!outcome->response) {
                res.status = 202;
                return;
            }
            send_json(res, outcome->http_status, *outcome->response);
            return;
        }
        // SSE: side messages as they come, then the response, then the stream ends.
        serve_stream(res, stream, 0);
    }

    void get_mcp(const httplib::Request& req, httplib::Response& res) {
        if (!check_origin(req, res)) return;
        HeaderMap headers = header_map(req);
        std::any principal;
        if (!authenticate(headers, res, principal)) return;
        std::string accept = lower(req.get_header_value("Accept"));
        if (accept.find("text/event-stream") == std::string::npos) {
            send_json(res, 405, rpc_error_body(ErrorCode::kInvalidRequest,
                                               "Method Not Allowed: GET opens an SSE stream "
                                               "(Accept: text/event-stream)"));
            res.set_header("Allow", "POST, DELETE");
            return;
        }
        std::string sid = req.get_header_value("Mcp-Session-Id");
        if (sid.empty()) {
            res.set_header("Allow", "POST");
            send_json(res, 405, rpc_error_body(ErrorCode::kInvalidRequest,
                                               "Method Not Allowed: GET needs an Mcp-Session-Id "
                                               "(stateless 2026-07-28 requests use POST only)"));
            return;
        }
        auto session = owned_session(sid, principal);
        if (!session) {
            send_json(res, 404, rpc_error_body(ErrorCode::kInvalidRequest, "Session not found"));
            return;
        }
        session->touch();
        const std::string owner = server.owner_of(principal);
        if (auto why = take_stream_slot(owner); !why.empty()) {
            res.set_header("Retry-After", "5");
            send_json(res, 503, rpc_error_body(ErrorCode::kInternalError, why));
            return;
        }
        std::string last = req.get_header_value("Last-Event-ID");
        if (!last.empty()) {
            auto us = last.rfind('_');
            std::shared_ptr<Stream> st;
            if (us != std::string::npos) {
                std::lock_guard lock(mu);
                auto it = streams.find(last.substr(0, us));
                if (it != streams.end() && it->second->session_id() == sid) st = it->second;
            }
            if (st) {
                size_t cursor = 0;
                try {
                    cursor = std::stoul(last.substr(us + 1));
                } catch (...) {
                }
                serve_stream(res, st, cursor, owner, still_allowed(headers));
                return;
            }
        }
        auto st = new_stream(StreamKind::kStandalone, false, session, true);
        st->set_priming(version_at_least(session->version(), kV20251125));
        session->set_standalone(st);
        serve_stream(res, st, 0, owner, still_allowed(headers));
    }

    void delete_mcp(const httplib::Request& req, httplib::Response& res) {
        if (!check_origin(req, res)) return;
        HeaderMap headers = header_map(req);
        std::any principal;
        if (!authenticate(headers, res, principal)) return;
        std::string sid = req.get_header_value("Mcp-Session-Id");
        if (sid.empty()) {
            send_json(res, 400, rpc_error_body(ErrorCode::kInvalidRequest,
                                               "Bad Request: Mcp-Session-Id header is required"));
            return;
        }
        if (!owned_session(sid, principal)) {
            send_json(res, 404, rpc_error_body(ErrorCode::kInvalidRequest, "Session not found"));
            return;
        }
        server.close_session(sid);
        res.status = 200;
    }

    // ---- legacy HTTP+SSE (2024-11-05) ----

    void get_sse(const httplib::Request& req, httplib::Response& res) {
        if (!check_origin(req, res)) return;
        HeaderMap headers = header_map(req);
        std::any principal;
        if (!authenticate(headers, res, principal)) return;
        const std::string owner = server.owner_of(principal);
        if (auto why = take_stream_slot(owner); !why.empty()) {
            res.set_header("Retry-After", "5");
            send_json(res, 503, rpc_error_body(ErrorCode::kInternalError, why));
            return;
        }
        std::shared_ptr<Session> session;
        try {
            session = server.create_session(owner);
        } catch (const RpcError& e) {
            give_stream_slot(owner);
            res.set_header("Retry-After", "5");
            send_json(res, 503, rpc_error_body(ErrorCode::kInternalError, e.what()));
            return;
        }
        auto st = new_stream(StreamKind::kLegacySse, false, session, false);
        st->set_plain();
        st->append_raw("event: endpoint\ndata: /messages?sessionId=" + session->id() + "\n\n");
        session->set_standalone(st);
        res.status = 200;
        res.set_header("Cache-Control", "no-cache, no-transform");
        res.set_header("X-Accel-Buffering", "no");
        st->set_consumer(true);
        auto keepalive = std::chrono::duration_cast<std::chrono::milliseconds>(options.keepalive);
        auto last_write = std::make_shared<Clock::time_point>(Clock::now());
        size_t cursor = 0;
        res.set_chunked_content_provider(
            "text/event-stream",
            [st, cursor, keepalive, last_write, allowed = still_allowed(headers)](
                size_t, httplib::DataSink& sink) mutable {
                if (!allowed()) return false;  // the credential was revoked
                bool complete = false, kicked = false;
                auto events = st->wait(cursor, complete, kicked, std::chrono::milliseconds(250));
                for (const auto& ev : events)
                    if (!sink.write(ev.data(), ev.size())) return false;
                if (!events.empty()) *last_write = Clock::now();
                if (complete) {
                    sink.done();
                    return true;
                }
                if (!sink.is_writable()) return false;
                if (Clock::now() - *last_write >= keepalive) {
                    static const std::string kPing = ": keepalive\n\n";
                    if (!sink.write(kPing.data(), kPing.size())) return false;
                    *last_write = Clock::now();
                }
                return true;
            },
            [this, st, session, owner](bool) {
                st->set_consumer(false);
                give_stream_slot(owner);
                server.close_session(session->id());
            });
    }

    void post_messages(const httplib::Request& req, httplib::Response& res) {
        if (!check_origin(req, res)) return;
        HeaderMap headers = header_map(req);
        std::any principal;
        if (!authenticate(headers, res, principal)) return;
        std::string sid = req.get_param_value("sessionId");
        auto session = owned_session(sid, principal);
        auto channel = session ? session->standalone() : nullptr;
        if (!session || !channel) {
            send_json(res, 404, rpc_error_body(ErrorCode::kInvalidRequest, "Session not found"));
            return;
        }
        session->touch();
        json payload;
        try {
            payload = core::parse_json(req.body);
        } catch (const json::parse_error& e) {
            channel->send(make_error(nullptr, ErrorCode::kParseError, std::string("Parse error: ") + e.what()));
            send_json(res, 400, rpc_error_body(ErrorCode::kParseError, "Parse error"));
            return;
        } catch (const core::JsonTooDeep& e) {
            channel->send(make_error(nullptr, ErrorCode::kParseError, std::string("Parse error: ") + e.what()));
            send_json(res, 400, rpc_error_body(ErrorCode::kParseError, std::string("Parse error: ") + e.what()));
            return;
        }
        Incoming in{session, channel, nullptr, principal};
        auto work = [this, payload, in, channel]() {
            Outcome o = server.handle(payload, in);
            if (o.response) channel->send(*o.response);
        };
        if (const size_t units = blocking_units(payload, server.options().max_batch); units > 0) {
            // The answer goes to the SSE stream later: bound what one session or key can queue.
            const std::string owner = server.owner_of(principal);
            if (auto why = inflight.acquire(sid, owner, units); !why.empty()) {
                too_busy(res, why);
                return;
            }
            ++background;
            workers.submit([work, this, sid, owner, units]() {
                work();
                inflight.release(sid, owner, units);
                --background;
            });
        } else {
            work();
        }
        res.status = 202;
        res.set_content("Accepted", "text/plain");
    }


    void janitor_loop() {
        std::unique_lock lock(mu);
        while (!stopping.load()) {
            janitor_cv.wait_for(lock, std::chrono::seconds(30));
            if (stopping.load()) break;
            auto now = Clock::now();
            for (auto it = streams.begin(); it != streams.end();) {
                if (it->second->expired(now))
                    it = streams.erase(it);
                else
                    ++it;
            }
            lock.unlock();
            server.expire_sessions(options.session_idle);
            lock.lock();
        }
    }
};

HttpTransport::HttpTransport(Server& server, HttpOptions options)
    : impl_(std::make_unique<Impl>(server, std::move(options))) {
    auto& http = impl_->http;
    const size_t threads = impl_->options.threads, max_connections = impl_->options.max_connections;
    http.new_task_queue = [threads, max_connections] { return new ConnectionPool(threads, max_connections); };
    http.set_payload_max_length(impl_->options.max_body_bytes);
    http.set_keep_alive_max_count(100000);
    http.set_tcp_nodelay(true);  // header and body writes: Nagle + delayed ACK cost 40 ms
    Impl* p = impl_.get();
    http.set_socket_options([p](socket_t sock) {
        // SO_REUSEADDR: restart right after a stop. Not SO_REUSEPORT (httplib's default): a
        // second server on the same port must fail to bind, not silently share the traffic.
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        p->listen_fd = sock;
    });
    http.set_keep_alive_timeout(impl_->options.keep_alive_timeout.count());
    http.set_read_timeout(impl_->options.read_timeout.count());
    http.set_write_timeout(impl_->options.write_timeout.count());
    http.Post("/mcp", [p](const httplib::Request& q, httplib::Response& r) { p->post_mcp(q, r); });
    http.Get("/mcp", [p](const httplib::Request& q, httplib::Response& r) { p->get_mcp(q, r); });
    http.Delete("/mcp", [p](const httplib::Request& q, httplib::Response& r) { p->delete_mcp(q, r); });
    if (impl_->options.legacy_sse) {
        http.Get("/sse", [p](const httplib::Request& q, httplib::Response& r) { p->get_sse(q, r); });
        http.Post("/messages",
                  [p](const httplib::Request& q, httplib::Response& r) { p->post_messages(q, r); });
        http.Post("/message",
                  [p](const httplib::Request& q, httplib::Response& r) { p->post_messages(q, r); });
    }
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        try {
            if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            spdlog::error("http handler failed: {}", e.what());
        } catch (...) {
            spdlog::error("http handler failed");
        }
        send_json(res, 500, rpc_error_body(ErrorCode::kInternalError, "Internal error"));
    });
}

HttpTransport::~HttpTransport() { stop(); }

void HttpTransport::bind() {
    auto& o = impl_->options;
    if (o.port == 0) {
        impl_->port = impl_->http.bind_to_any_port(o.host);
        if (impl_->port <= 0) throw std::runtime_error("cannot bind " + o.host + ":0");
    } else {
        if (!impl_->http.bind_to_port(o.host, o.port))
            throw std::runtime_error("cannot bind " + o.host + ":" + std::to_string(o.port) +
                                     " (in use, or not an address of this machine)");
        impl_->port = o.port;
    }
    // Debian's libcpp-httplib listens with a backlog of 5: 64 clients connecting at once would
    // see SYN drops and 1 s retransmits. Linux lets a listening socket raise its backlog.
    if (impl_->listen_fd >= 0) ::listen(impl_->listen_fd, 1024);
}

int HttpTransport::port() const { return impl_->port; }

void HttpTransport::run() {
    impl_->janitor = std::thread([this] { impl_->janitor_loop(); });
    impl_->http.listen_after_bind();
}

void HttpTransport::stop() {
    if (impl_->stopping.exchange(true)) return;
    impl_->server.shutdown();
    impl_->janitor_cv.notify_all();
    impl_->http.stop();
    if (impl_->janitor.joinable()) impl_->janitor.join();
    // Let detached request threads notice the shutdown.
    for (int i = 0; i < 200 && impl_->background.load() > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

httplib::Server& HttpTransport::raw() { return impl_->http; }

size_t HttpTransport::open_streams() const { return impl_->open_streams.load(); }

}  // namespace mcp
