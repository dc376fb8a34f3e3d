// The deterministic seed: a realistic home-services sub-account laid out against a reference now.
//
// Everything comes from one Rng seeded with Options::seed, in a fixed order, so the same seed
// and reference time give identical data (ids included). Times are relative to the reference
// time: opportunities sit 0-90 days in their stage, conversations are active over the last 30
// days, appointments span two weeks either side of today.
#include "store.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <tuple>

namespace ghlsim {

namespace {

using timeutil::kDay;
using timeutil::kHour;
using timeutil::kMinute;

struct Area {
    const char* code;
    const char* city;
    const char* state;
    const char* postal;
    const char* timezone;
};

const std::vector<Area>& areas() {
    static const std::vector<Area> kAreas = {
        {"212", "New York", "NY", "10001", "America/New_York"},
        {"617", "Boston", "MA", "02108", "America/New_York"},
        {"305", "Miami", "FL", "33101", "America/New_York"},
        {"404", "Atlanta", "GA", "30303", "America/New_York"},
        {"312", "Chicago", "IL", "60601", "America/Chicago"},
        {"512", "Austin", "TX", "78701", "America/Chicago"},
        {"214", "Dallas", "TX", "75201", "America/Chicago"},
        {"303", "Denver", "CO", "80202", "America/Denver"},
        {"415", "San Francisco", "CA", "94103", "America/Los_Angeles"},
        {"206", "Seattle", "WA", "98101", "America/Los_Angeles"},
    };
    return kAreas;
}

const std::vector<std::string> kFirstNames = {
    "James",  "Mary",    "Robert",  "Patricia", "John",    "Jennifer", "Michael", "Linda",
    "David",  "Barbara", "William", "Susan",    "Richard", "Jessica",  "Joseph",  "Sarah",
    "Thomas", "Karen",   "Carlos",  "Lisa",     "Daniel",  "Nancy",    "Matthew", "Sofia",
    "Anthony", "Emily",  "Mark",    "Olivia",   "Steven",  "Grace",    "Andrew",  "Priya",
    "Kevin",  "Aisha",   "Brian",   "Mei",      "Luis",    "Hannah",   "Omar",    "Chloe"};
const std::vector<std::string> kLastNames = {
    "Smith",   "Johnson",  "Williams", "Brown",    "Jones",   "Garcia", "Miller",  "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas",
    "Taylor",  "Moore",    "Jackson",  "Martin",   "Lee",     "Perez",  "Thompson", "White",
    "Harris",  "Sanchez",  "Clark",    "Ramirez",  "Lewis",   "Robinson", "Walker", "Young",
    "Allen",   "King",     "Wright",   "Scott",    "Nguyen",  "Hill",   "Flores",  "Green"};
const std::vector<std::string> kDomains = {"example.com", "example.net", "example.org",
                                           "mail.example", "inbox.example"};
const std::vector<std::string> kCompanies = {
    "Brightline Dental", "Oakridge Realty",  "Harbor Logistics", "Summit Fitness",
    "Maple & Co",        "Bluewater Marine", "Keystone Legal",   "Northwind Cafe",
    "Evergreen Clinic",  "Cobalt Studios"};
const std::vector<std::string> kStreets = {"Main St",   "Oak Ave",    "Maple Dr",  "Cedar Ln",
                                           "Park Blvd", "Elm St",     "Pine Rd",   "Lakeview Ct",
                                           "Hillside Way", "River Rd"};
const std::vector<std::string> kSources = {"website form", "facebook", "google ads",
                                           "referral",     "manual",   "public api"};
const std::vector<std::string> kTagNames = {
    "lead",        "customer",  "vip",       "newsletter",  "webinar-2024", "referral",
    "cold",        "hot-lead",  "facebook-ad", "google-ad", "past-client",  "follow-up"};
const std::vector<std::string> kSalesProducts = {"Roof Replacement", "HVAC Install",
                                                 "Solar Package",    "Plumbing Repair",
                                                 "Annual Maintenance Plan", "Kitchen Remodel"};
const std::vector<std::string> kOppSources = {"website", "referral", "facebook", "google ads",
                                              "phone call"};

const std::vector<std::string> kInbound = {
    "Hi, is anyone available to give me a quote this week?",
    "Can we move my appointment to Thursday afternoon?",
    "What would the {product} cost for a 3 bedroom house?",
    "Thanks! Do you offer financing?",
    "I sent the photos you asked for. Let me know what you think.",
    "Are you still coming out tomorrow?",
    "Following up on my last message, any update?",
    "Yes, that time works for me.",
    "Could you send the invoice again? I can't find it.",
    "How long does the {product} usually take?"};
const std::vector<std::string> kOutbound = {
    "Hi {first}, thanks for reaching out! When is a good time for a quick call?",
    "Hi {first}, your appointment is confirmed. See you then!",
    "Hi {first}, here is the estimate for the {product} we discussed.",
    "Absolutely, we offer 12 and 24 month financing options.",
    "Thanks {first}, I have passed the photos to our technician.",
    "Just checking in, {first}. Did you get a chance to review the proposal?",
    "Our team will arrive between 9 and 11am.",
    "Great, you're all set. Reply here if anything changes."};
const std::vector<std::string> kSubjects = {"Your quote request", "Appointment details",
                                            "Proposal for your project", "Following up"};

std::string fill(std::string text, const std::string& first, const std::string& product) {
    for (auto [key, value] : {std::pair<std::string, std::string>{"{first}", first},
                              std::pair<std::string, std::string>{"{product}", product}}) {
        for (std::size_t pos = text.find(key); pos != std::string::npos; pos = text.find(key)) {
            text.replace(pos, key.size(), value);
        }
    }
    return text;
}

/// Each part of the seed draws from its own generator, so that a part whose layout depends on the
/// reference date (appointments skip weekends) does not shift the ids of the parts after it.
Rng section(std::uint64_t seed, std::uint64_t part) {
    Rng mixer(seed ^ (0xD1B54A32D192ED03ULL * (part + 1)));
    return Rng(mixer.next());
}

template <typename T>
void shuffle(std::vector<T>& items, Rng& rng) {
    for (std::size_t i = items.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(rng.range(0, static_cast<std::int64_t>(i) - 1));
        std::swap(items[i - 1], items[j]);
    }
}

/// Who a sub-account is. Business 0 is the default sub-account; the others are the agency's
/// further sub-accounts (Options::extra_locations).
struct Business {
    const char* name;
    const char* team;    ///< how its calendars call the staff ("with the Summit team")
    const char* domain;  ///< of its website, office and staff email addresses
    const char* phone;   ///< the office line; staff lines share its first 10 characters
    const char* address;
    const char* city;
    const char* state;
    const char* postal_code;
    const char* timezone;
};

const std::vector<Business>& businesses() {
    static const std::vector<Business> kBusinesses = {
        {"Summit Home Services", "Summit", "summithome.example", "+12125550100", "100 Main St",
         "New York", "NY", "10001", "America/New_York"},
        {"Lakeside Comfort HVAC", "Lakeside", "lakesidehvac.example", "+13125550100",
         "200 Lake Shore Dr", "Chicago", "IL", "60601", "America/Chicago"},
        {"Front Range Roofing", "Front Range", "frontrangeroofing.example", "+13035550100",
         "300 Larimer St", "Denver", "CO", "80202", "America/Denver"},
        {"Bayside Solar & Electric", "Bayside", "baysidesolar.example", "+14155550100",
         "400 Market St", "San Francisco", "CA", "94103", "America/Los_Angeles"},
        {"Peachtree Plumbing", "Peachtree", "peachtreeplumbing.example", "+14045550100",
         "500 Peachtree St", "Atlanta", "GA", "30303", "America/New_York"},
        {"Hill Country Landscaping", "Hill Country", "hillcountrylandscaping.example",
         "+15125550100", "600 Congress Ave", "Austin", "TX", "78701", "America/Chicago"},
    };
    return kBusinesses;
}

}  // namespace

void Store::seed(std::uint64_t seed_value, Ms now, std::size_t business_index) {
    Rng rng = section(seed_value, 0);

    // The sub-account. Past the table, the businesses repeat with a branch number in the name
    // (and the domain), so that every sub-account's name stays unique.
    const Business& business = businesses()[business_index % businesses().size()];
    const std::size_t branch = business_index / businesses().size();
    const std::string domain =
        branch == 0 ? std::string(business.domain)
                    : "branch" + std::to_string(branch + 1) + "." + business.domain;
    location.company_id = std::string(kCompanyId);
    location.name = std::string(business.name) +
                    (branch == 0 ? "" : " #" + std::to_string(branch + 1)) + " (Sandbox)";
    location.email = "office@" + domain;
    location.phone = business.phone;
    location.address = business.address;
    location.city = business.city;
    location.state = business.state;
    location.postal_code = business.postal_code;
    location.website = "https://" + domain;
    location.timezone = business.timezone;

    facts.location_id = location.id;
    facts.company_id = location.company_id;
    facts.reference_now_ms = now;

    // Users.
    const std::vector<std::array<const char*, 3>> user_rows = {
        {"Avery", "Brooks", "admin"},
        {"Jordan", "Patel", "user"},
        {"Morgan", "Reyes", "user"},
        {"Taylor", "Kim", "user"},
        {"Casey", "Morgan", "user"}};
    std::vector<std::string> user_ids;
    for (std::size_t i = 0; i < user_rows.size(); ++i) {
        User u;
        u.id = rng.id20();
        u.first_name = user_rows[i][0];
        u.last_name = user_rows[i][1];
        u.role = user_rows[i][2];
        u.email = lower(u.first_name + "." + u.last_name) + "@" + domain;
        u.phone = location.phone.substr(0, 10) + "1" + std::to_string(i);
        user_ids.push_back(u.id);
        users.emplace(u.id, u);
    }
    facts.user_ids = user_ids;

    // Location tags and custom fields.
    for (const std::string& name : kTagNames) tags.push_back({rng.id20(), name});
    const std::vector<CustomField> field_rows = {
        {"", "Lead Score", "contact.lead_score", "0-100", "NUMERICAL", "contact", 0, {}},
        {"", "Preferred Contact Method", "contact.preferred_contact_method", "Choose one",
         "SINGLE_OPTIONS", "contact", 1, {"Phone", "Email", "SMS", "WhatsApp"}},
        {"", "Budget", "contact.budget", "Budget in USD", "MONETORY", "contact", 2, {}},
        {"", "Services Interested In", "contact.services_interested_in", "Pick any",
         "MULTIPLE_OPTIONS", "contact", 3, {"Roofing", "HVAC", "Plumbing", "Solar", "Landscaping"}},
        {"", "Last Service Date", "contact.last_service_date", "YYYY-MM-DD", "DATE", "contact", 4,
         {}},
        {"", "Deal Source", "opportunity.deal_source", "Choose one", "SINGLE_OPTIONS",
         "opportunity", 0, {"Inbound", "Outbound", "Referral", "Partner"}},
        {"", "Close Probability", "opportunity.close_probability", "0-100", "NUMERICAL",
         "opportunity", 1, {}}};
    for (CustomField f : field_rows) {
        f.id = rng.id20();
        custom_fields.push_back(f);
    }
    const std::string lead_score_field = custom_fields[0].id;
    const std::string preferred_field = custom_fields[1].id;
    const std::string deal_source_field = custom_fields[5].id;

    // Workflows and campaigns.
    const std::vector<std::pair<const char*, const char*>> workflow_rows = {
        {"New Lead Nurture", "published"},   {"Appointment Reminder", "published"},
        {"No-Show Follow Up", "published"},  {"Win-Back Campaign", "draft"},
        {"Review Request", "published"},     {"Onboarding Sequence", "published"}};
    for (const auto& [name, status] : workflow_rows) {
        Workflow w;
        w.id = rng.uuid();
        w.name = name;
        w.status = status;
        w.version = static_cast<int>(rng.range(1, 6));
        w.created_at = now - rng.range(60, 400) * kDay;
        w.updated_at = w.created_at + rng.range(1, 50) * kDay;
        workflows.push_back(w);
        facts.workflow_ids.push_back(w.id);
    }
    for (const auto& [name, status] : std::vector<std::pair<const char*, const char*>>{
             {"Spring Promo", "published"},
             {"Webinar Invite", "published"},
             {"Old Leads Reactivation", "draft"}}) {
        campaigns.push_back({rng.id20(), name, status});
        facts.campaign_ids.push_back(campaigns.back().id);
    }

    // Contacts: 15% phone-only, 15% email-only, the rest both; some share an email.
    rng = section(seed_value, 1);
    constexpr int kContacts = 250;
    std::vector<std::string> contact_ids;
    std::set<std::string> used_phones;
    std::set<std::string> used_emails;
    for (int i = 0; i < kContacts; ++i) {
        Contact c;
        c.id = rng.id20();
        c.first_name = rng.pick(kFirstNames);
        c.last_name = rng.pick(kLastNames);
        const Area& area = rng.pick(areas());
        const std::int64_t kind = rng.range(0, 99);
        const bool phone_only = kind < 15;
        const bool email_only = kind >= 15 && kind < 30;
        if (!email_only) {
            std::string phone;
            do {
                phone = std::string("+1") + area.code + "55501" +
                        std::to_string(10 + rng.range(0, 89));
            } while (used_phones.count(phone) != 0 && used_phones.size() < 900);
            used_phones.insert(phone);
            c.phone = phone;
        }
        if (!phone_only) {
            std::string local = lower(c.first_name + "." + c.last_name);
            std::string email = local + "@" + rng.pick(kDomains);
            for (int n = 2; used_emails.count(email) != 0; ++n) {
                email = local + std::to_string(n) + "@" + rng.pick(kDomains);
            }
            used_emails.insert(email);
            c.email = email;
        }
        c.city = area.city;
        c.state = area.state;
        c.postal_code = area.postal;
        c.timezone = area.timezone;
        c.country = "US";
        if (rng.chance(0.6)) {
            c.address1 = std::to_string(rng.range(10, 9999)) + " " + rng.pick(kStreets);
        }
        if (rng.chance(0.3)) c.company_name = rng.pick(kCompanies);
        c.source = rng.pick(kSources);
        c.type = rng.chance(0.2) ? "customer" : "lead";
        if (rng.chance(0.7)) c.assigned_to = rng.pick(user_ids);
        c.dnd = rng.chance(0.05);
        const int tag_count = static_cast<int>(rng.range(0, 3));
        for (int t = 0; t < tag_count; ++t) {
            const std::string& tag = rng.pick(kTagNames);
            if (std::find(c.tags.begin(), c.tags.end(), tag) == c.tags.end()) c.tags.push_back(tag);
        }
        if (rng.chance(0.5)) c.custom_fields.push_back({lead_score_field, rng.range(0, 100)});
        if (rng.chance(0.3)) {
            c.custom_fields.push_back(
                {preferred_field, rng.pick(std::vector<std::string>{"Phone", "Email", "SMS"})});
        }
        c.date_added = now - rng.range(1, 365) * kDay - rng.range(0, kDay - 1) - i;
        c.date_updated = c.date_added + rng.range(0, now - c.date_added);
        if (phone_only) facts.phone_only_contact_ids.push_back(c.id);
        if (email_only) facts.email_only_contact_ids.push_back(c.id);
        contact_ids.push_back(c.id);
        contacts.emplace(c.id, std::move(c));
    }
    // Eight households share one email: the later contact takes the earlier one's address.
    {
        std::vector<std::string> with_email;
        for (const std::string& id : contact_ids) {
            if (!contacts.at(id).email.empty()) with_email.push_back(id);
        }
        shuffle(with_email, rng);
        for (std::size_t g = 0; g < 8 && 2 * g + 1 < with_email.size(); ++g) {
            Contact& a = contacts.at(with_email[2 * g]);
            Contact& b = contacts.at(with_email[2 * g + 1]);
            Contact& older = a.date_added <= b.date_added ? a : b;
            Contact& newer = a.date_added <= b.date_added ? b : a;
            newer.email = older.email;
            facts.shared_email_contact_ids.push_back(older.id);
            facts.shared_email_contact_ids.push_back(newer.id);
        }
    }
    facts.contacts = kContacts;

    // Pipelines, lost reasons.
    rng = section(seed_value, 2);
    for (const char* name : {"Price too high", "Went with a competitor", "No response",
                             "Not a good fit", "Timing"}) {
        lost_reasons.push_back({rng.id20(), name, now - rng.range(100, 500) * kDay});
    }
    const std::vector<std::pair<const char*, std::vector<const char*>>> pipeline_rows = {
        {"Sales Pipeline",
         {"New Lead", "Contacted", "Appointment Booked", "Proposal Sent", "Negotiation", "Closed"}},
        {"Customer Onboarding",
         {"Kickoff Scheduled", "Documents Requested", "In Progress", "Quality Review",
          "Completed"}}};
    for (const auto& [name, stage_names] : pipeline_rows) {
        Pipeline p;
        p.id = rng.id20();
        p.name = name;
        for (std::size_t s = 0; s < stage_names.size(); ++s) {
            p.stages.push_back({rng.uuid(), stage_names[s], static_cast<int>(s)});
        }
        pipelines.push_back(p);
        facts.pipeline_ids.push_back(p.id);
    }

    // Opportunities: 50 in sales, 30 in onboarding, one per contact per pipeline.
    constexpr int kStaleDays = 14;
    for (std::size_t pi = 0; pi < pipelines.size(); ++pi) {
        const Pipeline& p = pipelines[pi];
        const int count = pi == 0 ? 50 : 30;
        std::vector<std::string> pool = contact_ids;
        shuffle(pool, rng);
        for (int k = 0; k < count; ++k) {
            const Contact& contact = contacts.at(pool[static_cast<std::size_t>(k)]);
            Opportunity o;
            o.id = rng.id20();
            o.pipeline_id = p.id;
            o.contact_id = contact.id;
            const std::string product = rng.pick(kSalesProducts);
            o.name = pi == 0 ? contact.full_name() + " - " + product
                             : "Onboarding: " + contact.full_name();
            const std::int64_t roll = rng.range(0, 99);
            o.status = roll < 65 ? "open" : roll < 80 ? "won" : roll < 92 ? "lost" : "abandoned";
            const auto last_stage = static_cast<std::int64_t>(p.stages.size()) - 1;
            std::int64_t stage_index = rng.range(0, last_stage - 1);
            if (o.status == "won") stage_index = last_stage;
            o.stage_id = p.stages[static_cast<std::size_t>(stage_index)].id;
            // Days in stage, never within a day of the 14-day staleness threshold.
            std::int64_t days = rng.range(0, 90);
            if (days >= kStaleDays - 1 && days <= kStaleDays + 1) days = rng.chance(0.5) ? 12 : 16;
            o.last_stage_change_at = now - days * kDay - rng.range(0, 20 * kHour) - k;
            o.created_at = o.last_stage_change_at - rng.range(0, 60) * kDay - rng.range(0, kDay);
            o.last_status_change_at = o.status == "open" ? o.created_at : o.last_stage_change_at;
            o.updated_at = o.last_stage_change_at;
            o.last_action_date = o.updated_at;
            o.monetary_value = static_cast<double>(rng.range(10, 500) * 50);
            o.assigned_to = rng.pick(user_ids);
            o.source = rng.pick(kOppSources);
            if (o.status == "lost") o.lost_reason_id = rng.pick(lost_reasons).id;
            if (rng.chance(0.5)) {
                o.custom_fields.push_back(
                    {deal_source_field,
                     rng.pick(std::vector<std::string>{"Inbound", "Outbound", "Referral"})});
            }
            if (o.status == "open" && days > kStaleDays) facts.stale_opportunity_ids.push_back(o.id);
            opportunities.emplace(o.id, std::move(o));
        }
    }
    facts.opportunities = static_cast<int>(opportunities.size());

    // Calendars, each with its own zone; Mon-Fri 09:00-17:00 local, 30-minute slots.
    rng = section(seed_value, 3);
    calendar_group_id = rng.id20();
    const std::vector<std::tuple<const char*, const char*, const char*, std::vector<std::size_t>>>
        calendar_rows = {
            {"Discovery Call", "America/New_York", "#039be5", {0}},
            {"Product Demo", "America/Chicago", "#33b679", {1, 2}},
            {"Onboarding Session", "America/Los_Angeles", "#f4511e", {3}}};
    for (const auto& [name, zone, color, members] : calendar_rows) {
        Calendar c;
        c.id = rng.id20();
        c.name = name;
        c.description = std::string(name) + " with the " + business.team + " team";
        c.slug = lower(name);
        std::replace(c.slug.begin(), c.slug.end(), ' ', '-');
        c.timezone = zone;
        c.group_id = calendar_group_id;
        c.event_color = color;
        for (std::size_t m : members) c.team_members.push_back(user_ids[m]);
        calendars.push_back(c);
        facts.calendar_ids.push_back(c.id);
    }

    // Appointments: two weeks either side of today, on the slot grid, never double-booked.
    for (const Calendar& cal : calendars) {
        const timeutil::TimeZone* zone = timeutil::find_zone(cal.timezone);
        const timeutil::Civil today = timeutil::to_civil(now, zone->offset_at(now));
        const std::int64_t today_days = timeutil::days_from_civil(today.year, today.month, today.day);
        int made = 0;
        for (int attempt = 0; attempt < 40 && made < 14; ++attempt) {
            const std::int64_t day = today_days + rng.range(-14, 14);
            const int weekday = timeutil::weekday_from_days(day);
            if (weekday == 0 || weekday == 6) continue;
            const int slots = (cal.close_minute - cal.open_minute) / cal.slot_interval_min;
            const int minute = cal.open_minute + static_cast<int>(rng.range(0, slots - 1)) *
                                                     cal.slot_interval_min;
            timeutil::Civil local = timeutil::civil_from_days(day);
            local.hour = minute / 60;
            local.minute = minute % 60;
            Appointment a;
            a.start = zone->to_utc(local);
            a.end = a.start + cal.slot_duration_min * kMinute;
            a.assigned_user_id = rng.pick(cal.team_members);
            const bool clash = std::any_of(appointments.begin(), appointments.end(), [&](auto& kv) {
                const Appointment& b = kv.second;
                return b.calendar_id == cal.id && b.assigned_user_id == a.assigned_user_id &&
                       b.start < a.end && a.start < b.end;
            });
            if (clash) continue;
            const Contact& contact = contacts.at(rng.pick(contact_ids));
            a.id = rng.id20();
            a.calendar_id = cal.id;
            a.contact_id = contact.id;
            a.title = cal.name + " with " + contact.full_name();
            const std::int64_t roll = rng.range(0, 99);
            if (a.start < now) {
                a.status = roll < 70 ? "showed" : roll < 85 ? "noshow" : "cancelled";
            } else {
                a.status = roll < 85 ? "confirmed" : "cancelled";
            }
            a.address = "https://meet." + domain + "/" + lower(a.id.substr(0, 8));
            a.notes = rng.chance(0.3) ? "Customer asked about financing." : "";
            a.date_added = std::min(a.start, now) - rng.range(1, 10) * kDay;
            a.date_updated = a.date_added;
            if (a.status == "confirmed" && a.start > now) facts.upcoming_appointment_ids.push_back(a.id);
            appointments.emplace(a.id, std::move(a));
            ++made;
        }
    }
    facts.appointments = static_cast<int>(appointments.size());

    // Conversations: 60 contacts, SMS / Email / WhatsApp, about a third waiting for a reply.
    rng = section(seed_value, 4);
    {
        std::vector<std::string> pool = contact_ids;
        shuffle(pool, rng);
        std::set<Ms> last_dates;
        for (int k = 0; k < 60; ++k) {
            const Contact& contact = contacts.at(pool[static_cast<std::size_t>(k)]);
            std::string type;
            if (contact.phone.empty()) {
                type = "TYPE_EMAIL";
            } else if (contact.email.empty()) {
                type = rng.chance(0.75) ? "TYPE_SMS" : "TYPE_WHATSAPP";
            } else {
                const std::int64_t roll = rng.range(0, 99);
                type = roll < 50 ? "TYPE_SMS" : roll < 75 ? "TYPE_EMAIL" : "TYPE_WHATSAPP";
            }
            Conversation conv;
            conv.id = rng.id20();
            conv.contact_id = contact.id;
            conv.type = contact.phone.empty() ? "TYPE_EMAIL" : "TYPE_PHONE";
            conv.assigned_to = contact.assigned_to;
            conv.starred = rng.chance(0.1);
            const bool waiting = rng.chance(0.35);
            const int count = static_cast<int>(rng.range(2, 12));
            // Build newest-first, then store oldest-first. Distinct times across conversations.
            std::vector<Message> thread;
            Ms t = now - rng.range(10 * kMinute, 30 * kDay);
            while (last_dates.count(t) != 0) --t;  // the startAfterDate cursor needs distinct dates
            last_dates.insert(t);
            std::string direction = waiting ? "inbound" : "outbound";
            const std::string product = rng.pick(kSalesProducts);
            for (int m = 0; m < count; ++m) {
                Message msg;
                msg.id = rng.id20();
                msg.conversation_id = conv.id;
                msg.contact_id = contact.id;
                msg.message_type = type;
                msg.direction = direction;
                msg.date_added = t;
                if (direction == "inbound") {
                    msg.body = fill(rng.pick(kInbound), contact.first_name, product);
                    msg.status = "delivered";
                } else {
                    msg.body = fill(rng.pick(kOutbound), contact.first_name, product);
                    msg.status = type == "TYPE_EMAIL" ? (rng.chance(0.5) ? "opened" : "delivered")
                                                      : (rng.chance(0.3) ? "read" : "delivered");
                    msg.source = rng.chance(0.3) ? "workflow" : "app";
                    msg.user_id = conv.assigned_to.empty() ? user_ids[0] : conv.assigned_to;
                }
                if (type == "TYPE_EMAIL") msg.subject = "Re: " + rng.pick(kSubjects);
                thread.push_back(std::move(msg));
                t -= rng.range(3 * kMinute, 2 * kDay);
                if (rng.chance(0.7)) direction = direction == "inbound" ? "outbound" : "inbound";
            }
            std::reverse(thread.begin(), thread.end());
            conv.date_added = thread.front().date_added;
            conv.date_updated = thread.back().date_added;
            if (waiting) {
                int trailing = 0;
                for (auto it = thread.rbegin(); it != thread.rend() && it->direction == "inbound";
                     ++it) {
                    ++trailing;
                }
                conv.unread_count = rng.chance(0.7) ? trailing : 0;
                facts.waiting_conversation_ids.push_back(conv.id);
                if (conv.unread_count > 0) facts.unread_conversation_ids.push_back(conv.id);
            }
            for (Message& msg : thread) {
                conv.message_ids.push_back(msg.id);
                messages.emplace(msg.id, std::move(msg));
            }
            conversations.emplace(conv.id, std::move(conv));
        }
    }
    facts.conversations = static_cast<int>(conversations.size());
    facts.messages = static_cast<int>(messages.size());

    // Payments: 40 orders, a transaction for each order that took money.
    rng = section(seed_value, 5);
    {
        std::vector<std::string> pool;
        for (const std::string& id : contact_ids) {
            if (!contacts.at(id).email.empty()) pool.push_back(id);
        }
        shuffle(pool, rng);
        const std::vector<std::string> sources = {"funnel", "website", "invoice"};
        for (int k = 0; k < 40; ++k) {
            const Contact& contact = contacts.at(pool[static_cast<std::size_t>(k)]);
            Order o;
            o.id = rng.object_id();
            o.contact_id = contact.id;
            o.contact_name = contact.full_name();
            o.contact_email = contact.email;
            o.amount = static_cast<double>(rng.range(49, 2500));
            const std::int64_t roll = rng.range(0, 99);
            o.payment_status = roll < 70   ? "paid"
                               : roll < 85 ? "unpaid"
                               : roll < 93 ? "refunded"
                                           : "partially_paid";
            o.status = o.payment_status == "unpaid" ? "pending" : "completed";
            o.source_type = rng.pick(sources);
            o.source_name = o.source_type == "funnel" ? "Spring Tune-Up Funnel" : "Online Store";
            o.source_id = rng.id20();
            o.fulfillment_status = o.payment_status == "paid" ? "fulfilled" : "unfulfilled";
            o.created_at = now - rng.range(1, 120) * kDay - rng.range(0, kDay) - k;
            o.updated_at = o.created_at + rng.range(0, 2 * kDay);
            orders.push_back(o);
            if (o.payment_status != "unpaid") {
                Transaction t;
                t.id = rng.object_id();
                t.contact_id = o.contact_id;
                t.contact_name = o.contact_name;
                t.contact_email = o.contact_email;
                t.amount = o.payment_status == "partially_paid" ? o.amount / 2 : o.amount;
                t.status = o.payment_status == "refunded" ? "refunded" : "succeeded";
                t.entity_id = o.id;
                t.entity_source_type = o.source_type;
                t.entity_source_name = o.source_name;
                t.charge_id = "ch_" + rng.id20();
                t.created_at = o.created_at + rng.range(1, 60) * kMinute;
                transactions.push_back(t);
            }
        }
    }

    // Notes and tasks on a few contacts.
    rng = section(seed_value, 6);
    {
        static const std::vector<std::string> kNoteBodies = {
            "Called, left a voicemail.",
            "Prefers afternoon appointments.",
            "Asked for a written estimate before deciding.",
            "Referred by a neighbour; mention the referral discount.",
            "Gate code 4512 for the site visit.",
            "Spoke with the spouse; decision expected next week."};
        static const std::vector<std::string> kTaskTitles = {
            "Call back about the estimate", "Send the proposal", "Confirm the site visit",
            "Collect the deposit", "Ask for a review"};
        std::vector<std::string> pool = contact_ids;
        shuffle(pool, rng);
        for (int k = 0; k < 40; ++k) {
            const Contact& contact = contacts.at(pool[static_cast<std::size_t>(k % 25)]);
            Note n;
            n.id = rng.id20();
            n.contact_id = contact.id;
            n.body = rng.pick(kNoteBodies);
            n.user_id = rng.pick(user_ids);
            n.pinned = rng.chance(0.1);
            n.date_added = now - rng.range(1, 90) * kDay - rng.range(0, kDay - 1);
            notes.emplace(n.id, std::move(n));
        }
        for (int k = 0; k < 30; ++k) {
            const Contact& contact = contacts.at(pool[static_cast<std::size_t>(k % 20)]);
            Task t;
            t.id = rng.id20();
            t.contact_id = contact.id;
            t.title = rng.pick(kTaskTitles);
            t.body = "Follow up with " + contact.full_name() + ".";
            t.assigned_to = rng.pick(user_ids);
            t.due_date = now + rng.range(-10, 20) * kDay;
            t.completed = t.due_date < now && rng.chance(0.6);
            t.date_added = std::min(t.due_date, now) - rng.range(1, 10) * kDay;
            tasks.emplace(t.id, std::move(t));
        }
    }

    last_stamp_ = now;
}

}  // namespace ghlsim
