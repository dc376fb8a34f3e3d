#!/usr/bin/env bash
# The Debian package and the install rules, from the build directory this test is registered in:
#   1. cpack builds the .deb from this build (into a scratch directory, not the build's own
#      output): control fields, dpkg-shlibdeps' library dependencies, the file list;
#   2. dpkg -x unpacks it into a scratch root: <root>/usr/bin/ghl-mcp --version runs, the man page
#      is the one generated from --help, the examples and the systemd unit are there;
#   3. the unit: key fields, `systemd-analyze verify` (no warning allowed) and its offline
#      security exposure, when systemd-analyze exists;
#   4. the maintainer scripts: `sh -n`, then postinst configure / postrm purge run against the
#      scratch root ($DPKG_ROOT) with adduser, chown, getent and systemctl replaced by recorders;
#   5. `cmake --install --prefix <dir>` (make install): the unit's ExecStart follows the prefix.
# Under `make test` this is the ASan build: the packaged binary is the sanitized one, stripped.
# The rules, scripts and unit under test are the same ones `make package` uses on the release build.
#
# usage: deb_test.sh BUILD_DIR SOURCE_DIR VERSION
set -euo pipefail
build=$1 src=$2 version=$3
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

work="$build/packaging-test"
rm -rf "$work"
mkdir -p "$work"
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
expect_grep() {  # expect_grep FILE REGEX WHAT
    if grep -Eq -- "$2" "$1"; then ok "$3"; else fail "$3 (no /$2/ in $1)"; fi
}

# ---- 1. build the package --------------------------------------------------------------------
t0=$(date +%s)
# gzip instead of xz (packaging/cpack-options.cmake): same package, seconds instead of minutes for
# the sanitized binary.
if ! GHL_CPACK_COMPRESSION=gzip cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1; then
    cat "$work/cpack.log" >&2
    echo "FAIL: cpack" >&2
    exit 1
