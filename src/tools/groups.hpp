// The tool groups. Each group file (contacts.cpp, calendars.cpp, ...) defines its handlers and
// returns its part of the registration list; catalog.cpp joins them into the one list.
#pragma once

#include "tools/catalog.hpp"

#include <vector>

namespace tools {

std::vector<Registration> server_tools();         // server_tools.cpp
std::vector<Registration> contact_tools();        // contacts.cpp
std::vector<Registration> calendar_tools();       // calendars.cpp
std::vector<Registration> opportunity_tools();    // opportunities.cpp
std::vector<Registration> conversation_tools();   // conversations.cpp
std::vector<Registration> workflow_tools();       // workflows.cpp: workflows and campaigns
std::vector<Registration> account_tools();        // account.cpp: location and payments
std::vector<Registration> analysis_tools();       // analysis.cpp
std::vector<Registration> event_tools();          // events.cpp: GHL webhook events

/// list_recent_events' structured result for `args` in sub-account `location` (the resources
/// ghl://events/... read the same). Throws ToolFailure.
json recent_events(const Environment& env, const json& args, const std::string& location);

}  // namespace tools
