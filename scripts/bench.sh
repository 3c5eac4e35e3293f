#!/usr/bin/env bash
# Load benchmark of the token endpoint: the server pinned to one core, the
# load generator to the other, durable bbolt writes (fsync on commit).
#   scripts/bench.sh [wallets] [redemptions] [loadgen flags…]
# e.g. scripts/bench.sh 32 20000 -credential: full issuances (token, then
# an SD-JWT VC with a key proof) instead of redemptions alone.
set -euo pipefail
cd "$(dirname "$0")/.."
wallets=${1:-32}
n=${2:-30000}
shift $(( $# < 2 ? $# : 2 ))
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/issuer" ./cmd/issuer
go build -o "$work/loadgen" ./cmd/loadgen
token=bench-admin-token
addr=127.0.0.1:18080
taskset -c 1 "$work/issuer" serve --addr "$addr" --url "http://$addr" --db "$work/bench.db" \
  --admin-token "$token" --log-level warn &
server=$!
for _ in $(seq 50); do curl -fs "http://$addr/jwks" >/dev/null && break; sleep 0.1; done
kill -0 "$server" 2>/dev/null || { echo "the server did not start" >&2; exit 1; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); go: $(go version | cut -d' ' -f3)"
taskset -c 0 "$work/loadgen" -url "http://$addr" -admin-token "$token" -wallets "$wallets" -n "$n" -server-pid "$server" "$@"
