// schema_validator.hpp: valijson behind SchemaValidator, with messages a model can act on
// (path, allowed properties, allowed enum values, expected vs actual type).
#include "mcp/schema_validator.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using json = nlohmann::json;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

json person_schema() {
    return json::parse(R"({
      "type": "object",
      "properties": {
        "name": {"type": "string", "minLength": 1},
        "age": {"type": "integer", "minimum": 0},
        "color": {"enum": ["red", "green"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "address": {
          "type": "object",
          "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
          "additionalProperties": false
        }
      },
      "required": ["name"],
      "additionalProperties": false
    })");
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += s + "\n";
    return out;
}

TEST(SchemaValidator, AcceptsValidValues) {
    mcp::SchemaValidator v(person_schema());
    EXPECT_THAT(v.validate(json{{"name", "Ada"}}), IsEmpty());
    EXPECT_THAT(v.validate(json::parse(R"({"name":"Ada","age":36,"color":"green","tags":["a","b"],
                                          "address":{"zip":"12345"}})")),
                IsEmpty());
}

TEST(SchemaValidator, MissingRequiredPropertyIsNamed) {
    mcp::SchemaValidator v(person_schema());
    auto problems = v.validate(json::object());
    ASSERT_FALSE(problems.empty());
    EXPECT_THAT(joined(problems), HasSubstr("name")) << joined(problems);
    EXPECT_THAT(joined(problems), HasSubstr("(root)")) << joined(problems);
}

TEST(SchemaValidator, TypeMismatchSaysExpectedAndGot) {
    mcp::SchemaValidator v(person_schema());
    auto problems = v.validate(json{{"name", 5}});
    EXPECT_THAT(problems, Contains("/name: expected string, got integer")) << joined(problems);
    problems = v.validate(json{{"name", "x"}, {"age", 1.5}});
    EXPECT_THAT(problems, Contains("/age: expected integer, got number")) << joined(problems);
    problems = v.validate(json{{"name", "x"}, {"age", "7"}});
    EXPECT_THAT(problems, Contains("/age: expected integer, got string")) << joined(problems);
}

TEST(SchemaValidator, RootTypeMismatch) {
    mcp::SchemaValidator v(person_schema());
    auto problems = v.validate(json::array());
    ASSERT_FALSE(problems.empty());
    EXPECT_THAT(joined(problems), HasSubstr("expected object, got array")) << joined(problems);
}

TEST(SchemaValidator, UnknownPropertyListsAllowedOnes) {
    mcp::SchemaValidator v(person_schema());
    auto problems = v.validate(json{{"name", "x"}, {"colour", "red"}});
    ASSERT_EQ(problems.size(), 1u) << joined(problems);
    EXPECT_THAT(problems[0], AllOf(HasSubstr("(root)"), HasSubstr("unknown property 'colour'"),
                                   HasSubstr("allowed:"), HasSubstr("name"), HasSubstr("age"),
                                   HasSubstr("color"), HasSubstr("tags"), HasSubstr("address")));
}

TEST(SchemaValidator, NestedUnknownPropertyNamesThePath) {
    mcp::SchemaValidator v(person_schema());
    auto problems = v.validate(json::parse(R"({"name":"x","address":{"zip":"12345","street":"Main"}})"));
    EXPECT_THAT(problems, Contains("/address: unknown property 'street' (allowed: zip)")) << joined(problems);
}

TEST(SchemaValidator, NoPropertiesAllowed) {
    mcp::SchemaValidator v(json{{"type", "object"}, {"properties", json::object()},
                                {"additionalProperties", false}});
    auto problems = v.validate(json{{"x", 1}});
    ASSERT_FALSE(problems.empty());
    EXPECT_THAT(problems[0], HasSubstr("unknown property 'x' (this takes no properties)"));
}

TEST(SchemaValidator, EnumListsAllowedValues) {
    mcp::SchemaValidator v(person_schema());
    auto problems = v.validate(json{{"name", "x"}, {"color", "blue"}});
    EXPECT_THAT(problems, Contains(R"(/color: must be one of: "red", "green" (got "blue"))"))
        << joined(problems);
}

TEST(SchemaValidator, PatternNamesThePattern) {
    mcp::SchemaValidator v(person_schema());
    auto problems = v.validate(json::parse(R"({"name":"x","address":{"zip":"abc"}})"));
    EXPECT_THAT(problems, Contains("/address/zip: does not match the pattern ^[0-9]{5}$")) << joined(problems);
}

TEST(SchemaValidator, ArrayItemsAreAddressedByIndex) {
    mcp::SchemaValidator v(person_schema());
    auto problems = v.validate(json::parse(R"({"name":"x","tags":["ok", 3]})"));
    EXPECT_THAT(problems, Contains("/tags/1: expected string, got integer")) << joined(problems);
}

TEST(SchemaValidator, OtherConstraintsStillNameThePath) {
    mcp::SchemaValidator v(person_schema());
    auto problems = v.validate(json{{"name", "x"}, {"age", -1}});
    ASSERT_FALSE(problems.empty());
    EXPECT_THAT(problems[0], HasSubstr("/age: ")) << joined(problems);
    problems = v.validate(json{{"name", ""}});
    ASSERT_FALSE(problems.empty());
    EXPECT_THAT(problems[0], HasSubstr("/name: ")) << joined(problems);
}

TEST(SchemaValidator, ReportsEveryProblem) {
    mcp::SchemaValidator v(person_schema());
    auto problems = v.validate(json{{"name", 1}, {"color", "blue"}, {"extra", true}});
    EXPECT_GE(problems.size(), 3u) << joined(problems);
}

TEST(SchemaValidator, Draft2020_12SchemaUriIsAccepted) {
    json schema = json::parse(R"({
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "type": "object",
      "properties": {"a": {"type": "string"}},
      "required": ["a"]
    })");
    std::unique_ptr<mcp::SchemaValidator> v;
    ASSERT_NO_THROW(v = std::make_unique<mcp::SchemaValidator>(schema));
    EXPECT_THAT(v->validate(json{{"a", "x"}}), IsEmpty());
    EXPECT_FALSE(v->validate(json::object()).empty());
    EXPECT_FALSE(v->validate(json{{"a", 1}}).empty());
}

