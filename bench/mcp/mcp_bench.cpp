// In-process cost of the src/mcp engine, transports taken out: JSON-RPC parse and serialize,
// Server::handle of ping / tools/list / tools/call (legacy session and stateless 2026-07-28),
// the whole text-in/text-out path a transport runs per message, and argument validation.
#include <benchmark/benchmark.h>

#include "mcp/registry.hpp"
#include "mcp/schema_validator.hpp"
#include "mcp/server.hpp"

#include <memory>
#include <string>

namespace {

using mcp::json;

/// Swallows side messages (progress, logs): we measure the server, not a transport.
class NullChannel final : public mcp::Channel {
  public:
    bool send(const json&) override { return true; }
    bool open() const override { return true; }
};

/// The no-op tool's input schema: the shape of get_server_status (two optional properties).
json noop_schema() {
    return json::parse(R"({
      "type": "object",
      "properties": {
        "checkConnection": {"type": "boolean", "default": true},
        "locationId": {"type": "string", "minLength": 1, "maxLength": 64}
      },
      "additionalProperties": false
    })");
}

/// A realistic CRM tool schema (nested objects, arrays, enums, patterns), for tools/list and
/// validation.
json contact_schema() {
    return json::parse(R"({
      "type": "object",
      "properties": {
        "locationId": {"type": "string", "minLength": 1, "maxLength": 64},
        "firstName": {"type": "string", "maxLength": 100},
        "lastName": {"type": "string", "maxLength": 100},
        "email": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+$"},
        "phone": {"type": "string", "pattern": "^\\+?[0-9 ()-]{5,20}$"},
        "tags": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 50},
        "source": {"type": "string", "enum": ["api", "form", "import", "chat"]},
        "address": {
          "type": "object",
          "properties": {
            "line1": {"type": "string"}, "city": {"type": "string"},
            "postalCode": {"type": "string"}, "country": {"type": "string", "minLength": 2, "maxLength": 2}
          },
          "additionalProperties": false
        },
        "customFields": {
          "type": "array",
          "items": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "value": {"type": ["string", "number", "boolean"]}},
            "required": ["id", "value"]
          }
        },
        "dnd": {"type": "boolean"}
      },
      "required": ["firstName"],
      "additionalProperties": false
    })");
}

/// One server with the no-op tool plus `extra` CRM-shaped tools (for tools/list page sizes).
struct Fixture {
    std::shared_ptr<mcp::Registry> registry = std::make_shared<mcp::Registry>();
    std::unique_ptr<mcp::Server> server;
    std::shared_ptr<mcp::Session> session = std::make_shared<mcp::Session>("bench");
    std::shared_ptr<NullChannel> channel = std::make_shared<NullChannel>();

    explicit Fixture(int extra) {
        registry->add_tool(
            {{"name", "noop"}, {"description", "Does nothing"}, {"inputSchema", noop_schema()}},
            [](const json&, mcp::ToolContext&) { return mcp::ToolResult::text("ok"); });
        for (int i = 0; i < extra; ++i)
            registry->add_tool(
                {{"name", "create_contact_" + std::to_string(i)},
                 {"title", "Create contact"},
                 {"description", "Creates a contact in the sub-account. Returns its id."},
                 {"inputSchema", contact_schema()},
                 {"annotations", {{"readOnlyHint", false}, {"idempotentHint", false}}}},
                [](const json&, mcp::ToolContext&) { return mcp::ToolResult::text("ok"); });
        mcp::ServerOptions options;
        options.name = "bench";
        options.version = "1.0.0";
        options.page_size = 100;
        server = std::make_unique<mcp::Server>(options, registry);
        mcp::Incoming in = legacy();
        server->handle(json::parse(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
            "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}})"),
                       in);
        server->handle(json::parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"),
                       in);
    }
    /// What the stdio transport passes: the process's session, no HTTP headers.
    mcp::Incoming legacy() const {
        return mcp::Incoming{session, channel, nullptr, {}, std::nullopt};
    }
};

