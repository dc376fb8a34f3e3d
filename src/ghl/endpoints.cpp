// The endpoint table. Each row is checked against ../shared/ghl-openapi/apps/*.json by
// tests/unit/ghl/endpoints_spec_test.cpp (method, path, Version, scope, token, body encoding).
#include "ghl/endpoints.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace ghl {
namespace {

constexpr auto A = kVersion20210728;
constexpr auto C = kVersion20210415;

constexpr Method GET = Method::kGet;
constexpr Method POST = Method::kPost;
constexpr Method PUT = Method::kPut;
constexpr Method DEL = Method::kDelete;

constexpr bool kSafe = true;
constexpr bool kUnsafe = false;

constexpr auto kNoPaging = Pagination::kNone;
constexpr auto kLoc = TokenKind::kLocation;
constexpr auto kAgency = TokenKind::kAgency;
constexpr auto kEither = TokenKind::kLocationOrAgency;

// clang-format off
constexpr std::array kEndpoints{
    // Contacts (ghl-api.md section 1; all Version 2021-07-28).
    Endpoint{"contacts.search",            POST, "/contacts/search",                           A, "contacts.readonly", kSafe,   Pagination::kSearchAfter,  kLoc},
    Endpoint{"contacts.list",              GET,  "/contacts/",                                 A, "contacts.readonly", kSafe,   Pagination::kStartAfterId, kLoc},
    Endpoint{"contacts.duplicate_search",  GET,  "/contacts/search/duplicate",                 A, "contacts.readonly", kSafe,   kNoPaging, kLoc},
    Endpoint{"contacts.get",               GET,  "/contacts/{contactId}",                      A, "contacts.readonly", kSafe,   kNoPaging, kLoc},
    Endpoint{"contacts.create",            POST, "/contacts/",                                 A, "contacts.write",    kUnsafe, kNoPaging, kLoc},
    // Upsert creates when no match is found (or when the location allows duplicates): not safe.
    Endpoint{"contacts.upsert",            POST, "/contacts/upsert",                           A, "contacts.write",    kUnsafe, kNoPaging, kLoc},
    Endpoint{"contacts.update",            PUT,  "/contacts/{contactId}",                      A, "contacts.write",    kSafe,   kNoPaging, kLoc},
    Endpoint{"contacts.delete",            DEL,  "/contacts/{contactId}",                      A, "contacts.write",    kSafe,   kNoPaging, kLoc},
    // Adding tags is a set union: repeating it changes nothing, so it is safe despite being a POST.
    Endpoint{"contacts.tags.add",          POST, "/contacts/{contactId}/tags",                 A, "contacts.write",    kSafe,   kNoPaging, kLoc},
    Endpoint{"contacts.tags.remove",       DEL,  "/contacts/{contactId}/tags",                 A, "contacts.write",    kSafe,   kNoPaging, kLoc},
    Endpoint{"contacts.notes.list",        GET,  "/contacts/{contactId}/notes",                A, "contacts.readonly", kSafe,   kNoPaging, kLoc},
    Endpoint{"contacts.notes.create",      POST, "/contacts/{contactId}/notes",                A, "contacts.write",    kUnsafe, kNoPaging, kLoc},
    Endpoint{"contacts.tasks.list",        GET,  "/contacts/{contactId}/tasks",                A, "contacts.readonly", kSafe,   kNoPaging, kLoc},
    Endpoint{"contacts.tasks.create",      POST, "/contacts/{contactId}/tasks",                A, "contacts.write",    kUnsafe, kNoPaging, kLoc},
    Endpoint{"contacts.appointments",      GET,  "/contacts/{contactId}/appointments",         A, "contacts.readonly", kSafe,   kNoPaging, kLoc},
    // Enrolment may start a workflow or campaign run each time: not safe to repeat.
    Endpoint{"contacts.workflow.add",      POST, "/contacts/{contactId}/workflow/{workflowId}", A, "contacts.write",   kUnsafe, kNoPaging, kLoc},
    Endpoint{"contacts.workflow.remove",   DEL,  "/contacts/{contactId}/workflow/{workflowId}", A, "contacts.write",   kSafe,   kNoPaging, kLoc},
    Endpoint{"contacts.campaign.add",      POST, "/contacts/{contactId}/campaigns/{campaignId}", A, "contacts.write",  kUnsafe, kNoPaging, kLoc},
    Endpoint{"contacts.campaign.remove",   DEL,  "/contacts/{contactId}/campaigns/{campaignId}", A, "contacts.write",  kSafe,   kNoPaging, kLoc},

    // Calendars (section 2; all Version 2021-04-15).
    Endpoint{"calendars.list",             GET,  "/calendars/",                                C, "calendars.readonly",        kSafe,   kNoPaging, kLoc},
    Endpoint{"calendars.get",              GET,  "/calendars/{calendarId}",                    C, "calendars.readonly",        kSafe,   kNoPaging, kLoc},
    Endpoint{"calendars.free_slots",       GET,  "/calendars/{calendarId}/free-slots",         C, "calendars.readonly",        kSafe,   kNoPaging, kLoc},
    Endpoint{"calendars.events.list",      GET,  "/calendars/events",                          C, "calendars/events.readonly", kSafe,   kNoPaging, kLoc},
    Endpoint{"calendars.appointments.get", GET,  "/calendars/events/appointments/{eventId}",   C, "calendars/events.readonly", kSafe,   kNoPaging, kLoc},
    Endpoint{"calendars.appointments.create", POST, "/calendars/events/appointments",          C, "calendars/events.write",    kUnsafe, kNoPaging, kLoc},
    Endpoint{"calendars.appointments.update", PUT,  "/calendars/events/appointments/{eventId}", C, "calendars/events.write",   kSafe,   kNoPaging, kLoc},
    Endpoint{"calendars.events.delete",    DEL,  "/calendars/events/{eventId}",                C, "calendars/events.write",    kSafe,   kNoPaging, kLoc},

    // Opportunities (section 3; Version 2021-07-28).
    Endpoint{"opportunities.search",       GET,  "/opportunities/search",                      A, "opportunities.readonly", kSafe,   Pagination::kStartAfterId, kLoc},
    Endpoint{"opportunities.get",          GET,  "/opportunities/{id}",                        A, "opportunities.readonly", kSafe,   kNoPaging, kLoc},
    Endpoint{"opportunities.pipelines",    GET,  "/opportunities/pipelines",                   A, "opportunities.readonly", kSafe,   kNoPaging, kLoc},
    Endpoint{"opportunities.lost_reasons", GET,  "/opportunities/lost-reason",                 A, "opportunities.readonly", kSafe,   Pagination::kSkipLimit, kLoc},
    Endpoint{"opportunities.create",       POST, "/opportunities/",                            A, "opportunities.write",    kUnsafe, kNoPaging, kLoc},
    Endpoint{"opportunities.upsert",       POST, "/opportunities/upsert",                      A, "opportunities.write",    kUnsafe, kNoPaging, kLoc},
    Endpoint{"opportunities.update",       PUT,  "/opportunities/{id}",                        A, "opportunities.write",    kSafe,   kNoPaging, kLoc},
    Endpoint{"opportunities.status",       PUT,  "/opportunities/{id}/status",                 A, "opportunities.write",    kSafe,   kNoPaging, kLoc},
    Endpoint{"opportunities.delete",       DEL,  "/opportunities/{id}",                        A, "opportunities.write",    kSafe,   kNoPaging, kLoc},

    // Conversations (section 4; all Version 2021-04-15).
    Endpoint{"conversations.search",       GET,  "/conversations/search",                      C, "conversations.readonly",         kSafe,   Pagination::kStartAfterDate, kLoc},
    Endpoint{"conversations.get",          GET,  "/conversations/{conversationId}",            C, "conversations.readonly",         kSafe,   kNoPaging, kLoc},
    Endpoint{"conversations.create",       POST, "/conversations/",                            C, "conversations.write",            kUnsafe, kNoPaging, kLoc},
    Endpoint{"conversations.messages.list", GET, "/conversations/{conversationId}/messages",   C, "conversations/message.readonly", kSafe,   Pagination::kLastMessageId, kLoc},
    Endpoint{"conversations.messages.get", GET,  "/conversations/messages/{id}",               C, "conversations/message.readonly", kSafe,   kNoPaging, kLoc},
    Endpoint{"conversations.messages.send", POST, "/conversations/messages",                   C, "conversations/message.write",    kUnsafe, kNoPaging, kLoc},
    Endpoint{"conversations.messages.inbound", POST, "/conversations/messages/inbound",        C, "conversations/message.write",    kUnsafe, kNoPaging, kLoc},
    Endpoint{"conversations.messages.outbound", POST, "/conversations/messages/outbound",      C, "conversations/message.write",    kUnsafe, kNoPaging, kLoc},

    // Workflows and campaigns (section 5).
    Endpoint{"workflows.list",             GET,  "/workflows/",                                A, "workflows.readonly", kSafe, kNoPaging, kLoc},
    Endpoint{"campaigns.list",             GET,  "/campaigns/",                                A, "campaigns.readonly", kSafe, kNoPaging, kLoc},

    // Locations, custom fields, tags, users (sections 6-8).
    Endpoint{"locations.get",              GET,  "/locations/{locationId}",                    A, "locations.readonly",              kSafe, kNoPaging, kEither},
    Endpoint{"locations.search",           GET,  "/locations/search",                          A, "locations.readonly",              kSafe, Pagination::kSkipLimit, kEither},
    Endpoint{"locations.custom_fields.list", GET, "/locations/{locationId}/customFields",       A, "locations/customFields.readonly", kSafe, kNoPaging, kLoc},
    Endpoint{"locations.tags.list",        GET,  "/locations/{locationId}/tags",               A, "locations/tags.readonly",         kSafe, kNoPaging, kLoc},
    Endpoint{"users.list",                 GET,  "/users/",                                    A, "users.readonly",                  kSafe, kNoPaging, kLoc},
    Endpoint{"users.search",               GET,  "/users/search",                              A, "users.readonly",                  kSafe, Pagination::kSkipLimit, kEither},
    Endpoint{"users.get",                  GET,  "/users/{userId}",                            A, "users.readonly",                  kSafe, kNoPaging, kEither},

    // Payments, read-only (section 10).
    Endpoint{"payments.orders.list",       GET,  "/payments/orders",                           A, "payments/orders.readonly",       kSafe, Pagination::kLimitOffset, kLoc},
    Endpoint{"payments.orders.get",        GET,  "/payments/orders/{orderId}",                 A, "payments/orders.readonly",       kSafe, kNoPaging, kLoc},
    Endpoint{"payments.transactions.list", GET,  "/payments/transactions",                     A, "payments/transactions.readonly", kSafe, Pagination::kLimitOffset, kLoc},
    Endpoint{"payments.transactions.get",  GET,  "/payments/transactions/{transactionId}",     A, "payments/transactions.readonly", kSafe, kNoPaging, kLoc},

    // OAuth (section 9). /oauth/token declares no Version and takes client credentials in a form
    // body; a refresh consumes the (single-use) refresh token, so it is never repeated blindly.
    Endpoint{"oauth.token",                POST, "/oauth/token",                               {}, {},                  kUnsafe, kNoPaging, TokenKind::kNone, BodyEncoding::kForm},
    Endpoint{"oauth.location_token",       POST, "/oauth/locationToken",                       A, "oauth.write",        kUnsafe, kNoPaging, kAgency, BodyEncoding::kForm},
    Endpoint{"oauth.installed_locations",  GET,  "/oauth/installedLocations",                  A, "oauth.readonly",     kSafe,   Pagination::kSkipLimit, kAgency},
};
// clang-format on

}  // namespace

