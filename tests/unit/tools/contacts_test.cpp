// contacts toolset against the simulator: arguments, the exact GHL request, the shaped output and
// the error texts.
#include "sandbox_fixture.hpp"

namespace tools_test {
namespace {

class ContactsTest : public SandboxTest {
protected:
    std::string a_contact() { return seed().phone_only_contact_ids.at(0); }
};

TEST_F(ContactsTest, GetContactSendsOneGetAndShapesTheContact) {
    const std::string id = a_contact();
    json out = ok("get_contact", {{"contactId", id}});
    auto r = only_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/contacts/" + id);
    EXPECT_EQ(r.headers["version"], "2021-07-28");
    const json& c = out["contact"];
    EXPECT_EQ(c["id"], id);
    EXPECT_TRUE(c.contains("phone"));
    EXPECT_FALSE(c.contains("email")) << "a phone-only contact has no email";
    EXPECT_FALSE(c.contains("searchAfter")) << "raw GHL fields must not leak";
    EXPECT_FALSE(c.contains("firstNameLowerCase"));
}

TEST_F(ContactsTest, GetContactUnknownIdIsAnActionableToolError) {
    std::string text = tool_error("get_contact", {{"contactId", "nosuchcontact0000001"}});
    EXPECT_TRUE(contains(text, "not found")) << text;
}

TEST_F(ContactsTest, GetContactRejectsPathTraversalBeforeAnyRequest) {
    std::string text = tool_error("get_contact", {{"contactId", "../locations/x"}});
    EXPECT_TRUE(contains(text, "contactId")) << text;
    EXPECT_TRUE(requests().empty());
}

TEST_F(ContactsTest, GetContactRequiresContactId) {
    invalid_arguments("get_contact", json::object());
    invalid_arguments("get_contact", {{"contactId", "x"}, {"unknown", 1}});
}

}  // namespace
}  // namespace tools_test
