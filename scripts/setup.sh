#!/usr/bin/env bash
# Installs what gatehouse needs to build and test on Debian 12, and nothing that is already
# there: apt-get runs only when a package is missing. Safe to run any number of times.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config   # the build
  re2c bison                                     # the Rego front end generators
  clang libclang-rt-14-dev                       # clang builds, ASan/UBSan, libFuzzer
  libyaml-dev                                    # conformance cases (YAML), data.yaml, METADATA
  libre2-dev                                     # regex builtins (RE2: linear time, Go syntax)
  libssl-dev                                     # crypto, JWT and x509 builtins (OpenSSL)
  libcurl4-openssl-dev                           # http.send
  libuv1-dev node-llhttp libpq-dev postgresql    # the daemon: loops, HTTP/1.1, libpq; PostgreSQL for tests
  libnghttp2-dev nghttp2-client                  # gRPC over HTTP/2 (ext_authz); h2load for its bench
  protobuf-c-compiler libprotobuf-c-dev          # Envoy ext_authz messages (proto/)
  curl nodejs openssl                            # integration tests: clients, a test CA
  libpg-query-dev postgresql-server-dev-15       # SQL connector: PostgreSQL's parser and its node headers
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || echo "setup: apt-get update failed; trying the install with the cached lists"
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