TEST(SchemaValidator, Draft2020_12DefsReferencesResolve) {
    json schema = json::parse(R"({
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "$defs": {"positive": {"type": "integer", "minimum": 1}},
      "type": "object",
      "properties": {"n": {"$ref": "#/$defs/positive"}}
    })");
    std::unique_ptr<mcp::SchemaValidator> v;
    ASSERT_NO_THROW(v = std::make_unique<mcp::SchemaValidator>(schema));
    EXPECT_THAT(v->validate(json{{"n", 3}}), IsEmpty());
    EXPECT_FALSE(v->validate(json{{"n", 0}}).empty());
    EXPECT_FALSE(v->validate(json{{"n", "3"}}).empty());
}

TEST(SchemaValidator, BooleanSchemas) {
    mcp::SchemaValidator yes(json(true));
    EXPECT_THAT(yes.validate(json{{"anything", 1}}), IsEmpty());
    mcp::SchemaValidator no(json(false));
    EXPECT_FALSE(no.validate(json(1)).empty());
}

TEST(SchemaValidator, RejectsNonSchemas) {
    EXPECT_THROW(mcp::SchemaValidator(json("string")), std::invalid_argument);
    EXPECT_THROW(mcp::SchemaValidator(json(3)), std::invalid_argument);
    EXPECT_THROW(mcp::SchemaValidator(json::array()), std::invalid_argument);
}

TEST(SchemaValidator, RejectsSchemasValijsonCannotLoad) {
    EXPECT_THROW(mcp::SchemaValidator(json{{"type", "object"}, {"properties", {{"a", {{"$ref", "#/nowhere"}}}}}}),
                 std::invalid_argument);
    EXPECT_THROW(mcp::SchemaValidator(json{{"type", 5}}), std::invalid_argument);
}

TEST(SchemaValidator, ValidateIsThreadSafe) {
    mcp::SchemaValidator v(person_schema());
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                if (!v.validate(json{{"name", "x"}, {"age", i}}).empty()) ++wrong;
                if (v.validate(json{{"name", i}}).empty()) ++wrong;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
