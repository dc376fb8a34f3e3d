// API keys for our own HTTP endpoints: a SQLite store of named, scoped keys (only their hashes),
// and the Principal a request carries once its key is verified.
#pragma once

#include "app/sqlite.hpp"

#include "mcp/registry.hpp"

#include <any>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace app {

/// Who is calling and what they may do. The HTTP authenticator puts one in every request's
/// principal; an empty principal (stdio, open loopback HTTP, `ghl-mcp call`) is unrestricted.
struct Principal {
    std::string name;                    // key name, or "GHL_MCP_API_KEY"
    std::vector<std::string> locations;  // allowed sub-accounts; empty: any
    std::vector<std::string> toolsets;   // allowed toolsets; empty: every offered one
    bool read_only = false;              // only tools whose readOnlyHint is true

    bool allows_location(const std::string& location) const;
    /// Toolset and read-only rules; the "server" toolset (get_server_status) is in every scope,
    /// as it is in every --toolsets surface, and a composite toolset ("voice") covers its tools.
    bool allows_tool(const mcp::Tool& tool) const;
    bool allows_tool(const std::string& toolset, const std::string& tool, bool tool_read_only) const;
};

/// The Principal in a request's principal slot, or null when the caller is unrestricted.
const Principal* principal_of(const std::any& principal);

/// One stored key as `keys list` shows it (never the key or its hash).
struct KeyInfo {
    Principal scope;
    std::string created_at;  // ISO 8601 UTC
    std::string revoked_at;  // empty while active
};

/// Result of checking a presented key.
struct KeyCheck {
    enum class Status { kValid, kUnknown, kRevoked } status = Status::kUnknown;
    Principal principal;  // when kValid
};

/// The keys database (GHL_MCP_API_KEYS_FILE). Thread-safe.
class KeyStore {
public:
    /// Opens the store; `create` makes the file (mode 0600) and the schema when missing.
    /// Throws std::runtime_error (sqlite::Error) naming the file.
    KeyStore(const std::string& path, bool create);

    /// Creates a key and returns it (the only time it is ever visible; only its hash is
    /// stored). Throws std::invalid_argument for a bad or taken name.
    std::string create(const std::string& name, const std::vector<std::string>& locations,
                       const std::vector<std::string>& toolsets, bool read_only);
    /// Every key, oldest first.
    std::vector<KeyInfo> list() const;
    /// Marks a key revoked; false when no active key has that name.
    bool revoke(const std::string& name);
    /// Number of keys not revoked.
    size_t active_count() const;
    /// Checks a presented key against every stored hash in constant time per hash (no early
    /// exit, so timing says nothing about which key or how much of it matched).
    KeyCheck check(std::string_view key) const;

    const std::string& path() const { return db_.path(); }

private:
    mutable std::mutex mu_;
    mutable sqlite::Database db_;
};

/// The stored digest of a key: HMAC-SHA256 under a fixed, versioned label (32 bytes).
std::string key_hash(std::string_view key);
/// A fresh key: "ghlmcp_" + base64url of 32 random bytes.
std::string generate_key();
/// Why `name` cannot name a key (empty when it can): 1-64 of [A-Za-z0-9_.-], not a reserved
/// principal name (stdio, local, anonymous, GHL_MCP_API_KEY).
std::string key_name_problem(const std::string& name);

}  // namespace app
