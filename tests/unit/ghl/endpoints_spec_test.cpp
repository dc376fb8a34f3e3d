// The endpoint table against the official OpenAPI specs (../shared/ghl-openapi/apps/*.json, read at
// test time): a wrong path, method, Version, scope, token kind or body encoding fails here.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "ghl/endpoints.hpp"
#include "ghl/url.hpp"

namespace ghl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path spec_dir() {
    if (const char* env = std::getenv("GHL_OPENAPI_DIR"); env != nullptr && *env != '\0') {
        return env;
    }
    return GHL_OPENAPI_DIR;
}

struct SpecOp {
    std::string file;
    const json* op;
};

class EndpointSpecTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        specs_ = new std::map<std::string, json>();
        const fs::path apps = spec_dir() / "apps";
        if (!fs::is_directory(apps)) return;  // SetUp() fails each test with the reason
        for (const auto& entry : fs::directory_iterator(apps)) {
            if (entry.path().extension() != ".json") continue;
            std::ifstream in(entry.path());
            (*specs_)[entry.path().filename().string()] = json::parse(in);
        }
    }
    void SetUp() override {
        ASSERT_GE(specs_->size(), 12u)
            << "the GHL OpenAPI specs are missing at " << spec_dir() / "apps"
            << " (set GHL_OPENAPI_DIR to the ghl-openapi folder)";
    }
    static void TearDownTestSuite() {
        delete specs_;
        specs_ = nullptr;
    }

    /// The operation for `method path` in exactly one spec file.
    static std::vector<SpecOp> find(const Endpoint& ep) {
        std::string method(to_string(ep.method));
        std::transform(method.begin(), method.end(), method.begin(), ::tolower);
        std::vector<SpecOp> found;
        for (const auto& [file, spec] : *specs_) {
            const auto& paths = spec.at("paths");
            auto p = paths.find(std::string(ep.path));
            if (p == paths.end()) continue;
            auto op = p->find(method);
            if (op == p->end()) continue;
            found.push_back({file, &*op});
        }
        return found;
    }

    static std::map<std::string, json>* specs_;
};

std::map<std::string, json>* EndpointSpecTest::specs_ = nullptr;

std::optional<std::string> spec_version(const json& op) {
    for (const auto& p : op.value("parameters", json::array())) {
        if (p.value("in", "") == "header" && p.value("name", "") == "Version") {
            const auto& values = p.at("schema").at("enum");
            if (values.size() != 1) return "<" + values.dump() + ">";
            return values[0].get<std::string>();
        }
    }
    return std::nullopt;
}

std::set<std::string> spec_path_params(const json& op) {
    std::set<std::string> names;
    for (const auto& p : op.value("parameters", json::array())) {
        if (p.value("in", "") == "path") names.insert(p.at("name").get<std::string>());
    }
    return names;
}

std::pair<std::set<std::string>, std::set<std::string>> spec_security(const json& op) {
    std::set<std::string> schemes, scopes;
    for (const auto& requirement : op.value("security", json::array())) {
        for (const auto& [scheme, list] : requirement.items()) {
            schemes.insert(scheme);
            for (const auto& s : list) scopes.insert(s.get<std::string>());
        }
    }
    return {schemes, scopes};
}

TEST_F(EndpointSpecTest, EveryEndpointExistsOnceInTheSpecs) {
    for (const auto& ep : endpoints()) {
        const auto found = find(ep);
        EXPECT_EQ(found.size(), 1u) << ep.id << ": " << to_string(ep.method) << " " << ep.path
                                    << " is not (exactly once) in the specs";
    }
}

