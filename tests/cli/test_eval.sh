#!/usr/bin/env bash
# gatehouse eval end to end: -d loading (modules, data placed by directory, relaxed JSON,
# YAML), input files and stdin, opa eval's output shapes, errors and exit codes (eval-N.M).
# Usage: test_eval.sh GATEHOUSE_BINARY
. "$(dirname "$0")/lib.sh"
SEED=$ROOT/../shared/seed-policies/data-master

expect_out() { # expect_out NAME FILE(out|err) TEXT : the last command's output is exactly TEXT
    checks=$((checks + 1))
    if [ "$(cat "$tmp/$2")" != "$3" ]; then
        fail "$1: $2 differs"; diff <(echo "$3") "$tmp/$2" | sed 's/^/  | /'
    fi
}

mkdir -p "$tmp/d/a/b" "$tmp/d/c"
printf 'package t\n\np := 1\n\nq contains x if some x in [1, 2]\n\nr := count(input.n)\n\nu := input.user\n' >"$tmp/d/t.rego"
printf '{\n  // users carry comments\n  "v": 1,\n  "list": [1, 2,],\n}\n' >"$tmp/d/a/b/data.json"
printf 'roles:\n  - admin\n' >"$tmp/d/c/data.yaml"
printf 'not data\n' >"$tmp/d/notes.txt"

expect "eval-1.1 help" 0 "$GH" eval --help
expect_in "eval-1.2 usage" "$tmp/out" "usage: gatehouse eval"
expect "eval-1.3 no query" 2 "$GH" eval
expect "eval-1.4 two queries" 2 "$GH" eval x y
expect "eval-1.5 bad format" 2 "$GH" eval -f xml 1
expect "eval-1.6 missing -d path" 2 "$GH" eval -d "$tmp/nope" 1

# eval-2: opa's json shape, data placed by directory, comments and trailing commas
expect "eval-2.1 data ref" 0 "$GH" eval -d "$tmp/d" 'data.a.b.v'
expect_out "eval-2.2 json shape" out '{
  "result": [
    {
      "expressions": [
        {
          "value": 1,
          "text": "data.a.b.v",
          "location": {
            "row": 1,
            "col": 1
          }
        }
      ]
    }
  ]
}'
expect "eval-2.3 yaml data" 0 "$GH" eval -f values -d "$tmp/d" 'data.c.roles'
expect_out "eval-2.4 yaml data value" out '[
  [
    "admin"
  ]
]'
expect "eval-2.5 bindings and expression values" 0 "$GH" eval 'x := 2; x > 1; x + 1'
expect_out "eval-2.6 json with bindings" out '{
  "result": [
    {
      "expressions": [
        {
          "value": true,
          "text": "x := 2",
          "location": {
            "row": 1,
            "col": 1
          }
        },
        {
          "value": true,
          "text": "x \u003e 1",
          "location": {
            "row": 1,
            "col": 9
          }
        },
        {
          "value": 3,
          "text": "x + 1",
          "location": {
            "row": 1,
            "col": 16
          }
        }
      ],
      "bindings": {
        "x": 2
      }
    }
  ]
}'

# eval-3: undefined, false and --fail
expect "eval-3.1 undefined" 0 "$GH" eval -d "$tmp/d" 'data.t.nothing'
expect_out "eval-3.2 undefined is {}" out '{}'
expect "eval-3.3 false is undefined" 0 "$GH" eval '1 > 2'
expect_out "eval-3.4 false prints {}" out '{}'
expect "eval-3.5 --fail on undefined" 1 "$GH" eval --fail -d "$tmp/d" 'data.t.nothing'
expect "eval-3.6 --fail on defined" 0 "$GH" eval --fail -d "$tmp/d" 'data.t.p'
expect "eval-3.7 --fail-defined" 1 "$GH" eval --fail-defined -d "$tmp/d" 'data.t.p'
expect "eval-3.8 pretty undefined" 0 "$GH" eval -f pretty '1 > 2'
expect_out "eval-3.9 pretty prints undefined" out 'undefined'

