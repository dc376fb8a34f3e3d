// The ghl-mcp command line: serve (stdio or HTTP), call, tools.
#pragma once

namespace app {

/// Runs the ghl-mcp command line; returns the process exit code.
int run(int argc, char** argv);

}  // namespace app
