#!/usr/bin/env bash
# bench/sql-e2e: the SQL listener end to end against a throwaway PostgreSQL (unix socket):
# ExecuteStatement requests through gatehouse (describe, authenticate, decide with
# policies/authz, rewrite, libpq) versus the same statement run directly through libpq, for a
# typical SELECT. Prints the most requests/s (wrk, 32 connections), and p50/p99 at a light
# rate (bench/loadgen, RATE/s, default 200, one connection) beside the direct path's
# (bench/pg_direct, timed like loadgen from the scheduled time) both ways: PQexecParams every
# time (what an application does by default) and prepared once (a driver's statement cache),
# with the added p50 over each. Not a test: a table for bench/RESULTS.md.
#   [RATE=2000] [PREPARED=0] bench/sql_e2e.sh [BUILD] [SECONDS]
# PREPARED sets the listener's prepared_statements when given (0: gatehouse unprepared).
set -euo pipefail
BUILD=${1:-build}
SECS=${2:-8}
GH=$BUILD/gatehouse
PGBIN=/usr/lib/postgresql/15/bin
cd "$(dirname "$0")/.."
[ -x "$PGBIN/initdb" ] || { echo "bench/sql-e2e: needs postgresql"; exit 2; }
tmp=$(mktemp -d)
chmod 755 "$tmp"
pid=
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
user=$([ "$(id -u)" = 0 ] && echo postgres || id -un)
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  run_pg "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] && chown postgres: "$tmp"
run_pg "$PGBIN/initdb" -D "$tmp/data" -U "$user" --auth=trust -E UTF8 --no-sync >/dev/null
run_pg "$PGBIN/pg_ctl" -D "$tmp/data" -w -l "$tmp/pg.log" -o "-k $tmp -c listen_addresses= -c fsync=off" start >/dev/null
conn="host=$tmp dbname=postgres user=$user"
psql -q -h "$tmp" -U "$user" -d postgres -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE public.orders (id int PRIMARY KEY, tenant_id text NOT NULL, region text, amount numeric,
  card_number text, email text, status text);
INSERT INTO public.orders SELECT i, (ARRAY['acme','globex','initech'])[1 + i % 3],
  (ARRAY['eu-west-1','eu-central-1','us-east-1'])[1 + i % 3], i * 1.5, '4111' || i, 'u' || i || '@x.io',
  (ARRAY['open','paid','deleted'])[1 + (i / 3) % 3] FROM generate_series(1, 10000) i;
CREATE INDEX ON public.orders (tenant_id, region);
ANALYZE;
SQL
"$GH" catalog --pg "$conn" -o "$tmp/catalog.json"

secret=bench-sql-secret-0123456789abcdefghij
cat >"$tmp/gatehouse.json" <<EOF
{"policy": ["policies/authz"], "log_level": "info",
 "auth": {"audiences": ["orders-db"], "subject": {"tenant": "tenant", "roles": "roles"},
          "issuers": [{"issuer": "bench", "hmac_secret": {"env": "BENCH_SECRET"}, "algorithms": ["HS256"]}]},
 "listeners": [{"name": "db", "kind": "sql_rds", "addr": "127.0.0.1:0", "postgres": "$conn",
                "pool_size": 4, ${PREPARED:+\"prepared_statements\": $PREPARED,} "catalog_file": "$tmp/catalog.json", "tenant_column": "tenant_id",
                "connector": {"name": "db", "kind": "sql", "dialect": "postgres", "instance": "inst-a"}}]}
EOF
printf '%s' "$secret" >"$tmp/secret"
token=$("$GH" token --issuer bench --key "$tmp/secret" --aud orders-db --sub ann \
  --claim tenant=acme --claim 'roles=["analyst"]' --ttl 1h)
# a typical dashboard query: columns, a range, an order and a limit
sql="SELECT id, region, amount, email FROM orders WHERE id BETWEEN :lo AND :hi ORDER BY id DESC LIMIT 20"
printf '{"sql": "%s", "parameters": [{"name": "lo", "value": {"longValue": 100}}, {"name": "hi", "value": {"longValue": 400}}]}' \
  "$sql" >"$tmp/body.json"
direct_sql="SELECT id, region, amount, email FROM orders WHERE id BETWEEN \$1 AND \$2 ORDER BY id DESC LIMIT 20"

cat >"$tmp/post.lua" <<'LUA'
local f = io.open(os.getenv("BODY_FILE"), "r")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
LUA
us() { awk -v u="$1" 'BEGIN{ if (u >= 1000) printf "%.2f ms", u/1000; else printf "%d us", u }'; }
RATE=${RATE:-200}
echo "| workers | req/s (max, wrk 32 conns) | p50 @${RATE}/s | p99 | direct PQexecParams p50 / p99 | direct prepared p50 / p99 | added p50 vs PQexecParams | vs prepared |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
read -r _ _ dp50 dp99 _ < <("$BUILD/bench/bench_pg_direct" "$conn" "$RATE" "$SECS" "$direct_sql" 100 400)
read -r _ _ pp50 pp99 _ < <("$BUILD/bench/bench_pg_direct" --prepared "$conn" "$RATE" "$SECS" "$direct_sql" 100 400)
for w in 1 2; do
  BENCH_SECRET=$secret "$GH" run -c "$tmp/gatehouse.json" --workers "$w" --addr 127.0.0.1:0 2>"$tmp/err" &
  pid=$!
  port=
  for _ in $(seq 100); do
    port=$(grep -o '"listener":"db","kind":"sql_rds","addr":"127.0.0.1:[0-9]*' "$tmp/err" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "bench/sql-e2e: gatehouse did not start: $(cat "$tmp/err")"; exit 1; }
  export LOADGEN_HEADER="Authorization: Bearer $token"
  "$BUILD/bench/bench_loadgen" 127.0.0.1 "$port" /Execute "$tmp/body.json" 2000 8 2 >/dev/null
  max=$(BODY_FILE=$tmp/body.json TOKEN=$token wrk -t2 -c32 -d"${SECS}s" -s "$tmp/post.lua" \
        "http://127.0.0.1:$port/Execute" | awk '/^Requests\/sec/ {printf "%.0f", $2}')
  errs=$(BODY_FILE=$tmp/body.json TOKEN=$token wrk -t1 -c4 -d1s -s "$tmp/post.lua" \
        "http://127.0.0.1:$port/Execute" | awk '/Non-2xx/ {print $NF} END {}' ); errs=${errs:-0}
  read -r _ _ _ lerrs _ p50 _ p99 _ _ < <("$BUILD/bench/bench_loadgen" 127.0.0.1 "$port" /Execute "$tmp/body.json" "$RATE" 1 "$SECS")
  echo "| $w | $max | $(us "$p50") | $(us "$p99") | $(us "$dp50") / $(us "$dp99") | $(us "$pp50") / $(us "$pp99") | $(us $((p50 - dp50))) | $(us $((p50 - pp50))) |"
  [ "$errs" = 0 ] && [ "$lerrs" = 0 ] || echo "(errors: $errs at max, $lerrs light; $(tail -2 "$tmp/err"))"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
