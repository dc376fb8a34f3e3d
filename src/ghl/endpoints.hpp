// The endpoint table: every GHL operation the server calls, with the facts the client needs to call
// it correctly (path, Version header, scope, retry safety, pagination). A unit test checks each row
// against the official OpenAPI specs, so a wrong path or Version fails CI.
#pragma once

#include <span>
#include <string_view>

#include "ghl/http.hpp"

namespace ghl {

/// `Version` header values declared by the v2 specs.
inline constexpr std::string_view kVersion20210728 = "2021-07-28";  ///< most apps
inline constexpr std::string_view kVersion20210415 = "2021-04-15";  ///< calendars, conversations

/// How an endpoint pages through results (see pagination.hpp for the cursor helpers).
enum class Pagination {
    kNone,            ///< one response holds everything (or a time window bounds it)
    kPageLimit,       ///< page + pageLimit/limit (page numbers)
    kSearchAfter,     ///< searchAfter array taken from the last item (POST search bodies)
    kStartAfterId,    ///< startAfter + startAfterId from the response's meta
    kStartAfterDate,  ///< startAfterDate: the sort value of the last item
    kLastMessageId,   ///< lastMessageId + nextPage (conversation messages)
    kSkipLimit,       ///< skip + limit
    kLimitOffset,     ///< limit + offset
};

std::string_view to_string(Pagination pagination);

/// Which token the endpoint accepts (the spec's security scheme).
enum class TokenKind {
    kLocation,  ///< Sub-Account (Location) OAuth token or Private Integration Token
    kAgency,    ///< Agency (Company) token only
    kLocationOrAgency,
    kNone,  ///< no bearer token (client credentials in the body: /oauth/token)
};

std::string_view to_string(TokenKind kind);

enum class BodyEncoding { kJson, kForm };

struct Endpoint {
    std::string_view id;  ///< stable id, e.g. "contacts.get"
    Method method;
    std::string_view path;     ///< template exactly as in the spec, e.g. "/contacts/{contactId}"
    std::string_view version;  ///< `Version` header value; empty: the spec declares none
    std::string_view scope;    ///< OAuth scope needed; empty: none
    /// True when repeating the call cannot do anything twice (reads, searches, idempotent
    /// PUT/DELETE): then 5xx, timeouts and lost connections are retried. Creates and message
    /// sends are false and are only retried on 429 or when the connection was never made.
    bool retry_safe;
    Pagination pagination;
    TokenKind token;
    BodyEncoding body = BodyEncoding::kJson;
};

/// Every endpoint, in a stable order.
std::span<const Endpoint> endpoints();

/// The endpoint with this id, or nullptr.
const Endpoint* find_endpoint(std::string_view id);

/// The endpoint with this id; throws std::invalid_argument for an unknown id (a programming error).
const Endpoint& endpoint(std::string_view id);

}  // namespace ghl