TEST_F(EndpointSpecTest, VersionHeaderMatchesTheSpec) {
    for (const auto& ep : endpoints()) {
        const auto found = find(ep);
        if (found.size() != 1) continue;  // reported above
        const auto version = spec_version(*found[0].op);
        if (ep.version.empty()) {
            EXPECT_FALSE(version.has_value())
                << ep.id << " sends no Version but the spec declares " << version.value_or("");
        } else {
            ASSERT_TRUE(version.has_value()) << ep.id << ": the spec declares no Version header";
            EXPECT_EQ(*version, ep.version) << ep.id << " (" << found[0].file << ")";
        }
    }
}

TEST_F(EndpointSpecTest, VersionFollowsTheAppRule) {
    // ghl-api.md N1: 2021-04-15 for calendars and conversations, none for /oauth/token, 2021-07-28
    // for everything else.
    for (const auto& ep : endpoints()) {
        if (ep.path == "/oauth/token") {
            EXPECT_EQ(ep.version, "") << ep.id;
        } else if (ep.path.starts_with("/calendars") || ep.path.starts_with("/conversations")) {
            EXPECT_EQ(ep.version, kVersion20210415) << ep.id;
        } else {
            EXPECT_EQ(ep.version, kVersion20210728) << ep.id;
        }
    }
}

TEST_F(EndpointSpecTest, PathParametersMatchTheSpec) {
    // Operations whose spec forgets to declare a path parameter its own path template has.
    const std::map<std::string_view, std::set<std::string>> undeclared = {
        {"conversations.messages.get", {"id"}},
    };
    for (const auto& ep : endpoints()) {
        const auto found = find(ep);
        if (found.size() != 1) continue;
        const auto placeholders = path_placeholders(ep.path);
        const std::set<std::string> ours(placeholders.begin(), placeholders.end());
        auto declared = spec_path_params(*found[0].op);
        if (auto it = undeclared.find(ep.id); it != undeclared.end()) {
            for (const auto& name : it->second) {
                EXPECT_EQ(declared.count(name), 0u)
                    << ep.id << ": the spec was fixed, drop the exception";
                declared.insert(name);
            }
        }
        EXPECT_EQ(ours, declared) << ep.id;
    }
}

TEST_F(EndpointSpecTest, ScopeAndTokenKindMatchTheSpec) {
    for (const auto& ep : endpoints()) {
        const auto found = find(ep);
        if (found.size() != 1) continue;
        const auto [schemes, scopes] = spec_security(*found[0].op);
        if (ep.token == TokenKind::kNone) {
            EXPECT_TRUE(schemes.empty()) << ep.id;
            EXPECT_EQ(ep.scope, "") << ep.id;
            continue;
        }
        EXPECT_TRUE(scopes.count(std::string(ep.scope)) == 1)
            << ep.id << ": scope " << ep.scope << " is not among the spec's scopes";
        const bool agency = schemes.count("Agency-Access") || schemes.count("Agency-Access-Only");
        const bool location = schemes.count("bearer") || schemes.count("Location-Access") ||
                              schemes.count("Location-Access-Only");
        switch (ep.token) {
            case TokenKind::kLocation:
                EXPECT_TRUE(location && !agency) << ep.id;
                break;
            case TokenKind::kAgency:
                EXPECT_TRUE(agency && !location) << ep.id;
                break;
            case TokenKind::kLocationOrAgency:
                EXPECT_TRUE(agency && location) << ep.id;
                break;
            case TokenKind::kNone:
                break;
        }
    }
}

TEST_F(EndpointSpecTest, BodyEncodingMatchesTheSpec) {
    for (const auto& ep : endpoints()) {
        const auto found = find(ep);
        if (found.size() != 1) continue;
        const auto& op = *found[0].op;
        if (!op.contains("requestBody")) continue;
        const auto& content = op["requestBody"].at("content");
        if (ep.body == BodyEncoding::kForm) {
            EXPECT_TRUE(content.contains("application/x-www-form-urlencoded")) << ep.id;
        } else {
            EXPECT_TRUE(content.contains("application/json")) << ep.id;
        }
    }
}

