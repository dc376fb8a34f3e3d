// ToolContext: progress, logging, client requests and MRTR helpers for handlers.
#include "mcp/context.hpp"

#include "mcp/server.hpp"
#include "mcp/tasks.hpp"

#include <thread>

namespace mcp {

bool ToolContext::client_supports(std::string_view capability) const {
    const json& caps = call_.client_capabilities;
    auto dot = capability.find('.');
    std::string top(capability.substr(0, dot));
    auto it = caps.find(top);
    if (it == caps.end() || it->is_null()) return false;
    if (dot == std::string_view::npos) return true;
    std::string sub(capability.substr(dot + 1));
    // `elicitation: {}` means form mode only (2025-11-25).
    if (top == "elicitation" && sub == "form" && it->is_object() && it->empty()) return true;
    return it->is_object() && it->contains(sub);
}

bool ToolContext::cancelled() const {
    if (call_.cancelled->load()) return true;
    // In 2026-07-28, closing the response stream is the cancellation.
    return call_.modern && call_.channel && !call_.channel->open();
}

std::chrono::milliseconds ToolContext::remaining() const {
    auto left = call_.deadline - std::chrono::steady_clock::now();
    if (left.count() <= 0) return std::chrono::milliseconds(0);
    return std::chrono::duration_cast<std::chrono::milliseconds>(left);
}

void ToolContext::progress(double progress, std::optional<double> total, const std::string& message) {
    if (call_.progress_token.is_null() || !call_.channel) return;
    json p{{"progressToken", call_.progress_token}, {"progress", progress}};
    if (total) p["total"] = *total;
    if (!message.empty()) p["message"] = message;
    call_.channel->send(make_notification("notifications/progress", std::move(p)));
}

void ToolContext::log(LogLevel level, const json& data, const std::string& logger) {
    server_.send_log(call_, level, data, logger);
}

void ToolContext::require_client_capability(const std::string& capability) const {
    if (client_supports(capability)) return;
    throw RpcError(ErrorCode::kMissingClientCapability,
                   "Missing required client capability: " + capability,
                   json{{"requiredCapabilities", {{capability, json::object()}}}}, 400);
}

void ToolContext::disconnect() {
    if (call_.channel) call_.channel->disconnect();
}

bool ToolContext::in_task() const { return call_.task && call_.task->in_task(); }

void ToolContext::continue_as_task() {
    if (call_.task) call_.task->start(call_);
}

void ToolContext::notify(const std::string& method, json params) {
    if (call_.channel) call_.channel->send(make_notification(method, std::move(params)));
}

json ToolContext::request_client(const std::string& method, const json& params,
                                 std::chrono::milliseconds timeout) {
    if (call_.modern || !call_.session)
        throw RpcError(ErrorCode::kInternalError,
                       "server-to-client requests need a legacy session (2026-07-28 uses MRTR)");
    const char* capability = method == "sampling/createMessage" ? "sampling"
                             : method == "elicitation/create"   ? "elicitation"
                             : method == "roots/list"           ? "roots"
                                                                : nullptr;
    if (!capability || !client_supports(capability))
        throw RpcError(ErrorCode::kInvalidRequest,
                       "The client did not declare the '" + std::string(capability ? capability : method) +
                           "' capability needed for " + method);
    if (!call_.channel) throw RpcError(ErrorCode::kInternalError, "no channel to reach the client");
    auto [id, future] = call_.session->new_outbound_request();
    if (!call_.channel->send(make_request(id, method, params))) {
        call_.session->abandon(id);
        throw RpcError(ErrorCode::kInternalError, "the client disconnected");
    }
    auto until = std::chrono::steady_clock::now() + timeout;
    while (future.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
        if (cancelled() || std::chrono::steady_clock::now() > until) {
            call_.session->abandon(id);
            throw RpcError(ErrorCode::kInternalError,
                           cancelled() ? "request cancelled" : method + " timed out");
        }
    }
    json response = future.get();
    if (response.contains("error")) {
        const json& e = response["error"];
        throw RpcError(ErrorCode::kInternalError,
                       "The client answered " + method + " with an error: " +
                           e.value("message", std::string("unknown error")));
    }
    return response.value("result", json::object());
}

const json& ToolContext::input_responses() const {
    static const json kNull;
    auto it = call_.params.find("inputResponses");
    return it == call_.params.end() ? kNull : *it;
}

void ToolContext::require_input(json input_requests, json state) {
    throw InputRequired{std::move(input_requests), std::move(state)};
}

}  // namespace mcp
