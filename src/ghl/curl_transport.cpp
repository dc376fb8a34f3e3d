// CurlTransport. Connection reuse comes from a LIFO pool of easy handles: a handle keeps its
// connection cache across curl_easy_reset(), and the most recently used handle (the one with a warm
// connection) goes out first. Connections themselves are not put in the share: libcurl does not
// support sharing a connection cache between concurrent threads, only DNS and TLS sessions.
#include "ghl/curl_transport.hpp"

#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace ghl {
namespace {

// libcurl is loaded on the first request, not at process start: its Debian build pulls ~25 more
// shared libraries (gnutls, krb5, ldap, ssh2, rtmp...) whose loading and relocation were half of
// ghl-mcp's start-up time, and a stdio client spawns us per session, often without a GHL call.
struct CurlApi {
    CURLcode (*global_init)(long);
    CURL* (*easy_init)();
    void (*easy_cleanup)(CURL*);
    void (*easy_reset)(CURL*);
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
    CURLcode (*easy_perform)(CURL*);
    CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
    const char* (*easy_strerror)(CURLcode);
    CURLSH* (*share_init)();
    CURLSHcode (*share_setopt)(CURLSH*, CURLSHoption, ...);
    CURLSHcode (*share_cleanup)(CURLSH*);
    curl_slist* (*slist_append)(curl_slist*, const char*);
    void (*slist_free_all)(curl_slist*);
};

const CurlApi& curl() {
    // A throwing initializer leaves the static uninitialised: the next call tries again.
    static const CurlApi api = [] {
        // The soname the build was compiled against (libcurl4-openssl-dev -> libcurl4).
        void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr) {
            const char* why = dlerror();
            throw std::runtime_error(std::string("cannot load libcurl.so.4 (install the libcurl4 "
                                                 "package): ") +
                                     (why ? why : "unknown error"));
        }
        CurlApi a{};
        auto load = [lib](auto& fn, const char* name) {
            void* sym = dlsym(lib, name);
            if (sym == nullptr) throw std::runtime_error(std::string("libcurl.so.4 lacks ") + name);
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(sym);
        };
        load(a.global_init, "curl_global_init");
        load(a.easy_init, "curl_easy_init");
        load(a.easy_cleanup, "curl_easy_cleanup");
        load(a.easy_reset, "curl_easy_reset");
        load(a.easy_setopt, "curl_easy_setopt");
        load(a.easy_perform, "curl_easy_perform");
        load(a.easy_getinfo, "curl_easy_getinfo");
        load(a.easy_strerror, "curl_easy_strerror");
        load(a.share_init, "curl_share_init");
        load(a.share_setopt, "curl_share_setopt");
        load(a.share_cleanup, "curl_share_cleanup");
        load(a.slist_append, "curl_slist_append");
        load(a.slist_free_all, "curl_slist_free_all");
        if (a.global_init(CURL_GLOBAL_ALL) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
        return a;
    }();
    return api;
}

struct Sink {
    std::string* body;
    Headers* headers;
    std::size_t max_bytes;
    bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    const size_t n = size * count;
    if (sink->body->size() + n > sink->max_bytes) {
        sink->too_large = true;
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    sink->body->append(data, n);
    return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    const size_t n = size * count;
    std::string_view line(data, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
        sink->headers->clear();  // a new response begins (after 100 Continue, say)
        return n;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return n;
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    sink->headers->add(std::string(line.substr(0, colon)), std::string(value));
    return n;
}

TransportError classify(CURLcode code, bool request_sent) {
    switch (code) {
        case CURLE_OK:
            return TransportError::kNone;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
            return TransportError::kConnectFailed;
        case CURLE_OPERATION_TIMEDOUT:
            return request_sent ? TransportError::kTimeout : TransportError::kConnectFailed;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return TransportError::kTls;
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
            return request_sent ? TransportError::kConnectionLost : TransportError::kConnectFailed;
        default:
            return TransportError::kOther;
    }
}

}  // namespace

struct CurlTransport::Impl {
    CurlTransportOptions options;
    std::once_flag started;
    CURLSH* share = nullptr;  // set by start(), on the first request

    /// Loads libcurl and creates the share (once; throws when libcurl cannot be loaded).
    void start();
    std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks;
    std::mutex pool_mutex;
    std::vector<CURL*> idle;
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> handles_created{0};

    static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
        static_cast<Impl*>(user)->share_locks[static_cast<std::size_t>(data)].lock();
    }
    static void unlock(CURL*, curl_lock_data data, void* user) {
        static_cast<Impl*>(user)->share_locks[static_cast<std::size_t>(data)].unlock();
    }

    CURL* checkout() {
        {
            std::lock_guard guard(pool_mutex);
            if (!idle.empty()) {
                CURL* h = idle.back();
                idle.pop_back();
                return h;
            }
        }
        CURL* h = curl().easy_init();
        if (h == nullptr) throw std::runtime_error("curl_easy_init failed");
        ++handles_created;
        return h;
    }

