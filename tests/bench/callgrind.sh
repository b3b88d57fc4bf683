#!/usr/bin/env bash
# User-space instructions per relayed packet and per Allocate (measure 2 of
# /work/shared/docs/BENCHMARKING.md), for Ferry, coturn and the bare relay; exact to about 1%
# whatever else the machine does, so it complements run.sh's CPU ratios on a noisy machine.
#
#   tests/bench/callgrind.sh [--build-dir DIR] [--keep]
#   CALLGRIND_SERVERS="ferry" FERRY_EXTRA_ARGS="--max-bps 100000000" tests/bench/callgrind.sh
#   CALLGRIND_TRANSPORT=tls [CALLGRIND_TLS_MAX=1.2] tests/bench/callgrind.sh
#
# CALLGRIND_SERVERS picks which of bare, ferry and coturn run (default: all three);
# FERRY_EXTRA_ARGS adds options to Ferry's command line (e.g. to measure a limit's cost).
# CALLGRIND_TRANSPORT=tcp|tls measures ChannelData both ways over that transport instead (the
# servers get a test certificate made here; over TLS the client writes one record per
# message, and CALLGRIND_TLS_MAX=1.2 caps it at TLS 1.2, which is what coturn 4.6.1 speaks)
# and adds Ir per packet by shared object (Ferry's own code, libssl, libcrypto, libevent,
# libc). CALLGRIND_PORT, CALLGRIND_RELAY_MIN and CALLGRIND_BARE_RELAY move the ports (13578,
# 32000-32999, 33500), for a run beside another one.
#
# Each figure runs twice on a fresh server under `valgrind --tool=callgrind`: W1 and W2 units
# of work (packets at a fixed rate with no loss, or Allocates), and Ir per unit =
# (Ir(W2) - Ir(W1)) / (W2 - W1): start-up, handshakes and shutdown cancel out. Prints a markdown
# table, then the top functions of Ferry's W2 runs (callgrind_annotate). Loopback only; about
# 5 minutes. --keep leaves the callgrind files in /tmp/ferry-callgrind.*.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD="$ROOT/build"
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD=$(realpath -m "$2"); shift ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--build-dir DIR] [--keep]" >&2; exit 2 ;;
  esac
  shift
done

RATE=1000              # packets/s: slow enough for every server under valgrind
W1_S=1; W2_S=5         # seconds of traffic: W1 = 1,000 packets, W2 = 5,000
A1=100; A2=500         # Allocates
PORT=${CALLGRIND_PORT:-13578}; TLS_PORT=$((PORT + 1))
RELAY_MIN=${CALLGRIND_RELAY_MIN:-32000}; RELAY_MAX=$((RELAY_MIN + 999))
BARE_RELAY=${CALLGRIND_BARE_RELAY:-33500}
TRANSPORT=${CALLGRIND_TRANSPORT:-udp}
COTURN=/usr/bin/turnserver
OUT=$(mktemp -d /tmp/ferry-callgrind.XXXXXX)
SERVER_PID=""
case $TRANSPORT in udp|tcp|tls) ;; *) echo "CALLGRIND_TRANSPORT: udp, tcp or tls" >&2; exit 2 ;; esac

log() { echo "[callgrind] $*" >&2; }
die() { log "error: $*"; exit 1; }
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -9 "$SERVER_PID"; fi
  [ "$KEEP" = 1 ] || rm -rf "$OUT"
}
trap cleanup EXIT

