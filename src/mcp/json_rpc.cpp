// JSON-RPC helpers: error objects, log level names, line serialization.
#include "mcp/json_rpc.hpp"

#include <array>

namespace mcp {

namespace {
constexpr std::array<std::string_view, 8> kLevelNames{
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};
}

std::optional<LogLevel> parse_log_level(std::string_view s) {
    for (size_t i = 0; i < kLevelNames.size(); ++i)
        if (kLevelNames[i] == s) return static_cast<LogLevel>(i);
    return std::nullopt;
}

std::string_view to_string(LogLevel level) { return kLevelNames[static_cast<size_t>(level)]; }

json make_error(const json& id, ErrorCode code, std::string_view message, const json& data) {
    json err{{"code", static_cast<int>(code)}, {"message", message}};
    if (!data.is_null()) err["data"] = data;
    json out{{"jsonrpc", "2.0"}, {"error", std::move(err)}};
    // An id that could not be read is omitted rather than sent as null (ids are never null).
    if (valid_request_id(id)) out["id"] = id;
    return out;
}

std::string dump_line(const json& message) {
    return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace mcp
