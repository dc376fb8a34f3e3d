#!/bin/sh
# Runs a Node test with the pinned Node 24 (scripts/node-setup.sh, `make node`); skips (ctest
# SKIP_RETURN_CODE 77) with a clear message only when that Node is not installed.
node=$1
shift
if [ ! -x "$node" ]; then
    echo "SKIP: $node is missing; run \`make node\` (scripts/node-setup.sh) to install the pinned Node" >&2
    exit 77
fi
exec "$node" "$@"
