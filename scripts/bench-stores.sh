#!/usr/bin/env bash
# Load benchmark of the token endpoint on each store, in one run: builds the
# server and cmd/loadgen once, then runs the load generator (pre-authorized
# code + DPoP redemptions, scripts/bench.sh's setup) against each
# configuration in turn, round by round (A B C A B C …), so that the
# machine's drift hits all alike, and prints the medians.
#   bolt  one node, durable bbolt writes (fsync on commit)
#   pg1   one node on a fresh PostgreSQL database
#   pg2   two nodes (same --url, two ports) on one fresh database; the load
#         generator sends the requests to each node in turn
#   old   (with OLD=REV) pg1 with the server built at REV: before/after
# A PostgreSQL configuration may carry options for its database URL after a
# colon: "pg1:synchronous_commit=off", "pg2:pool_max_conns=8&sslmode=disable".
# Every server runs on core 1 (both nodes of pg2 too: the same CPU budget as
# one node; NODE_CPUS=0,1 lets them run on both cores, as a server that is
# not pinned does), the load generator on core 0; PostgreSQL runs where it runs
# (both cores): its backends' CPU is reported apart, and the whole machine's (every
# process: load generator, nodes, all of PostgreSQL, the kernel) beside it.
#   scripts/bench-stores.sh [rounds] [wallets] [redemptions]
# Environment: CONFIGS (default "bolt pg1 pg2", plus "old" when OLD is set),
# NODE_CPUS (the servers' cores for taskset, default 1), NODE_QUOTA (the
# servers' CPU, all together, capped at that percentage of one core, so that
# the database has CPU to spare, as on a machine of its own; needs root and
# cgroup v1's cpu controller),
# OLD=REV, ISSUER_BENCH_POSTGRES (server URL without database, default
# postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
wallets=${2:-32}
n=${3:-20000}
pg=${ISSUER_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
configs=${CONFIGS:-bolt pg1 pg2${OLD:+ old}}
work=$(mktemp -d)
servers=()
cgroup=
cleanup() {
  for p in "${servers[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${OLD:-}" ]; then git worktree remove --force "$work/old-src" 2>/dev/null || true; fi
  if [ -n "$cgroup" ]; then sleep 0.5; rmdir "$cgroup" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
# NODE_QUOTA: the nodes' CPU, all together, capped at that percentage of
# one core (a cgroup v1 CFS quota, 10 ms periods).
if [ -n "${NODE_QUOTA:-}" ]; then
  cgroup=/sys/fs/cgroup/cpu/issuer-bench-$$
  mkdir "$cgroup"
  echo 10000 >"$cgroup/cpu.cfs_period_us"
  echo $((NODE_QUOTA * 100)) >"$cgroup/cpu.cfs_quota_us"
fi
go build -o "$work/issuer" ./cmd/issuer
go build -o "$work/loadgen" ./cmd/loadgen
if [ -n "${OLD:-}" ]; then
  git worktree add -q --detach "$work/old-src" "$OLD"
  (cd "$work/old-src" && go build -o "$work/old" ./cmd/issuer)
fi
# sql DB ARGS…: psql quietly (no notices) on database DB.
sql() { local db=$1; shift; PGOPTIONS='-c client_min_messages=warning' psql -qX "$pg/$db" "$@"; }
token=bench-admin-token
public=http://127.0.0.1:18080

# serve BINARY PORT DB: starts a node on core 1 and waits until it answers.
serve() {
  taskset -c "${NODE_CPUS:-1}" "$1" serve --addr "127.0.0.1:$2" --url "$public" --db "$3" \
    --admin-token "$token" --log-level warn &
  servers+=($!)
  if [ -n "${NODE_QUOTA:-}" ]; then echo $! >"$cgroup/cgroup.procs"; fi
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$2/jwks" >/dev/null && return; sleep 0.1; done
  echo "the server on port $2 did not start" >&2
  exit 1
}

# newdb NAME OPTS: a fresh database; prints its URL with OPTS.
newdb() {
  sql postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  echo "$pg/$1${2:+?$2}"
}

# run INDEX CONFIG ROUND: one measured run; the load generator's report
# goes to $work/INDEX.ROUND.
run() {
  local db urls=$public pgdb=() bin="$work/issuer" opts=
  [[ $2 == *:* ]] && opts=${2#*:}
  servers=()
  echo "== $2 #$3"
  case ${2%%:*} in
  bolt) serve "$bin" 18080 "$work/bench.db" ;;
  pg1 | old)
    [ "${2%%:*}" = old ] && bin="$work/old"
    db=bench_$$_$1_$3
    serve "$bin" 18080 "$(newdb "$db" "$opts")"
    pgdb=(-pg-db "$db")
    ;;
  pg2)
    db=bench_$$_$1_$3
    local url
    url=$(newdb "$db" "$opts")
    serve "$bin" 18080 "$url"
    serve "$bin" 18081 "$url"
    urls=$public,http://127.0.0.1:18081
    pgdb=(-pg-db "$db")
    ;;
  *) echo "unknown configuration $2" >&2; exit 2 ;;
  esac
  local pids
  pids=$(IFS=,; echo "${servers[*]}")
  taskset -c 0 "$work/loadgen" -url "$public" -urls "$urls" -admin-token "$token" -wallets "$wallets" -n "$n" \
    -server-pid "$pids" "${pgdb[@]}" >"$work/$1.$3" 2>&1 || echo "(the load generator failed)"
  grep -E 'redemption failed|throughput|latency|CPU' "$work/$1.$3" || true
  for p in "${servers[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
  servers=()
  rm -f "$work/bench.db"
  if [ -n "${db:-}" ]; then sql postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null; fi
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); go: $(go version | cut -d' ' -f3);" \
  "$(sql postgres -At -c 'SELECT version()' | cut -d' ' -f1-2), synchronous_commit=$(sql postgres -At -c 'SHOW synchronous_commit')"
