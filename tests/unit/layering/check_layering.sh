#!/usr/bin/env bash
# The architecture's one hard rule: src/mcp and src/ghl never include each other (they meet only
# in src/tools and src/app), and neither includes tools/app code. Fails listing the offending lines.
set -euo pipefail
src="${1:?usage: check_layering.sh SRC_DIR}"
bad=0
check() {  # folder, forbidden include prefix regex
    if grep -rnE "#include [<\"]($2)/" "$src/$1" --include='*.hpp' --include='*.cpp'; then
        echo "layering violation: src/$1 must not include $2/" >&2
        bad=1
    fi
}
check core 'mcp|ghl|tools|app|ghlsim|voice|events'
check mcp 'ghl|tools|app|ghlsim'
check ghl 'mcp|tools|app|ghlsim'
check tools 'app|ghlsim'
check voice 'ghl|tools|app|ghlsim'
check events 'mcp|ghl|tools|app|ghlsim|voice'
exit $bad
