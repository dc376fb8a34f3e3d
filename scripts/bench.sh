#!/usr/bin/env bash
# make bench: performance numbers for ghl-mcp and the src/mcp engine. Reports, never fails on a
# number (these are not timed tests); exits non-zero only when something could not be measured.
#
#   1. bench-mcp: Google Benchmark of the engine in-process (parse, dispatch, validation)
#   2. mcp-load over stdio: spawn-to-initialize, sequential tools/call p50/p99, peak RSS
#   3. mcp-load over Streamable HTTP: 1, 8 and 64 concurrent clients, calls/s and p50/p99
#      against ghl-mcp, mcp-conformance-server and, in the same run, the official TypeScript
#      servers (@modelcontextprotocol/server-everything and a minimal official-SDK server)
#   4. every other build/bench-* binary (bench-ghl, ...)
#   5. a summary table, with the goals: spawn-to-initialize < 10 ms, peak RSS < 15 MB,
#      HTTP throughput >= 5x the TypeScript reference server
#
# Environment: BUILD_DIR (default build), BENCH_OUT (default $BUILD_DIR/bench-results),
# BENCH_DURATION (measured seconds per HTTP level, 5), BENCH_WARMUP (1), BENCH_CLIENTS (1,8,64),
# BENCH_SPAWNS (20), BENCH_CALLS (2000), BENCH_MIN_TIME (Google Benchmark seconds, 0.5),
# BENCH_SKIP_TS=1 (no Node servers).
# Needs `make build node` first (Node 24 and the npm packages pinned by
# tests/conformance/package-lock.json).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-build}"
[[ "$BUILD_DIR" = /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
OUT="${BENCH_OUT:-$BUILD_DIR/bench-results}"
DURATION="${BENCH_DURATION:-5}"
WARMUP="${BENCH_WARMUP:-1}"
CLIENTS="${BENCH_CLIENTS:-1,8,64}"
SPAWNS="${BENCH_SPAWNS:-20}"
CALLS="${BENCH_CALLS:-2000}"
MIN_TIME="${BENCH_MIN_TIME:-0.5}"
NODE_MODULES="$ROOT/tests/conformance/node_modules"
NODE="$NODE_MODULES/.bin/node"
LOAD="$BUILD_DIR/mcp-load"
GHL="$BUILD_DIR/ghl-mcp"
CONF="$BUILD_DIR/mcp-conformance-server"
RESULTS="$OUT/results.tsv"

for bin in "$BUILD_DIR/bench-mcp" "$LOAD" "$GHL" "$CONF"; do
  if [ ! -x "$bin" ]; then
    echo "bench: $bin is missing; run make build (or set BUILD_DIR)" >&2
    exit 1
  fi
done
mkdir -p "$OUT"
: > "$RESULTS"
failures=0
note_failure() { failures=$((failures + 1)); echo "bench: FAILED: $*" >&2; }

# Servers this script started, stopped by PID on exit.
declare -a STARTED=()
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${STARTED[@]}"; do wait "$pid" 2>/dev/null; done
}
trap cleanup EXIT

section() { printf '\n=== %s ===\n' "$*"; }

# start_http LOGFILE CMD... : runs CMD in the background, waits for its endpoint URL on stderr,
# sets SERVER_PID and SERVER_URL (the /mcp endpoint).
start_http() {
  local log="$1"
  shift
  : > "$log"
  "$@" > /dev/null 2> "$log" &
  SERVER_PID=$!
  STARTED+=("$SERVER_PID")
  SERVER_URL=""
  local _
  for _ in $(seq 1 200); do
    # "... listening on http://127.0.0.1:PORT/mcp" (ours, ts-sdk-server), or the preload's line
    # for servers that print no URL (server-everything); other URLs (the sandbox's) do not count.
    SERVER_URL="$(grep -oE 'http://127\.0\.0\.1:[0-9]+/mcp' "$log" | head -1)"
    [ -z "$SERVER_URL" ] && SERVER_URL="$(grep -oE 'node-loopback: listening on http://127\.0\.0\.1:[0-9]+' \
      "$log" | head -1 | grep -oE 'http://.*')"
    [ -n "$SERVER_URL" ] && { SERVER_URL="${SERVER_URL%/mcp}/mcp"; return 0; }
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench: server did not start: $*" >&2
  sed 's/^/    /' "$log" | tail -5 >&2
  stop_http
  return 1
}
stop_http() {
  kill "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  local keep=() pid
  for pid in "${STARTED[@]}"; do [ "$pid" != "$SERVER_PID" ] && keep+=("$pid"); done
  STARTED=("${keep[@]+"${keep[@]}"}")
}

# http_run LABEL TOOL ARGS ERA LOGFILE CMD... : one server process, all concurrency levels.
http_run() {
  local label="$1" tool="$2" args="$3" era="$4" log="$5"
  shift 5
  if start_http "$log" "$@"; then
    "$LOAD" --label "$label" --results "$RESULTS" --tool "$tool" --args "$args" http \
      --url "$SERVER_URL" --era "$era" --clients "$CLIENTS" --duration "$DURATION" \
      --warmup "$WARMUP" --pid "$SERVER_PID" || note_failure "$label over HTTP"
    stop_http
  else
    note_failure "$label did not start"
  fi
}

# stdio_run LABEL TOOL ARGS "NAME=VALUE ..." CMD... : spawn-to-initialize, round trips, peak RSS.
# The environment is set by mcp-load between fork and exec, so no env(1) exec is timed.
stdio_run() {
  local label="$1" tool="$2" args="$3" kv env_flags=()
  for kv in $4; do env_flags+=(--env "$kv"); done
  shift 4
  "$LOAD" --label "$label" --results "$RESULTS" --tool "$tool" --args "$args" stdio \
    --spawns "$SPAWNS" --calls "$CALLS" --stderr "$OUT/$label.stdio.log" "${env_flags[@]}" -- "$@" ||
    note_failure "$label over stdio"
}

# ghl-mcp runs on the embedded sandbox when it has one, else on placeholder credentials (the
# no-op get_server_status with checkConnection=false never contacts GHL).
GHL_CREDS="GHL_PRIVATE_INTEGRATION_TOKEN=bench-placeholder GHL_LOCATION_ID=bench-location"
if "$GHL" --help 2>/dev/null | grep -q -- '--sandbox'; then
  GHL_MODE=(--sandbox)
  GHL_ENV=""
else
  GHL_MODE=()
  GHL_ENV="$GHL_CREDS"
fi
if "$GHL" tools --json 2>/dev/null | grep -q checkConnection ||
   grep -q checkConnection "$ROOT/schemas/tools/get_server_status.json" 2>/dev/null; then
  GHL_ARGS='{"checkConnection":false}'
else
  GHL_ARGS='{}'
fi
NOOP_ARGS='{"checkConnection":false}'

HAVE_NODE=1
if [ "${BENCH_SKIP_TS:-0}" = 1 ]; then
  HAVE_NODE=0
elif [ ! -x "$NODE" ] || [ ! -d "$NODE_MODULES/@modelcontextprotocol/sdk" ]; then
  echo "bench: $NODE or the SDK is missing (run make node); skipping the TypeScript servers" >&2
  HAVE_NODE=0
fi
EVERYTHING="$NODE_MODULES/@modelcontextprotocol/server-everything/dist/index.js"
TS_SDK="$ROOT/bench/mcp/ts-sdk-server.mjs"
PRELOAD="$ROOT/bench/mcp/node-loopback.cjs"

LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
section "machine"
echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), load average $LOAD_AT_START"
echo "results: $OUT (results.tsv, bench-mcp.json, server logs)"
"$LOAD" --label "machine" --results "$RESULTS" floor --spawns "$SPAWNS" -- /bin/true ||
  note_failure "spawn floor"

