#include "app/keys.hpp"

#include "mcp/crypto.hpp"
#include "tools/catalog.hpp"

#include <algorithm>
#include <stdexcept>

namespace app {
namespace {

using json = mcp::json;

constexpr std::string_view kHashLabel = "ghl-mcp api key v1";

std::string to_json(const std::vector<std::string>& list) { return json(list).dump(); }

std::vector<std::string> from_json(const std::string& text) {
    auto j = json::parse(text, nullptr, false);
    std::vector<std::string> out;
    if (!j.is_array()) return out;
    for (const auto& v : j)
        if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

Principal read_scope(const sqlite::Statement& s, int first) {
    Principal p;
    p.name = s.text(first);
    p.locations = from_json(s.text(first + 1));
    p.toolsets = from_json(s.text(first + 2));
    p.read_only = s.integer(first + 3) != 0;
    return p;
}

}  // namespace

bool Principal::allows_location(const std::string& location) const {
    return locations.empty() || std::find(locations.begin(), locations.end(), location) != locations.end();
}

bool Principal::allows_tool(const mcp::Tool& tool) const {
    return allows_tool(tool.toolset, tool.name(), tool.read_only());
}

bool Principal::allows_tool(const std::string& toolset, const std::string& tool, bool tool_read_only) const {
    if (read_only && !tool_read_only) return false;
    if (toolsets.empty() || toolset == "server") return true;
    return std::any_of(toolsets.begin(), toolsets.end(),
                       [&](const std::string& allowed) { return tools::toolset_covers(allowed, tool, toolset); });
}

const Principal* principal_of(const std::any& principal) { return std::any_cast<Principal>(&principal); }

std::string key_hash(std::string_view key) { return mcp::hmac_sha256(kHashLabel, key); }

std::string generate_key() { return "ghlmcp_" + mcp::base64url_encode(mcp::random_bytes(32)); }

std::string key_name_problem(const std::string& name) {
    if (name.empty() || name.size() > 64) return "a key name has 1 to 64 characters";
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-' || c == '.';
        if (!ok) return "a key name uses only letters, digits, '_', '-' and '.'";
    }
    for (const char* reserved : {"stdio", "local", "anonymous", "GHL_MCP_API_KEY"})
        if (name == reserved) return "\"" + name + "\" is reserved (the audit log uses it for unkeyed callers)";
    return {};
}

KeyStore::KeyStore(const std::string& path, bool create) : db_(path, create) {
    db_.exec(
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE IF NOT EXISTS api_keys ("
        "  name TEXT PRIMARY KEY,"
        "  key_hash BLOB NOT NULL UNIQUE,"
        "  locations TEXT NOT NULL DEFAULT '[]',"
        "  toolsets TEXT NOT NULL DEFAULT '[]',"
        "  read_only INTEGER NOT NULL DEFAULT 0,"
        "  created_at TEXT NOT NULL,"
        "  revoked_at TEXT);");
}

std::string KeyStore::create(const std::string& name, const std::vector<std::string>& locations,
                             const std::vector<std::string>& toolsets, bool read_only) {
    if (auto problem = key_name_problem(name); !problem.empty())
        throw std::invalid_argument("invalid key name \"" + name + "\": " + problem);
    std::string key = generate_key();
    std::lock_guard lock(mu_);
    auto s = db_.prepare(
        "INSERT INTO api_keys (name, key_hash, locations, toolsets, read_only, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    s.bind(1, name).bind_blob(2, key_hash(key)).bind(3, to_json(locations)).bind(4, to_json(toolsets));
    s.bind(5, int64_t{read_only ? 1 : 0}).bind(6, mcp::iso_now());
    try {
        s.run();
    } catch (const sqlite::Error& e) {
        if (e.unique_violation())
            throw std::invalid_argument("a key named \"" + name +
                                        "\" already exists (revoked keys keep their name); pick another name");
        throw;
    }
    return key;
}

std::vector<KeyInfo> KeyStore::list() const {
    std::lock_guard lock(mu_);
    auto s = db_.prepare(
        "SELECT name, locations, toolsets, read_only, created_at, revoked_at FROM api_keys "
        "ORDER BY created_at, name");
    std::vector<KeyInfo> out;
    while (s.step()) {
        KeyInfo k;
        k.scope = read_scope(s, 0);
        k.created_at = s.text(4);
        k.revoked_at = s.text(5);
        out.push_back(std::move(k));
    }
    return out;
}

bool KeyStore::revoke(const std::string& name) {
    std::lock_guard lock(mu_);
    auto s = db_.prepare("UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL");
    s.bind(1, mcp::iso_now()).bind(2, name).run();
    return db_.changes() > 0;
}

size_t KeyStore::active_count() const {
    std::lock_guard lock(mu_);
    auto s = db_.prepare("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL");
    return s.step() ? static_cast<size_t>(s.integer(0)) : 0;
}

KeyCheck KeyStore::check(std::string_view key) const {
    const std::string presented = key_hash(key);
    KeyCheck result;
    std::lock_guard lock(mu_);
    // Read every row and compare each hash: revocations made by `ghl-mcp keys revoke` while the
    // server runs take effect on the next request.
    auto s = db_.prepare("SELECT key_hash, name, locations, toolsets, read_only, revoked_at FROM api_keys");
    while (s.step()) {
        if (!mcp::constant_time_equal(s.blob(0), presented)) continue;
        result.principal = read_scope(s, 1);
        result.status = s.is_null(5) ? KeyCheck::Status::kValid : KeyCheck::Status::kRevoked;
    }
    return result;
}

}  // namespace app
