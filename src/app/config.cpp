#include "app/config.hpp"

#include "app/logging.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace app {

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (!v || !*v) return std::nullopt;
        return std::string(v);
    };
}

void parse_listen_address(const std::string& text, std::string& host, int& port) {
    std::string h = "127.0.0.1", p = text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw std::invalid_argument("bad listen address '" + text + "' (expected [v6addr]:PORT)");
        h = text.substr(1, close - 1);
        p = text.substr(close + 2);
    } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
        if (colon > 0) h = text.substr(0, colon);
        p = text.substr(colon + 1);
    }
    char* end = nullptr;
    long v = std::strtol(p.c_str(), &end, 10);
    if (p.empty() || *end != '\0' || v < 0 || v > 65535)
        throw std::invalid_argument("bad listen address '" + text + "' (expected HOST:PORT, e.g. 127.0.0.1:8787)");
    host = h;
    port = static_cast<int>(v);
}

static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
        s.pop_back();
    size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    return s.substr(i);
}

namespace {
/// A number within [lo, hi], or an error naming the variable, the range and the value given.
double parse_number(const std::string& text, const char* variable, double lo, double hi, const char* example) {
    double v = 0;
    std::size_t used = 0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || !(v >= lo && v <= hi)) {
        char range[64];
        std::snprintf(range, sizeof range, "between %g and %g", lo, hi);
        throw std::runtime_error(std::string(variable) + " must be " + range + ", " + example + " (got \"" +
                                 text.substr(0, 32) + "\")");
    }
    return v;
}
}  // namespace

