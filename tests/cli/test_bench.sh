#!/usr/bin/env bash
# gatehouse bench end to end: the shape of opa bench's table and JSON (rows present and in
# order, numbers positive, count equal to samples, --benchtime Nx giving exactly N), the
# flags that drop rows, and the errors (bad query, missing file, undefined result) with
# opa's exit codes. Timings are never compared.
# Usage: test_bench.sh GATEHOUSE_BINARY
. "$(dirname "$0")/lib.sh"
FAIL_SHOWS=$tmp/out

row() { # row KEY : the value of a table row of $tmp/out, or empty
    awk -F'|' -v k="$1" '{ g = $2; gsub(/ /, "", g) } g == k { v = $3; gsub(/ /, "", v); print v }' "$tmp/out"
}
positive() { # positive ID KEY : the row exists and holds a number > 0
    checks=$((checks + 1))
    local v
    v=$(row "$2")
    awk -v v="$v" 'BEGIN { exit !(v ~ /^[0-9]+(\.[0-9]+)?$/ && v + 0 > 0) }' ||
        fail "$1: row $2 is '$v', want a positive number"
}

mkdir -p "$tmp/policy"
cat >"$tmp/policy/authz.rego" <<'EOF'
package authz

default allow := false

allow if input.user in data.admins

names contains n if some n in ["a", "b", "c"]
EOF
echo '{"admins": ["alice"]}' >"$tmp/policy/data.json"
echo '{"user": "alice"}' >"$tmp/alice.json"
echo '{"user": "bob"}' >"$tmp/bob.json"

hist="75% 90% 95% 99% 99.9% 99.99% count max mean median min stddev"

# bench-1: the pretty table.
expect "bench-1.1 pretty" 0 "$GH" bench --benchtime 300x -d "$tmp/policy" -i "$tmp/alice.json" data.authz.allow
checks=$((checks + 1))
[ "$(row samples)" = 300 ] || fail "bench-1.2 --benchtime 300x: samples is '$(row samples)', want 300"
positive "bench-1.3" ns/op
checks=$((checks + 1))
[ -n "$(row B/op)" ] || fail "bench-1.4 no B/op row"
positive "bench-1.5 (the evaluation builds values in its arena)" B/op
if grep -q "allocs/op is not counted" "$tmp/err"; then
    checks=$((checks + 1))
    [ -z "$(row allocs/op)" ] || fail "bench-1.6 allocs/op printed although not counted"
else
    checks=$((checks + 1))
    row allocs/op | grep -qE '^[0-9]+$' || fail "bench-1.6 allocs/op is '$(row allocs/op)'"
fi
for h in $hist; do
    checks=$((checks + 1))
    [ -n "$(row "histogram_timer_rego_query_eval_ns_$h")" ] || fail "bench-1.7 no histogram row $h"
done
for h in count max mean median min 99%; do positive "bench-1.8" "histogram_timer_rego_query_eval_ns_$h"; done
checks=$((checks + 1))
[ "$(row histogram_timer_rego_query_eval_ns_count)" = 300 ] || fail "bench-1.9 count differs from samples"
checks=$((checks + 1))
keys=$(awk -F'|' 'NF > 2 { k = $2; gsub(/ /, "", k); print k }' "$tmp/out" | tr '\n' ' ')
want="samples ns/op B/op $(row allocs/op >/dev/null; [ -n "$(row allocs/op)" ] && echo 'allocs/op ')"
for h in $hist; do want="${want}histogram_timer_rego_query_eval_ns_$h "; done
[ "$keys" = "$want" ] || fail "bench-1.10 rows in the wrong order: $keys"
checks=$((checks + 1))
[ "$(head -n 1 "$tmp/out")" = "$(tail -n 1 "$tmp/out")" ] && head -n 1 "$tmp/out" | grep -qE '^\+-+\+-+\+$' ||
    fail "bench-1.11 no +---+ border lines"
checks=$((checks + 1))
awk -F'|' -v min="$(row histogram_timer_rego_query_eval_ns_min)" -v med="$(row histogram_timer_rego_query_eval_ns_median)" \
    -v max="$(row histogram_timer_rego_query_eval_ns_max)" 'BEGIN { exit !(min <= med && med <= max) }' ||
    fail "bench-1.12 min <= median <= max does not hold"

