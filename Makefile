# Thin wrapper over CMake presets. Every target installs missing Debian packages first.
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:8787

.PHONY: all deps build debug asan tsan test unit integration conformance node bench run docs format clean \
        install package mcpb quickstart

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

debug: deps
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j $(JOBS)

asan: deps
	@cmake --preset asan-ubsan >/dev/null
	@cmake --build --preset asan-ubsan -j $(JOBS)

tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS)

# Node 24 and the official conformance suite / SDK clients, pinned by tests/conformance/package-lock.json.
node: deps
	@scripts/node-setup.sh

# Everything, all under ASan+UBSan (one build, and a use-after-free in a transport fails the
# conformance run too): unit tests, then the integration suites (stdio transcripts, official SDK
# clients, the official conformance suite) against the sanitized binaries.
test: unit integration

unit: asan
	@ctest --preset asan-ubsan -L unit -j $(JOBS)

integration: asan node
	@ctest --preset asan-ubsan -L integration

conformance: build node
	@ctest --preset release -L conformance --verbose

bench: build node
	@scripts/bench.sh

# Builds only what it serves (the tests and benchmarks wait for `make build` / `make test`).
run: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target ghl-mcp
	@./build/ghl-mcp serve --http $(LISTEN) --sandbox

# The README quick start word for word on a clean copy of the sources: `make run` builds there
# from scratch, then a scripted client (official SDK) lists tools, calls get_free_slots, and the
# server must stop cleanly on Ctrl-C. Minutes of building; `make test` runs the same checks on
# the ASan binary instead (test quickstart).
quickstart: node
	@tests/quickstart/quickstart.sh . tests/conformance/node_modules/.bin/node --clean

# Installs the release build: bin/ghl-mcp, the man page, the systemd unit, examples under
# share/doc/ghl-mcp. PREFIX (default /usr/local) and DESTDIR work as usual.
PREFIX ?=
install: build
	@cmake --install build $(if $(PREFIX),--prefix $(PREFIX))

# The Debian package of the release build: build/ghl-mcp_<version>_<arch>.deb (CPack, packaging/).
package: build
	@cd build && cpack

# The Claude Desktop extension bundle: build/ghl-mcp-<version>-linux-<arch>.mcpb, validated and
# packed with the official mcpb CLI, and build/ghl-mcp-<version>.server.json for the MCP registry.
mcpb: build node
	@cmake --build --preset release --target mcpb

docs: build
	@./build/gen-tool-docs --update README.md

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	@rm -rf build build-debug build-asan build-tsan
