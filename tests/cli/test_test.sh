#!/usr/bin/env bash
# gatehouse test end to end: the repository-style fixture tests/fixtures/repo (several
# packages, data files in nested directories, print calls, failing, erroring and skipped
# tests) against the committed tests/fixtures/repo.expected.* outputs, byte for byte with
# durations masked; exit codes; options; the example policies.
# Usage: test_test.sh GATEHOUSE_BINARY [--update]   (--update rewrites the expected files)
set -uo pipefail
GH=$1
UPDATE=${2:-}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FIX=$ROOT/tests/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0

fail() { echo "FAIL $1"; fails=$((fails + 1)); }

# Durations vary: "(1.2ms)" in text, "duration": N in JSON, time="..." in JUnit.
mask() {
    sed -E -e 's/\(([0-9]+(\.[0-9]+)?(ns|µs|ms|s|m|h))+\)/(DURATION)/g' \
        -e 's/"duration": [0-9]+/"duration": 0/' -e 's/time="[0-9.]+"/time="0"/g'
}

# golden ID WANT_STATUS EXPECTED_SUFFIX ARGS... : run in tests/fixtures, compare stdout.
golden() {
    local id=$1 want=$2 suffix=$3
    shift 3
    checks=$((checks + 1))
    (cd "$FIX" && "$GH" test "$@") >"$tmp/raw" 2>"$tmp/err"
    local got=$?
    mask <"$tmp/raw" >"$tmp/out"
    if [ "$UPDATE" = --update ]; then cp "$tmp/out" "$FIX/repo.expected.$suffix"; fi
    if [ "$got" != "$want" ]; then
        fail "$id: exit $got, want $want"; sed 's/^/  | /' "$tmp/err"
    elif ! cmp -s "$tmp/out" "$FIX/repo.expected.$suffix"; then
        fail "$id: output differs from repo.expected.$suffix"
        diff "$FIX/repo.expected.$suffix" "$tmp/out" | sed 's/^/  | /'
    fi
}

# expect ID WANT_STATUS ARGS... ; stdout+stderr land in $tmp/out
expect() {
    local id=$1 want=$2
    shift 2
    checks=$((checks + 1))
    "$GH" test "$@" >"$tmp/out" 2>&1
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "$id: exit $got, want $want"; sed 's/^/  | /' "$tmp/out"
    fi
}
expect_out() { # expect_out ID FIXED_TEXT : the last output contains the text
    checks=$((checks + 1))
    grep -qF -- "$2" "$tmp/out" || { fail "$1: output lacks: $2"; sed 's/^/  | /' "$tmp/out"; }
}

# ---- the fixture, every format ----
golden "test-1.1 pretty" 2 pretty repo
golden "test-1.2 verbose" 2 verbose -v repo
golden "test-1.3 json" 2 json --format json repo
golden "test-1.4 junit" 2 junit --format junit repo
golden "test-1.5 --run, all pass" 0 run -v --run 'strings_test\.(test_segments|test_shout|cases\..*)$' repo
golden "test-1.6 serial gives the same" 2 verbose -v -p 1 repo

golden "test-1.6b ./repo/ named as repo/, as Go's filepath.Clean" 2 pretty ./repo/
golden "test-1.7 coverage" 0 coverage --coverage --run 'strings_test\.test_s(egments|hout)$' repo

# ---- options ----
checks=$((checks + 1))
n=$(cd "$FIX" && "$GH" test --count 3 --run config_test.test_p repo | grep -c '^PASS: 1/1$')
[ "$n" = 3 ] || fail "test-2.1 --count 3 reports three times (got $n)"
n=$(cd "$FIX" && "$GH" test --count 3 repo | grep -c '^PASS: 10/17$')
[ "$n" = 1 ] || fail "test-2.1b --count stops after a failing run, as opa (got $n reports)"
expect "test-2.2 --bench" 0 --bench --run 'test_segments$' "$FIX/repo"
checks=$((checks + 1))
grep -qE '^data\.lib\.strings_test\.test_segments	 *[0-9]+	 *[0-9.]+ ns/op$' "$tmp/out" ||
    { fail "test-2.3 bench line"; sed 's/^/  | /' "$tmp/out"; }
expect "test-2.18 gobench" 0 --bench --format gobench --run 'test_segments$' "$FIX/repo"
checks=$((checks + 1))
grep -qE '^BenchmarkDataLibStringsTestTestSegments	 *[0-9]+	 *[0-9.]+ ns/op$' "$tmp/out" ||
    { fail "test-2.19 gobench line"; sed 's/^/  | /' "$tmp/out"; }