# eval-4: the other formats
expect "eval-4.1 bindings" 0 "$GH" eval -f bindings -d "$tmp/d" 'data.t.q[x]'
expect_out "eval-4.2 one object per row" out '{
  "x": 1
}
{
  "x": 2
}'
expect "eval-4.3 raw" 0 "$GH" eval -f raw -d "$tmp/d" '"s"; data.t.q[y]'
expect_out "eval-4.4 raw strings bare" out 's 1
s 2'
expect "eval-4.5 pretty value" 0 "$GH" eval -f pretty -d "$tmp/d" 'data.a.b'
expect_out "eval-4.6 pretty single value" out '{
  "list": [
    1,
    2
  ],
  "v": 1
}'
expect "eval-4.7 pretty table" 0 "$GH" eval -f pretty -d "$tmp/d" 'data.t.q[x]; y := x * 10'
expect_out "eval-4.8 pretty table text" out '+---+----+-------------+
| x | y  | data.t.q[x] |
+---+----+-------------+
| 1 | 10 | 1           |
| 2 | 20 | 2           |
+---+----+-------------+'

# eval-5: input from a file (comments allowed), YAML, stdin
printf '{"n": [1, 2, 3], // three\n "user": "alice"}\n' >"$tmp/in.json"
expect "eval-5.1 input file" 0 "$GH" eval -f raw -d "$tmp/d" -i "$tmp/in.json" 'data.t.r; data.t.u'
expect_out "eval-5.2 input used" out '3 alice'
printf 'user: bob\nn: [1]\n' >"$tmp/in.yaml"
expect "eval-5.3 yaml input" 0 "$GH" eval -f raw -d "$tmp/d" -i "$tmp/in.yaml" 'data.t.u'
expect_out "eval-5.4 yaml input used" out 'bob'
checks=$((checks + 1))
if [ "$(echo '{"user": "carol"}' | "$GH" eval -f raw -d "$tmp/d" --stdin-input 'data.t.u')" != "carol" ]; then
    fail "eval-5.5 stdin input"
fi
expect "eval-5.6 -i and --stdin-input" 2 "$GH" eval -i "$tmp/in.json" --stdin-input 1
printf '{"n": }' >"$tmp/bad.json"
expect "eval-5.7 malformed input" 2 "$GH" eval -i "$tmp/bad.json" 'input'
expect_in "eval-5.8 malformed input named" "$tmp/out" "bad.json:1:7: json:"
# YAML data and input as opa reads them (sigs.k8s.io/yaml on go-yaml v2: YAML 1.1 words, octal)
mkdir -p "$tmp/y"
printf 'enabled: yes\ndebug: off\nmode: 0777\nsize: 1_000\nname: "yes"\n' >"$tmp/y/data.yaml"
expect "eval-5.9 yaml data, go-yaml v2 resolution" 0 "$GH" eval -f raw -d "$tmp/y" \
    '[data.enabled, data.debug, data.mode, data.size, data.name]'
expect_out "eval-5.10 enabled: yes is true" out '[true,false,511,1000,"yes"]'
printf 'admin: on\n' >"$tmp/in11.yaml"
expect "eval-5.11 yaml input, on is true" 0 "$GH" eval -f raw -i "$tmp/in11.yaml" 'input.admin == true'
expect_out "eval-5.12 yaml input value" out 'true'
checks=$((checks + 1))
if [ "$(printf 'admin: Y\n' | "$GH" eval -f raw --stdin-input 'input.admin')" != "true" ]; then
    fail "eval-5.13 yaml stdin input, Y is true"
fi

# eval-6: errors as opa prints them, exit 2
expect "eval-6.1 query parse error" 2 "$GH" eval -f pretty 'x := 1 +'
expect_in "eval-6.2 parse error text" "$tmp/err" "1 error occurred: 1:9: rego_parse_error: unexpected eof token"
expect "eval-6.3 json errors on stdout" 2 "$GH" eval 'x := 1 +'
expect_in "eval-6.4 json error code" "$tmp/out" '"code": "rego_parse_error"'
echo '{"n": 5}' >"$tmp/num.json"
expect "eval-6.5 strict builtin error" 2 "$GH" eval -f pretty --strict-builtin-errors -d "$tmp/d" -i "$tmp/num.json" 'data.t.r'
expect_in "eval-6.6 builtin error text" "$tmp/err" "t.rego:7: eval_type_error: count: operand 1 must be one of {array, object, set, string} but got number"
expect "eval-6.7 builtin error undefined without strict" 0 "$GH" eval -d "$tmp/d" -i "$tmp/num.json" 'data.t.r'
expect_out "eval-6.8 undefined" out '{}'
printf 'package z\n\np := \n' >"$tmp/bad.rego"
expect "eval-6.9 module parse error" 2 "$GH" eval -f pretty -d "$tmp/bad.rego" 'data.z.p'
expect_in "eval-6.10 module error located" "$tmp/err" "bad.rego:4: rego_parse_error:"
printf '{"v": 2}' >"$tmp/d/a/b/clash.json"
expect "eval-6.11 data merge conflict" 2 "$GH" eval -f pretty -d "$tmp/d" 'data.a.b.v'
expect_in "eval-6.12 conflict named" "$tmp/err" "merge error: a.b.v"
rm "$tmp/d/a/b/clash.json"
printf 'package p\n\nx := 1\n\nx := 2\n' >"$tmp/conflict.rego"
expect "eval-6.13 eval conflict" 2 "$GH" eval -f pretty -d "$tmp/conflict.rego" 'data.p.x'

