#include "app/logging.hpp"

#include "mcp/log_context.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <array>
#include <ctime>

namespace app {
namespace {

constexpr std::string_view kRedacted = "[redacted]";

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
    return is_alpha(c) || is_digit(c);
}
/// Characters of identifiers and key names: a match must not start or end inside one.
bool is_word(char c) {
    return is_alnum(c) || c == '_' || c == '-';
}
/// Characters of credentials (base64, base64url, hex, JWT dots, URL-safe punctuation).
bool is_token_char(char c) {
    return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' ||
           c == '=';
}
char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_nocase(std::string_view s, std::size_t at, std::string_view prefix) {
    if (at > s.size() || s.size() - at < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (lower(s[at + i]) != prefix[i]) return false;
    return true;
}

/// True when position `i` starts a word (nothing identifier-like right before it).
bool word_start(std::string_view s, std::size_t i) {
    return i == 0 || !is_word(s[i - 1]);
}

// --- secrets in URLs: scheme://user:password@host ----------------------------------------

std::string redact_userinfo(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto at = s.find("://", i);
        if (at == std::string_view::npos) break;
        const std::size_t begin = at + 3;
        std::size_t j = begin;
        while (j < s.size() && s[j] != '/' && s[j] != '?' && s[j] != '#' && s[j] != '@' &&
               s[j] != '"' && s[j] != '\'' && s[j] != ' ' && s[j] != '\t' && s[j] != '\n')
            ++j;
        out.append(s.substr(i, begin - i));
        if (j < s.size() && s[j] == '@' && j > begin) {
            out.append(kRedacted);
            i = j;
        } else {
            i = begin;
        }
    }
    out.append(s.substr(i));
    return out;
}

// --- secret-named fields: "access_token":"...", client_secret=..., Authorization: ... ------

/// Whether a field of this name holds a secret or personal data. Names are compared lower-cased
/// without '_' and '-', so access_token, accessToken, X-Vapi-Secret and GHL_MCP_API_KEY are all
/// recognised.
bool secret_field(std::string_view name) {
    std::string n;
    for (char c : name)
        if (c != '_' && c != '-') n.push_back(lower(c));
    if (n == "code") return true;  // OAuth authorization codes (query strings, form bodies)
    // A contact's identity, in whatever format it was written ("phone":"555 1234").
    static constexpr std::array<std::string_view, 9> kPersonal = {
        "email",       "phone",    "firstname", "lastname",   "fullname",
        "contactname", "address1", "address2",  "dateofbirth"};
    for (auto p : kPersonal)
        if (n == p) return true;
    static constexpr std::array<std::string_view, 10> kSuffixes = {
        "token",      "secret",   "password",      "passwd", "apikey",
        "privatekey", "storekey", "authorization", "cookie", "credential"};
    for (auto suffix : kSuffixes)
        if (n.size() >= suffix.size() &&
            n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
            return true;
    return false;
}

std::string redact_fields(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0, copied = 0;
    while (i < s.size()) {
        if (!is_alpha(s[i]) || !word_start(s, i)) {
            ++i;
            continue;
        }
        std::size_t k = i;
        while (k < s.size() && is_word(s[k])) ++k;
        const std::string_view name = s.substr(i, k - i);
        const std::size_t name_end = k;
        if (!secret_field(name)) {
            i = k;
            continue;
        }
        // A quoted name ("name" or \"name\" in JSON dumped into JSON) takes a JSON value.
        const bool quoted = i > 0 && s[i - 1] == '"';
        if (quoted) {
            if (k < s.size() && s[k] == '\\') ++k;
            if (k < s.size() && s[k] == '"') ++k;
        }
        while (k < s.size() && s[k] == ' ') ++k;
        const bool separator =
            k < s.size() && (s[k] == '=' || (s[k] == ':' && (s.substr(k, 3) != "://")));
        if (!separator ||
            (s[k] == ':' && !quoted && name.size() == 4 && starts_with_nocase(name, 0, "code"))) {
            i = name_end;
            continue;
        }
        ++k;
        while (k < s.size() && s[k] == ' ') ++k;
        // An authorization scheme stays readable ("Bearer xyz" -> "Bearer [redacted]").
        auto skip_scheme = [&](std::size_t at, std::size_t limit) {
            for (std::string_view scheme : {"bearer ", "basic ", "token ", "digest "}) {
                if (limit - at > scheme.size() && starts_with_nocase(s, at, scheme)) {
                    at += scheme.size();
                    while (at < limit && s[at] == ' ') ++at;
                    break;
                }
            }
            return at;
        };
        std::size_t begin = k, end = k;
        if (s.substr(k, 2) == "\\\"") {  // \"value\" (JSON inside a JSON string)
            end = s.find("\\\"", k + 2);
            if (end == std::string_view::npos) end = s.size();
            begin = skip_scheme(k + 2, end);
        } else if (k < s.size() && s[k] == '"') {
            end = k + 1;
            while (end < s.size() && s[end] != '"')
                end += (s[end] == '\\' && end + 1 < s.size()) ? 2 : 1;
            end = std::min(end, s.size());
            begin = skip_scheme(k + 1, end);
        } else if (quoted) {
            i = name_end;  // a number, null, object...: not a credential ("code":-32602)
            continue;
        } else {
            begin = end = skip_scheme(k, s.size());
            while (end < s.size() && s[end] != ' ' && s[end] != '\t' && s[end] != '\n' &&
                   s[end] != '&' && s[end] != ',' && s[end] != ';' && s[end] != '"' &&
                   s[end] != '\'' && s[end] != '}' && s[end] != ')' && s[end] != ']' &&
                   s[end] != '<' && s[end] != '>')
                ++end;
        }
        if (s.substr(begin, kRedacted.size()) == kRedacted) {
            i = begin + kRedacted.size();
            continue;
        }
        if (end > begin) {
            out.append(s.substr(copied, begin - copied));
            out.append(kRedacted);
            copied = end;
        }
        i = std::max(end, name_end);
    }
    out.append(s.substr(copied));
    return out;
}

// --- credentials recognisable by their shape ---------------------------------------------

/// Length of the credential starting at `i` (0 when none): "Bearer <token>" (the token only is
/// reported through `skip`), pit-..., ghlmcp_..., eyJ... (JWTs, base64 JSON).
std::size_t credential_at(std::string_view s, std::size_t i, std::size_t& skip) {
    skip = 0;
    if (!word_start(s, i)) return 0;
    auto run = [&](std::size_t from, auto accept) {
        std::size_t j = from;
        while (j < s.size() && accept(s[j])) ++j;
        return j - from;
    };
    if (starts_with_nocase(s, i, "bearer ")) {
        std::size_t from = i + 7;
        while (from < s.size() && s[from] == ' ') ++from;
        const std::size_t n = run(from, is_token_char);
        const std::string_view t = s.substr(from, n);
        bool digit_or_punct = false;
        for (char c : t) digit_or_punct |= !is_alpha(c);
        // Prose ("the Bearer credential") is short and plain letters; credentials are not.
        if (n >= 20 || (n >= 8 && digit_or_punct)) {
            skip = from - i;
            return n;
        }
        return 0;
    }
    if (s.compare(i, 4, "pit-") == 0) {
        const std::size_t n = run(i + 4, [](char c) { return is_alnum(c) || c == '-'; });
        return n >= 8 ? 4 + n : 0;
    }
    if (s.compare(i, 7, "ghlmcp_") == 0) {
        const std::size_t n =
            run(i + 7, [](char c) { return is_alnum(c) || c == '-' || c == '_'; });
        return n >= 16 ? 7 + n : 0;
    }
    if (s.compare(i, 3, "eyJ") == 0) {
        std::size_t n =
            run(i, [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
        while (n > 0 && s[i + n - 1] == '.') --n;  // a sentence's full stop
        const bool dotted = s.substr(i, n).find('.') != std::string_view::npos;
        // GHL ids are ~20 characters; a JWT or base64 JSON is longer (or has dots).
        return (dotted && n >= 20) || n >= 32 ? n : 0;
    }
    return 0;
}

std::string redact_credentials(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0, copied = 0;
    while (i < s.size()) {
        std::size_t skip = 0;
        const std::size_t n = credential_at(s, i, skip);
        if (n == 0) {
            ++i;
            continue;
        }
        out.append(s.substr(copied, i + skip - copied));
        out.append(kRedacted);
        i = copied = i + skip + n;
    }
    out.append(s.substr(copied));
    return out;
}

// --- personal data ----------------------------------------------------------------------

bool is_email_local(char c) {
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'';
}

std::string redact_emails(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t copied = 0, at = 0;
    while ((at = s.find('@', at)) != std::string_view::npos) {
        std::size_t l = at;
        while (l > copied && is_email_local(s[l - 1])) --l;
        while (l < at && (s[l] == '.' || s[l] == '\'')) ++l;
        std::size_t r = at + 1;
        while (r < s.size() && (is_alnum(s[r]) || s[r] == '.' || s[r] == '-')) ++r;
        while (r > at + 1 && (s[r - 1] == '.' || s[r - 1] == '-')) --r;
        const std::string_view domain = s.substr(at + 1, r - at - 1);
        const auto dot = domain.rfind('.');
        bool tld = dot != std::string_view::npos && dot > 0 && domain.size() - dot - 1 >= 2;
        for (std::size_t d = (tld ? dot + 1 : domain.size()); d < domain.size(); ++d)
            tld &= is_alpha(domain[d]);
        if (l < at && tld) {
            out.append(s.substr(copied, l - copied));
            out.append("[email]");
            copied = r;
        }
        at = std::max(at + 1, r);
    }
    out.append(s.substr(copied));
    return out;
}

bool phone_separator(char c) {
    return c == ' ' || c == '-' || c == '.';
}

/// Length of an international number (+ and 8-15 digits) at `i`, else 0.
std::size_t international_phone_at(std::string_view s, std::size_t i) {
    if (s[i] != '+' || (i > 0 && (is_word(s[i - 1]) || s[i - 1] == '+'))) return 0;
    std::size_t j = i + 1, digits = 0, end = 0;
    while (j < s.size()) {
        if (is_digit(s[j])) {
            if (++digits > 15) return 0;
            end = ++j;
            continue;
        }
        // One separator and/or a parenthesised area code between digit groups.
        if (digits == 0) break;
        std::size_t k = j;
        if (k < s.size() && s[k] == ')') ++k;
        if (k < s.size() && phone_separator(s[k])) ++k;
        if (k < s.size() && s[k] == '(') ++k;
        if (k == j || k >= s.size() || !is_digit(s[k])) break;
        j = k;
    }
    if (digits < 8 || digits > 15) return 0;
    if (end < s.size() && (is_word(s[end]) || s[end] == '@')) return 0;
    return end - i;
}

/// Length of a North American number written with separators at `i`: [1-](555) 123-4567,
/// 555-123-4567, 555.123.4567, 555 123 4567; else 0.
std::size_t national_phone_at(std::string_view s, std::size_t i) {
    if (i > 0 && (is_word(s[i - 1]) || s[i - 1] == '+' || s[i - 1] == '.' || s[i - 1] == ':' ||
                  s[i - 1] == '/'))
        return 0;
    std::size_t j = i;
    auto digits = [&](std::size_t n) {
        for (std::size_t d = 0; d < n; ++d, ++j)
            if (j >= s.size() || !is_digit(s[j])) return false;
        return true;
    };
    if (j + 1 < s.size() && s[j] == '1' && (phone_separator(s[j + 1]))) j += 2;  // country code
    if (j < s.size() && s[j] == '(') {
        ++j;
        if (!digits(3) || j >= s.size() || s[j] != ')') return 0;
        ++j;
        if (j < s.size() && s[j] == ' ') ++j;
    } else {
        if (!digits(3) || j >= s.size() || !phone_separator(s[j])) return 0;
        ++j;
    }
    if (!digits(3) || j >= s.size() || !phone_separator(s[j])) return 0;
    ++j;
    if (!digits(4)) return 0;
    if (j < s.size() && (is_word(s[j]) || s[j] == '@')) return 0;
    if (j + 1 < s.size() && (s[j] == '.' || s[j] == '-') && is_digit(s[j + 1])) return 0;
    return j - i;
}

std::string redact_phones(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0, copied = 0;
    while (i < s.size()) {
        std::size_t n = 0;
        if (s[i] == '+')
            n = international_phone_at(s, i);
        else if (is_digit(s[i]) || s[i] == '(')
            n = national_phone_at(s, i);
        if (n == 0) {
            ++i;
            continue;
        }
        out.append(s.substr(copied, i - copied));
        out.append("[phone]");
        i = copied = i + n;
    }
    out.append(s.substr(copied));
    return out;
}

// --- formatters ---------------------------------------------------------------------------

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v";

class TextFormatter final : public spdlog::formatter {
  public:
    TextFormatter() : inner_(std::make_unique<spdlog::pattern_formatter>(kTextPattern)) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const std::string clean =
            redact_log_text(std::string_view(msg.payload.data(), msg.payload.size()));
        spdlog::details::log_msg copy = msg;
        copy.payload = spdlog::string_view_t(clean.data(), clean.size());
        inner_->format(copy, dest);
        msg.color_range_start = copy.color_range_start;  // the colour sink reads them from msg
        msg.color_range_end = copy.color_range_end;
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<TextFormatter>();
    }

  private:
    std::unique_ptr<spdlog::pattern_formatter> inner_;
};

const char* level_name(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
            return "trace";
        case spdlog::level::debug:
            return "debug";
        case spdlog::level::info:
            return "info";
        case spdlog::level::warn:
            return "warn";
        case spdlog::level::err:
            return "error";
        case spdlog::level::critical:
            return "critical";
        default:
            return "off";
    }
}

std::string utc_timestamp(spdlog::log_clock::time_point t) {
    const auto since = t.time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since - secs).count();
    std::time_t tt = static_cast<std::time_t>(secs.count());
    if (ms < 0) {  // before 1970: keep the fraction positive
        ms += 1000;
        --tt;
    }
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       static_cast<int>(ms));
}

