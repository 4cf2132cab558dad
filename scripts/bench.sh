#!/usr/bin/env bash
# scripts/bench.sh [messages|attachments]: builds --release, starts what it needs and writes
# its figures under docs/bench/.
#   messages (the default): private PostgreSQL, one instance, then 3 instances behind nginx on
#     each bus; the scenarios of issue 6 into docs/bench/{results.md,raw.jsonl,*.svg}. Knobs
#     (env): BENCH_STREAMS (19000), BENCH_RATES (500,1000,2500,5000,10000), BENCH_SECS (10),
#     BENCH_PAIRS (200), BENCH_SKIP_CLUSTER=1; telemetry (f): BENCH_TELEMETRY_RATES
#     (10000,20000,40000,80000 points/s), BENCH_TELEMETRY_SECS (60).
#   attachments: one attachment of BENCH_ATT_SIZE plaintext bytes (1 GiB) up and down through
#     one instance over its own TLS (HTTP/2 and HTTP/1.1, one body and 64 MiB pieces) with the
#     local-directory store on disk, then in /dev/shm (BENCH_ATT_SKIP_TMPFS=1: not), then
#     through nginx; MB/s each way and the server's RSS growth, into
#     docs/bench/attachments.{md,jsonl}. Knobs: BENCH_ATT_SIZE, BENCH_ATT_ROUNDS (3),
#     BENCH_SKIP_CLUSTER=1 (no nginx run).
# Ports: CLUSTER_PORT (nginx, 9443), CLUSTER_BASE_PORT+i and CLUSTER_METRICS_BASE_PORT+i.
set -euo pipefail
source "$(dirname "$0")/lib/cluster.sh"

SCENARIO="${1:-messages}"
case "$SCENARIO" in messages | attachments) ;; *) die "usage: scripts/bench.sh [messages|attachments]" ;; esac
ulimit -n 20000
OUT="$ROOT/docs/bench"; mkdir -p "$OUT"
STREAMS="${BENCH_STREAMS:-19000}"; RATES="${BENCH_RATES:-500,1000,2500,5000,10000}"
SECS="${BENCH_SECS:-10}"; PAIRS="${BENCH_PAIRS:-200}"
CMDS=""

log "building --release"
(cd "$ROOT" && cargo build -q --release -p courier -p courier-bench)
SERVER="$ROOT/target/release/courier"; BENCH="$ROOT/target/release/courier-bench"
ensure_database; ensure_env_file
export CLUSTER="$DATA/bench"; mkdir -p "$CLUSTER"

# A fresh database per run, so figures do not depend on what earlier runs left behind.
BENCH_DB="${DATABASE_URL%/*}/courier_bench"
psql "$ADMIN_DATABASE_URL" -qc "DROP DATABASE IF EXISTS courier_bench WITH (FORCE)" -c "CREATE DATABASE courier_bench" >/dev/null
# Load-test settings: cheap bcrypt (a loud warning is logged), many streams per bench user.
COMMON=(DATABASE_URL="$BENCH_DB" BCRYPT_COST=4 BCRYPT_QUEUE=1000 MAX_STREAMS_PER_USER=1000 STREAM_QUEUE=256
        LOGIN_FAILURES_PER_IP=1000000 MAX_STREAMS_PER_ADDRESS=1000000 REGISTRATIONS_PER_ADDRESS_PER_MINUTE=1000000 RUST_LOG=warn DB_POOL_SIZE="${BENCH_POOL:-32}"
        RUST_LIB_BACKTRACE=0) # errors (503s under overload) must not capture backtraces

run() { # run ARGS...: one scenario, its JSON lines appended to $RAW
  CMDS+="courier-bench $*"$'\n'
  log "bench: $*"
  "$BENCH" "$@" | tee -a "$RAW"
}

cleanup() { for d in "$CLUSTER"/node*; do [ -d "$d" ] && stop_instance "${d##*/node}"; done; stop_nginx || true; stop_redis || true; }
trap cleanup EXIT

