// X-GHL-Signature (Ed25519) and X-WH-Signature (RSA-SHA256): real keys, real signatures (made
// the way GHL makes them, by the simulator's signer), and every way a delivery can be wrong.
#include "events/signature.hpp"
#include "ghlsim/simulator.hpp"
#include "test_keys.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

namespace {

using events::SignatureVerifier;
using events::Verdict;

const events_test::TestKeys& keys() {
    return events_test::test_keys();
}

const std::string kBody =
    R"({"type":"ContactCreate","locationId":"loc1","id":"c1","webhookId":"w-1","timestamp":"2026-12-07T10:00:00.000Z"})";

TEST(WebhookSignature, ValidEd25519Passes) {
    SignatureVerifier v(keys().ed_public, keys().rsa_public);
    EXPECT_EQ(v.verify(kBody, ghlsim::sign_ed25519_base64(keys().ed_private, kBody), ""),
              Verdict::kValid);
}

TEST(WebhookSignature, ValidLegacyRsaPassesWhenAlone) {
    SignatureVerifier v(keys().ed_public, keys().rsa_public);
    EXPECT_EQ(v.verify(kBody, "", ghlsim::sign_rsa_sha256_base64(keys().rsa_private, kBody)),
              Verdict::kValid);
}

TEST(WebhookSignature, AlteredBodyFails) {
    SignatureVerifier v(keys().ed_public, keys().rsa_public);
    std::string altered = kBody;
    altered.replace(altered.find("c1"), 2, "c2");
    EXPECT_EQ(v.verify(altered, ghlsim::sign_ed25519_base64(keys().ed_private, kBody), ""),
              Verdict::kInvalid);
    EXPECT_EQ(v.verify(altered, "", ghlsim::sign_rsa_sha256_base64(keys().rsa_private, kBody)),
              Verdict::kInvalid);
    // Re-serialised JSON (spaces) is not what was signed: we verify the raw bytes.
    EXPECT_EQ(v.verify(kBody + " ", ghlsim::sign_ed25519_base64(keys().ed_private, kBody), ""),
              Verdict::kInvalid);
}

TEST(WebhookSignature, WrongKeyFails) {
    SignatureVerifier v(keys().ed_public, keys().rsa_public);
    const std::string other_ed = ghlsim::generate_ed25519_private_pem();
    EXPECT_EQ(v.verify(kBody, ghlsim::sign_ed25519_base64(other_ed, kBody), ""), Verdict::kInvalid);
    // GHL's published keys do not accept our test signatures either.
    SignatureVerifier published(events::kGhlEd25519PublicKey, events::kGhlRsaPublicKey);
    EXPECT_EQ(published.verify(kBody, ghlsim::sign_ed25519_base64(keys().ed_private, kBody), ""),
              Verdict::kInvalid);
    EXPECT_EQ(
        published.verify(kBody, "", ghlsim::sign_rsa_sha256_base64(keys().rsa_private, kBody)),
        Verdict::kMalformed)
        << "a 2048-bit signature is the wrong length for GHL's 4096-bit key";
}

TEST(WebhookSignature, MissingAndMalformedHeaders) {
    SignatureVerifier v(keys().ed_public, keys().rsa_public);
    EXPECT_EQ(v.verify(kBody, "", ""), Verdict::kMissing);
    EXPECT_EQ(v.verify(kBody, "not base64!", ""), Verdict::kMalformed);
    EXPECT_EQ(v.verify(kBody, "AAAA", ""), Verdict::kMalformed)
        << "3 bytes is no Ed25519 signature";
    EXPECT_EQ(v.verify(kBody, "", "@@@@"), Verdict::kMalformed);
}

TEST(WebhookSignature, Ed25519HeaderDecidesAloneWithoutFallback) {
    // As GHL's SDK: a present X-GHL-Signature that fails is a failure, even with a valid RSA one.
    SignatureVerifier v(keys().ed_public, keys().rsa_public);
    const std::string bad =
        ghlsim::sign_ed25519_base64(ghlsim::generate_ed25519_private_pem(), kBody);
    EXPECT_EQ(v.verify(kBody, bad, ghlsim::sign_rsa_sha256_base64(keys().rsa_private, kBody)),
              Verdict::kInvalid);
    EXPECT_EQ(v.verify(kBody, ghlsim::sign_ed25519_base64(keys().ed_private, kBody), "garbage"),
              Verdict::kValid);
}

TEST(WebhookSignature, WithoutRsaKeyLegacyOnlyDeliveriesAreRefused) {
    SignatureVerifier v(keys().ed_public, "");
    EXPECT_EQ(v.verify(kBody, "", ghlsim::sign_rsa_sha256_base64(keys().rsa_private, kBody)),
              Verdict::kNoKey);
}

TEST(WebhookSignature, BadKeysAreRefusedAtStart) {
    EXPECT_THROW(SignatureVerifier("not a key", ""), std::invalid_argument);
    EXPECT_THROW(SignatureVerifier(keys().rsa_public, ""), std::invalid_argument)
        << "RSA where Ed25519 belongs";
    EXPECT_THROW(SignatureVerifier(keys().ed_public, keys().ed_public), std::invalid_argument);
}

TEST(WebhookSignature, PublishedKeysAreTheOnesGhlDocuments) {
    EXPECT_NO_THROW(SignatureVerifier(events::kGhlEd25519PublicKey, events::kGhlRsaPublicKey));
    // The RSA key's DER fingerprint, as independently recorded next to GHL's docs.
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(events::kGhlRsaPublicKey, -1),
                                                  &BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
    ASSERT_TRUE(key);
    EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 4096);
    unsigned char* der = nullptr;
    const int n = i2d_PUBKEY(key.get(), &der);
    ASSERT_GT(n, 0);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(der, static_cast<std::size_t>(n), digest);
    OPENSSL_free(der);
    std::string hex;
    for (unsigned char c : digest) {
        static const char* h = "0123456789abcdef";
        hex += h[c >> 4];
        hex += h[c & 15];
    }
    EXPECT_EQ(hex, "2f62045d413b1b7747e26770ce7f57840cbf86288cd20ceb90d299a62501fd25");
}

}  // namespace
