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
echo "== gatehouse parse policies/authz/authz.rego   (syntax tree, first 40 lines)"
"$GH" parse policies/authz/authz.rego | head -40
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
  $GH help
TXT
