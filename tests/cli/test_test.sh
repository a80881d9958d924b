#!/usr/bin/env bash
# gatehouse test end to end: the repository-style fixture tests/fixtures/repo (several
# packages, data files in nested directories, print calls, failing, erroring and skipped
# tests) against the committed tests/fixtures/repo.expected.* outputs, byte for byte with
# durations masked; exit codes; options; the example policies.
# Usage: test_test.sh GATEHOUSE_BINARY [--update]   (--update rewrites the expected files)
. "$(dirname "$0")/lib.sh"
UPDATE=${2:-}
FIX=$ROOT/tests/fixtures
ERR=out

# Durations vary: "(1.2ms)" in text, "duration": N in JSON, time="..." in JUnit.
mask() {
    sed -E -e 's/\(([0-9]+(\.[0-9]+)?(ns|µs|ms|s|m|h))+\)/(DURATION)/g' \
        -e 's/"duration": [0-9]+/"duration": 0/' -e 's/time="[0-9.]+"/time="0"/g'
}

# golden ID WANT_STATUS EXPECTED_SUFFIX ARGS... : gatehouse test ARGS in tests/fixtures,
# stdout compared with tests/fixtures/repo.expected.EXPECTED_SUFFIX.
golden() { golden_in "$FIX" "$1" "$2" "$FIX/repo.expected.$3" "$GH" test "${@:4}"; }

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
expect "test-2.2 --bench" 0 "$GH" test --bench --run 'test_segments$' "$FIX/repo"
checks=$((checks + 1))
grep -qE '^data\.lib\.strings_test\.test_segments	 *[0-9]+	 *[0-9.]+ ns/op$' "$tmp/out" ||
    fail "test-2.3 bench line" "$tmp/out"
expect "test-2.18 gobench" 0 "$GH" test --bench --format gobench --run 'test_segments$' "$FIX/repo"
checks=$((checks + 1))
grep -qE '^BenchmarkDataLibStringsTestTestSegments	 *[0-9]+	 *[0-9.]+ ns/op$' "$tmp/out" ||
    fail "test-2.19 gobench line" "$tmp/out"
expect "test-2.20 gobench without --bench" 0 "$GH" test --format gobench "$FIX/repo"
has "test-2.21 gobench message" "cannot use output format gobench without running benchmarks (--bench)"
expect "test-2.22 skipped: exit 2" 2 "$GH" test --run 'todo_test|test_segments' "$FIX/repo"
expect "test-2.23 -z" 0 "$GH" test -z --run 'todo_test|test_segments' "$FIX/repo"
expect "test-2.24 --fail-on-empty" 1 "$GH" test --fail-on-empty --run 'nothing_matches' "$FIX/repo"
has "test-2.25 no tests message" "no tests were run"
printf 'package slow\n\ntest_slow if {\n\tr := numbers.range(1, 3000)\n\tevery x in r {\n\t\tevery y in r { x + y > 0 }\n\t}\n}\n' >"$tmp/slow.rego"
expect "test-2.4 --timeout" 2 "$GH" test --timeout 20ms "$tmp/slow.rego"
has "test-2.5 timeout is an error" "data.slow.test_slow: ERROR"
has "test-2.5b OPA's cancellation text" "  eval_cancel_error: caller cancelled query execution"
expect "test-2.6 no tests at all" 0 "$GH" test "$FIX/repo/config/limits.json"
printf 'package v0t\n\ntest_v0 { x := [1]; x[0] == 1 }\n' >"$tmp/v0.rego"
expect "test-2.7 v0 rejected" 1 "$GH" test "$tmp/v0.rego"
expect "test-2.8 --v0-compatible" 0 "$GH" test --v0-compatible "$tmp/v0.rego"
expect "test-2.9 --help" 0 "$GH" test --help
has "test-2.10 usage" "usage: gatehouse test"

expect "test-2.11 --threshold not met" 2 "$GH" test --threshold 50 --run 'strings_test\.test_s(egments|hout)$' "$FIX/repo"
has "test-2.12 threshold message" "Code coverage threshold not met: got 20.45 instead of 50.00"
expect "test-2.13 --coverage with a failing test" 1 "$GH" test --coverage --run 'test_number' "$FIX/repo"
has "test-2.14 the failure" "data.lib.strings_test.test_number: FAIL ("
expect "test-2.15 --coverage with an erroring test" 1 "$GH" test --coverage --run 'conflict' "$FIX/repo"
has "test-2.16 the error" "eval_conflict_error: complete rules must not produce multiple outputs"
expect "test-2.17 --coverage --bench" 1 "$GH" test --coverage --bench "$FIX/repo"

golden "test-2.26 --explain means -v" 2 verbose --explain fails --v1-compatible repo
expect "test-2.27 bad --explain" 1 "$GH" test --explain everything "$FIX/repo"

# ---- errors before any test runs: exit 1, as opa test ----
expect "test-3.1 no path" 1 "$GH" test
expect "test-3.2 missing path" 1 "$GH" test "$tmp/nope"
printf 'package broken\n\ntest_x if {\n' >"$tmp/broken.rego"
expect "test-3.3 parse error" 1 "$GH" test "$tmp/broken.rego"
has "test-3.4 located" "$tmp/broken.rego:4:"
printf 'package c\n\ntest_x if { y > 1 }\n' >"$tmp/unsafe.rego"
expect "test-3.5 compile error" 1 "$GH" test "$tmp/unsafe.rego"
has "test-3.6 compile error text" "1 error occurred: $tmp/unsafe.rego:3: rego_unsafe_var_error: var y is unsafe"
expect "test-3.7 bad --run" 1 "$GH" test --run '(' "$FIX/repo"
expect "test-3.8 bad --format" 1 "$GH" test --format xml "$FIX/repo"
expect "test-3.9 bad --timeout" 1 "$GH" test --timeout 5 "$FIX/repo"
expect "test-3.10 bad --threshold" 1 "$GH" test --threshold 101 "$FIX/repo"

# ---- the example policies ----
expect "test-4.1 policies/" 0 "$GH" test "$ROOT/policies"
has "test-4.2 policies/ all pass" "PASS: "
expect "test-4.3 policies/ coverage >= 90%" 0 "$GH" test --threshold 90 "$ROOT/policies"
# both sets run, and each reaches the threshold on its own
expect "test-4.4 both sets" 0 "$GH" test -v "$ROOT/policies"
has "test-4.5 the data-platform set ran" "data.gatehouse.authz_test.test_row_filter_regions_only: PASS"
has "test-4.6 the Envoy set ran" "data.envoy.authz_test.test_expired_token: PASS"
expect "test-4.7 policies/authz coverage >= 90%" 0 "$GH" test --coverage --threshold 90 "$ROOT/policies/authz"
expect "test-4.8 policies/envoy coverage >= 90%" 0 "$GH" test --coverage --threshold 90 "$ROOT/policies/envoy"
expect "test-4.8b policies/datamaster coverage >= 90%" 0 "$GH" test --coverage --threshold 90 "$ROOT/policies/datamaster"
# the gate bites: the Envoy set with only its first test left falls below 90%
mkdir -p "$tmp/envoy"
cp "$ROOT/policies/envoy/authz.rego" "$tmp/envoy/"
sed '/^test_guest_reads_a_product if {/,$d' "$ROOT/policies/envoy/authz_test.rego" >"$tmp/envoy/authz_test.rego"
expect "test-4.9 below the threshold" 2 "$GH" test --coverage --threshold 90 "$tmp/envoy"
has "test-4.10 says so" "Code coverage threshold not met: got "

echo "$((checks - fails))/$checks checks passed"
[ "$fails" = 0 ]