# bench-2: a false decision is a defined result (opa reports the value false).
expect "bench-2.1 false is defined" 0 "$GH" bench --benchtime 50x -d "$tmp/policy" -i "$tmp/bob.json" data.authz.allow
checks=$((checks + 1))
[ "$(row samples)" = 50 ] || fail "bench-2.2 samples"
expect "bench-2.3 iteration" 0 "$GH" bench --benchtime 20x -d "$tmp/policy" 'x := data.authz.names[_]'

# bench-3: JSON, Go's testing.BenchmarkResult.
expect "bench-3.1 json" 0 "$GH" bench --benchtime 100x -f json -d "$tmp/policy" -i "$tmp/alice.json" data.authz.allow
cp "$tmp/out" "$tmp/result.json"
for k in '"N": 100,' '"T": ' '"Bytes": 0,' '"MemAllocs": ' '"MemBytes": ' '"Extra": {'; do
    expect_in "bench-3.2" "$tmp/result.json" "$k"
done
for h in $hist; do expect_in "bench-3.3" "$tmp/result.json" "\"histogram_timer_rego_query_eval_ns_$h\": "; done
# gatehouse reads its own output back: it must be JSON with the right types.
expect "bench-3.4 parses" 0 "$GH" eval -f raw -i "$tmp/result.json" \
    'input.N == 100; input.T > 0; input.MemBytes > 0; input.MemAllocs >= 0;
     input.Extra["histogram_timer_rego_query_eval_ns_count"] == 100;
     input.Extra["histogram_timer_rego_query_eval_ns_max"] >= input.Extra["histogram_timer_rego_query_eval_ns_min"];
     count(input.Extra) == 12'
checks=$((checks + 1))
[ "$(cat "$tmp/out")" = "true true true true true true true" ] || fail "bench-3.5 JSON fields: $(cat "$tmp/out")"
if command -v python3 >/dev/null; then
    checks=$((checks + 1))
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert list(d) == ["N","T","Bytes","MemAllocs","MemBytes","Extra"]' \
        "$tmp/result.json" 2>"$tmp/out" || fail "bench-3.6 strict JSON, OPA's key order"
fi

# bench-3b: gobench, Go's benchmark line.
expect "bench-3.7 gobench" 0 "$GH" bench --benchtime 40x -f gobench -d "$tmp/policy" data.authz.allow
allocs='	 +[0-9]+ allocs/op'
grep -q "allocs/op is not counted" "$tmp/err" && allocs=''
checks=$((checks + 1))
grep -qE "^BenchmarkOPAEval	 +40	 +[0-9.]+ ns/op	.*	 *[0-9.]+ histogram_timer_rego_query_eval_ns_median	.*	 +[0-9]+ B/op$allocs\$" \
    "$tmp/out" || fail "bench-3.8 not a Go benchmark line: $(cat "$tmp/out")"

# bench-4: flags.
expect "bench-4.1 --count 2" 0 "$GH" bench --benchtime 10x --count 2 -d "$tmp/policy" data.authz.allow
checks=$((checks + 1))
[ "$(grep -c '^| samples ' "$tmp/out")" = 2 ] || fail "bench-4.2 --count 2 gives two tables"
expect "bench-4.3 --benchmem=false --metrics=false" 0 "$GH" bench --benchtime 10x --benchmem=false \
    --metrics=false -d "$tmp/policy" data.authz.allow
checks=$((checks + 1))
[ "$(grep -c '^| ' "$tmp/out")" = 2 ] || fail "bench-4.4 only samples and ns/op remain"
expect "bench-4.5 json --count 2" 0 "$GH" bench --benchtime 5x --count 2 -f json -d "$tmp/policy" data.authz.allow
checks=$((checks + 1))
[ "$(grep -c '^  "N": 5,' "$tmp/out")" = 2 ] || fail "bench-4.6 two JSON results"
expect "bench-4.7 a duration" 0 "$GH" bench --benchtime 20ms -d "$tmp/policy" data.authz.allow
positive "bench-4.8" samples
expect "bench-4.9 stdin input" 0 sh -c "echo '{\"user\": \"alice\"}' | '$GH' bench --benchtime 5x --stdin-input -d '$tmp/policy' data.authz.allow"

