// The production HttpTransport on libcurl: pooled easy handles that keep their connections alive,
// a share for DNS and TLS sessions, HTTP/2 over TLS when the server offers it, compressed
// responses, TLS verification always on, a 5 s connect timeout and the request's deadline as the
// total timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "ghl/http.hpp"

namespace ghl {

struct CurlTransportOptions {
    std::chrono::milliseconds connect_timeout{5000};
    /// Idle easy handles kept for reuse (each holds its keep-alive connections). Handles beyond
    /// this, needed only under high concurrency, are closed after use.
    std::size_t max_idle_handles = 32;
    /// Responses larger than this fail (TransportError::kOther) instead of exhausting memory.
    std::size_t max_response_bytes = 64u * 1024u * 1024u;
    /// Extra CA bundle file (PEM). Empty: the system store. Verification is never disabled.
    std::string ca_file;
    /// Offer HTTP/2 during the TLS handshake (CURL_HTTP_VERSION_2TLS).
    bool http2 = true;
};

class CurlTransport final : public HttpTransport {
  public:
    explicit CurlTransport(CurlTransportOptions options = {});
    ~CurlTransport() override;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    Response send(const Request& request) override;

    struct Stats {
        std::uint64_t requests = 0;
        /// New connections opened (libcurl CURLINFO_NUM_CONNECTS summed): with keep-alive working,
        /// far fewer than requests.
        std::uint64_t connections_opened = 0;
        std::uint64_t handles_created = 0;
    };
    Stats stats() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ghl
