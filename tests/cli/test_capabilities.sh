#!/usr/bin/env bash
# gatehouse capabilities: the output is OPA's capabilities JSON, every builtin of the table is
# in it with a declaration, and its names are OPA v1.x builtins (tests/data/opa-builtins.txt,
# taken from OPA's capabilities file). Prints the OPA builtins still missing; they do not fail
# the test, a name OPA does not know does. Usage: test_capabilities.sh GATEHOUSE_BINARY
. "$(dirname "$0")/lib.sh"
OPA_LIST=$ROOT/tests/data/opa-builtins.txt
# Ours but not OPA's capabilities: test.sleep is a test helper OPA registers only in its tests.
EXTRA_OK="test.sleep"
"$GH" capabilities --current >"$tmp/caps.json" 2>"$tmp/err" || fail "caps-1.1 exit status $?"
"$GH" capabilities >"$tmp/caps2.json" 2>/dev/null || fail "caps-1.2 exit status without --current"
cmp -s "$tmp/caps.json" "$tmp/caps2.json" || fail "caps-1.3 --current differs from the default"
"$GH" capabilities --bogus >/dev/null 2>&1
[ $? = 2 ] || fail "caps-1.4 an unknown option must exit 2"

# The top-level shape, in OPA's order and indentation.
for key in builtins future_keywords wasm_abi_versions features; do
    grep -q "^  \"$key\": " "$tmp/caps.json" || fail "caps-2.1 no top-level \"$key\""
done
[ "$(head -n 2 "$tmp/caps.json" | tr -d '\n')" = '{  "builtins": [' ] || fail "caps-2.2 output does not start as OPA's"
if command -v jq >/dev/null; then
    jq -e '.builtins | length > 0' "$tmp/caps.json" >/dev/null || fail "caps-2.3 not JSON"
    bad=$(jq -r '.builtins[] | select(.decl.type != "function") | .name' "$tmp/caps.json")
    [ -z "$bad" ] || fail "caps-2.4 builtins without a function decl: $bad"
    jq -e '.builtins[] | select(.name == "plus") | .infix == "+"' "$tmp/caps.json" >/dev/null ||
        fail "caps-2.5 plus lacks infix +"
    jq -e '.builtins[] | select(.name == "walk") | .relation' "$tmp/caps.json" >/dev/null ||
        fail "caps-2.6 walk is not a relation"
    jq -e '.builtins[] | select(.name == "print") | .decl.variadic.type == "any"' \
        "$tmp/caps.json" >/dev/null || fail "caps-2.7 print is not variadic"
    jq -e '.builtins[] | select(.name == "providers.aws.sign_req") | .decl.args[2].type == "number"' \
        "$tmp/caps.json" >/dev/null || fail "caps-2.8 providers.aws.sign_req decl"
fi

# Names against OPA's list.
grep -o '^      "name": "[^"]*"' "$tmp/caps.json" | sed 's/.*: "//; s/"$//' | LC_ALL=C sort >"$tmp/ours"
grep -v '^#' "$OPA_LIST" | LC_ALL=C sort >"$tmp/opa"
[ "$(uniq -d "$tmp/ours")" = "" ] || fail "caps-3.1 duplicate names: $(uniq -d "$tmp/ours" | tr '\n' ' ')"
for n in $(LC_ALL=C comm -23 "$tmp/ours" "$tmp/opa"); do
    case " $EXTRA_OK " in *" $n "*) ;; *) fail "caps-3.2 not an OPA builtin: $n" ;; esac
done
missing=$(LC_ALL=C comm -13 "$tmp/ours" "$tmp/opa")
have=$(LC_ALL=C comm -12 "$tmp/ours" "$tmp/opa" | wc -l)
echo "capabilities: $have of $(wc -l <"$tmp/opa") OPA builtins supported ($(wc -l <"$tmp/ours") listed)"
if [ -n "$missing" ]; then
    echo "missing OPA builtins ($(echo "$missing" | wc -l)): $(echo "$missing" | tr '\n' ' ')"
fi

[ "$fails" = 0 ] && echo "ok" || echo "$fails failure(s)"
[ "$fails" = 0 ]
