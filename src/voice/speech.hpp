// Speakable results: one short line a voice agent can say as is (times in the calendar's time
// zone, as GHL wrote them), and the few references (ids, exact slot times) the model needs for
// its next call. The structured result travels beside it.
#pragma once

#include "mcp/json_rpc.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace voice {

using json = mcp::json;

struct Speech {
    std::string say;             // one line, no line breaks
    json refs = json::object();  // ids and exact values for follow-up calls
};

/// The line and references for a successful result of `tool` (its structuredContent).
Speech speak_result(const std::string& tool, const json& structured);
/// The line for a failed call: what could not be done, and the tool's reason in one line.
std::string speak_error(const std::string& tool, std::string_view reason);
/// The line when a call's deadline passed before it finished.
std::string speak_timeout(const std::string& tool, bool write);
/// The line when a call's deadline passed before it even started: nothing was done.
std::string speak_not_started(const std::string& tool, bool write);

/// "Tuesday March 3 at 10:30 AM" for an ISO 8601 time ("2026-03-03T10:30:00-05:00"), read in the
/// offset it carries; nullopt when it is not one.
std::optional<std::string> spoken_time(std::string_view iso);
/// `text` on one line: line breaks and runs of spaces become one space, a leading "[code] " tag
/// is dropped, at most `max` bytes (cut at a word, "..." appended).
std::string one_line(std::string_view text, std::size_t max = 300);
/// At most `max` bytes of UTF-8 `text`, never cutting a character in two.
std::string utf8_prefix(std::string_view text, std::size_t max);

}  // namespace voice
