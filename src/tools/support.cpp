#include "tools/support.hpp"

#include "ghl/errors.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace tools {

// ---- Arguments ------------------------------------------------------------------------------

namespace {
const json* find_arg(const json& args, std::string_view key) {
    if (!args.is_object()) return nullptr;
    auto it = args.find(key);
    if (it == args.end() || it->is_null()) return nullptr;
    return &*it;
}
}  // namespace

std::string arg_string(const json& args, std::string_view key, std::string fallback) {
    const json* v = find_arg(args, key);
    return v && v->is_string() ? v->get<std::string>() : fallback;
}

std::optional<std::string> arg_opt_string(const json& args, std::string_view key) {
    const json* v = find_arg(args, key);
    if (!v || !v->is_string() || v->get_ref<const std::string&>().empty()) return std::nullopt;
    return v->get<std::string>();
}

std::int64_t arg_int(const json& args, std::string_view key, std::int64_t fallback) {
    const json* v = find_arg(args, key);
    return v && v->is_number() ? v->get<std::int64_t>() : fallback;
}

bool arg_bool(const json& args, std::string_view key, bool fallback) {
    const json* v = find_arg(args, key);
    return v && v->is_boolean() ? v->get<bool>() : fallback;
}

void copy_args(const json& args, json& out, std::initializer_list<std::string_view> keys) {
    for (auto key : keys)
        if (const json* v = find_arg(args, key)) out[std::string(key)] = *v;
}

[[noreturn]] void invalid_argument(const std::string& text) {
    throw ToolFailure("[tools.invalid_argument] " + text);
}

// ---- Paging ---------------------------------------------------------------------------------

CursorScope cursor_scope(const Environment& env, const mcp::ToolContext& ctx, std::string location) {
    if (!env.cursors) throw std::logic_error("tools::Environment has no cursor seal");
    const json& params = ctx.params();
    std::string tool;
    if (params.is_object())
        if (auto it = params.find("name"); it != params.end() && it->is_string())
            tool = it->get<std::string>();
    return {*env.cursors,
            {std::move(tool), std::move(location),
             env.principal_name ? env.principal_name(ctx.principal()) : std::string()}};
}

std::string make_cursor(const CursorScope& scope, const ghl::Cursor& cursor, const json& filters) {
    return scope.seal.seal(ghl::encode_cursor(cursor, filters), scope.binding);
}

json cursor_position(const CursorScope& scope, const json& args, std::string_view endpoint,
                     const json& filters) {
    auto cursor = arg_opt_string(args, "cursor");
    if (!cursor) return json::object();
    const std::string inner = scope.seal.open(*cursor, scope.binding);  // ToolFailure when forged
    try {
        return ghl::decode_cursor(inner, endpoint, filters).position;
    } catch (const ghl::ApiError& e) {
        throw ToolFailure(e.agent_text());
    }
}

Page fetch_page(GhlAccess& ghl, mcp::ToolContext& ctx, const CursorScope& scope,
                std::string_view endpoint, const ghl::Params& path, ghl::Params query, json body,
                const json& args, const ghl::PageOptions& options, const json& filters) {
    const auto& ep = ghl::endpoint(endpoint);
    const json position = cursor_position(scope, args, endpoint, filters);
    ghl::apply_position(ep, position, query, body);
    Page page;
    page.response = ghl.call(ctx, endpoint, path, query, body, scope.binding.location);
    if (const json* items = ghl::page_items(page.response, options.items_key)) page.items = *items;
    if (auto next = ghl::next_position(ep.pagination, position, page.response, options))
        page.next_cursor =
            make_cursor(scope, {std::string(endpoint), ep.pagination, std::move(*next)}, filters);
    return page;
}

json list_output(std::string_view key, json items, const std::string& next_cursor) {
    json out = json::object();
    const auto count = items.size();
    out[std::string(key)] = std::move(items);
    out["count"] = count;
    out["nextCursor"] = next_cursor.empty() ? json(nullptr) : json(next_cursor);
    if (!next_cursor.empty())
        out["note"] = "More results exist: call again with the same arguments and cursor=nextCursor.";
    return out;
}

std::size_t cursor_offset(const CursorScope& scope, const json& args, std::string_view endpoint,
                          const json& filters) {
    const json position = cursor_position(scope, args, endpoint, filters);
    auto it = position.find("offset");
    return it != position.end() && it->is_number_unsigned() ? it->get<std::size_t>() : 0;
}

json offset_page(const CursorScope& scope, std::string_view key, const json& all,
                 std::size_t offset, std::size_t limit, std::string_view endpoint,
                 const json& filters) {
    json items = json::array();
    for (std::size_t i = offset; i < all.size() && items.size() < limit; ++i) items.push_back(all[i]);
    std::string next;
    if (offset + items.size() < all.size()) {
        ghl::Cursor c;
        c.endpoint_id = std::string(endpoint);
        c.style = ghl::endpoint(endpoint).pagination;  // kNone: GHL does not page these
        c.position = {{"offset", offset + items.size()}};
        next = make_cursor(scope, c, filters);
    }
    return list_output(key, std::move(items), next);
}

