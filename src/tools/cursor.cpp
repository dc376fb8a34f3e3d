#include "tools/cursor.hpp"

#include "ghl/pagination.hpp"
#include "mcp/crypto.hpp"
#include "tools/ghl_access.hpp"

#include <stdexcept>

namespace tools {
namespace {

constexpr std::string_view kPrefix = "c2.";
// ghl's cursors are at most 4,096 characters; sealing adds a third and the MAC.
constexpr std::size_t kMaxSealedChars = 6000;
// Domain separation: the same server secret also seals MRTR requestState; a MAC made for one
// can never pass as the other.
constexpr std::string_view kLabel = "ghl-mcp cursor v2";

[[noreturn]] void refuse(const std::string& why) {
    throw ToolFailure("[tools.invalid_cursor] The cursor " + why +
                      ". Call the tool again with the same arguments and no cursor to start from "
                      "the first page.");
}

// Length-prefixed, so no choice of names can make two bindings read the same.
void put(std::string& out, std::string_view field) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
}

}  // namespace

CursorSeal::CursorSeal(std::string key) : key_(std::move(key)) {
    if (key_.size() < 32) throw std::invalid_argument("a cursor key needs at least 32 bytes");
}

std::shared_ptr<const CursorSeal> CursorSeal::random() {
    return std::make_shared<const CursorSeal>(mcp::random_bytes(32));
}

std::string CursorSeal::mac(std::string_view cursor, const CursorBinding& b) const {
    std::string data;
    put(data, kLabel);
    put(data, b.tool);
    put(data, b.location);
    put(data, b.principal);
    put(data, cursor);
    return mcp::hmac_sha256(key_, data);
}

std::string CursorSeal::seal(std::string_view cursor, const CursorBinding& binding) const {
    return std::string(kPrefix) + ghl::base64url_encode(cursor) + "." +
           ghl::base64url_encode(mac(cursor, binding));
}

std::string CursorSeal::open(std::string_view sealed, const CursorBinding& binding) const {
    if (sealed.size() > kMaxSealedChars) refuse("is too long to be one this server made");
    if (sealed.substr(0, kPrefix.size()) != kPrefix)
        refuse("is not one this server returned (copy nextCursor exactly)");
    const std::string_view rest = sealed.substr(kPrefix.size());
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos) refuse("is incomplete (copy nextCursor exactly)");
    const auto cursor = ghl::base64url_decode(rest.substr(0, dot));
    const auto given = ghl::base64url_decode(rest.substr(dot + 1));
    if (!cursor || !given) refuse("is corrupted (copy nextCursor exactly)");
    if (!mcp::constant_time_equal(*given, mac(*cursor, binding)))
        refuse(
            "was altered, or was returned for another tool, sub-account or API key (or "
            "before the server restarted)");
    return *cursor;
}

}  // namespace tools
