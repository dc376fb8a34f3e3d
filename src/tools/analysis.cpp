// Tool group: analysis (composite audits and summaries). Definitions: schemas/tools/<name>.json;
// handlers here.
//
// These tools read a lot, so they are frugal with GHL's rate limit (100 requests per 10 s per
// sub-account): bulk listings instead of one call per record where that is cheaper, a count of
// the requests made in every answer (`ghlRequests`), and a clean stop before the deadline or on
// cancellation with what was gathered so far (`complete: false` and a note saying what is
// missing).
#include "tools/groups.hpp"
#include "tools/support.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string_view>

namespace tools {
namespace {

constexpr std::int64_t kHourMs = 60LL * 60 * 1000;
constexpr std::int64_t kDayMs = 24 * kHourMs;

// ---- Request budget -------------------------------------------------------------------------

/// Counts the GHL requests of one tool call and says when to stop making more.
class Budget {
public:
    Budget(GhlAccess& ghl, mcp::ToolContext& ctx, std::string location)
        : ghl_(ghl), ctx_(ctx), location_(std::move(location)) {}

    json call(std::string_view endpoint, const ghl::Params& path, const ghl::Params& query) {
        ++requests_;
        return ghl_.call(ctx_, endpoint, path, query, nullptr, location_);
    }

