// Every client configuration we ship or document, checked against the binary it configures:
//   claude_desktop_config.example.json, examples/*.json (Claude Code, Cursor, VS Code, remote HTTP
//   through mcp-remote, the MCP registry server.json), the MCPB manifest template, the systemd
//   unit's ExecStart, and the `claude mcp add` / MCP Inspector command lines in the README.
// Static part: each command line runs ghl-mcp with a subcommand and flags that exist in
// `ghl-mcp --help` / `ghl-mcp <sub> --help` (values where the flag takes one, nothing left over),
// stdio entries do not ask for --http, environment variables are ones the help names, remote
// entries point at /mcp (or /sse) with an `Authorization: Bearer` header, and every secret is a
// placeholder or a reference, never a value.
// Live part: the sandbox entries run through the official MCP Inspector CLI (pinned), and the
// remote-HTTP header form is accepted by `ghl-mcp serve --http` with an API key and refused
// without it.
//
// usage: node client_configs.mjs GHL_MCP_BINARY SOURCE_DIR
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

const [binary, src] = process.argv.slice(2);
if (!binary || !src) {
  console.error('usage: client_configs.mjs GHL_MCP_BINARY SOURCE_DIR');
  process.exit(2);
}
const inspectorCli = join(src, 'tests/conformance/node_modules/@modelcontextprotocol/inspector-cli/build/cli.js');

const failures = [];
let checks = 0;
function check(ok, where, message) {
  checks++;
  if (!ok) failures.push(`${where}: ${message}`);
  return ok;
}

// ---- the binary's own description of its command line -----------------------------------------
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GHL_')));
cleanEnv.ASAN_OPTIONS = `${process.env.ASAN_OPTIONS ?? ''}:detect_leaks=0`;

function parseHelp(text) {
  const options = new Map();  // --name -> takes a value
  const subcommands = new Set();
  let section = '';
  for (const line of text.split('\n')) {
    if (/^\S.*:$/.test(line)) {
      section = line;
      continue;
    }
    if (section === 'Options:') {
      const m = /^ {2}(?:-\w,)?(--[A-Za-z0-9][\w-]*)(.*)$/.exec(line);
      if (m) options.set(m[1], /^ [A-Z]{2,}/.test(m[2]));  // " TEXT", " FLOAT:..."; not " Excludes:"
    } else if (section === 'Subcommands:') {
      const m = /^ {2}([a-z][\w-]*)(?: {2,}.*)?$/.exec(line);
      if (m) subcommands.add(m[1]);
    }
  }
  return { text, options, subcommands };
}
const helpCache = new Map();
function help(path) {
  const key = path.join(' ');
  if (!helpCache.has(key)) {
    helpCache.set(key, parseHelp(execFileSync(binary, [...path, '--help'], { env: cleanEnv, encoding: 'utf8' })));
  }
  return helpCache.get(key);
}
const root = help([]);
if (!root.options.has('--sandbox') || !root.subcommands.has('serve') || !help(['serve']).options.has('--http')) {
  console.error(`could not read ghl-mcp's help (no --sandbox, serve or serve --http):\n${root.text}`);
  process.exit(1);
}
// Every help text, for "is this environment variable one ghl-mcp documents".
function allHelp(path = []) {
  const h = help(path);
  return [h.text, ...[...h.subcommands].map((s) => allHelp([...path, s]))].join('\n');
}
const helpText = allHelp();
const version = execFileSync(binary, ['--version'], { env: cleanEnv, encoding: 'utf8' }).trim().replace(/^ghl-mcp /, '');

// Walks ghl-mcp's argv like CLI11 does (subcommands, options of the current command or, through
// fallthrough, of any parent). Returns the subcommand path and the options seen.
function checkArgs(where, args) {
  const path = [];
  const seen = new Map();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-')) {
      const [name, inline] = a.split(/=(.*)/s);
      let takesValue;
      for (let depth = path.length; depth >= 0 && takesValue === undefined; depth--) {
        takesValue = help(path.slice(0, depth)).options.get(name);
      }
      if (!check(takesValue !== undefined, where, `ghl-mcp ${path.join(' ')} has no option ${name}`)) continue;
      let value = inline;
      if (takesValue && inline === undefined) {
        value = args[++i];
        check(value !== undefined && !value.startsWith('--'), where, `${name} needs a value`);
      }
      if (!takesValue) check(inline === undefined, where, `${name} is a flag and takes no value`);
      seen.set(name, value ?? true);
    } else if (help(path).subcommands.has(a)) {
      path.push(a);
    } else {
      check(false, where, `unexpected argument "${a}" for ghl-mcp ${path.join(' ')}`);
    }
  }
  return { path, seen };
}

