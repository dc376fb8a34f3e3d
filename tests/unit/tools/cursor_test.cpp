// Pagination cursors are sealed (security issue #18): a cursor a client forged, altered, or got
// for another API key is refused before any GHL request, so it can never set locationId,
// pageLimit or query of the request after the key's scope was checked.
#include "sandbox_fixture.hpp"

#include "app/keys.hpp"
#include "ghl/pagination.hpp"

namespace tools_test {
namespace {

class CursorTest : public SandboxTest {
  protected:
    struct Discard : mcp::Channel {
        bool send(const json&) override { return true; }
        bool open() const override { return true; }
    };

    /// tools/call through the dispatcher as the API key `key` (any sub-account, every toolset):
    /// the structured result, or {"isError": true, "text": ...} for a tool error.
    json call_as(const std::string& key, const std::string& tool, const json& args) {
        json request = {{"jsonrpc", "2.0"},
                        {"id", 1},
                        {"method", "tools/call"},
                        {"params",
                         {{"name", tool},
                          {"arguments", args},
                          {"_meta",
                           {{mcp::meta::kProtocolVersion, std::string(mcp::kV20260728)},
                            {mcp::meta::kClientInfo, {{"name", "cursor-tests"}, {"version", "1"}}},
                            {mcp::meta::kClientCapabilities, json::object()}}}}}};
        mcp::Incoming in;
        in.channel = std::make_shared<Discard>();
        in.modern = true;
        in.principal = app::Principal{key, {}, {}, false};
        auto outcome = app().server().handle(request, in);
        EXPECT_TRUE(outcome.response && outcome.response->contains("result"))
            << (outcome.response ? outcome.response->dump() : "no response");
        if (!outcome.response || !outcome.response->contains("result")) return nullptr;
        const json& result = (*outcome.response)["result"];
        if (result.value("isError", false)) {
            std::string text;
            for (const auto& block : result.value("content", json::array()))
                text += block.value("text", "");
            return {{"isError", true}, {"text", text}};
        }
        return result.value("structuredContent", json::object());
    }

    /// A tool error that came before any GHL request; returns its text.
    std::string refused(const std::string& tool, const json& args) {
        const auto before = requests().size();
        const std::string text = tool_error(tool, args);
        EXPECT_EQ(requests().size(), before) << tool << " sent a GHL request for " << args.dump();
        return text;
    }
};

// The cursor a client could write before cursors were sealed: "c1." + base64url(JSON), with the
// filters' (public, unkeyed) fingerprint, so it passed every check.
std::string forged(const json& position, const json& filters) {
    return ghl::encode_cursor({"contacts.search", ghl::Pagination::kSearchAfter, position},
                              filters);
}

TEST_F(CursorTest, AForgedCursorCannotSetLocationPageLimitOrQuery) {
    // search_contacts binds its cursor to the selecting arguments: none here, so {}.
    const json none = json::object();
    for (const json& extra : {json{{"locationId", "someOtherLocation"}}, json{{"pageLimit", 1000}},
                              json{{"query", "anything"}}}) {
        json position = {{"searchAfter", {1, "x"}}};
        position.update(extra);
        const std::string text =
            refused("search_contacts", {{"limit", 5}, {"cursor", forged(position, none)}});
        EXPECT_TRUE(contains(text, "cursor")) << text;
        EXPECT_TRUE(contains(text, "no cursor")) << text;
    }
    // A plain page position is refused too unless this server sealed it.
    const std::string text = refused(
        "search_contacts", {{"limit", 5}, {"cursor", forged({{"searchAfter", {1, "x"}}}, none)}});
    EXPECT_TRUE(contains(text, "[tools.invalid_cursor]")) << text;
}

TEST_F(CursorTest, EvenASealedCursorCarriesOnlyItsStylesPagePosition) {
    // Defence in depth: were the key ever to leak, a cursor still could not set request fields.
    const auto& seal = *app().environment().cursors;
    const tools::CursorBinding local{"search_contacts", seed().location_id, "local"};
    const std::string inner =
        forged({{"searchAfter", {1, "x"}}, {"locationId", "someOtherLocation"}}, json::object());
    const std::string text =
        refused("search_contacts", {{"limit", 5}, {"cursor", seal.seal(inner, local)}});
    EXPECT_TRUE(contains(text, "page position")) << text;
}

TEST_F(CursorTest, ACursorOfOneKeyIsRefusedForAnother) {
    const json first = call_as("key-a", "search_contacts", {{"limit", 5}});
    ASSERT_TRUE(first["nextCursor"].is_string()) << first.dump();
    const json args = {{"limit", 5}, {"cursor", first["nextCursor"]}};

    const json again = call_as("key-a", "search_contacts", args);
    EXPECT_FALSE(again.value("isError", false)) << again.dump();
    EXPECT_EQ(again["contacts"].size(), 5u);
    EXPECT_NE(again["contacts"][0]["id"], first["contacts"][0]["id"]) << "the next page";

    sim().clear_requests();
    const json other = call_as("key-b", "search_contacts", args);
    EXPECT_TRUE(other.value("isError", false)) << other.dump();
    const std::string text = other.value("text", "");
    EXPECT_TRUE(contains(text, "[tools.invalid_cursor]")) << text;
    EXPECT_TRUE(contains(text, "no cursor")) << text;
    EXPECT_FALSE(contains(text, "key-a")) << "the error names no other key: " << text;
    EXPECT_TRUE(requests().empty()) << "refused before any GHL request";

    // Nor is it good for another tool paging the same kind of listing.
    const json users = call_as("key-a", "list_users", {{"cursor", first["nextCursor"]}});
    EXPECT_TRUE(users.value("isError", false)) << users.dump();
}

TEST_F(CursorTest, OffsetCursorsAreSealedAndBoundToo) {
    const json first = ok("list_tags", {{"limit", 1}});
    ASSERT_TRUE(first["nextCursor"].is_string()) << first.dump();
    const json second = ok("list_tags", {{"limit", 1}, {"cursor", first["nextCursor"]}});
    EXPECT_NE(second["tags"][0], first["tags"][0]);
    // An offset the client wrote itself is refused.
    const std::string mine =
        ghl::encode_cursor({"locations.tags.list", ghl::Pagination::kNone, {{"offset", 1}}},
                           json{{"locationId", seed().location_id}, {"query", ""}});
    EXPECT_TRUE(contains(refused("list_tags", {{"limit", 1}, {"cursor", mine}}), "cursor"));
    const json other =
        call_as("key-b", "list_tags", {{"limit", 1}, {"cursor", first["nextCursor"]}});
    EXPECT_TRUE(other.value("isError", false)) << other.dump();
}

}  // namespace
}  // namespace tools_test
