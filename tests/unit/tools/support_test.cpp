// The handler helpers: ISO times, GHL time values, E.164 normalisation, list output, offset
// paging, member accessors, text and channels.
#include "tools/support.hpp"

#include "ghl/pagination.hpp"

#include <gtest/gtest.h>

namespace tools {
namespace {

TEST(SupportTime, ParsesTheIsoFormsAgentsSend) {
    EXPECT_EQ(parse_iso("1970-01-01"), 0);
    EXPECT_EQ(parse_iso("1970-01-01T00:00:01Z"), 1000);
    EXPECT_EQ(parse_iso("1970-01-01T00:00:01.5Z"), 1500);
    EXPECT_EQ(parse_iso("1970-01-01T01:00:00+01:00"), 0);
    EXPECT_EQ(parse_iso("1970-01-01T00:00:00-0500"), 5 * 3600 * 1000);
    EXPECT_EQ(parse_iso("2026-11-23T14:05"), *parse_iso("2026-11-23T14:05:00Z"));
    EXPECT_EQ(parse_iso("2024-02-29T00:00:00Z"), 1709164800000);
    EXPECT_FALSE(parse_iso("tomorrow"));
    EXPECT_FALSE(parse_iso("2026-13-01"));
    EXPECT_FALSE(parse_iso("2026-11-23T25:00"));
    EXPECT_FALSE(parse_iso("2026-11-23T10:00+1"));
    EXPECT_FALSE(parse_iso("2026-11-23T10:00:00Zjunk"));
}

TEST(SupportTime, RoundTripsAndReadsGhlValues) {
    EXPECT_EQ(iso_utc(1709164800000), "2024-02-29T00:00:00Z");
    EXPECT_EQ(ghl_time_ms(json(1709164800)), 1709164800000);      // seconds
    EXPECT_EQ(ghl_time_ms(json(1709164800000)), 1709164800000);   // milliseconds
    EXPECT_EQ(ghl_time_ms(json("1709164800000")), 1709164800000);
    EXPECT_EQ(ghl_time_ms(json("2024-02-29T00:00:00.000Z")), 1709164800000);
    EXPECT_FALSE(ghl_time_ms(json(nullptr)));
    EXPECT_EQ(iso_offset_minutes("2026-11-24T09:00:00-05:00"), -300);
    EXPECT_EQ(iso_offset_minutes("2026-11-24T09:00:00Z"), 0);
    EXPECT_EQ(iso_offset_minutes("2026-11-24T09:00:00+05:30"), 330);
    EXPECT_FALSE(iso_offset_minutes("2026-11-24T09:00:00"));
}

TEST(SupportPhone, NormalisesToE164) {
    EXPECT_EQ(to_e164("+1 (212) 555-0110"), "+12125550110");
    EXPECT_EQ(to_e164("(212) 555-0110"), "+12125550110");
    EXPECT_EQ(to_e164("1-212-555-0110"), "+12125550110");
    EXPECT_EQ(to_e164("212.555.0110 ext. 12"), "+12125550110");
    EXPECT_EQ(to_e164("011 44 7700 900123"), "+447700900123");
    EXPECT_EQ(to_e164("0044 7700 900123", "44"), "+447700900123");
    EXPECT_EQ(to_e164("07700 900123", "44"), "+447700900123");
    EXPECT_EQ(to_e164("030 1234567", "+49"), "+49301234567");
    EXPECT_EQ(to_e164("06 1234 5678", "39"), "+390612345678");
    EXPECT_FALSE(to_e164("555-0110"));
    EXPECT_FALSE(to_e164("call me"));
    EXPECT_FALSE(to_e164("+1 212 555 0110 +1"));
    EXPECT_FALSE(to_e164("+1234567890123456"));
}

TEST(SupportList, SaysHowToGetMore) {
    json out = list_output("contacts", json::array({1, 2}), "c1.abc");
    EXPECT_EQ(out["count"], 2);
    EXPECT_EQ(out["nextCursor"], "c1.abc");
    EXPECT_TRUE(out.contains("note"));
    json last = list_output("contacts", json::array(), "");
    EXPECT_TRUE(last["nextCursor"].is_null());
    EXPECT_FALSE(last.contains("note"));
}

TEST(SupportList, PagesAWholeListingByOffsetWithABoundCursor) {
    const CursorSeal seal(std::string(32, 'k'));
    const CursorScope scope{seal, {"list_workflows", "loc1", "key-a"}};
    const json all = json::array({"a", "b", "c", "d", "e"});
    const json filters = {{"locationId", "loc1"}};
    EXPECT_EQ(cursor_offset(scope, json::object(), "workflows.list", filters), 0u);
    json first = offset_page(scope, "workflows", all, 0, 2, "workflows.list", filters);
    EXPECT_EQ(first["workflows"], json::array({"a", "b"}));
    ASSERT_TRUE(first["nextCursor"].is_string());
    const json next_args = {{"cursor", first["nextCursor"]}};
    EXPECT_EQ(cursor_offset(scope, next_args, "workflows.list", filters), 2u);
    EXPECT_THROW(cursor_offset(scope, next_args, "workflows.list", {{"locationId", "loc2"}}),
                 ToolFailure);
    EXPECT_THROW(cursor_offset(scope, next_args, "users.list", filters), ToolFailure);
    json last = offset_page(scope, "workflows", all, 4, 2, "workflows.list", filters);
    EXPECT_EQ(last["workflows"], json::array({"e"}));
    EXPECT_TRUE(last["nextCursor"].is_null());
    EXPECT_TRUE(
        offset_page(scope, "workflows", all, 9, 2, "workflows.list", filters)["workflows"].empty());
}

std::string refusal(const CursorScope& scope, const json& args) {
    try {
        cursor_offset(scope, args, "workflows.list", {{"locationId", "loc1"}});
    } catch (const ToolFailure& e) {
        return e.what();
    }
    ADD_FAILURE() << "accepted " << args.dump();
    return "";
}

TEST(SupportCursor, IsBoundToItsToolSubAccountAndKeyAndCannotBeForged) {
    const CursorSeal seal(std::string(32, 'k'));
    const CursorScope scope{seal, {"list_workflows", "loc1", "key-a"}};
    const json filters = {{"locationId", "loc1"}};
    const json all = json::array({"a", "b", "c"});
    const std::string cursor = offset_page(scope, "workflows", all, 0, 1, "workflows.list", filters)["nextCursor"];
    const json args = {{"cursor", cursor}};
    ASSERT_EQ(cursor_offset(scope, args, "workflows.list", filters), 1u);

    for (const CursorBinding& other : {CursorBinding{"list_users", "loc1", "key-a"},
                                       CursorBinding{"list_workflows", "loc2", "key-a"},
                                       CursorBinding{"list_workflows", "loc1", "key-b"},
                                       CursorBinding{"list_workflows", "loc1", ""}}) {
        const std::string text = refusal({seal, other}, args);
        EXPECT_NE(text.find("[tools.invalid_cursor]"), std::string::npos) << text;
        EXPECT_NE(text.find("no cursor"), std::string::npos) << text;
        EXPECT_EQ(text.find("key-a"), std::string::npos) << "names no key: " << text;
    }
    // Another server secret (another process) does not open it either.
    const CursorSeal other_key(std::string(32, 'q'));
    EXPECT_FALSE(refusal({other_key, scope.binding}, args).empty());

    // The cursor a client could write (unsealed), and a sealed one with its text changed.
    const std::string unsealed = ghl::encode_cursor(
        {"workflows.list", ghl::Pagination::kNone, {{"offset", 2}}}, filters);
    EXPECT_NE(refusal(scope, {{"cursor", unsealed}}).find("not one this server returned"),
              std::string::npos);
    const std::string altered = seal.seal(unsealed, {"list_workflows", "loc1", "key-b"});
    EXPECT_NE(refusal(scope, {{"cursor", altered}}).find("was altered"), std::string::npos);
    std::string flipped = cursor;
    flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(refusal(scope, {{"cursor", flipped}}).empty());
    EXPECT_FALSE(refusal(scope, {{"cursor", cursor.substr(0, cursor.find('.', 3))}}).empty());
    EXPECT_FALSE(refusal(scope, {{"cursor", "c2." + std::string(7000, 'A')}}).empty());

    EXPECT_THROW(CursorSeal(std::string(16, 'k')), std::invalid_argument);
}

TEST(SupportShaping, ReadsMembersGhlMaySendOddly) {
    const json j = {{"name", "Ann"}, {"n", 3}, {"none", nullptr}, {"empty", ""}, {"list", {1}}};
    EXPECT_EQ(string_of(j, "name"), "Ann");
    EXPECT_EQ(string_of(j, "n", "?"), "?");
    EXPECT_EQ(string_of(j, "missing"), "");
    EXPECT_EQ(string_of(json::array(), "name", "x"), "x");
    EXPECT_EQ(array_of(j, "list"), json::array({1}));
    EXPECT_EQ(array_of(j, "name"), json::array());
    EXPECT_EQ(drop_empty(j), (json{{"name", "Ann"}, {"n", 3}, {"list", {1}}}));
    json out = json::object();
    put_iso(out, {{"at", 1709164800000}, {"bad", "soon"}}, "at", "when");
    put_iso(out, {{"bad", "soon"}}, "bad");
    EXPECT_EQ(out, (json{{"when", "2024-02-29T00:00:00Z"}}));
}

TEST(SupportText, TidiesAndNamesChannels) {
    EXPECT_EQ(lowercase("VIP Lead"), "vip lead");
    EXPECT_EQ(tidy("  a \n\n b  ", 10, true), "a\nb");
    EXPECT_EQ(tidy("  a \n\n b  ", 10, false), "a b");
    bool cut = false;
    EXPECT_EQ(tidy("h\u00e9llo world", 6, false, &cut), "h\u00e9llo\u2026");
    EXPECT_TRUE(cut);
    EXPECT_EQ(channel_of("TYPE_WHATSAPP"), "WhatsApp");
    EXPECT_EQ(channel_of("TYPE_ACTIVITY_OPPORTUNITY"), "ACTIVITY_OPPORTUNITY");
    EXPECT_EQ(channel_of(nullptr), "");
    EXPECT_EQ(ghl_type_of("SMS"), "TYPE_SMS");
    EXPECT_EQ(ghl_type_of("Custom"), "TYPE_CUSTOM_PROVIDER_SMS");
    EXPECT_THROW(ghl_type_of("Pigeon"), ToolFailure);
}

}  // namespace
}  // namespace tools
