#!/usr/bin/env bash
# The gatehouse command line end to end: help, version, check and parse on good and broken
# modules, exit codes and the exact error rendering. Usage: test_cli.sh GATEHOUSE_BINARY
. "$(dirname "$0")/lib.sh"
ERR=out

expect "cli-1.1 version" 0 "$GH" version
has "cli-1.2 version text" "gatehouse "
expect "cli-1.3 no command" 2 "$GH"
expect "cli-1.4 unknown command" 2 "$GH" frobnicate
has "cli-1.5 unknown command named" "unknown command 'frobnicate'"
for c in check parse version help; do
    expect "cli-2 $c --help" 0 "$GH" "$c" --help
    has "cli-2 $c usage" "usage: gatehouse"
done
expect "cli-2.9 help check" 0 "$GH" help check
has "cli-2.10 help check text" "usage: gatehouse check"

expect "cli-3.1 check examples" 0 "$GH" check "$ROOT/policies"
expect "cli-3.2 check missing path" 2 "$GH" check "$tmp/nope"
expect "cli-3.3 check no args" 2 "$GH" check

printf 'package demo\n\nallow if {\n\tinput.user == \n}\n' >"$tmp/broken.rego"
expect "cli-4.1 broken module" 1 "$GH" check "$tmp/broken.rego"
has "cli-4.2 located error" "$tmp/broken.rego:5:1: rego_parse_error:"
printf 'package a\n\np := 1 +\nq := [1,\n' >"$tmp/two.rego"
cp "$tmp/broken.rego" "$tmp/b2.rego"
expect "cli-4.3 errors from several files" 1 "$GH" check "$tmp/broken.rego" "$tmp/b2.rego"
has "cli-4.4 first file" "broken.rego:5:1:"
has "cli-4.5 second file" "b2.rego:5:1:"
expect "cli-4.6 json errors" 1 "$GH" check --format json "$tmp/broken.rego"
has "cli-4.7 json error code" '"code": "rego_parse_error"'

printf 'package p\n\nx := 1\n' >"$tmp/small.rego"
expect "cli-5.1 parse json" 0 "$GH" parse --format json "$tmp/small.rego"
has "cli-5.2 parse json package" '"package"'
expect "cli-5.3 parse pretty" 0 "$GH" parse "$tmp/small.rego"
expect "cli-5.4 parse bad format" 2 "$GH" parse --format xml "$tmp/small.rego"
expect "cli-5.5 parse broken" 1 "$GH" parse "$tmp/broken.rego"
expect "cli-5.6 parse two files" 2 "$GH" parse "$tmp/small.rego" "$tmp/small.rego"
checks=$((checks + 1))
if ! "$GH" parse --format json /dev/stdin <"$tmp/small.rego" | grep -q '"package"'; then
    fail "cli-5.7 parse from a pipe"
fi
expect "cli-5.8 parse a directory" 2 "$GH" parse "$tmp"
has "cli-5.9 directory named" "is a directory"

printf 'package v0\n\ndeny[msg] { msg := "x" }\n' >"$tmp/v0.rego"
expect "cli-6.1 v0 rejected in v1" 1 "$GH" check "$tmp/v0.rego"
expect "cli-6.2 v0 accepted with flag" 0 "$GH" check --v0-compatible "$tmp/v0.rego"

printf 'package c\n\np if { x > 1 }\nq := foo(1)\n' >"$tmp/compile.rego"
expect "cli-7.1 compile errors" 1 "$GH" check "$tmp/compile.rego"
has "cli-7.2 unsafe var" "$tmp/compile.rego:3:8: rego_unsafe_var_error: var x is unsafe"
has "cli-7.3 undefined function" "$tmp/compile.rego:4:6: rego_type_error: undefined function foo"
printf 'package c\n\nr if r\n' >"$tmp/recursive.rego"
expect "cli-7.4 recursion" 1 "$GH" check "$tmp/recursive.rego"
has "cli-7.5 recursion message" "rego_recursion_error: rule data.c.r is recursive: data.c.r -> data.c.r"
printf 'package c\n\nf(x) := y if y := x + 1\n' >"$tmp/lib.rego"
printf 'package d\n\nimport data.c\n\nz := c.f(1)\n' >"$tmp/use.rego"
expect "cli-7.6 modules compile together" 0 "$GH" check "$tmp/lib.rego" "$tmp/use.rego"
expect "cli-7.7 a module alone misses its import" 1 "$GH" check "$tmp/use.rego"

