#!/usr/bin/env bash
# bench/server: drives `gatehouse run` with wrk (POST /v1/data) for a trivial policy and for
# the seed policy, with 1 and 2 workers: the most requests/s wrk gets (wrk sharing the
# machine), then latency at half that rate from bench/loadgen (open loop at a fixed rate,
# latency from each request's scheduled time; wrk has no rate control), and RSS.
#   bench/server.sh [BUILD] [SECONDS]          the table (default 10 s per run)
#   bench/server.sh [BUILD] soak [SECONDS] [RATE]  RSS every 30 s under RATE req/s of the seed
#                                                  policy (default 300 s, 20000 req/s)
# Not a test: it prints a table for bench/RESULTS.md.
set -euo pipefail
BUILD=${1:-build}
GH=$BUILD/gatehouse
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench/server: needs wrk (apt-get install wrk)"; exit 2; }
SEED=../shared/seed-policies/data-master
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

cat >"$tmp/trivial.rego" <<'EOF'
package bench

import rego.v1

default allow := false

allow if input.user == "alice"
EOF
echo '{"input":{"user":"alice"}}' >"$tmp/trivial.json"
if [ -f "$SEED/policy.rego" ]; then
  # the seed's first input (inputs.json holds commented documents one after another)
  node -e '
    const t = require("fs").readFileSync(process.argv[1], "utf8").replace(/^\s*\/\/.*$/mg, "");
    const first = t.slice(t.indexOf("{"), t.indexOf("\n}") + 2);
    process.stdout.write(JSON.stringify({input: JSON.parse(first)}));' "$SEED/inputs.json" >"$tmp/seed.json"
fi

# wrk script: POST the body file; pace with a delay when DELAY_MS is set; print one line of
# results (latencies in microseconds).
cat >"$tmp/post.lua" <<'EOF'
local f = io.open(os.getenv("BODY_FILE"), "r")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local d = tonumber(os.getenv("DELAY_MS") or "0")
if d > 0 then
  function delay() return d end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("GH_RESULT %d %.3f %d %d %d %d\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), e.connect + e.read + e.write + e.status + e.timeout))
end
EOF

start() { # policy-file workers
  "$GH" run --addr 127.0.0.1:0 --workers "$2" --log-level error --no-watch "$1" 2>"$tmp/err" &
  pid=$!
  # --log-level error hides the listening line: find the port from the socket table
  for _ in $(seq 100); do
    port=$(ss -ltnpH 2>/dev/null | grep "pid=$pid," | head -1 | awk '{print $4}' | sed 's/.*://' || true)
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "bench/server: gatehouse did not start: $(cat "$tmp/err")"; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$pid/status"; }
run_wrk() { # url body-file seconds connections delay-ms
  BODY_FILE=$2 DELAY_MS=$5 wrk -t2 -c"$4" -d"$3"s -s "$tmp/post.lua" "$1" | grep GH_RESULT
}
us() { awk -v u="$1" 'BEGIN{ if (u >= 1000) printf "%.2f ms", u/1000; else printf "%d us", u }'; }

if [ "${2:-}" = soak ]; then
  secs=${3:-300} rate=${4:-20000}
  [ -f "$tmp/seed.json" ] || { echo "soak: needs $SEED"; exit 2; }
  mkdir -p "$tmp/seedpol" && cp "$SEED/policy.rego" "$SEED/data.json" "$tmp/seedpol/"
  start "$tmp/seedpol" 2
  echo "soak: seed policy, 2 workers, ${secs} s at ${rate} req/s (bench/loadgen, 32 connections); RSS every 30 s"
  "$BUILD/bench/bench_loadgen" 127.0.0.1 "$port" /v1/data/authz/Decision "$tmp/seed.json" "$rate" 32 "$secs" >"$tmp/soak.out" &
  wpid=$!
  first=
  for t in $(seq 30 30 "$secs"); do
    sleep 30
    r=$(rss_kb); first=${first:-$r}
    echo "  t=${t}s RSS ${r} kB ($(awk -v a="$r" -v b="$first" 'BEGIN{printf "%+.1f%%", (a-b)*100/b}') since 30 s)"
  done
  wait $wpid
  read -r _ sent answered errs achieved p50 p90 p99 p999 _ <"$tmp/soak.out"
  echo "  $answered of $sent answered ($errs errors), $achieved req/s; p50 $(us "$p50"), p99 $(us "$p99"), p99.9 $(us "$p999")"
  stop
  exit 0
fi

secs=${2:-10}
echo "| policy | workers | req/s (max) | p50 | p99 | p99.9 | paced req/s | p50 | p99 | p99.9 | RSS | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for policy in trivial seed; do
  if [ "$policy" = seed ]; then
    [ -f "$tmp/seed.json" ] || { echo "| seed | skipped: $SEED not found |"; continue; }
    file=$SEED; path=authz/Decision
    # the seed policy and its data.json, as `opa run` would load the folder's two files
    mkdir -p "$tmp/seedpol" && cp "$SEED/policy.rego" "$SEED/data.json" "$tmp/seedpol/"
    file=$tmp/seedpol
  else
    file=$tmp/trivial.rego; path=bench/allow
  fi
  for w in 1 2; do
    start "$file" "$w"
    url="http://127.0.0.1:$port/v1/data/$path"
    run_wrk "$url" "$tmp/$policy.json" 2 64 0 >/dev/null # warm up
    read -r _ n dur p50 p99 p999 errs <<<"$(run_wrk "$url" "$tmp/$policy.json" "$secs" 64 0)"
    rps=$(awk -v n="$n" -v d="$dur" 'BEGIN{printf "%.0f", n/d}')
    # half that rate, open loop, 32 connections
    read -r _ _ _ perrs prps pp50 _ pp99 pp999 _ <<<"$("$BUILD/bench/bench_loadgen" 127.0.0.1 "$port" \
      "/v1/data/$path" "$tmp/$policy.json" $((rps / 2)) 32 "$secs")"
    echo "| $policy | $w | $rps | $(us "$p50") | $(us "$p99") | $(us "$p999") | $prps | $(us "$pp50") | $(us "$pp99") | $(us "$pp999") | $(( $(rss_kb) / 1024 )) MB | $((errs + perrs)) |"
    stop
  done
done
