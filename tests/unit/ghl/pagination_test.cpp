// Cursor encoding and the next-page rules of each pagination style.
#include "ghl/pagination.hpp"

#include <gtest/gtest.h>

#include "ghl/errors.hpp"

namespace ghl {
namespace {

using nlohmann::json;

TEST(Base64Url, RoundTrips) {
    for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba",
                                                         "foobar", std::string("\0\xff\xfe", 3)}) {
        auto enc = base64url_encode(s);
        EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
        EXPECT_EQ(base64url_decode(enc), s);
    }
    EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
    EXPECT_FALSE(base64url_decode("a"));
    EXPECT_FALSE(base64url_decode("ab$d"));
}

TEST(Cursor, RoundTripsForTheSameListingAndFilters) {
    Cursor c{"opportunities.search",
             Pagination::kStartAfterId,
             {{"startAfter", 1700000000000}, {"startAfterId", "opp42"}}};
    const json filters = {{"status", "open"}, {"pipelineId", "p1"}};
    const auto text = encode_cursor(c, filters);
    EXPECT_TRUE(text.starts_with("c1."));
    const auto back = decode_cursor(text, "opportunities.search", filters);
    EXPECT_EQ(back.position, c.position);
    EXPECT_EQ(back.style, Pagination::kStartAfterId);
}

void expect_bad_cursor(std::string_view text, std::string_view endpoint_id, const json& filters,
                       std::string_view why) {
    try {
        decode_cursor(text, endpoint_id, filters);
        ADD_FAILURE() << "expected ApiError for " << text;
    } catch (const ApiError& e) {
        EXPECT_EQ(e.code(), "ghl.invalid_argument");
        EXPECT_NE(e.agent_text().find(why), std::string::npos) << e.agent_text();
        EXPECT_NE(e.agent_text().find("without a cursor"), std::string::npos) << e.agent_text();
    }
}

TEST(Cursor, RejectsForeignTamperedOrMismatchedCursors) {
    Cursor c{"contacts.search", Pagination::kSearchAfter, {{"searchAfter", {1, "x"}}}};
    const auto text = encode_cursor(c, json{{"query", "smith"}});
    expect_bad_cursor(text, "opportunities.search", json{{"query", "smith"}}, "different listing");
    expect_bad_cursor(text, "contacts.search", json{{"query", "jones"}}, "different filters");
    expect_bad_cursor("garbage", "contacts.search", nullptr, "not a cursor");
    expect_bad_cursor("c1.!!!", "contacts.search", nullptr, "corrupted");
    expect_bad_cursor("c1." + base64url_encode("[1,2]"), "contacts.search", nullptr, "corrupted");
    expect_bad_cursor("c1." + std::string(5000, 'A'), "contacts.search", nullptr, "too long");
}

TEST(Cursor, HoldsNothingButAPagePositionOfItsStyle) {
    // Before cursors were sealed a client could write these: every one reached GHL's request.
    const json filters = {{"query", "smith"}};
    for (const json& extra : {json{{"locationId", "other"}}, json{{"pageLimit", 1000}},
                              json{{"query", "jones"}}, json{{"searchAfter", json::array({json::object()})}}}) {
        json position = {{"searchAfter", {1, "x"}}};
        position.update(extra);
        const auto text = encode_cursor({"contacts.search", Pagination::kSearchAfter, position}, filters);
        expect_bad_cursor(text, "contacts.search", filters, "more than a page position");
    }
    // The wrong member for the style, or a nonsensical value.
    expect_bad_cursor(encode_cursor({"opportunities.search", Pagination::kStartAfterId, {{"page", 2}}}),
                      "opportunities.search", nullptr, "more than a page position");
    expect_bad_cursor(encode_cursor({"workflows.list", Pagination::kNone, {{"offset", -5}}}),
                      "workflows.list", nullptr, "more than a page position");
    EXPECT_TRUE(position_allowed(Pagination::kNone, {{"now", 1}, {"after", 2}, {"id", "e1"}}));
    EXPECT_TRUE(position_allowed(Pagination::kPageLimit, {{"page", 3}}));
    EXPECT_FALSE(position_allowed(Pagination::kPageLimit, {{"page", 0}}));
    EXPECT_FALSE(position_allowed(Pagination::kLastMessageId, {{"lastMessageId", std::string(300, 'm')}}));
}

TEST(ApplyPosition, NeverSetsOtherRequestFields) {
    Params query{{"location_id", "L"}};
    json body;
    EXPECT_THROW(apply_position(endpoint("opportunities.search"),
                                json{{"startAfterId", "o1"}, {"location_id", "other"}}, query, body),
                 std::invalid_argument);
    EXPECT_EQ(query, (Params{{"location_id", "L"}}));
    json search = {{"locationId", "L"}, {"pageLimit", 50}};
    Params none;
    EXPECT_THROW(apply_position(endpoint("contacts.search"),
                                json{{"searchAfter", {5, "x"}}, {"pageLimit", 1000}}, none, search),
                 std::invalid_argument);
    EXPECT_EQ(search, (json{{"locationId", "L"}, {"pageLimit", 50}}));
    // GHL does not page kNone listings: no position of theirs goes into a request.
    EXPECT_THROW(apply_position(endpoint("workflows.list"), json{{"offset", 2}}, none, body),
                 std::invalid_argument);
}

