#!/usr/bin/env bash
# make demo: runs gatehouse on the bundled example policies and shows how to call it.
set -euo pipefail
GH=${1:-build/gatehouse}
cd "$(dirname "$0")/.."

echo "== gatehouse version"
"$GH" version
echo
echo "== gatehouse check policies/   (parses every module; exit 0 = clean)"
"$GH" check policies/ && echo "policies/: no errors"
echo
echo "== gatehouse test policies/   (the example policy's own tests)"
"$GH" test -v policies/
echo
echo "== gatehouse eval: an analyst reads public.orders"
input='{"subject": {"id": "u1", "tenant": "acme", "roles": ["analyst"]},
        "query": {"action": "select", "tables": ["public.orders"]}}'
echo "$input" | "$GH" eval -d policies/authz --stdin-input -f pretty data.gatehouse.authz.decision
echo
echo "== gatehouse parse policies/authz/authz.rego   (syntax tree, first 20 lines)"
"$GH" parse policies/authz/authz.rego | head -20
echo "..."
echo
echo "== a broken module is reported with file:line:col and a caret"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'package demo\n\nallow if {\n\tinput.user == \n}\n' > "$tmp/broken.rego"
"$GH" check "$tmp/broken.rego" || true
echo
cat <<TXT
Try it yourself:
  $GH parse --format json policies/authz/authz.rego
  $GH check policies/ ../shared/seed-policies/data-master/policy.rego
  $GH test --coverage policies/
  $GH fmt -d policies/
  $GH conformance ../shared/conformance/opa-v1
  $GH help
TXT