    void checkin(CURL* h) {
        {
            std::lock_guard guard(pool_mutex);
            if (idle.size() < options.max_idle_handles) {
                idle.push_back(h);
                return;
            }
        }
        curl().easy_cleanup(h);
    }
};

CurlTransport::CurlTransport(CurlTransportOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
}

void CurlTransport::Impl::start() {
    std::call_once(started, [this] {
        const CurlApi& c = curl();
        share = c.share_init();
        if (share == nullptr) throw std::runtime_error("curl_share_init failed");
        c.share_setopt(share, CURLSHOPT_LOCKFUNC, &Impl::lock);
        c.share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Impl::unlock);
        c.share_setopt(share, CURLSHOPT_USERDATA, this);
        c.share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        c.share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    });
}

CurlTransport::~CurlTransport() {
    if (impl_->share == nullptr) return;  // never sent anything: libcurl was never loaded
    for (CURL* h : impl_->idle) curl().easy_cleanup(h);
    impl_->idle.clear();
    curl().share_cleanup(impl_->share);
}

CurlTransport::Stats CurlTransport::stats() const {
    return {impl_->requests.load(), impl_->connections.load(), impl_->handles_created.load()};
}

Response CurlTransport::send(const Request& request) {
    Response response;
    // A request without a deadline (time_point::max()) still gets a finite, sane total timeout.
    constexpr std::chrono::milliseconds kLongest = std::chrono::hours(1);
    const auto now = std::chrono::steady_clock::now();
    const auto remaining =
        request.deadline - now >= kLongest
            ? kLongest
            : std::chrono::duration_cast<std::chrono::milliseconds>(request.deadline - now);
    if (remaining.count() <= 0) {
        response.error = TransportError::kTimeout;
        response.error_message = "deadline passed before the request was sent";
        return response;
    }
    ++impl_->requests;

    try {
        impl_->start();
    } catch (const std::exception& e) {
        response.error = TransportError::kOther;
        response.error_message = e.what();
        return response;
    }
    CURL* h = impl_->checkout();
    curl().easy_reset(h);  // keeps the handle's live connections, DNS and TLS session caches

    const std::string url = request.url_with_query();
    Sink sink{&response.body, &response.headers, impl_->options.max_response_bytes};
    std::array<char, CURL_ERROR_SIZE> error_buffer{};

    curl_slist* headers = nullptr;
    bool has_content_type = false;
    for (const auto& [name, value] : request.headers.items()) {
        if (iequals(name, "Content-Type")) has_content_type = true;
        headers = curl().slist_append(headers, (name + ": " + value).c_str());
    }
    headers = curl().slist_append(headers, "Expect:");  // no 100-continue round trip
    if (!has_content_type) headers = curl().slist_append(headers, "Content-Type:");

    curl().easy_setopt(h, CURLOPT_SHARE, impl_->share);
    curl().easy_setopt(h, CURLOPT_URL, url.c_str());
    curl().easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl().easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl().easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl().easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    // libcurl silently sends a request again on a new connection when a reused keep-alive
    // connection dies before the first response byte (a reset, or the server closing it), even a
    // POST. The server may already have applied it, so a create would be made twice. On a fresh
    // connection libcurl never does that: requests that must not be repeated get one.
    if (!request.retry_safe) curl().easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    curl().easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl().easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!impl_->options.ca_file.empty()) {
        curl().easy_setopt(h, CURLOPT_CAINFO, impl_->options.ca_file.c_str());
    }
    curl().easy_setopt(h, CURLOPT_HTTP_VERSION,
                     impl_->options.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
    curl().easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl can decode
    curl().easy_setopt(
        h, CURLOPT_CONNECTTIMEOUT_MS,
        static_cast<long>(std::min(impl_->options.connect_timeout, remaining).count()));
    curl().easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining.count()));
    curl().easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl().easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl().easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl().easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl().easy_setopt(h, CURLOPT_HEADERDATA, &sink);
    curl().easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer.data());

    switch (request.method) {
        case Method::kGet:
            curl().easy_setopt(h, CURLOPT_HTTPGET, 1L);
            break;
        case Method::kPost:
            curl().easy_setopt(h, CURLOPT_POST, 1L);
            break;
        default:
            curl().easy_setopt(h, CURLOPT_CUSTOMREQUEST,
                             std::string(to_string(request.method)).c_str());
            break;
    }
    const bool with_body = request.method == Method::kPost || request.method == Method::kPut ||
                           request.method == Method::kPatch || !request.body.empty();
    if (with_body) {
        curl().easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
        curl().easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
    }

    const CURLcode code = curl().easy_perform(h);

    long status = 0;
    curl().easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    long new_connections = 0;
    curl().easy_getinfo(h, CURLINFO_NUM_CONNECTS, &new_connections);
    curl_off_t pretransfer_us = 0;
    curl().easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
    impl_->connections += static_cast<std::uint64_t>(std::max(new_connections, 0L));

    // The header list and error buffer die with this call; drop the handle's pointers to them.
    curl().easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    curl().easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    curl().slist_free_all(headers);
    impl_->checkin(h);

    if (code == CURLE_OK) {
        response.status = static_cast<int>(status);
        return response;
    }
    response.status = 0;
    response.error = classify(code, pretransfer_us > 0);
    response.error_message = error_buffer[0] != '\0' ? std::string(error_buffer.data())
                                                     : std::string(curl().easy_strerror(code));
    if (sink.too_large) {
        response.error = TransportError::kOther;
        response.error_message =
            "response larger than " + std::to_string(impl_->options.max_response_bytes) + " bytes";
    }
    response.body.clear();
    response.headers.clear();
    return response;
}

}  // namespace ghl
