// Tool group: location (sub-account reference data) and payments (read-only). Definitions: schemas/tools/<name>.json; handlers here.
#include "tools/groups.hpp"
#include "tools/support.hpp"

namespace tools {

std::vector<Registration> account_tools() {
    return {};
}

}  // namespace tools
