// Recorded platform payloads (tests/unit/voice/payloads/*.json) as raw text and parsed JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace voice_test {

inline std::string payload_text(const std::string& name) {
    std::ifstream in(std::string(VOICE_PAYLOADS) + "/" + name);
    if (!in) throw std::runtime_error("missing payload " + name);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline nlohmann::json payload(const std::string& name) { return nlohmann::json::parse(payload_text(name)); }

}  // namespace voice_test
