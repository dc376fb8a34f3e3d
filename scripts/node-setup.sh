#!/usr/bin/env bash
# Installs the pinned npm packages (npm registry only), each directory once per package-lock.json
# change:
#   tests/conformance: Node 24, the official MCP conformance suite and SDK clients;
#   packaging/mcpb:    the official MCP Bundle CLI (@anthropic-ai/mcpb), for make mcpb and its test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# directory:file that must exist after the install
for entry in tests/conformance:node_modules/.bin/node \
             packaging/mcpb:node_modules/@anthropic-ai/mcpb/dist/cli/cli.js; do
  dir=${entry%%:*} probe=${entry#*:}
  cd "$root/$dir"
  stamp=node_modules/.ghl-lock-stamp
  if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp" && [ -e "$probe" ]; then
    continue
  fi
  echo "node-setup: npm ci in $dir" >&2
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
done
