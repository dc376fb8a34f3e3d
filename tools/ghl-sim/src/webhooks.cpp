// Signed GHL webhooks: OpenSSL signing (Ed25519 and RSA-SHA256, as ghl-api.md N5 describes GHL's)
// and the sender that POSTs the simulator's events from one background thread.
#include "webhooks.hpp"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <pthread.h>
#include <signal.h>

#include <cctype>
#include <random>
#include <stdexcept>
#include <vector>

namespace ghlsim {

namespace {

struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

/// Throws std::runtime_error with OpenSSL's first queued reason (and empties the thread's
/// error queue, so the next call starts clean).
[[noreturn]] void openssl_error(const std::string& what) {
    std::string reason;
    while (const unsigned long code = ERR_get_error()) {
        if (reason.empty()) {
            char text[256];
            ERR_error_string_n(code, text, sizeof text);
            reason = text;
        }
    }
    throw std::runtime_error("ghl-sim: " + what + (reason.empty() ? "" : ": " + reason));
}

/// Never asks for a passphrase (OpenSSL's default callback would read the terminal).
int no_passphrase(char*, int, int, void*) {
    return 0;
}

PkeyPtr read_private_key(const std::string& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) openssl_error("BIO_new_mem_buf");
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
    if (!key) openssl_error("not a PEM private key");
    return key;
}

std::string mem_text(BIO* bio) {
    BUF_MEM* mem = nullptr;
    BIO_get_mem_ptr(bio, &mem);
    return mem == nullptr ? std::string() : std::string(mem->data, mem->length);
}

std::string private_pem_text(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        openssl_error("PEM_write_bio_PrivateKey");
    }
    return mem_text(bio.get());
}

std::string public_pem_text(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) openssl_error("PEM_write_bio_PUBKEY");
    return mem_text(bio.get());
}

enum class Algorithm { kEd25519, kRsa };

const char* name_of(Algorithm a) {
    return a == Algorithm::kEd25519 ? "ED25519" : "RSA";
}

void require_type(EVP_PKEY* key, Algorithm a) {
    if (EVP_PKEY_is_a(key, name_of(a)) != 1) {
        throw std::runtime_error(std::string("ghl-sim: not an ") + name_of(a) + " key");
    }
}

/// EVP_EncodeBlock: standard alphabet, padded, no line breaks.
std::string base64(const unsigned char* data, std::size_t size) {
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

/// Ed25519: one-shot EVP_DigestSign with no digest (pure Ed25519, no prehash). RSA: SHA-256 with
/// PKCS#1 v1.5 padding (Node's createSign('SHA256')).
std::string sign_base64(EVP_PKEY* key, Algorithm a, std::string_view body) {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx) openssl_error("EVP_MD_CTX_new");
    EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
    const EVP_MD* md = a == Algorithm::kRsa ? EVP_sha256() : nullptr;
    if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key) != 1) {
        openssl_error("EVP_DigestSignInit");
    }
    if (a == Algorithm::kRsa && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
        openssl_error("EVP_PKEY_CTX_set_rsa_padding");
    }
    static const unsigned char kNothing = 0;
    const unsigned char* data =
        body.empty() ? &kNothing : reinterpret_cast<const unsigned char*>(body.data());
    std::size_t size = 0;
    if (EVP_DigestSign(ctx.get(), nullptr, &size, data, body.size()) != 1) {
        openssl_error("EVP_DigestSign");
    }
    std::vector<unsigned char> signature(size);
    if (EVP_DigestSign(ctx.get(), signature.data(), &size, data, body.size()) != 1) {
        openssl_error("EVP_DigestSign");
    }
    return base64(signature.data(), size);
}

PkeyPtr generate_key(Algorithm a, int bits) {
    EVP_PKEY* key = a == Algorithm::kEd25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                             : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA",
                                                                 static_cast<std::size_t>(bits));
    if (key == nullptr) openssl_error(std::string("generating an ") + name_of(a) + " key");
    return PkeyPtr(key);
}

