#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:$ISSUER_PG_PORT (5432
# by default) for the tests of storage/postgres and the multi-node test
# (ISSUER_TEST_POSTGRES, by default postgres://postgres@127.0.0.1:5432/postgres).
#
# When one answers, nothing is done. Otherwise, as root on Debian: install
# Debian's postgresql package if it is missing, create a cluster on that
# port if there is none, and start it. A cluster this script installs or
# creates gets trust authentication for local connections (socket and
# loopback TCP): it is a test server, reachable from this machine only
# (listen_addresses stays localhost). An existing cluster that was stopped
# is started as it is, its authentication untouched.
set -euo pipefail
port=${ISSUER_PG_PORT:-5432}

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
if answers; then exit 0; fi

fresh=no
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fresh=yes
fi
cluster=$(pg_lsclusters -h | awk -v p="$port" '$3 == p { print $1, $2; exit }')
if [ -z "$cluster" ]; then
  ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
  name=main
  if [ -d "/etc/postgresql/$ver/main" ]; then name="issuer$port"; fi
  pg_createcluster -p "$port" "$ver" "$name" >/dev/null
  cluster="$ver $name"
  fresh=yes
fi
read -r ver name <<<"$cluster"
if [ "$fresh" = yes ]; then
  cat >"/etc/postgresql/$ver/$name/pg_hba.conf" <<'HBA'
# Written by scripts/postgres-up.sh: a test server, trusted from this machine.
local all all trust
host  all all 127.0.0.1/32 trust
host  all all ::1/128 trust
HBA
fi
pg_ctlcluster "$ver" "$name" start 2>/dev/null || pg_ctlcluster "$ver" "$name" reload
for _ in $(seq 150); do
  if answers; then echo "PostgreSQL $ver/$name answers on 127.0.0.1:$port"; exit 0; fi
  sleep 0.2
done
echo "PostgreSQL $ver/$name did not start on 127.0.0.1:$port (see /var/log/postgresql/)" >&2
exit 1
