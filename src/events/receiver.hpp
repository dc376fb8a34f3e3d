// POST /webhooks/ghl: GHL pushes events here. A delivery is checked (size, signature, JSON,
// age), deduplicated by webhookId (a hash of the body when absent) and committed to the event
// store before we answer 200. Anything slower (MCP notifications) runs on the receiver's own
// thread, never on the request's. GHL retries only on 429 (integrations.md 5), so a store that
// cannot take a delivery answers 429 with Retry-After: then nothing is lost.
#pragma once

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
    bool insecure = false;
    std::size_t max_body = 256 * 1024;
    /// A delivery whose own timestamp is older than this is refused: deduplication no longer
    /// remembers its twin (keep it equal to the store's Retention::max_age).
    std::chrono::seconds max_age = std::chrono::hours(24 * 30);
    /// ... or further in the future than this (clock skew).
    std::chrono::seconds max_future = std::chrono::minutes(10);
    /// Called once per newly stored event, in store order, on the receiver's notifier thread.
    std::function<void(const Event&)> on_event;
    /// The clock (tests); empty: the system clock.
    std::function<std::chrono::system_clock::time_point()> now;
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

    /// Handles one delivery: the raw body and the two signature headers ("" when absent).
    /// Thread-safe; returns once the event is committed (or refused).
    Reply receive(std::string_view body, std::string_view ghl_signature,
                  std::string_view wh_signature);

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

/// ISO 8601 UTC "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string iso_utc(std::chrono::system_clock::time_point t);
/// Parses "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)"; false when it is not that.
bool parse_iso(std::string_view text, std::chrono::system_clock::time_point& out);

}  // namespace events
