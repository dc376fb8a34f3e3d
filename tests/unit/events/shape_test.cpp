// What the assistant sees of each event type: a summary line and the fields that matter, with
// GHL's documented payload shapes (ghl-api.md N6); unknown types are kept whole.
#include "events/shape.hpp"
#include "events/receiver.hpp"

#include <gtest/gtest.h>

namespace {

using json = nlohmann::json;

json shaped(const json& body) {
    events::Event e = events::describe(body, body.dump());
    e.seq = 7;
    e.received_at = "2026-12-07T10:00:00.000Z";
    if (e.occurred_at.empty()) e.occurred_at = e.received_at;
    e.body = body.dump();
    return events::shape(e);
}

TEST(EventShape, AppointmentCreateNestsTheAppointment) {
    json b = {{"type", "AppointmentCreate"},
              {"locationId", "loc1"},
              {"webhookId", "w-a"},
              {"timestamp", "2026-12-07T09:59:59.000Z"},
              {"appointment",
               {{"id", "apt-1"},
                {"calendarId", "cal-1"},
                {"contactId", "c-1"},
                {"title", "Consultation"},
                {"appointmentStatus", "confirmed"},
                {"startTime", "2026-12-08T10:30:00-05:00"},
                {"endTime", "2026-12-08T11:00:00-05:00"}}}};
    json s = shaped(b);
    EXPECT_EQ(s["type"], "AppointmentCreate");
    EXPECT_EQ(s["contactId"], "c-1") << "found inside appointment";
    EXPECT_EQ(s["webhookId"], "w-a");
    EXPECT_EQ(s["occurredAt"], "2026-12-07T09:59:59.000Z");
    EXPECT_EQ(s["data"]["appointmentId"], "apt-1");
    EXPECT_EQ(s["data"]["calendarId"], "cal-1");
    EXPECT_EQ(s["data"]["startTime"], "2026-12-08T10:30:00-05:00");
    EXPECT_EQ(s["summary"], "Appointment \"Consultation\" booked for 2026-12-08T10:30:00-05:00");
    EXPECT_EQ(s["raw"], false);
}

TEST(EventShape, ContactsMessagesDealsTasksNotesAndForms) {
    json s = shaped({{"type", "ContactCreate"},
                     {"locationId", "l"},
                     {"id", "c-2"},
                     {"firstName", "Ana"},
                     {"lastName", "Diaz"},
                     {"phone", "+15550100"},
                     {"tags", {"lead"}}});
    EXPECT_EQ(s["contactId"], "c-2");
    EXPECT_EQ(s["summary"], "New contact Ana Diaz");
    EXPECT_EQ(s["data"]["tags"], json::array({"lead"}));

    s = shaped({{"type", "ContactTagUpdate"},
                {"locationId", "l"},
                {"id", "c-2"},
                {"name", "Ana Diaz"},
                {"tags", {"lead", "vip"}}});
    EXPECT_EQ(s["summary"], "Tags of Ana Diaz are now: lead, vip");

    s = shaped({{"type", "InboundMessage"},
                {"locationId", "l"},
                {"contactId", "c-2"},
                {"messageType", "SMS"},
                {"body", std::string(800, 'x')},
                {"conversationId", "conv-1"},
                {"direction", "inbound"}});
    EXPECT_EQ(s["data"]["conversationId"], "conv-1");
    EXPECT_LE(s["data"]["body"].get<std::string>().size(), 503u) << "long bodies are cut";
    EXPECT_EQ(s["summary"].get<std::string>().rfind("Inbound SMS from contact c-2: \"", 0), 0u);

    s = shaped({{"type", "OpportunityStageUpdate"},
                {"locationId", "l"},
                {"id", "o-1"},
                {"name", "Roof repair"},
                {"pipelineStageId", "st-3"},
                {"contactId", "c-2"},
                {"monetaryValue", 4200}});
    EXPECT_EQ(s["data"]["opportunityId"], "o-1");
    EXPECT_EQ(s["data"]["monetaryValue"], 4200);
    EXPECT_EQ(s["summary"], "Deal \"Roof repair\" moved to stage st-3");

    s = shaped({{"type", "OpportunityStatusUpdate"},
                {"locationId", "l"},
                {"id", "o-1"},
                {"name", "Roof repair"},
                {"status", "won"}});
    EXPECT_EQ(s["summary"], "Deal \"Roof repair\" is now won");

    s = shaped({{"type", "TaskCreate"},
                {"locationId", "l"},
                {"id", "t-1"},
                {"contactId", "c-2"},
                {"title", "Call back"},
                {"dueDate", "2026-12-09T15:00:00Z"}});
    EXPECT_EQ(s["data"]["taskId"], "t-1");
    EXPECT_EQ(s["summary"],
              "Task \"Call back\" created for contact c-2 (due 2026-12-09T15:00:00Z)");

    s = shaped({{"type", "NoteCreate"},
                {"locationId", "l"},
                {"id", "n-1"},
                {"contactId", "c-2"},
                {"body", "Prefers mornings"}});
    EXPECT_EQ(s["summary"], "Note added on contact c-2: \"Prefers mornings\"");

    s = shaped({{"type", "FormSubmission"},
                {"locationId", "l"},
                {"contactId", "c-2"},
                {"formName", "Quote"},
                {"name", "Ana Diaz"},
                {"roofType", "tile"}});
    EXPECT_EQ(s["summary"], "Form \"Quote\" submitted by Ana Diaz");
    EXPECT_EQ(s["data"]["fields"]["roofType"], "tile");
}

TEST(EventShape, UnknownTypesAreKeptWhole) {
    json s = shaped(
        {{"type", "InvoicePaid"}, {"locationId", "l"}, {"invoiceId", "inv-1"}, {"amount", 99.5}});
    EXPECT_EQ(s["raw"], true);
    EXPECT_EQ(s["data"]["invoiceId"], "inv-1");
    EXPECT_EQ(s["data"]["amount"], 99.5);
    EXPECT_FALSE(s.contains("webhookId")) << "none sent: the key is a body hash, not GHL's id";
    EXPECT_EQ(shaped({{"locationId", "l"}})["type"], "Unknown");
}

}  // namespace
