// The log context of the current thread: which tool call (server-generated request id), which
// tool and which session a log line belongs to. The server sets it while a tool handler runs on
// its worker thread; a log formatter (src/app) reads it, so code below the handler (the GHL
// client, tools) need not pass the ids to every log call.
#pragma once

#include <string>

namespace mcp {

struct LogContext {
    std::string request_id;  // unique per tool call (new_call_id), never the client's JSON-RPC id
    std::string tool;
    std::string session;  // session_log_tag(), not the session id itself
};

/// The innermost LogScope's context on this thread, or nullptr outside any.
const LogContext* current_log_context();

/// Makes `context` the current one on this thread until destroyed (then the previous one).
class LogScope {
  public:
    explicit LogScope(LogContext context);
    ~LogScope();
    LogScope(const LogScope&) = delete;
    LogScope& operator=(const LogScope&) = delete;

  private:
    LogContext context_;
    const LogContext* previous_;
};

/// A fresh id for one tool call: 16 lowercase hex characters from a cryptographic source, unique
/// across sessions, clients and restarts for all practical purposes.
std::string new_call_id();

/// A short stable tag for a session id in logs (12 hex characters of a keyed hash): lines of one
/// session can be grouped without the log revealing the id, which lets its holder act in it.
std::string session_log_tag(const std::string& session_id);

}  // namespace mcp
