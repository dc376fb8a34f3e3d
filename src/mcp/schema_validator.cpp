// Wraps valijson behind SchemaValidator so the rest of the code never sees its headers.
#include "mcp/schema_validator.hpp"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace mcp {

struct SchemaValidator::Impl {
    nlohmann::json document;  // valijson keeps references into the parsed document
    valijson::Schema schema;
    // A valijson::Validator caches compiled `pattern` regexes but is not thread-safe: keep a
    // few and lend one per validation, so patterns compile once per validator, not per call.
    std::mutex mu;
    std::vector<std::unique_ptr<valijson::Validator>> idle;

    std::unique_ptr<valijson::Validator> borrow() {
        std::lock_guard lock(mu);
        if (idle.empty()) return std::make_unique<valijson::Validator>(valijson::Validator::kStrongTypes);
        auto v = std::move(idle.back());
        idle.pop_back();
        return v;
    }
    void give_back(std::unique_ptr<valijson::Validator> v) {
        std::lock_guard lock(mu);
        if (idle.size() < 16) idle.push_back(std::move(v));
    }
};

namespace {

// valijson does not know the 2020-12 meta-schema URI; the keywords we use are shared by draft 7
// and 2020-12, so we validate with draft 7 semantics and map `$defs` like `definitions`.
nlohmann::json normalize(const nlohmann::json& schema) {
    nlohmann::json copy = schema;
    if (copy.is_object()) copy.erase("$schema");
    return copy;
}

std::vector<std::string> parts_of(const std::vector<std::string>& context) {
    std::vector<std::string> parts;
    for (const auto& part : context) {
        if (part == "<root>") continue;
        std::string p = part;
        if (p.size() >= 2 && p.front() == '[' && p.back() == ']') p = p.substr(1, p.size() - 2);
        if (p.size() >= 2 && p.front() == '"' && p.back() == '"') p = p.substr(1, p.size() - 2);
        parts.push_back(std::move(p));
    }
    return parts;
}

std::string path_of(const std::vector<std::string>& parts) {
    std::string path;
    for (const auto& p : parts) path += "/" + p;
    return path.empty() ? "(root)" : path;
}

/// The subschema that governs `parts` (following properties/items only), or null.
const nlohmann::json* subschema_at(const nlohmann::json& schema, const std::vector<std::string>& parts) {
    const nlohmann::json* s = &schema;
    for (const auto& p : parts) {
        if (!s->is_object()) return nullptr;
        if (s->contains("properties") && (*s)["properties"].contains(p)) {
            s = &(*s)["properties"][p];
        } else if (s->contains("items") && (*s)["items"].is_object() &&
                   !p.empty() && std::all_of(p.begin(), p.end(), ::isdigit)) {
            s = &(*s)["items"];
        } else {
            return nullptr;
        }
    }
    return s;
}

const nlohmann::json* value_at(const nlohmann::json& value, const std::vector<std::string>& parts) {
    const nlohmann::json* v = &value;
    for (const auto& p : parts) {
        if (v->is_object() && v->contains(p)) {
            v = &(*v)[p];
        } else if (v->is_array() && !p.empty() && std::all_of(p.begin(), p.end(), ::isdigit) &&
                   std::stoul(p) < v->size()) {
            v = &(*v)[std::stoul(p)];
        } else {
            return nullptr;
        }
    }
    return v;
}

std::string json_type(const nlohmann::json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "boolean";
    if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
    if (v.is_number()) return "number";
    if (v.is_string()) return "string";
    if (v.is_array()) return "array";
    return "object";
}

std::string join_values(const nlohmann::json& list, bool keys) {
    std::string out;
    if (keys) {
        for (const auto& [k, _] : list.items()) out += (out.empty() ? "" : ", ") + k;
    } else {
        for (const auto& v : list) out += (out.empty() ? "" : ", ") + v.dump();
    }
    return out;
}

/// Rewrites valijson's generic descriptions into text a model can act on.
std::string explain(const std::string& description, const nlohmann::json& schema,
                    const nlohmann::json& value, const std::vector<std::string>& parts) {
    std::string d = description;
    if (!d.empty() && d.back() == '.') d.pop_back();
    const nlohmann::json* sub = subschema_at(schema, parts);
    const nlohmann::json* actual = value_at(value, parts);
    if (d.rfind("Object contains a property that could not be validated", 0) == 0) {
        auto q = d.rfind(": ");
        std::string name = q == std::string::npos ? std::string("?") : d.substr(q + 2);
        std::string msg = "unknown property " + name;
        if (sub && sub->contains("properties")) {
            std::string allowed = join_values((*sub)["properties"], true);
            msg += allowed.empty() ? " (this takes no properties)" : " (allowed: " + allowed + ")";
        }
        return msg;
    }
    if (d.rfind("Value type not permitted", 0) == 0 && sub && sub->contains("type")) {
        const auto& t = (*sub)["type"];
        std::string want = t.is_string() ? t.get<std::string>() : join_values(t, false);
        return "expected " + want + (actual ? ", got " + json_type(*actual) : std::string());
    }
    if (d.rfind("Failed to match against any enum values", 0) == 0 && sub && sub->contains("enum"))
        return "must be one of: " + join_values((*sub)["enum"], false) +
               (actual ? " (got " + actual->dump() + ")" : std::string());
    if (d.rfind("Failed to match regex", 0) == 0 && sub && sub->contains("pattern"))
        return "does not match the pattern " + (*sub)["pattern"].get<std::string>();
    return d;
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
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(value);
    std::vector<std::string> problems;
    auto validator = impl_->borrow();
    bool ok = validator->validate(impl_->schema, target, &results);
    impl_->give_back(std::move(validator));
    if (ok) return problems;
    valijson::ValidationResults::Error error;
    std::vector<std::string> wrappers;
    while (results.popError(error)) {
        auto parts = parts_of(error.context);
        std::string line = path_of(parts) + ": " + explain(error.description, impl_->document, value, parts);
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