class JsonFormatter final : public spdlog::formatter {
  public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        nlohmann::ordered_json line;
        line["ts"] = utc_timestamp(msg.time);
        line["level"] = level_name(msg.level);
        line["msg"] = redact_log_text(std::string_view(msg.payload.data(), msg.payload.size()));
        if (const mcp::LogContext* c = mcp::current_log_context()) {
            if (!c->request_id.empty()) line["request_id"] = c->request_id;
            if (!c->tool.empty()) line["tool"] = c->tool;
            if (!c->session.empty()) line["session"] = c->session;
        }
        // Invalid UTF-8 (a truncated body) becomes U+FFFD instead of throwing.
        const std::string text =
            line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
        dest.append(text.data(), text.data() + text.size());
        dest.push_back('\n');
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>();
    }
};

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view name) {
    if (name == "text") return LogFormat::kText;
    if (name == "json") return LogFormat::kJson;
    return std::nullopt;
}

bool is_log_level(std::string_view name) {
    for (std::string_view level : {"trace", "debug", "info", "warn", "error", "critical", "off"})
        if (name == level) return true;
    return false;
}

std::string redact_log_text(std::string_view text) {
    // Secrets first (a token may look like a phone number's digits), then personal data.
    std::string s = redact_userinfo(text);
    s = redact_fields(s);
    s = redact_credentials(s);
    s = redact_emails(s);
    return redact_phones(s);
}

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format) {
    if (format == LogFormat::kJson) return std::make_unique<JsonFormatter>();
    return std::make_unique<TextFormatter>();
}

void setup_logging(const std::string& level, LogFormat format) {
    // JSON goes to log pipelines: no terminal colour codes in it.
    auto logger = format == LogFormat::kJson ? spdlog::stderr_logger_mt("ghl-mcp")
                                             : spdlog::stderr_color_mt("ghl-mcp");
    logger->set_formatter(make_log_formatter(format));
    spdlog::set_default_logger(logger);
    spdlog::set_level(is_log_level(level) ? spdlog::level::from_str(level) : spdlog::level::info);
}

}  // namespace app
