#include "events/signature.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>
#include <vector>

namespace events {

// Published by GHL (marketplace Webhook Integration Guide); the same text appears in many
// independent integrations. Overridable: --webhook-public-key / GHL_MCP_WEBHOOK_PUBLIC_KEY.
const char* const kGhlEd25519PublicKey =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=\n"
    "-----END PUBLIC KEY-----\n";

// GoHighLevel/highlevel-api-v2-docs, docs/oauth/WebhookAuthentication.md. SHA-256 of its DER:
// 2f62045d413b1b7747e26770ce7f57840cbf86288cd20ceb90d299a62501fd25 (checked in a test).
const char* const kGhlRsaPublicKey =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC\n"
    "Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6\n"
    "dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB\n"
    "csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv\n"
    "uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF\n"
    "3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU\n"
    "J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp\n"
    "IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN\n"
    "h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC\n"
    "HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ\n"
    "PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk\n"
    "T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==\n"
    "-----END PUBLIC KEY-----\n";

const char* to_string(Verdict v) {
    switch (v) {
        case Verdict::kValid:
            return "valid";
        case Verdict::kMissing:
            return "missing (send X-GHL-Signature)";
        case Verdict::kMalformed:
            return "malformed (not a base64 signature of the right length)";
        case Verdict::kInvalid:
            return "invalid (it does not verify over this body with the configured key)";
        case Verdict::kNoKey:
            return "not checkable (X-WH-Signature only, and no RSA key is configured)";
    }
    return "invalid";
}

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

Pkey parse_public_key(const std::string& pem, int type, const char* what) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    if (!bio) throw std::runtime_error("out of memory");
    Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key)
        throw std::invalid_argument(std::string("the ") + what +
                                    " public key is not an SPKI PEM public key");
    if (EVP_PKEY_get_base_id(key.get()) != type)
        throw std::invalid_argument(std::string("the ") + what + " public key is not an " + what +
                                    " key");
    return key;
}

/// Strict base64 (RFC 4648 with padding; surrounding whitespace ignored). Empty on error.
std::vector<unsigned char> base64_decode(std::string_view in) {
    while (!in.empty() && (in.front() == ' ' || in.front() == '\t')) in.remove_prefix(1);
    while (!in.empty() &&
           (in.back() == ' ' || in.back() == '\t' || in.back() == '\r' || in.back() == '\n'))
        in.remove_suffix(1);
    if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return {};
    std::vector<unsigned char> out(in.size() / 4 * 3);
    const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    if (n < 0) return {};
    std::size_t len = static_cast<std::size_t>(n);
    if (in.back() == '=') --len;  // EVP_DecodeBlock counts padding as zero bytes
    if (in.size() >= 2 && in[in.size() - 2] == '=') --len;
    out.resize(len);
    return out;
}

bool verify_with(EVP_PKEY* key, const EVP_MD* md, std::string_view body,
                 const std::vector<unsigned char>& sig) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx) return false;
    // Ed25519 is one-shot with no digest (md = NULL); RSA uses SHA-256 with PKCS#1 v1.5 padding,
    // the default for an RSA key.
    const bool ok =
        EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) == 1 &&
        EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                         reinterpret_cast<const unsigned char*>(body.data()), body.size()) == 1;
    ERR_clear_error();  // a failed check leaves errors on this thread's queue
    return ok;
}

}  // namespace

struct SignatureVerifier::Keys {
    Pkey ed25519;
    Pkey rsa;  // null: legacy deliveries are refused
};

SignatureVerifier::SignatureVerifier(const std::string& ed25519_pem, const std::string& rsa_pem)
    : keys_(std::make_unique<Keys>()) {
    keys_->ed25519 = parse_public_key(ed25519_pem, EVP_PKEY_ED25519, "Ed25519");
    if (!rsa_pem.empty()) keys_->rsa = parse_public_key(rsa_pem, EVP_PKEY_RSA, "RSA");
}

SignatureVerifier::~SignatureVerifier() = default;

Verdict SignatureVerifier::verify(std::string_view body, std::string_view ghl_signature,
                                  std::string_view wh_signature) const {
    if (!ghl_signature.empty()) {  // present: it alone decides, as in GHL's SDK
        auto sig = base64_decode(ghl_signature);
        if (sig.size() != 64) return Verdict::kMalformed;
        return verify_with(keys_->ed25519.get(), nullptr, body, sig) ? Verdict::kValid
                                                                     : Verdict::kInvalid;
    }
    if (wh_signature.empty()) return Verdict::kMissing;
    if (!keys_->rsa) return Verdict::kNoKey;
    auto sig = base64_decode(wh_signature);
    if (sig.empty() || sig.size() != static_cast<std::size_t>(EVP_PKEY_get_size(keys_->rsa.get())))
        return Verdict::kMalformed;
    return verify_with(keys_->rsa.get(), EVP_sha256(), body, sig) ? Verdict::kValid
                                                                  : Verdict::kInvalid;
}

}  // namespace events
