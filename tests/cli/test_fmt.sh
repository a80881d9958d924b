#!/usr/bin/env bash
# gatehouse fmt end to end: golden files (tests/data/fmt/NAME.rego formats to NAME.expected,
# and NAME.expected formats to itself; NAME.v0.rego-style files named v0* run with
# --v0-compatible), the -l/-d/-w/--fail modes, stdin, exit codes, refusing broken input
# without touching the file, and the example policies staying as they are.
# Usage: test_fmt.sh GATEHOUSE_BINARY
. "$(dirname "$0")/lib.sh"
DATA=$ROOT/tests/data/fmt
ERR=out FAIL_SHOWS=$tmp/out

same_file() { # same_file ID GOT WANT
    checks=$((checks + 1))
    if ! cmp -s "$2" "$3"; then
        fail "$1: $2 differs from $3"; diff -u "$3" "$2" | head -40 | sed 's/^/  | /'
    fi
}

# fmt-1: golden files, and formatting the expected output changes nothing.
n=0
for src in "$DATA"/*.rego; do
    name=$(basename "$src" .rego)
    flags=()
    case $name in v0*) flags=(--v0-compatible) ;; esac
    n=$((n + 1))
    "$GH" fmt "${flags[@]}" "$src" >"$tmp/$name.got" 2>"$tmp/out"
    same_file "fmt-1.$n $name" "$tmp/$name.got" "$DATA/$name.expected"
    "$GH" fmt "${flags[@]}" "$DATA/$name.expected" >"$tmp/$name.again" 2>"$tmp/out"
    same_file "fmt-1.$n $name idempotent" "$tmp/$name.again" "$DATA/$name.expected"
done
checks=$((checks + 1))
[ "$n" -ge 5 ] || fail "fmt-1.0 expected at least 5 golden files, found $n"

# fmt-2: modes.
cp "$DATA/rules.rego" "$tmp/r.rego"
cp "$DATA/rules.expected" "$tmp/ok.rego"
expect "fmt-2.1 -l lists a file that differs" 0 "$GH" fmt -l "$tmp/r.rego" "$tmp/ok.rego"
has "fmt-2.2 -l names it" "$tmp/r.rego"
checks=$((checks + 1))
! grep -qF "$tmp/ok.rego" "$tmp/out" || fail "fmt-2.3 -l lists a formatted file"
expect "fmt-2.4 -d" 0 "$GH" fmt -d "$tmp/r.rego"
has "fmt-2.5 -d header" "+++ $tmp/r.rego (formatted)"
has "fmt-2.6 -d hunk" "@@ -1,"
has "fmt-2.7 -d removed line" "-default allow = false"
has "fmt-2.8 -d added line" "+default allow := false"
expect "fmt-2.9 --fail with a difference" 1 "$GH" fmt -l --fail "$tmp/r.rego"
expect "fmt-2.10 --fail without one" 0 "$GH" fmt -l --fail "$tmp/ok.rego"
expect "fmt-2.10b --fail alone, with a difference" 1 "$GH" fmt --fail "$tmp/r.rego"
chmod 640 "$tmp/r.rego"
expect "fmt-2.11 -w" 0 "$GH" fmt -w "$tmp/r.rego"
checks=$((checks + 1))
[ "$(stat -c %a "$tmp/r.rego")" = 640 ] || fail "fmt-2.11b -w changed the file mode"
same_file "fmt-2.12 -w wrote the formatted text" "$tmp/r.rego" "$DATA/rules.expected"
expect "fmt-2.13 -l after -w lists nothing" 0 "$GH" fmt -l "$tmp/r.rego"
checks=$((checks + 1))
[ ! -s "$tmp/out" ] || fail "fmt-2.14 -l after -w printed something"
checks=$((checks + 1))
"$GH" fmt - <"$DATA/exprs.rego" >"$tmp/stdin.got" 2>"$tmp/out" || fail "fmt-2.15 stdin exit status"
same_file "fmt-2.16 stdin" "$tmp/stdin.got" "$DATA/exprs.expected"
expect "fmt-2.17 -w refuses stdin" 2 "$GH" fmt -w - </dev/null
mkdir -p "$tmp/tree/sub" && cp "$DATA/imports.rego" "$tmp/tree/sub/a.rego" && echo '{}' >"$tmp/tree/data.json"
expect "fmt-2.18 a directory" 0 "$GH" fmt -l "$tmp/tree"
has "fmt-2.19 walks into subdirectories" "$tmp/tree/sub/a.rego"

# fmt-3: errors and usage.
printf 'package broken\n\np if {\n\tinput.x ==\n}\n' >"$tmp/broken.rego"
cp "$tmp/broken.rego" "$tmp/broken.orig"
expect "fmt-3.1 parse error" 1 "$GH" fmt -w "$tmp/broken.rego"
has "fmt-3.2 located error" "$tmp/broken.rego:5:1: rego_parse_error:"
same_file "fmt-3.3 broken file left alone" "$tmp/broken.rego" "$tmp/broken.orig"
expect "fmt-3.4 missing path" 2 "$GH" fmt "$tmp/nope.rego"
expect "fmt-3.5 no path" 2 "$GH" fmt
expect "fmt-3.6 unknown flag" 2 "$GH" fmt --frobnicate "$tmp/ok.rego"
expect "fmt-3.7 --help" 0 "$GH" fmt --help
has "fmt-3.8 usage" "usage: gatehouse fmt"
expect "fmt-3.9 help fmt" 0 "$GH" help fmt
printf 'package v0\n\np[x] { x := 1 }\n' >"$tmp/v0.rego"
expect "fmt-3.10 v0 rejected in v1" 1 "$GH" fmt "$tmp/v0.rego"
expect "fmt-3.11 v0 with --v0-compatible" 0 "$GH" fmt --v0-compatible "$tmp/v0.rego"
printf 'package p\n\nimport rego.v1\n\nq := 1\n' >"$tmp/v1imp.rego"
expect "fmt-3.12 --drop-v0-imports" 0 "$GH" fmt --drop-v0-imports "$tmp/v1imp.rego"
checks=$((checks + 1))
! grep -q "import rego.v1" "$tmp/out" || fail "fmt-3.13 rego.v1 import kept with --drop-v0-imports"

# fmt-4: the example policies are formatted already.
expect "fmt-4.1 policies" 0 "$GH" fmt -l --fail "$ROOT/policies"
checks=$((checks + 1))
[ ! -s "$tmp/out" ] || fail "fmt-4.2 policies need formatting"

echo "test_fmt: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
