// Percent-encoding and path-template expansion. Encoding happens here and only here, so a value
// is encoded exactly once on its way to the wire.
#include "ghl/url.hpp"

#include <stdexcept>

#include "ghl/errors.hpp"

namespace ghl {
namespace {

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string percent_encode(std::string_view raw) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(raw.size() + raw.size() / 4);
    for (char ch : raw) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0x0F]);
        }
    }
    return out;
}

std::string percent_decode(std::string_view encoded) {
    std::string out;
    out.reserve(encoded.size());
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (encoded[i] == '%' && i + 2 < encoded.size()) {
            const int hi = hex_value(encoded[i + 1]);
            const int lo = hex_value(encoded[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(encoded[i]);
    }
    return out;
}

std::string encode_query(const Params& params) {
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty()) out.push_back('&');
        out += percent_encode(name);
        out.push_back('=');
        out += percent_encode(value);
    }
    return out;
}

std::string id_problem(std::string_view value) {
    if (value.empty()) return "is empty";
    if (value.size() > kMaxIdLength) {
        return "is " + std::to_string(value.size()) + " characters long (at most " +
               std::to_string(kMaxIdLength) + ")";
    }
    if (value.find("..") != std::string_view::npos) return "contains '..'";
    for (char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) return "contains a control character";
        if (c >= 0x80) return "contains a non-ASCII character";
        switch (ch) {
            case '/':
                return "contains '/'";
            case '\\':
                return "contains '\\'";
            case '?':
                return "contains '?'";
            case '#':
                return "contains '#'";
            case '%':
                return "contains '%'";
            case ' ':
                return "contains a space";
            default:
                break;
        }
    }
    return {};
}

std::vector<std::string> path_placeholders(std::string_view path_template) {
    std::vector<std::string> names;
    std::size_t pos = 0;
    while ((pos = path_template.find('{', pos)) != std::string_view::npos) {
        const auto end = path_template.find('}', pos);
        if (end == std::string_view::npos) {
            throw std::invalid_argument("unterminated '{' in path template " +
                                        std::string(path_template));
        }
        names.emplace_back(path_template.substr(pos + 1, end - pos - 1));
        pos = end + 1;
    }
    return names;
}

std::string expand_path(std::string_view path_template, const Params& path_params,
                        std::string_view endpoint_id) {
    const auto names = path_placeholders(path_template);
    for (const auto& [name, value] : path_params) {
        int seen = 0;
        for (const auto& n : names) seen += (n == name) ? 1 : 0;
        int given = 0;
        for (const auto& p : path_params) given += (p.first == name) ? 1 : 0;
        if (seen == 0 || given > 1) {
            throw std::invalid_argument("path parameter '" + name +
                                        (seen == 0 ? "' is not in " : "' is given twice for ") +
                                        std::string(path_template));
        }
    }
    std::string out;
    out.reserve(path_template.size() + 32);
    std::size_t pos = 0;
    for (const auto& name : names) {
        const auto open = path_template.find('{', pos);
        out.append(path_template.substr(pos, open - pos));
        const std::string* value = nullptr;
        for (const auto& p : path_params) {
            if (p.first == name) value = &p.second;
        }
        if (value == nullptr) {
            throw std::invalid_argument("path parameter '" + name + "' is missing for " +
                                        std::string(path_template));
        }
        if (auto problem = id_problem(*value); !problem.empty()) {
            ApiError::Details d;
            d.kind = ErrorKind::kInvalidArgument;
            d.endpoint_id = std::string(endpoint_id);
            d.messages.push_back(name + " " + problem);
            d.path_params = path_params;
            d.bad_param = name;
            throw ApiError(std::move(d));
        }
        out += percent_encode(*value);
        pos = path_template.find('}', open) + 1;
    }
    out.append(path_template.substr(pos));
    return out;
}

}  // namespace ghl