# bench-5: errors and exit codes (opa bench: 1).
expect "bench-5.1 undefined" 1 "$GH" bench --benchtime 5x -d "$tmp/policy" data.authz.nothing
expect_in "bench-5.2" "$tmp/err" "1 error occurred: undefined result"
expect "bench-5.3 --fail=false" 0 "$GH" bench --benchtime 5x --fail=false -d "$tmp/policy" data.authz.nothing
expect "bench-5.4 undefined, json" 1 "$GH" bench --benchtime 5x -f json -d "$tmp/policy" data.authz.nothing
expect_in "bench-5.5" "$tmp/out" '"message": "undefined result"'
expect "bench-5.6 bad query" 1 "$GH" bench -d "$tmp/policy" 'data.authz.allow =='
expect_in "bench-5.7" "$tmp/err" "rego_parse_error"
expect "bench-5.8 unknown function" 1 "$GH" bench -d "$tmp/policy" 'x := nofn(1)'
expect_in "bench-5.9" "$tmp/err" "1 error occurred: query:1: rego_type_error: undefined function nofn"
expect "bench-5.10 missing -d" 1 "$GH" bench -d "$tmp/nowhere" data.authz.allow
expect_in "bench-5.11" "$tmp/err" "$tmp/nowhere"
expect "bench-5.12 missing -i" 1 "$GH" bench -d "$tmp/policy" -i "$tmp/nowhere.json" data.authz.allow
expect_in "bench-5.13" "$tmp/err" "$tmp/nowhere.json"
printf 'package broken\nallow if {\n' >"$tmp/broken.rego"
expect "bench-5.14 broken module" 1 "$GH" bench -d "$tmp/broken.rego" data.broken.allow
expect_in "bench-5.15" "$tmp/err" "rego_parse_error"
printf 'package conflict\n\nv := 1 if input.user\n\nv := 2 if input.user\n' >"$tmp/conflict.rego"
expect "bench-5.16 eval error" 1 "$GH" bench -d "$tmp/conflict.rego" -i "$tmp/alice.json" data.conflict.v
expect_in "bench-5.17" "$tmp/err" "eval_conflict_error"

# bench-6: usage errors exit 2.
expect "bench-6.1 no query" 2 "$GH" bench -d "$tmp/policy"
expect "bench-6.2 bad format" 2 "$GH" bench -f xml data.authz.allow
expect "bench-6.3 bad count" 2 "$GH" bench --count 0 data.authz.allow
expect "bench-6.4 bad benchtime" 2 "$GH" bench --benchtime fast data.authz.allow
expect "bench-6.5 bad bool" 2 "$GH" bench --fail=maybe data.authz.allow
expect "bench-6.6 --help" 0 "$GH" bench --help
expect_in "bench-6.7 help says what allocs/op counts" "$tmp/out" "allocs/op  heap allocations"

# bench-7: bundles (-b), --ignore and Rego v0.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
expect "bench-7.1 -b" 0 "$GH" bench --benchtime 5x -b "$ROOT/tests/fixtures/inspect/bundle" \
    -i "$tmp/alice.json" data.authz.allow
checks=$((checks + 1))
[ "$(row samples)" = 5 ] || fail "bench-7.2 -b samples"
mkdir -p "$tmp/overlap"
echo '{"roots": ["authz/sub"]}' >"$tmp/overlap/.manifest"
expect "bench-7.3 -b refuses overlapping roots" 1 "$GH" bench --benchtime 5x \
    -b "$ROOT/tests/fixtures/inspect/bundle" -b "$tmp/overlap" data.authz.allow
expect_in "bench-7.4" "$tmp/err" "overlap"
expect "bench-7.5 --ignore" 1 "$GH" bench --benchtime 5x --ignore 'authz*' -d "$tmp/policy" data.authz.allow
expect_in "bench-7.6" "$tmp/err" "undefined result"
printf 'package old\n\nallow { input.user == "alice" }\n' >"$tmp/old.rego"
expect "bench-7.7 --v0-compatible" 0 "$GH" bench --benchtime 5x --v0-compatible -d "$tmp/old.rego" \
    -i "$tmp/alice.json" data.old.allow
expect "bench-7.8 v0 module without the flag" 1 "$GH" bench --benchtime 5x -d "$tmp/old.rego" data.old.allow

echo "bench: $checks checks, $fails failed"
[ "$fails" = 0 ]
