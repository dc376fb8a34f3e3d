// Cursor encoding and the per-style "where does the next page start" rules.
#include "ghl/pagination.hpp"
#include "core/json.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>

#include "ghl/errors.hpp"

namespace ghl {
namespace {

constexpr std::string_view kCursorPrefix = "c1.";
constexpr std::size_t kMaxCursorChars = 4096;

std::string fingerprint(const nlohmann::json& filters) {
    if (filters.is_null()) return {};
    // FNV-1a 64 over the canonical dump (nlohmann sorts object keys).
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : filters.dump()) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = kHex[h & 0xF];
        h >>= 4;
    }
    return out;
}

[[noreturn]] void bad_cursor(std::string_view endpoint_id, const std::string& why) {
    ApiError::Details d;
    if (const auto* ep = find_endpoint(endpoint_id)) d = ApiError::details_for(*ep);
    d.kind = ErrorKind::kInvalidArgument;
    d.endpoint_id = std::string(endpoint_id);
    d.messages.push_back("cursor " + why +
                         "; call again without a cursor to start from the first page");
    throw ApiError(std::move(d));
}

std::int64_t int_or(const nlohmann::json& j, const char* key, std::int64_t fallback) {
    if (!j.is_object()) return fallback;
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return fallback;
    return it->get<std::int64_t>();
}

bool present(const nlohmann::json& j, const char* key) {
    return j.is_object() && j.contains(key) && !j.at(key).is_null() &&
           !(j.at(key).is_string() && j.at(key).get_ref<const std::string&>().empty());
}

std::optional<std::int64_t> total_of(const nlohmann::json& response) {
    for (const char* key : {"total", "count", "totalCount"}) {
        if (response.is_object() && response.contains(key) && response[key].is_number_integer()) {
            return response[key].get<std::int64_t>();
        }
    }
    if (response.is_object() && response.contains("meta") && response["meta"].is_object()) {
        const auto& meta = response["meta"];
        if (meta.contains("total") && meta["total"].is_number_integer()) {
            return meta["total"].get<std::int64_t>();
        }
    }
    return std::nullopt;
}

std::string scalar_text(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

constexpr std::size_t kMaxPositionText = 256;     // an id, a date or a sort value
constexpr std::size_t kMaxSearchAfterValues = 8;  // GHL sends two (sort value, id)

bool short_text(const nlohmann::json& v) {
    return v.is_string() && v.get_ref<const std::string&>().size() <= kMaxPositionText;
}
bool count_at_least(const nlohmann::json& v, std::int64_t low) {
    return v.is_number_integer() && v.get<std::int64_t>() >= low;
}
bool sort_value(const nlohmann::json& v) { return v.is_number() || short_text(v); }
// searchAfter holds the last item's sort values as GHL sent them; an unset one is null.
bool search_value(const nlohmann::json& v) { return v.is_null() || sort_value(v); }

// The members a position of `style` may hold, and whether `value` fits member `key`. Anything
// else (locationId, pageLimit, query, ...) is no page position: apply_position() would send it
// to GHL as a request field.
bool position_member_ok(Pagination style, const std::string& key, const nlohmann::json& value) {
    switch (style) {
        case Pagination::kNone:
            // Listings GHL answers in one piece are paged by the tools: an offset into the
            // list, or (list_appointments) the window's pinned "now" and the last item shown.
            if (key == "offset") return count_at_least(value, 0);
            if (key == "now" || key == "after") return value.is_number_integer();
            if (key == "id") return short_text(value);
            return false;
        case Pagination::kPageLimit:
            return key == "page" && count_at_least(value, 1);
        case Pagination::kSearchAfter:
            if (key != "searchAfter" || !value.is_array() || value.empty() ||
                value.size() > kMaxSearchAfterValues)
                return false;
            for (const auto& v : value)
                if (!search_value(v)) return false;
            return true;
        case Pagination::kStartAfterId:
            if (key == "startAfter") return sort_value(value);
            return key == "startAfterId" && short_text(value);
        case Pagination::kStartAfterDate:
            return key == "startAfterDate" && sort_value(value);
        case Pagination::kLastMessageId:
            return key == "lastMessageId" && short_text(value);
        case Pagination::kSkipLimit:
            return key == "skip" && count_at_least(value, 0);
        case Pagination::kLimitOffset:
            return key == "offset" && count_at_least(value, 0);
    }
    return false;
}

}  // namespace

