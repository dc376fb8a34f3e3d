// GHL webhook signatures: X-GHL-Signature (Ed25519 over the raw body, base64) and the legacy
// X-WH-Signature (RSA-SHA256, PKCS#1 v1.5, base64). The SDK's order: when X-GHL-Signature is
// present it alone decides; otherwise X-WH-Signature (ghl-api.md N5).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace events {

/// GHL's published Ed25519 key (X-GHL-Signature), SPKI PEM.
extern const char* const kGhlEd25519PublicKey;
/// GHL's published RSA-4096 key (X-WH-Signature, legacy), SPKI PEM, from GHL's docs
/// (docs/oauth/WebhookAuthentication.md).
extern const char* const kGhlRsaPublicKey;

enum class Verdict {
    kValid,
    kMissing,    // no signature header we check
    kMalformed,  // not base64, or the wrong length
    kInvalid,    // does not verify with the key
    kNoKey,      // only X-WH-Signature was sent and no RSA key is configured
};
const char* to_string(Verdict v);

class SignatureVerifier {
  public:
    /// Parses the keys (SPKI PEM). An empty `rsa_pem` refuses legacy-only deliveries. Throws
    /// std::invalid_argument naming the key that does not parse or has the wrong type.
    SignatureVerifier(const std::string& ed25519_pem, const std::string& rsa_pem);
    ~SignatureVerifier();
    SignatureVerifier(const SignatureVerifier&) = delete;
    SignatureVerifier& operator=(const SignatureVerifier&) = delete;

    /// `ghl_signature` / `wh_signature`: the header values ("" when absent). Thread-safe.
    Verdict verify(std::string_view body, std::string_view ghl_signature,
                   std::string_view wh_signature) const;

  private:
    struct Keys;
    std::unique_ptr<Keys> keys_;
};

}  // namespace events
