// mcp-conformance-server: the official conformance suite's fixture server, built on src/mcp.
// `mcp-conformance-server --port 3001` serves Streamable HTTP at /mcp (and legacy SSE);
// `--stdio` serves the same fixtures over stdio.
#include "fixtures.hpp"

#include "mcp/http_transport.hpp"
#include "mcp/stdio_transport.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <thread>

int main(int argc, char** argv) {
    CLI::App app{"MCP conformance fixture server (src/mcp engine)"};
    std::string host = "127.0.0.1";
    int port = 3001;
    bool stdio = false;
    std::string log_level = "warn";
    app.add_option("--host", host, "Address to bind");
    app.add_option("--port", port, "Port (0: ephemeral, printed on stderr)");
    app.add_flag("--stdio", stdio, "Serve over stdio instead of HTTP");
    app.add_option("--log-level", log_level, "stderr log level");
    CLI11_PARSE(app, argc, argv);

    spdlog::set_default_logger(spdlog::stderr_color_mt("conformance"));
    spdlog::set_level(spdlog::level::from_str(log_level));

    auto registry = std::make_shared<mcp::Registry>();
    conformance::register_fixtures(*registry);
    mcp::ServerOptions options;
    options.name = "mcp-conformance-test-server";
    options.version = "1.0.0";
    options.validate_output = true;
    options.list_ttl_ms = 0;
    mcp::Server server(options, registry);
    mcp::install_stop_signals();

    if (stdio) {
        mcp::StdioTransport transport(server);
        transport.run();
        return 0;
    }
    mcp::HttpOptions http;
    http.host = host;
    http.port = port;
    mcp::HttpTransport transport(server, http);
    try {
        transport.bind();
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    std::fprintf(stderr, "mcp-conformance-server listening on http://%s:%d/mcp\n", host.c_str(),
                 transport.port());
    std::thread watcher([&] {
        while (!mcp::stop_requested().load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        transport.stop();
    });
    transport.run();
    mcp::stop_requested().store(true);
    watcher.join();
    return 0;
}
