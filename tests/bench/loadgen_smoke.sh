#!/usr/bin/env bash
# ctest smoke test: ferry-loadgen against the real Ferry turnserver on loopback for 2 seconds
# at a low rate, 5 allocations with a channel each, both directions: nothing may be lost.
#   loadgen_smoke.sh TURNSERVER FERRY-LOADGEN
set -u
TURNSERVER=$1
LOADGEN=$2
DIR=$(mktemp -d /tmp/ferry-loadgen-smoke.XXXXXX)
PID=""

cleanup() {
  if [ -n "$PID" ]; then
    kill -TERM "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT

# A listening port and a relay range picked at random below the ephemeral range; retried if
# the server cannot bind (another test may hold the port).
start_server() {
  local port=$((20000 + RANDOM % 10000))
  local min=$((30000 + RANDOM % 2000))
  "$TURNSERVER" -n -L 127.0.0.1 -p "$port" --no-tcp --relay-ip 127.0.0.1 --min-port "$min" \
    --max-port $((min + 200)) --allow-loopback-peers --lt-cred-mech --user u:p --realm r \
    --relay-threads 1 >"$DIR/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 25); do
    kill -0 "$PID" 2>/dev/null || break
    if timeout 10 "$LOADGEN" allocate --server "127.0.0.1:$port" -k 1 -d 5 >/dev/null 2>&1; then
      PORT=$port
      return 0
    fi
    sleep 0.2
  done
  kill -TERM "$PID" 2>/dev/null
  wait "$PID" 2>/dev/null
  PID=""
  return 1
}

for attempt in 1 2 3; do
  start_server && break
  echo "turnserver did not start (attempt $attempt):"
  cat "$DIR/server.log"
done
[ -n "$PID" ] || exit 1

timeout 30 "$LOADGEN" relay --server "127.0.0.1:$PORT" -n 5 --rate 500 -d 2 --size 100 \
  >"$DIR/out.txt" 2>&1
rc=$?
cat "$DIR/out.txt"
if [ "$rc" != 0 ]; then
  echo "FAIL: ferry-loadgen exited with $rc"
  exit 1
fi
for dir in c2p p2c; do
  if ! grep -q "^$dir sent=[1-9][0-9]* received=[0-9]* lost=0 " "$DIR/out.txt"; then
    echo "FAIL: $dir lost packets or sent none"
    exit 1
  fi
done
echo "PASS"
