// ApiError: parsing GHL error bodies and turning every failure into actionable text.
#include "ghl/errors.hpp"
#include "core/json.hpp"

#include <nlohmann/json.hpp>

namespace ghl {
namespace {

constexpr std::size_t kMaxMessageChars = 300;
constexpr std::size_t kMaxMessages = 10;

/// Printable, bounded text for error messages (GHL bodies and caller values alike).
std::string clean(std::string_view text, std::size_t max_chars) {
    std::string out;
    for (char ch : text) {
        if (out.size() >= max_chars) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) {
            out.push_back(' ');
        } else {
            out.push_back(ch);
        }
    }
    return out;
}

std::string quoted_value(std::string_view value) {
    std::string out = "'";
    for (char ch : value.substr(0, 64)) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        } else {
            out.push_back(ch);
        }
    }
    if (value.size() > 64) out += "...";
    return out + "'";
}

std::string ids_text(const Params& path_params) {
    std::string out;
    for (const auto& [name, value] : path_params) {
        if (!out.empty()) out += ", ";
        out += name + " " + quoted_value(value);
    }
    return out;
}

std::string where(const ApiError::Details& d) {
    std::string out = d.endpoint_id;
    if (!d.path_template.empty()) {
        out += " (" + std::string(to_string(d.method)) + " " + d.path_template + ")";
    }
    return out;
}

std::string ghl_said(const ApiError& e) {
    const auto msg = e.message();
    std::string out;
    if (!msg.empty()) out = " GHL said: " + msg + ".";
    if (!e.trace_id().empty()) out += " (traceId " + e.trace_id() + ")";
    return out;
}

std::string seconds_text(std::chrono::seconds s) {
    return std::to_string(s.count()) + " s";
}

}  // namespace

std::string redact(std::string text, std::string_view secret) {
    if (secret.size() < 6) return text;
    std::size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
        text.replace(pos, secret.size(), "[redacted]");
        pos += 10;
    }
    return text;
}

ApiError::ApiError(Details details) : std::runtime_error(""), d_(std::move(details)) {
    // what() must not be empty for callers that only print it; keep it equal to agent_text().
    static_cast<std::runtime_error&>(*this) = std::runtime_error(agent_text());
}

ApiError::Details ApiError::details_for(const Endpoint& endpoint) {
    Details d;
    d.endpoint_id = std::string(endpoint.id);
    d.method = endpoint.method;
    d.path_template = std::string(endpoint.path);
    d.scope = std::string(endpoint.scope);
    d.token = endpoint.token;
    d.retry_safe = endpoint.retry_safe;
    return d;
}

ApiError ApiError::from_response(const Endpoint& endpoint, const Params& path_params,
                                 const Response& response, int attempts,
                                 std::optional<std::chrono::seconds> retry_after) {
    Details d = details_for(endpoint);
    d.kind = ErrorKind::kHttp;
    d.status = response.status;
    d.path_params = path_params;
    d.attempts = attempts;
    d.retry_after = retry_after;
    auto body = core::parse_json_or_discard(response.body, kMaxGhlJsonDepth);
    if (body.is_object()) {
        const auto msg = body.find("message");
        if (msg != body.end()) {
            if (msg->is_string()) {
                d.messages.push_back(clean(msg->get<std::string>(), kMaxMessageChars));
            } else if (msg->is_array()) {
                for (const auto& item : *msg) {
                    if (d.messages.size() >= kMaxMessages) break;
                    d.messages.push_back(
                        clean(item.is_string() ? item.get<std::string>() : item.dump(),
                              kMaxMessageChars));
                }
            }
        }
        if (auto it = body.find("error"); it != body.end() && it->is_string()) {
            d.error = clean(it->get<std::string>(), 80);
        }
        if (auto it = body.find("traceId"); it != body.end() && it->is_string()) {
            d.trace_id = clean(it->get<std::string>(), 80);
        }
    }
    if (d.trace_id.empty()) {
        for (const char* name : {"traceid", "x-trace-id", "x-request-id"}) {
            if (auto v = response.headers.get(name)) {
                d.trace_id = clean(*v, 80);
                break;
            }
        }
    }
    return ApiError(std::move(d));
}

std::string ApiError::message() const {
    std::string out;
    for (const auto& m : d_.messages) {
        if (!out.empty()) out += "; ";
        out += m;
    }
    return out;
}

std::string_view ApiError::code() const {
    switch (d_.kind) {
        case ErrorKind::kRateLimited:
            return "ghl.rate_limited";
        case ErrorKind::kTimeout:
            return "ghl.timeout";
        case ErrorKind::kConnection:
            return "ghl.connection";
        case ErrorKind::kTls:
            return "ghl.tls";
        case ErrorKind::kInvalidArgument:
            return "ghl.invalid_argument";
        case ErrorKind::kInvalidResponse:
            return "ghl.invalid_response";
        case ErrorKind::kCancelled:
            return "ghl.cancelled";
        case ErrorKind::kHttp:
            break;
    }
    switch (d_.status) {
        case 400:
            return "ghl.bad_request";
        case 401:
            return "ghl.unauthorized";
        case 403:
            return "ghl.forbidden";
        case 404:
            return "ghl.not_found";
        case 422:
            return "ghl.invalid_params";
        case 429:
            return "ghl.rate_limited";
        default:
            return d_.status >= 500 ? "ghl.server_error" : "ghl.http_error";
    }
}

