#!/usr/bin/env bash
# Before/after load benchmark of the token endpoint in one run: builds the
# server at REV (default: the merge base with main's upstream, else HEAD~1)
# and from the working tree, then runs scripts/bench.sh's setup for each in
# turn, ROUNDS times, A B A B …, so that the machine's drift hits both alike.
#   scripts/bench-compare.sh REV [rounds] [wallets] [redemptions]
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: scripts/bench-compare.sh REV [rounds] [wallets] [redemptions]}
rounds=${2:-3}
wallets=${3:-32}
n=${4:-20000}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/old-src" 2>/dev/null || true; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/old-src" "$rev"
(cd "$work/old-src" && go build -o "$work/old" ./cmd/issuer)
go build -o "$work/new" ./cmd/issuer
# One load generator for both, from the working tree.
go build -o "$work/loadgen" ./cmd/loadgen
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); go: $(go version | cut -d' ' -f3)"
echo "old: $rev ($(git rev-parse --short "$rev")); new: working tree of $(git rev-parse --short HEAD)"
token=bench-admin-token
addr=127.0.0.1:18080
run() { # run NAME BINARY
  rm -f "$work/bench.db"
  taskset -c 1 "$2" serve --addr "$addr" --url "http://$addr" --db "$work/bench.db" \
    --admin-token "$token" --log-level warn &
  local server=$!
  for _ in $(seq 50); do curl -fs "http://$addr/jwks" >/dev/null && break; sleep 0.1; done
  echo "== $1"
  taskset -c 0 "$work/loadgen" -url "http://$addr" -admin-token "$token" -wallets "$wallets" -n "$n" \
    -server-pid "$server" | grep -E 'throughput|latency|server CPU|peak RSS' || true
  kill "$server"; wait "$server" 2>/dev/null || true
}
for i in $(seq "$rounds"); do
  run "old #$i" "$work/old"
  run "new #$i" "$work/new"
done
