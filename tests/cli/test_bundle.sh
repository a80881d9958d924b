#!/usr/bin/env bash
# Bundle directories (-b) and --ignore end to end, for eval, test and check: the fixture
# tests/fixtures/bundle/good (.manifest with revision, roots, rego_version and metadata; data
# in nested directories, JSON and YAML), bundles outside their roots, broken and ill-typed
# manifests, overlapping roots, Rego versions; exact error texts and exit codes (bundle-N.M).
# Usage: test_bundle.sh GATEHOUSE_BINARY
. "$(dirname "$0")/lib.sh"
FIX=$ROOT/tests/fixtures/bundle
RUN_IN=$FIX ERR=out FAIL_SHOWS=$tmp/out # commands run in tests/fixtures/bundle

lacks() { # lacks ID FIXED_TEXT
    checks=$((checks + 1))
    ! grep -qF -- "$2" "$tmp/out" || fail "$1: output has: $2"
}
same() { # same ID EXPECTED_TEXT : the last output is exactly the text
    checks=$((checks + 1))
    if [ -n "$2" ]; then printf '%s\n' "$2"; fi >"$tmp/want"
    cmp -s "$tmp/out" "$tmp/want" || { fail "$1: output differs"; diff "$tmp/want" "$tmp/out" | sed 's/^/  | /'; }
}

# ---- bundle-1: the good bundle, placed as opa places it ----
expect "bundle-1.1 eval" 0 "$GH" eval -b good -f raw 'data.shop.limits'
same "bundle-1.2 data.json below shop/" '{"currency":"EUR","max_amount":100}'
expect "bundle-1.3 nested YAML" 0 "$GH" eval -b good -f raw 'data.shop.regions.open'
same "bundle-1.4 shop/regions/data.yaml" '["eu","us"]'
expect "bundle-1.5 root with slashes" 0 "$GH" eval -b good -f raw 'data.lib.strings.separators'
same "bundle-1.6 lib/strings data" '[" ","\t"]'
expect "bundle-1.7 only data.* files are data" 0 "$GH" eval -b good -f raw 'data.shop.notes'
same "bundle-1.8 notes.json is not bundle data (undefined)" ''
expect "bundle-1.9 -d reads the same file" 0 "$GH" eval -d good -f raw 'data.shop.not'
same "bundle-1.10 (as a plain -d path it is, placed by its directory)" 'bundle data: only files named data.json, data.yaml or data.yml are'
printf '{"amount": 10, "region": "eu", "user": " Ann "}' >"$tmp/in.json"
expect "bundle-1.11 policy and data together" 0 "$GH" eval -b good -i "$tmp/in.json" -f raw 'data.shop.authz.allow'
same "bundle-1.12 allowed" 'true'
expect "bundle-1.13 -d and -b together" 0 "$GH" eval -d "$tmp/in.json" -b good -f raw 'data.shop.limits.max_amount'
same "bundle-1.14 both loaded" '100'
expect "bundle-1.15 test -b" 0 "$GH" test -b good
has "bundle-1.16 all pass" "PASS: 4/4"
expect "bundle-1.17 check -b" 0 "$GH" check -b good

# ---- bundle-2: --ignore, on base names of files and directories ----
expect "bundle-2.1 ignore a directory" 0 "$GH" eval -b good --ignore drafts -f raw 'data.shop.drafts'
same "bundle-2.2 drafts/ skipped (undefined)" ''
expect "bundle-2.3 without it" 0 "$GH" eval -b good -f raw 'data.shop.drafts.note'
same "bundle-2.4 drafts/ loaded" 'loaded unless --ignore drafts'
expect "bundle-2.5 ignore tests" 0 "$GH" test -b --ignore '*_test.rego' good
lacks "bundle-2.7 no PASS line" "PASS:"
expect "bundle-2.8 ignore in -d loading too" 0 "$GH" test --ignore '*_test.rego' good
lacks "bundle-2.9 nothing ran" "PASS:"
expect "bundle-2.10 ignoring the library breaks the import" 1 "$GH" check --ignore lib good
has "bundle-2.11 the error" "good/shop/authz.rego:11:2: rego_type_error: undefined function strings.normalise"
expect "bundle-2.12 two patterns" 0 "$GH" eval -b good --ignore '*.yaml' --ignore 'drafts' -f values 'data.shop'
lacks "bundle-2.13 no regions" '"regions"'
lacks "bundle-2.14 no drafts" '"drafts"'
expect "bundle-2.15 the path given itself is never ignored" 0 "$GH" check --ignore 'good' good
expect "bundle-2.16 a module named directly is loaded" 0 "$GH" eval --ignore '*.rego' -d good/lib/strings/strings.rego -f raw 'data.lib.strings.normalise(" A ")'
same "bundle-2.17 its function ran" 'a'

