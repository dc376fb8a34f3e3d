#!/usr/bin/env bash
# The README quick start, followed word for word: the first ```sh block of README.md must say
# `make run`; running it must reach a listening sandbox server, the scripted client (client.mjs,
# the official SDK) lists the tools and calls get_free_slots, and Ctrl-C stops the server cleanly.
#
#   quickstart.sh SRC_DIR NODE --clean        copies the tracked sources into a scratch directory
#                                             and runs `make run` there: a clean build directory,
#                                             so it builds the release binary (minutes; `make
#                                             quickstart`)
#   quickstart.sh SRC_DIR NODE --binary BIN   runs the command `make run` ends in (the Makefile's
#                                             run recipe) with BIN on an ephemeral port, without
#                                             building: what `make test` runs
set -euo pipefail

src=$(cd "$1" && pwd)
node=$2
mode=$3
binary=${4:-}
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -x "$node" ]; then
    echo "SKIP: $node is missing; run \`make node\` to install the pinned Node" >&2
    exit 77
fi

fail() {
    echo "quickstart: FAIL: $*" >&2
    exit 1
}

# The quick start as the README shows it: the commands of its first sh block.
quick=$(awk '/^```sh$/ {on = 1; next} on && /^```$/ {exit} on {print}' "$src/README.md")
[ -n "$quick" ] || fail "README.md has no \`\`\`sh block"
run_line=$(printf '%s\n' "$quick" | sed 's/[[:space:]]*#.*$//' | grep -x 'make run' || true)
[ -n "$run_line" ] || fail "the README quick start does not say \`make run\`: $quick"
echo "README quick start: $run_line"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ghl-quickstart-XXXXXX")
server_pid=
leader_pid=
cleanup() {
    [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null || true
    [ -n "$leader_pid" ] && kill -9 -- "-$leader_pid" 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT
log=$scratch/server.log

if [ "$mode" = "--clean" ]; then
    # A clean build directory: the tracked files only, nothing of an earlier build.
    mkdir "$scratch/src"
    git -C "$src" ls-files -z | (cd "$src" && tar --null -T - -cf -) | tar -xf - -C "$scratch/src"
    [ ! -e "$scratch/src/build" ] || fail "the scratch copy already has a build directory"
    # The README's own command, in its own process group (the terminal's Ctrl-C reaches the group).
    (cd "$scratch/src" && exec setsid bash -c "$run_line") >"$log" 2>&1 &
    leader_pid=$!
    wait_s=3600
elif [ "$mode" = "--binary" ]; then
    [ -x "$binary" ] || fail "no binary $binary"
    # What `make run` ends in, from the Makefile itself, so the two cannot drift apart.
    recipe=$(awk '/^run:/ {on = 1; next} on && !/^\t/ {exit} on && /ghl-mcp serve/ {sub(/^\t@?/, ""); print}' "$src/Makefile")
    case "$recipe" in
        "./build/ghl-mcp serve --http \$(LISTEN) --sandbox") ;;
        *) fail "the Makefile's run recipe changed ($recipe); update this test" ;;
    esac
    "$binary" serve --http 127.0.0.1:0 --sandbox >"$log" 2>&1 &
    server_pid=$!
    wait_s=60
else
    fail "mode must be --clean or --binary"
fi

# Listening: the server prints its endpoint once the socket is bound.
url=
for _ in $(seq 1 $((wait_s * 2))); do
    url=$(grep -o 'listening on http://[^ ]*/mcp' "$log" | head -n1 | sed 's/^listening on //' || true)
    [ -n "$url" ] && break
    if [ -n "$server_pid" ] && ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    if [ -n "$leader_pid" ] && ! kill -0 "$leader_pid" 2>/dev/null; then break; fi
    sleep 0.5
done
if [ -z "$url" ]; then
    tail -n 40 "$log" >&2
    fail "no listening server after ${wait_s}s"
fi
grep -q 'SANDBOX' "$log" || fail "the server does not say it serves the sandbox"
echo "server: $url"
if [ -z "$server_pid" ]; then
    server_pid=$(pgrep -f -n -s "$leader_pid" 'ghl-mcp serve --http' || true)
    [ -n "$server_pid" ] || fail "cannot find the ghl-mcp process make started"
fi

GHL_NODE_MODULES="$src/tests/conformance/node_modules" "$node" "$here/client.mjs" "$url" ||
    { tail -n 40 "$log" >&2; fail "the scripted client failed"; }

# Ctrl-C: the server must stop by itself, promptly, with status 0.
kill -INT "$server_pid"
for _ in $(seq 1 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$server_pid" 2>/dev/null; then
    tail -n 40 "$log" >&2
    fail "the server was still running 10 s after SIGINT"
fi
if [ -n "$leader_pid" ]; then
    status=0
    wait "$leader_pid" || status=$?
    [ "$status" -eq 0 ] || { tail -n 40 "$log" >&2; fail "make run exited with $status after SIGINT"; }
else
    status=0
    wait "$server_pid" || status=$?
    [ "$status" -eq 0 ] || { tail -n 40 "$log" >&2; fail "the server exited with $status after SIGINT"; }
fi
server_pid=
leader_pid=
if grep -Eq 'ERROR: AddressSanitizer|runtime error:|critical' "$log"; then
    tail -n 40 "$log" >&2
    fail "the server log reports an error"
fi
echo "quickstart: ok (server stopped cleanly)"