std::chrono::milliseconds parse_voice_budget(const std::string& seconds) {
    double v = 0;
    std::size_t used = 0;
    try {
        v = std::stod(seconds, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != seconds.size() || !(v >= 0.1 && v <= 60))
        throw std::runtime_error("GHL_MCP_VOICE_BUDGET must be seconds between 0.1 and 60, e.g. 2.5 (got \"" +
                                 seconds.substr(0, 32) + "\")");
    return std::chrono::milliseconds(static_cast<long long>(v * 1000));
}

void apply_environment(Config& c, const EnvLookup& env) {
    if (c.location_id.empty()) c.location_id = env("GHL_LOCATION_ID").value_or("");
    if (auto v = env("GHL_BASE_URL")) c.base_url = *v;
    if (c.token_file.empty()) c.token_file = env("GHL_TOKEN_FILE").value_or("");
    if (!c.token_file.empty()) {
        std::ifstream in(c.token_file);
        if (!in) throw std::runtime_error("cannot read the token file " + c.token_file);
        std::stringstream ss;
        ss << in.rdbuf();
        c.token = trim(ss.str());
        if (c.token.empty()) throw std::runtime_error("the token file " + c.token_file + " is empty");
    } else if (auto v = env("GHL_PRIVATE_INTEGRATION_TOKEN")) {
        c.token = trim(*v);
    }
    if (auto v = env("GHL_CLIENT_ID")) c.client_id = trim(*v);
    if (auto v = env("GHL_CLIENT_SECRET")) c.client_secret = trim(*v);
    if (auto v = env("GHL_REDIRECT_URI")) c.redirect_uri = trim(*v);
    if (auto v = env("GHL_APP_ID")) c.app_id = trim(*v);
    if (auto v = env("GHL_MARKETPLACE_URL")) c.marketplace_url = trim(*v);
    if (c.token_store.empty()) c.token_store = env("GHL_MCP_TOKEN_STORE").value_or("");
    if (c.token_store.empty()) c.token_store = default_token_store(env);
    if (auto v = env("GHL_MCP_STORE_KEY")) c.store_key = trim(*v);
    if (c.store_key_file.empty()) c.store_key_file = env("GHL_MCP_STORE_KEY_FILE").value_or("");
    if (auto v = env("GHL_MCP_TEST_CRASH_AFTER_REFRESH")) c.crash_after_refresh = (*v == "1");
    if (c.api_key.empty()) c.api_key = env("GHL_MCP_API_KEY").value_or("");
    if (c.api_keys_file.empty()) c.api_keys_file = env("GHL_MCP_API_KEYS_FILE").value_or("");
    if (c.audit_db.empty()) c.audit_db = env("GHL_MCP_AUDIT_DB").value_or("");
    if (auto v = env("GHL_MCP_VAPI_SECRET")) c.vapi_secret = trim(*v);
    if (auto v = env("GHL_MCP_VAPI_HMAC_SECRET")) c.vapi_hmac_secret = trim(*v);
    if (auto v = env("GHL_MCP_RETELL_API_KEY")) c.retell_api_key = trim(*v);
    if (auto v = env("GHL_MCP_VOICE_BUDGET"); v && !trim(*v).empty()) c.voice_budget = parse_voice_budget(trim(*v));
    if (auto v = env("GHL_MCP_VOICE_RETRY_WINDOW"); v && !trim(*v).empty())
        c.voice_retry_window = std::chrono::milliseconds(
            static_cast<long long>(parse_number(trim(*v), "GHL_MCP_VOICE_RETRY_WINDOW", 0, 60, "seconds, e.g. 10") * 1000));
    if (auto v = env("GHL_MCP_VOICE_MAX_CALLS"); v && !trim(*v).empty()) {
        const double n = parse_number(trim(*v), "GHL_MCP_VOICE_MAX_CALLS", 1, 100, "a whole number, e.g. 10");
        if (n != static_cast<double>(static_cast<std::size_t>(n)))
            throw std::runtime_error("GHL_MCP_VOICE_MAX_CALLS must be a whole number between 1 and 100, e.g. 10 (got \"" +
                                     trim(*v).substr(0, 32) + "\")");
        c.voice_max_calls = static_cast<std::size_t>(n);
    }
    if (c.events_db.empty()) c.events_db = env("GHL_MCP_EVENTS_DB").value_or("");
    if (c.webhook_public_key_file.empty()) c.webhook_public_key_file = env("GHL_MCP_WEBHOOK_PUBLIC_KEY").value_or("");
    if (c.webhook_rsa_key_file.empty()) c.webhook_rsa_key_file = env("GHL_MCP_WEBHOOK_RSA_KEY").value_or("");
    auto whole = [](const std::string& name, const std::string& text, long lo, long hi) {
        try {
            std::size_t used = 0;
            long v = std::stol(trim(text), &used);
            if (used == trim(text).size() && v >= lo && v <= hi) return v;
        } catch (const std::exception&) {
        }
        throw std::runtime_error(name + " must be a whole number from " + std::to_string(lo) + " to " +
                                 std::to_string(hi) + ", not \"" + text + "\"");
    };
    if (auto v = env("GHL_MCP_EVENTS_MAX_AGE_DAYS"); v && !trim(*v).empty())
        c.events_max_age = std::chrono::hours(24 * whole("GHL_MCP_EVENTS_MAX_AGE_DAYS", *v, 1, 3650));
    if (auto v = env("GHL_MCP_AUDIT_MAX_AGE_DAYS"); v && !trim(*v).empty())
        c.audit_max_age = std::chrono::hours(24 * whole("GHL_MCP_AUDIT_MAX_AGE_DAYS", *v, 1, 3650));
    if (auto v = env("GHL_MCP_AUDIT_MAX_ROWS"); v && !trim(*v).empty())
        c.audit_max_rows = static_cast<std::size_t>(whole("GHL_MCP_AUDIT_MAX_ROWS", *v, 1000, 1000000000));
    if (auto v = env("GHL_MCP_EVENTS_MAX_COUNT"); v && !trim(*v).empty())
        c.events_max_count = static_cast<std::size_t>(whole("GHL_MCP_EVENTS_MAX_COUNT", *v, 100, 100000000));
    auto list = [](const std::string& text) {
        std::vector<std::string> out;
        std::string item;
        for (char ch : text + ",") {
            if (ch == ',') {
                item = trim(item);
                if (!item.empty()) out.push_back(item);
                item.clear();
            } else {
                item += ch;
            }
        }
        return out;
    };
    if (c.surface.toolsets.empty())
        if (auto v = env("GHL_MCP_TOOLSETS")) c.surface.toolsets = list(*v);
    if (c.surface.tools.empty())
        if (auto v = env("GHL_MCP_TOOLS")) c.surface.tools = list(*v);
    if (auto v = env("GHL_MCP_READ_ONLY"); v && (*v == "1" || *v == "true")) c.surface.read_only = true;
    if (auto v = env("GHL_MCP_LOG_LEVEL"); v && !trim(*v).empty()) {
        if (!is_log_level(trim(*v)))
            throw std::runtime_error("GHL_MCP_LOG_LEVEL must be one of trace, debug, info, warn, error, "
                                     "critical, off (got \"" + trim(*v).substr(0, 32) + "\")");
        c.log_level = trim(*v);
    }
    if (auto v = env("GHL_MCP_LOG_FORMAT"); v && !trim(*v).empty()) {
        if (!parse_log_format(trim(*v)))
            throw std::runtime_error("GHL_MCP_LOG_FORMAT must be text or json (got \"" + trim(*v).substr(0, 32) +
                                     "\")");
        c.log_format = trim(*v);
    }
    if (auto v = env("GHL_MCP_VALIDATE_OUTPUT")) c.validate_output = (*v == "1" || *v == "true");
}

bool Config::has_token_store() const {
    struct stat st {};
    return !token_store.empty() && ::stat(token_store.c_str(), &st) == 0;
}

std::string default_token_store(const EnvLookup& env) {
    std::string base;
    if (auto v = env("XDG_STATE_HOME"); v && !v->empty() && (*v)[0] == '/')
        base = *v;
    else if (auto h = env("HOME"); h && !h->empty())
        base = *h + "/.local/state";
    return base.empty() ? std::string() : base + "/ghl-mcp/tokens.db";
}

std::string events_store_path(const Config& c) {
    if (c.events_db == "off") return {};
    if (!c.events_db.empty()) return c.events_db;
    if (c.sandbox) return ":memory:";  // the simulator's events are not worth keeping
    if (c.token_store.empty()) return {};
    const auto slash = c.token_store.rfind('/');
    return (slash == std::string::npos ? std::string() : c.token_store.substr(0, slash + 1)) + "events.db";
}

std::string credential_problem(const Config& c) {
    if (c.sandbox) return {};
    if (!c.has_credentials() && c.has_token_store()) return {};  // OAuth: App checks the identities
    if (!c.has_credentials())
        return "No GoHighLevel credentials configured. Either:\n"
               "  * try it without a GHL account on the built-in sandbox (simulated sub-account):\n"
               "      ghl-mcp serve --sandbox            (or: make run)\n"
               "  * or connect a real sub-account with a Private Integration Token:\n"
               "      export GHL_PRIVATE_INTEGRATION_TOKEN=pit-...   (Settings > Private Integrations)\n"
               "      export GHL_LOCATION_ID=<your location id>\n"
               "      ghl-mcp serve\n"
               "  * or authorise a marketplace app with OAuth (agencies: every sub-account at once):\n"
               "      export GHL_CLIENT_ID=... GHL_CLIENT_SECRET=...\n"
               "      ghl-mcp auth login [--user-type Company]\n"
               "      ghl-mcp serve\n";
    if (c.location_id.empty())
        return "GHL_PRIVATE_INTEGRATION_TOKEN is set but GHL_LOCATION_ID is not: set it to the "
               "sub-account (location) id the token belongs to, or pass --location-id.\n";
    return {};
}

}  // namespace app
