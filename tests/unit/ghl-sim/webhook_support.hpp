// Shared by the webhook tests: a receiver on an ephemeral loopback port that records what the
// simulator POSTs, and signature checks with OpenSSL that do not use the simulator's code.
#pragma once

#include "sim_support.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace simtest {

using namespace std::chrono_literals;

// ---- verification with OpenSSL, independent of the simulator's signing code ----

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};

inline std::vector<unsigned char> unbase64(const std::string& text) {
    if (text.empty() || text.size() % 4 != 0) return {};
    std::vector<unsigned char> out(text.size() / 4 * 3);
    const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0) return {};
    std::size_t size = static_cast<std::size_t>(n);
    for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;  // padding
    out.resize(size);
    return out;
}

enum class Alg { kEd25519, kRsaSha256 };

/// EVP_DigestVerify: Ed25519 with md = NULL (no prehash); RSA with SHA-256 and PKCS#1 v1.5.
inline bool verifies(const std::string& public_pem, Alg alg, const std::string& body,
                     const std::string& signature_b64) {
    std::unique_ptr<BIO, BioFree> bio(
        BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())));
    std::unique_ptr<EVP_PKEY, PkeyFree> key(
        PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) throw std::runtime_error("not a public key PEM");
    const std::vector<unsigned char> sig = unbase64(signature_b64);
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestVerifyInit(ctx.get(), &pctx, alg == Alg::kRsaSha256 ? EVP_sha256() : nullptr,
                             nullptr, key.get()) != 1) {
        throw std::runtime_error("EVP_DigestVerifyInit");
    }
    if (alg == Alg::kRsaSha256) EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING);
    const int ok =
        EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                         reinterpret_cast<const unsigned char*>(body.data()), body.size());
    ERR_clear_error();
    return ok == 1;
}

// ---- the receiver ----

struct Delivery {
    std::string path;
    std::string body;
    std::string content_type;
    std::string ghl_signature;  ///< X-GHL-Signature ("" when absent)
    std::string wh_signature;   ///< X-WH-Signature
    bool has_wh_signature = false;
    Json json() const { return Json::parse(body); }
};

/// An httplib server on an ephemeral loopback port that records every POST and answers
/// `status`. With hold(), answers wait until release().
class Receiver {
  public:
    explicit Receiver(int status = 200) : status_(status) {
        server_.Post("/hooks/ghl", [this](const httplib::Request& req, httplib::Response& res) {
            std::unique_lock lock(mu_);
            deliveries_.push_back({req.path, req.body, req.get_header_value("Content-Type"),
                                   req.get_header_value("X-GHL-Signature"),
                                   req.get_header_value("X-WH-Signature"),
                                   req.has_header("X-WH-Signature")});
            arrived_.notify_all();
            released_.wait(lock, [&] { return !held_; });
            res.status = status_;
            res.set_content("{}", "application/json");
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        for (int i = 0; i < 2000 && !server_.is_running(); ++i) std::this_thread::sleep_for(1ms);
    }
    ~Receiver() {
        release();
        server_.stop();
        thread_.join();
    }
    Receiver(const Receiver&) = delete;
    Receiver& operator=(const Receiver&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/ghl"; }
    std::vector<Delivery> deliveries() const {
        std::lock_guard lock(mu_);
        return deliveries_;
    }
    void hold() {
        std::lock_guard lock(mu_);
        held_ = true;
    }
    void release() {
        std::lock_guard lock(mu_);
        held_ = false;
        released_.notify_all();
    }
    bool wait_for_deliveries(std::size_t n, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu_);
        return arrived_.wait_for(lock, timeout, [&] { return deliveries_.size() >= n; });
    }

  private:
    int status_;
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    mutable std::mutex mu_;
    std::condition_variable arrived_;
    std::condition_variable released_;
    bool held_ = false;
    std::vector<Delivery> deliveries_;
};

}  // namespace simtest