    /// True (and from then on) when the call was cancelled or too little time is left for
    /// another request and the answer.
    bool must_stop() {
        if (!stop_reason_.empty()) return true;
        if (ctx_.cancelled())
            stop_reason_ = "the call was cancelled";
        else if (ctx_.remaining() < kReserve)
            stop_reason_ = "the call's deadline was near";
        return !stop_reason_.empty();
    }
    /// Stops further requests after a failed optional one (e.g. rate limited for too long).
    void stop(std::string why) {
        if (stop_reason_.empty()) stop_reason_ = std::move(why);
    }
    bool stopped() const { return !stop_reason_.empty(); }
    const std::string& stop_reason() const { return stop_reason_; }
    int requests() const { return requests_; }
    const std::string& location() const { return location_; }

private:
    static constexpr std::chrono::milliseconds kReserve{3000};
    GhlAccess& ghl_;
    mcp::ToolContext& ctx_;
    std::string location_;
    int requests_ = 0;
    std::string stop_reason_;
};

// ---- Text -----------------------------------------------------------------------------------

/// A message in brief: one line of at most kSnippetChars code points, HTML tags dropped (when it
/// looks like HTML), blank space collapsed, "…" when cut.
std::string snippet(std::string_view text) {
    const bool html = text.size() > 1 && text[0] == '<' &&
                      (std::isalpha(static_cast<unsigned char>(text[1])) || text[1] == '!') &&
                      text.find('>') != std::string_view::npos;
    if (!html) return tidy(text, kSnippetChars, false);
    std::string plain;  // every tag becomes a space
    bool in_tag = false;
    for (const char c : text) {
        if (c == '<') in_tag = true;
        if (in_tag) {
            if (c == '>') {
                in_tag = false;
                plain += ' ';
            }
            continue;
        }
        plain += c;
    }
    return tidy(plain, kSnippetChars, false);
}

/// Whole days (or hours) between two epoch-ms times, never negative.
std::int64_t whole(std::int64_t from, std::int64_t to, std::int64_t unit) {
    return to > from ? (to - from) / unit : 0;
}

/// "2026-05-03" from an ISO time as GHL wrote it (the local date when it carries an offset).
std::string date_part(const std::string& iso, std::int64_t ms) {
    if (iso.size() >= 10 && iso[4] == '-' && iso[7] == '-') return iso.substr(0, 10);
    return iso_utc(ms).substr(0, 10);
}

// ---- audit_pipeline -------------------------------------------------------------------------

struct StageTotals {
    std::string pipeline_id, pipeline, stage_id, stage;
    std::int64_t count = 0, stale = 0;
    double value = 0, stale_value = 0;
};

struct StaleDeal {
    json opportunity;
    std::size_t stage = 0;  // index into the stage list
    double value = 0;
    std::int64_t days = 0;
};

/// What the cross-reference learnt about one contact.
struct Activity {
    bool checked = false;                  // both appointments and conversations were read
    std::optional<std::int64_t> appointment_ms;
    std::string appointment_text;          // startTime as GHL wrote it
    std::optional<std::int64_t> last_message_ms;
    std::string last_direction;            // "inbound" | "outbound" | ""
};

/// Appointments that still need attending: not cancelled, invalid, no-show or showed.
bool still_on(const json& event) {
    std::string status = string_of(event, "appointmentStatus", string_of(event, "status"));
    return status != "cancelled" && status != "invalid" && status != "noshow" && status != "showed";
}

void note_appointment(Activity& a, const json& event, std::int64_t now) {
    if (!still_on(event)) return;
    auto start = ghl_time_ms(get_or_null(event, "startTime"));
    if (!start || *start < now) return;
    if (!a.appointment_ms || *start < *a.appointment_ms) {
        a.appointment_ms = start;
        // As GHL wrote it (the calendar's local time), made ISO 8601 where it was not:
        // "2026-05-03 10:00:00" (contact appointments) -> "2026-05-03T10:00:00".
        a.appointment_text = string_of(event, "startTime");
        if (a.appointment_text.size() > 10 && a.appointment_text[10] == ' ') a.appointment_text[10] = 'T';
    }
}

void note_conversation(Activity& a, const json& c) {
    auto last = ghl_time_ms(get_or_null(c, "lastMessageDate"));
    if (!last || (a.last_message_ms && *a.last_message_ms >= *last)) return;
    a.last_message_ms = last;
    a.last_direction = string_of(c, "lastMessageDirection");
}

// Few stale contacts: two reads each beat the bulk listings (1 + one per calendar + one or more
// conversation pages).
constexpr std::size_t kPerContactMax = 2;
constexpr std::int64_t kAppointmentWindowDays = 30;
constexpr std::int64_t kConversationLookbackDays = 90;
constexpr int kMaxConversationPages = 10;
constexpr std::size_t kMaxOpenDeals = 5000;

void cross_reference_per_contact(Budget& b, mcp::ToolContext& ctx,
                                 std::map<std::string, Activity>& activity, std::int64_t now) {
    std::size_t done = 0;
    for (auto& [contact, a] : activity) {
        if (b.must_stop()) return;
        json events = b.call("contacts.appointments", {{"contactId", contact}}, {});
        // This listing's startTime has no offset (the calendar's local time): read as UTC it is
        // off by hours at most, which is fine for "upcoming" and the date shown.
        if (const json* list = ghl::page_items(events, "events"))
            for (const auto& e : *list) note_appointment(a, e, now);
        if (b.must_stop()) return;
        json found = b.call("conversations.search", {},
                            {{"locationId", b.location()},
                             {"contactId", contact},
                             {"limit", "1"},
                             {"sort", "desc"},
                             {"sortBy", "last_message_date"}});
        if (const json* list = ghl::page_items(found, "conversations"))
            for (const auto& c : *list) note_conversation(a, c);
        a.checked = true;
        ++done;
        ctx.progress(static_cast<double>(done), static_cast<double>(activity.size()),
                     "checked contact " + std::to_string(done) + " of " +
                         std::to_string(activity.size()));
    }
}

void cross_reference_bulk(Budget& b, mcp::ToolContext& ctx, std::map<std::string, Activity>& activity,
                          std::int64_t now) {
    // Upcoming appointments: one events listing per calendar for the window.
    if (b.must_stop()) return;
    json calendars = b.call("calendars.list", {}, {{"locationId", b.location()}});
    const json* cal_list = ghl::page_items(calendars, "calendars");
    const std::size_t cal_count = cal_list ? cal_list->size() : 0;
    std::size_t cal_done = 0;
    if (cal_list) {
        for (const auto& cal : *cal_list) {
            const std::string id = string_of(cal, "id");
            if (id.empty()) continue;
            if (b.must_stop()) return;
            json events = b.call("calendars.events.list", {},
                                 {{"locationId", b.location()},
                                  {"calendarId", id},
                                  {"startTime", std::to_string(now)},
                                  {"endTime", std::to_string(now + kAppointmentWindowDays * kDayMs)}});
            if (const json* list = ghl::page_items(events, "events")) {
                for (const auto& e : *list) {
                    auto it = activity.find(string_of(e, "contactId"));
                    if (it != activity.end()) note_appointment(it->second, e, now);
                }
            }
            ++cal_done;
            ctx.progress(static_cast<double>(cal_done), static_cast<double>(cal_count),
                         "read appointments of calendar " + std::to_string(cal_done) + " of " +
                             std::to_string(cal_count));
        }
    }
    // Conversations, latest activity first, until every stale contact was seen or the rest is
    // older than the lookback.
    const auto& ep = ghl::endpoint("conversations.search");
    ghl::PageOptions options;
    options.page_size = 100;
    options.items_key = "conversations";
    options.sort_field = "lastMessageDate";
    const std::int64_t oldest = now - kConversationLookbackDays * kDayMs;
    std::set<std::string> unseen;
    for (const auto& [contact, a] : activity) unseen.insert(contact);
    json position = json::object();
    for (int page = 1; page <= kMaxConversationPages && !unseen.empty(); ++page) {
        if (b.must_stop()) return;
        ghl::Params query{{"locationId", b.location()},
                          {"limit", "100"},
                          {"sort", "desc"},
                          {"sortBy", "last_message_date"}};
        json unused;
        ghl::apply_position(ep, position, query, unused);
        json response = b.call("conversations.search", {}, query);
        const json* list = ghl::page_items(response, "conversations");
        bool past_lookback = false;
        if (list) {
            for (const auto& c : *list) {
                const std::string contact = string_of(c, "contactId");
                if (auto it = activity.find(contact); it != activity.end()) {
                    note_conversation(it->second, c);
                    unseen.erase(contact);
                }
                auto last = ghl_time_ms(get_or_null(c, "lastMessageDate"));
                if (last && *last < oldest) past_lookback = true;
            }
        }
        ctx.progress(static_cast<double>(page), std::nullopt,
                     "read conversations page " + std::to_string(page));
        if (past_lookback) break;
        auto next = ghl::next_position(ep.pagination, position, response, options);
        if (!next) break;
        position = std::move(*next);
    }
    for (auto& [contact, a] : activity) a.checked = true;
}

mcp::ToolHandler make_audit_pipeline(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        Budget b(ghl, ctx, ghl.location(args));
        const std::int64_t stale_days = arg_int(args, "staleDays", 14);
        const auto limit = static_cast<std::size_t>(arg_int(args, "limit", 25));
        const auto only_pipeline = arg_opt_string(args, "pipelineId");
        const std::int64_t now = now_ms();

        // Stage names and order.
        json pipelines = b.call("opportunities.pipelines", {}, {{"locationId", b.location()}});
        std::vector<StageTotals> stages;
        std::map<std::string, std::size_t> stage_at;
        std::string known;
        if (const json* list = ghl::page_items(pipelines, "pipelines")) {
            for (const auto& p : *list) {
                const std::string pid = string_of(p, "id");
                known += (known.empty() ? "" : ", ") + string_of(p, "name") + " (" + pid + ")";
                if (only_pipeline && pid != *only_pipeline) continue;
                if (!p.contains("stages") || !p["stages"].is_array()) continue;
                for (const auto& s : p["stages"]) {
                    StageTotals t{pid, string_of(p, "name"), string_of(s, "id"), string_of(s, "name")};
                    stage_at.emplace(t.stage_id, stages.size());
                    stages.push_back(std::move(t));
                }
            }
        }
        if (only_pipeline && stages.empty())
            invalid_argument("pipelineId " + *only_pipeline + " is not a pipeline of this sub-account" +
                             (known.empty() ? std::string(" (it has none).")
                                            : "; its pipelines: " + known + "."));

        // Every open deal (of the pipeline), in pages of 100.
        ghl::Params query{{"location_id", b.location()}, {"status", "open"}, {"limit", "100"}};
        if (only_pipeline) query.emplace_back("pipeline_id", *only_pipeline);
        const auto& ep = ghl::endpoint("opportunities.search");
        ghl::PageOptions options;
        options.page_size = 100;
        options.items_key = "opportunities";
        json position = json::object();
        std::vector<json> open;
        std::optional<std::int64_t> total;
        bool truncated = false;
        while (!b.must_stop()) {
            ghl::Params q = query;
            json unused;
            ghl::apply_position(ep, position, q, unused);
            json response = b.call("opportunities.search", {}, q);
            if (const json* list = ghl::page_items(response, "opportunities"))
                for (const auto& o : *list) open.push_back(o);
            if (response.contains("meta") && response["meta"].is_object() &&
                response["meta"].contains("total") && response["meta"]["total"].is_number_integer())
                total = response["meta"]["total"].get<std::int64_t>();
            ctx.progress(static_cast<double>(open.size()),
                         total ? std::optional<double>(static_cast<double>(*total)) : std::nullopt,
                         "read " + std::to_string(open.size()) + " open opportunities");
            auto next = ghl::next_position(ep.pagination, position, response, options);
            if (!next) break;
            if (open.size() >= kMaxOpenDeals) {
                truncated = true;
                break;
            }
            position = std::move(*next);
        }
        const bool listing_stopped = b.stopped();

        // Stage totals and the stale deals.
        std::vector<StaleDeal> stale;
        std::map<std::string, Activity> activity;
        for (const auto& o : open) {
            if (string_of(o, "status", "open") != "open") continue;
            const std::string stage_id = string_of(o, "pipelineStageId");
            auto it = stage_at.find(stage_id);
            if (it == stage_at.end()) {
                StageTotals t{string_of(o, "pipelineId"), "", stage_id, "(unknown stage " + stage_id + ")"};
                it = stage_at.emplace(stage_id, stages.size()).first;
                stages.push_back(std::move(t));
            }
            StageTotals& t = stages[it->second];
            const json& mv = get_or_null(o, "monetaryValue");
            const double value = mv.is_number() ? mv.get<double>() : 0.0;
            ++t.count;
            t.value += value;
            auto since = ghl_time_ms(get_or_null(o, "lastStageChangeAt"));
            if (!since) since = ghl_time_ms(get_or_null(o, "createdAt"));
            if (!since || now - *since <= stale_days * kDayMs) continue;
            ++t.stale;
            t.stale_value += value;
            stale.push_back({o, it->second, value, whole(*since, now, kDayMs)});
            if (auto contact = string_of(o, "contactId"); !contact.empty()) activity[contact];
        }

        // What each stale deal's contact is doing: appointments and conversation.
        std::string cross_error;
        if (!activity.empty()) {
            try {
                if (activity.size() <= kPerContactMax)
                    cross_reference_per_contact(b, ctx, activity, now);
                else
                    cross_reference_bulk(b, ctx, activity, now);
            } catch (const ToolFailure& e) {
                cross_error = e.what();
                b.stop("a GHL request failed");
            }
        }

        // Priority: the contact waits for us > nothing planned > an appointment is booked; then
        // the value at risk and the time in stage.
        struct Ranked {
            int rank;
            json item;
            double value;
            std::int64_t days;
        };
        std::vector<Ranked> ranked;
        for (const auto& d : stale) {
            const json& o = d.opportunity;
            const StageTotals& t = stages[d.stage];
            const std::string contact = string_of(o, "contactId");
            json item = {{"opportunityId", string_of(o, "id")}, {"name", string_of(o, "name")}};
            if (!contact.empty()) item["contactId"] = contact;
            if (o.contains("contact") && o["contact"].is_object()) {
                if (auto name = string_of(o["contact"], "name"); !name.empty()) item["contactName"] = name;
            }
            item["pipeline"] = t.pipeline;
            item["stage"] = t.stage;
            item["value"] = d.value;
            item["daysInStage"] = d.days;
            std::string reason = std::to_string(d.days) + " days in " + t.stage + " (over " +
                                 std::to_string(stale_days) + ")";
            std::string action;
            int rank = 1;
            const auto found = activity.find(contact);
            const Activity* a = found == activity.end() ? nullptr : &found->second;
            if (a && a->last_message_ms) item["lastMessageAt"] = iso_utc(*a->last_message_ms);
            if (a && a->appointment_ms) item["appointmentAt"] = a->appointment_text;
            if (!a || !a->checked) {
                reason += "; activity not checked";
                action = "check the contact's messages and appointments";
            } else if (a->last_direction == "inbound") {
                rank = 0;
                reason += "; the contact wrote last, " +
                          std::to_string(whole(*a->last_message_ms, now, kDayMs)) + " days ago";
                action = "reply: the contact is waiting";
            } else if (a->appointment_ms) {
                rank = 2;
                const std::string day = date_part(a->appointment_text, *a->appointment_ms);
                reason += "; appointment booked for " + day;
                action = "confirm the appointment on " + day;
            } else {
                reason += "; no upcoming appointment, ";
                reason += a->last_message_ms
                              ? "last message (ours) " +
                                    std::to_string(whole(*a->last_message_ms, now, kDayMs)) +
                                    " days ago"
                              : std::string("no recent conversation");
                action = "book a call";
            }
            item["priority"] = rank == 0 ? "high" : rank == 1 ? "medium" : "low";
            item["reason"] = reason;
            item["suggestedNextAction"] = action;
            ranked.push_back({rank, std::move(item), d.value, d.days});
        }
        std::sort(ranked.begin(), ranked.end(), [](const Ranked& x, const Ranked& y) {
            if (x.rank != y.rank) return x.rank < y.rank;
            if (x.value != y.value) return x.value > y.value;
            if (x.days != y.days) return x.days > y.days;
            return x.item["opportunityId"].get<std::string>() < y.item["opportunityId"].get<std::string>();
        });

        json deals = json::array();
        for (std::size_t i = 0; i < ranked.size() && i < limit; ++i) deals.push_back(std::move(ranked[i].item));
        json stage_list = json::array();
        std::int64_t open_count = 0, stale_count = 0;
        double open_value = 0, stale_value = 0;
        for (const auto& t : stages) {
            stage_list.push_back({{"pipeline", t.pipeline},
                                  {"stage", t.stage},
                                  {"stageId", t.stage_id},
                                  {"count", t.count},
                                  {"value", t.value},
                                  {"staleCount", t.stale},
                                  {"staleValue", t.stale_value}});
            open_count += t.count;
            open_value += t.value;
            stale_count += t.stale;
            stale_value += t.stale_value;
        }
        json out = {{"staleDays", stale_days},
                    {"deals", std::move(deals)},
                    {"stages", std::move(stage_list)},
                    {"totals",
                     {{"openDeals", open_count},
                      {"openValue", open_value},
                      {"staleDeals", stale_count},
                      {"staleValue", stale_value}}},
                    {"ghlRequests", b.requests()},
                    {"complete", !b.stopped() && !truncated}};
        std::string note;
        if (ranked.size() > limit)
            note = "Showing the first " + std::to_string(limit) + " of " + std::to_string(ranked.size()) +
                   " stale deals by priority; call again with a higher limit (max 100) for more.";
        if (listing_stopped)
            note += std::string(note.empty() ? "" : " ") + "Stopped early (" + b.stop_reason() +
                    "): only " + std::to_string(open.size()) + " of " +
                    (total ? std::to_string(*total) : std::string("the")) +
                    " open deals were read; totals cover those.";
        else if (b.stopped())
            note += std::string(note.empty() ? "" : " ") + "Stopped early (" + b.stop_reason() +
                    (cross_error.empty() ? "" : ": " + cross_error) +
                    "): appointments and conversations were not checked for every deal.";
        if (truncated)
            note += std::string(note.empty() ? "" : " ") + "Only the first " +
                    std::to_string(kMaxOpenDeals) + " open deals were read; audit one pipeline at a time.";
        if (!note.empty()) out["note"] = note;
        return mcp::ToolResult::structured_result(std::move(out));
    };
}

// ---- summarize_conversations ----------------------------------------------------------------

constexpr std::int64_t kActiveHours = 48;
constexpr std::int64_t kClosedDays = 30;

mcp::ToolHandler make_summarize_conversations(const Environment& env) {
    return [&env](const json& args, mcp::ToolContext& ctx) {
        auto& ghl = *env.ghl;
        Budget b(ghl, ctx, ghl.location(args));
        const auto limit = arg_int(args, "limit", 20);
        const auto per_conversation = arg_int(args, "messages", 5);
        const std::int64_t now = now_ms();

        json found = b.call("conversations.search", {},
                            {{"locationId", b.location()},
                             {"limit", std::to_string(limit)},
                             {"sort", "desc"},
                             {"sortBy", "last_message_date"}});
        json list = json::array();
        if (const json* items = ghl::page_items(found, "conversations")) list = *items;

        json conversations = json::array();
        struct Waiting {
            std::int64_t since;
            json item;
        };
        std::vector<Waiting> waiting;
        std::map<std::string, int> by_status{{"waiting_for_reply", 0}, {"active", 0}, {"idle", 0}, {"closed", 0}};
        std::string read_error;
        std::size_t done = 0;
        for (const auto& c : list) {
            const std::string id = string_of(c, "id");
            // The last messages, newest first (GHL's order, made sure of here).
            std::vector<json> messages;
            bool read = false;
            if (!id.empty() && !b.must_stop()) {
                try {
                    json page = b.call("conversations.messages.list", {{"conversationId", id}},
                                       {{"limit", std::to_string(per_conversation)}});
                    if (const json* items = ghl::page_items(page, "messages"))
                        messages.assign(items->begin(), items->end());
                    read = true;
                } catch (const ToolFailure& e) {
                    read_error = e.what();
                    b.stop("a GHL request failed");
                }
            }
            std::stable_sort(messages.begin(), messages.end(), [](const json& x, const json& y) {
                return ghl_time_ms(get_or_null(x, "dateAdded")).value_or(0) >
                       ghl_time_ms(get_or_null(y, "dateAdded")).value_or(0);
            });
            ++done;
            ctx.progress(static_cast<double>(done), static_cast<double>(list.size()),
                         "read conversation " + std::to_string(done) + " of " + std::to_string(list.size()));

            std::string direction = string_of(c, "lastMessageDirection");
            std::optional<std::int64_t> last = ghl_time_ms(get_or_null(c, "lastMessageDate"));
            if (!messages.empty()) {
                direction = string_of(messages.front(), "direction", direction);
                auto newest = ghl_time_ms(get_or_null(messages.front(), "dateAdded"));
                if (newest && (!last || *newest > *last)) last = newest;
            }
            const std::int64_t age = last ? now - *last : 0;
            std::string status;
            if (direction == "inbound")
                status = "waiting_for_reply";
            else if (last && age <= kActiveHours * kHourMs)
                status = "active";
            else if (last && age > kClosedDays * kDayMs)
                status = "closed";
            else
                status = "idle";
            ++by_status[status];

            json item = {{"id", id}};
            if (auto contact = string_of(c, "contactId"); !contact.empty()) item["contactId"] = contact;
            std::string name = string_of(c, "contactName");
            if (name.empty()) name = string_of(c, "fullName");
            if (!name.empty()) item["contactName"] = name;
            if (auto channel = channel_of(get_or_null(c, "lastMessageType")); !channel.empty())
                item["channel"] = channel;
            else if (!messages.empty())
                if (auto ch = channel_of(get_or_null(messages.front(), "messageType")); !ch.empty())
                    item["channel"] = ch;
            item["status"] = status;
            if (last) {
                item["lastMessageAt"] = iso_utc(*last);
                item["ageHours"] = whole(*last, now, kHourMs);
            }
            if (c.contains("unreadCount") && c["unreadCount"].is_number()) item["unreadCount"] = c["unreadCount"];
            std::optional<std::int64_t> since;
            if (status == "waiting_for_reply") {
                // Waiting since the first of the trailing inbound messages we read.
                since = last;
                for (const auto& m : messages) {
                    if (string_of(m, "direction") != "inbound") break;
                    if (auto at = ghl_time_ms(get_or_null(m, "dateAdded"))) since = at;
                }
                if (since) {
                    item["waitingSince"] = iso_utc(*since);
                    item["waitingHours"] = whole(*since, now, kHourMs);
                }
            }
            if (read) {
                json shown = json::array();
                for (auto it = messages.rbegin(); it != messages.rend(); ++it) {  // oldest first
                    json m = json::object();
                    if (auto d = string_of(*it, "direction"); !d.empty()) m["direction"] = d;
                    if (auto at = ghl_time_ms(get_or_null(*it, "dateAdded"))) m["at"] = iso_utc(*at);
                    m["text"] = snippet(string_of(*it, "body"));
                    shown.push_back(std::move(m));
                }
                item["messages"] = std::move(shown);
            } else if (c.contains("lastMessageBody") && c["lastMessageBody"].is_string()) {
                item["lastMessage"] = snippet(c["lastMessageBody"].get<std::string>());
            }
            if (status == "waiting_for_reply") {
                json w = {{"conversationId", id}};
                for (const char* key : {"contactId", "contactName", "channel", "waitingSince", "waitingHours"})
                    if (item.contains(key)) w[key] = item[key];
                const std::string text = !messages.empty() ? string_of(messages.front(), "body")
                                                           : string_of(c, "lastMessageBody");
                if (!text.empty()) w["lastMessage"] = snippet(text);
                waiting.push_back({since.value_or(now), std::move(w)});
            }
            conversations.push_back(std::move(item));
        }
        std::stable_sort(waiting.begin(), waiting.end(),
                         [](const Waiting& x, const Waiting& y) { return x.since < y.since; });
        json attention = json::array();
        for (auto& w : waiting) attention.push_back(std::move(w.item));

        json out = {{"conversations", std::move(conversations)},
                    {"attention", std::move(attention)},
                    {"byStatus", by_status},
                    {"ghlRequests", b.requests()},
                    {"complete", !b.stopped()}};
        if (b.stopped())
            out["note"] = "Stopped early (" + b.stop_reason() +
                          (read_error.empty() ? "" : ": " + read_error) +
                          "): conversations without `messages` were classified from the inbox "
                          "listing alone.";
        return mcp::ToolResult::structured_result(std::move(out));
    };
}

}  // namespace

std::vector<Registration> analysis_tools() {
    return {
        {"audit_pipeline", make_audit_pipeline},
        {"summarize_conversations", make_summarize_conversations},
    };
}

}  // namespace tools
