// The tool catalog: every tool's definition comes from schemas/tools/<name>.json (embedded in
// the binary); its handler is registered in exactly one list (catalog.cpp). A definition
// without a handler, or a handler without a definition, fails at start-up and in the tests.
#pragma once

#include "mcp/registry.hpp"
#include "tools/cursor.hpp"

#include <any>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace events {
class EventStore;
}

namespace tools {

using json = mcp::json;

class GhlAccess;
class ReferenceCache;

/// What handlers need from the application. Grows as tool groups land (GHL client, stores).
struct Environment {
    std::string server_name = "ghl-mcp";
    std::string server_version;
    bool sandbox = false;
    std::string api_base_url;
    std::string default_location_id;
    /// The marketplace app id /oauth/installedLocations needs (OAuth agency logins); else empty.
    std::string oauth_app_id;
    /// The GHL API (live or the sandbox); null when the catalog is only listed (`ghl-mcp tools`).
    std::shared_ptr<GhlAccess> ghl;
    /// Cached reference data behind the resources (see reference.hpp); null with ghl.
    std::shared_ptr<ReferenceCache> cache;
    /// The GHL webhook events received (list_recent_events, ghl://events/...); null: none kept.
    std::shared_ptr<events::EventStore> events;
    /// Seals the listing tools' cursors (cursor.hpp). The App keys it from the MCP server's
    /// requestState key; the default is a random key of this Environment's own.
    std::shared_ptr<const CursorSeal> cursors = CursorSeal::random();
    /// The API key name of a call's principal, which cursors are bound to ("" for unkeyed
    /// callers). Set by the App, which knows what a principal is; empty: every caller is "".
    std::function<std::string(const std::any& principal)> principal_name;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

/// One embedded definition file, parsed: the wire definition plus off-wire metadata.
struct Definition {
    std::string file;     // e.g. "get_server_status.json"
    json wire;            // name, title, description, inputSchema, outputSchema, annotations
    std::string toolset;  // e.g. "contacts"; never sent on the wire
    /// Every GHL endpoint id (ghl::endpoints()) the tool may call, whatever its arguments:
    /// "endpoints" in the file, never sent on the wire. Their scopes are what the tool needs
    /// (`ghl-mcp doctor`); tests/unit/tools/endpoints_test.cpp proves the list against what
    /// each tool really calls.
    std::vector<std::string> endpoints;
    /// Endpoints called only for some arguments or to explain a refusal ("optionalEndpoints":
    /// custom fields by key, the existing duplicate): without their scope the tool still works
    /// for other calls.
    std::vector<std::string> optional_endpoints;
};

/// Every embedded schemas/tools/*.json, parsed once per process. Throws std::runtime_error naming
/// the file on malformed JSON, a name that does not match the file name, a missing field, or an
/// "endpoints" entry that is not a ghl::endpoints() id.
const std::vector<Definition>& definitions();

/// Builds the handler for one tool; `env` outlives the registry.
using HandlerFactory = std::function<mcp::ToolHandler(const Environment& env)>;

struct Registration {
    std::string name;
    HandlerFactory make;
};

/// The one registration list (every tool the server offers).
const std::vector<Registration>& registrations();

/// Which tools a process offers (flags --toolsets, --tools, --read-only).
struct Surface {
    /// Toolsets to offer; empty: kDefaultToolsets; "all": every toolset. The "server" toolset
    /// (get_server_status) is always on unless `tools` says otherwise.
    std::vector<std::string> toolsets;
    /// When not empty: exactly these tools (toolsets are then not consulted).
    std::vector<std::string> tools;
    /// Offer only tools whose readOnlyHint is true.
    bool read_only = false;
    /// Read-only tools offered besides the toolsets' (ignored when `tools` is set): the App adds
    /// list_locations when the credentials reach more than one sub-account.
    std::vector<std::string> extra_tools;
};

/// The toolsets offered when none are named.
const std::vector<std::string>& default_toolsets();
/// Every toolset name, in catalog order (a definition naming another one is rejected).
std::vector<std::string> all_toolsets();
/// Toolsets made of tools that belong to other toolsets, by tool name: "voice" is what a phone
/// agent needs (find the caller, free slots, book, reschedule, cancel, note, confirmation SMS,
/// move the deal), in the order `ghl-mcp voice export` prints them. They select like any
/// toolset (--toolsets voice, an API key's toolsets); no definition names them.
const std::map<std::string, std::vector<std::string>>& composite_toolsets();
/// Every name --toolsets and API keys accept: all_toolsets(), then the composite ones.
std::vector<std::string> toolset_names();
/// Whether the toolset `toolset` (plain or composite) covers the tool `tool` whose own toolset
/// is `tool_toolset`.
bool toolset_covers(const std::string& toolset, const std::string& tool, const std::string& tool_toolset);

/// The definitions `surface` selects, in catalog order. Throws std::invalid_argument naming an
/// unknown toolset or tool (and listing the valid names), or a tool named in `tools` that is not
/// read-only when `read_only` is set.
std::vector<Definition> select(const Surface& surface);

/// Wraps a tool's handler at registration (the app puts key scoping and the audit log around
/// every handler this way, in one place).
using HandlerDecorator = std::function<mcp::ToolHandler(const Definition& definition, mcp::ToolHandler handler)>;

/// Registers the tools `surface` selects into `registry`, each handler passed through
/// `decorate` when given. Throws std::logic_error when a definition has no handler or a handler
/// has no definition (checked over the whole catalog, whatever the surface),
/// std::invalid_argument as select() does.
void register_all(mcp::Registry& registry, const Environment& env, const Surface& surface = {},
                  const HandlerDecorator& decorate = {});

}  // namespace tools
