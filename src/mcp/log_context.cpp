#include "mcp/log_context.hpp"

#include "mcp/crypto.hpp"

#include <utility>

namespace mcp {
namespace {
thread_local const LogContext* t_current = nullptr;
}  // namespace

const LogContext* current_log_context() {
    return t_current;
}

LogScope::LogScope(LogContext context) : context_(std::move(context)), previous_(t_current) {
    t_current = &context_;
}

LogScope::~LogScope() {
    t_current = previous_;
}

std::string new_call_id() {
    return hex_encode(random_bytes(8));
}

std::string session_log_tag(const std::string& session_id) {
    if (session_id.empty()) return {};
    return hex_encode(hmac_sha256("ghl-mcp log session tag", session_id)).substr(0, 12);
}

}  // namespace mcp
