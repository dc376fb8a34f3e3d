#!/usr/bin/env node
// Builds the Claude Desktop extension bundle (.mcpb) of ghl-mcp with the official MCPB CLI:
//   manifest.json  from manifest.template.json, with the version (`ghl-mcp --version`) and the
//                  tools a default configuration offers (`ghl-mcp tools --json`) filled in;
//   server/ghl-mcp the given binary, stripped;
// validated (`mcpb validate`) and packed (`mcpb pack`) into
// OUT/ghl-mcp-<version>-linux-<arch>.mcpb, plus OUT/ghl-mcp-<version>.server.json: the MCP registry
// entry (examples/server.json) pointing at that bundle with its real SHA-256.
//
// usage: node build-mcpb.mjs --binary PATH --out DIR
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const mcpbCli = join(here, 'node_modules/@anthropic-ai/mcpb/dist/cli/cli.js');

function arg(name) {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error(`usage: build-mcpb.mjs --binary PATH --out DIR (missing ${name})`);
    process.exit(2);
  }
  return process.argv[i + 1];
}
const binary = resolve(arg('--binary'));
const out = resolve(arg('--out'));

// The binary's view of itself, without credentials from the caller's environment (so the tool
// list is what a fresh default configuration offers) and without ASan's leak report on exit.
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith('GHL_')));
cleanEnv.ASAN_OPTIONS = 'detect_leaks=0';
const run = (args) => execFileSync(binary, args, { env: cleanEnv, encoding: 'utf8' });

const versionLine = run(['--version']).trim();
const version = /^ghl-mcp (\S+)$/.exec(versionLine)?.[1];
if (!version) throw new Error(`unexpected --version output: ${versionLine}`);

const listed = JSON.parse(run(['--sandbox', 'tools', '--json']));
const tools = (Array.isArray(listed) ? listed : listed.tools).map((t) => ({
  name: t.name,
  description: t.description,
}));
if (tools.length === 0) throw new Error('ghl-mcp tools --json listed no tools');

const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch] ?? process.arch;
const bundleName = `ghl-mcp-${version}-linux-${arch}.mcpb`;

// Stage: manifest.json + server/ghl-mcp.
const stage = join(out, 'mcpb-stage');
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'server'), { recursive: true });
const manifest = JSON.parse(readFileSync(join(here, 'manifest.template.json'), 'utf8'));
manifest.version = version;
manifest.tools = tools;
writeFileSync(join(stage, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
const staged = join(stage, 'server', 'ghl-mcp');
copyFileSync(binary, staged);
execFileSync('strip', ['--strip-unneeded', staged]);
chmodSync(staged, 0o755);

const mcpb = (...args) => execFileSync(process.execPath, [mcpbCli, ...args], { stdio: 'inherit' });
mcpb('validate', join(stage, 'manifest.json'));
const bundle = join(out, bundleName);
rmSync(bundle, { force: true });
mcpb('pack', stage, bundle);

// Registry entry for this exact bundle.
const sha256 = createHash('sha256').update(readFileSync(bundle)).digest('hex');
const server = JSON.parse(readFileSync(join(root, 'examples/server.json'), 'utf8'));
server.version = version;
for (const p of server.packages.filter((p) => p.registryType === 'mcpb')) {
  p.version = version;
  p.identifier = p.identifier.replace(/\/download\/v[^/]+\/[^/]+$/, `/download/v${version}/${bundleName}`);
  p.fileSha256 = sha256;
}
const serverJson = join(out, `ghl-mcp-${version}.server.json`);
writeFileSync(serverJson, JSON.stringify(server, null, 2) + '\n');
console.log(`mcpb: ${bundle}\nmcpb: sha256 ${sha256}\nmcpb: ${serverJson}`);