std::uint64_t random_seed() {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

std::string lower_ascii(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

// ---- the public signing helpers ----

std::string sign_ed25519_base64(const std::string& private_pem, std::string_view body) {
    const PkeyPtr key = read_private_key(private_pem);
    require_type(key.get(), Algorithm::kEd25519);
    return sign_base64(key.get(), Algorithm::kEd25519, body);
}

std::string sign_rsa_sha256_base64(const std::string& private_pem, std::string_view body) {
    const PkeyPtr key = read_private_key(private_pem);
    require_type(key.get(), Algorithm::kRsa);
    return sign_base64(key.get(), Algorithm::kRsa, body);
}

std::string generate_ed25519_private_pem() {
    return private_pem_text(generate_key(Algorithm::kEd25519, 0).get());
}

std::string generate_rsa_private_pem(int bits) {
    if (bits < 1024 || bits > 16384) {
        throw std::invalid_argument("ghl-sim: RSA keys of 1024-16384 bits, not " +
                                    std::to_string(bits));
    }
    return private_pem_text(generate_key(Algorithm::kRsa, bits).get());
}

std::string public_pem_of(const std::string& private_pem) {
    return public_pem_text(read_private_key(private_pem).get());
}

// ---- the sender ----

WebhookTarget WebhookTarget::parse(const std::string& url) {
    const auto bad = [&](const char* why) {
        return std::invalid_argument("ghl-sim: webhook URL '" + url + "': " + why);
    };
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) throw bad("expected http://HOST[:PORT][/PATH]");
    const std::string scheme = lower_ascii(url.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") throw bad("only http and https are supported");
    if (url.find_first_of(" \t\r\n") != std::string::npos) throw bad("contains white space");
    const auto path_start = url.find_first_of("/?#", scheme_end + 3);
    WebhookTarget out;
    out.origin = url.substr(0, path_start);
    if (out.origin.size() == scheme_end + 3) throw bad("no host");
    out.path = path_start == std::string::npos ? "/" : url.substr(path_start);
    if (out.path.front() != '/') out.path.insert(0, "/");
    if (const auto hash = out.path.find('#'); hash != std::string::npos) out.path.resize(hash);
    return out;
}

struct WebhookSender::Key {
    PkeyPtr pkey;
    std::string public_pem;

    explicit Key(PkeyPtr key) : pkey(std::move(key)), public_pem(public_pem_text(pkey.get())) {}
};

namespace {

/// The key in `pem`, which must be of type `a`; a fresh one when `pem` is empty.
PkeyPtr load_or_generate(const std::string& pem, Algorithm a, const char* option) {
    if (pem.empty()) return generate_key(a, 2048);
    try {
        PkeyPtr key = read_private_key(pem);
        require_type(key.get(), a);
        return key;
    } catch (const std::runtime_error& e) {
        throw std::invalid_argument(std::string("ghl-sim: Webhooks::") + option + ": " + e.what());
    }
}

}  // namespace

WebhookSender::WebhookSender(Webhooks config, std::function<Ms()> now)
    : config_(std::move(config)), now_(std::move(now)), ids_(random_seed()) {
    if (config_.repeat < 1 || config_.repeat > 100) {
        throw std::invalid_argument("ghl-sim: Webhooks::repeat must be between 1 and 100");
    }
    if (config_.timeout.count() <= 0 || config_.max_queued < 1) {
        throw std::invalid_argument("ghl-sim: Webhooks::timeout and max_queued must be positive");
    }
    if (!config_.url.empty()) WebhookTarget::parse(config_.url);
    url_ = config_.url;
    ed25519_ = std::make_unique<Key>(
        load_or_generate(config_.ed25519_private_pem, Algorithm::kEd25519, "ed25519_private_pem"));
    if (!config_.rsa_private_pem.empty()) {
        rsa_ = std::make_unique<Key>(
            load_or_generate(config_.rsa_private_pem, Algorithm::kRsa, "rsa_private_pem"));
    }
    thread_ = std::thread([this] { run(); });
}

WebhookSender::~WebhookSender() {
    shutdown(std::chrono::milliseconds(0));
}

void WebhookSender::set_url(std::string url) {
    if (!url.empty()) WebhookTarget::parse(url);
    std::lock_guard lock(mu_);
    url_ = std::move(url);
    wake_.notify_all();
    idle_.notify_all();  // a shutdown waiting for a drain stops waiting when the URL goes away
}

void WebhookSender::enqueue(Json payload) {
    const bool has_id = payload.contains("webhookId");
    if (!payload.contains("timestamp")) payload["timestamp"] = timeutil::iso_utc(now_());
    std::lock_guard lock(mu_);
    if (stopping_) return;
    if (!has_id) payload["webhookId"] = ids_.uuid();
    ++counters_.events;
    queue_.push_back(std::move(payload));
    while (queue_.size() > config_.max_queued) {
        queue_.pop_front();
        ++counters_.dropped;
    }
    wake_.notify_one();
}

bool WebhookSender::flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return idle_.wait_for(lock, timeout, [&] { return queue_.empty() && !in_flight_; });
}

void WebhookSender::shutdown(std::chrono::milliseconds drain) {
    std::lock_guard once(shutdown_mu_);
    {
        std::unique_lock lock(mu_);
        if (joined_) return;
        stopping_ = true;
        wake_.notify_all();
        idle_.wait_for(lock, drain,
                       [&] { return (queue_.empty() || url_.empty()) && !in_flight_; });
        abandon_ = true;
        wake_.notify_all();
    }
    {
        std::lock_guard lock(client_mu_);
        if (client_) client_->stop();  // cuts an in-flight POST short
    }
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mu_);
    joined_ = true;
}