# ---- bundle-3: roots ----
expect "bundle-3.1 eval outside roots" 2 "$GH" eval -b outside-roots data
has "bundle-3.2 the package, located" "outside-roots/audit/audit.rego:2:1: manifest roots [shop] do not permit 'package audit' in module 'outside-roots/audit/audit.rego'"
has "bundle-3.3 the data file" "outside-roots/audit/data.json: manifest roots [shop] do not permit data at path '/audit' (hint: check bundle directory structure)"
lacks "bundle-3.4 the module inside passes" "shop/authz.rego"
expect "bundle-3.5 test outside roots" 1 "$GH" test -b outside-roots
has "bundle-3.6 same text" "manifest roots [shop] do not permit 'package audit'"
expect "bundle-3.7 check outside roots" 1 "$GH" check -b outside-roots
has "bundle-3.8 same text" "do not permit data at path '/audit'"
expect "bundle-3.9 without -b the roots do not apply" 0 "$GH" check outside-roots
expect "bundle-3.10 ignoring the offender" 0 "$GH" check -b --ignore audit outside-roots

mkdir -p "$tmp/b/a/bc" "$tmp/b/a/b"
printf '{"roots": ["a/b"]}' >"$tmp/b/.manifest"
printf '{"x": 1}' >"$tmp/b/a/bc/data.json"
expect "bundle-3.11 roots are segments: a/b does not hold a/bc" 2 "$GH" eval -b "$tmp/b" data
has "bundle-3.12 text" "$tmp/b/a/bc/data.json: manifest roots [a/b] do not permit data at path '/a/bc' (hint: check bundle directory structure)"
rm "$tmp/b/a/bc/data.json"
printf '{"c": {"d": 1}}' >"$tmp/b/a/b/data.json"
printf 'package a.b.c\n\ne := data.a.b.c.d\n' >"$tmp/b/a/b/c.rego"
expect "bundle-3.13 below a root is fine" 0 "$GH" eval -b "$tmp/b" -f raw 'data.a.b.c.e'
same "bundle-3.14 value" '1'
printf '{"a": {"b": {"z": 2}}, "q": 1}' >"$tmp/b/data.json"
expect "bundle-3.15 root data.json outside" 2 "$GH" eval -b "$tmp/b" data
has "bundle-3.16 text" "$tmp/b/data.json: manifest roots [a/b] do not permit data at path '/q'"
printf '{"a": {"b": {"z": 2}}}' >"$tmp/b/data.json"
expect "bundle-3.17 root data.json inside" 0 "$GH" eval -b "$tmp/b" -f raw 'data.a.b.z'
same "bundle-3.18 merged" '2'
printf 'package a\n\nx := 1\n' >"$tmp/b/a/up.rego"
expect "bundle-3.19 a package above the root" 2 "$GH" eval -b "$tmp/b" data
has "bundle-3.20 text" "$tmp/b/a/up.rego:1:1: manifest roots [a/b] do not permit 'package a' in module '$tmp/b/a/up.rego'"
rm "$tmp/b/a/up.rego"
printf '{"roots": []}' >"$tmp/b/.manifest"
expect "bundle-3.21 no roots: nothing may load" 2 "$GH" eval -b "$tmp/b" data
has "bundle-3.22 text" "manifest roots [] do not permit 'package a.b.c'"

