// Small crypto and encoding helpers on OpenSSL: random bytes, HMAC-SHA256, base64, hex, time stamps.
#pragma once

#include <string>
#include <string_view>

namespace mcp {

std::string random_bytes(size_t n);
std::string hmac_sha256(std::string_view key, std::string_view data);
bool constant_time_equal(std::string_view a, std::string_view b);
std::string base64_encode(std::string_view data);
/// Decodes standard base64 (padding optional); returns empty on invalid input and sets ok=false.
std::string base64_decode(std::string_view data, bool* ok = nullptr);
/// RFC 4648 base64 with the standard alphabet, length a multiple of 4 and correct padding.
std::string base64_decode_strict(std::string_view data, bool* ok);
std::string base64url_encode(std::string_view data);
std::string base64url_decode(std::string_view data);
/// Lowercase hex, two characters per byte.
std::string hex_encode(std::string_view data);
/// Decodes hex (either case, even length); returns empty on invalid input and sets ok=false.
std::string hex_decode(std::string_view data, bool* ok);
/// Current UTC time as ISO 8601 with milliseconds ("2026-11-23T07:21:35.123Z").
std::string iso_now();

}  // namespace mcp
