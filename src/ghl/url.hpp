// URL building for GHL calls: id validation for path parameters, percent-encoding of path segments
// and query values (exactly once), and form bodies.
#pragma once

#include <string>
#include <string_view>

#include "ghl/http.hpp"

namespace ghl {

/// The longest path parameter accepted. GHL ids are 20-24 characters; keys and message ids are
/// longer but stay far below this.
inline constexpr std::size_t kMaxIdLength = 128;

/// Percent-encodes everything outside RFC 3986 "unreserved" (A-Z a-z 0-9 - . _ ~). So `+` becomes
/// %2B, `@` %40, a space %20 and UTF-8 bytes %XX each.
std::string percent_encode(std::string_view raw);

/// Decodes %XX sequences (and nothing else; `+` stays `+`). Malformed escapes are kept as is.
std::string percent_decode(std::string_view encoded);

/// `a=1&b=x%40y` from raw name/value pairs, in order, each name and value encoded once.
std::string encode_query(const Params& params);

/// Checks that `value` can safely be a path parameter: not empty, at most kMaxIdLength bytes, no
/// '/', '\\', '?', '#', '%', no "..", no whitespace or control characters, printable ASCII only.
/// Returns an empty string when it is fine, otherwise the reason (e.g. "contains '/'").
std::string id_problem(std::string_view value);

/// Expands "/contacts/{contactId}/notes/{id}" with validated, percent-encoded parameters.
/// Throws ApiError (kind kInvalidArgument, code ghl.invalid_argument) naming the parameter when a
/// value fails id_problem(); throws std::invalid_argument when the template and the parameters do
/// not match (a programming error: a parameter missing, unknown or given twice).
std::string expand_path(std::string_view path_template, const Params& path_params,
                        std::string_view endpoint_id = {});

/// The names of the `{placeholders}` in a path template, in order.
std::vector<std::string> path_placeholders(std::string_view path_template);

}  // namespace ghl
