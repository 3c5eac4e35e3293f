#!/usr/bin/env bash
# The least CPU PostgreSQL spends per committed write on this machine: a
# yardstick for scripts/bench-stores.sh. pgbench commits a one-row INSERT
# (the shape of a replay key's claim) from 32 clients over the Unix socket
# for 10 s, prepared statements, on a fresh database; the script prints
# the commits per second and the CPU the machine spent per commit, every
# process but pgbench (the backends, the WAL writer, the kernel).
#   scripts/pg-floor.sh [seconds] [clients]
# Environment: ISSUER_BENCH_POSTGRES (server URL without database, default
# postgres://postgres@127.0.0.1:5432), PGSOCKET (default /var/run/postgresql).
set -euo pipefail
secs=${1:-10}
clients=${2:-32}
pg=${ISSUER_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
sock=${PGSOCKET:-/var/run/postgresql}
db=floor_$$
sql() { local d=$1; shift; PGOPTIONS='-c client_min_messages=warning' psql -qX "$pg/$d" "$@"; }
sql postgres -c "CREATE DATABASE $db"
work=$(mktemp -d)
trap 'sql postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null; rm -rf "$work"' EXIT
sql "$db" -c "CREATE TABLE t (key bytea PRIMARY KEY, expires_ns bigint NOT NULL)"
echo "INSERT INTO t VALUES (gen_random_uuid()::text::bytea, 1);" >"$work/insert.sql"
# busy: the machine's busy CPU ticks so far (user nice system irq softirq).
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8; exit}' /proc/stat; }
b0=$(busy)
TIMEFORMAT='%U %S'
{ time pgbench -n -h "$sock" -U postgres -c "$clients" -j 1 -T "$secs" -M prepared -f "$work/insert.sql" "$db" >"$work/out" 2>&1; } 2>"$work/time"
b1=$(busy)
n=$(awk '/actually processed/{print $NF}' "$work/out")
read -r u s <"$work/time"
awk -v n="$n" -v secs="$secs" -v ticks=$((b1 - b0)) -v u="$u" -v s="$s" 'BEGIN {
  printf "one-row INSERT commits: %d in %d s (%.0f/s), %d clients\n", n, secs, n / secs, '"$clients"'
  printf "machine CPU per commit, pgbench excluded: %.0f µs\n", (ticks / 100 - u - s) * 1e6 / n
}'
