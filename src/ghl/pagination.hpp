// Pagination helpers for the styles GHL uses, and the opaque cursor that tools hand to the model as
// `nextCursor` and take back to fetch the next page.
//
// Usage (a tool listing opportunities):
//   ghl::Params query{{"location_id", loc}, {"limit", "50"}};
//   nlohmann::json body;  // unused for GET
//   nlohmann::json position;  // first page
//   if (args.contains("cursor")) position = ghl::decode_cursor(args["cursor"], ep.id,
//   filters).position; ghl::apply_position(ep, position, query, body); auto page =
//   client.call(ep.id, {}, query, nullptr, opts); std::string next = ghl::next_cursor(ep, position,
//   page, {.page_size = 50}, filters);
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ghl/endpoints.hpp"
#include "ghl/http.hpp"

namespace ghl {

struct Cursor {
    std::string endpoint_id;
    Pagination style = Pagination::kNone;
    /// Style-specific: {"page":2}, {"searchAfter":[...]}, {"startAfter":n,"startAfterId":"..."},
    /// {"startAfterDate":n}, {"lastMessageId":"..."}, {"skip":n} or {"offset":n}.
    nlohmann::json position = nlohmann::json::object();
};

/// "c1." + base64url(JSON). `filters` (the query's other arguments) are fingerprinted into the
/// cursor so that it cannot silently be reused with different filters.
std::string encode_cursor(const Cursor& cursor, const nlohmann::json& filters = nullptr);

/// Decodes a cursor made by encode_cursor() for `endpoint_id` and the same `filters`. Throws
/// ApiError (ghl.invalid_argument) when it is malformed, made for another listing, for other
/// filters, or holds anything but a page position of the endpoint's style (position_allowed),
/// with text telling the agent to start again without a cursor. The text is not authenticated:
/// callers that take cursors from clients seal them first (tools/cursor.hpp).
Cursor decode_cursor(std::string_view text, std::string_view endpoint_id,
                     const nlohmann::json& filters = nullptr);

struct PageOptions {
    /// The page size requested; a shorter page means it was the last one.
    int page_size = 20;
    /// The array of items in the response ("contacts", "opportunities", ...). Empty: the first
    /// array member of the response object.
    std::string items_key;
    /// kStartAfterDate: the item field holding the sort value (GHL sorts conversations by
    /// last_message_date by default).
    std::string sort_field = "lastMessageDate";
};

/// The items array of a response per PageOptions::items_key (null if absent). For the
/// conversation-messages shapes ({messages:[...]} and {messages:{messages:[...]}}) it finds the
/// inner array.
const nlohmann::json* page_items(const nlohmann::json& response, std::string_view items_key);

/// Where the page after `response` starts, given where this one started (`current`, {} for the
/// first page). nullopt when `response` was the last page.
std::optional<nlohmann::json> next_position(Pagination style, const nlohmann::json& current,
                                            const nlohmann::json& response,
                                            const PageOptions& options);

/// Whether `position` holds only the members of a `style` position (the Cursor::position list,
/// with sane types and sizes; kNone: the tools' own "offset", or "now"/"after"/"id").
bool position_allowed(Pagination style, const nlohmann::json& position);

/// Adds a position to a request: into the JSON body for POST/PUT endpoints (searchAfter, page),
/// into the query for GET/DELETE endpoints. A null or empty position adds nothing. Throws
/// std::invalid_argument for a position that is not position_allowed() for the endpoint's style
/// (or any position of a kNone endpoint): a position never sets other request fields.
void apply_position(const Endpoint& endpoint, const nlohmann::json& position, Params& query,
                    nlohmann::json& body);

/// encode_cursor() of next_position(), or "" when there is no next page.
std::string next_cursor(const Endpoint& endpoint, const nlohmann::json& current,
                        const nlohmann::json& response, const PageOptions& options,
                        const nlohmann::json& filters = nullptr);

/// RFC 4648 base64url without padding (exposed for tests).
std::string base64url_encode(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace ghl
