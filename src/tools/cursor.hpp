// Sealed pagination cursors. A listing tool hands the model an opaque `nextCursor` and takes it
// back to fetch the next page; the text inside (ghl::encode_cursor) says where the page starts.
// A client could forge that text, so every cursor leaving a tool is sealed with an HMAC that
// binds it to the tool that made it, the sub-account it listed and the API key that asked for
// it: a cursor altered, made up, or carried to another tool, sub-account or key is refused
// before any GHL request, with a text telling the model to start again without a cursor.
//
// The key is a server secret (the App derives it from the MCP server's requestState key); it
// never appears in a cursor, an error, a log line or the audit log.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace tools {

/// Whom a cursor was made for.
struct CursorBinding {
    std::string tool;       // the tool's name ("search_contacts")
    std::string location;   // the sub-account the listing reads
    std::string principal;  // the API key's name ("" for unkeyed callers: stdio, open loopback)
};

class CursorSeal {
  public:
    /// `key`: at least 32 secret bytes. Throws std::invalid_argument when shorter.
    explicit CursorSeal(std::string key);
    /// A fresh random key (a seal for one process: its cursors die with it).
    static std::shared_ptr<const CursorSeal> random();

    /// "c2." + base64url(cursor) + "." + base64url(HMAC(key, binding + cursor)).
    std::string seal(std::string_view cursor, const CursorBinding& binding) const;
    /// The cursor text sealed for `binding`. Throws ToolFailure ([tools.invalid_cursor]) when
    /// `sealed` is not a sealed cursor, was altered, or was made for another tool, sub-account
    /// or key; the text never says which (nor anything of the binding it was made for).
    std::string open(std::string_view sealed, const CursorBinding& binding) const;

  private:
    std::string mac(std::string_view cursor, const CursorBinding& binding) const;
    std::string key_;
};

}  // namespace tools
