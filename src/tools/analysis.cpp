// Tool group: analysis (composite audits and summaries). Definitions: schemas/tools/<name>.json; handlers here.
#include "tools/groups.hpp"
#include "tools/support.hpp"

namespace tools {

std::vector<Registration> analysis_tools() {
    return {};
}

}  // namespace tools
