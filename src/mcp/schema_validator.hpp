// JSON Schema validation of tool arguments and results (valijson, draft 7 keywords).
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace mcp {

/// A compiled JSON Schema. Construction throws std::invalid_argument on a schema valijson
/// cannot load. validate() is const and thread-safe.
class SchemaValidator {
public:
    explicit SchemaValidator(const nlohmann::json& schema);
    ~SchemaValidator();
    SchemaValidator(const SchemaValidator&) = delete;
    SchemaValidator& operator=(const SchemaValidator&) = delete;

    /// Returns human-readable problems ("/path: what is wrong"), empty when valid.
    std::vector<std::string> validate(const nlohmann::json& value) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mcp
