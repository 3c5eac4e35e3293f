#!/usr/bin/env bash
# scripts/walkthrough-ci.sh: what .ci/run does to run the README's
# walkthrough: build the binary, start it with an admin token on free ports
# and a database in a temporary directory, run scripts/walkthrough.sh twice
# against it (the second run checks that it runs again on one database),
# stop the server and check that it stopped cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=$(mktemp -d)
trap 'if [ -n "${PID:-}" ]; then kill "$PID" 2>/dev/null || true; fi; rm -rf "$DIR"' EXIT
go build -o "$DIR/bin/issuer" ./cmd/issuer
export PATH="$DIR/bin:$PATH"

# free_port sets PORT to a port of 127.0.0.1 that nothing listens on, from
# 20000 up, never the same twice.
PORT=19999
free_port() {
  PORT=$((PORT + 1))
  while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done
}
free_port && export MTLS_ADDR=127.0.0.1:$PORT
free_port && export NONCE_ADDR=127.0.0.1:$PORT
free_port
export ISSUER_ADMIN_TOKEN=walkthrough-$RANDOM$RANDOM

issuer --addr "127.0.0.1:$PORT" --url "http://127.0.0.1:$PORT" --db "$DIR/issuer.db" --log-level warn 2>"$DIR/server.log" &
PID=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/jwks" && break
  kill -0 "$PID" 2>/dev/null || { cat "$DIR/server.log"; exit 1; }
  sleep 0.1
done
status=0
for round in 1 2; do
  echo "-- walkthrough, run $round"
  bash scripts/walkthrough.sh "http://127.0.0.1:$PORT" >"$DIR/walkthrough.log" 2>&1 || { status=$?; break; }
done
if [ "$status" != 0 ]; then
  cat "$DIR/walkthrough.log" "$DIR/server.log"
  exit "$status"
fi
tail -1 "$DIR/walkthrough.log"
# The README's advice: SIGTERM stops the built binary, port and database freed.
kill "$PID" && wait "$PID"
PID=
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "the server still holds port $PORT after kill" >&2
  exit 1
fi
echo "walkthrough: 2 passed, 0 failed"
