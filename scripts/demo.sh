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
"$GH" parse policies/authz/authz.rego | sed -n 1,20p # reads it all: no SIGPIPE under pipefail
echo "..."
echo
echo "== a broken module is reported with file:line:col and a caret"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'package demo\n\nallow if {\n\tinput.user == \n}\n' > "$tmp/broken.rego"
"$GH" check "$tmp/broken.rego" || true
echo
echo "== gatehouse run: the sidecar on policies/authz (OPA's Data API on 127.0.0.1:${DEMO_PORT:=8181})"
"$GH" run --addr "127.0.0.1:$DEMO_PORT" --decision-log "$tmp/decisions.log" policies/authz \
  2> >(sed 's/^/  [gatehouse] /' >&2) &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do curl -sf "127.0.0.1:$DEMO_PORT/health" >/dev/null 2>&1 && break; sleep 0.05; done
call="curl -s -X POST 127.0.0.1:$DEMO_PORT/v1/data/gatehouse/authz/decision \\
  -d '{\"input\": {\"subject\": {\"id\": \"u1\", \"tenant\": \"acme\", \"roles\": [\"analyst\"]},
                \"query\": {\"action\": \"select\", \"tables\": [\"public.orders\"]}}}'"
echo "\$ $call"
eval "$call"
echo
echo "\$ curl -s 127.0.0.1:$DEMO_PORT/metrics | grep requests_total"
curl -s "127.0.0.1:$DEMO_PORT/metrics" | grep '^gatehouse_http_requests_total' || true
echo "decision log: $(wc -l <"$tmp/decisions.log") line(s), e.g."
head -c 300 "$tmp/decisions.log"; echo " ..."
echo
cat <<TXT
Try it yourself:
  $call
  curl -s 127.0.0.1:$DEMO_PORT/health
  edit policies/authz/authz.rego: the answer changes on save (hot reload)
  $GH parse --format json policies/authz/authz.rego
  $GH check policies/ ../shared/seed-policies/data-master/policy.rego
  $GH test --coverage policies/
  $GH fmt -d policies/
  $GH conformance ../shared/conformance/opa-v1
  $GH help
TXT
if [ -t 0 ] && [ -z "${DEMO_EXIT:-}" ]; then
  echo
  echo "gatehouse keeps running on 127.0.0.1:$DEMO_PORT; Ctrl-C stops it."
  wait $pid
fi
