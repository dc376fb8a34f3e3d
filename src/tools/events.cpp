// The events group: what GHL's webhooks told us, as a tool (list_recent_events) and as resources
// (ghl://events/recent, ghl://events/{type}, ghl://contacts/{contactId}/events). The events come
// from the event store the webhook receiver fills (this process's, or another ghl-mcp's sharing
// the same store file); reading them costs no GHL request.
#include "events/receiver.hpp"
#include "events/shape.hpp"
#include "tools/ghl_access.hpp"
#include "tools/groups.hpp"
#include "tools/support.hpp"

namespace tools {
namespace {

constexpr std::size_t kDefaultLimit = 20;

/// "e<seq>": the seq the next page starts below.
std::int64_t cursor_seq(const json& args) {
    auto cursor = arg_opt_string(args, "cursor");
    if (!cursor || cursor->empty()) return 0;
    std::int64_t seq = 0;
    bool ok = cursor->size() > 1 && cursor->size() < 20 && (*cursor)[0] == 'e';
    for (std::size_t i = 1; ok && i < cursor->size(); ++i) {
        ok = (*cursor)[i] >= '0' && (*cursor)[i] <= '9';
        seq = seq * 10 + ((*cursor)[i] - '0');
    }
    if (!ok || seq <= 0)
        invalid_argument(
            "cursor \"" + *cursor +
            "\" is not one this tool returned; leave it out to start from the newest event.");
    return seq;
}

}  // namespace

json recent_events(const Environment& env, const json& args, const std::string& location) {
    if (!env.events)
        throw ToolFailure(
            "[events.no_store] This server has no event store, so it has seen no GHL events. Run "
            "ghl-mcp with an event store "
            "(GHL_MCP_EVENTS_DB) and point your GHL app's webhook URL at /webhooks/ghl of `ghl-mcp "
            "serve --http`.");
    events::EventQuery q;
    q.type = arg_string(args, "type");
    q.contact_id = arg_string(args, "contactId");
    q.location_id = location;
    if (auto since = arg_opt_string(args, "since")) {
        std::chrono::system_clock::time_point t;
        if (!events::parse_iso(*since, t))
            invalid_argument("since \"" + *since +
                             "\" is not an ISO 8601 time; use e.g. 2026-03-03T09:00:00Z.");
        q.since = events::iso_utc(t);
    }
    q.before_seq = cursor_seq(args);
    const auto limit = static_cast<std::size_t>(arg_int(args, "limit", kDefaultLimit));
    q.limit = limit + 1;  // one more tells whether another page exists
    auto found = env.events->query(q);
    std::string next;
    if (found.size() > limit) {
        found.resize(limit);
        next = "e" + std::to_string(found.back().seq);
    }
    json items = json::array();
    for (const auto& e : found) items.push_back(events::shape(e));
    json out = list_output("events", std::move(items), next);
    if (out["count"] == 0 && q.before_seq == 0) {
        out["note"] = env.events->count() == 0
                          ? "No GHL events have arrived yet. GHL sends them to POST /webhooks/ghl "
                            "of `ghl-mcp serve "
                            "--http`: set https://<your host>/webhooks/ghl as your marketplace "
                            "app's webhook URL."
                          : "No events match these filters (events are kept for a limited time).";
    }
    return out;
}

namespace {

mcp::ToolHandler make_list_recent_events(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext&) {
        // The sub-account: the one named, else the default one (as every tool does).
        const std::string location = env.ghl
                                         ? env.ghl->location(args)
                                         : arg_string(args, "locationId", env.default_location_id);
        return mcp::ToolResult::structured_result(recent_events(env, args, location));
    };
}

}  // namespace

std::vector<Registration> event_tools() {
    return {{"list_recent_events", make_list_recent_events}};
}

}  // namespace tools
