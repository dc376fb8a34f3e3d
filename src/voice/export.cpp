#include "voice/export.hpp"

#include <cmath>
#include <stdexcept>

namespace voice {
namespace {

/// What the agent says while the call runs, and a hint for the model beyond the MCP description.
struct VoiceHints {
    const char* name;
    const char* while_running;
    const char* hint;
};

constexpr VoiceHints kHints[] = {
    {"find_contact", "Let me look you up.",
     "Leave phone empty to use the caller's own number."},
    {"get_free_slots", "Let me check the calendar.",
     "Dates are YYYY-MM-DD; offer the times in the answer and book with the exact start from its details."},
    {"book_appointment", "Let me book that for you.",
     "Use a start time exactly as get_free_slots returned it and the contactId from find_contact."},
    {"reschedule_appointment", "Let me move that for you.", "Use an exact start time from get_free_slots."},
    {"cancel_appointment", "Let me cancel that.", "Confirm with the caller before cancelling."},
    {"add_contact_note", "One moment.", "Summarize what the caller asked for in one or two sentences."},
    {"send_message", "I'll send that now.", "For a confirmation text use type SMS."},
    {"update_opportunity", "One moment.", "Use it to move the caller's opportunity to another stage."},
};

const VoiceHints* hints_of(const std::string& name) {
    for (const auto& h : kHints)
        if (name == h.name) return &h;
    return nullptr;
}

json parameters_of(const json& definition) {
    json schema = definition.value("inputSchema", json::object());
    json out = {{"type", "object"}, {"properties", schema.value("properties", json::object())}};
    out["properties"].erase("locationId");
    if (schema.contains("required") && schema["required"].is_array()) {
        json required = json::array();
        for (const auto& r : schema["required"])
            if (r != "locationId") required.push_back(r);
        if (!required.empty()) out["required"] = std::move(required);
    }
    return out;
}

std::string description_of(const json& definition, const VoiceHints* h) {
    std::string d = definition.value("description", "");
    if (h) d += (d.empty() ? "" : " ") + std::string(h->hint);
    return d;
}

}  // namespace

json export_tools(const ExportOptions& o, const std::vector<json>& definitions) {
    std::string base = o.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (base.rfind("https://", 0) != 0 && base.rfind("http://", 0) != 0)
        throw std::invalid_argument("--url must be the server's http(s) address, e.g. https://ghl.example.com");
    if (o.platform != "vapi" && o.platform != "retell")
        throw std::invalid_argument("--platform must be vapi or retell");
    // The platform waits a little longer than our own budget, so our answer always arrives.
    const int timeout_s = static_cast<int>(std::ceil(o.budget.count() / 1000.0)) + 3;
    json out = json::array();
    for (const auto& def : definitions) {
        const std::string name = def.at("name").get<std::string>();
        const VoiceHints* h = hints_of(name);
        const std::string while_running = h ? h->while_running : "One moment.";
        if (o.platform == "vapi") {
            json server = {{"url", base + "/voice/vapi"}, {"timeoutSeconds", timeout_s}};
            if (!o.credential_id.empty()) server["credentialId"] = o.credential_id;
            out.push_back({
                {"type", "function"},
                {"async", false},
                {"function",
                 {{"name", name}, {"description", description_of(def, h)}, {"parameters", parameters_of(def)}}},
                {"server", std::move(server)},
                {"messages",
                 {{{"type", "request-start"}, {"content", while_running}},
                  {{"type", "request-response-delayed"}, {"timingMilliseconds", 2000},
                   {"content", "Still working on it, one moment."}}}},
            });
        } else {
            out.push_back({
                {"type", "custom"},
                {"name", name},
                {"description", description_of(def, h)},
                {"url", base + "/voice/retell"},
                {"method", "POST"},
                {"parameters", parameters_of(def)},
                {"speak_during_execution", true},
                {"speak_after_execution", true},
                {"execution_message_description", while_running},
                {"execution_message_type", "static_text"},
                {"timeout_ms", timeout_s * 1000},
            });
        }
    }
    return out;
}

}  // namespace voice