// A stdio server entry that starts ghl-mcp: the path names the binary and the arguments serve MCP
// on stdin/stdout.
function checkStdioCommand(where, command, args) {
  check(typeof command === 'string' && /(^|\/)ghl-mcp$/.test(command), where, `command ${command} is not ghl-mcp`);
  check(command.startsWith('/') || command.startsWith('${__dirname}/'), where,
    `command ${command} is not an absolute path (desktop clients do not search PATH reliably)`);
  const { path, seen } = checkArgs(where, args ?? []);
  check(path.join(' ') === 'serve', where, `runs "ghl-mcp ${path.join(' ')}", not "ghl-mcp serve"`);
  check(!seen.has('--http'), where, 'a stdio client entry must not serve --http');
}

const isPlaceholder = (v) => /\$\{[^}]+\}|\$[A-Z_]+|<[^>]+>|x{6,}/.test(v);
function checkEnv(where, env, { ours = true } = {}) {
  for (const [k, v] of Object.entries(env ?? {})) {
    if (ours) check(helpText.includes(k), where, `environment variable ${k} is not named in ghl-mcp --help`);
    check(typeof v === 'string', where, `${k} is not a string`);
    if (/TOKEN|SECRET|KEY|AUTH/.test(k)) check(isPlaceholder(v), where, `${k} holds a value, not a placeholder`);
  }
}

function checkUrl(where, url) {
  let u;
  try {
    u = new URL(url.replace(/\{(\w+)\}/g, 'placeholder-$1'));
  } catch {
    return check(false, where, `bad URL ${url}`);
  }
  check(u.pathname === '/mcp' || u.pathname === '/sse', where, `URL ${url} is not the /mcp (or /sse) endpoint`);
  check(u.protocol === 'https:' || ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname), where,
    `remote URL ${url} is plain HTTP to another host (API keys would cross the network in clear)`);
}
function checkBearer(where, value) {
  check(/^Bearer \S+$/.test(value ?? ''), where, `Authorization is "${value}", not "Bearer <key>"`);
  if (value) check(isPlaceholder(value), where, 'Authorization holds a key, not a placeholder');
}

// mcpServers (Claude Desktop, Claude Code .mcp.json, Cursor) and servers (VS Code) entries.
function checkServers(file, servers, { vscode = false, inputs = [] } = {}) {
  check(servers && Object.keys(servers).length > 0, file, 'no servers');
  for (const [name, s] of Object.entries(servers ?? {})) {
    const where = `${file} ${name}`;
    if (vscode) {
      const refs = JSON.stringify(s).match(/\$\{input:[^}]+\}/g) ?? [];
      for (const r of refs) {
        const input = inputs.find((i) => `\${input:${i.id}}` === r);
        check(input, where, `${r} has no entry in "inputs"`);
      }
    }
    if (s.url) {
      if (vscode || s.type) check(['http', 'sse'].includes(s.type), where, `remote entry has type ${s.type}`);
      checkUrl(where, s.url);
      checkBearer(where, s.headers?.Authorization);
    } else if (basename(s.command ?? '') === 'npx') {
      // Claude Desktop cannot send a static bearer token itself: the mcp-remote bridge does.
      const args = s.args ?? [];
      check(args.includes('mcp-remote'), where, 'npx entry is not mcp-remote');
      const url = args.find((a) => /^https?:\/\//.test(a));
      check(url, where, 'mcp-remote entry has no URL');
      if (url) checkUrl(where, url);
      const header = args[args.indexOf('--header') + 1] ?? '';
      const m = /^Authorization:\$\{(\w+)\}$/.exec(header);
      if (check(m, where, `--header is "${header}", not Authorization:\${VAR}`)) checkBearer(where, s.env?.[m[1]]);
      checkEnv(where, s.env, { ours: false });
    } else {
      if (vscode || s.type) check(s.type === 'stdio', where, `stdio entry has type ${s.type}`);
      checkStdioCommand(where, s.command, s.args);
      checkEnv(where, s.env);
    }
  }
}

