// What every route handler shares: the call (request, path parameters, parsed body, clock), GHL's
// error bodies, class-validator style input checks and the route table.
#pragma once

#include "store.hpp"

#include <httplib.h>

#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ghlsim {

/// The Version values the specs declare: calendars and conversations, and everything else.
inline constexpr const char* kVersionCalendars = "2021-04-15";
inline constexpr const char* kVersionDefault = "2021-07-28";

/// An error answered with GHL's body. Thrown by handlers and helpers; the dispatcher turns it
/// into the response (and adds the traceId every GHL response carries).
struct ApiError : std::exception {
    int status = 400;
    Json body;

    ApiError(int status_code, Json error_body) : status(status_code), body(std::move(error_body)) {}
    const char* what() const noexcept override { return "GHL API error"; }

    /// 400 {statusCode, message, error: "Bad Request"} (BadRequestDTO).
    static ApiError bad_request(const std::string& message);
    /// 422 {statusCode, message: [...], error: "Unprocessable Entity"} (UnprocessableDTO).
    static ApiError unprocessable(std::vector<std::string> messages);
    /// 403 {statusCode, message: "The token does not have access to this location."}.
    static ApiError foreign_location();
};

/// Who a request's bearer token speaks for.
struct Principal {
    enum class Kind {
        kPrivate,   ///< a static token (Options::tokens): the default sub-account's private token
        kLocation,  ///< an OAuth sub-account token (user type Location or /oauth/locationToken)
        kCompany,   ///< an OAuth agency token (user type Company)
    };
    Kind kind = Kind::kPrivate;
    std::string company_id;
    std::string location_id;  ///< the sub-account; empty for kCompany
    std::string user_id;      ///< OAuth: the user who installed the app
    /// The rate-limit budget the request is charged to: the token itself for static tokens, the
    /// resource (location or company) for OAuth tokens, as GHL counts per app and resource.
    std::string budget;
};

/// Which tokens an endpoint accepts (the spec's security schemes).
enum class Access {
    kSubAccount,  ///< bearer / Location-Access: sub-account tokens and static tokens
    kAgency,      ///< Agency-Access-Only: agency tokens
    kEither,      ///< Location-Access and Agency-Access
};

class OAuthServer;

/// A successful answer.
struct Reply {
    int status = 200;
    Json body;
};

/// One request as a handler sees it. The store's mutex is held for the handler's whole run.
class Call {
public:
    Call(const httplib::Request& request, std::map<std::string, std::string> path_params,
         Store& data, const Options& options, Ms now_ms, const Principal& principal,
         OAuthServer* oauth_server, bool webhooks = false)
        : req(request), store(data), opts(options), now(now_ms), who(principal),
          oauth(oauth_server), params_(std::move(path_params)), webhooks_(webhooks) {}

    const httplib::Request& req;
    /// The sub-account the request is served by: the token's, or for an agency token the one
    /// the request names (the default one when it names none of the agency's).
    Store& store;
    const Options& opts;
    Ms now;
    const Principal& who;
    OAuthServer* oauth;  ///< nullptr unless Options::oauth is set

    /// A path parameter ({contactId} ...).
    const std::string& param(const std::string& name) const { return params_.at(name); }
    bool has_query(const std::string& name) const { return req.has_param(name.c_str()); }
    /// The (already percent-decoded) query value, or `fallback` when absent.
    std::string query(const std::string& name, const std::string& fallback = "") const;
    /// Every value of a repeated query parameter (`userIds=a&userIds=b`, also `userIds[]=`).
    std::vector<std::string> query_all(const std::string& name) const;
    /// The JSON body: {} when empty; 400 when it is not JSON or not an object.
    const Json& body();

    /// A webhook event for the change being made (Options::webhooks): `build()` runs only when
    /// webhooks are on, right away, so that it sees the record as the change left it. The
    /// dispatcher sends the events once the handler has returned; a handler that throws sends
    /// none.
    template <typename Build>
    void emit(Build&& build) {
        if (webhooks_) events_.push_back(std::forward<Build>(build)());
    }
    std::vector<Json>& events() { return events_; }

private:
    std::map<std::string, std::string> params_;
    std::optional<Json> body_;
    bool webhooks_ = false;
    std::vector<Json> events_;
};

// ---- input checks, with the messages NestJS's class-validator produces ----

enum class Kind { kString, kBool, kNumber, kArray, kStringArray, kObject, kAny };