fi
debs=("$work"/out/ghl-mcp_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { echo "FAIL: expected one ghl-mcp_*.deb in $work/out" >&2; exit 1; }
deb=${debs[0]}
arch=$(dpkg --print-architecture)
[ "$(basename "$deb")" = "ghl-mcp_${version}_${arch}.deb" ] && ok "file name $(basename "$deb")" ||
    fail "file name $(basename "$deb"), expected ghl-mcp_${version}_${arch}.deb"
echo "cpack: $(( $(date +%s) - t0 )) s, $(du -h "$deb" | cut -f1)"

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = ghl-mcp ] && ok "Package" || fail "Package is $(field Package)"
[ "$(field Version)" = "$version" ] && ok "Version $version" || fail "Version is $(field Version)"
[ "$(field Architecture)" = "$arch" ] && ok "Architecture" || fail "Architecture is $(field Architecture)"
[[ "$(field Maintainer)" =~ ^.+\ \<.+@.+\>$ ]] && ok "Maintainer" || fail "Maintainer is '$(field Maintainer)'"
depends=$(field Depends)
has_dep() { [[ ", $depends," =~ ,\ $1[\ ,] ]]; }
has_dep adduser && ok "Depends adduser (postinst)" || fail "Depends lacks adduser: $depends"
# Not in NEEDED (dlopen()ed on the first GHL request), so only an explicit Depends brings it.
has_dep libcurl4 && ok "Depends libcurl4 (dlopen()ed GHL transport)" || fail "Depends lacks libcurl4: $depends"
# dpkg-shlibdeps worked: the package of every shared library the binary needs is a dependency.
while read -r soname; do
    pkg=$(dpkg -S "$soname" 2>/dev/null | awk -v s="/$soname" '
        substr($NF, length($NF) - length(s) + 1) == s && $NF ~ /^(\/usr)?\/lib\// { split($1, p, ":"); print p[1]; exit }')
    if [ -z "$pkg" ]; then
        fail "no package owns $soname"
        continue
    fi
    # The package itself or a name it Provides (libspdlog1.10 provides libspdlog1.10-fmt9).
    found=
    for name in "$pkg" $(dpkg-query -W -f '${Provides}' "$pkg" | sed 's/([^)]*)//g; s/,/ /g'); do
        has_dep "$(printf '%s' "$name" | sed 's/[+.]/\\&/g')" && found=$name
    done
    [ -n "$found" ] && ok "Depends $found ($soname)" || fail "Depends lacks $pkg for $soname: $depends"
done < <(readelf -d "$build/ghl-mcp" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ "$(field Description | head -1)" != "$(field Description | sed -n 2p | sed 's/^ //')" ] &&
    ok "Description: summary + extended text" || fail "Description repeats its summary"

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' >"$work/files"
for f in /usr/bin/ghl-mcp /usr/share/man/man1/ghl-mcp.1.gz /usr/lib/systemd/system/ghl-mcp.service \
         /usr/share/doc/ghl-mcp/examples/claude_desktop_config.example.json \
         /usr/share/doc/ghl-mcp/examples/claude-code.mcp.json /usr/share/doc/ghl-mcp/examples/cursor.mcp.json \
         /usr/share/doc/ghl-mcp/examples/vscode.mcp.json /usr/share/doc/ghl-mcp/examples/server.json \
         /usr/share/doc/ghl-mcp/examples/remote-http.claude_desktop_config.json \
         /usr/share/doc/ghl-mcp/examples/ghl-mcp.env.example; do
    grep -qx -- "$f" "$work/files" && ok "ships $f" || fail "does not ship $f"
done
# Nothing outside /usr: /etc/ghl-mcp/ghl-mcp.env and /var/lib/ghl-mcp are made by postinst.
if grep -v -e '^/$' -e '^/usr' "$work/files" | grep -q .; then
    fail "files outside /usr: $(grep -v -e '^/$' -e '^/usr' "$work/files" | tr '\n' ' ')"
else
    ok "everything under /usr"
fi
dpkg-deb -c "$deb" | awk '$6 == "./usr/bin/ghl-mcp" {print $1, $2}' | grep -q '^-rwxr-xr-x root/root$' &&
    ok "binary 0755 root:root" || fail "binary mode/owner: $(dpkg-deb -c "$deb" | grep ' ./usr/bin/ghl-mcp$')"

# ---- 2. unpack into a scratch root -------------------------------------------------------------
root="$work/root"
dpkg-deb -x "$deb" "$root"
out=$("$root/usr/bin/ghl-mcp" --version 2>&1) || fail "ghl-mcp --version exited $?"
[ "$out" = "ghl-mcp $version" ] && ok "--version: $out" || fail "--version printed '$out'"
if readelf -S "$root/usr/bin/ghl-mcp" | grep -q '\.debug_info'; then fail "binary not stripped"; else ok "stripped"; fi

man="$work/ghl-mcp.1"
gzip -dc "$root/usr/share/man/man1/ghl-mcp.1.gz" >"$man"
expect_grep "$man" '^\.TH GHL-MCP "?1"? .*ghl-mcp '"$version" "man: .TH with version"
expect_grep "$man" '^\.SH SYNOPSIS' "man: SYNOPSIS"
expect_grep "$man" '^\.SH COMMANDS' "man: COMMANDS"
expect_grep "$man" '^\.SH ENVIRONMENT' "man: ENVIRONMENT"
expect_grep "$man" 'GHL_PRIVATE_INTEGRATION_TOKEN' "man: names the token variable"
# Every option of `serve --help` made it into the page.
while read -r opt; do
    grep -qF -e "$opt" -e "${opt//-/\\-}" "$man" && ok "man: serve $opt" || fail "man lacks serve $opt"
done < <("$root/usr/bin/ghl-mcp" serve --help | sed -n 's/^  \(--[a-z][a-z0-9-]*\).*/\1/p')
if command -v groff >/dev/null; then
    warnings=$(groff -man -Tutf8 -ww -z "$man" 2>&1 || true)
    [ -z "$warnings" ] && ok "man: groff renders without warnings" || fail "man: groff: $warnings"
fi

# ---- 3. the systemd unit -------------------------------------------------------------------------
unit="$root/usr/lib/systemd/system/ghl-mcp.service"
for kv in 'ExecStart=/usr/bin/ghl-mcp serve --http 127.0.0.1:8787' User=ghl-mcp Group=ghl-mcp \
          StateDirectory=ghl-mcp EnvironmentFile=/etc/ghl-mcp/ghl-mcp.env \
          'Environment=XDG_STATE_HOME=/var/lib HOME=/var/lib/ghl-mcp' NoNewPrivileges=yes ProtectSystem=strict \
          ProtectHome=yes PrivateTmp=yes 'CapabilityBoundingSet=' WantedBy=multi-user.target; do
    grep -qxF -- "$kv" "$unit" && ok "unit: $kv" || fail "unit lacks line '$kv'"
done
if command -v systemd-analyze >/dev/null; then
    # verify checks that ExecStart is executable on this host: point it at the unpacked binary.
    mkdir -p "$work/unit"
    sed "s#^ExecStart=/usr/bin/ghl-mcp#ExecStart=$root/usr/bin/ghl-mcp#" "$unit" >"$work/unit/ghl-mcp.service"
    verify=$(systemd-analyze verify --man=no "$work/unit/ghl-mcp.service" 2>&1) && [ -z "$verify" ] &&
        ok "systemd-analyze verify: clean" || fail "systemd-analyze verify: $verify"
    exposure=$(systemd-analyze security --offline=yes "$work/unit/ghl-mcp.service" 2>/dev/null |
        sed -n 's/.*Overall exposure level for ghl-mcp.service: \([0-9.]*\).*/\1/p')
    if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
        ok "systemd-analyze security: exposure $exposure"
    else
        fail "systemd-analyze security: exposure '${exposure}' (want <= 2.0)"
    fi
else
    echo "note: no systemd-analyze here; unit checked by its key lines only"
fi

# ---- 4. maintainer scripts -------------------------------------------------------------------
ctrl="$work/control"
dpkg-deb -e "$deb" "$ctrl"
for s in postinst prerm postrm; do
    [ -f "$ctrl/$s" ] || { fail "no $s"; continue; }
    [ "$(stat -c %a "$ctrl/$s")" = 755 ] && ok "$s is 0755" || fail "$s mode $(stat -c %a "$ctrl/$s")"
    sh -n "$ctrl/$s" && ok "$s: sh -n" || fail "$s: syntax"
    head -1 "$ctrl/$s" | grep -qx '#!/bin/sh' && ok "$s: #!/bin/sh" || fail "$s: shebang"
done

# Recorders for the commands that would touch the real system.
stubs="$work/stubs"
mkdir -p "$stubs"
log="$work/calls.log"
for cmd in adduser useradd deluser userdel delgroup groupdel chown systemctl; do
    printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$cmd" "$log" >"$stubs/$cmd"
done
# getent: the user exists once GHL_TEST_USER_EXISTS=1.
printf '#!/bin/sh\necho "getent $*" >>"%s"\n[ "${GHL_TEST_USER_EXISTS:-0}" = 1 ] && echo "ghl-mcp:x:999:999::/var/lib/ghl-mcp:/usr/sbin/nologin" && exit 0\nexit 2\n' \
    "$log" >"$stubs/getent"
chmod +x "$stubs"/*
run_script() {  # run_script NAME ARGS...
    local name=$1
    shift
    env PATH="$stubs:$PATH" DPKG_ROOT="$root" sh "$ctrl/$name" "$@" >>"$work/scripts.out" 2>&1
}
: >"$log"
env_file="$root/etc/ghl-mcp/ghl-mcp.env"
run_script postinst configure "" && ok "postinst configure (fresh install)" || fail "postinst configure exited $?"
grep -q '^adduser --system --group .*--shell /usr/sbin/nologin .*ghl-mcp$' "$log" &&
    ok "postinst: adduser --system, no shell" || fail "postinst: adduser call: $(grep adduser "$log" || echo none)"
if [ -f "$env_file" ]; then
    [ "$(stat -c %a "$env_file")" = 640 ] && ok "env file 0640" || fail "env file mode $(stat -c %a "$env_file")"
    cmp -s "$env_file" "$src/packaging/ghl-mcp.env.example" && ok "env file = ghl-mcp.env.example" ||
        fail "env file differs from packaging/ghl-mcp.env.example"
    grep -q "^chown root:ghl-mcp $env_file" "$log" && ok "env file chown root:ghl-mcp" || fail "env file not chowned"
    [ "$(stat -c %a "$root/etc/ghl-mcp")" = 750 ] && ok "/etc/ghl-mcp 0750" || fail "/etc/ghl-mcp mode"
    [ "$(stat -c %a "$root/var/lib/ghl-mcp")" = 750 ] && grep -q "^chown ghl-mcp:ghl-mcp $root/var/lib/ghl-mcp\$" "$log" &&
        ok "/var/lib/ghl-mcp 0750 ghl-mcp:ghl-mcp" || fail "/var/lib/ghl-mcp: mode or owner"
else
    fail "postinst did not create /etc/ghl-mcp/ghl-mcp.env"
fi
# Upgrade: the admin's edits survive, the existing user is not re-created.
echo "GHL_LOCATION_ID=edited-by-admin" >>"$env_file"
: >"$log"
GHL_TEST_USER_EXISTS=1 run_script postinst configure 0.0.9 && ok "postinst configure (upgrade)" || fail "postinst upgrade exited $?"
grep -q 'edited-by-admin' "$env_file" && ok "upgrade keeps the env file" || fail "upgrade overwrote the env file"
grep -q '^adduser' "$log" && fail "upgrade re-ran adduser" || ok "upgrade does not re-create the user"
run_script prerm remove && ok "prerm remove" || fail "prerm remove exited $?"
run_script postrm remove && ok "postrm remove" || fail "postrm remove exited $?"
[ -f "$env_file" ] && ok "remove keeps the env file" || fail "remove deleted the env file"
# Purge: credentials, state and user go.
touch "$root/var/lib/ghl-mcp/tokens.db"
: >"$log"
GHL_TEST_USER_EXISTS=1 run_script postrm purge && ok "postrm purge" || fail "postrm purge exited $?"
[ ! -e "$env_file" ] && [ ! -e "$root/etc/ghl-mcp" ] && ok "purge removes /etc/ghl-mcp" || fail "purge left /etc/ghl-mcp"
[ ! -e "$root/var/lib/ghl-mcp" ] && ok "purge removes /var/lib/ghl-mcp" || fail "purge left /var/lib/ghl-mcp"
grep -q '^deluser --system .*ghl-mcp$' "$log" && ok "purge deletes the user" || fail "purge: $(cat "$log")"
if run_script postinst bogus-action; then fail "postinst accepted an unknown action"; else ok "postinst rejects unknown actions"; fi

# ---- 5. make install rules with another prefix --------------------------------------------------
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "cmake --install"; }
[ "$("$prefix/bin/ghl-mcp" --version 2>&1)" = "ghl-mcp $version" ] && ok "install: bin/ghl-mcp runs" || fail "install: bin/ghl-mcp"
grep -qx "ExecStart=$prefix/bin/ghl-mcp serve --http 127.0.0.1:8787" "$prefix/lib/systemd/system/ghl-mcp.service" &&
    ok "install: unit ExecStart follows the prefix" || fail "install: ExecStart is $(grep ExecStart "$prefix/lib/systemd/system/ghl-mcp.service")"
[ -f "$prefix/share/man/man1/ghl-mcp.1.gz" ] && ok "install: man page" || fail "install: no man page"
[ -f "$prefix/share/doc/ghl-mcp/examples/ghl-mcp.env.example" ] && ok "install: examples" || fail "install: no examples"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed; scripts output:" >&2
    cat "$work/scripts.out" >&2 || true
    exit 1
fi
rm -rf "$work"
echo "packaging: all checks passed"