// MCP registry entry (schema 2025-12-11, checked field by field: no network for the schema here).
function checkServerJson(file, d) {
  check(/^https:\/\/static\.modelcontextprotocol\.io\/schemas\/\d{4}-\d{2}-\d{2}\/server\.schema\.json$/.test(d.$schema ?? ''),
    file, `$schema ${d.$schema}`);
  check(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/.test(d.name ?? ''), file, `name ${d.name} is not reverse-DNS/name`);
  check(typeof d.description === 'string' && d.description.length >= 1 && d.description.length <= 100, file,
    'description must be 1..100 characters');
  check(d.version === version, file, `version ${d.version} is not ghl-mcp's ${version}`);
  check((d.packages?.length ?? 0) + (d.remotes?.length ?? 0) > 0, file, 'neither packages nor remotes');
  for (const p of d.packages ?? []) {
    const where = `${file} package ${p.registryType}`;
    check(['npm', 'pypi', 'nuget', 'oci', 'mcpb', 'cargo'].includes(p.registryType), where, 'unknown registryType');
    check(p.transport?.type === 'stdio', where, 'a package of ghl-mcp serves stdio');
    if (p.registryType === 'mcpb') {
      check(/^https:\/\/(github\.com\/[^/]+\/[^/]+\/releases\/download|gitlab\.com\/)/.test(p.identifier ?? ''), where,
        'identifier must be a GitHub/GitLab release asset URL');
      check(/mcp/.test(p.identifier ?? ''), where, 'an MCPB URL must contain "mcp"');
      check(/^[a-f0-9]{64}$/.test(p.fileSha256 ?? ''), where, 'fileSha256 must be 64 hex digits');
      check(p.version === undefined || p.version === version, where, `version ${p.version}`);
    }
    for (const e of p.environmentVariables ?? []) {
      check(helpText.includes(e.name), where, `environment variable ${e.name} is not named in ghl-mcp --help`);
      if (/TOKEN|SECRET|KEY/.test(e.name)) check(e.isSecret === true, where, `${e.name} must be isSecret`);
      check(e.value === undefined, where, `${e.name} has a fixed value`);
    }
  }
  for (const r of d.remotes ?? []) {
    const where = `${file} remote`;
    check(['streamable-http', 'sse'].includes(r.type), where, `type ${r.type}`);
    check(/^(https?:\/\/[^\s]+|\{[a-zA-Z_][a-zA-Z0-9_]*\}[^\s]*)$/.test(r.url ?? ''), where, `url ${r.url}`);
    for (const v of (r.url ?? '').match(/\{(\w+)\}/g) ?? []) {
      check(r.variables?.[v.slice(1, -1)], where, `url variable ${v} not in variables`);
    }
    checkUrl(where, r.url);
    const auth = (r.headers ?? []).find((h) => h.name === 'Authorization');
    check(auth?.isSecret === true && auth?.isRequired === true && auth.value === undefined, where,
      'needs a secret, required, value-less Authorization header');
  }
}

// MCPB manifest template: the command the bundle runs and the user_config it substitutes.
function checkManifest(file, m) {
  const c = m.server?.mcp_config ?? {};
  check(m.server?.type === 'binary' && m.server?.entry_point === 'server/ghl-mcp', file, 'server is not the binary');
  check(c.command === '${__dirname}/server/ghl-mcp', file, `command ${c.command}`);
  checkStdioCommand(file, c.command, c.args);
  checkEnv(file, c.env);
  for (const [k, v] of Object.entries(c.env ?? {})) {
    const m2 = /^\$\{user_config\.(\w+)\}$/.exec(v);
    if (check(m2, file, `${k} is not \${user_config.KEY}`)) {
      const opt = m.user_config?.[m2[1]];
      check(opt, file, `${k} refers to missing user_config.${m2[1]}`);
      if (/TOKEN|SECRET|KEY/.test(k)) check(opt?.sensitive === true, file, `user_config.${m2[1]} must be sensitive`);
    }
  }
  check(m.user_config?.private_integration_token?.required === true, file, 'the token must be required');
  check(m.user_config?.location_id, file, 'no location id field');
}

// ---- the files --------------------------------------------------------------------------------
const json = (p) => JSON.parse(readFileSync(join(src, p), 'utf8'));
const desktop = json('claude_desktop_config.example.json');
checkServers('claude_desktop_config.example.json', desktop.mcpServers);

const examples = readdirSync(join(src, 'examples')).filter((f) => f.endsWith('.json')).sort();
const handled = new Set();
for (const f of examples) {
  const d = json(`examples/${f}`);
  const file = `examples/${f}`;
  if (f === 'server.json') checkServerJson(file, d);
  else if (f === 'vscode.mcp.json') checkServers(file, d.servers, { vscode: true, inputs: d.inputs ?? [] });
  else if (d.mcpServers) checkServers(file, d.mcpServers);
  else {
    check(false, file, 'an example this test does not know how to check');
    continue;
  }
  handled.add(f);
}
for (const must of ['claude-code.mcp.json', 'cursor.mcp.json', 'vscode.mcp.json', 'server.json',
  'remote-http.claude_desktop_config.json']) {
  check(handled.has(must), 'examples/', `${must} is missing`);
}
const vsc = json('examples/vscode.mcp.json');
check(!vsc.mcpServers && vsc.servers, 'examples/vscode.mcp.json', 'VS Code reads "servers", not "mcpServers"');

