// Stored events as the assistant sees them (list_recent_events, ghl://events/...): the common
// fields, one summary line, and the type's useful fields under `data`. Types we do not know are
// kept whole (raw: true).
#pragma once

#include "events/event_store.hpp"

#include <nlohmann/json.hpp>

namespace events {

/// {seq, type, locationId, contactId?, occurredAt, receivedAt, webhookId?, summary, data, raw}.
nlohmann::json shape(const Event& event);

/// Whether shape() knows `type` (anything else is passed through raw).
bool known_type(const std::string& type);

}  // namespace events
