// ghl-mcp: a Model Context Protocol server for the GoHighLevel CRM.
#include "app/cli.hpp"

int main(int argc, char** argv) { return app::run(argc, argv); }
