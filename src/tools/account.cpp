// Tool group: workflows, location and payments. Definitions: schemas/tools/<name>.json; handlers here.
#include "tools/groups.hpp"
#include "tools/support.hpp"

namespace tools {

std::vector<Registration> account_tools() {
    return {};
}

}  // namespace tools
