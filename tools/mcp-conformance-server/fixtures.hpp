// Registers the conformance suite's fixture tools, resources and prompts (test_simple_text,
// test://static-text, test_simple_prompt, the MRTR test_input_required_result_* family, ...).
#pragma once

#include "mcp/registry.hpp"

namespace conformance {

void register_fixtures(mcp::Registry& registry);

}  // namespace conformance
