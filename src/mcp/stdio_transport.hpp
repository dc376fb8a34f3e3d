// stdio transport: newline-delimited JSON-RPC on stdin/stdout. stdout carries protocol
// messages only; everything else (logs) goes to stderr.
#pragma once

#include "mcp/server.hpp"

#include <atomic>
#include <cstddef>

namespace mcp {

struct StdioOptions {
    size_t max_line_bytes = 4 * 1024 * 1024;
    size_t workers = 4;  // threads for long-running requests (tools/call, ...)
};

/// Serves one client on a pair of file descriptors until EOF or stop().
/// Thread-safety: run() on one thread; stop() from any thread or a signal handler's flag.
class StdioTransport {
public:
    StdioTransport(Server& server, StdioOptions options = {}, int in_fd = 0, int out_fd = 1);
    ~StdioTransport();

    /// Reads until EOF (then waits for in-flight requests) or stop() (then cancels them).
    void run();
    /// Asks run() to return promptly; async-signal-safe.
    void stop() { stop_.store(true); }

private:
    class Writer;
    Server& server_;
    StdioOptions options_;
    int in_fd_;
    int out_fd_;
    std::atomic<bool> stop_{false};
};

/// A process-wide flag set by SIGTERM/SIGINT handlers installed by install_stop_signals().
std::atomic<bool>& stop_requested();
void install_stop_signals();

}  // namespace mcp
