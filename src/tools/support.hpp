// Shared helpers for tool handlers: reading validated arguments, paging through GHL listings with
// an opaque cursor, shaping GHL objects into the small outputs the schemas promise, text and
// message channels, times and phone numbers. Handlers stay short: read args -> call GHL -> shape.
//
// Output conventions every tool follows (the schemas say the same):
//   - ids are `id` (or `contactId`, `calendarId`... when they point elsewhere), times ISO 8601;
//   - a listing answers {<items>: [...], "count": n, "nextCursor": string|null} and, when it was
//     cut short, a "note" that says how to get the rest;
//   - fields GHL did not send are left out (never invented), except where a schema lists them as
//     required, and then they are null.
#pragma once

#include "ghl/endpoints.hpp"
#include "ghl/http.hpp"
#include "ghl/pagination.hpp"
#include "mcp/context.hpp"
#include "tools/catalog.hpp"
#include "tools/cursor.hpp"
#include "tools/ghl_access.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tools {

using json = mcp::json;

// ---- Arguments (already validated against the input schema) --------------------------------

/// The string argument `key`, or `fallback` when absent or null.
std::string arg_string(const json& args, std::string_view key, std::string fallback = {});
/// The string argument `key`, or nullopt when absent, null or empty.
std::optional<std::string> arg_opt_string(const json& args, std::string_view key);
std::int64_t arg_int(const json& args, std::string_view key, std::int64_t fallback);
bool arg_bool(const json& args, std::string_view key, bool fallback);
/// Copies the present (non-null) arguments named in `keys` into `out` (same names).
void copy_args(const json& args, json& out, std::initializer_list<std::string_view> keys);

// ---- Paging ---------------------------------------------------------------------------------
//
// Every cursor a tool hands out is sealed (tools/cursor.hpp): bound to the tool, the sub-account
// and the caller's API key, and unforgeable. Inside the seal it is bound to the endpoint and the
// `filters` too (ghl::encode_cursor), and holds nothing but a page position of the endpoint's
// style, so it can never change what the request asks GHL beyond "where the page starts".

/// Where one call's cursors are valid: made with cursor_scope().
struct CursorScope {
    const CursorSeal& seal;
    CursorBinding binding;
};

/// The cursor scope of the call `ctx` (its tool and principal) reading sub-account `location`.
CursorScope cursor_scope(const Environment& env, const mcp::ToolContext& ctx, std::string location);

/// The sealed nextCursor for `cursor` (made for `filters`, see ghl::encode_cursor).
std::string make_cursor(const CursorScope& scope, const ghl::Cursor& cursor, const json& filters);

struct Page {
    json items = json::array();  ///< the raw GHL items of this page
    std::string next_cursor;     ///< "" when this was the last page
    json response;               ///< the whole GHL response (totals, meta)
};

/// One page of `endpoint` (any Pagination style) of the sub-account `scope.binding.location`,
/// starting where args["cursor"] says (first page without one). `filters` are bound into the
/// cursor so it cannot be replayed with other filters: pass the arguments that select the listing
/// (not the cursor or the page size).
Page fetch_page(GhlAccess& ghl, mcp::ToolContext& ctx, const CursorScope& scope,
                std::string_view endpoint, const ghl::Params& path, ghl::Params query, json body,
                const json& args, const ghl::PageOptions& options, const json& filters);

/// {<key>: items, "count": n, "nextCursor": cursor|null} (+ "note" when there is more).
json list_output(std::string_view key, json items, const std::string& next_cursor);

/// Where the listing continues: the position in args["cursor"] ({} without one, the first page).
/// Throws ToolFailure (an agent text saying to start without a cursor) when the cursor is not one
/// this server sealed for `scope`, or not one of `endpoint` and `filters`.
json cursor_position(const CursorScope& scope, const json& args, std::string_view endpoint,
                     const json& filters);

// Listings GHL answers in one piece (custom fields, users, tags, workflows, a contact's notes...)
// are paged here by offset, with the same sealed cursor as GHL-paged ones: bound to `scope`,
// `endpoint` and `filters`, so it cannot be replayed on another listing or with other filters.

/// The offset in args["cursor"] (0 without one). Call it before the GHL request where possible,
/// so a cursor of another listing or other filters costs no request.
std::size_t cursor_offset(const CursorScope& scope, const json& args, std::string_view endpoint,
                          const json& filters);
/// list_output() of `limit` items of `all` from `offset`, with a cursor to the next offset when
/// more are left.
json offset_page(const CursorScope& scope, std::string_view key, const json& all,
                 std::size_t offset, std::size_t limit, std::string_view endpoint,
                 const json& filters);

// ---- Shaping --------------------------------------------------------------------------------

