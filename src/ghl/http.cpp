// Header list and request helpers of the HTTP seam.
#include "ghl/http.hpp"

#include <algorithm>

#include "ghl/url.hpp"

namespace ghl {

std::string_view to_string(Method method) {
    switch (method) {
        case Method::kGet:
            return "GET";
        case Method::kPost:
            return "POST";
        case Method::kPut:
            return "PUT";
        case Method::kDelete:
            return "DELETE";
        case Method::kPatch:
            return "PATCH";
    }
    return "GET";
}

std::string_view to_string(TransportError error) {
    switch (error) {
        case TransportError::kNone:
            return "none";
        case TransportError::kTimeout:
            return "timeout";
        case TransportError::kConnectFailed:
            return "connect failed";
        case TransportError::kConnectionLost:
            return "connection lost";
        case TransportError::kTls:
            return "tls";
        case TransportError::kOther:
            return "other";
    }
    return "other";
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

void Headers::add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
    std::erase_if(items_, [&](const auto& item) { return iequals(item.first, name); });
    items_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> Headers::get(std::string_view name) const {
    auto it = std::find_if(items_.begin(), items_.end(),
                           [&](const auto& item) { return iequals(item.first, name); });
    if (it == items_.end()) return std::nullopt;
    return it->second;
}

std::string Request::url_with_query() const {
    if (query.empty()) return url;
    return url + "?" + encode_query(query);
}

}  // namespace ghl
