#!/usr/bin/env node
// The official TypeScript SDK clients (v1 @modelcontextprotocol/sdk, v2 @modelcontextprotocol/client)
// against ghl-mcp over stdio, Streamable HTTP (both eras) and legacy HTTP+SSE: connect, list
// tools, call one, get an actionable error for bad arguments, close.
//
//   node sdk-clients.mjs /path/to/ghl-mcp [extra ghl-mcp args, e.g. --sandbox]
//
// Exit code 0 when every case passed; the failing cases are printed otherwise.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';

const [binary, ...extra] = process.argv.slice(2);
if (!binary) {
  console.error('usage: node sdk-clients.mjs GHL_MCP_BINARY [args...]');
  process.exit(2);
}

const v1 = {
  Client: (await import('@modelcontextprotocol/sdk/client/index.js')).Client,
  Stdio: (await import('@modelcontextprotocol/sdk/client/stdio.js')).StdioClientTransport,
  Http: (await import('@modelcontextprotocol/sdk/client/streamableHttp.js')).StreamableHTTPClientTransport,
  Sse: (await import('@modelcontextprotocol/sdk/client/sse.js')).SSEClientTransport,
};
const v2main = await import('@modelcontextprotocol/client');
const v2 = {
  Client: v2main.Client,
  Stdio: (await import('@modelcontextprotocol/client/stdio')).StdioClientTransport,
  Http: v2main.StreamableHTTPClientTransport,
  Sse: v2main.SSEClientTransport,
};

function startHttp() {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...extra, 'serve', '--http', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${err}`)), 10000);
    child.stderr.on('data', (b) => {
      err += b;
      const m = err.match(/http:\/\/[^\s]+\/mcp/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[0] });
      }
    });
    child.on('exit', (code) => reject(new Error(`ghl-mcp exited ${code}: ${err}`)));
  });
}

async function exercise(sdk, transport, clientOptions, label) {
  const client = new sdk.Client({ name: `sdk-clients-${label}`, version: '1.0.0' }, clientOptions);
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    const status = tools.find((t) => t.name === 'get_server_status');
    assert.ok(status, `get_server_status not listed (got ${tools.map((t) => t.name).join(', ')})`);
    assert.equal(status.annotations?.readOnlyHint, true);
    assert.equal(status.outputSchema?.type, 'object');
    const r = await client.callTool({ name: 'get_server_status', arguments: {} });
    assert.notEqual(r.isError, true, JSON.stringify(r));
    assert.equal(r.structuredContent?.server?.name, 'ghl-mcp', JSON.stringify(r));
    assert.ok(['live', 'sandbox'].includes(r.structuredContent.mode));
    if (extra.includes('--sandbox')) {
      // The call went through the real GHL client to the embedded simulator and back.
      assert.equal(r.structuredContent.mode, 'sandbox');
      assert.equal(r.structuredContent.connection.ok, true, JSON.stringify(r.structuredContent.connection));
      assert.ok(r.structuredContent.connection.locationName, 'the sandbox sub-account has a name');
      assert.ok(r.structuredContent.ghlApi.requests >= 1);
    }
    assert.equal(r.content?.[0]?.type, 'text');
    assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent);
    const bad = await client.callTool({ name: 'get_server_status', arguments: { bogus: 1 } });
    assert.equal(bad.isError, true, 'bad arguments must give isError');
    assert.match(bad.content[0].text, /unknown property 'bogus'/);
  } finally {
    await client.close();
  }
}

const http = await startHttp();
const stdioParams = { command: binary, args: [...extra, 'serve', '--stdio'], env: process.env, stderr: 'ignore' };
const cases = [
  ['v1 stdio', () => exercise(v1, new v1.Stdio(stdioParams), { capabilities: {} }, 'v1-stdio')],
  ['v1 streamable http', () => exercise(v1, new v1.Http(new URL(http.url)), { capabilities: {} }, 'v1-http')],
  ['v1 legacy sse', () => exercise(v1, new v1.Sse(new URL(http.url.replace(/\/mcp$/, '/sse'))), { capabilities: {} }, 'v1-sse')],
  ['v2 stdio (auto era)', () => exercise(v2, new v2.Stdio(stdioParams), { capabilities: {}, versionNegotiation: { mode: 'auto' } }, 'v2-stdio')],
  ['v2 stdio (legacy era)', () => exercise(v2, new v2.Stdio(stdioParams), { capabilities: {}, versionNegotiation: { mode: 'legacy' } }, 'v2-stdio-legacy')],
  ['v2 streamable http (auto era)', () => exercise(v2, new v2.Http(new URL(http.url)), { capabilities: {}, versionNegotiation: { mode: 'auto' } }, 'v2-http')],
  ['v2 streamable http (2026-07-28)', () => exercise(v2, new v2.Http(new URL(http.url)), { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } }, 'v2-http-2026')],
  ['v2 streamable http (legacy era)', () => exercise(v2, new v2.Http(new URL(http.url)), { capabilities: {}, versionNegotiation: { mode: 'legacy' } }, 'v2-http-legacy')],
];
let failed = 0;
for (const [name, run] of cases) {
  try {
    await run();
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  }
}
http.child.kill('SIGTERM');
console.log(failed ? `${failed} of ${cases.length} failed` : `all ${cases.length} passed`);
process.exit(failed ? 1 : 0);
