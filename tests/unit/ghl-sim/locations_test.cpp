// Several sub-accounts of one agency (Options::extra_locations): ids, separate deterministic data,
// and the default sub-account left exactly as it is without them.
#include "sim_support.hpp"

#include <set>
#include <stdexcept>

namespace simtest {
namespace {

ghlsim::Options with_extra(int extra, std::uint64_t seed = 7) {
    ghlsim::Options o = options(seed);
    o.extra_locations = extra;
    return o;
}

TEST(Locations, DefaultSimulatorHasOneSubAccountOfTheAgency) {
    const ghlsim::Simulator sim(options());
    EXPECT_EQ(sim.location_ids(),
              std::vector<std::string>{std::string(ghlsim::kDefaultLocationId)});
    EXPECT_EQ(sim.company_id(), ghlsim::kCompanyId);
    EXPECT_EQ(&sim.seed_facts(sim.location_id()), &sim.seed_facts());
    EXPECT_THROW((void)sim.seed_facts(ghlsim::extra_location_id(1)), std::out_of_range);
}

TEST(Locations, ExtraIdsAreTwentyAlphanumericCharactersAndDistinct) {
    std::set<std::string> seen = {std::string(ghlsim::kDefaultLocationId)};
    for (int n = 1; n <= 99; ++n) {
        const std::string id = ghlsim::extra_location_id(n);
        ASSERT_EQ(id.size(), 20u) << id;
        for (char c : id) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
        EXPECT_TRUE(seen.insert(id).second) << id;
    }
    EXPECT_EQ(ghlsim::extra_location_id(1), "sbxL0c4t1on002Vt9RkP");
    EXPECT_THROW(ghlsim::extra_location_id(0), std::out_of_range);
}

TEST(Locations, BadOptionsAreRefused) {
    EXPECT_THROW(ghlsim::Simulator{with_extra(-1)}, std::invalid_argument);
    EXPECT_THROW(ghlsim::Simulator{with_extra(100)}, std::invalid_argument);
    ghlsim::Options clash = with_extra(2);
    clash.location_id = ghlsim::extra_location_id(2);
    EXPECT_THROW(ghlsim::Simulator{clash}, std::invalid_argument);
}

TEST(Locations, EachSubAccountHasItsOwnDeterministicData) {
    const ghlsim::Simulator a(with_extra(2));
    const ghlsim::Simulator b(with_extra(2));
    const std::vector<std::string> ids = {std::string(ghlsim::kDefaultLocationId),
                                          ghlsim::extra_location_id(1),
                                          ghlsim::extra_location_id(2)};
    ASSERT_EQ(a.location_ids(), ids);
    for (const std::string& id : ids) {
        EXPECT_EQ(a.seed_facts(id).location_id, id);
        EXPECT_EQ(a.seed_facts(id).company_id, ghlsim::kCompanyId);
        // Same options, same data.
        EXPECT_EQ(a.seed_facts(id).user_ids, b.seed_facts(id).user_ids);
        EXPECT_EQ(a.seed_facts(id).phone_only_contact_ids, b.seed_facts(id).phone_only_contact_ids);
    }
    // Different sub-accounts, different data.
    EXPECT_NE(a.seed_facts(ids[0]).user_ids, a.seed_facts(ids[1]).user_ids);
    EXPECT_NE(a.seed_facts(ids[1]).user_ids, a.seed_facts(ids[2]).user_ids);
    EXPECT_NE(a.seed_facts(ids[1]).phone_only_contact_ids,
              a.seed_facts(ids[2]).phone_only_contact_ids);
    // The further sub-accounts of seed 7 are not the default sub-accounts of seeds 8 and 9.
    for (std::uint64_t seed : {8u, 9u}) {
        const ghlsim::Simulator other(options(seed));
        EXPECT_NE(other.seed_facts().user_ids, a.seed_facts(ids[1]).user_ids);
        EXPECT_NE(other.seed_facts().user_ids, a.seed_facts(ids[2]).user_ids);
    }
}

TEST(Locations, TheDefaultSubAccountDoesNotChangeWithExtraOnes) {
    ghlsim::Simulator plain(options());
    ghlsim::Simulator many(with_extra(3));
    plain.start();
    many.start();
    Api plain_api(plain.port());
    Api many_api(many.port());
    const std::string loc(ghlsim::kDefaultLocationId);
    for (const std::string& path :
         {"/locations/" + loc, "/users/?locationId=" + loc, "/workflows/?locationId=" + loc,
          "/contacts/?locationId=" + loc + "&limit=100",
          "/opportunities/search?location_id=" + loc + "&limit=100"}) {
        Json a = plain_api.get(path).body;
        Json b = many_api.get(path).body;
        ASSERT_TRUE(a.is_object()) << path;
        a.erase("traceId");
        b.erase("traceId");
        EXPECT_EQ(a, b) << path;
    }
    EXPECT_EQ(plain.seed_facts().stale_opportunity_ids, many.seed_facts().stale_opportunity_ids);
    EXPECT_EQ(plain_api.get("/locations/" + loc).body["location"]["name"],
              "Summit Home Services (Sandbox)");
}

TEST(Locations, StaticTokensBelongToTheDefaultSubAccount) {
    ghlsim::Simulator sim(with_extra(2));
    sim.start();
    Api api(sim.port());
    EXPECT_EQ(api.get("/locations/" + sim.location_id()).status, 200);
    for (const std::string& other : {ghlsim::extra_location_id(1), ghlsim::extra_location_id(2)}) {
        for (const std::string& path : {"/locations/" + other, "/users/?locationId=" + other,
                                        "/contacts/?locationId=" + other}) {
            const Result r = api.get(path);
            ASSERT_EQ(r.status, 403) << path;
            EXPECT_EQ(r.body["message"], "The token does not have access to this location.");
        }
        const Result r = api.post("/contacts/", {{"locationId", other}, {"firstName", "A"}});
        EXPECT_EQ(r.status, 403);
    }
    EXPECT_EQ(sim.counters().contacts_created, 0);
}

}  // namespace
}  // namespace simtest
