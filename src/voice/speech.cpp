#include "voice/speech.hpp"

#include <array>
#include <cstdio>

namespace voice {
namespace {

struct Wall {
    int year, month, day, hour, minute;
};

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

std::optional<Wall> parse_wall(std::string_view iso) {
    Wall w{};
    if (iso.size() < 16 || iso[4] != '-' || iso[7] != '-' || (iso[10] != 'T' && iso[10] != ' ') ||
        iso[13] != ':')
        return std::nullopt;
    if (!digits(iso, 0, 4, w.year) || !digits(iso, 5, 2, w.month) || !digits(iso, 8, 2, w.day) ||
        !digits(iso, 11, 2, w.hour) || !digits(iso, 14, 2, w.minute))
        return std::nullopt;
    if (w.month < 1 || w.month > 12 || w.day < 1 || w.day > 31 || w.hour > 23 || w.minute > 59)
        return std::nullopt;
    return w;
}

/// 0 = Sunday (Howard Hinnant's days_from_civil).
int weekday(int y, int m, int d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const long days = static_cast<long>(era) * 146097 + static_cast<long>(doe) - 719468;
    long r = (days + 4) % 7;  // 1970-01-01 was a Thursday
    return static_cast<int>(r < 0 ? r + 7 : r);
}

constexpr std::array<const char*, 7> kDays = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday"};
constexpr std::array<const char*, 12> kMonths = {"January", "February", "March", "April", "May", "June",
                                                 "July", "August", "September", "October", "November", "December"};

std::string clock(const Wall& w, bool period) {
    char buf[16];
    const int h = w.hour % 12 == 0 ? 12 : w.hour % 12;
    std::snprintf(buf, sizeof buf, "%d:%02d%s", h, w.minute, period ? (w.hour < 12 ? " AM" : " PM") : "");
    return buf;
}

std::string date(const Wall& w) {
    return std::string(kDays[static_cast<std::size_t>(weekday(w.year, w.month, w.day))]) + " " +
           kMonths[static_cast<std::size_t>(w.month - 1)] + " " + std::to_string(w.day);
}

std::string str(const json& j, const char* key) {
    if (!j.is_object()) return {};
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string when(const json& appointment) {
    auto t = spoken_time(str(appointment, "startTime"));
    return t ? *t : std::string();
}

void ref(json& refs, const char* key, const json& from, const char* field) {
    auto v = str(from, field);
    if (!v.empty()) refs[key] = v;
}

const char* attempt(const std::string& tool) {
    if (tool == "find_contact") return "look that up";
    if (tool == "get_free_slots") return "check the calendar";
    if (tool == "book_appointment") return "book that";
    if (tool == "reschedule_appointment") return "move that appointment";
    if (tool == "cancel_appointment") return "cancel that appointment";
    if (tool == "add_contact_note") return "add the note";
    if (tool == "send_message") return "send the message";
    if (tool == "update_opportunity") return "update the opportunity";
    return "do that";
}

}  // namespace

std::optional<std::string> spoken_time(std::string_view iso) {
    auto w = parse_wall(iso);
    if (!w) return std::nullopt;
    return date(*w) + " at " + clock(*w, true);
}

std::string one_line(std::string_view text, std::size_t max) {
    // Drop a leading "[category.code] " tag: the model does not need to read it out.
    if (!text.empty() && text.front() == '[') {
        auto close = text.find("] ");
        if (close != std::string_view::npos && close < 64) text.remove_prefix(close + 2);
    }
    std::string out;
    out.reserve(std::min(text.size(), max + 3));
    bool space = false;
    for (char ch : text) {
        const bool ws = ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
        if (ws) {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += ch;
    }
    if (out.size() > max) {
        auto cut = out.rfind(' ', max);
        out = utf8_prefix(out, cut == std::string::npos || cut < max / 2 ? max : cut) + "...";
    }
    return out;
}

std::string utf8_prefix(std::string_view text, std::size_t max) {
    if (text.size() <= max) return std::string(text);
    std::size_t n = max;
    // Never end inside a multi-byte character: back off over continuation bytes to its lead byte.
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    return std::string(text.substr(0, n));
}

Speech speak_result(const std::string& tool, const json& s) {
    Speech sp;
    if (tool == "find_contact") {
        if (s.value("found", false) && s.contains("contact") && s["contact"].is_object()) {
            const json& c = s["contact"];
            const std::string name = str(c, "name");
            sp.say = name.empty() ? "I found the contact." : "I found " + name + ".";
            ref(sp.refs, "contactId", c, "id");
            if (!name.empty()) sp.refs["name"] = name;
        } else {
            sp.say = "I don't have a contact with those details yet.";
            sp.refs["found"] = false;
        }
        return sp;
    }
    if (tool == "get_free_slots") {
        const json slots = s.contains("slots") && s["slots"].is_array() ? s["slots"] : json::array();
        std::vector<std::pair<Wall, std::string>> picked;
        for (const auto& slot : slots) {
            std::string start = str(slot, "start");
            if (auto w = parse_wall(start)) picked.emplace_back(*w, start);
            if (picked.size() == 3) break;
        }
        if (picked.empty()) {
            sp.say = "I don't have any free times then; shall I look at other days?";
            sp.refs["slots"] = json::array();
            return sp;
        }
        const Wall& first = picked.front().first;
        sp.say = date(first) + " at " + clock(first, true) + " works";
        json starts = json::array({picked.front().second});
        for (std::size_t i = 1; i < picked.size(); ++i) {
            const Wall& w = picked[i].first;
            const bool same_day = w.year == first.year && w.month == first.month && w.day == first.day;
            const bool same_period = (w.hour < 12) == (first.hour < 12);
            std::string alt = same_day ? clock(w, !same_period) : date(w) + " at " + clock(w, true);
            sp.say += (i == 1 ? "; I can also do " : " or ") + alt;
            starts.push_back(picked[i].second);
        }
        sp.say += ".";
        sp.refs["slots"] = std::move(starts);
        return sp;
    }
    if (tool == "book_appointment" || tool == "reschedule_appointment" || tool == "cancel_appointment") {
        const json a = s.contains("appointment") ? s["appointment"] : json::object();
        const std::string at = when(a);
        if (tool == "book_appointment")
            sp.say = at.empty() ? "You're booked." : "You're booked for " + at + ".";
        else if (tool == "reschedule_appointment")
            sp.say = at.empty() ? "The appointment is moved." : "The appointment is moved to " + at + ".";
        else
            sp.say = at.empty() ? "The appointment is cancelled." : "The appointment on " + at + " is cancelled.";
        ref(sp.refs, "appointmentId", a, "id");
        ref(sp.refs, "startTime", a, "startTime");
        return sp;
    }
    if (tool == "add_contact_note") {
        sp.say = "I've added that note.";
        if (s.contains("note")) ref(sp.refs, "noteId", s["note"], "id");
        return sp;
    }
    if (tool == "send_message") {
        sp.say = "I've sent the message.";
        ref(sp.refs, "messageId", s, "messageId");
        return sp;
    }
    if (tool == "update_opportunity") {
        sp.say = "I've updated the opportunity.";
        if (s.contains("opportunity")) {
            ref(sp.refs, "opportunityId", s["opportunity"], "id");
            ref(sp.refs, "pipelineStageId", s["opportunity"], "pipelineStageId");
        }
        return sp;
    }
    // Any other tool: the data itself, when it is short enough to hand to a voice model.
    sp.say = "Done.";
    if (s.is_object() && s.dump().size() <= 2000) sp.refs = s;
    return sp;
}

std::string speak_error(const std::string& tool, std::string_view reason) {
    std::string line = one_line(reason);
    return std::string("I couldn't ") + attempt(tool) + (line.empty() ? "." : ": " + line);
}

std::string speak_timeout(const std::string& tool, bool write) {
    if (write)
        return std::string("That is taking longer than usual; I'm still trying to ") + attempt(tool) +
               ". Asking again with the same details is safe: it will not be done twice.";
    return std::string("The system is slow right now, so I couldn't ") + attempt(tool) +
           " in time; please ask me again in a moment.";
}

std::string speak_not_started(const std::string& tool, bool write) {
    if (!write) return speak_timeout(tool, false);
    // True to the letter: the call never reached GHL, so the caller must not hear "done".
    return std::string("I ran out of time before I could ") + attempt(tool) +
           ", so nothing has been done yet; please ask me again.";
}

}  // namespace voice
