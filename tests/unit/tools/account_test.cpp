// location and payments toolsets against the simulator: the exact GHL requests, shaped output,
// local paging of the unpaged reference lists, limit/offset paging of orders and transactions.
#include "sandbox_fixture.hpp"

#include <map>
#include <set>

namespace tools_test {
namespace {

class AccountTest : public SandboxTest {
protected:
    /// Walks a listing tool to its end; returns every item and checks no id repeats.
    json walk(const std::string& tool, json args, const std::string& key, int* pages = nullptr) {
        json all = json::array();
        std::set<std::string> ids;
        int n = 0;
        for (; n < 50; ++n) {
            json out = ok(tool, args);
            for (const auto& item : out[key]) {
                EXPECT_TRUE(ids.insert(item["id"].get<std::string>()).second) << "duplicate " << item["id"];
                all.push_back(item);
            }
            if (out["nextCursor"].is_null()) break;
            args["cursor"] = out["nextCursor"];
        }
        if (pages) *pages = n + 1;
        return all;
    }
};

// ---- location -------------------------------------------------------------------------------

TEST_F(AccountTest, GetLocationShapesTheSubAccount) {
    json out = ok("get_location", json::object());
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/locations/" + seed().location_id);
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    const json& l = out["location"];
    EXPECT_EQ(l["id"], seed().location_id);
    EXPECT_EQ(l["companyId"], seed().company_id);
    EXPECT_EQ(l["timezone"], "America/New_York");
    EXPECT_EQ(l["website"], "https://summithome.example");
    for (const char* key : {"name", "email", "phone", "address", "city", "state", "postalCode", "country"})
        EXPECT_TRUE(l.contains(key)) << key;
    for (const char* raw : {"settings", "social", "domain", "business"})
        EXPECT_FALSE(l.contains(raw)) << raw << " (the seeded business profile repeats the location)";
}

TEST_F(AccountTest, GetLocationForAnotherLocationIsRefusedBeforeAnyRequest) {
    // A Private Integration Token belongs to one sub-account: another one is refused here, with
    // the one we have, instead of sending the token where GHL answers 403.
    std::string text = tool_error("get_location", {{"locationId", "someOtherLocation001"}});
    EXPECT_TRUE(contains(text, "[auth.no_credential]")) << text;
    EXPECT_TRUE(contains(text, "someOtherLocation001")) << text;
    EXPECT_TRUE(contains(text, seed().location_id)) << text;
    EXPECT_TRUE(requests().empty());
}

TEST_F(AccountTest, ListLocationsShowsThePrivateIntegrationTokensSubAccount) {
    json out = ok("list_locations", json::object());
    EXPECT_TRUE(requests().empty()) << "a PIT's sub-account is known without asking GHL";
    ASSERT_EQ(out["total"], 1);
    EXPECT_EQ(out["locations"][0]["id"], seed().location_id);
    EXPECT_EQ(out["locations"][0]["access"], "private_integration_token");
    EXPECT_EQ(out["locations"][0]["status"], "ready");
    EXPECT_EQ(out["defaultLocationId"], seed().location_id);
    EXPECT_FALSE(out.contains("agencies"));
}

TEST_F(AccountTest, ListCustomFieldsAllAndByModel) {
    json out = ok("list_custom_fields", json::object());
    auto r = only_request();
    EXPECT_EQ(r.path, "/locations/" + seed().location_id + "/customFields");
    EXPECT_EQ(query_of(r)["model"], "all");
    EXPECT_EQ(out["count"], 7);
    EXPECT_EQ(out["total"], 7);
    EXPECT_TRUE(out["nextCursor"].is_null());
    std::map<std::string, json> by_key;
    for (const auto& f : out["customFields"]) by_key[f["fieldKey"]] = f;
    const json& preferred = by_key.at("contact.preferred_contact_method");
    EXPECT_EQ(preferred["name"], "Preferred Contact Method");
    EXPECT_EQ(preferred["dataType"], "SINGLE_OPTIONS");
    EXPECT_EQ(preferred["model"], "contact");
    EXPECT_EQ(preferred["options"], json({"Phone", "Email", "SMS", "WhatsApp"}));
    EXPECT_FALSE(by_key.at("contact.lead_score").contains("options")) << "no empty option lists";
    EXPECT_FALSE(preferred.contains("picklistImageOptions"));

    sim().clear_requests();
    out = ok("list_custom_fields", {{"model", "opportunity"}});
    EXPECT_EQ(query_of(only_request())["model"], "opportunity");
    ASSERT_EQ(out["count"], 2);
    for (const auto& f : out["customFields"]) EXPECT_EQ(f["model"], "opportunity");
    invalid_arguments("list_custom_fields", {{"model", "company"}});
}

TEST_F(AccountTest, ListCustomFieldsPagesLocallyWithACursorBoundToTheModel) {
    int pages = 0;
    json all = walk("list_custom_fields", {{"limit", 3}}, "customFields", &pages);
    EXPECT_EQ(all.size(), 7u);
    EXPECT_EQ(pages, 3);
    json first = ok("list_custom_fields", {{"limit", 3}});
    sim().clear_requests();
    std::string text = tool_error("list_custom_fields", {{"limit", 3}, {"model", "contact"}, {"cursor", first["nextCursor"]}});
    EXPECT_TRUE(contains(text, "different filters")) << text;
    EXPECT_TRUE(requests().empty()) << "a bad cursor is refused before GHL is asked";
    text = tool_error("list_tags", {{"cursor", first["nextCursor"]}});
    EXPECT_TRUE(contains(text, "another tool")) << text;  // sealed for list_custom_fields
    EXPECT_TRUE(requests().empty());
}

TEST_F(AccountTest, ListUsersGivesTheTeamWithRoles) {
    json out = ok("list_users", json::object());
    auto r = only_request();
    EXPECT_EQ(r.path, "/users/");
    EXPECT_EQ(query_of(r)["locationId"], seed().location_id);
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    ASSERT_EQ(out["count"], seed().user_ids.size());
    std::set<std::string> ids;
    for (const auto& u : out["users"]) {
        ids.insert(u["id"]);
        EXPECT_TRUE(u.contains("name") && u.contains("email") && u.contains("role")) << u.dump();
        EXPECT_FALSE(u.contains("permissions"));
    }
    EXPECT_EQ(ids, std::set<std::string>(seed().user_ids.begin(), seed().user_ids.end()));
    const json& avery = *std::find_if(out["users"].begin(), out["users"].end(),
                                      [](const json& u) { return u["name"] == "Avery Brooks"; });
    EXPECT_EQ(avery["role"], "admin");
    EXPECT_EQ(avery["email"], "avery.brooks@summithome.example");
    EXPECT_EQ(walk("list_users", {{"limit", 2}}, "users").size(), 5u);
}

TEST_F(AccountTest, ListTagsAllAndFiltered) {
    json out = ok("list_tags", json::object());
    auto r = only_request();
    EXPECT_EQ(r.path, "/locations/" + seed().location_id + "/tags");
    EXPECT_EQ(out["count"], 12);
    for (const auto& t : out["tags"]) EXPECT_EQ(t.size(), 2u) << t.dump();
    out = ok("list_tags", {{"query", "-AD"}});
    std::set<std::string> names;
    for (const auto& t : out["tags"]) names.insert(t["name"]);
    EXPECT_EQ(names, std::set<std::string>({"facebook-ad", "google-ad"}));
    EXPECT_EQ(out["total"], 2);
    EXPECT_EQ(walk("list_tags", {{"limit", 5}}, "tags").size(), 12u);
}

// ---- payments -------------------------------------------------------------------------------

TEST_F(AccountTest, ListOrdersSendsAltIdAndPagesByOffset) {
    json first = ok("list_orders", {{"limit", 7}});
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/payments/orders");
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    auto p = query_of(r);
    EXPECT_EQ(p["altId"], seed().location_id);
    EXPECT_EQ(p["limit"], "7");
    EXPECT_EQ(p.count("offset"), 0u);
    EXPECT_EQ(first["total"], 40);
    sim().clear_requests();

    int pages = 0;
    json all = walk("list_orders", {{"limit", 7}}, "orders", &pages);
    EXPECT_EQ(all.size(), 40u);
    EXPECT_EQ(pages, 6);
    auto reqs = requests();
    ASSERT_EQ(reqs.size(), 6u);
    for (std::size_t i = 0; i < reqs.size(); ++i)
        EXPECT_EQ(query_of(reqs[i])["offset"], i == 0 ? "" : std::to_string(i * 7)) << i;
    for (const auto& o : all) {
        EXPECT_EQ(o["currency"], "USD");
        EXPECT_TRUE(o["amount"].is_number());
        EXPECT_TRUE(o.contains("status") && o.contains("paymentStatus") && o.contains("contactId") &&
                    o.contains("contactName") && o.contains("source"))
            << o.dump();
        EXPECT_TRUE(is_iso_utc(o["createdAt"])) << o.dump();
        EXPECT_FALSE(o.contains("_id") || o.contains("altId") || o.contains("liveMode")) << o.dump();
    }
}

TEST_F(AccountTest, ListOrdersFilters) {
    json all = walk("list_orders", {{"limit", 100}}, "orders");
    std::size_t paid = 0;
    for (const auto& o : all) paid += o["paymentStatus"] == "paid";
    sim().clear_requests();
    json out = ok("list_orders", {{"paymentStatus", "paid"}, {"limit", 100}});
    EXPECT_EQ(query_of(only_request())["paymentStatus"], "paid");
    EXPECT_EQ(out["count"], paid);
    for (const auto& o : out["orders"]) EXPECT_EQ(o["paymentStatus"], "paid");

    const json sample = all.at(3);
    const std::string day = sample["createdAt"].get<std::string>().substr(0, 10);
    sim().clear_requests();
    out = ok("list_orders", {{"startDate", day}, {"endDate", day}, {"contactId", sample["contactId"]}});
    auto p = query_of(only_request());
    EXPECT_EQ(p["startAt"], day);
    EXPECT_EQ(p["endAt"], day);
    EXPECT_EQ(p["contactId"], sample["contactId"]);
    ASSERT_GE(out["count"], 1);
    EXPECT_EQ(out["orders"][0]["id"], sample["id"]);

    sim().clear_requests();
    std::string text = tool_error("list_orders", {{"startDate", "2026-03-02"}, {"endDate", "2026-03-01"}});
    EXPECT_TRUE(contains(text, "startDate is after endDate")) << text;
    EXPECT_TRUE(requests().empty());
    invalid_arguments("list_orders", {{"startDate", "2026-13-02"}});
    invalid_arguments("list_orders", {{"endDate", "31/03/2026"}});
    invalid_arguments("list_orders", {{"paymentStatus", "overdue"}});
    invalid_arguments("list_orders", {{"limit", 101}});
}

TEST_F(AccountTest, ListTransactionsSendsAltTypeAndLinksOrders) {
    json first = ok("list_transactions", {{"limit", 10}});
    auto r = only_request();
    EXPECT_EQ(r.path, "/payments/transactions");
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    auto p = query_of(r);
    EXPECT_EQ(p["altId"], seed().location_id);
    EXPECT_EQ(p["altType"], "location");
    EXPECT_EQ(p["limit"], "10");

    json orders = walk("list_orders", {{"limit", 100}}, "orders");
    std::map<std::string, json> order_by_id;
    std::size_t took_money = 0;
    for (const auto& o : orders) {
        order_by_id[o["id"]] = o;
        took_money += o["paymentStatus"] != "unpaid";
    }
    json all = walk("list_transactions", {{"limit", 9}}, "transactions");
    EXPECT_EQ(all.size(), took_money) << "one transaction per order that took money";
    EXPECT_EQ(first["total"], all.size());
    for (const auto& t : all) {
        ASSERT_TRUE(t.contains("orderId")) << t.dump();
        const json& order = order_by_id.at(t["orderId"]);
        EXPECT_EQ(t["contactId"], order["contactId"]);
        EXPECT_EQ(t["currency"], "USD");
        EXPECT_TRUE(is_iso_utc(t["createdAt"]));
        if (order["paymentStatus"] == "refunded") {
            EXPECT_EQ(t["status"], "refunded");
            EXPECT_EQ(t["amountRefunded"], t["amount"]);
        } else {
            EXPECT_FALSE(t.contains("amountRefunded")) << t.dump();
        }
        EXPECT_FALSE(t.contains("_id") || t.contains("chargeId") || t.contains("entityId")) << t.dump();
    }

    const std::string order_id = all.at(0)["orderId"];
    sim().clear_requests();
    json out = ok("list_transactions", {{"orderId", order_id}});
    EXPECT_EQ(query_of(only_request())["entityId"], order_id);
    ASSERT_EQ(out["count"], 1);
    EXPECT_EQ(out["transactions"][0]["orderId"], order_id);
}

TEST_F(AccountTest, PaymentCursorsAreBoundToTheirFilters) {
    json first = ok("list_transactions", {{"limit", 5}});
    ASSERT_TRUE(first["nextCursor"].is_string());
    sim().clear_requests();
    std::string text = tool_error("list_transactions", {{"limit", 5}, {"contactId", "c1"}, {"cursor", first["nextCursor"]}});
    EXPECT_TRUE(contains(text, "different filters")) << text;
    text = tool_error("list_orders", {{"cursor", first["nextCursor"]}});
    EXPECT_TRUE(contains(text, "another tool")) << text;  // sealed for list_transactions
    EXPECT_TRUE(requests().empty());
}

}  // namespace
}  // namespace tools_test
