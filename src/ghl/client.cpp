// ghl::Client: the call loop (limiter, send, observe, classify, retry) and request building.
#include "ghl/client.hpp"
#include "core/json.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "ghl/url.hpp"

namespace ghl {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

bool is_loopback_host(std::string_view url) {
    auto pos = url.find("://");
    if (pos == std::string_view::npos) return false;
    auto host = url.substr(pos + 3);
    host = host.substr(0, host.find('/'));
    if (host.starts_with("[")) {
        return host.substr(0, host.find(']') + 1) == "[::1]";
    }
    host = host.substr(0, host.find(':'));
    if (host == "localhost") return true;
    // An IPv4 literal in 127.0.0.0/8 (and not a name such as 127.0.0.1.example.com).
    int parts = 0;
    std::size_t start = 0;
    while (start <= host.size()) {
        const auto dot = std::min(host.find('.', start), host.size());
        const auto part = host.substr(start, dot - start);
        if (part.empty() || part.size() > 3 ||
            part.find_first_not_of("0123456789") != std::string_view::npos) {
            return false;
        }
        if (parts == 0 && part != "127") return false;
        ++parts;
        start = dot + 1;
    }
    return parts == 4;
}

std::string normalize_base_url(std::string url, bool allow_insecure_http) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (url.starts_with("https://") && url.size() > 8) return url;
    if (url.starts_with("http://") && url.size() > 7) {
        if (allow_insecure_http || is_loopback_host(url)) return url;
        throw std::invalid_argument("GHL base URL " + url +
                                    " uses plain http to a non-loopback host; use https");
    }
    throw std::invalid_argument("GHL base URL must start with https:// (got '" + url + "')");
}

/// A JSON body flattened to form fields (oauth endpoints): strings as is, other scalars dumped.
Params form_fields(const nlohmann::json& body) {
    Params fields;
    if (!body.is_object()) throw std::invalid_argument("a form body must be a JSON object");
    for (const auto& [key, value] : body.items()) {
        if (value.is_null()) continue;
        fields.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
    }
    return fields;
}

ErrorKind kind_of(TransportError error) {
    switch (error) {
        case TransportError::kTimeout:
            return ErrorKind::kTimeout;
        case TransportError::kTls:
            return ErrorKind::kTls;
        default:
            return ErrorKind::kConnection;
    }
}

bool is_retryable_status(int status) {
    return status >= 500 && status <= 599;
}

}  // namespace

Client::Client(ClientOptions options, std::shared_ptr<HttpTransport> transport,
               std::shared_ptr<RateLimiter> limiter, std::shared_ptr<Clock> clock)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      clock_(clock ? std::move(clock) : system_clock()),
      limiter_(limiter
                   ? std::move(limiter)
                   : std::make_shared<InMemoryRateLimiter>(InMemoryRateLimiterOptions{}, clock_)),
      log_(options_.logger ? options_.logger : spdlog::default_logger()),
      rng_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}()) {
    if (!transport_) throw std::invalid_argument("ghl::Client needs an HttpTransport");
    options_.base_url = normalize_base_url(options_.base_url, options_.allow_insecure_http);
    options_.retry.max_attempts = std::max(options_.retry.max_attempts, 1);
}

Client::~Client() = default;

std::chrono::milliseconds Client::jitter(int retry) {
    std::lock_guard lock(rng_mutex_);
    return backoff_delay(options_.retry, retry, rng_());
}

Request Client::build_request(const Endpoint& ep, const Params& path_params, const Params& query,
                              const nlohmann::json& body, const CallOptions& options) const {
    Request req;
    req.method = ep.method;
    req.retry_safe = ep.retry_safe;
    req.url = options_.base_url + expand_path(ep.path, path_params, ep.id);
    req.query = query;
    req.headers.add("Accept", "application/json");
    if (!ep.version.empty()) {
        req.headers.add("Version", options_.version_override.empty() ? std::string(ep.version)
                                                                     : options_.version_override);
    }
    if (ep.token != TokenKind::kNone) {
        if (options.token.empty()) {
            ApiError::Details d = ApiError::details_for(ep);
            d.kind = ErrorKind::kInvalidArgument;
            d.messages.push_back("no access token was configured for this call (it needs a " +
                                 std::string(to_string(ep.token)) + ")");
            throw ApiError(std::move(d));
        }
        req.headers.add("Authorization", "Bearer " + options.token);
    }
    if (!body.is_null()) {
        if (ep.body == BodyEncoding::kForm) {
            req.headers.add("Content-Type", "application/x-www-form-urlencoded");
            req.body = encode_query(form_fields(body));
        } else {
            req.headers.add("Content-Type", "application/json");
            req.body = body.dump();
        }
    }
    req.headers.add("User-Agent", options_.user_agent);
    return req;
}

