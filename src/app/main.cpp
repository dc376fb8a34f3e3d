// ghl-mcp: a Model Context Protocol server for the GoHighLevel CRM.
#include "app/cli.hpp"

#include <csignal>

int main(int argc, char** argv) {
    // A peer that hangs up (HTTP client, GHL connection, stdio parent) is an error to handle
    // where it happens, never a reason for the process to die.
    std::signal(SIGPIPE, SIG_IGN);
    return app::run(argc, argv);
}