# --- (e) attachments: one instance over TLS, then nginx in front ----------------------------
if [ "$SCENARIO" = attachments ]; then
  RAW="$OUT/attachments.jsonl"; : >"$RAW"
  SIZE="${BENCH_ATT_SIZE:-1073741824}"; ROUNDS="${BENCH_ATT_ROUNDS:-3}"
  ensure_cluster_cert "$SERVER"
  # Limits above the file size; the store is a local directory (the default kind of store).
  LIMITS=(ATTACHMENT_MAX_BYTES=$((SIZE * 2 + (1 << 20))) ATTACHMENT_QUOTA_BYTES=$((SIZE * 8 + (1 << 30))))
  TLS=(PLAIN_HTTP=false TLS_CERT="$CLUSTER/tls/cert.pem" TLS_KEY="$CLUSTER/tls/key.pem")
  attachments_on() { # attachments_on DIR WHERE: the direct-TLS runs with the store in DIR
    local store="$1" where="$2"
    rm -rf "$store"
    start_instance "$SERVER" 1 "${COMMON[@]}" "${LIMITS[@]}" ATTACHMENTS_URL="file://$store" "${TLS[@]}"
    local url="https://127.0.0.1:$((CLUSTER_BASE_PORT + 1))"
    wait_ready "$url" || die "instance not ready (see $CLUSTER/node1/log)"
    local a=(attachments --server-pid "$(cat "$CLUSTER/node1/pid")" --size "$SIZE" --rounds "$ROUNDS" --url "$url")
    run "${a[@]}" --label "1 instance, TLS, HTTP/2, store on $where"
    run "${a[@]}" --label "1 instance, TLS, HTTP/1.1, store on $where" --http1
    if [ "$where" = disk ]; then
      run "${a[@]}" --label "1 instance, TLS, HTTP/2, 64 MiB PATCHes, store on $where" --piece $((64 << 20))
    fi
    stop_instance 1
    rm -rf "$store"
  }
  attachments_on "$CLUSTER/attachments" disk
  # The same with the store in memory: what the server does when the disk is not the limit.
  if [ -d /dev/shm ] && [ -z "${BENCH_ATT_SKIP_TMPFS:-}" ]; then
    attachments_on "/dev/shm/courier-bench-attachments-$$" tmpfs
  fi
  if [ -z "${BENCH_SKIP_CLUSTER:-}" ]; then
    STORE="$CLUSTER/attachments"; rm -rf "$STORE"
    start_instance "$SERVER" 1 "${COMMON[@]}" "${LIMITS[@]}" ATTACHMENTS_URL="file://$STORE"
    wait_ready "http://127.0.0.1:$((CLUSTER_BASE_PORT + 1))" || die "instance not ready"
    render_nginx 1; start_nginx
    run attachments --server-pid "$(cat "$CLUSTER/node1/pid")" --size "$SIZE" --rounds "$ROUNDS" \
      --url "https://127.0.0.1:$CLUSTER_PORT" --label "nginx (TLS, HTTP/2) + 1 instance, store on disk"
    stop_nginx; stop_instance 1
    rm -rf "$STORE"
  fi
  "$BENCH" report-attachments --raw "$RAW" --out "$OUT/attachments.md" --commands "$(printf 'BENCH_ATT_SIZE=%s BENCH_ATT_ROUNDS=%s scripts/bench.sh attachments\n# which ran:\n%s' "$SIZE" "$ROUNDS" "$CMDS")"
  log "wrote $OUT/attachments.md"
  exit 0
fi
RAW="$OUT/raw.jsonl"; : >"$RAW"

# --- (a)-(c): one instance, plain HTTP/1.1 straight to it -----------------------------------
start_instance "$SERVER" 1 "${COMMON[@]}"
URL="http://127.0.0.1:$((CLUSTER_BASE_PORT + 1))"
wait_ready "$URL" || die "instance not ready (see $CLUSTER/node1/log)"
PID="$(cat "$CLUSTER/node1/pid")"
run streams --url "$URL" --label "1 instance" --server-pid "$PID" --total "$STREAMS" --procs 4
stop_instance 1; start_instance "$SERVER" 1 "${COMMON[@]}"; wait_ready "$URL"
run pairs --url "$URL" --label "1 instance" --pairs "$PAIRS" --rates "$RATES" --secs "$SECS"
run fanout --url "$URL" --label "1 instance" --members 256
# (f) telemetry (issue 13): one emitter, 10 viewers decrypting everything, rising rates until
# p99 passes 1 s; the database growth per point is measured around it.
db_bytes() { psql "$BENCH_DB" -tAc "SELECT pg_total_relation_size('messages') + pg_total_relation_size('message_keys') + pg_total_relation_size('events')"; }
BEFORE=$(db_bytes)
run telemetry --url "$URL" --label "1 instance" --server-pid "$PID" --viewers 10 --series 3 \
  --rates "${BENCH_TELEMETRY_RATES:-10000,20000,40000,80000}" --secs "${BENCH_TELEMETRY_SECS:-60}"
POINTS=$(grep '"scenario":"telemetry"' "$RAW" | node -e 'let n=0; require("fs").readFileSync(0,"utf8").trim().split("\n").forEach(l=>{n+=JSON.parse(l).points}); console.log(n)')
echo "{\"scenario\":\"telemetry_storage\",\"points\":$POINTS,\"bytes\":$(( $(db_bytes) - BEFORE )),\"bytes_per_point\":$(( ($(db_bytes) - BEFORE) / (POINTS > 0 ? POINTS : 1) ))}" | tee -a "$RAW"
stop_instance 1

# --- (d): 3 instances behind nginx, on each bus ----------------------------------------------
if [ -z "${BENCH_SKIP_CLUSTER:-}" ]; then
  ensure_cluster_cert "$SERVER"
  for bus in postgres redis; do
    extra=()
    if [ "$bus" = redis ]; then start_redis; extra=(BUS_URL="redis://127.0.0.1:$REDIS_PORT"); fi
    for i in 1 2 3; do start_instance "$SERVER" "$i" "${COMMON[@]}" "${extra[@]}"; done
    for i in 1 2 3; do wait_ready "http://127.0.0.1:$((CLUSTER_BASE_PORT + i))" || die "node$i not ready"; done
    render_nginx 3; start_nginx
    NG="https://127.0.0.1:$CLUSTER_PORT"
    run pairs --url "$NG" --label "nginx+3, $bus bus" --pairs "$PAIRS" --rates "$RATES" --secs "$SECS"
    run fanout --url "$NG" --label "nginx+3, $bus bus" --members 256
    stop_nginx; for i in 1 2 3; do stop_instance "$i"; done; stop_redis
  done
fi

"$BENCH" report --raw "$RAW" --out "$OUT" --commands "$(printf 'BENCH_STREAMS=%s BENCH_RATES=%s BENCH_SECS=%s BENCH_PAIRS=%s scripts/bench.sh\n# which ran:\n%s' "$STREAMS" "$RATES" "$SECS" "$PAIRS" "$CMDS")"
log "wrote $OUT/results.md"