nlohmann::json Client::call(std::string_view endpoint_id, const Params& path_params,
                            const Params& query, const nlohmann::json& body,
                            const CallOptions& options) {
    return call_reply(endpoint_id, path_params, query, body, options).body;
}

Reply Client::call_reply(std::string_view endpoint_id, const Params& path_params,
                         const Params& query, const nlohmann::json& body,
                         const CallOptions& options) {
    const Endpoint& ep = endpoint(endpoint_id);  // std::invalid_argument for unknown ids
    metrics_.call(ep.id);
    const auto start = clock_->now();
    const auto deadline = options.deadline.value_or(start + options_.default_timeout);
    const auto budget = duration_cast<milliseconds>(deadline - start);
    const bool limited = ep.token != TokenKind::kNone;
    const std::string& key = options.resource_key;

    auto fail = [&](ApiError::Details d) -> ApiError {
        metrics_.finished(ep.id, false);
        for (auto& m : d.messages) m = redact(std::move(m), options.token);
        d.transport_detail = redact(std::move(d.transport_detail), options.token);
        return ApiError(std::move(d));
    };
    auto simple = [&](ErrorKind kind, int attempts) {
        ApiError::Details d = ApiError::details_for(ep);
        d.kind = kind;
        d.path_params = path_params;
        d.attempts = attempts;
        d.deadline_budget = budget;
        return d;
    };

    Request req;
    try {
        req = build_request(ep, path_params, query, body, options);
    } catch (const ApiError&) {
        metrics_.finished(ep.id, false);
        throw;
    }
    const std::string path = req.url.substr(options_.base_url.size());

    for (int attempt = 1;; ++attempt) {
        if (options.cancel.stop_requested()) throw fail(simple(ErrorKind::kCancelled, attempt - 1));
        if (clock_->now() >= deadline) throw fail(simple(ErrorKind::kTimeout, attempt - 1));

        Clock::time_point slot{};
        if (limited) {
            const auto acquired = limiter_->acquire(key, deadline);
            if (!acquired.granted) {
                metrics_.local_limited(ep.id);
                auto d = simple(ErrorKind::kRateLimited, attempt - 1);
                d.retry_after = acquired.retry_after;
                if (!acquired.reason.empty()) d.messages.push_back(acquired.reason);
                log_->debug(
                    "ghl {} [{}]: no rate-limit slot before the deadline ({}), retry after {} s",
                    ep.id, options.request_id, acquired.reason, acquired.retry_after.count());
                throw fail(std::move(d));
            }
            const auto queued_at = clock_->now();
            if (acquired.ready_at > queued_at) {
                metrics_.waiting(+1);
                const bool woke = clock_->sleep_until(acquired.ready_at, options.cancel);
                metrics_.waiting(-1);
                if (!woke) throw fail(simple(ErrorKind::kCancelled, attempt - 1));
            }
            metrics_.queue_wait(ep.id, duration_cast<microseconds>(clock_->now() - queued_at));
            slot = acquired.ready_at;
        }

        const auto remaining = deadline - clock_->now();
        if (remaining <= Clock::duration::zero())
            throw fail(simple(ErrorKind::kTimeout, attempt - 1));
        // The transport runs on the real clock; hand it the time left rather than our time point.
        req.deadline = std::chrono::steady_clock::now() + remaining;

        const auto sent_at = std::chrono::steady_clock::now();
        Response resp = transport_->send(req);
        const auto latency =
            duration_cast<microseconds>(std::chrono::steady_clock::now() - sent_at);
        const bool transport_error = resp.error != TransportError::kNone;
        metrics_.attempt(ep.id, resp.status, transport_error, latency);
        if (limited) {
            limiter_->completed(key, slot);
            if (!transport_error) limiter_->observe(key, resp.status, resp.headers);
        }

        if (!transport_error) {
            log_->debug("ghl {} [{}] {} {} -> {} in {} ms (attempt {})", ep.id, options.request_id,
                        to_string(ep.method), path, resp.status, latency.count() / 1000, attempt);
        } else {
            log_->debug("ghl {} [{}] {} {} -> {} in {} ms (attempt {})", ep.id, options.request_id,
                        to_string(ep.method), path, to_string(resp.error), latency.count() / 1000,
                        attempt);
        }

        if (!transport_error && resp.status >= 200 && resp.status < 300) {
            Reply reply;
            reply.status = resp.status;
            reply.attempts = attempt;
            if (resp.body.find_first_not_of(" \t\r\n") == std::string::npos) {
                reply.body = nlohmann::json::object();
            } else {
                reply.body = core::parse_json_or_discard(resp.body, kMaxGhlJsonDepth);
                if (reply.body.is_discarded()) {
                    auto d = simple(ErrorKind::kInvalidResponse, attempt);
                    d.status = resp.status;
                    d.messages.push_back(resp.body.substr(0, 80));
                    throw fail(std::move(d));
                }
            }
            reply.headers = std::move(resp.headers);
            metrics_.finished(ep.id, true);
            return reply;
        }

        // Decide whether to try again, and after how long.
        bool retry = false;
        Clock::duration delay{};
        std::optional<std::chrono::seconds> retry_after;
        if (transport_error) {
            switch (resp.error) {
                case TransportError::kConnectFailed:
                    retry = true;  // never sent: safe to repeat for any endpoint
                    break;
                case TransportError::kTimeout:
                case TransportError::kConnectionLost:
                    retry = ep.retry_safe;
                    break;
                default:
                    break;
            }
            delay = jitter(attempt - 1);
        } else if (resp.status == 429) {
            // GHL rejected the request unprocessed: repeating it is safe for any method.
            if (auto h = resp.headers.get("Retry-After")) {
                retry_after = parse_retry_after(*h, clock_->wall_now());
            }
            retry = !retry_after || *retry_after <= options_.retry.max_retry_after;
            delay =
                retry_after ? Clock::duration(*retry_after) : Clock::duration(jitter(attempt - 1));
        } else if (is_retryable_status(resp.status)) {
            retry = ep.retry_safe;
            delay = jitter(attempt - 1);
        }

        if (retry && attempt < options_.retry.max_attempts) {
            const auto wake = clock_->now() + delay;
            if (wake < deadline && wake - start <= options_.retry.max_total) {
                metrics_.retry(ep.id);
                log_->warn("ghl {} [{}]: {} on attempt {}, retrying in {} ms", ep.id,
                           options.request_id,
                           transport_error ? std::string(to_string(resp.error))
                                           : std::to_string(resp.status),
                           attempt, duration_cast<milliseconds>(delay).count());
                if (!clock_->sleep_until(wake, options.cancel)) {
                    throw fail(simple(ErrorKind::kCancelled, attempt));
                }
                continue;
            }
        }

        if (transport_error) {
            auto d = simple(clock_->now() >= deadline ? ErrorKind::kTimeout : kind_of(resp.error),
                            attempt);
            d.transport = resp.error;
            d.transport_detail = resp.error_message;
            if (d.kind != ErrorKind::kTimeout) {
                log_->warn("ghl {} [{}]: {} after {} attempt(s)", ep.id, options.request_id,
                           to_string(resp.error), attempt);
            }
            throw fail(std::move(d));
        }
        if (resp.status >= 500) {
            log_->warn("ghl {} [{}]: status {} after {} attempt(s)", ep.id, options.request_id,
                       resp.status, attempt);
        }
        resp.body = redact(std::move(resp.body), options.token);
        metrics_.finished(ep.id, false);
        throw ApiError::from_response(ep, path_params, resp, attempt, retry_after);
    }
}

}  // namespace ghl
