// crypto.hpp: base64 / base64url, strict decoding, hex, HMAC-SHA256, constant-time compare.
#include "mcp/crypto.hpp"
#include "mcp/session.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

std::string to_hex(const std::string& bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xF]);
    }
    return out;
}

std::string all_bytes(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>((i * 37 + 11) & 0xFF));
    return s;
}

TEST(Base64, KnownVectorsRfc4648) {
    EXPECT_EQ(mcp::base64_encode(""), "");
    EXPECT_EQ(mcp::base64_encode("f"), "Zg==");
    EXPECT_EQ(mcp::base64_encode("fo"), "Zm8=");
    EXPECT_EQ(mcp::base64_encode("foo"), "Zm9v");
    EXPECT_EQ(mcp::base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(mcp::base64_encode("fooba"), "Zm9vYmE=");
    EXPECT_EQ(mcp::base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, RoundTripsEveryLengthAndByteValue) {
    for (size_t n = 0; n <= 70; ++n) {
        std::string data = all_bytes(n);
        std::string enc = mcp::base64_encode(data);
        EXPECT_EQ(enc.size() % 4, 0u);
        bool ok = false;
        EXPECT_EQ(mcp::base64_decode(enc, &ok), data) << "length " << n;
        EXPECT_TRUE(ok);
        bool strict_ok = false;
        EXPECT_EQ(mcp::base64_decode_strict(enc, &strict_ok), data) << "length " << n;
        EXPECT_TRUE(strict_ok) << enc;
    }
    std::string every;
    for (int c = 0; c < 256; ++c) every.push_back(static_cast<char>(c));
    EXPECT_EQ(mcp::base64_decode(mcp::base64_encode(every)), every);
}

TEST(Base64, LenientDecoderAcceptsMissingPaddingAndRejectsGarbage) {
    bool ok = false;
    EXPECT_EQ(mcp::base64_decode("Zm8", &ok), "fo");
    EXPECT_TRUE(ok);
    EXPECT_EQ(mcp::base64_decode("Zm9v!", &ok), "");
    EXPECT_FALSE(ok);
    EXPECT_EQ(mcp::base64_decode("Zg==Zg", &ok), "");
    EXPECT_FALSE(ok) << "data after padding must be rejected";
}

TEST(Base64Url, UsesUrlAlphabetWithoutPaddingAndRoundTrips) {
    // 0xfb 0xff 0xbf encodes to "+/+/" in the standard alphabet.
    const std::string tricky("\xfb\xff\xbf", 3);
    EXPECT_EQ(mcp::base64_encode(tricky), "+/+/");
    EXPECT_EQ(mcp::base64url_encode(tricky), "-_-_");
    EXPECT_EQ(mcp::base64url_encode("f"), "Zg");
    for (size_t n = 0; n <= 70; ++n) {
        std::string data = all_bytes(n);
        std::string enc = mcp::base64url_encode(data);
        EXPECT_EQ(enc.find_first_of("+/="), std::string::npos) << enc;
        EXPECT_EQ(mcp::base64url_decode(enc), data) << "length " << n;
    }
}

TEST(Hex, EncodesLowercaseAndRoundTripsEveryByteValue) {
    EXPECT_EQ(mcp::hex_encode(""), "");
    EXPECT_EQ(mcp::hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
    std::string every;
    for (int c = 0; c < 256; ++c) every.push_back(static_cast<char>(c));
    const std::string enc = mcp::hex_encode(every);
    EXPECT_EQ(enc, to_hex(every));
    bool ok = false;
    EXPECT_EQ(mcp::hex_decode(enc, &ok), every);
    EXPECT_TRUE(ok);
}

TEST(Hex, DecodesEitherCaseAndRejectsOddLengthAndNonHex) {
    bool ok = false;
    EXPECT_EQ(mcp::hex_decode("ABcd09", &ok), std::string("\xab\xcd\x09", 3));
    EXPECT_TRUE(ok);
    EXPECT_EQ(mcp::hex_decode("", &ok), "");
    EXPECT_TRUE(ok);
    for (const char* bad : {"abc", "0g", "zz", "a ", " a", "0x12", "12\n"}) {
        ok = true;
        EXPECT_EQ(mcp::hex_decode(bad, &ok), "") << bad;
        EXPECT_FALSE(ok) << bad;
    }
}

TEST(Base64Strict, AcceptsCanonicalInput) {
    bool ok = false;
    EXPECT_EQ(mcp::base64_decode_strict("QQ==", &ok), "A");
    EXPECT_TRUE(ok);
    EXPECT_EQ(mcp::base64_decode_strict("QUI=", &ok), "AB");
    EXPECT_TRUE(ok);
    EXPECT_EQ(mcp::base64_decode_strict("", &ok), "");
    EXPECT_TRUE(ok);
    // Non-ASCII UTF-8 survives (the header encoding use case).
    const std::string utf8 = "caf\xC3\xA9 \xE2\x9C\x93";
    EXPECT_EQ(mcp::base64_decode_strict(mcp::base64_encode(utf8), &ok), utf8);
    EXPECT_TRUE(ok);
}

TEST(Base64Strict, RejectsBadPadding) {
    for (const char* bad : {"QQ", "QQ=", "QQ===", "Q===", "====", "QUI", "QQ=A", "=QQQ", "QUJD=",
                            "QQ==QQ=="}) {
        bool ok = true;
        std::string out = mcp::base64_decode_strict(bad, &ok);
        EXPECT_FALSE(ok) << "'" << bad << "' must be rejected";
        EXPECT_EQ(out, "") << bad;
    }
}

TEST(Base64Strict, RejectsUrlAlphabetWhitespaceAndOtherCharacters) {
    for (const char* bad : {"-_-_", "Zm9v\n", "Zm 9", "Zm9v YmFy", "Zm9*", "Zm9\x80"}) {
        bool ok = true;
        std::string out = mcp::base64_decode_strict(bad, &ok);
        EXPECT_FALSE(ok) << "'" << bad << "' must be rejected";
        EXPECT_EQ(out, "");
    }
}

TEST(HmacSha256, Rfc4231TestCase2) {
    std::string mac = mcp::hmac_sha256("Jefe", "what do ya want for nothing?");
    ASSERT_EQ(mac.size(), 32u);
    EXPECT_EQ(to_hex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, Rfc4231TestCase1) {
    std::string key(20, '\x0b');
    EXPECT_EQ(to_hex(mcp::hmac_sha256(key, "Hi There")),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, DependsOnKeyAndData) {
    EXPECT_NE(mcp::hmac_sha256("k1", "data"), mcp::hmac_sha256("k2", "data"));
    EXPECT_NE(mcp::hmac_sha256("k1", "data"), mcp::hmac_sha256("k1", "datb"));
    EXPECT_EQ(mcp::hmac_sha256("k1", "data"), mcp::hmac_sha256("k1", "data"));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
    EXPECT_TRUE(mcp::constant_time_equal("", ""));
    EXPECT_TRUE(mcp::constant_time_equal("abc", "abc"));
    EXPECT_FALSE(mcp::constant_time_equal("abc", "abd"));
    EXPECT_FALSE(mcp::constant_time_equal("abc", "ab"));
    EXPECT_FALSE(mcp::constant_time_equal("", "a"));
    EXPECT_TRUE(mcp::constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
    EXPECT_FALSE(mcp::constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(RandomBytes, HasRequestedLengthAndVaries) {
    EXPECT_EQ(mcp::random_bytes(0).size(), 0u);
    EXPECT_EQ(mcp::random_bytes(32).size(), 32u);
    EXPECT_NE(mcp::random_bytes(32), mcp::random_bytes(32));
}

TEST(RandomId, Is32LowerHexAndUnique) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        std::string id = mcp::random_id();
        EXPECT_THAT(id, ::testing::MatchesRegex("[0-9a-f]{32}"));
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 200u);
}

TEST(IsoNow, Iso8601WithMilliseconds) {
    EXPECT_THAT(mcp::iso_now(),
                ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"));
}

}  // namespace
