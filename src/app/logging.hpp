// Process logging: spdlog on stderr (stdout carries MCP messages in stdio mode), human-readable
// text or one JSON object per line (--log-format), and every line redacted before it is written:
// secrets become "[redacted]", e-mail addresses "[email]", phone numbers "[phone]".
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace app {

enum class LogFormat { kText, kJson };

/// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name);
/// True for the --log-level names: trace, debug, info, warn, error, critical, off.
bool is_log_level(std::string_view name);

/// Removes secrets and personal data from one log message. Pure; safe on any input size.
///  - secrets -> "[redacted]": Bearer credentials, `pit-...` Private Integration Tokens, JWTs
///    (`eyJ...`), our API keys (`ghlmcp_...`), passwords in URLs (`https://user:pw@`), and the
///    values of secret-named fields in JSON, form/query strings, headers and env assignments
///    (names ending in token, secret, password, apikey, authorization, cookie, ...; `code`);
///  - e-mail addresses -> "[email]";
///  - phone numbers -> "[phone]": `+` followed by 8 to 15 digits (spaces, dots, dashes and
///    parentheses allowed between them, as GHL's E.164 numbers and people write them), and
///    North American numbers written with separators (555-123-4567, (555) 123-4567).
/// Left alone: GHL ids, request ids, ISO timestamps, durations, ports, URL paths, and digit runs
/// without `+` or separators (epoch timestamps, counts, ids), which cannot be told from numbers.
std::string redact_log_text(std::string_view text);

/// The formatter for a format: text ("2026-12-07T19:44:17.123 info message", local time,
/// coloured level on a terminal) or JSON ({"ts":"...Z","level":"info","msg":"...",
/// "request_id":"...","tool":"...","session":"..."}, UTC; the last three while a tool call's
/// mcp::LogScope is active on the logging thread). Both redact the message.
std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format);

/// Installs the process's default logger on stderr with that format and level (see is_log_level).
void setup_logging(const std::string& level, LogFormat format);

}  // namespace app
