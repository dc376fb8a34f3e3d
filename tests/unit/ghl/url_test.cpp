// Percent-encoding, query building and path-id validation.
#include "ghl/url.hpp"

#include <gtest/gtest.h>

#include "ghl/errors.hpp"

namespace ghl {
namespace {

TEST(PercentEncode, KeepsUnreservedAndEncodesEverythingElse) {
    EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
    EXPECT_EQ(percent_encode("+15551234567"), "%2B15551234567");
    EXPECT_EQ(percent_encode("jane+tag@example.com"), "jane%2Btag%40example.com");
    EXPECT_EQ(percent_encode("John Smith"), "John%20Smith");
    EXPECT_EQ(percent_encode("Jos\xC3\xA9"), "Jos%C3%A9");
    EXPECT_EQ(percent_encode("a/b?c#d&e=f%"), "a%2Fb%3Fc%23d%26e%3Df%25");
}

TEST(PercentEncode, EncodesExactlyOnce) {
    // An already-encoded value is data, not an escape: it is encoded again, never passed through.
    EXPECT_EQ(percent_encode("%2B1"), "%252B1");
    EXPECT_EQ(percent_decode(percent_encode("+1 555 @x/é")), "+1 555 @x/é");
}

TEST(PercentDecode, LeavesMalformedEscapes) {
    EXPECT_EQ(percent_decode("%"), "%");
    EXPECT_EQ(percent_decode("%4"), "%4");
    EXPECT_EQ(percent_decode("%zz"), "%zz");
    EXPECT_EQ(percent_decode("a+b"), "a+b");
}

TEST(EncodeQuery, OrderedPairsEncodedOnce) {
    EXPECT_EQ(
        encode_query(
            {{"locationId", "loc1"}, {"number", "+15551234567"}, {"email", "a+b@example.com"}}),
        "locationId=loc1&number=%2B15551234567&email=a%2Bb%40example.com");
    EXPECT_EQ(encode_query({{"userIds[]", "u1"}, {"userIds[]", "u2"}}),
              "userIds%5B%5D=u1&userIds%5B%5D=u2");
    EXPECT_EQ(encode_query({}), "");
    EXPECT_EQ(encode_query({{"q", ""}}), "q=");
}

TEST(IdProblem, AcceptsGhlIds) {
    EXPECT_EQ(id_problem("ocQHyuzHvysMo5N5VsXc"), "");
    EXPECT_EQ(id_problem("sbxL0c4t1onQm2Vt9RkP"), "");
    EXPECT_EQ(id_problem("a.b-c_d~e:f@g+h"), "");
    EXPECT_EQ(id_problem(std::string(kMaxIdLength, 'a')), "");
}

TEST(IdProblem, RejectsTraversalSeparatorsAndControlCharacters) {
    EXPECT_EQ(id_problem(""), "is empty");
    EXPECT_EQ(id_problem("../locations/x"), "contains '..'");
    EXPECT_EQ(id_problem(".."), "contains '..'");
    EXPECT_EQ(id_problem("a/b"), "contains '/'");
    EXPECT_EQ(id_problem("a\\b"), "contains '\\'");
    EXPECT_EQ(id_problem("a?b=1"), "contains '?'");
    EXPECT_EQ(id_problem("a#b"), "contains '#'");
    EXPECT_EQ(id_problem("%2e%2e"), "contains '%'");
    EXPECT_EQ(id_problem("a b"), "contains a space");
    EXPECT_EQ(id_problem(std::string("a\nb")), "contains a control character");
    EXPECT_EQ(id_problem(std::string("a\0b", 3)), "contains a control character");
    EXPECT_EQ(id_problem("\x7F"), "contains a control character");
    EXPECT_EQ(id_problem("caf\xC3\xA9"), "contains a non-ASCII character");
    EXPECT_NE(id_problem(std::string(kMaxIdLength + 1, 'a')), "");
}

TEST(ExpandPath, FillsAndEncodesParameters) {
    EXPECT_EQ(expand_path("/contacts/{contactId}/notes/{id}", {{"contactId", "c1"}, {"id", "n1"}}),
              "/contacts/c1/notes/n1");
    EXPECT_EQ(expand_path("/contacts/{contactId}", {{"contactId", "a@b+c"}}),
              "/contacts/a%40b%2Bc");
    EXPECT_EQ(expand_path("/contacts/", {}), "/contacts/");
    // Parameter order does not matter.
    EXPECT_EQ(expand_path("/a/{x}/b/{y}", {{"y", "2"}, {"x", "1"}}), "/a/1/b/2");
}

TEST(ExpandPath, InvalidIdIsAnApiErrorNamingTheParameter) {
    try {
        expand_path("/contacts/{contactId}", {{"contactId", "../locations/x"}}, "contacts.get");
        FAIL() << "expected ApiError";
    } catch (const ApiError& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
        EXPECT_EQ(e.code(), "ghl.invalid_argument");
        EXPECT_EQ(e.endpoint_id(), "contacts.get");
        const std::string text = e.agent_text();
        EXPECT_NE(text.find("contactId contains '..'"), std::string::npos) << text;
        EXPECT_NE(text.find("'../locations/x'"), std::string::npos) << text;
    }
}

TEST(ExpandPath, ControlCharactersAreEscapedInTheErrorText) {
    try {
        expand_path("/contacts/{contactId}", {{"contactId", std::string("ab\ncd")}});
        FAIL() << "expected ApiError";
    } catch (const ApiError& e) {
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("ab\\x0acd"), std::string::npos) << e.what();
    }
}

TEST(ExpandPath, TemplateMismatchIsAProgrammingError) {
    EXPECT_THROW(expand_path("/contacts/{contactId}", {}), std::invalid_argument);
    EXPECT_THROW(expand_path("/contacts/{contactId}", {{"contactId", "a"}, {"other", "b"}}),
                 std::invalid_argument);
    EXPECT_THROW(expand_path("/contacts/{contactId}", {{"contactId", "a"}, {"contactId", "b"}}),
                 std::invalid_argument);
    EXPECT_THROW(expand_path("/contacts/{contactId", {{"contactId", "a"}}), std::invalid_argument);
}

TEST(Headers, LookupIgnoresCase) {
    Headers h;
    h.add("X-RateLimit-Remaining", "5");
    h.add("content-type", "application/json");
    EXPECT_EQ(h.get("x-ratelimit-remaining"), "5");
    EXPECT_EQ(h.get("Content-Type"), "application/json");
    EXPECT_FALSE(h.get("Retry-After").has_value());
    h.set("CONTENT-TYPE", "text/plain");
    EXPECT_EQ(h.size(), 2u);
    EXPECT_EQ(h.get("content-type"), "text/plain");
}

TEST(Request, UrlWithQueryEncodesTheQueryOnce) {
    Request r;
    r.url = "https://x.test/contacts/search/duplicate";
    EXPECT_EQ(r.url_with_query(), r.url);
    r.query = {{"number", "+1 555"}};
    EXPECT_EQ(r.url_with_query(), "https://x.test/contacts/search/duplicate?number=%2B1%20555");
}

}  // namespace
}  // namespace ghl
