#!/usr/bin/env bash
# Writes the ghl-mcp(1) man page from the built binary's own --help output, so the page can never
# disagree with the flags: help2man turns `ghl-mcp --help` / `--version` into NAME, SYNOPSIS,
# DESCRIPTION and OPTIONS; every subcommand's `--help` (found by walking the "Subcommands:" lists)
# becomes a COMMANDS section; ENVIRONMENT is the README's configuration table (the one place the
# variables are documented); ghl-mcp.h2m adds the hand-written FILES, EXAMPLES, SEE ALSO.
# Usage: gen-man.sh BINARY INCLUDE.h2m README.md OUTPUT.1
set -euo pipefail
bin=$1 include=$2 readme=$3 out=$4
command -v help2man >/dev/null || { echo "gen-man: help2man is missing (make deps)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Subcommand names listed under "Subcommands:" in a --help text (two-space indent, name, spaces).
subcommands() { sed -n '/^Subcommands:/,/^$/{s/^  \([a-z][a-z0-9-]*\) .*/\1/p;s/^  \([a-z][a-z0-9-]*\)$/\1/p}'; }

# roff-safe verbatim block: backslashes escaped, lines starting with . or ' neutralised.
verbatim() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

emit() {  # emit "sub cmd path..."
    local help
    help=$("$bin" "$@" --help)
    {
        printf '.TP\n.B ghl-mcp %s\n.nf\n' "$*"
        # Drop the usage line's program name repetition; keep options and descriptions as printed.
        printf '%s\n' "$help" | verbatim
        printf '.fi\n'
    } >>"$work/commands"
    local sub
    for sub in $(printf '%s\n' "$help" | subcommands); do
        emit "$@" "$sub"
    done
}

: >"$work/commands"
for sub in $("$bin" --help | subcommands); do
    emit "$sub"
done
[ -s "$work/commands" ] || { echo "gen-man: no subcommands found in '$bin --help'" >&2; exit 1; }

# README "## Configuration" table rows `| what | flag | environment |` with an environment column:
# one .TP entry per row, `code` spans in bold.
awk -F'|' '
    /^## Configuration/ { in_section = 1; next }
    in_section && /^\| what \| flag \| environment \|/ { in_table = 1; next }
    in_table && !/^\|/ { exit }
    in_table && $2 !~ /^-+$/ && $4 ~ /[A-Z]/ {
        what = $2; env = $4
        gsub(/^ +| +$/, "", what); gsub(/^ +| +$/, "", env)
        gsub(/\\/, "\\e", what); gsub(/\\/, "\\e", env)
        while (match(env, /`[^`]*`/)) env = substr(env, 1, RSTART - 1) "\\fB" substr(env, RSTART + 1, RLENGTH - 2) "\\fR" substr(env, RSTART + RLENGTH)
        while (match(what, /`[^`]*`/)) what = substr(what, 1, RSTART - 1) "\\fB" substr(what, RSTART + 1, RLENGTH - 2) "\\fR" substr(what, RSTART + RLENGTH)
        printf ".TP\n%s\n%s\n", env, what
    }' "$readme" >"$work/environment"
[ -s "$work/environment" ] || { echo "gen-man: no environment table in $readme" >&2; exit 1; }

{
    printf '[COMMANDS]\n'
    printf 'Each command also accepts the global options above (before or after the command name).\n'
    cat "$work/commands"
    printf '[ENVIRONMENT]\nFlags win over the environment.\n'
    cat "$work/environment"
    cat "$include"
} >"$work/include.h2m"

help2man --no-info --section=1 --manual="User Commands" \
    --name="Model Context Protocol server for the GoHighLevel CRM" \
    --include="$work/include.h2m" --output="$out.tmp" "$bin"
grep -q '^\.SH COMMANDS' "$out.tmp" || { echo "gen-man: COMMANDS section missing" >&2; exit 1; }
mv "$out.tmp" "$out"
