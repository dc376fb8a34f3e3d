// The Claude Desktop extension bundle, end to end with the official MCPB CLI (@anthropic-ai/mcpb,
// pinned in packaging/mcpb/package-lock.json):
//   1. packaging/mcpb/build-mcpb.mjs builds the bundle from the given binary (what `make mcpb` runs);
//   2. `mcpb validate` accepts its manifest, and rejects a copy without an author (so the
//      validator really ran);
//   3. `mcpb info` reads the bundle, `mcpb unpack` restores it with the binary still executable;
//   4. the unpacked server runs the way Claude Desktop runs it: ${__dirname} and ${user_config.*}
//      substituted into mcp_config, JSON-RPC over stdio; read_only=true offers only read tools,
//      read_only=false offers every tool the manifest lists;
//   5. the registry entry written next to it carries the bundle's real SHA-256 and version.
//
// usage: node mcpb_test.mjs GHL_MCP_BINARY SOURCE_DIR WORK_DIR
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const [binary, src, work] = process.argv.slice(2);
const mcpbCli = join(src, 'packaging/mcpb/node_modules/@anthropic-ai/mcpb/dist/cli/cli.js');
if (!existsSync(mcpbCli)) {
  console.error(`${mcpbCli} is missing: run \`make node\` (scripts/node-setup.sh) first`);
  process.exit(1);
}
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const env = { ...process.env, ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? ''}:detect_leaks=0` };
const mcpb = (...args) => spawnSync(process.execPath, [mcpbCli, ...args], { encoding: 'utf8', env });

// 1. build
execFileSync(process.execPath, [join(src, 'packaging/mcpb/build-mcpb.mjs'), '--binary', binary, '--out', work],
  { stdio: 'inherit', env });
const version = execFileSync(binary, ['--version'], { encoding: 'utf8', env }).trim().replace(/^ghl-mcp /, '');
const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch] ?? process.arch;
const bundle = join(work, `ghl-mcp-${version}-linux-${arch}.mcpb`);
assert.ok(existsSync(bundle), `no bundle at ${bundle}`);

// 2. validate, and a negative control
const staged = join(work, 'mcpb-stage', 'manifest.json');
let r = mcpb('validate', staged);
assert.equal(r.status, 0, `mcpb validate failed:\n${r.stdout}${r.stderr}`);
assert.match(r.stdout, /Manifest schema validation passes/);
const manifest = JSON.parse(readFileSync(staged, 'utf8'));
const broken = structuredClone(manifest);
delete broken.author;
mkdirSync(join(work, 'broken'), { recursive: true });
writeFileSync(join(work, 'broken', 'manifest.json'), JSON.stringify(broken));
r = mcpb('validate', join(work, 'broken', 'manifest.json'));
assert.notEqual(r.status, 0, 'mcpb validate accepted a manifest without author');
assert.match(r.stdout + r.stderr, /author/);
assert.equal(manifest.version, version);
assert.deepEqual(manifest.compatibility.platforms, ['linux']);
assert.equal(manifest.user_config.private_integration_token.sensitive, true);

// 3. info and unpack
r = mcpb('info', bundle);
assert.equal(r.status, 0, `mcpb info failed:\n${r.stdout}${r.stderr}`);
const unpacked = join(work, 'unpacked');
r = mcpb('unpack', bundle, unpacked);
assert.equal(r.status, 0, `mcpb unpack failed:\n${r.stdout}${r.stderr}`);
assert.deepEqual(JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8')), manifest);
const server = join(unpacked, manifest.server.entry_point);
assert.ok(statSync(server).mode & 0o100, 'server/ghl-mcp lost its executable bit in the bundle');
assert.equal(execFileSync(server, ['--version'], { encoding: 'utf8', env }).trim(), `ghl-mcp ${version}`);

// 4. run it as Claude Desktop would
function substitute(value, userConfig) {
  return value
    .replaceAll('${__dirname}', unpacked)
    .replace(/\$\{user_config\.(\w+)\}/g, (_, k) => String(userConfig[k]));
}
function listTools(userConfig) {
  const c = manifest.server.mcp_config;
  const childEnv = { ...env };
  for (const k of Object.keys(childEnv)) if (k.startsWith('GHL_')) delete childEnv[k];
  for (const [k, v] of Object.entries(c.env)) childEnv[k] = substitute(v, userConfig);
  childEnv.GHL_BASE_URL = 'http://127.0.0.1:9';  // never reach the real GHL from a test
  return new Promise((resolve, reject) => {
    const child = spawn(substitute(c.command, userConfig), c.args.map((a) => substitute(a, userConfig)),
      { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timeout: ${err}`)); }, 20000);
    child.stdout.on('data', (b) => {
      out += b;
      const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const list = lines.find((m) => m.id === 2);
      if (list) {
        clearTimeout(timer);
        child.stdin.end();
        resolve(list.result.tools);
      }
    });
    child.stderr.on('data', (b) => (err += b));
    child.on('exit', (code) => reject(new Error(`server exited ${code} before tools/list: ${err}`)));
    const send = (m) => child.stdin.write(JSON.stringify(m) + '\n');
    send({ jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mcpb-test', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
  });
}
const config = { private_integration_token: 'pit-00000000-0000-0000-0000-000000000000', location_id: 'test-location' };
const all = await listTools({ ...config, read_only: false });
const names = new Set(all.map((t) => t.name));
for (const t of manifest.tools) assert.ok(names.has(t.name), `manifest lists ${t.name}, the server does not offer it`);
assert.ok(all.some((t) => !t.annotations?.readOnlyHint), 'read_only=false should offer write tools');
const readOnly = await listTools({ ...config, read_only: true });
assert.ok(readOnly.length > 0 && readOnly.length < all.length, 'read_only=true should offer fewer tools');
for (const t of readOnly) assert.equal(t.annotations?.readOnlyHint, true, `${t.name} offered with read_only=true`);

// 5. registry entry
const entry = JSON.parse(readFileSync(join(work, `ghl-mcp-${version}.server.json`), 'utf8'));
const sha = createHash('sha256').update(readFileSync(bundle)).digest('hex');
const pkg = entry.packages.find((p) => p.registryType === 'mcpb');
assert.equal(pkg.fileSha256, sha, 'server.json fileSha256 is not the bundle\'s');
assert.ok(pkg.identifier.endsWith(`/v${version}/ghl-mcp-${version}-linux-${arch}.mcpb`), pkg.identifier);
assert.equal(entry.version, version);

rmSync(work, { recursive: true, force: true });
console.log(`mcpb: bundle ${version} (${manifest.tools.length} tools) validated, unpacked and run; ` +
  `read-only offers ${readOnly.length} of ${all.length} tools`);