# ---- bundle-4: the manifest itself ----
expect "bundle-4.1 broken .manifest" 2 "$GH" eval -b broken-manifest data
same "bundle-4.2 located" '{
  "errors": [
    {
      "message": "broken-manifest/.manifest:4:1: json: expected '"','"' or '"']'"' after array element"
    }
  ]
}'
expect "bundle-4.3 test" 1 "$GH" test -b broken-manifest
has "bundle-4.4 text" "broken-manifest/.manifest:4:1: json:"
expect "bundle-4.5 check" 1 "$GH" check -b broken-manifest
m=$tmp/m
mkdir -p "$m"
manifest_error() { # manifest_error ID MANIFEST EXPECTED_MESSAGE
    printf '%s' "$2" >"$m/.manifest"
    expect "$1" 1 "$GH" check -b "$m"
    has "$1 text" "$m/.manifest: $3"
}
manifest_error "bundle-4.6" '{"revision": 7}' "bundle load failed on manifest decode: revision must be a string (got number)"
manifest_error "bundle-4.7" '{"roots": "shop"}' "bundle load failed on manifest decode: roots must be an array of strings (got string)"
manifest_error "bundle-4.8" '{"roots": ["a", 1]}' "bundle load failed on manifest decode: each root must be a string (got number)"
manifest_error "bundle-4.9" '{"rego_version": 2}' "bundle load failed on manifest decode: rego_version must be 0 or 1"
manifest_error "bundle-4.10" '{"metadata": []}' "bundle load failed on manifest decode: metadata must be an object (got array)"
manifest_error "bundle-4.11" '[1]' "bundle load failed on manifest decode: expected an object (got array)"
manifest_error "bundle-4.12" '{"roots": ["a", "a/b"]}' "manifest has overlapped roots: 'a' and 'a/b'"
manifest_error "bundle-4.13" '{"roots": ["x", "/x/"]}' "manifest has overlapped roots: 'x' and 'x'"
printf '{"revision": "r", "wasm": [], "future_field": true}' >"$m/.manifest"
expect "bundle-4.14 unknown fields are ignored, as Go's decoder" 0 "$GH" check -b "$m"

# ---- bundle-5: several bundles, Rego versions, paths ----
mkdir -p "$tmp/p" "$tmp/q"
expect "bundle-5.1 two bundles without roots overlap" 2 "$GH" eval -b "$tmp/p" -b "$tmp/q" data
has "bundle-5.2 text" "$tmp/p and $tmp/q: detected overlapping roots in bundle manifests: '' and '' (a bundle without roots owns the whole data tree)"
printf '{"roots": ["p"]}' >"$tmp/p/.manifest"
printf '{"roots": ["q"]}' >"$tmp/q/.manifest"
expect "bundle-5.3 disjoint roots" 0 "$GH" eval -b "$tmp/p" -b "$tmp/q" data
printf '{"roots": ["p/x"]}' >"$tmp/q/.manifest"
expect "bundle-5.4 nested roots across bundles" 2 "$GH" eval -b "$tmp/p" -b "$tmp/q" data
has "bundle-5.5 text" "detected overlapping roots in bundle manifests: 'p' and 'p/x'"

mkdir -p "$tmp/v0/x"
printf '{"rego_version": 0}' >"$tmp/v0/.manifest"
printf 'package x\n\np[y] { y := 1 }\n' >"$tmp/v0/x/p.rego"
expect "bundle-5.6 rego_version 0 parses v0" 0 "$GH" eval -b "$tmp/v0" -f raw 'data.x.p'
same "bundle-5.7 value" '[1]'
expect "bundle-5.8 as does check" 0 "$GH" check -b "$tmp/v0"
expect "bundle-5.9 the same module as -d is v1" 1 "$GH" check "$tmp/v0"
printf 'package y\n\nq if true\n' >"$tmp/y.rego"
expect "bundle-5.10 mixed versions are refused" 2 "$GH" eval -d "$tmp/y.rego" -b "$tmp/v0" data
has "bundle-5.11 text" "$tmp/v0/x/p.rego: a Rego v0 module, but $tmp/y.rego is v1: gatehouse compiles all modules with one Rego version"
printf '{"rego_version": 0, "file_rego_versions": {"/x/*.rego": 1}}' >"$tmp/v0/.manifest"
expect "bundle-5.12 file_rego_versions overrides" 1 "$GH" check -b "$tmp/v0"
has "bundle-5.13 parsed as v1" "rego_parse_error"

expect "bundle-5.14 an archive is not a directory" 2 "$GH" eval -b "$tmp/y.rego" data
has "bundle-5.15 text" "$tmp/y.rego: not a directory: bundle archives (.tar.gz) are not supported, give the bundle's directory"
expect "bundle-5.16 missing bundle" 2 "$GH" eval -b "$tmp/nope" data
has "bundle-5.17 text" "$tmp/nope: No such file or directory"
expect "bundle-5.18 trailing slash" 0 "$GH" test -b good/
has "bundle-5.19 module names clean" "PASS: 4/4"
expect "bundle-5.20 --help" 0 "$GH" eval --help
has "bundle-5.21 eval documents -b" "-b, --bundle DIR"
expect "bundle-5.22 test --help" 0 "$GH" test --help
has "bundle-5.23 test documents --ignore" "--ignore PATTERN"
expect "bundle-5.24 check --help" 0 "$GH" check --help
has "bundle-5.25 check documents -b" "-b, --bundle"

echo "test_bundle: $((checks - fails))/$checks checks passed"
[ "$fails" = 0 ]
