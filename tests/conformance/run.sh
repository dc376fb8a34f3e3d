#!/usr/bin/env bash
# Runs one leg of the official MCP conformance suite against a server this script starts.
#
#   run.sh --leg stable|2025-11-25|2026-07-28 --out DIR [--baseline FILE] [--scenarios "a b"] \
#          -- SERVER_COMMAND [ARGS...]
#
# SERVER_COMMAND must listen on an ephemeral port (it is given nothing: pass --port 0 or
# --http 127.0.0.1:0 yourself) and print "listening on http://HOST:PORT/mcp" on stderr.
# Legs: stable = @modelcontextprotocol/conformance 0.1.16 (active suite);
#       2025-11-25 / 2026-07-28 = conformance 0.2.0-alpha --requirements <revision>.
# With --baseline, the suite itself fails on failures not listed there AND on listed entries
# that now pass (so the file can only shrink). Exit code: the suite's.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
leg="" out="" baseline="" scenarios=""
while [ $# -gt 0 ]; do
  case "$1" in
    --leg) leg="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    --scenarios) scenarios="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$leg" ] && [ -n "$out" ] && [ $# -gt 0 ] || { echo "usage: see the header of $0" >&2; exit 2; }
node="$here/node_modules/.bin/node"
[ -x "$node" ] || { echo "run scripts/node-setup.sh first ($node missing)" >&2; exit 2; }
rm -rf "$out"; mkdir -p "$out"

"$@" 2> "$out/server.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'http://[^ ]*/mcp' "$out/server.log" | head -1)"
  [ -n "$url" ] && break
  kill -0 $server 2>/dev/null || { echo "server exited early:" >&2; cat "$out/server.log" >&2; exit 2; }
  sleep 0.1
done
[ -n "$url" ] || { echo "server did not print its URL:" >&2; cat "$out/server.log" >&2; exit 2; }

case "$leg" in
  stable) cmd=("$node" "$here/node_modules/@modelcontextprotocol/conformance/dist/index.js" server --url "$url") ;;
  2025-11-25|2026-07-28) cmd=("$node" "$here/node_modules/conformance-next/dist/index.js" server --url "$url" --requirements "$leg") ;;
  *) echo "unknown leg $leg" >&2; exit 2 ;;
esac
base=()
[ -n "$baseline" ] && base=(--expected-failures "$baseline")
rc=0
if [ -z "$scenarios" ]; then
  "${cmd[@]}" -o "$out/results" "${base[@]}" > "$out/suite.txt" 2>&1 || rc=$?
else
  # --requirements and --scenario do not combine: single scenarios run with --spec-version.
  [ "$leg" = stable ] || cmd=("${cmd[@]:0:5}" --spec-version "$leg")
  for s in $scenarios; do
    "${cmd[@]}" --scenario "$s" -o "$out/results" "${base[@]}" >> "$out/suite.txt" 2>&1 || rc=1
  done
fi
grep -E '^(✓|✗|Total|  [✓✗~])|Unexpected|Stale|Baseline|Passed:|FAIL' "$out/suite.txt" || true
if [ $rc -ne 0 ]; then
  echo "--- conformance leg $leg failed (exit $rc); full output: $out/suite.txt" >&2
  grep -E 'FAILURE|WARNING|✗' "$out/suite.txt" | head -60 >&2
fi
exit $rc