# eval-7: Rego v0 on request
printf 'package v0\n\ndeny[msg] { msg := "no" }\n' >"$tmp/v0.rego"
expect "eval-7.1 v0 rejected" 2 "$GH" eval -d "$tmp/v0.rego" 'data.v0.deny'
expect "eval-7.2 v0 accepted" 0 "$GH" eval -f raw --v0-compatible -d "$tmp/v0.rego" 'data.v0.deny'
expect_out "eval-7.3 v0 value" out '["no"]'

# eval-8: the seed policy, data with // comments, one input
if [ -f "$SEED/policy.rego" ]; then
    printf '{"user_id": "harvey", "request": {"method": "GET"},\n "query": {"query_type": "SELECT", "data_source": "aurora", "table": "users", "query_sql": "SELECT 1"}}\n' >"$tmp/seed.json"
    expect "eval-8.1 seed policy" 0 "$GH" eval -f raw -d "$SEED/policy.rego" -d "$SEED/data.json" -i "$tmp/seed.json" 'data.authz.Decision; data.authz.Message'
    expect_out "eval-8.2 seed answer (OPA's)" out "Denied Insufficient privileges: instance '' is not permitted."
else
    echo "skipped eval-8: $SEED not found"
fi

# conf-1: gatehouse conformance on small suites of its own
mkdir -p "$tmp/cases/good" "$tmp/cases/bad"
cat >"$tmp/cases/good/a.yaml" <<'YAML'
cases:
  - note: good/one
    query: x := 1
    want_result:
      - x: 1
  - note: good/skipped
    query: x := 1
    skip: true
    want_result: []
YAML
cat >"$tmp/cases/bad/b.yaml" <<'YAML'
cases:
  - note: bad/wrong
    query: x := 1
    want_result:
      - x: 2
YAML
expect "conf-1.1 passing suite" 0 "$GH" conformance "$tmp/cases/good"
expect_in "conf-1.2 table row" "$tmp/out" "good             |      1 |      0 |       1 |  100.0%"
expect_in "conf-1.3 closing line" "$tmp/out" "1 passed, 0 failed, 1 skipped"
expect "conf-1.4 failing case" 1 "$GH" conformance -v "$tmp/cases"
expect_in "conf-1.5 failure named" "$tmp/out" "FAIL bad/wrong ("
expect_in "conf-1.6 details" "$tmp/out" 'got:  [{"x":1}]'
expect "conf-1.7 --run filter" 0 "$GH" conformance --run '^good/' "$tmp/cases"
expect "conf-1.8 write the list" 0 "$GH" conformance --write-expected --expected-failures "$tmp/xf.txt" "$tmp/cases"
expect_in "conf-1.9 list entry" "$tmp/xf.txt" "$(printf 'bad/wrong\tresult differs (1 rows, want 1)')"
expect "conf-1.10 listed failure is fine" 0 "$GH" conformance --expected-failures "$tmp/xf.txt" "$tmp/cases"
printf 'good/one\tonce broken\n' >>"$tmp/xf.txt"
expect "conf-1.11 listed case passing fails the run" 1 "$GH" conformance --expected-failures "$tmp/xf.txt" "$tmp/cases"
expect_in "conf-1.12 says which" "$tmp/out" "PASS good/one: listed as an expected failure, now passes"
printf 'cases: [\n' >"$tmp/cases/bad/broken.yaml"
expect "conf-1.13 unreadable case file" 1 "$GH" conformance "$tmp/cases/bad"
expect_in "conf-1.14 names the file" "$tmp/out" "broken.yaml: yaml: "
expect "conf-1.15 missing dir" 2 "$GH" conformance "$tmp/nope"
expect "conf-1.16 no dir" 2 "$GH" conformance

echo "test_eval: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