expect "test-2.20 gobench without --bench" 0 --format gobench "$FIX/repo"
expect_out "test-2.21 gobench message" "cannot use output format gobench without running benchmarks (--bench)"
expect "test-2.22 skipped: exit 2" 2 --run 'todo_test|test_segments' "$FIX/repo"
expect "test-2.23 -z" 0 -z --run 'todo_test|test_segments' "$FIX/repo"
expect "test-2.24 --fail-on-empty" 1 --fail-on-empty --run 'nothing_matches' "$FIX/repo"
expect_out "test-2.25 no tests message" "no tests were run"
printf 'package slow\n\ntest_slow if {\n\tr := numbers.range(1, 3000)\n\tevery x in r {\n\t\tevery y in r { x + y > 0 }\n\t}\n}\n' >"$tmp/slow.rego"
expect "test-2.4 --timeout" 2 --timeout 20ms "$tmp/slow.rego"
expect_out "test-2.5 timeout is an error" "data.slow.test_slow: ERROR"
expect_out "test-2.5b OPA's cancellation text" "  eval_cancel_error: caller cancelled query execution"
expect "test-2.6 no tests at all" 0 "$FIX/repo/config/limits.json"
printf 'package v0t\n\ntest_v0 { x := [1]; x[0] == 1 }\n' >"$tmp/v0.rego"
expect "test-2.7 v0 rejected" 1 "$tmp/v0.rego"
expect "test-2.8 --v0-compatible" 0 --v0-compatible "$tmp/v0.rego"
expect "test-2.9 --help" 0 --help
expect_out "test-2.10 usage" "usage: gatehouse test"

expect "test-2.11 --threshold not met" 2 --threshold 50 --run 'strings_test\.test_s(egments|hout)$' "$FIX/repo"
expect_out "test-2.12 threshold message" "Code coverage threshold not met: got 20.45 instead of 50.00"
expect "test-2.13 --coverage with a failing test" 1 --coverage --run 'test_number' "$FIX/repo"
expect_out "test-2.14 the failure" "data.lib.strings_test.test_number: FAIL ("
expect "test-2.15 --coverage with an erroring test" 1 --coverage --run 'conflict' "$FIX/repo"
expect_out "test-2.16 the error" "eval_conflict_error: complete rules must not produce multiple outputs"
expect "test-2.17 --coverage --bench" 1 --coverage --bench "$FIX/repo"

golden "test-2.26 --explain means -v" 2 verbose --explain fails --v1-compatible repo
expect "test-2.27 bad --explain" 1 --explain everything "$FIX/repo"

# ---- errors before any test runs: exit 1, as opa test ----
expect "test-3.1 no path" 1
expect "test-3.2 missing path" 1 "$tmp/nope"
printf 'package broken\n\ntest_x if {\n' >"$tmp/broken.rego"
expect "test-3.3 parse error" 1 "$tmp/broken.rego"
expect_out "test-3.4 located" "$tmp/broken.rego:4:"
printf 'package c\n\ntest_x if { y > 1 }\n' >"$tmp/unsafe.rego"
expect "test-3.5 compile error" 1 "$tmp/unsafe.rego"
expect_out "test-3.6 compile error text" "1 error occurred: $tmp/unsafe.rego:3: rego_unsafe_var_error: var y is unsafe"
expect "test-3.7 bad --run" 1 --run '(' "$FIX/repo"
expect "test-3.8 bad --format" 1 --format xml "$FIX/repo"
expect "test-3.9 bad --timeout" 1 --timeout 5 "$FIX/repo"
expect "test-3.10 bad --threshold" 1 --threshold 101 "$FIX/repo"

# ---- the example policies ----
expect "test-4.1 policies/" 0 "$ROOT/policies"
expect_out "test-4.2 policies/ all pass" "PASS: "
expect "test-4.3 policies/ coverage >= 90%" 0 --threshold 90 "$ROOT/policies"
# both sets run, and each reaches the threshold on its own
expect "test-4.4 both sets" 0 -v "$ROOT/policies"
expect_out "test-4.5 the data-platform set ran" "data.gatehouse.authz_test.test_row_filter_regions_only: PASS"
expect_out "test-4.6 the Envoy set ran" "data.envoy.authz_test.test_expired_token: PASS"
expect "test-4.7 policies/authz coverage >= 90%" 0 --coverage --threshold 90 "$ROOT/policies/authz"
expect "test-4.8 policies/envoy coverage >= 90%" 0 --coverage --threshold 90 "$ROOT/policies/envoy"
# the gate bites: the Envoy set with only its first test left falls below 90%
mkdir -p "$tmp/envoy"
cp "$ROOT/policies/envoy/authz.rego" "$tmp/envoy/"
sed '/^test_guest_reads_a_product if {/,$d' "$ROOT/policies/envoy/authz_test.rego" >"$tmp/envoy/authz_test.rego"
expect "test-4.9 below the threshold" 2 --coverage --threshold 90 "$tmp/envoy"
expect_out "test-4.10 says so" "Code coverage threshold not met: got "

echo "$((checks - fails))/$checks checks passed"
[ "$fails" = 0 ]