printf 'package d\n\nx := any([true, false])\ny := set_diff({1, 2}, {2})\n' >"$tmp/deprecated.rego"
expect "cli-8.1 deprecated builtins refused in v1" 1 "$GH" check "$tmp/deprecated.rego"
has "cli-8.2 any named" "$tmp/deprecated.rego:3:6: rego_type_error: deprecated built-in function calls in expression: any"
has "cli-8.3 set_diff named" "$tmp/deprecated.rego:4:6: rego_type_error: deprecated built-in function calls in expression: set_diff"
printf 'package d\n\nx := any([true, false])\n' >"$tmp/deprecated0.rego"
expect "cli-8.4 deprecated builtins allowed in v0" 0 "$GH" check --v0-compatible "$tmp/deprecated0.rego"
printf 'package d\n\nall(xs) := count(xs) > 0\n\nx := all([true])\n' >"$tmp/own_all.rego"
expect "cli-8.5 a function of the policy's own named all" 0 "$GH" check "$tmp/own_all.rego"

# strict mode (-S): findings exit 1, OPA's text and location; off by default; eval and test too
printf 'package s\n\nimport data.unused_lib\n\nf(a, b) := a\n' >"$tmp/strict_imp.rego"
expect "cli-9.1 not strict by default" 0 "$GH" check "$tmp/strict_imp.rego"
expect "cli-9.2 strict finds an unused import" 1 "$GH" check --strict "$tmp/strict_imp.rego"
has "cli-9.3 unused import named" "$tmp/strict_imp.rego:3:1: rego_compile_error: import data.unused_lib unused"
printf 'package s\n\nf(a, b) := a\n\np if {\n\tx := 1\n\ttrue\n}\n' >"$tmp/strict.rego"
expect "cli-9.4 -S finds unused locals" 1 "$GH" check -S "$tmp/strict.rego"
has "cli-9.5 unused argument" "$tmp/strict.rego:3:1: rego_compile_error: unused argument b. (hint: use _ (wildcard variable) instead)"
has "cli-9.6 unused assignment" "$tmp/strict.rego:6:2: rego_compile_error: assigned var x unused"
has "cli-9.7 caret under the assignment" "$(printf '\t\t^')"
expect "cli-9.8 strict json" 1 "$GH" check --strict --format json "$tmp/strict.rego"
has "cli-9.9 strict json message" '"message": "assigned var x unused"'
expect "cli-9.10 examples are strict-clean" 0 "$GH" check --strict "$ROOT/policies"
expect "cli-9.11 eval --strict refuses" 2 "$GH" eval --strict -d "$tmp/strict.rego" 'data.s.p'
has "cli-9.12 eval names it" "assigned var x unused"
expect "cli-9.13 eval without --strict" 0 "$GH" eval -d "$tmp/strict.rego" 'data.s.p'
printf 'package s_test\n\ntest_t if {\n\ty := 2\n\ttrue\n}\n' >"$tmp/strict_test.rego"
expect "cli-9.14 test --strict refuses" 1 "$GH" test --strict "$tmp/strict_test.rego"
has "cli-9.15 test names it" "assigned var y unused"
expect "cli-9.16 test without --strict" 0 "$GH" test "$tmp/strict_test.rego"
printf 'package s\n\np if {\n\tsome x\n\ttrue\n}\n' >"$tmp/declared.rego"
expect "cli-9.17 unused some is an error in every mode" 1 "$GH" check "$tmp/declared.rego"
has "cli-9.18 declared var named" "$tmp/declared.rego:4:2: rego_compile_error: declared var x unused"

echo "test_cli: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