command -v valgrind >/dev/null || die "valgrind is needed (apt-get install valgrind)"
[ -x "$COTURN" ] || die "coturn is needed (apt-get install coturn)"
log "building in $BUILD"
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target turnserver ferry-loadgen ferry-bare-relay -j"$(nproc)" >/dev/null
LOADGEN="$BUILD/bin/ferry-loadgen"
SOURCE_N=0
# Over TCP/TLS: each server also listens for TLS with a test certificate, and every run of the
# generator speaks the transport (the bare relay then terminates TLS itself).
STREAM_FERRY=(); STREAM_COTURN=(--no-tls); STREAM_BARE=(); STREAM_LOADGEN=(); LOADGEN_ENV=()
if [ "$TRANSPORT" != udp ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$OUT/key.pem" -out "$OUT/cert.pem" \
    2>/dev/null || die "openssl could not make the test certificate"
  STREAM_FERRY=(--tls-listening-port $TLS_PORT --cert "$OUT/cert.pem" --pkey "$OUT/key.pem"
    --tls-handshake-rate 0 --no-dtls)
  STREAM_COTURN=(--tls-listening-port $TLS_PORT --cert "$OUT/cert.pem" --pkey "$OUT/key.pem")
  STREAM_BARE=(--transport "$TRANSPORT" --cert "$OUT/cert.pem" --key "$OUT/key.pem")
  STREAM_LOADGEN=(--transport "$TRANSPORT")
  if [ "${CALLGRIND_TLS_MAX:-}" = 1.2 ]; then
    printf '%s\n' 'openssl_conf = openssl_init' '[openssl_init]' 'ssl_conf = ssl_sect' '[ssl_sect]' \
      'system_default = system_default_sect' '[system_default_sect]' 'MaxProtocol = TLSv1.2' \
      >"$OUT/tls12.cnf"
    LOADGEN_ENV=(OPENSSL_CONF="$OUT/tls12.cnf")
  fi
fi

# start SERVER FILE: the server under callgrind, writing FILE when it exits.
start() {
  local server=$1 file=$2
  local vg=(valgrind --tool=callgrind --separate-threads=no --callgrind-out-file="$file")
  local cmd
  case $server in
    ferry) cmd=("$BUILD/bin/turnserver" -n -L 127.0.0.1 -p $PORT --relay-ip 127.0.0.1
             --min-port $RELAY_MIN --max-port $RELAY_MAX --allow-loopback-peers --lt-cred-mech
             --user u:p --realm r --relay-threads 1 --no-stdout-log
             --unauthenticated-response-rate 0  # one source, many Allocates (coturn: no limit)
             "${STREAM_FERRY[@]}" ${FERRY_EXTRA_ARGS:-}) ;;
    coturn) cmd=("$COTURN" -n --no-cli --listening-ip 127.0.0.1 --listening-port $PORT
              --relay-ip 127.0.0.1 --allow-loopback-peers --lt-cred-mech --user u:p --realm r
              --no-dtls --min-port $RELAY_MIN --max-port $RELAY_MAX --relay-threads 1
              --pidfile "$OUT/coturn.pid" --log-file stdout "${STREAM_COTURN[@]}") ;;
    bare) cmd=("$BUILD/bin/ferry-bare-relay" --listen 127.0.0.1:$PORT
            --relay-port $BARE_RELAY --channels 10 "${STREAM_BARE[@]}") ;;
  esac
  "${vg[@]}" "${cmd[@]}" >"$file.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || die "$server exited at start (see $file.log)"
    if [ "$server" = bare ]; then
      grep -q "^bare relay on" "$file.log" && return 0
    elif "$LOADGEN" allocate --server 127.0.0.1:$PORT -k 1 -d 2 --source 127.3.0.1 \
        >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  die "$server did not answer under valgrind (see $file.log)"
}

# stop: SIGTERM (callgrind writes its file at exit), SIGKILL after 20 s.
stop() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

ir_of() { awk '/^(summary|totals):/ {print $2; exit}' "$1"; }

# run SERVER FIGURE UNITS LOADGEN-ARGS...: one server run; sets RESULT to "units ir" (not
# printed: in a $(...) subshell the server would escape the EXIT trap's cleanup).
run() {
  local server=$1 figure=$2 units=$3
  shift 3
  local file="$OUT/$server-$figure-$units.cg"
  start "$server" "$file"
  SOURCE_N=$((SOURCE_N + 1))
  local port=$PORT
  [ "$TRANSPORT" = tls ] && [ "$server" != bare ] && port=$TLS_PORT
  env "${LOADGEN_ENV[@]}" "$LOADGEN" "$@" --server 127.0.0.1:$port --source "127.3.1.$SOURCE_N" \
    >"$file.lg" 2>&1 || die "ferry-loadgen failed on $server $figure (see $file.lg)"
  stop
  local done_units
  if [ "$figure" = allocate ]; then
    done_units=$(grep -o 'ok=[0-9]*' "$file.lg" | head -1 | cut -d= -f2)
  else
    done_units=$(grep -o 'delivered=[0-9]*' "$file.lg" | head -1 | cut -d= -f2)
    grep -q ' lost=[1-9]' "$file.lg" && log "warning: $server $figure lost packets ($file.lg)"
  fi
  RESULT="$done_units $(ir_of "$file")"
}

