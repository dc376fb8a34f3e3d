#!/usr/bin/env bash
# Installs the pinned Node 24 + official MCP conformance suite and SDK clients into
# tests/conformance/node_modules (npm registry only), once per package-lock.json change.
set -euo pipefail
cd "$(dirname "$0")/../tests/conformance"
stamp=node_modules/.ghl-lock-stamp
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp" && [ -x node_modules/.bin/node ]; then
  exit 0
fi
echo "node-setup: npm ci in tests/conformance" >&2
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
