#!/usr/bin/env bash
# make bench: runs every benchmark of a build and prints their tables, with the machine.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr), build: $BUILD"
echo
echo "### bench/parse"
"$BUILD/bench/bench_parse" ../shared/conformance/opa-v1 50
if [ -x "$BUILD/bench/bench_engine" ]; then
  echo
  echo "### bench/engine"
  "$BUILD/bench/bench_engine" ../shared/seed-policies/data-master "$BUILD/gatehouse"
fi
if [ -x "$BUILD/bench/bench_builtins" ]; then
  echo
  echo "### bench/builtins"
  "$BUILD/bench/bench_builtins" ../shared/seed-policies/data-master
fi
echo
echo "### bench/test-harness"
bench/test_harness.sh "$BUILD/gatehouse"
if command -v wrk >/dev/null; then
  echo
  echo "### bench/server"
  bench/server.sh "$BUILD" 10
fi
if command -v h2load >/dev/null; then
  echo
  echo "### bench/ext-authz"
  bench/ext_authz.sh "$BUILD" 8
fi
if [ -x /usr/lib/postgresql/15/bin/initdb ] && command -v wrk >/dev/null; then
  echo
  echo "### bench/sql-e2e"
  bench/sql_e2e.sh "$BUILD" 8
fi
