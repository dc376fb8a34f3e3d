// POST /webhooks/ghl: GHL pushes events here. A delivery is checked (size, signature, JSON,
// age), deduplicated by webhookId (a hash of the body when absent) and committed to the event
// store before we answer 200. Anything slower (MCP notifications) runs on the receiver's own
// thread, never on the request's. GHL retries only on 429 (integrations.md 5), so a store that
// cannot take a delivery answers 429 with Retry-After: then nothing is lost.
#pragma once

#include "core/net.hpp"

#include "events/event_store.hpp"
#include "events/signature.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace httplib {
class Server;
}

namespace events {

using json = nlohmann::json;

struct ReceiverOptions {
    /// The keys deliveries are checked with (SPKI PEM): GHL's published ones by default. An
    /// empty RSA key refuses deliveries that carry only the legacy X-WH-Signature.
    std::string ed25519_public_pem = kGhlEd25519PublicKey;
    std::string rsa_public_pem = kGhlRsaPublicKey;
    /// Accept deliveries without a valid signature (--webhooks-insecure; local testing only).
    /// Then a delivery must also be `Content-Type: application/json`, as GHL's are: a web page
    /// can send a cross-site POST without asking first only as text/plain or a form, so this
    /// (with the Origin rule below) keeps any page the user visits from posting fake events.
    bool insecure = false;
    std::size_t max_body = 256 * 1024;
    /// A delivery whose own timestamp is older than this is refused: deduplication no longer
    /// remembers its twin. The receiver never uses more than the store's dedupe_window().
    std::chrono::seconds max_age = std::chrono::hours(24 * 30);
    /// ... or further in the future than this (clock skew).
    std::chrono::seconds max_future = std::chrono::minutes(10);
    /// Called once per newly stored event, in store order, on the receiver's notifier thread.
    std::function<void(const Event&)> on_event;
    /// The clock (tests); empty: the system clock.
    std::function<std::chrono::system_clock::time_point()> now;
};

/// The request headers a delivery is judged by, besides its body.
struct DeliveryHeaders {
    std::string_view ghl_signature;  // X-GHL-Signature ("" when absent)
    std::string_view wh_signature;   // X-WH-Signature ("" when absent)
    /// Origin: GHL sends none; a browser always does on a cross-site POST. Any Origin but a
    /// loopback one (a local test page) is refused, signed or not.
    std::optional<std::string_view> origin;
    std::string_view content_type = "application/json";
};

/// What a delivery is answered with.
struct Reply {
    int status = 200;
    json body;
    int retry_after_s = 0;  // > 0: send Retry-After
};

class Receiver {
  public:
    /// Throws std::invalid_argument when a key does not parse (unless insecure).
    Receiver(EventStore& store, ReceiverOptions options);
    /// Delivers the notifications still queued, then stops the notifier thread.
    ~Receiver();
    Receiver(const Receiver&) = delete;
    Receiver& operator=(const Receiver&) = delete;

    /// Handles one delivery: the raw body and its headers. Thread-safe; returns once the event
    /// is committed (or refused).
    Reply receive(std::string_view body, const DeliveryHeaders& headers);
    /// receive() of a delivery as GHL makes it (JSON, no Origin) with these signature headers.
    Reply receive(std::string_view body, std::string_view ghl_signature,
                  std::string_view wh_signature) {
        return receive(body, DeliveryHeaders{ghl_signature, wh_signature, std::nullopt});
    }

    /// Mounts POST `path` on `http`.
    void mount(httplib::Server& http, const std::string& path = "/webhooks/ghl");

    struct Counters {
        std::uint64_t received = 0, stored = 0, duplicates = 0, unauthorized = 0, malformed = 0,
                      stale = 0, too_large = 0, store_failures = 0, notifications_dropped = 0;
    };
    Counters counters() const;

  private:
    void notifier();

    EventStore& store_;
    ReceiverOptions options_;
    std::unique_ptr<SignatureVerifier> verifier_;

    struct AtomicCounters {
        std::atomic<std::uint64_t> received{0}, stored{0}, duplicates{0}, unauthorized{0},
            malformed{0}, stale{0}, too_large{0}, store_failures{0}, notifications_dropped{0};
    } counters_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Event> pending_;  // stored events waiting for on_event
    bool stopping_ = false;
    std::thread thread_;
};

/// The fields of a delivery the store indexes (type, locationId, contact, GHL's timestamp), and
/// its dedupe key. `body` must be a JSON object. Exposed for tests.
Event describe(const json& body, std::string_view raw);

/// Whether an Origin header value names this machine ("http://localhost:5173",
/// "http://127.0.0.1", "http://[::1]:8080"): scheme, loopback host, optional port, nothing else.
using core::is_loopback_origin;

/// When a delivery says it happened: its `timestamp` as ISO 8601 with a zone ("...Z",
/// "...+02:00"), or as a number of milliseconds since the epoch (seconds below 10^11). nullopt
/// when it is missing, another type, unparsable, or an ISO time without a zone.
std::optional<std::chrono::system_clock::time_point> delivery_time(const json& body);

/// ISO 8601 UTC "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string iso_utc(std::chrono::system_clock::time_point t);
/// Parses "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)"; false when it is not that.
bool parse_iso(std::string_view text, std::chrono::system_clock::time_point& out);

}  // namespace events
