#!/usr/bin/env bash
# gatehouse eval --explain/--profile/--metrics and gatehouse test -v/--var-values end to end
# (explain-N.M): the fixture tests/fixtures/explain (a policy with a scan, `not`, `every`, a
# comprehension, a function and trace(), and tests that fail) against the committed
# tests/fixtures/explain.expected.* outputs, byte for byte, with times masked; exact profile
# counts; the metrics' names; bad option values.
# Usage: test_explain.sh GATEHOUSE_BINARY [--update]   (--update rewrites the expected files)
. "$(dirname "$0")/lib.sh"
UPDATE=${2:-}
FIX=$ROOT/tests/fixtures
RUN_IN=$FIX/explain # expect runs commands in tests/fixtures/explain

# Times vary: "(1.2ms)" after a test, "total_time_ns": N and "timer_..._ns": N in JSON.
mask() {
    sed -E -e 's/\(([0-9]+(\.[0-9]+)?(ns|µs|ms|s|m|h))+\)/(DURATION)/g' \
        -e 's/"(total_time_ns|timer_[a-z_]+_ns)": [0-9]+/"\1": 0/'
}

# golden ID WANT_STATUS SUFFIX CMD... : run in tests/fixtures/explain, compare stdout with
# tests/fixtures/explain.expected.SUFFIX.
golden() { golden_in "$FIX/explain" "$1" "$2" "$FIX/explain.expected.$3" "${@:4}"; }

matches() { # matches ID FILE REGEX : a line of the last command's FILE ($tmp/FILE) matches REGEX
    checks=$((checks + 1))
    grep -qE -- "$3" "$tmp/$2" || fail "$1: $2 lacks /$3/" "$tmp/$2"
}

Q=data.shop.authz.allow
EV=("$GH" eval -d . -i input.json)

# ---- eval --explain ----
golden "explain-1.1 full" 0 full "${EV[@]}" -f pretty --explain full $Q
golden "explain-1.2 fails" 0 fails "${EV[@]}" -f pretty --explain fails $Q
golden "explain-1.3 notes" 0 notes "${EV[@]}" -f pretty --explain notes $Q
golden "explain-1.4 debug is full" 0 full "${EV[@]}" -f pretty --explain debug $Q
expect "explain-1.5 off" 0 "${EV[@]}" -f pretty --explain off $Q
matches "explain-1.5 off" out '^true$'
checks=$((checks + 1)); [ "$(wc -l <"$tmp/out")" = 1 ] || fail "explain-1.5: more than the result"
# the query's own expressions, mapped back from the rewrite that reports their values
expect "explain-1.6 query fails" 0 "${EV[@]}" -f pretty --explain fails 'data.shop.authz.total > 100'
matches "explain-1.6" out '^query:1 +\| Fail data\.shop\.authz\.total > 100$'
matches "explain-1.6" out '^undefined$'
expect "explain-1.7 json" 0 "${EV[@]}" --explain notes $Q
matches "explain-1.7" out '"explanation": \['
matches "explain-1.7" out '"Op": "Note",'
matches "explain-1.7" out '"Message": "order allowed"'
expect "explain-1.8 bad mode" 2 "${EV[@]}" --explain loud $Q
matches "explain-1.8" err "unknown --explain mode 'loud'"

# ---- eval --profile, --metrics ----
golden "explain-2.1 profile json" 0 profile.json "${EV[@]}" --profile --profile-sort num_eval,num_redo,line --profile-limit 0 $Q
expect "explain-2.2 profile pretty" 0 "${EV[@]}" -f pretty --profile $Q
matches "explain-2.2" out '^\|  +TIME +\| NUM EVAL \| NUM REDO \| NUM GEN EXPR \| +LOCATION +\|$'
matches "explain-2.2" out '^\| [0-9.]+(ns|µs|ms|s) +\| 2 +\| 0 +\| 1 +\| \./policy\.rego:22 +\|$'
matches "explain-2.2" out '^\| [0-9.]+(ns|µs|ms|s) +\| 1 +\| 2 +\| 1 +\| \./policy\.rego:19 +\|$'
matches "explain-2.2" out '^\| timer_rego_query_eval_ns +\| [0-9]+ +\|$'
checks=$((checks + 1))
rows=$(grep -cE '^\| [0-9.]+(ns|µs|ms|s) ' "$tmp/out")
[ "$rows" = 10 ] || fail "explain-2.2: $rows profile rows, want 10 (--profile-limit's default)"
expect "explain-2.3 limit" 0 "${EV[@]}" -f pretty --profile-limit 3 $Q
checks=$((checks + 1))
rows=$(grep -cE '^\| [0-9.]+(ns|µs|ms|s) ' "$tmp/out")
[ "$rows" = 3 ] || fail "explain-2.3: $rows profile rows, want 3"
expect "explain-2.4 query row" 0 "${EV[@]}" -f pretty --profile-sort line --profile-limit 0 $Q
matches "explain-2.4" out '\| data\.shop\.authz\.allow +\|$'
golden "explain-2.5 metrics" 0 metrics "${EV[@]}" --metrics 'data.shop.authz.total'
expect "explain-2.6 bad criterion" 2 "${EV[@]}" --profile-sort speed $Q
matches "explain-2.6" err "unknown profile sort criterion 'speed'"
expect "explain-2.7 bad limit" 2 "${EV[@]}" --profile-limit ten $Q
matches "explain-2.7" err "invalid --profile-limit 'ten'"
expect "explain-2.8 undefined keeps metrics" 0 "${EV[@]}" --metrics 'data.shop.authz.nothing'
matches "explain-2.8" out '^  "metrics": \{$'

# ---- test -v, --var-values ----
golden "explain-3.1 var values" 2 varvalues "$GH" test --var-values .
golden "explain-3.2 verbose" 2 verbose "$GH" test -v .
golden "explain-3.3 verbose, full trace" 2 verbose-full "$GH" test -v --explain full .
golden "explain-3.4 verbose with values" 2 verbose-values "$GH" test -v --var-values --explain full .

echo "$((checks - fails))/$checks checks passed"
[ "$fails" = 0 ]
