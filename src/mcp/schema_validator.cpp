// Wraps valijson behind SchemaValidator so the rest of the code never sees its headers.
#include "mcp/schema_validator.hpp"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <stdexcept>

namespace mcp {

struct SchemaValidator::Impl {
    nlohmann::json document;  // valijson keeps references into the parsed document
    valijson::Schema schema;
};

namespace {

// valijson does not know the 2020-12 meta-schema URI; the keywords we use are shared by draft 7
// and 2020-12, so we validate with draft 7 semantics and map `$defs` like `definitions`.
nlohmann::json normalize(const nlohmann::json& schema) {
    nlohmann::json copy = schema;
    if (copy.is_object()) copy.erase("$schema");
    return copy;
}

std::string path_of(const std::vector<std::string>& context) {
    std::string path;
    for (const auto& part : context) {
        if (part == "<root>") continue;
        std::string p = part;
        if (p.size() >= 2 && p.front() == '[' && p.back() == ']') p = p.substr(1, p.size() - 2);
        if (p.size() >= 2 && p.front() == '"' && p.back() == '"') p = p.substr(1, p.size() - 2);
        path += "/" + p;
    }
    return path.empty() ? "(root)" : path;
}

bool is_wrapper_message(const std::string& d) {
    return d.rfind("Failed to validate against schema associated with property", 0) == 0 ||
           d.rfind("Failed to validate item #", 0) == 0 ||
           d.rfind("Failed to validate against child schema", 0) == 0 ||
           d.rfind("Failed to validate against schema referenced", 0) == 0;
}

}  // namespace

SchemaValidator::SchemaValidator(const nlohmann::json& schema) : impl_(std::make_unique<Impl>()) {
    if (!schema.is_object() && !schema.is_boolean())
        throw std::invalid_argument("a JSON Schema must be an object or a boolean");
    impl_->document = normalize(schema);
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::NlohmannJsonAdapter adapter(impl_->document);
        parser.populateSchema(adapter, impl_->schema);
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("unsupported JSON Schema: ") + e.what());
    }
}

SchemaValidator::~SchemaValidator() = default;

std::vector<std::string> SchemaValidator::validate(const nlohmann::json& value) const {
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(value);
    std::vector<std::string> problems;
    if (validator.validate(impl_->schema, target, &results)) return problems;
    valijson::ValidationResults::Error error;
    std::vector<std::string> wrappers;
    while (results.popError(error)) {
        std::string line = path_of(error.context) + ": " + error.description;
        if (is_wrapper_message(error.description))
            wrappers.push_back(std::move(line));
        else
            problems.push_back(std::move(line));
    }
    if (problems.empty()) problems = std::move(wrappers);
    if (problems.empty()) problems.emplace_back("(root): value does not match the schema");
    return problems;
}

}  // namespace mcp
