#!/usr/bin/env bash
# gatehouse inspect end to end: the bundle fixture tests/fixtures/inspect/bundle (a .manifest
# with revision, roots and metadata; packages with METADATA blocks of every scope, an
# entrypoint, data.json and data.yaml) and a lone module give exactly the committed outputs
# (pretty, -a, JSON), the JSON reads back, and bad paths, broken modules, packages outside
# the roots and usage errors exit as opa inspect does.
# Usage: test_inspect.sh GATEHOUSE_BINARY
# Regenerate the expected files after a deliberate change, from tests/fixtures/inspect:
#   gatehouse inspect bundle >bundle.expected.pretty; ... (the commands of inspect-1 below)
. "$(dirname "$0")/lib.sh"
FIX=$ROOT/tests/fixtures/inspect
RUN_IN=$FIX # commands run in tests/fixtures/inspect
same() { # same ID EXPECTED_FILE : $tmp/out is byte for byte the file
    checks=$((checks + 1))
    if ! cmp -s "$tmp/out" "$FIX/$2"; then
        fail "$1: output differs from $2"
        diff -u "$FIX/$2" "$tmp/out" | head -40 | sed 's/^/  | /'
    fi
}

# inspect-1: the committed outputs.
expect "inspect-1.1 pretty" 0 "$GH" inspect bundle
same "inspect-1.2" bundle.expected.pretty
expect "inspect-1.3 -a" 0 "$GH" inspect -a bundle
same "inspect-1.4" bundle.expected.annotations
expect "inspect-1.5 json -a" 0 "$GH" inspect -f json -a bundle
same "inspect-1.6" bundle.expected.json
expect "inspect-1.7 a lone module, json" 0 "$GH" inspect --format json single.rego
same "inspect-1.8" single.expected.json
expect "inspect-1.9 a lone module" 0 "$GH" inspect single.rego
same "inspect-1.10" single.expected.pretty
expect "inspect-1.11 trailing slash and ./ are cleaned away" 0 "$GH" inspect ./bundle/
same "inspect-1.12" bundle.expected.pretty

# inspect-2: what the outputs must hold, whatever the expected files say.
expect "inspect-2.1" 0 "$GH" inspect -a bundle
for text in "MANIFEST:" "| Revision | 2026-11-23.1" "| Roots    | authz" "|          | lib" \
    "NAMESPACES:" "| data.authz       | bundle/authz/policy.rego" "|                  | bundle/authz/data.json" \
    "| data.lib         | bundle/lib/data.yaml" "ANNOTATIONS:" "Entrypoint: true" "Scope: document" \
    "Scope: subpackages" "Rule:     filters[table]" "Location: bundle/authz/policy.rego:17" \
    " Platform Team <platform@example.com>" " https://example.com/runbook on-call runbook" \
    " input: {\"type\":\"object\"}" "ENTRYPOINTS:" "| data.authz.allow |" "RULES:" \
    "| data.lib.strings.any_prefix | function"; do
    expect_in "inspect-2.2" "$tmp/out" "$text"
done
checks=$((checks + 1))
[ "$(grep -c '^=' "$tmp/out")" = 4 ] || fail "inspect-2.3 four annotations (package, rule, document, subpackages)"
expect "inspect-2.4 without -a, no annotations" 0 "$GH" inspect bundle
checks=$((checks + 1))
! grep -q "ANNOTATIONS:" "$tmp/out" || fail "inspect-2.5 ANNOTATIONS without -a"
expect "inspect-2.6 json reads back" 0 "$GH" inspect -f json -a bundle
cp "$tmp/out" "$tmp/info.json"
expect "inspect-2.7" 0 "$GH" eval -f raw -i "$tmp/info.json" \
    'input.manifest.revision == "2026-11-23.1"; input.manifest.roots == ["lib", "authz"];
     input.signatures_config == {};
     input.namespaces["data.authz"] == ["bundle/authz/policy.rego", "bundle/authz/data.json"];
     count(input.annotations) == 4; input.annotations[1].annotations.entrypoint == true;
     input.annotations[0].path[1].value == "authz"; input.entrypoints == ["data.authz.allow"];
     input.annotations[0].annotations.custom.severity == 3'
checks=$((checks + 1))
[ "$(cat "$tmp/out")" = "true true true true true true true true true" ] ||
    fail "inspect-2.8 JSON fields: $(cat "$tmp/out")"
expect "inspect-2.9 json without -a has no annotations" 0 "$GH" inspect -f json bundle
checks=$((checks + 1))
! grep -q '"annotations"' "$tmp/out" || fail "inspect-2.10 annotations without -a"

# inspect-3: errors (opa inspect: 1) and usage (2).
expect "inspect-3.1 missing path" 1 "$GH" inspect "$tmp/nowhere"
expect_in "inspect-3.2" "$tmp/err" "$tmp/nowhere: No such file or directory"
printf 'package broken\n\nallow if {\n' >"$tmp/broken.rego"
expect "inspect-3.3 parse error" 1 "$GH" inspect "$tmp/broken.rego"
expect_in "inspect-3.4" "$tmp/err" "rego_parse_error"
mkdir -p "$tmp/b"
echo '{"roots": ["a"]}' >"$tmp/b/.manifest"
printf 'package elsewhere\n' >"$tmp/b/x.rego"
expect "inspect-3.5 package outside the roots" 1 "$GH" inspect "$tmp/b"
expect_in "inspect-3.6" "$tmp/err" "do not permit 'package elsewhere'"
echo '{"revision": 1' >"$tmp/b/.manifest"
expect "inspect-3.7 broken manifest" 1 "$GH" inspect "$tmp/b"
expect_in "inspect-3.8" "$tmp/err" ".manifest"
expect "inspect-3.9 archive" 1 "$GH" inspect "$tmp/bundle.tar.gz"
expect_in "inspect-3.10" "$tmp/err" "extract it"
expect "inspect-3.11 no path" 2 "$GH" inspect
expect "inspect-3.12 bad format" 2 "$GH" inspect -f xml bundle
expect "inspect-3.13 --help" 0 "$GH" inspect --help
expect_in "inspect-3.14" "$tmp/out" "usage: gatehouse inspect"

echo "inspect: $checks checks, $fails failed"
[ "$fails" = 0 ]
