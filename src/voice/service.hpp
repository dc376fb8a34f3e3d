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
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace httplib {
class Server;
}

namespace voice {

struct VoiceOptions {
    /// The voice toolset (the catalog's "voice"): the only tools a platform credential may call.
    std::vector<std::string> tools;
    /// Time one voice request may take; past it, unfinished calls answer a speakable failure
    /// (and keep running, so a retry gets their result).
    std::chrono::milliseconds budget{2500};
    /// A write answered within this window is answered again, not repeated, for the same call
    /// id + tool call id or the same tool + arguments (and credential).
    std::chrono::milliseconds idempotency_ttl{std::chrono::minutes(5)};
    /// A failed write is remembered this long (platform retries come within seconds; a person
    /// asking again later gets a fresh attempt).
    std::chrono::milliseconds failed_write_ttl{std::chrono::seconds(30)};
    /// Free slots are reused this long (dropped at once by any booking change).
    std::chrono::milliseconds slot_ttl{std::chrono::seconds(30)};
    /// Calls running at once across requests; more get a speakable "busy" failure.
    std::size_t max_in_flight = 256;

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
    std::string say;             // one speakable line (the result, or why it failed)
    json refs = json::object();  // ids for follow-up calls
    json data;                   // the tool's structured result (ok only)
};

class VoiceService {
public:
    VoiceService(mcp::Server& server, VoiceOptions options);
    /// Waits for calls still running past their deadline.
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
    };
    Counters counters() const;

private:
    struct Entry;
    struct Job;

    CallResult dispatch(const std::string& name, const json& arguments, const std::any& principal);
    void work(std::vector<Job> jobs);
    void prune_locked(std::chrono::steady_clock::time_point now);

    mcp::Server& server_;
    VoiceOptions options_;

    mutable std::mutex mu_;
    std::unordered_map<std::string, std::shared_ptr<Entry>> writes_;  // idempotency keys
    std::unordered_map<std::string, std::shared_ptr<Entry>> slots_;   // free-slot answers
    std::uint64_t slot_generation_ = 0;
    std::chrono::steady_clock::time_point last_prune_{};
    Counters counters_;

    std::mutex workers_mu_;
    std::condition_variable workers_cv_;
    std::size_t in_flight_ = 0;
    std::atomic<std::int64_t> rpc_id_{0};
};

}  // namespace voice
