#!/usr/bin/env node
// The scripted client of the README quick start: connects to the server `make run` started (the
// official TypeScript SDK, Streamable HTTP), lists the tools, finds a calendar and asks it for free
// slots, then closes. Exit code 0 when everything worked.
//
//   GHL_NODE_MODULES=tests/conformance/node_modules node client.mjs http://127.0.0.1:8787/mcp
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// The SDK pinned for the conformance tests (tests/conformance/node_modules, `make node`).
const modules = process.env.GHL_NODE_MODULES;
if (!modules) {
  console.error('set GHL_NODE_MODULES to tests/conformance/node_modules');
  process.exit(2);
}
const sdk = async (name) => import(pathToFileURL(createRequire(`${modules}/`).resolve(name)).href);
const { Client } = await sdk('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = await sdk('@modelcontextprotocol/sdk/client/streamableHttp.js');

const url = process.argv[2];
if (!url) {
  console.error('usage: node client.mjs MCP_URL');
  process.exit(2);
}

const client = new Client({ name: 'quickstart', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
const info = client.getServerVersion();
assert.equal(info.name, 'ghl-mcp');
assert.match(info.title ?? '', /SANDBOX/, 'make run serves the sandbox and says so');

const { tools } = await client.listTools();
const names = tools.map((t) => t.name);
for (const expected of ['get_free_slots', 'list_calendars', 'book_appointment', 'search_contacts'])
  assert.ok(names.includes(expected), `${expected} is listed (got ${names.join(', ')})`);
console.log(`listed ${tools.length} tools`);

const calendars = await client.callTool({ name: 'list_calendars', arguments: {} });
assert.ok(!calendars.isError, JSON.stringify(calendars));
const calendar = calendars.structuredContent.calendars.find((c) => c.id);
assert.ok(calendar, 'the sandbox has a calendar');

const start = new Date(Date.now() + 24 * 3600 * 1000);
const end = new Date(start.getTime() + 7 * 24 * 3600 * 1000);
const day = (d) => d.toISOString().slice(0, 10);
const slots = await client.callTool({
  name: 'get_free_slots',
  arguments: { calendarId: calendar.id, startDate: day(start), endDate: day(end) },
});
assert.ok(!slots.isError, JSON.stringify(slots));
const out = slots.structuredContent;
assert.ok(Array.isArray(out.slots) && out.slots.length > 0, `free slots in the next week: ${JSON.stringify(out)}`);
assert.equal(out.count, out.slots.length);
console.log(`get_free_slots: ${out.count} free slots on "${calendar.name}" from ${day(start)} to ${day(end)} (${out.timezone})`);
await client.close();
