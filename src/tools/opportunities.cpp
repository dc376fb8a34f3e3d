// Tool group: opportunities. Definitions: schemas/tools/<name>.json; handlers here.
#include "tools/groups.hpp"
#include "tools/support.hpp"

namespace tools {

std::vector<Registration> opportunity_tools() {
    return {};
}

}  // namespace tools