# figure SERVER NAME ARGS...: Ir per unit from a W1 and a W2 run.
figure() {
  local server=$1 name=$2
  shift 2
  local a b
  if [ "$name" = allocate ]; then
    run "$server" "$name" $A1 allocate -k $A1 --keep -d 200
    a=$RESULT
    run "$server" "$name" $A2 allocate -k $A2 --keep -d 200
    b=$RESULT
  else
    run "$server" "$name" $W1_S relay -n 10 --rate $RATE -d $W1_S "${STREAM_LOADGEN[@]}" "$@"
    a=$RESULT
    run "$server" "$name" $W2_S relay -n 10 --rate $RATE -d $W2_S "${STREAM_LOADGEN[@]}" "$@"
    b=$RESULT
  fi
  echo "$server $name $a $b" >>"$OUT/results.txt"
  log "$server $name: $a -> $b"
}

bare=(--bare $BARE_RELAY)
for server in ${CALLGRIND_SERVERS:-bare ferry coturn}; do
  extra=()
  [ "$server" = bare ] && extra=("${bare[@]}")
  figure "$server" cd_c2p --direction c2p "${extra[@]}"
  figure "$server" cd_p2c --direction p2c "${extra[@]}"
  [ "$server" = bare ] || [ "$TRANSPORT" != udp ] && continue
  figure "$server" send_c2p --direction c2p --framing send
  figure "$server" data_p2c --direction p2c --framing send
  figure "$server" allocate
done

echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); Ferry $(cd "$ROOT" && git describe --always --dirty)," \
  "$($COTURN --version 2>/dev/null | head -1 | sed 's/^/coturn /')"
echo "- valgrind --tool=callgrind --separate-threads=no; $RATE packets/s, W1 = ${W1_S} s, W2 = ${W2_S} s" \
  "of traffic (10 allocations, 100-byte payloads); Allocates: W1 = $A1, W2 = $A2 (kept)"