std::string_view to_string(Pagination pagination) {
    switch (pagination) {
        case Pagination::kNone:
            return "none";
        case Pagination::kPageLimit:
            return "page";
        case Pagination::kSearchAfter:
            return "searchAfter";
        case Pagination::kStartAfterId:
            return "startAfterId";
        case Pagination::kStartAfterDate:
            return "startAfterDate";
        case Pagination::kLastMessageId:
            return "lastMessageId";
        case Pagination::kSkipLimit:
            return "skip";
        case Pagination::kLimitOffset:
            return "offset";
    }
    return "none";
}

std::string_view to_string(TokenKind kind) {
    switch (kind) {
        case TokenKind::kLocation:
            return "Sub-Account (Location) token";
        case TokenKind::kAgency:
            return "Agency (Company) token";
        case TokenKind::kLocationOrAgency:
            return "Sub-Account or Agency token";
        case TokenKind::kNone:
            return "no token";
    }
    return "no token";
}

std::span<const Endpoint> endpoints() {
    return kEndpoints;
}

const Endpoint* find_endpoint(std::string_view id) {
    auto it = std::find_if(kEndpoints.begin(), kEndpoints.end(),
                           [&](const Endpoint& e) { return e.id == id; });
    return it == kEndpoints.end() ? nullptr : &*it;
}

const Endpoint& endpoint(std::string_view id) {
    if (const auto* e = find_endpoint(id)) return *e;
    throw std::invalid_argument("unknown GHL endpoint id '" + std::string(id) + "'");
}

}  // namespace ghl
