#!/usr/bin/env bash
# ctest smoke test: ferry-loadgen against the real Ferry turnserver on loopback at a low rate,
# 5 allocations with a channel each, both directions: over UDP for 2 seconds, then over TCP and
# TLS (a test certificate made here with openssl) for 1 second each; and, with the bare relay
# given, ferry-bare-relay over TLS for 1 second. Nothing may be lost.
#   loadgen_smoke.sh TURNSERVER FERRY-LOADGEN [FERRY-BARE-RELAY]
set -u
TURNSERVER=$1
LOADGEN=$2
BARE=${3:-}
DIR=$(mktemp -d /tmp/ferry-loadgen-smoke.XXXXXX)
PID=""
BARE_PID=""

cleanup() {
  local p
  for p in $PID $BARE_PID; do
    kill -TERM "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  rm -rf "$DIR"
}
trap cleanup EXIT

# A listening port and a relay range picked at random below the ephemeral range; retried if
# the server cannot bind (another test may hold the port).
start_server() {
  local port=$((20000 + RANDOM % 10000))
  local min=$((30000 + RANDOM % 2000))
  "$TURNSERVER" -n -L 127.0.0.1 -p "$port" --tls-listening-port $((port + 1)) --no-dtls \
    --cert "$DIR/cert.pem" --pkey "$DIR/key.pem" --relay-ip 127.0.0.1 --min-port "$min" \
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

if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -keyout "$DIR/key.pem" -out "$DIR/cert.pem" 2>"$DIR/openssl.log"; then
  cat "$DIR/openssl.log"
  echo "FAIL: openssl could not make the test certificate"
  exit 1
fi

for attempt in 1 2 3; do
  start_server && break
  echo "turnserver did not start (attempt $attempt):"
  cat "$DIR/server.log"
done
[ -n "$PID" ] || exit 1

# relay NAME SECONDS ARGS...: one ferry-loadgen relay run at 500 packets/s; both directions
# must have sent something and lost nothing.
relay() {
  local name=$1 seconds=$2
  shift 2
  timeout 30 "$LOADGEN" relay -n 5 --rate 500 -d "$seconds" --size 100 "$@" >"$DIR/$name.txt" 2>&1
  local rc=$?
  echo "== $name"
  cat "$DIR/$name.txt"
  if [ "$rc" != 0 ]; then
    echo "FAIL: ferry-loadgen ($name) exited with $rc"
    exit 1
  fi
  local dir
  for dir in c2p p2c; do
    if ! grep -q "^$dir sent=[1-9][0-9]* received=[0-9]* lost=0 " "$DIR/$name.txt"; then
      echo "FAIL: $name: $dir lost packets or sent none"
      exit 1
    fi
  done
}

relay udp 2 --server "127.0.0.1:$PORT"
relay tcp 1 --server "127.0.0.1:$PORT" --transport tcp
relay tls 1 --server "127.0.0.1:$((PORT + 1))" --transport tls
grep -q '^stream transport=tls .*tls="TLS' "$DIR/tls.txt" || { echo "FAIL: no TLS session"; exit 1; }

if [ -n "$BARE" ]; then
  bare_port=$((PORT + 2))
  "$BARE" --listen "127.0.0.1:$bare_port" --relay-port $((PORT + 3)) --channels 5 --seconds 30 \
    --transport tls --cert "$DIR/cert.pem" --key "$DIR/key.pem" >"$DIR/bare.log" 2>&1 &
  BARE_PID=$!
  for _ in $(seq 1 25); do
    grep -q "^bare relay on" "$DIR/bare.log" && break
    if ! kill -0 "$BARE_PID" 2>/dev/null; then
      cat "$DIR/bare.log"
      echo "FAIL: ferry-bare-relay did not start"
      exit 1
    fi
    sleep 0.2
  done
  relay bare-tls 1 --server "127.0.0.1:$bare_port" --bare $((PORT + 3)) --transport tls
  kill -TERM "$BARE_PID" 2>/dev/null
  wait "$BARE_PID" 2>/dev/null
  BARE_PID=""
fi
echo "PASS"
