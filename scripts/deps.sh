#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, and nothing when all are present.
# Used by `make deps` (and so by `make run` and `make test`) on a fresh Debian 12 machine.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcpp-httplib-dev nlohmann-json3-dev libcurl4-openssl-dev libspdlog-dev
  libgtest-dev libgmock-dev libvalijson-dev libcli11-dev libsqlite3-dev libssl-dev
  libbenchmark-dev
  prometheus-cpp-dev  # /metrics: prometheus-cpp's text serializer (core library only)
  help2man  # writes the ghl-mcp(1) man page from --help at build time (packaging/)
)
# The conformance suite and the official SDK clients run on Node (24, installed from npm
# into tests/conformance); bootstrapping it needs some node and npm.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