if [ "$TRANSPORT" != udp ]; then
  echo "- client transport: $TRANSPORT${CALLGRIND_TLS_MAX:+, capped at TLS $CALLGRIND_TLS_MAX}$(
    cat "$OUT"/*-"$W2_S".cg.lg 2>/dev/null | grep -o 'tls="[^"]*"' | sort | uniq -c |
      awk '{c = $1; $1 = ""; printf "%s%s (%d runs)", (NR == 1 ? "; negotiated:" : ","), $0, c}')"
fi
echo
# Per-function Ir of one unit: W2's functions minus W1's, divided by the units between them
# (start-up and shutdown cancel out, as in the table).
functions_of() {
  callgrind_annotate --threshold=100 "$1" 2>/dev/null | sed -n '/^Ir/,$p' | tail -n +3 |
    sed -E 's/^ *([0-9,]+) +\( *[0-9.]+%\) +/\1\t/' | awk -F'\t' -v OFS='\t' '{gsub(",", "", $1); print}'
}
per_function() {
  local server=$1 name=$2 w1=$3 w2=$4 units=$5
  local f
  for f in "$OUT/$server-$name-$w1.cg" "$OUT/$server-$name-$w2.cg"; do
    [ -f "$f.functions" ] || functions_of "$f" >"$f.functions"
  done
  awk -F'\t' -v u="$units" 'NR == FNR {a[$2] = $1; next} {printf "%.1f\t%s\n", ($1 - a[$2]) / u, $2}' \
    "$OUT/$server-$name-$w1.cg.functions" "$OUT/$server-$name-$w2.cg.functions"
}
per_unit() {
  per_function "$@" | awk -F'\t' '$1 >= 10 {printf "%7.0f  %s\n", $1, $2}' | sort -rn | head -16 |
    cut -c1-120
}
units_of() { awk -v s="$1" -v f="$2" '$1 == s && $2 == f {print $5 - $3}' "$OUT/results.txt"; }

if [ "$TRANSPORT" = udp ]; then
  echo "| Ir per unit | ChannelData c2p | ChannelData p2c | Send ind. c2p | Data ind. p2c | Allocate (401 + auth) |"
  echo "|---|---|---|---|---|---|"
  awk '
    { ir[$1, $2] = ($6 - $4) / ($5 - $3) }
    function cell(s, f) { return ((s, f) in ir) ? sprintf("%\047d", ir[s, f]) : "-" }
    function ratio(f) { return (("ferry", f) in ir) && (("coturn", f) in ir) ? sprintf("%.2f", ir["ferry", f] / ir["coturn", f]) : "-" }
    END {
      n = split("bare ferry coturn", s, " ")
      for (i = 1; i <= n; i++)
        printf "| %s | %s | %s | %s | %s | %s |\n", s[i], cell(s[i], "cd_c2p"), cell(s[i], "cd_p2c"),
          cell(s[i], "send_c2p"), cell(s[i], "data_p2c"), cell(s[i], "allocate")
      printf "| Ferry / coturn | %s | %s | %s | %s | %s |\n", ratio("cd_c2p"), ratio("cd_p2c"),
        ratio("send_c2p"), ratio("data_p2c"), ratio("allocate")
    }' "$OUT/results.txt"
  echo
  for f in cd_c2p cd_p2c send_c2p data_p2c; do
    units=$(units_of ferry "$f")
    [ -n "$units" ] || continue
    echo "Ferry, $f: Ir per packet by function (10 or more):"
    echo '```'
    per_unit ferry "$f" "$W1_S" "$W2_S" "$units"
    echo '```'
  done
  units=$(units_of ferry allocate)
  if [ -n "$units" ]; then
    echo "Ferry, allocate: Ir per Allocate by function:"
    echo '```'
    per_unit ferry allocate "$A1" "$A2" "$units"
    echo '```'
  fi
  exit 0
fi

# Over TCP/TLS: ChannelData both ways, then where each server's instructions go by shared
# object (the object callgrind names after each function): the server's own code (Ferry's
# libraries are linked statically), libssl (records, state), libcrypto (AES-GCM, buffers),
# libevent, libc (malloc, memcpy, system call wrappers) and the rest (libstdc++, ld.so).
echo "| Ir per packet over $TRANSPORT | ChannelData c2p | ChannelData p2c |"
echo "|---|---|---|"
awk '
  { ir[$1, $2] = ($6 - $4) / ($5 - $3) }
  function cell(s, f) { return ((s, f) in ir) ? sprintf("%\047d", ir[s, f]) : "-" }
  function ratio(f) { return (("ferry", f) in ir) && (("coturn", f) in ir) ? sprintf("%.2f", ir["ferry", f] / ir["coturn", f]) : "-" }
  END {
    n = split("bare ferry coturn", s, " ")
    for (i = 1; i <= n; i++) printf "| %s | %s | %s |\n", s[i], cell(s[i], "cd_c2p"), cell(s[i], "cd_p2c")
    printf "| Ferry / coturn | %s | %s |\n", ratio("cd_c2p"), ratio("cd_p2c")
  }' "$OUT/results.txt"
echo
echo "| Ir per packet by object | own code | libssl | libcrypto | libevent | libc | other | total |"
echo "|---|---|---|---|---|---|---|---|"
for server in ${CALLGRIND_SERVERS:-bare ferry coturn}; do
  for f in cd_c2p cd_p2c; do
    units=$(units_of "$server" "$f")
    [ -n "$units" ] || continue
    per_function "$server" "$f" "$W1_S" "$W2_S" "$units" | awk -F'\t' -v row="$server $f" '
      /PROGRAM TOTALS/ { next }
      {
        obj = "other"
        if (match($2, /\[[^]]*\]$/)) {
          o = substr($2, RSTART, RLENGTH)
          if (o ~ /libssl/) obj = "libssl"
          else if (o ~ /libcrypto/) obj = "libcrypto"
          else if (o ~ /libevent/) obj = "libevent"
          else if (o ~ /libc\.so|libc-/) obj = "libc"
          else if (o ~ /turnserver|ferry-bare-relay/) obj = "own"
        }
        ir[obj] += $1; total += $1
      }
      END {
        printf "| %s | %\047d | %\047d | %\047d | %\047d | %\047d | %\047d | %\047d |\n", row, ir["own"],
          ir["libssl"], ir["libcrypto"], ir["libevent"], ir["libc"], ir["other"], total
      }'
  done
done
echo
for f in cd_c2p cd_p2c; do
  units=$(units_of ferry "$f")
  [ -n "$units" ] || continue
  echo "Ferry, $f over $TRANSPORT: Ir per packet by function (10 or more):"
  echo '```'
  per_unit ferry "$f" "$W1_S" "$W2_S" "$units"
  echo '```'
done