std::string base64url_encode(std::string_view data) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16) |
                       (static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8) |
                       static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 2]));
        out.push_back(kAlphabet[(n >> 18) & 63]);
        out.push_back(kAlphabet[(n >> 12) & 63]);
        out.push_back(kAlphabet[(n >> 6) & 63]);
        out.push_back(kAlphabet[n & 63]);
    }
    const auto rest = data.size() - i;
    if (rest > 0) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16;
        if (rest == 2)
            n |= static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8;
        out.push_back(kAlphabet[(n >> 18) & 63]);
        out.push_back(kAlphabet[(n >> 12) & 63]);
        if (rest == 2) out.push_back(kAlphabet[(n >> 6) & 63]);
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    };
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const int v = value(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return out;
}

std::string encode_cursor(const Cursor& cursor, const nlohmann::json& filters) {
    nlohmann::json j = {
        {"e", cursor.endpoint_id},
        {"s", std::string(to_string(cursor.style))},
        {"p", cursor.position.is_null() ? nlohmann::json::object() : cursor.position}};
    if (auto f = fingerprint(filters); !f.empty()) j["f"] = f;
    return std::string(kCursorPrefix) + base64url_encode(j.dump());
}

Cursor decode_cursor(std::string_view text, std::string_view endpoint_id,
                     const nlohmann::json& filters) {
    if (text.size() > kMaxCursorChars) bad_cursor(endpoint_id, "is too long");
    if (text.substr(0, kCursorPrefix.size()) != kCursorPrefix) {
        bad_cursor(endpoint_id, "is not a cursor returned by this server");
    }
    auto raw = base64url_decode(text.substr(kCursorPrefix.size()));
    if (!raw) bad_cursor(endpoint_id, "is corrupted");
    auto j = core::parse_json_or_discard(*raw);
    if (!j.is_object() || !j.contains("e") || !j["e"].is_string() || !j.contains("s") ||
        !j["s"].is_string() || !j.contains("p") || !j["p"].is_object()) {
        bad_cursor(endpoint_id, "is corrupted");
    }
    if (j["e"].get<std::string>() != endpoint_id) {
        bad_cursor(endpoint_id, "belongs to a different listing");
    }
    const auto* ep = find_endpoint(endpoint_id);
    if (ep == nullptr || j["s"].get<std::string>() != to_string(ep->pagination)) {
        bad_cursor(endpoint_id, "belongs to a different listing");
    }
    const std::string expected = fingerprint(filters);
    const std::string got = j.contains("f") && j["f"].is_string() ? j["f"].get<std::string>() : "";
    if (expected != got) bad_cursor(endpoint_id, "was made for different filters");
    if (!position_allowed(ep->pagination, j["p"])) {
        bad_cursor(endpoint_id, "holds more than a page position");
    }
    Cursor c;
    c.endpoint_id = std::string(endpoint_id);
    c.style = ep->pagination;
    c.position = std::move(j["p"]);
    return c;
}

bool position_allowed(Pagination style, const nlohmann::json& position) {
    if (!position.is_object()) return false;
    for (const auto& [key, value] : position.items())
        if (!position_member_ok(style, key, value)) return false;
    return true;
}

const nlohmann::json* page_items(const nlohmann::json& response, std::string_view items_key) {
    if (!response.is_object()) return response.is_array() ? &response : nullptr;
    if (!items_key.empty()) {
        auto it = response.find(std::string(items_key));
        if (it == response.end()) return nullptr;
        if (it->is_array()) return &*it;
        // {messages: {messages: [...]}} (one of the two conversation-messages shapes).
        if (it->is_object()) return page_items(*it, items_key);
        return nullptr;
    }
    for (const auto& [key, value] : response.items()) {
        if (value.is_array()) return &value;
    }
    return nullptr;
}

