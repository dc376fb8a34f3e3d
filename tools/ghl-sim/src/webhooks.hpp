// The webhook sender: a queue of events, one background thread that signs and POSTs them in
// order, the signing keys and the counters (Options::webhooks).
#pragma once

#include "store.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace httplib {
class Client;
}

namespace ghlsim {

/// An http(s) URL split for httplib: "http://127.0.0.1:8787/webhooks/ghl" is
/// {"http://127.0.0.1:8787", "/webhooks/ghl"}. std::invalid_argument for anything else.
struct WebhookTarget {
    std::string origin;  ///< scheme://host[:port]
    std::string path;    ///< "/" when the URL has none (query string included)
    static WebhookTarget parse(const std::string& url);
};

class WebhookSender {
  public:
    /// Checks the configuration and loads (or makes) the keys; starts the delivery thread.
    /// std::invalid_argument on a bad URL, repeat or key.
    WebhookSender(Webhooks config, std::function<Ms()> now);
    /// Abandons whatever is still queued (see shutdown).
    ~WebhookSender();
    WebhookSender(const WebhookSender&) = delete;
    WebhookSender& operator=(const WebhookSender&) = delete;

    void set_url(std::string url);
    /// Queues one event, adding webhookId and timestamp when absent. Cheap: signing and sending
    /// happen on the delivery thread. Ignored after shutdown().
    void enqueue(Json payload);
    /// True once nothing is queued or in flight; false when `timeout` passes first.
    bool flush(std::chrono::milliseconds timeout);
    /// Lets the queue drain for at most `drain`, then abandons the rest (cutting an in-flight
    /// POST short) and joins the thread. Idempotent.
    void shutdown(std::chrono::milliseconds drain);
    std::string public_pem(WebhookKey kind) const;
    WebhookCounters counters() const;

  private:
    struct Key;
    void run();
    /// Signs and POSTs one event `repeat` times (the delivery thread, without mu_).
    void deliver(const Json& event, const WebhookTarget& target);
    const Key& rsa_key() const;  // generated on first use

    Webhooks config_;
    std::function<Ms()> now_;
    std::unique_ptr<Key> ed25519_;
    mutable std::mutex key_mu_;
    mutable std::unique_ptr<Key> rsa_;

    mutable std::mutex mu_;
    std::condition_variable wake_;  // the delivery thread: work, a URL or shutdown
    std::condition_variable idle_;  // flush and shutdown: the queue drained
    std::deque<Json> queue_;
    std::string url_;
    bool in_flight_ = false;
    bool stopping_ = false;  // no more events are accepted
    bool abandon_ = false;   // the thread leaves without sending the rest
    bool joined_ = false;
    std::mutex shutdown_mu_;  // one shutdown at a time (stop() and the destructor)
    Rng ids_;
    WebhookCounters counters_;

    std::mutex client_mu_;  // guards client_ against shutdown()'s stop() while being replaced
    std::unique_ptr<httplib::Client> client_;
    std::string client_origin_;
    std::thread thread_;
};

}  // namespace ghlsim
