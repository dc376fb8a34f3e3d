// Host and Origin checks every door shares (DNS-rebinding protection, the loopback-only default):
// one parser, so "[::1]evil.com" or "localhost.evil.com" is refused the same way everywhere.
#pragma once

#include <optional>
#include <string_view>

namespace core {

/// The host of "host[:port]" or "[v6][:port]", or nullopt when anything but a ":port" of digits
/// follows it ("[::1]evil.com", "localhost:80x").
std::optional<std::string_view> host_of(std::string_view host_port);

/// True when `host_port` (a Host header value or a listen address, with or without a port) is a
/// loopback name: localhost, a dotted-quad 127.0.0.0/8 address, [::1] (or a bare ::1).
bool is_loopback_host(std::string_view host_port);

/// True when an Origin header value is http(s)://<loopback host>[:port] and nothing else.
bool is_loopback_origin(std::string_view origin);

}  // namespace core
