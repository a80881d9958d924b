# shellcheck shell=bash disable=SC2034 # GH, ROOT and the counters are the sourcing script's
# The start every tests/cli/test_*.sh shares, sourced first thing with
#   . "$(dirname "$0")/lib.sh"
# It sets strict mode, GH (the gatehouse binary, the script's $1), ROOT (the repository),
# tmp (a scratch directory removed on exit), the counters `checks` (run) and `fails`, and
# the helpers below. Every failed check prints one line "FAIL ID: reason", then what the
# command printed, indented by "  | " (at most 40 lines a file).
#
# A script may set, after sourcing:
#   RUN_IN=DIR          expect and golden_in run commands there (default: where it started)
#   ERR=out             expect puts stderr with stdout in $tmp/out (default: in $tmp/err)
#   FAIL_SHOWS=FILE     what a bare `fail REASON` shows after its line (default: nothing)
set -uo pipefail
GH=$1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0
RUN_IN=
ERR=err
FAIL_SHOWS=

# fail REASON [FILE...] : counts a failure and says so, showing the files (else FAIL_SHOWS).
fail() {
    echo "FAIL $1"
    fails=$((fails + 1))
    shift
    if [ $# = 0 ] && [ -n "$FAIL_SHOWS" ]; then set -- "$FAIL_SHOWS"; fi
    local f
    for f in "$@"; do
        if [ -f "$f" ]; then sed 's/^/  | /' "$f" | head -40; fi
    done
}

# run CMD... : CMD in RUN_IN, stdout in $tmp/out, stderr in $tmp/$ERR; CMD's exit status.
run() {
    if [ -z "$RUN_IN" ]; then
        if [ "$ERR" = out ]; then "$@" >"$tmp/out" 2>&1; else "$@" >"$tmp/out" 2>"$tmp/err"; fi
    elif [ "$ERR" = out ]; then
        (cd "$RUN_IN" && "$@") >"$tmp/out" 2>&1
    else
        (cd "$RUN_IN" && "$@") >"$tmp/out" 2>"$tmp/err"
    fi
}

# expect ID WANT_STATUS CMD... : runs CMD (see run) and checks its exit status.
expect() {
    local id=$1 want=$2
    shift 2
    checks=$((checks + 1))
    rm -f "$tmp/err"
    run "$@"
    local got=$?
    [ "$got" = "$want" ] || fail "$id: exit $got, want $want" "$tmp/out" "$tmp/err"
}

# has ID FIXED_TEXT : the last command's output ($tmp/out) contains the text.
has() {
    checks=$((checks + 1))
    grep -qF -- "$2" "$tmp/out" || fail "$1: output lacks: $2" "$tmp/out"
}

# expect_in ID FILE FIXED_TEXT : FILE contains the text.
expect_in() {
    checks=$((checks + 1))
    grep -qF -- "$3" "$2" || fail "$1: $(basename "$2") lacks: $3" "$2"
}

# golden_in DIR ID WANT_STATUS EXPECTED CMD... : runs CMD in DIR, passes its stdout through
# the script's `mask` (what varies from run to run) into $tmp/out, stderr in $tmp/err, and
# compares $tmp/out with the file EXPECTED byte for byte. With UPDATE=--update it rewrites
# EXPECTED first.
golden_in() {
    local dir=$1 id=$2 want=$3 expected=$4
    shift 4
    checks=$((checks + 1))
    (cd "$dir" && "$@") >"$tmp/raw" 2>"$tmp/err"
    local got=$?
    mask <"$tmp/raw" >"$tmp/out"
    if [ "${UPDATE:-}" = --update ]; then cp "$tmp/out" "$expected"; fi
    if [ "$got" != "$want" ]; then
        fail "$id: exit $got, want $want" "$tmp/err"
    elif ! cmp -s "$tmp/out" "$expected"; then
        fail "$id: output differs from $(basename "$expected")"
        diff "$expected" "$tmp/out" | sed 's/^/  | /'
    fi
}
