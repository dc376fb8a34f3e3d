// Bounded JSON parsing for everything that arrives from outside the process (MCP messages, voice
// and webhook bodies, stored events, GHL replies). nlohmann's parser builds deep documents fine,
// but copying, comparing or dumping one recurses once per level: a 200 KB body nested 100,000
// deep overflows the stack. The nesting is therefore measured on the raw text, before a single
// node is built, and anything deeper than the bound is refused with a clear error.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

namespace core {

/// Arrays and objects nested deeper than this are refused at every door. Real MCP, Vapi, Retell
/// and GHL payloads stay below 12.
inline constexpr std::size_t kMaxJsonDepth = 64;

/// How deeply arrays and objects nest in `text` (a bare scalar is 0, `{}` is 1), strings and
/// their escapes honoured. Stops scanning once the depth passes `stop_above` and returns
/// stop_above + 1. For invalid JSON the figure is meaningless but bounded by the text's length.
std::size_t json_depth(std::string_view text,
                       std::size_t stop_above = std::numeric_limits<std::size_t>::max() - 1);

/// Thrown by parse_json when the nesting passes the bound.
class JsonTooDeep : public std::runtime_error {
  public:
    explicit JsonTooDeep(std::size_t limit);
    std::size_t limit() const { return limit_; }

  private:
    std::size_t limit_;
};

/// json::parse after the depth check: throws nlohmann::json::parse_error for bad syntax and
/// JsonTooDeep for nesting beyond `max_depth`.
nlohmann::json parse_json(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

/// The non-throwing form: a discarded value (is_discarded()) for bad syntax or too deep a
/// document; `too_deep`, when given, tells the two apart.
nlohmann::json parse_json_or_discard(std::string_view text, std::size_t max_depth = kMaxJsonDepth,
                                     bool* too_deep = nullptr);

}  // namespace core