bool ApiError::transient() const {
    switch (d_.kind) {
        case ErrorKind::kRateLimited:
        case ErrorKind::kTimeout:
        case ErrorKind::kConnection:
            return true;
        case ErrorKind::kHttp:
            return d_.status == 429 || d_.status >= 500;
        default:
            return false;
    }
}

std::string ApiError::agent_text() const {
    const auto& d = d_;
    std::string t = "[" + std::string(code()) + "] ";
    const std::string ep = where(d);
    // A write that may have been applied must not be blindly repeated by the agent either.
    const std::string maybe_applied =
        d.retry_safe ? ""
                     : " The request may have reached GHL: check whether it took effect before "
                       "trying again, so nothing is done twice.";
    switch (d.kind) {
        case ErrorKind::kRateLimited: {
            const auto wait = d.retry_after.value_or(std::chrono::seconds(1));
            t += "rate limited, retry after " + seconds_text(wait) +
                 ": the GHL request budget of this location/company is used up until then (" +
                 d.endpoint_id + " was not sent).";
            if (!d.messages.empty()) t += " " + message() + ".";
            return t;
        }
        case ErrorKind::kTimeout:
            t += d.endpoint_id + " did not complete within its deadline";
            if (d.deadline_budget.count() > 0) {
                t += " (" + std::to_string(d.deadline_budget.count()) + " ms)";
            }
            t += ". GHL may be slow or unreachable; retry later or with a longer timeout." +
                 maybe_applied;
            return t;
        case ErrorKind::kConnection:
            t += "could not talk to GHL for " + d.endpoint_id + " (" +
                 std::string(to_string(d.transport)) +
                 (d.transport_detail.empty() ? "" : ": " + clean(d.transport_detail, 200)) +
                 "). Check the network or the base URL and retry later.";
            if (d.transport != TransportError::kConnectFailed) t += maybe_applied;
            return t;
        case ErrorKind::kTls:
            t += "the TLS connection to GHL failed for " + d.endpoint_id + " (" +
                 clean(d.transport_detail, 200) +
                 "). The server certificate could not be verified; check the base URL and the "
                 "system CA certificates.";
            return t;
        case ErrorKind::kInvalidArgument:
            t += "invalid argument for " + d.endpoint_id + ": " + message();
            if (!d.bad_param.empty()) {
                for (const auto& [name, value] : d.path_params) {
                    if (name == d.bad_param) t += " (got " + quoted_value(value) + ")";
                }
                t += ". Pass the plain GHL id of the record, e.g. as returned by a search.";
            }
            return t;
        case ErrorKind::kInvalidResponse:
            t += "GHL answered " + ep + " with status " + std::to_string(d.status) +
                 " but a body that is not JSON: " + message() + ". Retry later.";
            return t;
        case ErrorKind::kCancelled:
            t += d.endpoint_id + " was cancelled before it completed." + maybe_applied;
            return t;
        case ErrorKind::kHttp:
            break;
    }
    switch (d.status) {
        case 401:
            t += "GHL refused the access token for " + ep + ": it is invalid, expired or revoked." +
                 ghl_said(*this) +
                 " Refresh the OAuth token or reconnect the account, or replace the Private "
                 "Integration Token. This endpoint needs a " +
                 std::string(to_string(d.token)) + ".";
            return t;
        case 403:
            t += "the token is not allowed to call " + ep + ".";
            if (!d.scope.empty()) {
                t += " It needs the scope '" + d.scope +
                     "': add it to the app or Private Integration and authorize again.";
            }
            t += " The token must also belong to the location or company being accessed (a " +
                 std::string(to_string(d.token)) + ")." + ghl_said(*this);
            return t;
        case 404:
            if (!d.path_params.empty()) {
                t += "GHL found nothing for " + ids_text(d.path_params) + " (" + ep +
                     "). Check the id, e.g. by searching or listing first.";
            } else {
                t += "GHL found nothing at " + ep + ".";
            }
            return t + ghl_said(*this);
        case 422:
            t += "GHL rejected the fields sent to " + ep + ": " +
                 (d.messages.empty() ? std::string("no detail given") : message()) +
                 ". Fix these fields and call again.";
            if (!d.trace_id.empty()) t += " (traceId " + d.trace_id + ")";
            return t;
        case 400:
            t += "GHL rejected the request to " + ep + " as invalid.";
            if (!d.path_params.empty()) {
                t += " Check the ids (" + ids_text(d.path_params) + ") and the arguments.";
            } else {
                t += " Check the arguments.";
            }
            return t + ghl_said(*this);
        case 429: {
            const auto wait = d.retry_after.value_or(std::chrono::seconds(10));
            t += "GHL rate limited " + d.endpoint_id + " (429) after " +
                 std::to_string(d.attempts) + " attempt(s); retry after " + seconds_text(wait) +
                 ".";
            return t;
        }
        default:
            break;
    }
    if (d.status >= 500) {
        t += "GHL failed with " + std::to_string(d.status) + " on " + ep;
        if (d.retry_safe) {
            t += " after " + std::to_string(d.attempts) + " attempt(s). Retry later.";
        } else {
            t += "; it was not retried because repeating it could do it twice." + maybe_applied;
        }
        return t + ghl_said(*this);
    }
    t += "GHL answered " + ep + " with status " + std::to_string(d.status) + "." + ghl_said(*this);
    return t;
}

}  // namespace ghl