Fixture& fixture(int extra = 0) {
    static Fixture one(0);
    static Fixture fifty(49);
    return extra == 0 ? one : fifty;
}

const char* kToolsCallLegacy =
    R"({"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"noop","arguments":{"checkConnection":false}}})";
const char* kToolsCallModern =
    R"({"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"noop","arguments":{"checkConnection":false},)"
    R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},)"
    R"("io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}}})";
const char* kInitialize =
    R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{"roots":{"listChanged":true},"sampling":{},"elicitation":{"form":{},"url":{}}},)"
    R"("clientInfo":{"name":"claude-ai","title":"Claude","version":"0.1.0"}}})";

/// The headers a 2026-07-28 Streamable HTTP client sends with a tools/call (lower-cased).
const mcp::HeaderMap& modern_headers() {
    static const mcp::HeaderMap h{{"mcp-protocol-version", "2026-07-28"},
                                  {"mcp-method", "tools/call"},
                                  {"mcp-name", "noop"},
                                  {"content-type", "application/json"},
                                  {"accept", "application/json, text/event-stream"}};
    return h;
}

// --- JSON-RPC parse and serialize ----------------------------------------------------------

void BM_ParseToolsCall(benchmark::State& state) {
    const std::string text = kToolsCallLegacy;
    for (auto _ : state) {
        json j = json::parse(text);
        benchmark::DoNotOptimize(j);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseToolsCall);

void BM_ParseToolsCallModern(benchmark::State& state) {
    const std::string text = kToolsCallModern;
    for (auto _ : state) {
        json j = json::parse(text);
        benchmark::DoNotOptimize(j);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseToolsCallModern);

void BM_ParseInitialize(benchmark::State& state) {
    const std::string text = kInitialize;
    for (auto _ : state) {
        json j = json::parse(text);
        benchmark::DoNotOptimize(j);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseInitialize);

void BM_SerializeToolResult(benchmark::State& state) {
    const json response = mcp::make_result(
        42, {{"content", json::array({{{"type", "text"}, {"text", "ok"}}})}, {"isError", false}});
    for (auto _ : state) {
        std::string s = mcp::dump_line(response);
        benchmark::DoNotOptimize(s);
    }
}
BENCHMARK(BM_SerializeToolResult);

// --- Server::handle on parsed messages -----------------------------------------------------

void BM_HandlePing(benchmark::State& state) {
    auto& f = fixture();
    const json msg = json::parse(R"({"jsonrpc":"2.0","id":7,"method":"ping"})");
    const mcp::Incoming in = f.legacy();
    for (auto _ : state) {
        auto out = f.server->handle(msg, in);
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(BM_HandlePing);

void BM_HandleToolsList(benchmark::State& state) {
    auto& f = fixture(static_cast<int>(state.range(0)) - 1);
    const json msg = json::parse(R"({"jsonrpc":"2.0","id":7,"method":"tools/list"})");
    const mcp::Incoming in = f.legacy();
    for (auto _ : state) {
        auto out = f.server->handle(msg, in);
        benchmark::DoNotOptimize(out);
    }
    state.counters["tools"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_HandleToolsList)->Arg(1)->Arg(50);

void BM_HandleToolsCallLegacy(benchmark::State& state) {
    auto& f = fixture();
    const json msg = json::parse(kToolsCallLegacy);
    const mcp::Incoming in = f.legacy();
    for (auto _ : state) {
        auto out = f.server->handle(msg, in);
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(BM_HandleToolsCallLegacy);

/// Stateless 2026-07-28 over Streamable HTTP: no session, header/body agreement checked.
void BM_HandleToolsCallModernHttp(benchmark::State& state) {
    auto& f = fixture();
    const json msg = json::parse(kToolsCallModern);
    const mcp::Incoming in{nullptr, f.channel, &modern_headers(), {}, true};
    for (auto _ : state) {
        auto out = f.server->handle(msg, in);
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(BM_HandleToolsCallModernHttp)->ThreadRange(1, 2)->UseRealTime();

/// Stateless 2026-07-28 over stdio: the connection's session is the cancellation scope.
void BM_HandleToolsCallModernStdio(benchmark::State& state) {
    auto& f = fixture();
    const json msg = json::parse(kToolsCallModern);
    const mcp::Incoming in = f.legacy();
    for (auto _ : state) {
        auto out = f.server->handle(msg, in);
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(BM_HandleToolsCallModernStdio);

// --- the whole per-message path of a transport: text in, text out -------------------------

void BM_RoundTripTextLegacy(benchmark::State& state) {
    auto& f = fixture();
    const std::string text = kToolsCallLegacy;
    const mcp::Incoming in = f.legacy();
    for (auto _ : state) {
        auto out = f.server->handle_text(text, in);
        std::string line = mcp::dump_line(*out.response);
        benchmark::DoNotOptimize(line);
    }
}
BENCHMARK(BM_RoundTripTextLegacy);

void BM_RoundTripTextModernHttp(benchmark::State& state) {
    auto& f = fixture();
    const std::string text = kToolsCallModern;
    const mcp::Incoming in{nullptr, f.channel, &modern_headers(), {}, true};
    for (auto _ : state) {
        auto out = f.server->handle_text(text, in);
        std::string line = mcp::dump_line(*out.response);
        benchmark::DoNotOptimize(line);
    }
}
BENCHMARK(BM_RoundTripTextModernHttp);

// --- schema validation of arguments --------------------------------------------------------

void BM_ValidateNoopArgs(benchmark::State& state) {
    const mcp::SchemaValidator v(noop_schema());
    const json args = {{"checkConnection", false}};
    for (auto _ : state) {
        auto problems = v.validate(args);
        benchmark::DoNotOptimize(problems);
    }
}
BENCHMARK(BM_ValidateNoopArgs);

void BM_ValidateContactArgs(benchmark::State& state) {
    const mcp::SchemaValidator v(contact_schema());
    const json args = json::parse(R"({
      "locationId": "ve9EPM428h8vShlRW1KT", "firstName": "Jane", "lastName": "Doe",
      "email": "jane@example.com", "phone": "+1 555 123 4567", "tags": ["vip", "lead", "2026"],
      "source": "api", "address": {"line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"},
      "customFields": [{"id": "cf1", "value": "gold"}, {"id": "cf2", "value": 3}], "dnd": false})");
    for (auto _ : state) {
        auto problems = v.validate(args);
        benchmark::DoNotOptimize(problems);
    }
}
BENCHMARK(BM_ValidateContactArgs);

/// The same schema and arguments without the two `pattern` keywords: the difference is the
/// cost of compiling std::regex on every validate() (valijson caches compiled patterns per
/// valijson::Validator, and SchemaValidator::validate makes a new one per call).
void BM_ValidateContactArgsNoPattern(benchmark::State& state) {
    json schema = contact_schema();
    schema["properties"]["email"].erase("pattern");
    schema["properties"]["phone"].erase("pattern");
    const mcp::SchemaValidator v(schema);
    const json args = json::parse(R"({
      "locationId": "ve9EPM428h8vShlRW1KT", "firstName": "Jane", "lastName": "Doe",
      "email": "jane@example.com", "phone": "+1 555 123 4567", "tags": ["vip", "lead", "2026"],
      "source": "api", "address": {"line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"},
      "customFields": [{"id": "cf1", "value": "gold"}, {"id": "cf2", "value": 3}], "dnd": false})");
    for (auto _ : state) {
        auto problems = v.validate(args);
        benchmark::DoNotOptimize(problems);
    }
}
BENCHMARK(BM_ValidateContactArgsNoPattern);

void BM_ValidateContactArgsInvalid(benchmark::State& state) {
    const mcp::SchemaValidator v(contact_schema());
    const json args = json::parse(
        R"({"lastName": 5, "email": "not-an-email", "source": "fax", "tags": [""], "extra": true})");
    for (auto _ : state) {
        auto problems = v.validate(args);
        benchmark::DoNotOptimize(problems);
    }
}
BENCHMARK(BM_ValidateContactArgsInvalid);

}  // namespace

BENCHMARK_MAIN();
