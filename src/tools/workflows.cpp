// Tool group: workflows and campaigns (enrol and remove contacts). Definitions:
// schemas/tools/<name>.json; handlers here.
#include "tools/groups.hpp"
#include "tools/support.hpp"

namespace tools {

std::vector<Registration> workflow_tools() {
    return {};
}

}  // namespace tools
