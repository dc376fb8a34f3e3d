// Typed errors of the GHL client. Every failure of a call (HTTP error, rate limit, timeout, lost
// connection, invalid id, unparsable response) is one ghl::ApiError whose agent_text() says what
// happened and what to do, starting with a stable id such as "[ghl.not_found]".
//
// Secrets never enter an ApiError: the client redacts the bearer token from GHL's messages.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ghl/endpoints.hpp"
#include "ghl/http.hpp"

namespace ghl {

/// GHL's replies are parsed with this nesting bound (its real bodies stay below 10 levels);
/// a deeper body is treated as unparsable, never copied recursively.
inline constexpr std::size_t kMaxGhlJsonDepth = 128;

enum class ErrorKind {
    kHttp,             ///< GHL answered with a non-2xx status (see status())
    kRateLimited,      ///< our own limiter: no slot before the deadline (status() is 0)
    kTimeout,          ///< the deadline passed (before sending, while waiting, or in flight)
    kConnection,       ///< GHL could not be reached or the connection broke
    kTls,              ///< TLS handshake or certificate verification failed
    kInvalidArgument,  ///< rejected before sending (e.g. a path id containing '/')
    kInvalidResponse,  ///< a 2xx whose body is not JSON
    kCancelled,        ///< the caller cancelled the call
};

class ApiError : public std::runtime_error {
  public:
    struct Details {
        ErrorKind kind = ErrorKind::kHttp;
        int status = 0;
        /// GHL's `message`: one entry for a string, several for a 422 array.
        std::vector<std::string> messages;
        std::string error;     ///< GHL's `error` field ("Unprocessable Entity"), if any
        std::string trace_id;  ///< `traceId` from the body or a trace header, if any
        std::optional<std::chrono::seconds> retry_after;
        std::string endpoint_id;
        Method method = Method::kGet;
        std::string path_template;
        std::string scope;
        TokenKind token = TokenKind::kLocation;
        bool retry_safe = true;
        Params path_params;     ///< the ids of the call (for 404/400 texts)
        std::string bad_param;  ///< kInvalidArgument: the parameter that was rejected
        TransportError transport = TransportError::kNone;
        std::string transport_detail;
        int attempts = 1;
        std::chrono::milliseconds deadline_budget{0};  ///< kTimeout: how long the call had
    };

    explicit ApiError(Details details);

    /// Fills method, path, scope, token and retry-safety from the endpoint.
    static Details details_for(const Endpoint& endpoint);

    /// Parses GHL's error body ({statusCode, message: string|string[], error, traceId}) and the
    /// headers (Retry-After, trace id) of a non-2xx response.
    static ApiError from_response(const Endpoint& endpoint, const Params& path_params,
                                  const Response& response, int attempts,
                                  std::optional<std::chrono::seconds> retry_after);

    ErrorKind kind() const { return d_.kind; }
    int status() const { return d_.status; }
    const std::vector<std::string>& messages() const { return d_.messages; }
    /// The messages joined with "; ".
    std::string message() const;
    const std::string& trace_id() const { return d_.trace_id; }
    std::optional<std::chrono::seconds> retry_after() const { return d_.retry_after; }
    const std::string& endpoint_id() const { return d_.endpoint_id; }
    const Details& details() const { return d_; }

    /// Stable id: ghl.unauthorized, ghl.forbidden, ghl.not_found, ghl.bad_request,
    /// ghl.invalid_params, ghl.rate_limited, ghl.server_error, ghl.http_error, ghl.timeout,
    /// ghl.connection, ghl.tls, ghl.invalid_argument, ghl.invalid_response, ghl.cancelled.
    std::string_view code() const;

    /// Text an agent can act on, e.g. "[ghl.rate_limited] rate limited, retry after 8 s: ...".
    std::string agent_text() const;

    /// True when calling again later may succeed (429, 5xx, timeouts, connection problems).
    bool transient() const;

  private:
    Details d_;
};

/// Replaces every occurrence of `secret` in `text` with "[redacted]" (no-op for short secrets).
std::string redact(std::string text, std::string_view secret);

}  // namespace ghl
