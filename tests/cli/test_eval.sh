#!/usr/bin/env bash
# gatehouse eval end to end: -d loading (modules, data by directory, relaxed JSON, YAML),
# input files, output formats as opa eval prints them, errors and exit codes.
# Usage: test_eval.sh GATEHOUSE_BINARY
set -uo pipefail
GH=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0

expect() { # expect NAME WANT_STATUS CMD... ; stdout+stderr land in $tmp/out
    local name=$1 want=$2
    shift 2
    checks=$((checks + 1))
    "$@" >"$tmp/out" 2>&1
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL $name: exit $got, want $want"; sed 's/^/  | /' "$tmp/out"; fails=$((fails + 1))
    fi
}

expect "eval-1.1 help" 0 "$GH" eval --help
expect "eval-1.2 no query" 2 "$GH" eval

echo "test_eval: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
