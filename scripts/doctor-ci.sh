#!/usr/bin/env bash
# Runs `issuer doctor` against the real binary, as .ci/run does: the server
# in its default configuration (plain http, doctor --allow-http), then under
# the haip profile (https with a throwaway CA, doctor --profile haip
# --cacert), each with the admin token, so that the synthetic issuance runs
# too. Exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v openssl >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq openssl >/dev/null
fi
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/issuer" ./cmd/issuer
# Both the server and doctor read the admin token from the environment.
export ISSUER_ADMIN_TOKEN
ISSUER_ADMIN_TOKEN=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')

# free_port prints a port nothing listens on.
free_port() {
  while :; do
    local p=$((20000 + RANDOM % 20000))
    if ! (echo >/dev/tcp/127.0.0.1/"$p") 2>/dev/null; then echo "$p"; return; fi
  done
}

# serve NAME PORT ARGS...: starts the binary and waits until it listens.
serve() {
  local name=$1 port=$2; shift 2
  "$tmp/issuer" serve --addr "127.0.0.1:$port" --db "$tmp/$name.db" --log-level warn "$@" 2>"$tmp/$name.log" &
  pids+=($!)
  for _ in $(seq 100); do
    if (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "the $name issuer did not start:"; cat "$tmp/$name.log"; return 1
}

echo "-- the default configuration"
port=$(free_port)
serve default "$port" --url "http://127.0.0.1:$port"
"$tmp/issuer" doctor --allow-http "http://127.0.0.1:$port"

echo "-- the haip profile, over https"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=issuer doctor CA" -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
printf "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n" >"$tmp/server.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -days 1 \
  -extfile "$tmp/server.ext" -out "$tmp/server.pem" 2>/dev/null
port=$(free_port)
serve haip "$port" --profile haip --url "https://127.0.0.1:$port" --tls-cert "$tmp/server.pem" --tls-key "$tmp/server.key"
"$tmp/issuer" doctor --profile haip --cacert "$tmp/ca.pem" "https://127.0.0.1:$port"
