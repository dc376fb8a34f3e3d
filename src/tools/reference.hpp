// Resources, prompts and completions over the tool catalog.
//
// Resources are the reference data an assistant reads often (the location, pipelines with stages,
// calendars, custom fields, users, tags) plus templates for single records
// (ghl://contacts/{contactId}, ghl://opportunities/{opportunityId}). Each is the structured result
// of the matching tool (one shaping code path), cached with a TTL and dropped as soon as one of our
// own writes may have changed it (GhlAccess::on_write), with notifications/resources/updated to
// subscribers.
#pragma once

#include "ghl/http.hpp"
#include "mcp/registry.hpp"
#include "tools/catalog.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tools {

/// A small TTL cache keyed by resource URI. Thread-safe.
class ReferenceCache {
public:
    using Clock = std::chrono::steady_clock;
    std::optional<json> get(const std::string& uri);
    void put(const std::string& uri, json value, std::chrono::milliseconds ttl);
    /// Drops `uri`; returns whether it was cached.
    bool invalidate(const std::string& uri);
    std::size_t size() const;

private:
    struct Entry {
        json value;
        Clock::time_point expires;
    };
    mutable std::mutex mutex_;
    std::map<std::string, Entry> entries_;
};

/// The resource URIs a successful write to `endpoint` (with these path parameters) may have made
/// stale, e.g. contacts.update {contactId: X} -> ghl://contacts/X and ghl://tags.
std::vector<std::string> stale_after_write(std::string_view endpoint, const ghl::Params& path);

/// Checked before a resource, resource template or prompt reads GHL data through the tool
/// `tool` (the reading always concerns the default sub-account). Throws mcp::RpcError to refuse
/// (the app refuses API keys whose scope excludes that tool or sub-account).
using ReferenceGuard = std::function<void(const std::string& tool, mcp::ToolContext& ctx)>;

/// Registers the resources, resource templates, prompts and completions. Resources whose tool
/// is not in the catalog are skipped. `env.cache` must be set when env.ghl is. `guard`, when
/// given, runs before every read, ahead of the cache (a cached value is no less private).
void register_reference(mcp::Registry& registry, const Environment& env, const ReferenceGuard& guard = {});

/// The catalog tool whose data a resource URI (or a URI of a resource template) shows, e.g.
/// ghl://contacts/X -> get_contact; "" for a URI this server does not serve.
std::string resource_tool(const std::string& uri);

}  // namespace tools