std::optional<nlohmann::json> next_position(Pagination style, const nlohmann::json& current,
                                            const nlohmann::json& response,
                                            const PageOptions& options) {
    const auto* items = page_items(response, options.items_key);
    const std::size_t count = items ? items->size() : 0;
    const bool full_page =
        options.page_size > 0 && count >= static_cast<std::size_t>(options.page_size);
    switch (style) {
        case Pagination::kNone:
            return std::nullopt;
        case Pagination::kPageLimit: {
            if (!full_page) return std::nullopt;
            const auto page = int_or(current, "page", 1);
            if (auto total = total_of(response); total && page * options.page_size >= *total) {
                return std::nullopt;
            }
            return nlohmann::json{{"page", page + 1}};
        }
        case Pagination::kSearchAfter: {
            if (!full_page || items == nullptr || items->empty()) return std::nullopt;
            const auto& last = items->back();
            if (!last.is_object() || !last.contains("searchAfter") ||
                !last["searchAfter"].is_array() || last["searchAfter"].empty()) {
                return std::nullopt;
            }
            return nlohmann::json{{"searchAfter", last["searchAfter"]}};
        }
        case Pagination::kStartAfterId: {
            if (!full_page || !response.is_object() || !response.contains("meta"))
                return std::nullopt;
            const auto& meta = response["meta"];
            if (meta.contains("nextPage") && meta["nextPage"].is_null()) return std::nullopt;
            if (!present(meta, "startAfterId") || !present(meta, "startAfter")) return std::nullopt;
            return nlohmann::json{{"startAfter", meta["startAfter"]},
                                  {"startAfterId", meta["startAfterId"]}};
        }
        case Pagination::kStartAfterDate: {
            if (!full_page || items == nullptr || items->empty()) return std::nullopt;
            const auto& last = items->back();
            if (!present(last, options.sort_field.c_str())) return std::nullopt;
            return nlohmann::json{{"startAfterDate", last[options.sort_field]}};
        }
        case Pagination::kLastMessageId: {
            // HEAD spec: {lastMessageId, nextPage, messages[]}; older: {messages:{...}}.
            const nlohmann::json* holder = &response;
            if (response.is_object() && response.contains("messages") &&
                response["messages"].is_object()) {
                holder = &response["messages"];
            }
            if (!holder->is_object()) return std::nullopt;
            const bool next = holder->contains("nextPage") && (*holder)["nextPage"].is_boolean() &&
                              (*holder)["nextPage"].get<bool>();
            if (!next || !present(*holder, "lastMessageId")) return std::nullopt;
            return nlohmann::json{{"lastMessageId", (*holder)["lastMessageId"]}};
        }
        case Pagination::kSkipLimit:
        case Pagination::kLimitOffset: {
            const char* key = style == Pagination::kSkipLimit ? "skip" : "offset";
            if (!full_page) return std::nullopt;
            const auto start = int_or(current, key, 0);
            const auto next = start + static_cast<std::int64_t>(count);
            if (auto total = total_of(response); total && next >= *total) return std::nullopt;
            return nlohmann::json{{key, next}};
        }
    }
    return std::nullopt;
}

void apply_position(const Endpoint& endpoint, const nlohmann::json& position, Params& query,
                    nlohmann::json& body) {
    if (!position.is_object() || position.empty()) return;
    // Only the members of the endpoint's own style reach the request, whatever made `position`:
    // a page position never overrides locationId, pageLimit, query or any other field. Listings
    // of kNone are paged by the tools, so none of their position goes to GHL.
    if (endpoint.pagination == Pagination::kNone || !position_allowed(endpoint.pagination, position))
        throw std::invalid_argument("page position " + position.dump() + " is not one of " +
                                    std::string(endpoint.id) + "'s " +
                                    std::string(to_string(endpoint.pagination)) + " positions");
    const bool in_body = endpoint.method == Method::kPost || endpoint.method == Method::kPut;
    for (const auto& [key, value] : position.items()) {
        if (in_body) {
            if (!body.is_object()) body = nlohmann::json::object();
            body[key] = value;
        } else if (value.is_array()) {
            for (const auto& v : value) query.emplace_back(key, scalar_text(v));
        } else {
            std::erase_if(query, [&](const auto& p) { return p.first == key; });
            query.emplace_back(key, scalar_text(value));
        }
    }
}

std::string next_cursor(const Endpoint& endpoint, const nlohmann::json& current,
                        const nlohmann::json& response, const PageOptions& options,
                        const nlohmann::json& filters) {
    auto next = next_position(endpoint.pagination, current, response, options);
    if (!next) return {};
    Cursor c;
    c.endpoint_id = std::string(endpoint.id);
    c.style = endpoint.pagination;
    c.position = std::move(*next);
    return encode_cursor(c, filters);
}

}  // namespace ghl