TEST(NextPosition, PageLimit) {
    PageOptions o{.page_size = 2, .items_key = "contacts"};
    json full = {{"contacts", {{{"id", "a"}}, {{"id", "b"}}}}, {"total", 5}};
    EXPECT_EQ(next_position(Pagination::kPageLimit, json::object(), full, o), (json{{"page", 2}}));
    EXPECT_EQ(next_position(Pagination::kPageLimit, json{{"page", 2}}, full, o),
              (json{{"page", 3}}));
    EXPECT_FALSE(next_position(Pagination::kPageLimit, json{{"page", 3}}, full, o));  // 6 >= 5
    json short_page = {{"contacts", {{{"id", "e"}}}}};
    EXPECT_FALSE(next_position(Pagination::kPageLimit, json::object(), short_page, o));
}

TEST(NextPosition, SearchAfterTakesTheLastItemsSortValues) {
    PageOptions o{.page_size = 2, .items_key = "contacts"};
    json page = {
        {"contacts",
         {{{"id", "a"}, {"searchAfter", {1, "a"}}}, {{"id", "b"}, {"searchAfter", {2, "b"}}}}}};
    EXPECT_EQ(next_position(Pagination::kSearchAfter, {}, page, o),
              (json{{"searchAfter", {2, "b"}}}));
    page["contacts"].erase(1);
    EXPECT_FALSE(next_position(Pagination::kSearchAfter, {}, page, o));
}

TEST(NextPosition, StartAfterIdFromMeta) {
    PageOptions o{.page_size = 1, .items_key = "opportunities"};
    json page = {
        {"opportunities", {{{"id", "o1"}}}},
        {"meta", {{"startAfter", 1700000000000}, {"startAfterId", "o1"}, {"nextPage", 2}}}};
    EXPECT_EQ(next_position(Pagination::kStartAfterId, {}, page, o),
              (json{{"startAfter", 1700000000000}, {"startAfterId", "o1"}}));
    page["meta"]["nextPage"] = nullptr;
    EXPECT_FALSE(next_position(Pagination::kStartAfterId, {}, page, o));
}

TEST(NextPosition, StartAfterDateUsesTheSortField) {
    PageOptions o{.page_size = 2, .items_key = "conversations"};
    json page = {
        {"conversations",
         {{{"id", "c1"}, {"lastMessageDate", 200}}, {{"id", "c2"}, {"lastMessageDate", 100}}}},
        {"total", 9}};
    EXPECT_EQ(next_position(Pagination::kStartAfterDate, {}, page, o),
              (json{{"startAfterDate", 100}}));
}

TEST(NextPosition, LastMessageIdParsesBothResponseShapes) {
    PageOptions o{.page_size = 20, .items_key = "messages"};
    json head = {{"lastMessageId", "m20"}, {"nextPage", true}, {"messages", json::array()}};
    json old = {
        {"messages", {{"lastMessageId", "m20"}, {"nextPage", true}, {"messages", json::array()}}}};
    EXPECT_EQ(next_position(Pagination::kLastMessageId, {}, head, o),
              (json{{"lastMessageId", "m20"}}));
    EXPECT_EQ(next_position(Pagination::kLastMessageId, {}, old, o),
              (json{{"lastMessageId", "m20"}}));
    old["messages"]["nextPage"] = false;
    EXPECT_FALSE(next_position(Pagination::kLastMessageId, {}, old, o));
    EXPECT_EQ(page_items(old, "messages"), &old["messages"]["messages"]);
}

TEST(NextPosition, SkipAndOffset) {
    PageOptions o{.page_size = 2};
    json page = {{"users", {1, 2}}, {"count", 5}};
    EXPECT_EQ(next_position(Pagination::kSkipLimit, json{{"skip", 2}}, page, o),
              (json{{"skip", 4}}));
    EXPECT_FALSE(next_position(Pagination::kSkipLimit, json{{"skip", 4}}, page, o));
    json orders = {{"data", {1, 2}}, {"totalCount", 10}};
    EXPECT_EQ(next_position(Pagination::kLimitOffset, {}, orders, o), (json{{"offset", 2}}));
    EXPECT_FALSE(next_position(Pagination::kNone, {}, orders, o));
}

TEST(ApplyPosition, QueryForGetsBodyForPosts) {
    Params query{{"location_id", "L"}, {"startAfterId", "old"}};
    json body;
    apply_position(endpoint("opportunities.search"),
                   json{{"startAfter", 17}, {"startAfterId", "o1"}}, query, body);
    EXPECT_EQ(query, (Params{{"location_id", "L"}, {"startAfter", "17"}, {"startAfterId", "o1"}}));
    EXPECT_TRUE(body.is_null());

    Params none;
    json search = {{"locationId", "L"}, {"pageLimit", 50}};
    apply_position(endpoint("contacts.search"), json{{"searchAfter", {5, "x"}}}, none, search);
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(search["searchAfter"], (json{5, "x"}));

    apply_position(endpoint("contacts.search"), json::object(), none, search);
    apply_position(endpoint("contacts.search"), nullptr, none, search);
    EXPECT_EQ(search.size(), 3u);
}

TEST(NextCursor, EndToEnd) {
    const auto& ep = endpoint("conversations.messages.list");
    json page = {{"lastMessageId", "m20"}, {"nextPage", true}, {"messages", json::array()}};
    const auto cursor = next_cursor(ep, {}, page, {.page_size = 20, .items_key = "messages"});
    ASSERT_FALSE(cursor.empty());
    const auto back = decode_cursor(cursor, ep.id);
    Params query;
    json body;
    apply_position(ep, back.position, query, body);
    EXPECT_EQ(query, (Params{{"lastMessageId", "m20"}}));
    page["nextPage"] = false;
    EXPECT_EQ(next_cursor(ep, {}, page, {.page_size = 20}), "");
}

}  // namespace
}  // namespace ghl
