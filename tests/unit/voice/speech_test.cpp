// Speakable lines: dates read in the offset GHL wrote (the calendar's zone), one line, short.
#include "voice/speech.hpp"

#include <gtest/gtest.h>

namespace {

using json = nlohmann::json;

TEST(Speech, SpokenTimeReadsTheWallClockOfTheOffsetGiven) {
    EXPECT_EQ(voice::spoken_time("2026-03-03T10:30:00-05:00"), "Tuesday March 3 at 10:30 AM");
    EXPECT_EQ(voice::spoken_time("2026-03-03T00:05:00+09:00"), "Tuesday March 3 at 12:05 AM");
    EXPECT_EQ(voice::spoken_time("2026-11-29T12:00:00Z"), "Sunday November 29 at 12:00 PM");
    EXPECT_EQ(voice::spoken_time("2024-02-29T23:45"), "Thursday February 29 at 11:45 PM");
    EXPECT_EQ(voice::spoken_time("1969-12-31T13:00:00Z"), "Wednesday December 31 at 1:00 PM");
    EXPECT_FALSE(voice::spoken_time("tomorrow"));
    EXPECT_FALSE(voice::spoken_time("2026-13-03T10:30:00Z"));
    EXPECT_FALSE(voice::spoken_time(""));
}

TEST(Speech, FreeSlotsOfferTheFirstAndTwoMore) {
    json s = {{"slots",
               {{{"start", "2026-03-03T10:30:00-05:00"}},
                {{"start", "2026-03-03T11:00:00-05:00"}},
                {{"start", "2026-03-03T14:15:00-05:00"}},
                {{"start", "2026-03-03T15:00:00-05:00"}}}},
              {"count", 4}};
    auto sp = voice::speak_result("get_free_slots", s);
    EXPECT_EQ(sp.say, "Tuesday March 3 at 10:30 AM works; I can also do 11:00 or 2:15 PM.");
    EXPECT_EQ(sp.refs["slots"], (json{"2026-03-03T10:30:00-05:00", "2026-03-03T11:00:00-05:00",
                                      "2026-03-03T14:15:00-05:00"}));
    json other_day = {{"slots", {{{"start", "2026-03-03T16:30:00-05:00"}}, {{"start", "2026-03-04T09:00:00-05:00"}}}}};
    EXPECT_EQ(voice::speak_result("get_free_slots", other_day).say,
              "Tuesday March 3 at 4:30 PM works; I can also do Wednesday March 4 at 9:00 AM.");
    auto none = voice::speak_result("get_free_slots", {{"slots", json::array()}, {"count", 0}});
    EXPECT_NE(none.say.find("don't have any free times"), std::string::npos);
}

TEST(Speech, WritesConfirmWithTheTimeAndKeepTheIds) {
    json booked = {{"appointment", {{"id", "apt1"}, {"startTime", "2026-03-03T10:30:00-05:00"}}}};
    auto sp = voice::speak_result("book_appointment", booked);
    EXPECT_EQ(sp.say, "You're booked for Tuesday March 3 at 10:30 AM.");
    EXPECT_EQ(sp.refs["appointmentId"], "apt1");
    EXPECT_EQ(voice::speak_result("cancel_appointment", booked).say,
              "The appointment on Tuesday March 3 at 10:30 AM is cancelled.");
    auto found = voice::speak_result("find_contact", {{"found", true}, {"contact", {{"id", "c1"}, {"name", "Ada Lovelace"}}}});
    EXPECT_EQ(found.say, "I found Ada Lovelace.");
    EXPECT_EQ(found.refs["contactId"], "c1");
    auto missing = voice::speak_result("find_contact", {{"found", false}, {"contact", nullptr}});
    EXPECT_EQ(missing.refs["found"], false);
}

TEST(Speech, ErrorsAreOneShortLineWithoutTheCodeTag) {
    std::string long_reason = "[calendar.slot_taken] 2026-03-03T10:30 is not a free slot.\nNearest free slots that day:\n" +
                              std::string(600, 'x');
    std::string line = voice::speak_error("book_appointment", long_reason);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.rfind("I couldn't book that: 2026-03-03T10:30 is not a free slot. Nearest", 0), 0u) << line;
    EXPECT_LE(line.size(), 340u);
    EXPECT_EQ(voice::one_line("  a \r\n\t b  "), "a b");
    // Cutting never splits a character (invalid UTF-8 would break the JSON answer).
    const std::string accents = std::string(299, 'x') + "\xC3\xA9\xC3\xA9";  // 299 + "éé"
    const std::string cut = voice::one_line(accents, 300);
    EXPECT_EQ(cut, std::string(299, 'x') + "...");
    EXPECT_NO_THROW((void)nlohmann::json(cut).dump());
    EXPECT_EQ(voice::utf8_prefix("\xE2\x82\xAC\xE2\x82\xAC", 4), "\xE2\x82\xAC");
    EXPECT_NE(voice::speak_timeout("book_appointment", true).find("will not be done twice"), std::string::npos);
}

TEST(Speech, ACallThatNeverStartedSaysNothingWasDone) {
    EXPECT_EQ(voice::speak_not_started("book_appointment", true),
              "I ran out of time before I could book that, so nothing has been done yet; please ask me again.");
    // A read that never started reads like any slow read.
    EXPECT_EQ(voice::speak_not_started("find_contact", false), voice::speak_timeout("find_contact", false));
}

}  // namespace
