#!/usr/bin/env bash
# bench/ext-authz: Envoy ext_authz Check RPCs against `gatehouse run` with h2load (Debian
# nghttp2-client): a prepared gRPC request (a CheckRequest as Envoy sends it, with a bearer
# token), for a trivial policy and policies/envoy, 1 and 2 workers. The most Check/s h2load
# reaches (sharing the machine), then latency percentiles at half that rate (h2load --rps,
# from its per-request log). Not a test: it prints a table for bench/RESULTS.md.
#   bench/ext_authz.sh [BUILD] [SECONDS]
set -euo pipefail
BUILD=${1:-build}
SECS=${2:-8}
GH=$BUILD/gatehouse
cd "$(dirname "$0")/.."
command -v h2load >/dev/null || { echo "bench/ext-authz: needs h2load (apt-get install nghttp2-client)"; exit 2; }
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# the request body: the 5-byte gRPC prefix and a CheckRequest, encoded with the clients'
# protobufjs (tests/integration's npm packages) from our proto/ files
[ -d tests/integration/node_modules/@grpc/proto-loader ] ||
  (cd tests/integration && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
node --input-type=module -e '
import { createRequire } from "node:module";
import crypto from "node:crypto";
import { writeFileSync } from "node:fs";
const require = createRequire(process.cwd() + "/tests/integration/package.json");
const protobuf = require("protobufjs");
const root = new protobuf.Root();
root.resolvePath = (_, target) => "proto/" + target;
root.loadSync("envoy/service/auth/v3/external_auth.proto", { keepCase: true });
const T = root.lookupType("envoy.service.auth.v3.CheckRequest");
const b64u = (x) => Buffer.from(x).toString("base64url");
const now = Math.floor(Date.now() / 1000);
const h = b64u(JSON.stringify({ alg: "HS256", typ: "JWT" }));
const p = b64u(JSON.stringify({ iss: "https://auth.example.com", aud: "shop-api", sub: "u-42",
  role: "customer", iat: now, exp: now + 86400 }));
const sig = crypto.createHmac("sha256", "demo-only-signing-secret-change-me").update(h + "." + p).digest();
const msg = T.encode(T.fromObject({ attributes: {
  source: { address: { socket_address: { address: "10.0.0.7", port_value: 53422 } } },
  destination: { address: { socket_address: { address: "10.0.0.9", port_value: 8080 } } },
  request: { time: { seconds: now }, http: { id: "1", method: "GET", path: "/api/v1/orders?page=2",
    host: "shop.example.com", scheme: "http", protocol: "HTTP/1.1",
    headers: { ":authority": "shop.example.com", ":method": "GET", ":path": "/api/v1/orders?page=2",
      "authorization": "Bearer " + h + "." + p + "." + b64u(sig), "user-agent": "curl/8.0",
      "x-request-id": "5d1b2a4c-0000-4000-8000-000000000001" } } } } })).finish();
const frame = Buffer.alloc(5 + msg.length);
frame.writeUInt32BE(msg.length, 1);
Buffer.from(msg).copy(frame, 5);
writeFileSync(process.argv[1], frame);' "$tmp/check.bin"

cat >"$tmp/trivial.rego" <<'EOF'
package envoy.authz

import rego.v1

default allow := false

allow if input.attributes.request.http.method == "GET"
EOF

start() { # policy-args... (the last one is the worker count)
  local w=${*: -1}
  "$GH" run --addr 127.0.0.1:0 --workers "$w" --log-level info --no-watch -c "$tmp/config.json" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 100); do
    port=$(grep -o '"listener":"envoy","kind":"ext_authz_grpc","addr":"127.0.0.1:[0-9]*' "$tmp/err" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "bench/ext-authz: gatehouse did not start: $(cat "$tmp/err")"; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
h2() { # extra h2load args...
  h2load -d "$tmp/check.bin" -H 'content-type: application/grpc' -H 'te: trailers' "$@" \
    "http://127.0.0.1:$port/envoy.service.auth.v3.Authorization/Check"
}
us() { awk -v u="$1" 'BEGIN{ if (u >= 1000) printf "%.2f ms", u/1000; else printf "%d us", u }'; }

echo "| policy | workers | Check/s (max) | paced Check/s | p50 | p99 | p99.9 | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for policy in trivial envoy; do
  if [ "$policy" = trivial ]; then pol="\"$tmp/trivial.rego\""; else pol="\"envoy:policies/envoy\""; fi
  printf '{"policy": [%s], "listeners": [{"name": "envoy", "kind": "ext_authz_grpc", "addr": "127.0.0.1:0"}]}\n' "$pol" >"$tmp/config.json"
  for w in 1 2; do
    start "$w"
    h2 -c 4 -m 16 -D 2 >/dev/null # warm up
    max=$(h2 -c 8 -m 16 -D "$SECS" | awk '/^finished in/ {gsub(",", "", $4); print int($4)}')
    # half that rate: 16 clients, one stream each, --rps per client
    rps=$(( max / 2 / 16 )); [ "$rps" -lt 1 ] && rps=1
    out=$(h2 -c 16 -m 1 --rps "$rps" -D "$SECS" --log-file "$tmp/log.tsv")
    paced=$(awk '/^finished in/ {gsub(",", "", $4); print int($4)}' <<<"$out")
    errs=$(awk '/^requests:/ {print $10 + $12}' <<<"$out")
    read -r p50 p99 p999 < <(cut -f3 "$tmp/log.tsv" | sort -n | awk '{a[NR]=$1} END {
      print a[int(NR*0.5)], a[int(NR*0.99)], a[int(NR*0.999)] }')
    grpc_errs=$(awk -F'\t' '$2 != 200' "$tmp/log.tsv" | wc -l)
    echo "| $policy | $w | $max | $paced | $(us "$p50") | $(us "$p99") | $(us "$p999") | $((errs + grpc_errs)) |"
    stop
  done
done