/// The members of `src` named in `keys` that are present and not null (same names).
json pick(const json& src, std::initializer_list<std::string_view> keys);
/// src[key] when present and not null, else null.
json get_or_null(const json& src, std::string_view key);
/// The object under `key` when the response wraps it ({"contact": {...}}), else the response.
const json& unwrap(const json& response, std::string_view key);
/// Drops members whose value is null (GHL sends many).
json without_nulls(json object);
/// Drops members whose value is null or an empty string (GHL fills absent text with "").
json drop_empty(json object);
/// The string member `key` of `object`, or `fallback` when it is absent, null or not a string
/// (GHL sends null or other types at times).
std::string string_of(const json& object, std::string_view key, std::string fallback = {});
/// The array member `key` of `object` (a copy), or an empty array when it is absent or no array.
json array_of(const json& object, std::string_view key);
/// out[to] = src[from] as ISO 8601 UTC (iso_utc) when it holds a time (ghl_time_ms); else nothing.
void put_iso(json& out, const json& src, std::string_view from, std::string_view to);
/// put_iso() under the same name.
void put_iso(json& out, const json& src, std::string_view key);

// ---- Text and channels ----------------------------------------------------------------------

/// `text` with ASCII letters in lower case (case-insensitive comparisons of names and tags).
std::string lowercase(std::string text);

/// `text` with runs of blank space collapsed (line breaks kept as one "\n" when `keep_lines`),
/// trimmed, and cut to at most `max_chars` characters (UTF-8 code points, never inside one)
/// followed by "…". `cut` tells whether it was cut.
std::string tidy(std::string_view text, std::size_t max_chars, bool keep_lines, bool* cut = nullptr);

/// How long a message shown in brief (a conversation's last message) may be, in code points.
inline constexpr std::size_t kSnippetChars = 160;

// GHL names a message's channel twice: sending takes "SMS", "Email", "WhatsApp"... and reading
// answers "TYPE_SMS", "TYPE_EMAIL", "TYPE_WHATSAPP"... Outputs use the sending names (`channel`),
// so a model can answer on the channel it read.

/// "TYPE_WHATSAPP" -> "WhatsApp"; types without a send name lose only the prefix
/// ("TYPE_ACTIVITY_OPPORTUNITY" -> "ACTIVITY_OPPORTUNITY"); "" when `ghl_type` is no string.
std::string channel_of(const json& ghl_type);
/// "WhatsApp" -> "TYPE_WHATSAPP", the type a `channel` filter asks GHL for. Throws ToolFailure
/// (tools.invalid_argument) for a name without one.
std::string ghl_type_of(std::string_view channel);

// ---- Time -----------------------------------------------------------------------------------

/// "2026-11-23T14:05:00Z" (UTC, seconds precision; milliseconds dropped).
std::string iso_utc(std::int64_t epoch_ms);
/// Milliseconds since the epoch from ISO 8601: "2026-11-23", "2026-11-23T14:05", "...:00Z",
/// "...:00.123+01:00". nullopt when it is not one of those forms.
std::optional<std::int64_t> parse_iso(std::string_view text);
/// Epoch ms from a GHL time value: a number (ms, or s when small), a numeric string, or ISO text.
std::optional<std::int64_t> ghl_time_ms(const json& value);
/// The UTC offset of an ISO time in minutes ("-05:00" -> -300, "Z" -> 0); nullopt without one.
std::optional<int> iso_offset_minutes(std::string_view text);
/// Now, as epoch milliseconds (the system clock).
std::int64_t now_ms();
/// Throws ToolFailure with a readable text when `text` is not ISO 8601 (names the argument).
std::int64_t require_iso(const json& args, std::string_view key);

// ---- Phones ---------------------------------------------------------------------------------

/// E.164 ("+12125550110") from what people and carriers write: "+1 (212) 555-0110",
/// "00 44 7700 900123", "011 44 ..." (NANP), "(212) 555-0110" with default calling code "1",
/// "07700 900123" with "44" (a national trunk 0 is dropped, except for Italy, "39", which keeps
/// it). An extension ("x12", "ext. 12") is ignored. nullopt when it cannot be a phone number
/// (letters, fewer than 8 or more than 15 digits with the country code).
///
/// Deliberately small instead of libphonenumber: linking it (ICU, protobuf, abseil) adds about
/// 10 ms to every process start (measured: 12.3 ms vs 2.4 ms for an empty program), and stdio
/// clients spawn us per session; caller ids from voice platforms arrive in E.164 already.
std::optional<std::string> to_e164(std::string_view raw, std::string_view default_calling_code = "1");

// ---- Errors ---------------------------------------------------------------------------------

/// Throws ToolFailure "[tools.invalid_argument] <text>".
[[noreturn]] void invalid_argument(const std::string& text);

}  // namespace tools
