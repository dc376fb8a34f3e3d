// ghl-mcp entry point (temporary minimal wiring while the tool catalog lands).
#include "mcp/http_transport.hpp"
#include "mcp/server.hpp"
#include "mcp/stdio_transport.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

int main() {
    spdlog::set_default_logger(spdlog::stderr_color_mt("ghl-mcp"));
    auto registry = std::make_shared<mcp::Registry>();
    mcp::Server server({}, registry);
    mcp::install_stop_signals();
    mcp::StdioTransport t(server);
    t.run();
}
