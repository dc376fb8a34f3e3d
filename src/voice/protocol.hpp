// The wire formats of voice platforms that call our tools mid-conversation: Vapi's server-URL
// `tool-calls` message and Retell's custom-function request, and how each signs its requests.
// Facts and sources: ../shared/reference/integrations.md sections 1 and 2.
#pragma once

#include "mcp/json_rpc.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace voice {

using json = mcp::json;

/// One tool call as a platform asked for it.
struct ToolCall {
    std::string id;         // Vapi's tool call id; empty for Retell
    std::string name;       // tool name (empty when the entry named none)
    json arguments = json::object();
    std::string problem;    // why this entry cannot run (bad arguments JSON, no name), else empty
};

/// What a platform's request carries besides the calls.
struct VoiceRequest {
    std::string platform;      // "vapi" or "retell"
    std::string call_id;       // the phone/web call (Vapi message.call.id, Retell call.call_id)
    std::string caller_number; // Vapi customer.number, Retell from_number (E.164), else empty
    std::vector<ToolCall> calls;
    /// Set by the door for a signed request: the verified signature. A platform resends an
    /// attempt byte for byte (same signature); a new attempt is signed anew.
    std::string attempt;
};

/// Parses a Vapi server message. `type` is set to message.type ("tool-calls", "status-update",
/// ...). For tool-calls, accepts every shape Vapi has sent: message.toolCallList (entries with
/// function.{name,arguments}, or flat name + arguments|parameters), message.toolWithToolCallList
/// (entries' toolCall), and the legacy message.toolCalls; arguments as an object or a JSON
/// string. Throws std::invalid_argument when the body is not a Vapi message at all.
VoiceRequest parse_vapi(const json& body, std::string& type);

/// Parses a Retell custom-function request. `path_tool` is the {tool} of /voice/retell/{tool}
/// (empty for /voice/retell): then a body {name, args, call} is the default payload and any
/// other object is the "args only" payload (args_at_root). Throws std::invalid_argument.
VoiceRequest parse_retell(const json& body, std::string_view path_tool);

/// Result of checking a signature.
enum class SignatureCheck { kValid, kMissing, kMalformed, kStale, kMismatch };
const char* to_string(SignatureCheck c);

/// Retell's X-Retell-Signature "v=<timestamp ms>,d=<hex HMAC-SHA256(key, body + timestamp)>",
/// valid within `tolerance_ms` of `now_ms` either way (Retell SDK: 5 minutes).
SignatureCheck verify_retell_signature(std::string_view key, std::string_view raw_body,
                                       std::string_view header, std::int64_t now_ms,
                                       std::int64_t tolerance_ms = 5 * 60 * 1000);
/// The header value Retell would send (tests, benchmarks).
std::string retell_signature(std::string_view key, std::string_view raw_body, std::int64_t timestamp_ms);

/// Vapi's HMAC credential with its defaults: x-signature = hex HMAC-SHA256(secret,
/// "{timestamp}.{body}") (an optional "sha256=" prefix is accepted), x-timestamp in seconds or
/// milliseconds, valid within `tolerance_ms` of `now_ms`.
SignatureCheck verify_vapi_signature(std::string_view secret, std::string_view raw_body,
                                     std::string_view signature, std::string_view timestamp,
                                     std::int64_t now_ms, std::int64_t tolerance_ms = 5 * 60 * 1000);
std::string vapi_signature(std::string_view secret, std::string_view raw_body, std::string_view timestamp);

/// Wall-clock milliseconds since the epoch.
std::int64_t now_epoch_ms();

}  // namespace voice
