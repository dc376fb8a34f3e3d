// The official TypeScript SDK's own server path, minimal: McpServer + StreamableHTTPServerTransport
// (the stateful, Mcp-Session-Id pattern of the SDK README) or StdioServerTransport, one no-op
// tool `noop` whose input schema mirrors get_server_status ({checkConnection?: boolean}).
// No express, no logging: the leanest a TypeScript MCP server gets, for scripts/bench.sh.
//
//   node ts-sdk-server.mjs http [PORT]   # prints "listening on http://127.0.0.1:PORT/mcp" on stderr
//   node ts-sdk-server.mjs stdio
//
// The SDK and zod come from tests/conformance/node_modules (pinned by its package-lock.json),
// or from MCP_BENCH_NODE_MODULES.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeModules =
  process.env.MCP_BENCH_NODE_MODULES || path.resolve(here, '../../tests/conformance/node_modules');
const require = createRequire(path.join(nodeModules, 'resolve-from-here.js'));
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const { isInitializeRequest } = require('@modelcontextprotocol/sdk/types.js');
const { z } = require('zod');

function newServer() {
  const server = new McpServer({ name: 'ts-sdk-bench', version: '1.0.0' });
  server.registerTool(
    'noop',
    { description: 'Does nothing', inputSchema: { checkConnection: z.boolean().optional() } },
    async () => ({ content: [{ type: 'text', text: 'ok' }] }),
  );
  return server;
}

const mode = process.argv[2] || 'http';
if (mode === 'stdio') {
  await newServer().connect(new StdioServerTransport());
} else {
  const port = Number(process.argv[3] || 0);
  const transports = new Map();
  const fail = (res, status, message) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
  };
  const httpServer = http.createServer(async (req, res) => {
    try {
      if (new URL(req.url, 'http://x').pathname !== '/mcp') return fail(res, 404, 'Not found');
      let body;
      if (req.method === 'POST') {
        const chunks = [];
        for await (const c of req) chunks.push(c);
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      }
      const sid = req.headers['mcp-session-id'];
      let transport = sid ? transports.get(sid) : undefined;
      if (!transport) {
        if (sid) return fail(res, 404, 'Session not found');
        if (req.method !== 'POST' || !isInitializeRequest(body))
          return fail(res, 400, 'Bad Request: No valid session ID provided');
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => transports.set(id, transport),
        });
        transport.onclose = () => {
          if (transport.sessionId) transports.delete(transport.sessionId);
        };
        await newServer().connect(transport);
      }
      await transport.handleRequest(req, res, body);
    } catch (e) {
      if (!res.headersSent) fail(res, 500, String(e));
    }
  });
  httpServer.listen(port, '127.0.0.1', () => {
    console.error(`ts-sdk-server listening on http://127.0.0.1:${httpServer.address().port}/mcp`);
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}
