#include "voice/protocol.hpp"
#include "core/json.hpp"

#include "mcp/crypto.hpp"

#include <charconv>
#include <chrono>
#include <stdexcept>

namespace voice {
namespace {

const json* member(const json& j, const char* key) {
    if (!j.is_object()) return nullptr;
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string string_at(const json& j, const char* key) {
    const json* v = member(j, key);
    return v && v->is_string() ? v->get<std::string>() : std::string();
}

/// Arguments as an object: objects pass, JSON strings are parsed, null/absent is {}.
json arguments_of(const json* raw, std::string& problem) {
    if (!raw) return json::object();
    json args = *raw;
    if (args.is_string()) {
        const auto& text = args.get_ref<const std::string&>();
        if (text.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
        args = core::parse_json_or_discard(text);
        if (args.is_discarded()) {
            problem = "the tool arguments are not valid JSON";
            return json::object();
        }
    }
    if (!args.is_object()) {
        problem = "the tool arguments must be a JSON object";
        return json::object();
    }
    return args;
}

/// One entry of toolCallList / toolCalls / toolWithToolCallList[].toolCall.
ToolCall call_of(const json& e, const json* outer = nullptr) {
    ToolCall c;
    c.id = string_at(e, "id");
    const json* fn = member(e, "function");
    if (fn && fn->is_object()) {
        c.name = string_at(*fn, "name");
        const json* a = member(*fn, "arguments");
        c.arguments = arguments_of(a ? a : member(*fn, "parameters"), c.problem);
    } else {
        c.name = string_at(e, "name");
        const json* a = member(e, "arguments");
        c.arguments = arguments_of(a ? a : member(e, "parameters"), c.problem);
    }
    if (c.name.empty() && outer)  // toolWithToolCallList: the tool's own function.name
        if (const json* ofn = member(*outer, "function")) c.name = string_at(*ofn, "name");
    if (c.name.empty() && c.problem.empty()) c.problem = "the tool call names no function";
    return c;
}

std::int64_t parse_int(std::string_view s, bool& ok) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    ok = ec == std::errc() && p == s.data() + s.size() && !s.empty();
    return v;
}

bool is_lower_hex(std::string_view s) {
    for (char ch : s)
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
    return !s.empty();
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& ch : out)
        if (ch >= 'A' && ch <= 'F') ch = static_cast<char>(ch - 'A' + 'a');
    return out;
}

}  // namespace

VoiceRequest parse_vapi(const json& body, std::string& type) {
    const json* message = member(body, "message");
    if (!message || !message->is_object())
        throw std::invalid_argument("not a Vapi server message: the body has no \"message\" object");
    type = string_at(*message, "type");
    VoiceRequest r;
    r.platform = "vapi";
    if (const json* call = member(*message, "call")) {
        r.call_id = string_at(*call, "id");
        if (const json* customer = member(*call, "customer")) r.caller_number = string_at(*customer, "number");
    }
    if (r.caller_number.empty())
        if (const json* customer = member(*message, "customer")) r.caller_number = string_at(*customer, "number");
    if (type != "tool-calls") return r;

    const json* list = member(*message, "toolCallList");
    if (list && list->is_array() && !list->empty()) {
        for (const auto& e : *list) r.calls.push_back(call_of(e));
        return r;
    }
    const json* with = member(*message, "toolWithToolCallList");
    if (with && with->is_array() && !with->empty()) {
        for (const auto& e : *with) {
            const json* tc = member(e, "toolCall");
            r.calls.push_back(call_of(tc ? *tc : json::object(), &e));
        }
        return r;
    }
    const json* legacy = member(*message, "toolCalls");
    if (legacy && legacy->is_array())
        for (const auto& e : *legacy) r.calls.push_back(call_of(e));
    return r;
}

VoiceRequest parse_retell(const json& body, std::string_view path_tool) {
    if (!body.is_object()) throw std::invalid_argument("the request body must be a JSON object");
    VoiceRequest r;
    r.platform = "retell";
    const json* call = member(body, "call");
    const json* args = member(body, "args");
    const bool full = call && call->is_object() && (args || member(body, "name"));
    ToolCall c;
    if (full) {
        c.name = string_at(body, "name");
        if (!path_tool.empty()) {
            if (!c.name.empty() && c.name != path_tool)
                throw std::invalid_argument("the body names the function \"" + c.name +
                                            "\" but the URL names \"" + std::string(path_tool) + "\"");
            c.name = path_tool;
        }
        c.arguments = arguments_of(args, c.problem);
        r.call_id = string_at(*call, "call_id");
        r.caller_number = string_at(*call, "from_number");
    } else {
        if (path_tool.empty())
            throw std::invalid_argument("expected {\"name\", \"args\", \"call\"} (or POST the arguments alone "
                                        "to /voice/retell/{tool})");
        c.name = path_tool;
        c.arguments = body;
    }
    if (c.name.empty() && c.problem.empty()) c.problem = "the request names no function";
    r.calls.push_back(std::move(c));
    return r;
}

const char* to_string(SignatureCheck c) {
    switch (c) {
        case SignatureCheck::kValid: return "valid";
        case SignatureCheck::kMissing: return "missing";
        case SignatureCheck::kMalformed: return "malformed";
        case SignatureCheck::kStale: return "timestamp outside the tolerance";
        case SignatureCheck::kMismatch: return "does not match";
    }
    return "?";
}

std::string retell_signature(std::string_view key, std::string_view raw_body, std::int64_t timestamp_ms) {
    std::string message(raw_body);
    message += std::to_string(timestamp_ms);
    return "v=" + std::to_string(timestamp_ms) + ",d=" + mcp::hex_encode(mcp::hmac_sha256(key, message));
}

SignatureCheck verify_retell_signature(std::string_view key, std::string_view raw_body,
                                       std::string_view header, std::int64_t now_ms,
                                       std::int64_t tolerance_ms) {
    if (header.empty()) return SignatureCheck::kMissing;
    // ^v=(\d+),d=([0-9a-f]+)$ (Retell SDK webhook_auth.ts)
    if (header.substr(0, 2) != "v=") return SignatureCheck::kMalformed;
    const auto comma = header.find(",d=");
    if (comma == std::string_view::npos) return SignatureCheck::kMalformed;
    const std::string_view ts_text = header.substr(2, comma - 2);
    const std::string_view digest = header.substr(comma + 3);
    for (char ch : ts_text)
        if (ch < '0' || ch > '9') return SignatureCheck::kMalformed;
    bool ok = false;
    const std::int64_t ts = parse_int(ts_text, ok);
    if (!ok || !is_lower_hex(digest) || digest.size() != 64) return SignatureCheck::kMalformed;
    if (ts > now_ms + tolerance_ms || ts < now_ms - tolerance_ms) return SignatureCheck::kStale;
    std::string message(raw_body);
    message.append(ts_text);
    const std::string expected = mcp::hex_encode(mcp::hmac_sha256(key, message));
    return mcp::constant_time_equal(expected, digest) ? SignatureCheck::kValid : SignatureCheck::kMismatch;
}

std::string vapi_signature(std::string_view secret, std::string_view raw_body, std::string_view timestamp) {
    std::string message(timestamp);
    message += '.';
    message.append(raw_body);
    return mcp::hex_encode(mcp::hmac_sha256(secret, message));
}

SignatureCheck verify_vapi_signature(std::string_view secret, std::string_view raw_body,
                                     std::string_view signature, std::string_view timestamp,
                                     std::int64_t now_ms, std::int64_t tolerance_ms) {
    if (signature.empty() || timestamp.empty()) return SignatureCheck::kMissing;
    if (signature.substr(0, 7) == "sha256=") signature.remove_prefix(7);
    const std::string digest = lower(signature);
    bool ok = false;
    std::int64_t ts = parse_int(timestamp, ok);
    if (!ok || ts <= 0 || digest.size() != 64 || !is_lower_hex(digest)) return SignatureCheck::kMalformed;
    const std::int64_t ts_ms = ts < 100'000'000'000 ? ts * 1000 : ts;  // seconds or milliseconds
    if (ts_ms > now_ms + tolerance_ms || ts_ms < now_ms - tolerance_ms) return SignatureCheck::kStale;
    const std::string expected = vapi_signature(secret, raw_body, timestamp);
    return mcp::constant_time_equal(expected, digest) ? SignatureCheck::kValid : SignatureCheck::kMismatch;
}

std::int64_t now_epoch_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace voice