const WebhookSender::Key& WebhookSender::rsa_key() const {
    std::lock_guard lock(key_mu_);
    if (!rsa_) rsa_ = std::make_unique<Key>(generate_key(Algorithm::kRsa, 2048));
    return *rsa_;
}

std::string WebhookSender::public_pem(WebhookKey kind) const {
    if (kind == WebhookKey::Ed25519) return ed25519_->public_pem;
    if (!config_.sign_rsa && config_.rsa_private_pem.empty()) {
        throw std::logic_error("ghl-sim: webhooks are not RSA-signed (Webhooks::sign_rsa is off)");
    }
    return rsa_key().public_pem;
}

WebhookCounters WebhookSender::counters() const {
    std::lock_guard lock(mu_);
    WebhookCounters out = counters_;
    out.pending = static_cast<int>(queue_.size()) + (in_flight_ ? 1 : 0);
    return out;
}

void WebhookSender::run() {
    // A POST to a receiver that went away must not raise SIGPIPE in the host process.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    std::unique_lock lock(mu_);
    for (;;) {
        wake_.wait(lock,
                   [&] { return abandon_ || stopping_ || (!queue_.empty() && !url_.empty()); });
        if (abandon_ || queue_.empty() || url_.empty()) {
            if (abandon_ || stopping_) break;
            continue;
        }
        const Json event = std::move(queue_.front());
        queue_.pop_front();
        in_flight_ = true;
        const WebhookTarget target = WebhookTarget::parse(url_);
        lock.unlock();
        deliver(event, target);
        lock.lock();
        in_flight_ = false;
        idle_.notify_all();
    }
}

void WebhookSender::deliver(const Json& event, const WebhookTarget& target) {
    const std::string body = event.dump();
    httplib::Headers headers;
    bool signed_ok = true;
    try {
        if (config_.sign_ed25519) {
            headers.emplace("X-GHL-Signature",
                            sign_base64(ed25519_->pkey.get(), Algorithm::kEd25519, body));
        }
        if (config_.sign_rsa) {
            headers.emplace("X-WH-Signature",
                            sign_base64(rsa_key().pkey.get(), Algorithm::kRsa, body));
        }
    } catch (const std::exception&) {
        signed_ok = false;  // counted as failed deliveries below; nothing is sent unsigned
    }

    httplib::Client* client = nullptr;
    {
        std::lock_guard lock(client_mu_);
        if (!client_ || client_origin_ != target.origin) {
            auto fresh = std::make_unique<httplib::Client>(target.origin);
            fresh->set_connection_timeout(config_.timeout);
            fresh->set_read_timeout(config_.timeout);
            fresh->set_write_timeout(config_.timeout);
            // One connection per delivery, as from separate delivery workers: an idle kept-alive
            // connection would hold a receiver's shutdown for its whole keep-alive timeout.
            fresh->set_keep_alive(false);
            fresh->set_tcp_nodelay(true);
            client_ = std::move(fresh);
            client_origin_ = target.origin;
        }
        client = client_.get();
    }
    for (int i = 0; i < config_.repeat; ++i) {
        {
            std::lock_guard lock(mu_);
            if (abandon_) return;
            ++counters_.deliveries;
        }
        int status = 0;
        if (signed_ok) {
            const httplib::Result r = client->Post(target.path, headers, body, "application/json");
            if (r) status = r->status;
        }
        std::lock_guard lock(mu_);
        if (status >= 200 && status < 300) {
            ++counters_.delivered_2xx;
        } else {
            ++counters_.failed;
        }
        counters_.last_status = status;
    }
}

}  // namespace ghlsim