TEST(Endpoints, IdsAreUniqueAndWellFormed) {
    // "group.name" or "group.sub.name": lower-case words and '_' separated by single dots.
    auto well_formed = [](std::string_view id) {
        if (id.empty() || id.front() == '.' || id.back() == '.' || id.find("..") != id.npos ||
            id.find('.') == id.npos) {
            return false;
        }
        return id.find_first_not_of("abcdefghijklmnopqrstuvwxyz_.") == id.npos;
    };
    std::set<std::string_view> ids;
    for (const auto& ep : endpoints()) {
        EXPECT_TRUE(ids.insert(ep.id).second) << "duplicate id " << ep.id;
        EXPECT_TRUE(well_formed(ep.id)) << ep.id;
        EXPECT_EQ(find_endpoint(ep.id), &ep);
    }
    EXPECT_EQ(find_endpoint("nope.nothing"), nullptr);
    EXPECT_THROW(endpoint("nope.nothing"), std::invalid_argument);
}

TEST(Endpoints, RetrySafetyPolicy) {
    // Reads are always safe; creates and message sends never are (nothing may be written twice).
    for (const auto& ep : endpoints()) {
        if (ep.method == Method::kGet) {
            EXPECT_TRUE(ep.retry_safe) << ep.id;
        }
    }
    for (const char* id :
         {"contacts.create", "contacts.upsert", "contacts.notes.create", "contacts.tasks.create",
          "calendars.appointments.create", "opportunities.create", "opportunities.upsert",
          "conversations.create", "conversations.messages.send", "conversations.messages.inbound",
          "conversations.messages.outbound", "contacts.workflow.add", "contacts.campaign.add",
          "oauth.token"}) {
        EXPECT_FALSE(endpoint(id).retry_safe) << id;
    }
    for (const char* id :
         {"contacts.search", "contacts.update", "contacts.delete", "calendars.appointments.update",
          "calendars.events.delete", "opportunities.update", "opportunities.status",
          "opportunities.delete"}) {
        EXPECT_TRUE(endpoint(id).retry_safe) << id;
    }
    // A POST is safe only when it is a search or a set operation.
    for (const auto& ep : endpoints()) {
        if (ep.method == Method::kPost && ep.retry_safe) {
            EXPECT_TRUE(ep.id == "contacts.search" || ep.id == "contacts.tags.add") << ep.id;
        }
    }
}

TEST(Endpoints, CoversTheToolCatalog) {
    // Every GHL operation the tool catalog (issue 4) needs.
    for (const char* id : {"contacts.search",
                           "contacts.get",
                           "contacts.duplicate_search",
                           "contacts.create",
                           "contacts.upsert",
                           "contacts.update",
                           "contacts.delete",
                           "contacts.tags.add",
                           "contacts.tags.remove",
                           "contacts.notes.list",
                           "contacts.notes.create",
                           "contacts.tasks.list",
                           "contacts.tasks.create",
                           "contacts.appointments",
                           "calendars.list",
                           "calendars.free_slots",
                           "calendars.events.list",
                           "calendars.appointments.get",
                           "calendars.appointments.create",
                           "calendars.appointments.update",
                           "calendars.events.delete",
                           "opportunities.search",
                           "opportunities.get",
                           "opportunities.pipelines",
                           "opportunities.create",
                           "opportunities.update",
                           "opportunities.status",
                           "opportunities.delete",
                           "conversations.search",
                           "conversations.messages.list",
                           "conversations.messages.send",
                           "conversations.messages.inbound",
                           "workflows.list",
                           "contacts.workflow.add",
                           "contacts.workflow.remove",
                           "contacts.campaign.add",
                           "locations.get",
                           "locations.custom_fields.list",
                           "users.list",
                           "locations.tags.list",
                           "payments.orders.list",
                           "payments.transactions.list",
                           "oauth.token",
                           "oauth.location_token"}) {
        EXPECT_NE(find_endpoint(id), nullptr) << id;
    }
}

}  // namespace
}  // namespace ghl