checkManifest('packaging/mcpb/manifest.template.json', json('packaging/mcpb/manifest.template.json'));

// systemd unit: ExecStart serves HTTP on loopback.
const unit = readFileSync(join(src, 'packaging/systemd/ghl-mcp.service'), 'utf8');
const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1].trim().split(/\s+/) ?? [];
check(exec[0] === '/usr/bin/ghl-mcp', 'ghl-mcp.service', `ExecStart runs ${exec[0]}`);
{
  const { path, seen } = checkArgs('ghl-mcp.service ExecStart', exec.slice(1));
  check(path.join(' ') === 'serve' && /^127\.0\.0\.1:\d+$/.test(seen.get('--http') ?? ''), 'ghl-mcp.service',
    'ExecStart must be serve --http 127.0.0.1:PORT');
}

// README command lines: `claude mcp add ...` and the MCP Inspector.
function shellWords(line) {
  // POSIX-ish words: quotes group, `$VAR` stays literal (it is the placeholder).
  const words = [];
  let word = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === '"' || c === "'") {
      const j = line.indexOf(c, i + 1);
      word = (word ?? '') + line.slice(i + 1, j < 0 ? line.length : j);
      i = j < 0 ? line.length : j;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}
const readme = readFileSync(join(src, 'README.md'), 'utf8');
const readmeLines = readme.split('\n').map((l) => l.replace(/^\s*(?:\*\*[^*]+\*\*:?\s*)?`?/, '').replace(/`\s*$/, ''));
const claudeAdds = readmeLines.filter((l) => l.startsWith('claude mcp add '));
check(claudeAdds.some((l) => l.includes(' -- ')), 'README', 'no `claude mcp add ... -- ghl-mcp` (stdio) line');
check(claudeAdds.some((l) => l.includes('--transport http')), 'README', 'no `claude mcp add --transport http` line');
for (const line of claudeAdds) {
  const where = `README: ${line.slice(0, 60)}...`;
  const words = shellWords(line.replace(/\s*#.*$/, ''));
  const dd = words.indexOf('--');
  if (dd >= 0) {
    checkStdioCommand(where, words[dd + 1], words.slice(dd + 2));
    for (let i = 0; i < dd; i++) if (words[i] === '--env' || words[i] === '-e') checkEnv(where, Object.fromEntries([words[i + 1].split(/=(.*)/s).slice(0, 2)]));
  } else {
    const url = words.find((w) => /^https?:\/\//.test(w));
    check(url, where, 'no URL');
    if (url) checkUrl(where, url);
    const header = words[words.indexOf('--header') + 1] ?? '';
    check(header.startsWith('Authorization: '), where, 'no --header "Authorization: Bearer ..."');
    checkBearer(where, header.replace(/^Authorization: /, ''));
  }
}
const inspectorLines = readmeLines.filter((l) => l.startsWith('npx @modelcontextprotocol/inspector'));
check(inspectorLines.length > 0, 'README', 'no MCP Inspector command');
for (const line of inspectorLines) {
  const words = shellWords(line.replace(/\s*#.*$/, ''));
  const where = `README: ${line.slice(0, 60)}...`;
  const cmd = words.findIndex((w) => /(^|\/)ghl-mcp$/.test(w));
  if (cmd >= 0) {
    // Everything after the command up to the inspector's own --method belongs to ghl-mcp.
    const end = words.indexOf('--method') > cmd ? words.indexOf('--method') : words.length;
    checkStdioCommand(where, words[cmd], words.slice(cmd + 1, end));
  } else if (words.includes('--config')) {
    const cfg = words[words.indexOf('--config') + 1];
    const server = words[words.indexOf('--server') + 1];
    let d;
    try {
      d = json(cfg);
    } catch {
      check(false, where, `--config ${cfg} is not a file of this repository`);
    }
    if (d) check(d.mcpServers?.[server], where, `--server ${server} is not in ${cfg}`);
  } else {
    const url = words.find((w) => /^https?:\/\//.test(w));
    check(url, where, 'names neither ghl-mcp, --config nor a URL');
    if (url) checkUrl(where, url);
  }
}

// ---- live: the official MCP Inspector CLI runs the sandbox entries ------------------------------
function inspector(args, { timeout = 30000 } = {}) {
  return new Promise((resolve) => {
    // cwd: inspector-cli 1.0.3 finds its package.json relative to the working directory.
    const child = spawn(process.execPath, [inspectorCli, '--cli', ...args], { env: cleanEnv, cwd: dirname(inspectorCli) });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}
const scratch = mkdtempSync(join(tmpdir(), 'ghl-client-configs-'));
// A config file as written, with the built binary in place of the install path.
function withBinary(file, servers) {
  const copy = Object.fromEntries(Object.entries(servers).map(([n, s]) => [n, s.command && /(^|\/)ghl-mcp$/.test(s.command) ? { ...s, command: binary } : s]));
  const path = join(scratch, basename(file));
  writeFileSync(path, JSON.stringify({ mcpServers: copy }));
  return path;
}
const listsTools = (r) => {
  try {
    return r.code === 0 && JSON.parse(r.out).tools.some((t) => t.name === 'get_server_status');
  } catch {
    return false;
  }
};
let child;
try {
  // Sandbox entries of the mcpServers examples, through the Inspector's --config.
  for (const [file, servers] of [['claude_desktop_config.example.json', desktop.mcpServers],
    ['examples/cursor.mcp.json', json('examples/cursor.mcp.json').mcpServers]]) {
    for (const [name, s] of Object.entries(servers)) {
      if (!s.command || !(s.args ?? []).includes('--sandbox')) continue;
      const r = await inspector(['--config', withBinary(file, servers), '--server', name, '--method', 'tools/list']);
      check(listsTools(r), `${file} ${name}`,
        `MCP Inspector could not list tools through this entry (exit ${r.code}): ${r.err.slice(-400)}`);
    }
  }

  // A sandbox HTTP server that wants an API key, for the remote forms.
  const key = 'test-key-' + Math.random().toString(36).slice(2);
  child = spawn(binary, ['--sandbox', 'serve', '--http', '127.0.0.1:0'],
    { env: { ...cleanEnv, GHL_MCP_API_KEY: key }, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise((resolve) => {
    let err = '';
    const timer = setTimeout(() => resolve(null), 20000);
    child.stderr.on('data', (b) => {
      err += b;
      const m = err.match(/http:\/\/[^\s]+\/mcp/);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.on('exit', () => resolve(null));
  });
  check(url, 'ghl-mcp serve --http', 'did not print its URL');

  // The README's Inspector --cli lines, run as written: the install path is the built binary, the
  // config file is the checked-in one (with the built binary), the URL and key are the live server's.
  let ran = 0;
  for (const line of inspectorLines.filter((l) => / --cli /.test(l))) {
    const words = shellWords(line.replace(/\s*#.*$/, '')).slice(2);  // after `npx @modelcontextprotocol/inspector`
    const args = words.filter((w) => w !== '--cli').map((w) => {
      if (/(^|\/)ghl-mcp$/.test(w)) return binary;
      if (/^https?:\/\/127\.0\.0\.1:8787\/mcp$/.test(w)) return url ?? w;
      return w.replace('$GHL_MCP_API_KEY', key);
    });
    const cfg = args.indexOf('--config');
    if (cfg >= 0) args[cfg + 1] = withBinary(args[cfg + 1], json(args[cfg + 1]).mcpServers);
    if (args.includes('--header') && !url) continue;
    const r = await inspector(args);
    ran++;
    check(listsTools(r), `README: ${line.slice(0, 70)}...`,
      `did not list the tools (exit ${r.code}): ${r.err.slice(-400)}`);
  }
  check(ran >= 3, 'README', `only ${ran} Inspector --cli lines ran (stdio, --config and HTTP expected)`);

  if (url) {
    // The header exactly as the examples write it, with the placeholder replaced by the key.
    const header = json('examples/claude-code.mcp.json').mcpServers['gohighlevel-remote'].headers.Authorization;
    const withKey = await inspector([url, '--transport', 'http',
      '--header', `Authorization: ${header.replace(/\$\{\w+\}/, key)}`, '--method', 'tools/list']);
    check(listsTools(withKey), 'examples/claude-code.mcp.json gohighlevel-remote',
      `tools/list with its Authorization header failed (exit ${withKey.code}): ${withKey.err.slice(-400)}`);
    const without = await inspector([url, '--transport', 'http', '--method', 'tools/list']);
    check(!listsTools(without) && without.code !== 0, 'remote HTTP without API key', 'tools/list succeeded without the key');
  }
} finally {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  }
  rmSync(scratch, { recursive: true, force: true });
}

if (failures.length) {
  console.error(`${failures.length} of ${checks} checks failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`client configs: ${checks} checks passed (${examples.length} examples, README, manifest, unit)`);
