// The voice door: Vapi and Retell call our tools over plain HTTP mid-conversation. Every call goes
// through the MCP dispatcher (same registry, schemas, validation, key scoping and audit log as
// /mcp); this layer adds what a caller waiting in silence needs: a deadline per request, writes
// that a retry never repeats, cached free slots, and one speakable line per result.
#pragma once

#include "mcp/http_transport.hpp"
#include "mcp/server.hpp"
#include "voice/protocol.hpp"
#include "voice/speech.hpp"

#include <any>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace httplib {
class Server;
}

namespace voice {

struct VoiceOptions {
    /// The voice toolset (the catalog's "voice"): the only tools a platform credential may call.
    std::vector<std::string> tools;
    /// Time one voice request may take; past it, unfinished calls answer a speakable failure
    /// (started ones keep running, so a retry gets their result; queued ones never start).
    std::chrono::milliseconds budget{2500};
    /// A write answered within this window is answered again, not repeated, when the platform
    /// resends *the same attempt*: the same call id + tool call id (or the same signed request)
    /// with the same arguments (and credential).
    std::chrono::milliseconds idempotency_ttl{std::chrono::minutes(5)};
    /// The same tool + arguments (and credential) under another tool call id is the same attempt
    /// only while the first runs or for this long after it answered (a platform retrying under a
    /// new id comes within seconds); later it is a deliberate repeat and runs again.
    std::chrono::milliseconds retry_window{std::chrono::seconds(10)};
    /// A failed write is remembered this long (platform retries come within seconds; a person
    /// asking again later gets a fresh attempt).
    std::chrono::milliseconds failed_write_ttl{std::chrono::seconds(30)};
    /// Free slots are reused this long (dropped at once by any booking change).
    std::chrono::milliseconds slot_ttl{std::chrono::seconds(30)};
    /// Calls running or queued at once across requests; more get a speakable "busy" failure.
    std::size_t max_in_flight = 256;
    /// Calls one request may carry (a Vapi toolCallList); the rest get a speakable refusal.
    std::size_t max_calls_per_request = 10;
    /// Remembered writes (de-duplication) and verified signatures kept at most; the oldest
    /// finished ones are forgotten first.
    std::size_t max_remembered = 4096;
    /// How long ~VoiceService waits for running calls before abandoning them (with a log line).
    std::chrono::milliseconds shutdown_wait{std::chrono::seconds(10)};

    /// The Host/Origin rule of the HTTP server (see mcp::origin_problem): its listen host and
    /// the extra Host names / Origins it accepts besides loopback ones.
    std::string listen_host = "127.0.0.1";
    std::vector<std::string> allowed_hosts;
    std::vector<std::string> allowed_origins;

    /// Vapi: the X-Vapi-Secret value (also accepted as Authorization: Bearer).
    std::string vapi_secret;
    /// Vapi HMAC credential: x-signature = hex HMAC-SHA256 over "{x-timestamp}.{body}".
    std::string vapi_hmac_secret;
    /// Retell: the API key (with the webhook badge) that signs X-Retell-Signature.
    std::string retell_api_key;
    /// API keys of the HTTP server (Authorization: Bearer); empty when none are configured.
    std::function<mcp::AuthDecision(const mcp::HeaderMap&)> authenticate;
    /// The principal of a request vouched for by a platform credential ("vapi" or "retell").
    std::function<std::any(const std::string& platform)> platform_principal;
    /// A stable name of a principal (the API key's name); cached answers are never shared
    /// across names.
    std::function<std::string(const std::any& principal)> principal_name;
};

/// One call's outcome, as both platforms' responses are built from it.
struct CallResult {
    std::string tool_call_id;
    std::string name;
    bool ok = false;
    bool timed_out = false;
    bool replayed = false;       // answered from an earlier identical write (idempotency)
    bool not_started = false;    // its request's deadline passed before it started: nothing ran
    std::string say;             // one speakable line (the result, or why it failed)
    json refs = json::object();  // ids for follow-up calls
    json data;                   // the tool's structured result (ok only)
};

class VoiceService {
public:
    VoiceService(mcp::Server& server, VoiceOptions options);
    /// Stops queued calls and waits up to shutdown_wait for running ones, then abandons them.
    ~VoiceService();
    VoiceService(const VoiceService&) = delete;
    VoiceService& operator=(const VoiceService&) = delete;

    /// Runs a request's calls in order, answering within the budget. `platform_only`: the
    /// credential was a platform's (not an API key), which may use the voice toolset only.
    std::vector<CallResult> run(const VoiceRequest& request, const std::any& principal, bool platform_only);

    /// Forgets cached free slots (after any booking change, ours or another client's).
    void invalidate_slots();

    /// Mounts POST /voice/vapi, /voice/retell and /voice/retell/{tool}.
    void mount(httplib::Server& http);

    /// Vapi's response body for `results`, and Retell's for one result.
    static json vapi_response(const std::vector<CallResult>& results);
    static json retell_response(const CallResult& result);

    struct Counters {
        std::uint64_t calls = 0, dispatched = 0, replayed = 0, timed_out = 0, slot_hits = 0;
        std::uint64_t not_started = 0;  // queued calls whose request's deadline passed first
        std::uint64_t remembered = 0;   // keys of writes held for de-duplication right now
    };
    Counters counters() const;

private:
    struct Entry;
    struct Job;
    struct Core;

    // Everything a worker touches lives in Core, which workers share: a worker abandoned at
    // shutdown (see shutdown_wait) never outlives the state it writes to.
    std::shared_ptr<Core> core_;
};

}  // namespace voice