struct Field {
    std::string name;
    Kind kind = Kind::kString;
    bool required = false;
    std::vector<std::string> one_of = {};  ///< allowed values (strings), empty: any
};

/// Every violation of `dto` by `body` ("name should not be empty", "property x should not
/// exist", ...), in field order. `forbid_unknown` reports properties the DTO does not declare.
std::vector<std::string> check_body(const Json& body, const std::vector<Field>& dto,
                                    bool forbid_unknown = true);
/// check_body, throwing 422 when anything is wrong.
void validate_body(const Json& body, const std::vector<Field>& dto, bool forbid_unknown = true);
/// The same checks for query parameters (kString, kNumber, kBool; one_of). Unknown query
/// parameters are tolerated.
void validate_query(const Call& call, const std::vector<Field>& params);

/// 403 unless `location_id` is the simulated sub-account.
void check_location(const Store& store, const std::string& location_id);

/// Integer query parameter with bounds; 422 with class-validator messages when out of range.
long query_int(const Call& call, const std::string& name, long fallback, long min, long max);
/// A JSON string member or "".
std::string str(const Json& object, const char* key);
/// A required ISO-8601 time (with offset); 422 "<name> must be a valid ISO 8601 date string".
Ms parse_time_field(const std::string& value, const std::string& name);

// ---- the route table ----

using Handler = std::function<Reply(Call&)>;

struct Route {
    std::string method;
    std::string pattern;  ///< "/contacts/{contactId}/tags" (no trailing slash)
    std::vector<std::string> segments;
    std::string version;  ///< the Version the spec declares
    Handler handler;
    /// Any other token kind is answered 401 "This authClass type is not allowed ...".
    Access access = Access::kSubAccount;
    /// The status of an input-validation failure: 422 where the spec declares UnprocessableDTO,
    /// 400 (same array body) where it declares only BadRequestDTO, as calendars and
    /// conversations do.
    int validation_status = 422;
};

/// The 401 GHL answers a token of the wrong kind (an agency token on a sub-account endpoint, a
/// sub-account token on an agency-only one).
ApiError wrong_auth_class();

class Router {
public:
    /// Adds a route (Access::kSubAccount; set another on the returned route).
    Route& add(const std::string& method, const std::string& pattern, const std::string& version,
               Handler handler, int validation_status = 422);
    /// The most specific route for the path (static segments beat {parameters} from the left),
    /// filling `params`; nullptr when none matches.
    const Route* match(const std::string& method, const std::string& path,
                       std::map<std::string, std::string>& params) const;
    const std::vector<Route>& routes() const { return routes_; }

private:
    std::vector<Route> routes_;
};

void register_contact_routes(Router& router);
void register_calendar_routes(Router& router);
void register_opportunity_routes(Router& router);
void register_conversation_routes(Router& router);
void register_account_routes(Router& router);  // workflows, campaigns, locations, users, payments
void register_oauth_routes(Router& router);    // /oauth/locationToken, /oauth/installedLocations

// ---- webhook payloads (../shared/reference/ghl-api.md N6): flat JSON with a top-level `type`
// and `locationId`; the sender adds `webhookId` and `timestamp` ----

/// ContactCreate, ContactUpdate, ContactDelete, ContactTagUpdate: the contact's fields.
Json contact_event(const Store& store, const Contact& c, const char* type);
/// NoteCreate {id, contactId, body, dateAdded}.
Json note_event(const Store& store, const Note& n);
/// TaskCreate {id, contactId, title, body, dueDate, completed, assignedTo}.
Json task_event(const Store& store, const Task& t);
/// AppointmentCreate, AppointmentUpdate, AppointmentDelete: the appointment nested under
/// `appointment`.
Json appointment_event(const Store& store, const Appointment& a, const char* type);
/// OpportunityCreate, OpportunityStageUpdate, OpportunityStatusUpdate, OpportunityDelete.
Json opportunity_event(const Store& store, const Opportunity& o, const char* type);
/// InboundMessage or OutboundMessage (by the message's direction). `provider_id`: the
/// conversationProviderId of an inbound message ("" for none).
Json message_event(const Store& store, const Message& m, const std::string& provider_id = "");

/// "Contact not found" etc. as GHL's 400.
[[noreturn]] void not_found(const std::string& what);

/// Contact-side helpers shared by several route files.
Contact& contact_or_400(Store& store, const std::string& id);

}  // namespace ghlsim