echo "build: $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes')${OLD:+; old: $OLD ($(git rev-parse --short "$OLD"))}; nodes on cores ${NODE_CPUS:-1}${NODE_QUOTA:+, capped together at ${NODE_QUOTA} % of a core}"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$rounds"); do
  k=0
  for c in $configs; do
    run "$k" "$c" "$i"
    k=$((k + 1))
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# Medians over the rounds; durations in ms.
echo "== medians over $rounds rounds ($wallets wallets, $n redemptions a run)"
w=6
for c in $configs; do [ ${#c} -gt $w ] && w=${#c}; done
printf "%-${w}s %14s %9s %9s %16s %14s %13s %14s %6s\n" config redemptions/s p50-ms p99-ms server-µs/redeem db-µs/redeem loadgen-µs machine-µs idle%
k=0
for c in $configs; do
  f=("$work/$k".*)
  k=$((k + 1))
  cat "${f[@]}" | awk -v c="$c" -v w="$w" '
    function ms(d) {
      if (d ~ /µs$/) return substr(d, 1, length(d) - 2) / 1000
      if (d ~ /ms$/) return substr(d, 1, length(d) - 2) + 0
      if (d ~ /s$/) return substr(d, 1, length(d) - 1) * 1000
      return d + 0
    }
    function median(a, k,   i, j, t) {
      if (k == 0) return "-"
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    /^throughput:/ { rate[++nr] = $2 }
    /^latency:/ { p50[++nl] = ms($3); p99[nl] = ms($7) }
    /^server CPU:/ { scpu[++ns] = $3 }
    /^database CPU:/ { dcpu[++nd] = $3 }
    /^load generator CPU:/ { lcpu[++nlg] = $4 }
    /^machine CPU:/ { mcpu[++nm] = $3; idle[nm] = $(NF - 1) + 0 }
    END {
      printf "%-" w "s %14s %9s %9s %16s %14s %13s %14s %6s\n", c, median(rate, nr), median(p50, nl), median(p99, nl),
        median(scpu, ns), median(dcpu, nd), median(lcpu, nlg), median(mcpu, nm), median(idle, nm)
    }'
done
