// JSON-RPC 2.0 and MCP wire constants, the protocol error type, and message builders.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mcp {

using json = nlohmann::json;

/// JSON-RPC and MCP error codes (see docs/error-handling.md).
enum class ErrorCode : int {
    kParseError = -32700,
    kInvalidRequest = -32600,
    kMethodNotFound = -32601,
    kInvalidParams = -32602,
    kInternalError = -32603,
    kResourceNotFound = -32002,           // legacy era only; 2026-07-28 uses kInvalidParams
    kHeaderMismatch = -32020,             // 2026-07-28
    kMissingClientCapability = -32021,    // 2026-07-28
    kUnsupportedProtocolVersion = -32022  // 2026-07-28
};

/// A failure that becomes a JSON-RPC error response. Thrown by handlers and the dispatcher;
/// converted to the wire in exactly one place (Server::error_response).
class RpcError : public std::runtime_error {
public:
    RpcError(ErrorCode code, std::string message, json data = nullptr, int http_status = 0)
        : std::runtime_error(std::move(message)),
          code_(code),
          data_(std::move(data)),
          http_status_(http_status) {}
    ErrorCode code() const { return code_; }
    const json& data() const { return data_; }
    /// The HTTP status a Streamable HTTP transport should use (0: the transport decides).
    int http_status() const { return http_status_; }

private:
    ErrorCode code_;
    json data_;
    int http_status_;
};

/// Protocol revisions, oldest first.
inline constexpr std::string_view kV20241105 = "2024-11-05";
inline constexpr std::string_view kV20250326 = "2025-03-26";
inline constexpr std::string_view kV20250618 = "2025-06-18";
inline constexpr std::string_view kV20251125 = "2025-11-25";
inline constexpr std::string_view kV20260728 = "2026-07-28";

/// Versions negotiated through `initialize` (the handshake, "legacy" era).
inline const std::vector<std::string>& legacy_versions() {
    static const std::vector<std::string> v{std::string(kV20241105), std::string(kV20250326),
                                            std::string(kV20250618), std::string(kV20251125)};
    return v;
}
/// Versions served statelessly with per-request `_meta` ("modern" era).
inline const std::vector<std::string>& modern_versions() {
    static const std::vector<std::string> v{std::string(kV20260728)};
    return v;
}
inline bool is_legacy_version(std::string_view v) {
    for (const auto& s : legacy_versions())
        if (s == v) return true;
    return false;
}
inline bool is_modern_version(std::string_view v) {
    for (const auto& s : modern_versions())
        if (s == v) return true;
    return false;
}
/// Revision dates compare lexicographically.
inline bool version_at_least(std::string_view have, std::string_view want) { return have >= want; }

/// Reserved `_meta` keys of 2026-07-28.
namespace meta {
inline constexpr const char* kProtocolVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr const char* kClientCapabilities = "io.modelcontextprotocol/clientCapabilities";
inline constexpr const char* kClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr const char* kLogLevel = "io.modelcontextprotocol/logLevel";
inline constexpr const char* kServerInfo = "io.modelcontextprotocol/serverInfo";
inline constexpr const char* kSubscriptionId = "io.modelcontextprotocol/subscriptionId";
inline constexpr const char* kRelatedTask = "io.modelcontextprotocol/related-task";
}  // namespace meta

/// RFC 5424 levels used by MCP logging.
enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError, kCritical, kAlert, kEmergency };
std::optional<LogLevel> parse_log_level(std::string_view s);
std::string_view to_string(LogLevel level);

/// True when `id` is a valid JSON-RPC request id for MCP (string or integer, never null).
inline bool valid_request_id(const json& id) {
    return id.is_string() || id.is_number_integer() || id.is_number_unsigned();
}

inline json make_result(const json& id, json result) {
    return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}
json make_error(const json& id, ErrorCode code, std::string_view message,
                const json& data = nullptr);
inline json make_notification(std::string_view method, json params) {
    json n{{"jsonrpc", "2.0"}, {"method", method}};
    if (!params.is_null()) n["params"] = std::move(params);
    return n;
}
inline json make_request(const json& id, std::string_view method, json params) {
    json n{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
    if (!params.is_null()) n["params"] = std::move(params);
    return n;
}

/// Compact single-line serialization (never contains a raw newline; invalid UTF-8 replaced).
std::string dump_line(const json& message);

}  // namespace mcp