// ---- Shaping --------------------------------------------------------------------------------

json pick(const json& src, std::initializer_list<std::string_view> keys) {
    json out = json::object();
    if (!src.is_object()) return out;
    for (auto key : keys) {
        auto it = src.find(key);
        if (it != src.end() && !it->is_null()) out[std::string(key)] = *it;
    }
    return out;
}

json get_or_null(const json& src, std::string_view key) {
    if (!src.is_object()) return nullptr;
    auto it = src.find(key);
    return it == src.end() ? json(nullptr) : *it;
}

const json& unwrap(const json& response, std::string_view key) {
    if (response.is_object()) {
        auto it = response.find(key);
        if (it != response.end() && it->is_object()) return *it;
    }
    return response;
}

json without_nulls(json object) {
    if (!object.is_object()) return object;
    for (auto it = object.begin(); it != object.end();) {
        if (it->is_null())
            it = object.erase(it);
        else
            ++it;
    }
    return object;
}

json drop_empty(json object) {
    if (!object.is_object()) return object;
    for (auto it = object.begin(); it != object.end();) {
        if (it->is_null() || (it->is_string() && it->get_ref<const std::string&>().empty()))
            it = object.erase(it);
        else
            ++it;
    }
    return object;
}

std::string string_of(const json& object, std::string_view key, std::string fallback) {
    if (!object.is_object()) return fallback;
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

json array_of(const json& object, std::string_view key) {
    if (!object.is_object()) return json::array();
    auto it = object.find(key);
    return it != object.end() && it->is_array() ? *it : json::array();
}

void put_iso(json& out, const json& src, std::string_view from, std::string_view to) {
    if (auto ms = ghl_time_ms(get_or_null(src, from))) out[std::string(to)] = iso_utc(*ms);
}

void put_iso(json& out, const json& src, std::string_view key) { put_iso(out, src, key, key); }

// ---- Text and channels ----------------------------------------------------------------------

std::string lowercase(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string tidy(std::string_view text, std::size_t max_chars, bool keep_lines, bool* cut) {
    std::string out;
    std::size_t chars = 0;
    bool pending_space = false, pending_line = false, was_cut = false;
    for (std::size_t i = 0; i < text.size() && !was_cut; ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '\n' || c == '\r') {
            pending_line = true;
            continue;
        }
        if (std::isspace(c)) {
            pending_space = true;
            continue;
        }
        if ((c & 0xC0) != 0x80) {  // a code point starts here
            const bool separator = !out.empty() && (pending_line || pending_space);
            if (chars + (separator ? 2 : 1) > max_chars) {
                was_cut = true;
                break;
            }
            if (separator) {
                out += pending_line && keep_lines ? '\n' : ' ';
                ++chars;
            }
            pending_space = pending_line = false;
            ++chars;
        }
        out += static_cast<char>(c);
    }
    if (was_cut) out += "\u2026";
    if (cut) *cut = was_cut;
    return out;
}

namespace {
struct ChannelName {
    std::string_view type;  // GHL's message type (conversations.search lastMessageType, messageType)
    std::string_view name;  // the send/inbound `type` value
};

// The first row of a name is the type a `channel` filter asks for.
constexpr std::array<ChannelName, 17> kChannels{{
    {"TYPE_SMS", "SMS"},
    {"TYPE_EMAIL", "Email"},
    {"TYPE_WHATSAPP", "WhatsApp"},
    {"TYPE_CALL", "Call"},
    {"TYPE_INSTAGRAM", "IG"},
    {"TYPE_FACEBOOK", "FB"},
    {"TYPE_GMB", "GMB"},
    {"TYPE_LIVE_CHAT", "Live_Chat"},
    {"TYPE_WEBCHAT", "WebChat"},
    {"TYPE_RCS", "RCS"},
    {"TYPE_TIKTOK", "TIKTOK"},
    {"TYPE_CUSTOM_PROVIDER_SMS", "Custom"},
    {"TYPE_CUSTOM_PROVIDER_EMAIL", "Custom"},
    {"TYPE_CUSTOM_SMS", "Custom"},
    {"TYPE_CUSTOM_EMAIL", "Custom"},
    {"TYPE_IVR_CALL", "Call"},
    {"TYPE_CUSTOM_CALL", "Call"},
}};
}  // namespace

std::string channel_of(const json& ghl_type) {
    if (!ghl_type.is_string()) return {};
    const auto& t = ghl_type.get_ref<const std::string&>();
    for (const auto& c : kChannels)
        if (c.type == t) return std::string(c.name);
    return t.rfind("TYPE_", 0) == 0 ? t.substr(5) : t;
}

std::string ghl_type_of(std::string_view channel) {
    for (const auto& c : kChannels)
        if (c.name == channel) return std::string(c.type);
    invalid_argument("unknown channel \"" + std::string(channel) + "\".");
}

// ---- Time -----------------------------------------------------------------------------------

std::string iso_utc(std::int64_t epoch_ms) {
    std::time_t secs = static_cast<std::time_t>(epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

namespace {
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Parses the zone suffix at `pos` ("Z", "+01:00", "+0100", "-05"); returns minutes east of UTC.
std::optional<int> parse_zone(std::string_view s, std::size_t pos) {
    if (pos == s.size()) return std::nullopt;
    if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size() ? std::optional<int>(0) : std::nullopt;
    if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
    const int sign = s[pos] == '-' ? -1 : 1;
    int hh = 0, mm = 0;
    if (!digits(s, pos + 1, 2, hh)) return std::nullopt;
    std::size_t p = pos + 3;
    if (p < s.size() && s[p] == ':') ++p;
    if (p < s.size()) {
        if (!digits(s, p, 2, mm) || p + 2 != s.size()) return std::nullopt;
    }
    if (hh > 23 || mm > 59) return std::nullopt;
    return sign * (hh * 60 + mm);
}
}  // namespace

std::optional<std::int64_t> parse_iso(std::string_view s) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
    if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
    std::size_t pos = 10;
    int offset = 0;
    if (pos < s.size()) {
        if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
        if (!digits(s, pos + 1, 2, h) || pos + 3 >= s.size() + 0 || s[pos + 3] != ':' ||
            !digits(s, pos + 4, 2, mi))
            return std::nullopt;
        pos += 6;
        if (pos < s.size() && s[pos] == ':') {
            if (!digits(s, pos + 1, 2, sec)) return std::nullopt;
            pos += 3;
            if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
                std::size_t p = pos + 1, n = 0;
                int frac = 0;
                while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
                    if (n < 3) frac = frac * 10 + (s[p] - '0');
                    ++p;
                    ++n;
                }
                if (n == 0) return std::nullopt;
                for (; n < 3; ++n) frac *= 10;
                ms = frac;
                pos = p;
            }
        }
        if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
        if (pos < s.size()) {
            auto zone = parse_zone(s, pos);
            if (!zone) return std::nullopt;
            offset = *zone;
        }
    }
    const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    const std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset * 60;
    return secs * 1000 + ms;
}

