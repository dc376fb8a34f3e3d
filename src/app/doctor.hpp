// `ghl-mcp doctor`: checks a configuration the way `serve` would use it and says what to fix.
//
// Checks, in order: the configuration (mode, base URL, location, toolsets, HTTP exposure), the
// credentials (one cheap authenticated GHL read per sub-account, through the real client: limiter,
// headers, token refresh), the token's scopes against the enabled tools (from the token store for
// OAuth logins; for a Private Integration Token, which GHL cannot introspect, one cheap read per
// read scope the tools need), the clock against GHL's `Date` header, and the permissions of every
// file that holds a secret or a store. Never prints a secret or personal data.
#pragma once

#include "app/config.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace app {

struct DoctorCheck {
    std::string check;   ///< "configuration", "credentials", "scopes", "clock", "token store", ...
    std::string status;  ///< "ok", "warn" or "fail"
    std::string detail;  ///< one line: what was found
    std::string fix;     ///< what to do (which variable, which command); empty when ok
};

/// A configuration problem found before doctor ran (an unreadable token file, an unknown toolset):
/// reported as a failed "configuration" check instead of a start-up error.
struct ConfigIssue {
    std::string problem;
    std::string fix;
};

struct DoctorOptions {
    std::vector<ConfigIssue> config_issues;
    /// Each GHL request's deadline (retries included).
    std::chrono::milliseconds timeout{10000};
};

struct DoctorReport {
    std::vector<DoctorCheck> checks;
    long ghl_requests = 0;  ///< HTTP requests sent to GHL (retries and token refreshes included)

    bool failed() const { return count("fail") > 0; }
    int count(std::string_view status) const;
};

/// Runs every check. Creates nothing on disk (stores are inspected, not opened for writing).
DoctorReport run_doctor(const Config& config, const DoctorOptions& options = {});

/// One line per check ("ok   credentials: ..."), each problem followed by "     fix: ...", then a
/// summary line.
std::string doctor_text(const DoctorReport& report);
/// [{check, status, detail, fix (null when none)}].
nlohmann::json doctor_json(const DoctorReport& report);

// ---- pieces, exposed for tests ----

/// The clock check for `skew` = GHL's time minus ours: ok within 30 s, warn up to 5 min, fail
/// beyond (OAuth expiry and webhook timestamps depend on it).
DoctorCheck clock_check(std::chrono::seconds skew);

/// The permission check of one file holding a store or a secret: exists (or can be created),
/// belongs to the current user, not readable or writable by group or others (also its SQLite
/// -wal/-shm/-journal files), its directory not writable by others.
DoctorCheck store_check(const std::string& name, const std::string& path);

/// The cheap read that proves a token has the read scope `scope` (GHL endpoint id), or nullopt
/// when doctor has none for it (write scopes cannot be tested without writing).
std::optional<std::string_view> scope_probe_endpoint(std::string_view scope);

}  // namespace app
