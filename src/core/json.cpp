#include "core/json.hpp"

namespace core {

std::size_t json_depth(std::string_view text, std::size_t stop_above) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;  // the escaped character cannot end the string
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
            case '"':
                in_string = true;
                break;
            case '[':
            case '{':
                if (++depth > deepest) {
                    deepest = depth;
                    if (deepest > stop_above) return stop_above + 1;
                }
                break;
            case ']':
            case '}':
                if (depth > 0) --depth;
                break;
            default:
                break;
        }
    }
    return deepest;
}

JsonTooDeep::JsonTooDeep(std::size_t limit)
    : std::runtime_error("JSON nested more than " + std::to_string(limit) +
                         " levels deep; flatten the document"),
      limit_(limit) {}

nlohmann::json parse_json(std::string_view text, std::size_t max_depth) {
    if (json_depth(text, max_depth) > max_depth) throw JsonTooDeep(max_depth);
    return nlohmann::json::parse(text);
}

nlohmann::json parse_json_or_discard(std::string_view text, std::size_t max_depth, bool* too_deep) {
    const bool deep = json_depth(text, max_depth) > max_depth;
    if (too_deep) *too_deep = deep;
    if (deep) return nlohmann::json(nlohmann::json::value_t::discarded);
    return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace core