section "bench-mcp (Google Benchmark, in-process engine)"
"$BUILD_DIR/bench-mcp" --benchmark_min_time="$MIN_TIME" \
  --benchmark_out="$OUT/bench-mcp.json" --benchmark_out_format=json || note_failure "bench-mcp"

section "stdio: spawn-to-initialize, sequential tools/call, peak RSS"
stdio_run ghl-mcp get_server_status "$GHL_ARGS" "$GHL_ENV" "$GHL" serve --stdio "${GHL_MODE[@]}"
if [ ${#GHL_MODE[@]} -gt 0 ]; then
  # What Claude Desktop runs: credentials instead of the sandbox (placeholders: the no-op call
  # never contacts GHL).
  stdio_run ghl-mcp-creds get_server_status "$GHL_ARGS" "$GHL_CREDS" "$GHL" serve --stdio
fi
stdio_run conformance test_simple_text '{}' "" "$CONF" --stdio
if [ "$HAVE_NODE" = 1 ]; then
  stdio_run ts-sdk noop "$NOOP_ARGS" "" "$NODE" "$TS_SDK" stdio
  stdio_run ts-everything echo '{"message":"bench"}' "" "$NODE" "$EVERYTHING" stdio
fi

section "Streamable HTTP: concurrent clients (${DURATION}s per level after ${WARMUP}s warm-up)"
# shellcheck disable=SC2086  # GHL_ENV: NAME=VALUE words for env(1)
http_run ghl-mcp get_server_status "$GHL_ARGS" legacy "$OUT/ghl-mcp.http.log" \
  env $GHL_ENV "$GHL" serve --http 127.0.0.1:0 "${GHL_MODE[@]}"
# shellcheck disable=SC2086
http_run ghl-mcp-2026 get_server_status "$GHL_ARGS" modern "$OUT/ghl-mcp-2026.http.log" \
  env $GHL_ENV "$GHL" serve --http 127.0.0.1:0 "${GHL_MODE[@]}"
if [ ${#GHL_MODE[@]} -gt 0 ]; then
  # shellcheck disable=SC2086  # production configuration: no embedded simulator in the process
  http_run ghl-mcp-creds get_server_status "$GHL_ARGS" legacy "$OUT/ghl-mcp-creds.http.log" \
    env $GHL_CREDS "$GHL" serve --http 127.0.0.1:0
fi
http_run conformance test_simple_text '{}' legacy "$OUT/conformance.http.log" "$CONF" --port 0
http_run conformance-2026 test_simple_text '{}' modern "$OUT/conformance-2026.http.log" "$CONF" --port 0
if [ "$HAVE_NODE" = 1 ]; then
  # The official reference server as published (express, per-session McpServer, request logging
  # to stdout, which goes to /dev/null here), and the leanest official-SDK server.
  http_run ts-everything echo '{"message":"bench"}' legacy "$OUT/ts-everything.http.log" \
    env PORT=0 "$NODE" -r "$PRELOAD" "$EVERYTHING" streamableHttp
  http_run ts-sdk noop "$NOOP_ARGS" legacy "$OUT/ts-sdk.http.log" "$NODE" "$TS_SDK" http 0
fi

# ---- other benchmarks --------------------------------------------------------------------
# Every other bench-* executable in the build directory: bench-ghl, bench-ghl-sim-throughput and
# whatever a later bench/<part>/ adds. Google Benchmark binaries also write JSON to $OUT; the
# others run with their defaults, and their exit status is reported, not enforced.
section "other benchmarks"
OTHER_STATUS=()
for b in "$BUILD_DIR"/bench-*; do
  name="$(basename "$b")"
  { [ -f "$b" ] && [ -x "$b" ]; } || continue
  [ "$name" = bench-mcp ] && continue
  echo "--- $name"
  if "$b" --help 2>&1 | grep -q benchmark_filter; then
    "$b" --benchmark_min_time="$MIN_TIME" --benchmark_out="$OUT/$name.json" \
      --benchmark_out_format=json 2>&1 | tee "$OUT/$name.txt"
  else
    "$b" 2>&1 | tee "$OUT/$name.txt"
  fi
  rc=${PIPESTATUS[0]}
  OTHER_STATUS+=("$name: $([ "$rc" = 0 ] && echo ok || echo "exit $rc")")
done
[ ${#OTHER_STATUS[@]} = 0 ] && echo "(none built)"

# ---- summary -----------------------------------------------------------------------------
section "summary"
{
  echo "$(nproc) CPUs, shared with whatever else runs (load average at start $LOAD_AT_START, at end" \
    "$(cut -d' ' -f1-3 /proc/loadavg)); the load driver runs on the same CPUs as the server."
  awk -F'\t' -v clients="$CLIENTS" '
    { v[$1 "|" $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
    function has(l, m) { return (l "|" m) in v }
    function g(l, m, fmt) { return has(l, m) ? sprintf(fmt, v[l "|" m]) : "-" }
    END {
      nc = split(clients, c, ",")
      printf "\nstdio (medians; spawn floor here, fork+exec+exit of /bin/true: %s)\n",
        g("machine", "spawn_exit_ms", "%.1f ms")
      printf "  %-17s %12s %12s %10s %10s %12s\n", "server", "spawn>init", "RSS at init", "call p50",
        "call p99", "peak RSS"
      for (j = 0; j < n; j++) {
        l = order[j]
        if (!has(l, "spawn_init_ms")) continue
        printf "  %-17s %12s %12s %10s %10s %12s\n", l, g(l, "spawn_init_ms", "%.1f ms"),
          g(l, "startup_rss_mb", "%.1f MB"), g(l, "stdio_p50_ms", "%.3f ms"),
          g(l, "stdio_p99_ms", "%.3f ms"), g(l, "stdio_peak_rss_mb", "%.1f MB")
      }
      printf "\nStreamable HTTP, tools/call with N concurrent clients: calls/s, p50/p99 ms, server CPU us per call\n"
      printf "  %-17s", "server"
      for (i = 1; i <= nc; i++) printf " %30s", "N=" c[i]
      printf " %10s\n", "peak RSS"
      for (j = 0; j < n; j++) {
        l = order[j]
        if (!has(l, "http_c" c[1] "_calls_per_s")) continue
        printf "  %-17s", l
        for (i = 1; i <= nc; i++) {
          k = l "|http_c" c[i]
          cell = (k "_calls_per_s") in v ? sprintf("%.0f/s %.2f/%.1f ms %s us", v[k "_calls_per_s"],
            v[k "_p50_ms"], v[k "_p99_ms"], ((k "_cpu_us_per_call") in v) ? sprintf("%.0f", v[k "_cpu_us_per_call"]) : "-") : "-"
          printf " %30s", cell
        }
        printf " %10s\n", g(l, "http_peak_rss_mb", "%.1f MB")
      }
      printf "  (-2026: stateless 2026-07-28 POSTs; the others: legacy sessions with Mcp-Session-Id, the era\n"
      printf "   the TypeScript servers speak. ghl-mcp: serve --sandbox (embedded simulator in the process);\n"
      printf "   ghl-mcp-creds: serve with credentials, the production path; no-op tool get_server_status\n"
      printf "   {checkConnection:false}. conformance: mcp-conformance-server, test_simple_text.\n"
      printf "   ts-everything: @modelcontextprotocol/server-everything (echo), the official reference\n"
      printf "   server; ts-sdk: bench/mcp/ts-sdk-server.mjs, the official SDK alone (noop).)\n"
      for (k in v) if (k ~ /_errors$/ && v[k] > 0) printf "  ERRORS: %s = %s\n", k, v[k]
      for (k in v) if (k ~ /\|server_exited$/) printf "  SERVER EXITED during the run (crash?): %s\n", k

      printf "\ngoals\n"
      for (j = 0; j < n; j++) {
        l = order[j]
        if (l !~ /^ghl-mcp/) continue
        if (has(l, "spawn_init_ms"))
          printf "  %-16s spawn-to-initialize %6.1f ms  (< 10 ms)  %s\n", l, v[l "|spawn_init_ms"],
            v[l "|spawn_init_ms"] < 10 ? "met" : "MISSED"
        if (has(l, "stdio_peak_rss_mb"))
          printf "  %-16s peak RSS stdio     %6.1f MB  (< 15 MB)  %s\n", l, v[l "|stdio_peak_rss_mb"],
            v[l "|stdio_peak_rss_mb"] < 15 ? "met" : "MISSED"
        if (has(l, "http_peak_rss_mb"))
          printf "  %-16s peak RSS HTTP      %6.1f MB  (< 15 MB)  %s\n", l, v[l "|http_peak_rss_mb"],
            v[l "|http_peak_rss_mb"] < 15 ? "met" : "MISSED"
      }
      split("ts-everything ts-sdk", refs, " ")
      for (r = 1; r <= 2; r++) {
        ref = refs[r]
        thr = ""; cpu = ""
        for (i = 1; i <= nc; i++) {
          k = "http_c" c[i]
          if (has(ref, k "_calls_per_s") && has("ghl-mcp", k "_calls_per_s") && v[ref "|" k "_calls_per_s"] > 0) {
            x = v["ghl-mcp|" k "_calls_per_s"] / v[ref "|" k "_calls_per_s"]
            thr = thr sprintf("  N=%s %.1fx%s", c[i], x, x >= 5 ? "" : " MISSED")
          }
          if (has(ref, k "_cpu_us_per_call") && has("ghl-mcp", k "_cpu_us_per_call") && v["ghl-mcp|" k "_cpu_us_per_call"] > 0)
            cpu = cpu sprintf("  N=%s %.1fx", c[i], v[ref "|" k "_cpu_us_per_call"] / v["ghl-mcp|" k "_cpu_us_per_call"])
        }
        if (thr != "") printf "  HTTP calls/s, ghl-mcp vs %-13s (>= 5x):%s\n", ref, thr
        if (cpu != "") printf "  server CPU per call, %-13s / ghl-mcp:      %s\n", ref, cpu
      }
    }' "$RESULTS"
  if [ ${#OTHER_STATUS[@]} -gt 0 ]; then
    echo
    printf 'other benchmarks (output in %s/<name>.txt):' "$OUT"
    printf ' %s;' "${OTHER_STATUS[@]}"
    echo
  fi
} | tee "$OUT/summary.txt"

if [ "$failures" -gt 0 ]; then
  echo "bench: $failures measurement(s) failed (see above)" >&2
  exit 1
fi