std::optional<int> iso_offset_minutes(std::string_view text) {
    if (text.size() <= 16) return std::nullopt;
    // The zone starts after the time: the first 'Z', '+' or '-' past the 'T'.
    auto t = text.find_first_of("Tt ");
    if (t == std::string_view::npos) return std::nullopt;
    auto z = text.find_first_of("Zz+-", t);
    if (z == std::string_view::npos) return std::nullopt;
    return parse_zone(text, z);
}

std::optional<std::int64_t> ghl_time_ms(const json& value) {
    if (value.is_number()) {
        auto v = value.get<std::int64_t>();
        return v < 100000000000LL ? v * 1000 : v;  // seconds before year 5138 in ms terms
    }
    if (!value.is_string()) return std::nullopt;
    const auto& s = value.get_ref<const std::string&>();
    if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        try {
            return ghl_time_ms(json(std::stoll(s)));
        } catch (...) {
            return std::nullopt;
        }
    }
    return parse_iso(s);
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t require_iso(const json& args, std::string_view key) {
    std::string text = arg_string(args, key);
    auto ms = parse_iso(text);
    if (!ms)
        invalid_argument(std::string(key) + " \"" + text +
                         "\" is not an ISO 8601 date or time; use e.g. 2026-11-23 or "
                         "2026-11-23T14:30:00-05:00.");
    return *ms;
}

// ---- Phones ---------------------------------------------------------------------------------

std::optional<std::string> to_e164(std::string_view raw, std::string_view default_calling_code) {
    // Cut an extension: "x12", "ext 12", "ext. 12", "#12".
    std::string lower;
    for (char c : raw) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (std::string_view marker : {"ext", "x", "#"}) {
        auto p = lower.find(marker);
        if (p != std::string::npos && p > 0) {
            lower.resize(p);
            break;
        }
    }
    bool plus = false;
    std::string d;
    for (std::size_t i = 0; i < lower.size(); ++i) {
        const char c = lower[i];
        if (std::isdigit(static_cast<unsigned char>(c))) {
            d += c;
        } else if (c == '+') {
            if (!d.empty() || plus) return std::nullopt;
            plus = true;
        } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '\t') {
            continue;
        } else {
            return std::nullopt;
        }
    }
    std::string code(default_calling_code);
    if (!code.empty() && code.front() == '+') code.erase(0, 1);
    std::string e164;
    if (plus) {
        e164 = d;
    } else if (d.rfind("00", 0) == 0) {
        e164 = d.substr(2);
    } else if (code == "1" && d.rfind("011", 0) == 0) {
        e164 = d.substr(3);
    } else if (code == "1") {
        if (d.size() == 10) e164 = "1" + d;
        else if (d.size() == 11 && d[0] == '1') e164 = d;
        else return std::nullopt;
    } else {
        std::string national = d;
        if (code != "39" && !national.empty() && national[0] == '0') national.erase(0, 1);
        e164 = code + national;
    }
    if (e164.size() < 8 || e164.size() > 15 || e164[0] == '0') return std::nullopt;
    return "+" + e164;
}

}  // namespace tools
