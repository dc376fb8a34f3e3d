#include "core/net.hpp"

namespace core {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/// 127.0.0.0/8 as a dotted quad.
bool is_loopback_ipv4(std::string_view host) {
    int parts = 0;
    std::size_t i = 0;
    while (i < host.size()) {
        const std::size_t start = i;
        int value = 0;
        while (i < host.size() && host[i] >= '0' && host[i] <= '9' && i - start < 3)
            value = value * 10 + (host[i++] - '0');
        if (i == start || value > 255 || (parts == 0 && value != 127)) return false;
        ++parts;
        if (i == host.size()) break;
        if (host[i] != '.' || parts == 4) return false;
        ++i;
        if (i == host.size()) return false;
    }
    return parts == 4;
}

}  // namespace

std::optional<std::string_view> host_of(std::string_view value) {
    std::size_t host_end = value.size();
    if (!value.empty() && value.front() == '[') {
        const auto close = value.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host_end = close + 1;
    } else if (const auto colon = value.find(':'); colon != std::string_view::npos) {
        if (value.find(':', colon + 1) != std::string_view::npos) return value;  // a bare IPv6
        host_end = colon;
    }
    const std::string_view port = value.substr(host_end);
    if (!port.empty()) {
        if (port.size() < 2 || port.front() != ':') return std::nullopt;
        for (char c : port.substr(1))
            if (c < '0' || c > '9') return std::nullopt;
    }
    return value.substr(0, host_end);
}

bool is_loopback_host(std::string_view host_port) {
    const auto host = host_of(host_port);
    if (!host) return false;
    return iequals(*host, "localhost") || *host == "[::1]" || *host == "::1" || is_loopback_ipv4(*host);
}

bool is_loopback_origin(std::string_view origin) {
    std::string_view rest;
    if (origin.substr(0, 7) == "http://")
        rest = origin.substr(7);
    else if (origin.substr(0, 8) == "https://")
        rest = origin.substr(8);
    else
        return false;  // "null" (a sandboxed page, a file), other schemes
    return is_loopback_host(rest);
}

}  // namespace core
