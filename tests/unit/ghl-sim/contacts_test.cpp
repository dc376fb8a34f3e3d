// Contacts: CRUD and GHL's quirks (201 on create, `succeded`, duplicates), 422 shapes, tags,
// notes, tasks, enrolment, and every pagination style walking the whole collection.
#include "sim_support.hpp"

#include <algorithm>
#include <set>

namespace simtest {
namespace {

class Contacts : public SimTest {
protected:
    Json create(const Json& extra) {
        Json body = {{"locationId", loc()}};
        body.update(extra);
        const Result r = api->post("/contacts/", body);
        EXPECT_EQ(r.status, 201) << r.body.dump();
        return r.body["contact"];
    }

    bool has_message(const Result& r, const std::string& text) {
        if (!r.body["message"].is_array()) return false;
        for (const Json& m : r.body["message"]) {
            if (m.get<std::string>().find(text) != std::string::npos) return true;
        }
        return false;
    }
};

TEST_F(Contacts, CreateIs201AndGetReturnsIt) {
    const Json c = create({{"firstName", "Ada"},
                           {"lastName", "Lovelace"},
                           {"email", "ada@analytical.example"},
                           {"phone", "+1 (212) 555-0242"},
                           {"tags", {"VIP", " vip ", "Lead"}},
                           {"companyName", "Analytical Engines"}});
    ASSERT_TRUE(c.contains("id"));
    EXPECT_EQ(c["phone"], "+12125550242");  // normalized to E.164
    EXPECT_EQ(c["tags"], Json({"vip", "lead"}));
    EXPECT_EQ(c["locationId"], loc());
    const Result r = api->get("/contacts/" + c["id"].get<std::string>());
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["contact"]["email"], "ada@analytical.example");
    EXPECT_EQ(r.body["contact"]["companyName"], "Analytical Engines");
    EXPECT_EQ(sim->counters().contacts_created, 1);
}

TEST_F(Contacts, MissingRequiredFieldIs422WithMessageArray) {
    const Result r = api->post("/contacts/", {{"firstName", "NoLocation"}});
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(r.body["statusCode"], 422);
    EXPECT_EQ(r.body["error"], "Unprocessable Entity");
    ASSERT_TRUE(r.body["message"].is_array());
    EXPECT_TRUE(has_message(r, "locationId should not be empty"));
    EXPECT_TRUE(r.body.contains("traceId"));
}

TEST_F(Contacts, UnknownPropertiesAndBadTypesAre422) {
    Result r = api->post("/contacts/", {{"locationId", loc()}, {"nickname", "x"}, {"dnd", "yes"},
                                        {"tags", "vip"}, {"email", "not-an-email"}});
    ASSERT_EQ(r.status, 422);
    EXPECT_TRUE(has_message(r, "property nickname should not exist"));
    EXPECT_TRUE(has_message(r, "dnd must be a boolean value"));
    EXPECT_TRUE(has_message(r, "tags must be an array"));
    // Update's DTO has no locationId, gender or companyName.
    const std::string id = sim->seed_facts().phone_only_contact_ids.front();
    r = api->put("/contacts/" + id, {{"locationId", loc()}, {"firstName", "X"}});
    ASSERT_EQ(r.status, 422);
    EXPECT_TRUE(has_message(r, "property locationId should not exist"));
    r = api->post("/contacts/", {{"locationId", loc()}, {"email", "not-an-email"}});
    ASSERT_EQ(r.status, 422);
    EXPECT_TRUE(has_message(r, "email must be an email"));
    EXPECT_EQ(sim->counters().contacts_created, 0);
}

TEST_F(Contacts, UpdateAnswersSuccededAndReplacesTags) {
    const Json c = create({{"firstName", "Bo"}, {"tags", {"a", "b"}}});
    const std::string id = c["id"];
    const Result r = api->put("/contacts/" + id, {{"lastName", "Diddley"}, {"tags", {"c"}}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["succeded"], true);  // GHL's spelling
    EXPECT_EQ(r.body["contact"]["lastName"], "Diddley");
    EXPECT_EQ(r.body["contact"]["firstName"], "Bo");
    EXPECT_EQ(r.body["contact"]["tags"], Json({"c"}));
    EXPECT_EQ(sim->counters().contacts_updated, 1);
}

TEST_F(Contacts, CustomFieldsByIdOrKeyReadBackAsIdValue) {
    const Result fields = api->get("/locations/" + loc() + "/customFields?model=contact");
    ASSERT_EQ(fields.status, 200);
    std::string lead_score_id;
    for (const Json& f : fields.body["customFields"]) {
        if (f["fieldKey"] == "contact.lead_score") lead_score_id = f["id"];
    }
    ASSERT_FALSE(lead_score_id.empty());
    const Json c = create({{"firstName", "Cu"},
                           {"customFields", {{{"key", "lead_score"}, {"field_value", 88}}}}});
    ASSERT_EQ(c["customFields"].size(), 1u);
    EXPECT_EQ(c["customFields"][0]["id"], lead_score_id);
    EXPECT_EQ(c["customFields"][0]["value"], "88");  // CustomFieldSchema.value is a string
    const Result r = api->put("/contacts/" + c["id"].get<std::string>(),
                              {{"customFields", {{{"id", lead_score_id}, {"field_value", 91}}}}});
    EXPECT_EQ(r.body["contact"]["customFields"][0]["value"], "91");
}

TEST_F(Contacts, DuplicateEmailOrPhoneIsRefusedLikeGhl) {
    const Json first = create({{"email", "Dup@Example.com"}, {"phone", "2125550277"}});
    Result r = api->post("/contacts/", {{"locationId", loc()}, {"email", "dup@example.com"}});
    ASSERT_EQ(r.status, 400);
    EXPECT_EQ(r.body["message"], "This location does not allow duplicated contacts.");
    EXPECT_EQ(r.body["meta"]["contactId"], first["id"]);
    EXPECT_EQ(r.body["meta"]["matchingField"], "email");
    r = api->post("/contacts/", {{"locationId", loc()}, {"phone", "+12125550277"}});
    ASSERT_EQ(r.status, 400);
    EXPECT_EQ(r.body["meta"]["matchingField"], "phone");
    EXPECT_EQ(sim->counters().contacts_created, 1);
}

TEST_F(Contacts, UpsertUpdatesTheDuplicateOrCreates) {
    const Json first = create({{"email", "up@sert.example"}, {"firstName", "Old"}});
    Result r = api->post("/contacts/upsert",
                         {{"locationId", loc()}, {"email", "UP@sert.example"}, {"firstName", "New"}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["new"], false);
    EXPECT_EQ(r.body["contact"]["id"], first["id"]);
    EXPECT_EQ(r.body["contact"]["firstName"], "New");
    EXPECT_TRUE(r.body.contains("traceId"));
    r = api->post("/contacts/upsert", {{"locationId", loc()}, {"phone", "+14155550211"}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["new"], true);
    const ghlsim::Counters c = sim->counters();
    EXPECT_EQ(c.contacts_created, 2);
    EXPECT_EQ(c.contacts_updated, 1);
}

TEST_F(Contacts, DuplicateSearchNeedsEncodedPlusAndAt) {
    const Json c = create({{"email", "first+tag@mail.example"}, {"phone", "+14155550223"}});
    Result r = api->get("/contacts/search/duplicate?locationId=" + loc() +
                        "&email=" + enc("first+tag@mail.example"));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["contact"]["id"], c["id"]);
    r = api->get("/contacts/search/duplicate?locationId=" + loc() + "&number=" + enc("+14155550223"));
    EXPECT_EQ(r.body["contact"]["id"], c["id"]);
    // An unencoded "+" is a space in a query string, as on live GHL.
    r = api->get("/contacts/search/duplicate?locationId=" + loc() + "&email=first+tag@mail.example");
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.body["contact"].is_null());
    r = api->get("/contacts/search/duplicate?email=x%40y.z");
    EXPECT_EQ(r.status, 400);  // the spec declares no 422 here
    EXPECT_TRUE(r.body["message"].is_array());
}

TEST_F(Contacts, SharedEmailFindsTheOldestContact) {
    const auto& shared = sim->seed_facts().shared_email_contact_ids;
    ASSERT_GE(shared.size(), 2u);
    const Result older = api->get("/contacts/" + shared[0]);
    const Result newer = api->get("/contacts/" + shared[1]);
    ASSERT_EQ(older.body["contact"]["email"], newer.body["contact"]["email"]);
    const Result r = api->get("/contacts/search/duplicate?locationId=" + loc() + "&email=" +
                              enc(older.body["contact"]["email"].get<std::string>()));
    EXPECT_EQ(r.body["contact"]["id"], shared[0]);
}

TEST_F(Contacts, DeleteThenUnknownIs400) {
    const std::string id = create({{"firstName", "Gone"}})["id"];
    Result r = api->del("/contacts/" + id);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["succeded"], true);
    r = api->get("/contacts/" + id);
    ASSERT_EQ(r.status, 400);
    EXPECT_EQ(r.body["message"], "Contact not found");
    EXPECT_EQ(api->del("/contacts/" + id).status, 400);
    EXPECT_EQ(sim->counters().contacts_deleted, 1);
}

TEST_F(Contacts, TagsAdd201AndRemoveWithDeleteBody) {
    const std::string id = create({{"firstName", "Tag"}, {"tags", {"one"}}})["id"];
    Result r = api->post("/contacts/" + id + "/tags", {{"tags", {"Two", "three"}}});
    ASSERT_EQ(r.status, 201);
    EXPECT_EQ(r.body["tags"], Json({"one", "two", "three"}));
    r = api->del("/contacts/" + id + "/tags", {{"tags", {"one", "three"}}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["tags"], Json({"two"}));
    r = api->post("/contacts/" + id + "/tags", Json::object());
    EXPECT_EQ(r.status, 422);
    const Result tags = api->get("/locations/" + loc() + "/tags");
    bool found = false;
    for (const Json& t : tags.body["tags"]) found = found || t["name"] == "three";
    EXPECT_TRUE(found);
}

TEST_F(Contacts, NotesLifecycle) {
    const std::string id = create({{"firstName", "Note"}})["id"];
    Result r = api->post("/contacts/" + id + "/notes", {{"body", "Called back"}, {"pinned", true}});
    ASSERT_EQ(r.status, 201);
    const std::string note = r.body["note"]["id"];
    EXPECT_EQ(r.body["note"]["contactId"], id);
    EXPECT_EQ(api->post("/contacts/" + id + "/notes", {{"title", "no body"}}).status, 422);
    r = api->get("/contacts/" + id + "/notes");
    ASSERT_EQ(r.body["notes"].size(), 1u);
    r = api->put("/contacts/" + id + "/notes/" + note, {{"body", "Called twice"}});
    EXPECT_EQ(r.body["note"]["body"], "Called twice");
    EXPECT_EQ(api->get("/contacts/" + id + "/notes/" + note).body["note"]["pinned"], true);
    r = api->del("/contacts/" + id + "/notes/" + note);
    EXPECT_EQ(r.body["succeded"], true);
    EXPECT_EQ(api->get("/contacts/" + id + "/notes/" + note).status, 400);
    EXPECT_EQ(sim->counters().notes_created, 1);
}

TEST_F(Contacts, TasksLifecycle) {
    const std::string id = create({{"firstName", "Task"}})["id"];
    Result r = api->post("/contacts/" + id + "/tasks", {{"title", "Call"}, {"completed", false}});
    ASSERT_EQ(r.status, 422);
    EXPECT_TRUE(has_message(r, "dueDate should not be empty"));
    r = api->post("/contacts/" + id + "/tasks",
                  {{"title", "Call"}, {"dueDate", "2025-06-12T10:00:00-04:00"}, {"completed", false}});
    ASSERT_EQ(r.status, 201);
    EXPECT_EQ(r.body["task"]["dueDate"], "2025-06-12T14:00:00.000Z");
    const std::string task = r.body["task"]["id"];
    r = api->put("/contacts/" + id + "/tasks/" + task + "/completed", {{"completed", true}});
    EXPECT_EQ(r.body["task"]["completed"], true);
    r = api->put("/contacts/" + id + "/tasks/" + task, {{"dueDate", "tomorrow"}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(api->get("/contacts/" + id + "/tasks").body["tasks"].size(), 1u);
    EXPECT_EQ(api->del("/contacts/" + id + "/tasks/" + task).body["succeded"], true);
    EXPECT_EQ(sim->counters().tasks_created, 1);
}

TEST_F(Contacts, WorkflowAndCampaignEnrolment) {
    const auto& facts = sim->seed_facts();
    const std::string id = facts.phone_only_contact_ids.front();
    const std::string wf = facts.workflow_ids.front();
    Result r = api->post("/contacts/" + id + "/workflow/" + wf,
                         {{"eventStartTime", "2025-06-12T09:00:00-04:00"}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["succeded"], true);
    EXPECT_EQ(api->post("/contacts/" + id + "/workflow/nope", Json::object()).status, 400);
    EXPECT_EQ(api->del("/contacts/" + id + "/workflow/" + wf, Json::object()).status, 200);
    r = api->post("/contacts/" + id + "/campaigns/" + facts.campaign_ids.front(), Json::object());
    ASSERT_EQ(r.status, 201);
    EXPECT_EQ(r.body["succeded"], true);
    EXPECT_EQ(api->del("/contacts/" + id + "/campaigns/removeAll").status, 200);
    const ghlsim::Counters c = sim->counters();
    EXPECT_EQ(c.workflow_enrolments, 1);
    EXPECT_EQ(c.campaign_enrolments, 1);
}

TEST_F(Contacts, SearchPagesWalkEveryContactOnce) {
    std::set<std::string> ids;
    int total = -1;
    for (int page = 1; page < 100; ++page) {
        const Result r = api->post("/contacts/search",
                                   {{"locationId", loc()}, {"page", page}, {"pageLimit", 37}});
        ASSERT_EQ(r.status, 200) << r.body.dump();
        total = r.body["total"];
        if (r.body["contacts"].empty()) break;
        for (const Json& c : r.body["contacts"]) {
            EXPECT_TRUE(ids.insert(c["id"].get<std::string>()).second) << "duplicate " << c["id"];
        }
    }
    EXPECT_EQ(total, 250);
    EXPECT_EQ(ids.size(), 250u);
}

TEST_F(Contacts, SearchAfterWalksEveryContactOnceInOrder) {
    for (const Json& sort : {Json::array(), Json::array({{{"field", "firstNameLowerCase"},
                                                          {"direction", "asc"}}})}) {
        std::set<std::string> ids;
        Json cursor;
        std::string previous_name;
        for (int i = 0; i < 100; ++i) {
            Json body = {{"locationId", loc()}, {"pageLimit", 40}};
            if (!sort.empty()) body["sort"] = sort;
            if (!cursor.is_null()) body["searchAfter"] = cursor;
            const Result r = api->post("/contacts/search", body);
            ASSERT_EQ(r.status, 200) << r.body.dump();
            const Json& page = r.body["contacts"];
            if (page.empty()) break;
            for (const Json& c : page) {
                EXPECT_TRUE(ids.insert(c["id"].get<std::string>()).second);
                if (!sort.empty()) {
                    const std::string name = c.value("firstNameLowerCase", "");
                    EXPECT_LE(previous_name, name);
                    previous_name = name;
                }
            }
            cursor = page.back()["searchAfter"];
        }
        EXPECT_EQ(ids.size(), 250u) << sort.dump();
    }
}

TEST_F(Contacts, SearchFiltersQueryAndValidation) {
    const auto& facts = sim->seed_facts();
    Result r = api->post("/contacts/search",
                         {{"locationId", loc()},
                          {"pageLimit", 500},
                          {"filters", {{{"field", "email"}, {"operator", "not_exists"}}}}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    std::set<std::string> phone_only;
    for (const Json& c : r.body["contacts"]) phone_only.insert(c["id"]);
    EXPECT_EQ(phone_only, std::set<std::string>(facts.phone_only_contact_ids.begin(),
                                                facts.phone_only_contact_ids.end()));
    // OR group, then AND with a range on dateAdded.
    r = api->post("/contacts/search",
                  {{"locationId", loc()},
                   {"pageLimit", 500},
                   {"filters",
                    {{{"group", "OR"},
                      {"filters",
                       {{{"field", "tags"}, {"operator", "eq"}, {"value", "vip"}},
                        {{"field", "tags"}, {"operator", "eq"}, {"value", "hot-lead"}}}}},
                     {{"field", "dateAdded"},
                      {"operator", "range"},
                      {"value", {{"gte", "2025-01-01T00:00:00Z"}}}}}}});
    ASSERT_EQ(r.status, 200);
    for (const Json& c : r.body["contacts"]) {
        const auto& tags = c["tags"];
        EXPECT_TRUE(std::find(tags.begin(), tags.end(), "vip") != tags.end() ||
                    std::find(tags.begin(), tags.end(), "hot-lead") != tags.end());
        EXPECT_GE(c["dateAdded"].get<std::string>(), "2025-01-01");
    }
    const Json any = api->post("/contacts/search", {{"locationId", loc()}, {"pageLimit", 1}})
                         .body["contacts"][0];
    r = api->post("/contacts/search", {{"locationId", loc()},
                                       {"pageLimit", 10},
                                       {"query", any["lastName"]}});
    bool found = false;
    for (const Json& c : r.body["contacts"]) found = found || c["id"] == any["id"];
    EXPECT_TRUE(found);
    // Validation: pageLimit is required and at most 500; page and searchAfter exclude each other.
    r = api->post("/contacts/search", {{"locationId", loc()}});
    ASSERT_EQ(r.status, 400);
    EXPECT_TRUE(r.body["message"].is_array());
    EXPECT_EQ(api->post("/contacts/search", {{"locationId", loc()}, {"pageLimit", 501}}).status, 400);
    EXPECT_EQ(api->post("/contacts/search", {{"locationId", loc()},
                                             {"pageLimit", 5},
                                             {"page", 2},
                                             {"searchAfter", {1, "x"}}})
                  .status,
              400);
    EXPECT_EQ(api->post("/contacts/search",
                        {{"locationId", loc()},
                         {"pageLimit", 5},
                         {"filters", {{{"field", "shoeSize"}, {"operator", "eq"}, {"value", 9}}}}})
                  .status,
              400);
}

TEST_F(Contacts, DeprecatedListWalksWithStartAfterCursor) {
    std::set<std::string> ids;
    std::string query = "/contacts/?locationId=" + loc() + "&limit=60";
    std::string next = query;
    for (int i = 0; i < 20 && !next.empty(); ++i) {
        const Result r = api->get(next);
        ASSERT_EQ(r.status, 200) << r.body.dump();
        EXPECT_EQ(r.body["count"], 250);
        for (const Json& c : r.body["contacts"]) EXPECT_TRUE(ids.insert(c["id"].get<std::string>()).second);
        const Json& meta = r.body["meta"];
        next = meta["nextPage"].is_null()
                   ? ""
                   : query + "&startAfter=" + std::to_string(meta["startAfter"].get<long long>()) +
                         "&startAfterId=" + meta["startAfterId"].get<std::string>();
    }
    EXPECT_EQ(ids.size(), 250u);
    EXPECT_EQ(api->get("/contacts/?locationId=" + loc() + "&limit=101").status, 422);
}

}  // namespace
}  // namespace simtest
