// The HTTP seam of the GHL client: plain request/response values and the transport interface that
// the libcurl implementation (curl_transport.hpp) and the test fakes both implement.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ghl {

enum class Method { kGet, kPost, kPut, kDelete, kPatch };

/// "GET", "POST", ...
std::string_view to_string(Method method);

/// Ordered name/value pairs: query parameters (raw, not yet encoded) and path parameters.
using Params = std::vector<std::pair<std::string, std::string>>;

/// HTTP header list that keeps insertion order and duplicates; lookups ignore ASCII case.
class Headers {
  public:
    Headers() = default;
    Headers(std::initializer_list<std::pair<std::string, std::string>> init) : items_(init) {}

    void add(std::string name, std::string value);
    /// Replaces every header called `name` with one `name: value`.
    void set(std::string name, std::string value);
    /// The first value of `name` (case-insensitive), if present.
    std::optional<std::string> get(std::string_view name) const;
    bool contains(std::string_view name) const { return get(name).has_value(); }

    const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
    std::size_t size() const { return items_.size(); }
    bool empty() const { return items_.empty(); }
    void clear() { items_.clear(); }

  private:
    std::vector<std::pair<std::string, std::string>> items_;
};

/// ASCII case-insensitive equality (header names, tokens).
bool iequals(std::string_view a, std::string_view b);

struct Request {
    Method method = Method::kGet;
    /// Absolute URL without the query: scheme, host and an already percent-encoded path.
    std::string url;
    /// Raw query values; the transport encodes them exactly once (see url_with_query()).
    Params query;
    Headers headers;
    std::string body;
    /// The call must be over by then (real steady clock): the transport's total timeout.
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    /// False when sending the request twice could do something twice (creates, message sends,
    /// Endpoint::retry_safe): the transport must then never repeat it on its own.
    bool retry_safe = true;

    /// `url` plus `?` and the encoded query: exactly what goes on the wire.
    std::string url_with_query() const;
};

/// Why a request produced no HTTP response.
enum class TransportError {
    kNone,
    /// The deadline passed before or while the request ran.
    kTimeout,
    /// The connection could not be made (refused, DNS failure): the request was never sent, so it
    /// is safe to repeat even for operations that write.
    kConnectFailed,
    /// The connection broke after the request may have been sent (reset, empty reply).
    kConnectionLost,
    /// TLS handshake or certificate verification failed (not retried: it will not heal by itself).
    kTls,
    /// Anything else (bad URL, out of memory, response too large, ...).
    kOther,
};

std::string_view to_string(TransportError error);

struct Response {
    int status = 0;  ///< 0 when error != kNone
    Headers headers;
    std::string body;  ///< decoded (gzip/br already undone)
    TransportError error = TransportError::kNone;
    std::string error_message;  ///< transport detail for logs and error text; never holds secrets

    bool ok() const { return error == TransportError::kNone && status >= 200 && status < 300; }
};

/// Sends one HTTP request and waits for its response. Implementations must be thread-safe:
/// the client calls send() from many threads at once.
class HttpTransport {
  public:
    virtual ~HttpTransport() = default;
    /// Never throws for network problems: they come back as Response::error.
    virtual Response send(const Request& request) = 0;
};

}  // namespace ghl
