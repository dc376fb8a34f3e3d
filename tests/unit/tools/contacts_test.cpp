// contacts toolset against the simulator: arguments, the exact GHL request, the shaped output and
// the error texts.
#include "sandbox_fixture.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace tools_test {
namespace {

/// "+12125550142" -> "(212) 555-0142", the way people say a US number.
std::string national(const std::string& e164) {
    return "(" + e164.substr(2, 3) + ") " + e164.substr(5, 3) + "-" + e164.substr(8);
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

class ContactsTest : public SandboxTest {
  protected:
    std::string a_contact() { return seed().phone_only_contact_ids.at(0); }

    bool shares_email(const std::string& id) {
        const auto& shared = seed().shared_email_contact_ids;
        return std::find(shared.begin(), shared.end(), id) != shared.end();
    }
    /// The n-th email-only contact whose email is its own (lookups by email find exactly it).
    std::string own_email_contact(std::size_t n) {
        for (const auto& id : seed().email_only_contact_ids)
            if (!shares_email(id) && n-- == 0) return id;
        ADD_FAILURE() << "not enough email-only contacts";
        return "";
    }

    json contact(const std::string& id) {
        return ok("get_contact", {{"contactId", id}})["contact"];
    }

    /// Every contact, newest first, by walking search_contacts (checks paging on the way).
    std::vector<json> all_contacts(const json& filters = json::object()) {
        std::vector<json> all;
        json args = filters;
        args["limit"] = 100;
        for (int guard = 0; guard < 20; ++guard) {
            json page = ok("search_contacts", args);
            for (const auto& c : page["contacts"]) all.push_back(c);
            if (page["nextCursor"].is_null()) return all;
            args["cursor"] = page["nextCursor"];
        }
        ADD_FAILURE() << "search_contacts never ended";
        return all;
    }

    std::string field_id(const std::string& key) {
        json r = raw("locations.custom_fields.list", {{"locationId", seed().location_id}});
        for (const auto& f : r["customFields"])
            if (f["fieldKey"] == key) return f["id"];
        ADD_FAILURE() << "no custom field " << key;
        return "";
    }

    /// The request the simulator saw for `method path`; fails unless there was exactly one.
    ghlsim::RequestRecord request(const std::string& method, const std::string& path) {
        std::vector<ghlsim::RequestRecord> hits;
        for (const auto& r : requests())
            if (r.method == method && r.path == path) hits.push_back(r);
        EXPECT_EQ(hits.size(), 1u) << method << " " << path;
        return hits.empty() ? ghlsim::RequestRecord{} : hits.front();
    }

    /// A tool error that must come before any GHL request.
    std::string refused(const std::string& tool, const json& args) {
        const auto before = requests().size();
        std::string text = tool_error(tool, args);
        EXPECT_EQ(requests().size(), before) << tool << " sent a request for " << args.dump();
        return text;
    }
};

// ---- get_contact ----------------------------------------------------------------------------

TEST_F(ContactsTest, GetContactSendsOneGetAndShapesTheContact) {
    const std::string id = a_contact();
    json out = ok("get_contact", {{"contactId", id}});
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/contacts/" + id);
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    const json& c = out["contact"];
    EXPECT_EQ(c["id"], id);
    EXPECT_TRUE(c.contains("phone"));
    EXPECT_FALSE(c.contains("email")) << "a phone-only contact has no email";
    EXPECT_FALSE(c.contains("searchAfter")) << "raw GHL fields must not leak";
    EXPECT_FALSE(c.contains("firstNameLowerCase"));
    // The display name keeps its case (GHL's contactName is lower-case on reads).
    EXPECT_EQ(c["name"],
              c["firstName"].get<std::string>() + " " + c["lastName"].get<std::string>());
}

TEST_F(ContactsTest, GetContactUnknownIdIsAnActionableToolError) {
    std::string text = tool_error("get_contact", {{"contactId", "nosuchcontact0000001"}});
    EXPECT_TRUE(contains(text, "not found")) << text;
}

TEST_F(ContactsTest, GetContactRejectsPathTraversalBeforeAnyRequest) {
    std::string text = tool_error("get_contact", {{"contactId", "../locations/x"}});
    EXPECT_TRUE(contains(text, "contactId")) << text;
    EXPECT_TRUE(requests().empty());
}

TEST_F(ContactsTest, GetContactRequiresContactId) {
    invalid_arguments("get_contact", json::object());
    invalid_arguments("get_contact", {{"contactId", "x"}, {"unknown", 1}});
}

// ---- search_contacts ------------------------------------------------------------------------

TEST_F(ContactsTest, SearchSendsOnePostSortedNewestFirstAndShapesCompactly) {
    json out = ok("search_contacts", {{"limit", 5}});
    auto r = only_request();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/contacts/search");
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    json body = body_of(r);
    EXPECT_EQ(body["locationId"], seed().location_id);
    EXPECT_EQ(body["pageLimit"], 5);
    EXPECT_EQ(body["sort"], json::parse(R"([{"field":"dateAdded","direction":"desc"}])"));
    EXPECT_FALSE(body.contains("filters"));
    EXPECT_FALSE(body.contains("query"));
    EXPECT_FALSE(body.contains("page")) << "searchAfter paging only";

    EXPECT_EQ(out["count"], 5);
    EXPECT_EQ(out["total"], seed().contacts);
    ASSERT_TRUE(out["nextCursor"].is_string());
    EXPECT_TRUE(out.contains("note"));
    for (const auto& c : out["contacts"]) {
        std::set<std::string> keys;
        for (const auto& [k, v] : c.items()) keys.insert(k);
        for (const auto& k : keys)
            EXPECT_TRUE(k == "id" || k == "name" || k == "email" || k == "phone" || k == "tags" ||
                        k == "dateAdded")
                << "unexpected field " << k;
        EXPECT_TRUE(c.contains("id") && c.contains("name") && c.contains("tags") &&
                    c.contains("dateAdded"));
        EXPECT_EQ(c["dateAdded"].get<std::string>().back(), 'Z');
    }
}

TEST_F(ContactsTest, SearchPagesThroughAllContactsWithoutDuplicatesOrGaps) {
    std::vector<json> all = all_contacts();
    ASSERT_EQ(all.size(), static_cast<std::size_t>(seed().contacts));
    std::set<std::string> ids;
    for (const auto& c : all) ids.insert(c["id"].get<std::string>());
    EXPECT_EQ(ids.size(), all.size()) << "a contact came twice";
    for (const auto& group : {seed().phone_only_contact_ids, seed().email_only_contact_ids,
                              seed().shared_email_contact_ids})
        for (const auto& id : group) EXPECT_TRUE(ids.count(id)) << id << " never came";
    for (std::size_t i = 1; i < all.size(); ++i)
        EXPECT_GE(all[i - 1]["dateAdded"].get<std::string>(),
                  all[i]["dateAdded"].get<std::string>());
    // Three pages of 100: the second and third requests carried searchAfter from the page before.
    auto reqs = requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_FALSE(body_of(reqs[0]).contains("searchAfter"));
    EXPECT_TRUE(body_of(reqs[1]).contains("searchAfter"));
    EXPECT_TRUE(body_of(reqs[2]).contains("searchAfter"));
}

TEST_F(ContactsTest, SearchByEmailFindsEveryContactSharingIt) {
    const auto& shared = seed().shared_email_contact_ids;  // pairs: older, newer
    const std::string email = contact(shared.at(0))["email"];
    sim().clear_requests();
    json out = ok("search_contacts", {{"email", upper(email)}});
    json body = body_of(only_request());
    EXPECT_EQ(body["filters"],
              json::array({{{"field", "email"}, {"operator", "eq"}, {"value", email}}}));
    std::set<std::string> got;
    for (const auto& c : out["contacts"]) got.insert(c["id"].get<std::string>());
    EXPECT_EQ(got, (std::set<std::string>{shared.at(0), shared.at(1)}));
    EXPECT_EQ(out["total"], 2);
    EXPECT_TRUE(out["nextCursor"].is_null());
}

TEST_F(ContactsTest, SearchByPhoneNormalisesTheNumber) {
    const std::string id = seed().phone_only_contact_ids.at(1);
    const std::string phone = contact(id)["phone"];
    sim().clear_requests();
    json out = ok("search_contacts", {{"phone", national(phone)}});
    json body = body_of(only_request());
    EXPECT_EQ(body["filters"][0]["value"], phone);
    ASSERT_EQ(out["count"], 1);
    EXPECT_EQ(out["contacts"][0]["id"], id);
    EXPECT_EQ(out["contacts"][0]["phone"], phone);
    EXPECT_FALSE(out["contacts"][0].contains("email"));
}

TEST_F(ContactsTest, SearchByTagAndDateRangeMatchesTheFullList) {
    std::vector<json> all = all_contacts();
    std::map<std::string, int> tag_counts;
    for (const auto& c : all)
        for (const auto& t : c["tags"]) ++tag_counts[t.get<std::string>()];
    ASSERT_FALSE(tag_counts.empty());
    const auto& [tag, tagged] = *tag_counts.begin();
    std::vector<json> by_tag = all_contacts({{"tag", upper(tag)}});
    EXPECT_EQ(static_cast<int>(by_tag.size()), tagged);
    for (const auto& c : by_tag)
        EXPECT_NE(std::find(c["tags"].begin(), c["tags"].end(), tag), c["tags"].end());

    // A window by whole days: dateTo as a date includes that day.
    const std::string from = all.at(200)["dateAdded"].get<std::string>().substr(0, 10);
    const std::string to = all.at(50)["dateAdded"].get<std::string>().substr(0, 10);
    int expected = 0;
    for (const auto& c : all) {
        const std::string day = c["dateAdded"].get<std::string>().substr(0, 10);
        if (day >= from && day <= to) ++expected;
    }
    sim().clear_requests();
    json out = ok("search_contacts", {{"dateFrom", from}, {"dateTo", to}, {"limit", 100}});
    json filter = body_of(requests().at(0))["filters"][0];
    EXPECT_EQ(filter["field"], "dateAdded");
    EXPECT_EQ(filter["operator"], "range");
    EXPECT_EQ(filter["value"]["gte"], from + "T00:00:00Z");
    EXPECT_TRUE(filter["value"].contains("lt")) << filter.dump();
    EXPECT_EQ(out["total"], expected);
    EXPECT_GT(expected, 100);
}

TEST_F(ContactsTest, SearchByFreeTextSendsTheQuery) {
    const json c = contact(seed().email_only_contact_ids.at(0));
    const std::string last = c["lastName"];
    sim().clear_requests();
    json out = ok("search_contacts", {{"query", last}, {"limit", 100}});
    EXPECT_EQ(body_of(only_request())["query"], last);
    bool seen = false;
    for (const auto& hit : out["contacts"]) seen = seen || hit["id"] == c["id"];
    EXPECT_TRUE(seen);
}

TEST_F(ContactsTest, SearchCursorIsBoundToItsFilters) {
    json first = ok("search_contacts", {{"limit", 10}});
    sim().clear_requests();
    std::string text = refused(
        "search_contacts", {{"limit", 10}, {"query", "smith"}, {"cursor", first["nextCursor"]}});
    EXPECT_TRUE(contains(text, "different filters")) << text;
    text = refused("search_contacts", {{"cursor", "garbage"}});
    EXPECT_TRUE(contains(text, "cursor")) << text;
}

TEST_F(ContactsTest, SearchRefusesBadArgumentsBeforeAnyRequest) {
    invalid_arguments("search_contacts", {{"limit", 0}});
    invalid_arguments("search_contacts", {{"limit", 101}});
    invalid_arguments("search_contacts", {{"query", std::string(76, 'a')}});
    invalid_arguments("search_contacts", {{"name", "x"}});
    std::string text = refused("search_contacts", {{"dateFrom", "last week"}});
    EXPECT_TRUE(contains(text, "dateFrom")) << text;
    EXPECT_TRUE(contains(text, "last week")) << text;
    text = refused("search_contacts", {{"dateFrom", "2026-02-01"}, {"dateTo", "2026-01-01"}});
    EXPECT_TRUE(contains(text, "before")) << text;
    text = refused("search_contacts", {{"phone", "call me"}});
    EXPECT_TRUE(contains(text, "\"call me\"")) << text;
    text = refused("search_contacts", {{"email", "bob at example"}});
    EXPECT_TRUE(contains(text, "email")) << text;
}

// ---- find_contact ---------------------------------------------------------------------------

TEST_F(ContactsTest, FindByPhoneIsOneDuplicateSearch) {
    const std::string id = seed().phone_only_contact_ids.at(2);
    const std::string phone = contact(id)["phone"];
    sim().clear_requests();
    json out = ok("find_contact", {{"phone", national(phone)}});
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/contacts/search/duplicate");
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    auto q = query_of(r);
    EXPECT_EQ(q["number"], phone);
    EXPECT_EQ(q["locationId"], seed().location_id);
    EXPECT_FALSE(q.count("email"));
    EXPECT_TRUE(contains(r.query, "%2B")) << "the + must be encoded: " << r.query;
    EXPECT_EQ(out["found"], true);
    EXPECT_EQ(out["matchedBy"], "phone");
    EXPECT_EQ(out["contact"]["id"], id);
    EXPECT_EQ(out["contact"]["phone"], phone);
    EXPECT_TRUE(out["contact"].contains("name"));
}

TEST_F(ContactsTest, FindByEmailIgnoresCase) {
    const std::string id = own_email_contact(0);
    const std::string email = contact(id)["email"];
    sim().clear_requests();
    json out = ok("find_contact", {{"email", upper(email)}});
    EXPECT_EQ(query_of(only_request())["email"], upper(email));
    EXPECT_EQ(out["found"], true);
    EXPECT_EQ(out["matchedBy"], "email");
    EXPECT_EQ(out["contact"]["id"], id);
}

TEST_F(ContactsTest, FindWithBothOfOneContactMatchesByEmail) {
    json c;
    for (const auto& hit : all_contacts()) {
        if (hit.contains("email") && hit.contains("phone") && !shares_email(hit["id"])) {
            c = hit;
            break;
        }
    }
    ASSERT_TRUE(c.is_object());
    sim().clear_requests();
    json out = ok("find_contact", {{"email", c["email"]}, {"phone", c["phone"]}});
    EXPECT_EQ(requests().size(), 2u) << "one lookup per identifier";
    EXPECT_EQ(out["found"], true);
    EXPECT_EQ(out["matchedBy"], "email");
    EXPECT_EQ(out["contact"]["id"], c["id"]);
    EXPECT_FALSE(out.contains("byPhone"));
}

TEST_F(ContactsTest, FindReportsBothWhenEmailAndPhoneBelongToDifferentContacts) {
    const std::string a = own_email_contact(0);
    const std::string b = seed().phone_only_contact_ids.at(0);
    json out = ok("find_contact", {{"email", contact(a)["email"]}, {"phone", contact(b)["phone"]}});
    EXPECT_EQ(out["found"], true);
    EXPECT_TRUE(out["contact"].is_null()) << "no guessing between two contacts";
    EXPECT_TRUE(out["matchedBy"].is_null());
    EXPECT_EQ(out["byEmail"]["id"], a);
    EXPECT_EQ(out["byPhone"]["id"], b);
    const std::string note = out["note"];
    EXPECT_TRUE(contains(note, a) && contains(note, b)) << note;
}

TEST_F(ContactsTest, FindNothingIsFoundFalse) {
    json out =
        ok("find_contact", {{"phone", "+1 917 555 9999"}, {"email", "nobody@nowhere.example"}});
    EXPECT_EQ(out, json::parse(R"({"found":false,"contact":null,"matchedBy":null})"));
}

TEST_F(ContactsTest, FindUsesTheDefaultCallingCodeForNationalNumbers) {
    json out = ok("find_contact", {{"phone", "07700 900123"}, {"defaultCallingCode", "44"}});
    EXPECT_EQ(query_of(only_request())["number"], "+447700900123");
    EXPECT_EQ(out["found"], false);
    sim().clear_requests();
    ok("find_contact", {{"phone", "+44 7700 900123"}});
    EXPECT_EQ(query_of(only_request())["number"], "+447700900123");
}

TEST_F(ContactsTest, FindRefusesWhatCannotBeLookedUp) {
    std::string text = refused("find_contact", json::object());
    EXPECT_TRUE(contains(text, "phone or an email")) << text;
    text = refused("find_contact", {{"phone", "call me maybe"}});
    EXPECT_TRUE(contains(text, "\"call me maybe\"")) << text;
    text =
        refused("find_contact", {{"phone", "07700 900123"}});  // no country code, not a US number
    EXPECT_TRUE(contains(text, "07700 900123")) << text;
    text = refused("find_contact", {{"phone", "2125550142"}, {"defaultCallingCode", "UK"}});
    EXPECT_TRUE(contains(text, "defaultCallingCode")) << text;
    text = refused("find_contact", {{"email", "not-an-email"}});
    EXPECT_TRUE(contains(text, "not-an-email")) << text;
    invalid_arguments("find_contact", {{"name", "Bob"}});
}

// ---- create_contact -------------------------------------------------------------------------

TEST_F(ContactsTest, CreateWithAPhoneOnlyNormalisesItAndReadsBack) {
    json out = ok("create_contact", {{"firstName", "Ada"},
                                     {"lastName", "Lovelace"},
                                     {"phone", "(646) 555-9876"},
                                     {"companyName", "Analytical Engines"},
                                     {"tags", {"VIP", " Lead "}}});
    auto r = only_request();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/contacts/");
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    json body = body_of(r);
    EXPECT_EQ(body, json({{"locationId", seed().location_id},
                          {"firstName", "Ada"},
                          {"lastName", "Lovelace"},
                          {"phone", "+16465559876"},
                          {"companyName", "Analytical Engines"},
                          {"tags", {"vip", "lead"}}}));
    const json& c = out["contact"];
    EXPECT_EQ(c["name"], "Ada Lovelace");
    EXPECT_EQ(c["phone"], "+16465559876");
    EXPECT_EQ(c["tags"], json({"vip", "lead"}));
    EXPECT_EQ(sim().counters().contacts_created, 1);
    json again = contact(c["id"]);
    EXPECT_EQ(again["phone"], "+16465559876");
    EXPECT_EQ(again["companyName"], "Analytical Engines");
}

TEST_F(ContactsTest, CreateResolvesCustomFieldKeysWithOneListRequest) {
    const std::string score = field_id("contact.lead_score");
    const std::string method = field_id("contact.preferred_contact_method");
    sim().clear_requests();
    json out =
        ok("create_contact", {{"email", "grace@hopper.example"},
                              {"customFields",
                               {{{"key", "lead_score"}, {"value", 42}},
                                {{"key", "contact.preferred_contact_method"}, {"value", "SMS"}}}}});
    auto list = request("GET", "/locations/" + seed().location_id + "/customFields");
    EXPECT_EQ(query_of(list)["model"], "contact");
    json body = body_of(request("POST", "/contacts/"));
    EXPECT_EQ(body["customFields"], json({{{"id", score}, {"field_value", 42}},
                                          {{"id", method}, {"field_value", "SMS"}}}));
    EXPECT_EQ(requests().size(), 2u);
    json fields = contact(out["contact"]["id"])["customFields"];
    EXPECT_EQ(fields.size(), 2u);
    for (const auto& f : fields)
        EXPECT_TRUE(f["id"] == score ? f["value"] == "42" : f["value"] == "SMS") << f.dump();
}

TEST_F(ContactsTest, CreateWithCustomFieldIdsNeedsNoFieldList) {
    const std::string score = field_id("contact.lead_score");
    sim().clear_requests();
    ok("create_contact",
       {{"email", "id.only@example.com"}, {"customFields", {{{"id", score}, {"value", "7"}}}}});
    json body = body_of(only_request());
    EXPECT_EQ(body["customFields"], json({{{"id", score}, {"field_value", "7"}}}));
}

TEST_F(ContactsTest, CreateWithAnUnknownFieldKeyListsTheValidOnesAndCreatesNothing) {
    std::string text = tool_error(
        "create_contact",
        {{"email", "x@example.com"}, {"customFields", {{{"key", "shoe_size"}, {"value", 9}}}}});
    EXPECT_TRUE(contains(text, "shoe_size")) << text;
    EXPECT_TRUE(contains(text, "contact.lead_score")) << text;
    EXPECT_TRUE(contains(text, "contact.budget")) << text;
    EXPECT_FALSE(contains(text, "opportunity.deal_source"))
        << "only contact fields apply: " << text;
    EXPECT_EQ(requests().size(), 1u) << "only the field list";
    EXPECT_EQ(sim().counters().contacts_created, 0);
}

TEST_F(ContactsTest, CreateRefusesBadArgumentsBeforeAnyRequest) {
    std::string text = refused("create_contact", {{"firstName", "Nobody"}});
    EXPECT_TRUE(contains(text, "phone or an email")) << text;
    text =
        refused("create_contact", {{"email", "x@example.com"},
                                   {"customFields", {{{"key", "a"}, {"id", "b"}, {"value", 1}}}}});
    EXPECT_TRUE(contains(text, "customFields[0]")) << text;
    text = refused("create_contact",
                   {{"email", "x@example.com"}, {"customFields", {{{"key", "lead_score"}}}}});
    EXPECT_TRUE(contains(text, "no value")) << text;
    text = refused("create_contact", {{"phone", "12"}});
    EXPECT_TRUE(contains(text, "\"12\"")) << text;
    text = refused("create_contact", {{"email", "x@example.com"}, {"tags", {""}}});
    EXPECT_TRUE(contains(text, "tags")) << text;
    invalid_arguments("create_contact", {{"email", "x@example.com"}, {"nickname", "x"}});
    invalid_arguments("create_contact", {{"email", "x@example.com"}, {"tags", "vip"}});
    EXPECT_EQ(sim().counters().contacts_created, 0);
}

TEST_F(ContactsTest, CreateOfADuplicateNamesTheExistingContact) {
    const std::string id = own_email_contact(3);
    const json existing = contact(id);
    sim().clear_requests();
    std::string text =
        tool_error("create_contact", {{"email", existing["email"]}, {"firstName", "Again"}});
    EXPECT_TRUE(contains(text, id)) << text;
    EXPECT_TRUE(contains(text, existing["name"].get<std::string>())) << text;
    EXPECT_TRUE(contains(text, "update_contact")) << text;
    EXPECT_TRUE(contains(text, "upsert_contact")) << text;
    EXPECT_EQ(sim().counters().contacts_created, 0);
    EXPECT_EQ(request("POST", "/contacts/").status, 400);

    const std::string phone_id = seed().phone_only_contact_ids.at(3);
    const std::string phone = contact(phone_id)["phone"];
    text = tool_error("create_contact", {{"phone", national(phone)}});
    EXPECT_TRUE(contains(text, phone_id)) << text;
    EXPECT_TRUE(contains(text, "phone")) << text;
}

// ---- upsert_contact -------------------------------------------------------------------------

TEST_F(ContactsTest, UpsertUpdatesTheContactWithThatEmail) {
    const std::string id = own_email_contact(1);
    const std::string email = contact(id)["email"];
    sim().clear_requests();
    json out = ok("upsert_contact",
                  {{"email", email}, {"firstName", "Renamed"}, {"phone", "+1 646 555 1234"}});
    auto r = only_request();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/contacts/upsert");
    EXPECT_EQ(body_of(r), json({{"locationId", seed().location_id},
                                {"firstName", "Renamed"},
                                {"email", email},
                                {"phone", "+16465551234"}}));
    EXPECT_EQ(out["created"], false);
    EXPECT_EQ(out["contact"]["id"], id);
    EXPECT_EQ(out["contact"]["firstName"], "Renamed");
    EXPECT_EQ(sim().counters().contacts_created, 0);
    EXPECT_EQ(sim().counters().contacts_updated, 1);
    EXPECT_EQ(contact(id)["phone"], "+16465551234");
}

TEST_F(ContactsTest, UpsertCreatesWhenNothingMatches) {
    json out = ok("upsert_contact", {{"email", "new.person@example.com"}, {"lastName", "Person"}});
    EXPECT_EQ(out["created"], true);
    EXPECT_EQ(out["contact"]["email"], "new.person@example.com");
    EXPECT_EQ(sim().counters().contacts_created, 1);
    EXPECT_EQ(contact(out["contact"]["id"])["lastName"], "Person");
}

TEST_F(ContactsTest, UpsertNeedsAPhoneOrEmail) {
    std::string text = refused("upsert_contact", {{"firstName", "Nobody"}});
    EXPECT_TRUE(contains(text, "phone or an email")) << text;
}

// ---- update_contact -------------------------------------------------------------------------

TEST_F(ContactsTest, UpdateSendsOnlyTheGivenFields) {
    const std::string id = a_contact();
    json out = ok("update_contact", {{"contactId", id},
                                     {"firstName", "Zed"},
                                     {"city", "Boston"},
                                     {"phone", "617-555-0000"},
                                     {"dnd", true}});
    auto r = only_request();
    EXPECT_EQ(r.method, "PUT");
    EXPECT_EQ(r.path, "/contacts/" + id);
    EXPECT_EQ(
        body_of(r),
        json({{"firstName", "Zed"}, {"city", "Boston"}, {"dnd", true}, {"phone", "+16175550000"}}));
    EXPECT_EQ(out["contact"]["id"], id);
    EXPECT_EQ(out["contact"]["firstName"], "Zed");
    json c = contact(id);
    EXPECT_EQ(c["city"], "Boston");
    EXPECT_EQ(c["phone"], "+16175550000");
    EXPECT_EQ(c["dnd"], true);
    EXPECT_EQ(sim().counters().contacts_updated, 1);
}

TEST_F(ContactsTest, UpdateCustomFieldByKeyFetchesTheListOnce) {
    const std::string id = a_contact();
    const std::string budget = field_id("contact.budget");
    sim().clear_requests();
    ok("update_contact",
       {{"contactId", id}, {"customFields", {{{"key", "Budget"}, {"value", 15000}}}}});
    EXPECT_EQ(requests().size(), 2u);
    json body = body_of(request("PUT", "/contacts/" + id));
    EXPECT_EQ(body, json({{"customFields", {{{"id", budget}, {"field_value", 15000}}}}}));
    bool seen = false;
    const json fields = contact(id)["customFields"];
    for (const auto& f : fields) seen = seen || (f["id"] == budget && f["value"] == "15000");
    EXPECT_TRUE(seen);
}

TEST_F(ContactsTest, UpdateCustomFieldByIdSendsOneRequest) {
    const std::string budget = field_id("contact.budget");
    sim().clear_requests();
    ok("update_contact",
       {{"contactId", a_contact()}, {"customFields", {{{"id", budget}, {"value", "900"}}}}});
    EXPECT_EQ(only_request().method, "PUT");
}

TEST_F(ContactsTest, UpdateRefusalsAndErrors) {
    std::string text = refused("update_contact", {{"contactId", a_contact()}});
    EXPECT_TRUE(contains(text, "Nothing to update")) << text;
    invalid_arguments("update_contact",
                      {{"contactId", a_contact()}, {"companyName", "X"}});  // not in GHL's PUT
    invalid_arguments("update_contact", {{"firstName", "X"}});
    text = tool_error("update_contact", {{"contactId", a_contact()},
                                         {"customFields", {{{"key", "nope"}, {"value", 1}}}}});
    EXPECT_TRUE(contains(text, "nope") && contains(text, "contact.lead_score")) << text;
    EXPECT_EQ(sim().counters().contacts_updated, 0);
    text =
        tool_error("update_contact", {{"contactId", "nosuchcontact0000001"}, {"firstName", "X"}});
    EXPECT_TRUE(contains(text, "not found")) << text;
}

TEST_F(ContactsTest, UpdateToAnotherContactsPhoneNamesThatContact) {
    const std::string other = seed().phone_only_contact_ids.at(4);
    const std::string phone = contact(other)["phone"];
    std::string text = tool_error(
        "update_contact", {{"contactId", seed().email_only_contact_ids.at(4)}, {"phone", phone}});
    EXPECT_TRUE(contains(text, other)) << text;
    EXPECT_TRUE(contains(text, "different phone")) << text;
    // Resending the contact's own email with the taken phone: the email matches the contact itself,
    // so the refusal still names the one that has the phone.
    const std::string self = own_email_contact(4);
    const std::string email = contact(self)["email"];
    text = tool_error("update_contact", {{"contactId", self}, {"email", email}, {"phone", phone}});
    EXPECT_TRUE(contains(text, other)) << text;
    EXPECT_FALSE(contains(text, self)) << text;
    EXPECT_EQ(sim().counters().contacts_updated, 0);
}

// ---- delete_contact -------------------------------------------------------------------------

TEST_F(ContactsTest, DeleteRemovesTheContact) {
    const std::string id = a_contact();
    json out = ok("delete_contact", {{"contactId", id}});
    auto r = only_request();
    EXPECT_EQ(r.method, "DELETE");
    EXPECT_EQ(r.path, "/contacts/" + id);
    EXPECT_EQ(out, json({{"deleted", true}, {"contactId", id}}));
    EXPECT_EQ(sim().counters().contacts_deleted, 1);
    EXPECT_TRUE(contains(tool_error("get_contact", {{"contactId", id}}), "not found"));
    EXPECT_TRUE(contains(tool_error("delete_contact", {{"contactId", id}}), "not found"));
    EXPECT_EQ(sim().counters().contacts_deleted, 1);
}

// ---- tags -----------------------------------------------------------------------------------

TEST_F(ContactsTest, AddAndRemoveTagsAreIdempotent) {
    const std::string id = a_contact();
    const json before = contact(id)["tags"];
    sim().clear_requests();
    json out = ok("add_contact_tags", {{"contactId", id}, {"tags", {"VIP", "vip", " Roof Lead "}}});
    auto r = only_request();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/contacts/" + id + "/tags");
    EXPECT_EQ(body_of(r), json({{"tags", {"vip", "roof lead"}}}));
    json expected = before;
    for (const char* t : {"vip", "roof lead"})
        if (std::find(expected.begin(), expected.end(), t) == expected.end()) expected.push_back(t);
    EXPECT_EQ(out["tags"], expected);
    EXPECT_EQ(out["contactId"], id);
    EXPECT_EQ(ok("add_contact_tags", {{"contactId", id}, {"tags", {"vip"}}})["tags"], expected);
    EXPECT_EQ(contact(id)["tags"], expected);

    sim().clear_requests();
    out = ok("remove_contact_tags", {{"contactId", id}, {"tags", {"VIP", "never-had-it"}}});
    r = only_request();
    EXPECT_EQ(r.method, "DELETE");
    EXPECT_EQ(r.path, "/contacts/" + id + "/tags");
    EXPECT_EQ(body_of(r), json({{"tags", {"vip", "never-had-it"}}}));
    expected.erase(std::find(expected.begin(), expected.end(), "vip"));
    EXPECT_EQ(out["tags"], expected);
    EXPECT_EQ(ok("remove_contact_tags", {{"contactId", id}, {"tags", {"vip"}}})["tags"], expected);
    EXPECT_EQ(contact(id)["tags"], expected);
}

TEST_F(ContactsTest, TagsRefuseEmptyLists) {
    EXPECT_TRUE(
        contains(refused("add_contact_tags", {{"contactId", a_contact()}, {"tags", json::array()}}),
                 "at least one"));
    EXPECT_TRUE(contains(
        refused("remove_contact_tags", {{"contactId", a_contact()}, {"tags", {"  "}}}), "tags"));
    invalid_arguments("add_contact_tags", {{"contactId", a_contact()}});
    invalid_arguments("add_contact_tags", {{"contactId", a_contact()}, {"tags", {1, 2}}});
    EXPECT_TRUE(contains(
        tool_error("add_contact_tags", {{"contactId", "nosuchcontact0000001"}, {"tags", {"x"}}}),
        "not found"));
}

// ---- notes ----------------------------------------------------------------------------------

TEST_F(ContactsTest, AddNoteThenListItFirst) {
    const std::string id = a_contact();
    json out = ok("add_contact_note",
                  {{"contactId", id}, {"body", "Called: wants a quote for the roof."}});
    auto r = only_request();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/contacts/" + id + "/notes");
    EXPECT_EQ(body_of(r), json({{"body", "Called: wants a quote for the roof."}}));
    const json& note = out["note"];
    EXPECT_EQ(note["body"], "Called: wants a quote for the roof.");
    EXPECT_EQ(note["contactId"], id);
    EXPECT_EQ(note["dateAdded"].get<std::string>().back(), 'Z');
    EXPECT_EQ(sim().counters().notes_created, 1);

    sim().clear_requests();
    json list = ok("list_contact_notes", {{"contactId", id}});
    r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/contacts/" + id + "/notes");
    ASSERT_GE(list["count"], 1);
    EXPECT_EQ(list["notes"][0]["id"], note["id"]);
    EXPECT_EQ(list["notes"][0], note);

    EXPECT_TRUE(
        contains(refused("add_contact_note", {{"contactId", id}, {"body", "   "}}), "body"));
    invalid_arguments("add_contact_note", {{"contactId", id}});
}

TEST_F(ContactsTest, NotesPageWithoutDuplicatesNewestFirst) {
    const std::string id = seed().email_only_contact_ids.at(2);
    for (int i = 0; i < 23; ++i)
        ok("add_contact_note", {{"contactId", id}, {"body", "note " + std::to_string(i)}});
    const int total = ok("list_contact_notes", {{"contactId", id}, {"limit", 100}})["count"];
    ASSERT_GE(total, 23);
    std::vector<json> seen;
    json args = {{"contactId", id}, {"limit", 10}};
    for (int guard = 0; guard < 10; ++guard) {
        json page = ok("list_contact_notes", args);
        EXPECT_EQ(page["total"], total);
        for (const auto& n : page["notes"]) seen.push_back(n);
        if (page["nextCursor"].is_null()) break;
        EXPECT_EQ(page["count"], 10);
        args["cursor"] = page["nextCursor"];
    }
    ASSERT_EQ(static_cast<int>(seen.size()), total);
    std::set<std::string> ids;
    for (const auto& n : seen) ids.insert(n["id"].get<std::string>());
    EXPECT_EQ(ids.size(), seen.size());
    for (std::size_t i = 1; i < seen.size(); ++i)
        EXPECT_GE(seen[i - 1]["dateAdded"].get<std::string>(),
                  seen[i]["dateAdded"].get<std::string>());
    // A cursor of one contact's notes does not page another's.
    std::string text = tool_error(
        "list_contact_notes",
        {{"contactId", a_contact()},
         {"limit", 10},
         {"cursor", ok("list_contact_notes", {{"contactId", id}, {"limit", 10}})["nextCursor"]}});
    EXPECT_TRUE(contains(text, "different filters")) << text;
    invalid_arguments("list_contact_notes", {{"contactId", id}, {"limit", 500}});
}

// ---- tasks ----------------------------------------------------------------------------------

TEST_F(ContactsTest, CreateTaskNormalisesTheDueDateAndListsIt) {
    const std::string id = a_contact();
    const std::string user = seed().user_ids.at(0);
    json out = ok("create_contact_task", {{"contactId", id},
                                          {"title", "Send the quote"},
                                          {"dueDate", "2026-12-01T15:00:00-05:00"},
                                          {"body", "Roof, 2 floors"},
                                          {"assignedTo", user}});
    auto r = only_request();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/contacts/" + id + "/tasks");
    EXPECT_EQ(body_of(r), json({{"title", "Send the quote"},
                                {"dueDate", "2026-12-01T20:00:00Z"},
                                {"completed", false},
                                {"body", "Roof, 2 floors"},
                                {"assignedTo", user}}));
    const json& task = out["task"];
    EXPECT_EQ(task["title"], "Send the quote");
    EXPECT_EQ(task["dueDate"], "2026-12-01T20:00:00Z");
    EXPECT_EQ(task["completed"], false);
    EXPECT_EQ(task["assignedTo"], user);
    EXPECT_EQ(sim().counters().tasks_created, 1);

    json list = ok("list_contact_tasks", {{"contactId", id}, {"limit", 100}});
    bool seen = false;
    for (const auto& t : list["tasks"]) seen = seen || t == task;
    EXPECT_TRUE(seen) << list.dump();
    for (std::size_t i = 1; i < list["tasks"].size(); ++i)
        EXPECT_LE(list["tasks"][i - 1]["dueDate"].get<std::string>(),
                  list["tasks"][i]["dueDate"].get<std::string>());
}

TEST_F(ContactsTest, CreateTaskRefusesBadArguments) {
    std::string text =
        refused("create_contact_task",
                {{"contactId", a_contact()}, {"title", "x"}, {"dueDate", "next friday"}});
    EXPECT_TRUE(contains(text, "dueDate") && contains(text, "next friday")) << text;
    invalid_arguments("create_contact_task",
                      {{"contactId", a_contact()}, {"dueDate", "2026-12-01"}});
    EXPECT_EQ(sim().counters().tasks_created, 0);
}

// ---- appointments ---------------------------------------------------------------------------

TEST_F(ContactsTest, AppointmentsAreShapedWithCalendarLocalTimes) {
    const std::string event = seed().upcoming_appointment_ids.at(0);
    const json appt = raw("calendars.appointments.get", {{"eventId", event}});
    ASSERT_TRUE(appt.contains("event")) << appt.dump();
    const json& a = appt["event"];
    const std::string contact_id = a["contactId"];
    sim().clear_requests();
    json out = ok("list_contact_appointments", {{"contactId", contact_id}});
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/contacts/" + contact_id + "/appointments");
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    json hit;
    for (const auto& x : out["appointments"])
        if (x["id"] == event) hit = x;
    ASSERT_TRUE(hit.is_object()) << out.dump();
    EXPECT_EQ(hit["calendarId"], a["calendarId"]);
    EXPECT_EQ(hit["status"], a["appointmentStatus"]);
    // "2026-11-24T09:00:00-05:00" from the calendar API is "2026-11-24T09:00:00" here.
    EXPECT_EQ(hit["startTime"], a["startTime"].get<std::string>().substr(0, 19));
    EXPECT_EQ(hit["endTime"], a["endTime"].get<std::string>().substr(0, 19));
    std::set<std::string> keys;
    for (const auto& [k, v] : hit.items()) keys.insert(k);
    EXPECT_EQ(keys, (std::set<std::string>{"id", "calendarId", "title", "status", "startTime",
                                           "endTime"}));
    EXPECT_EQ(out["total"], out["count"]);
    EXPECT_TRUE(
        contains(tool_error("list_contact_appointments", {{"contactId", "nosuchcontact0000001"}}),
                 "not found"));
}

}  // namespace
}  // namespace tools_test
