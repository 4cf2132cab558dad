#!/usr/bin/env bash
# scripts/bench.sh: builds --release, starts what it needs (private PostgreSQL, one instance,
# then 3 instances behind nginx on each bus), runs the scenarios of issue 6 and writes
# docs/bench/{results.md,raw.jsonl,*.svg}. Knobs (env): BENCH_STREAMS (19000), BENCH_RATES
# (500,1000,2500,5000,10000), BENCH_SECS (10), BENCH_PAIRS (200), BENCH_SKIP_CLUSTER=1,
# BENCH_TELEMETRY_RATES (10000,20000,40000,80000 points/s), BENCH_TELEMETRY_SECS (60).
set -euo pipefail
source "$(dirname "$0")/lib/cluster.sh"

ulimit -n 20000
OUT="$ROOT/docs/bench"; mkdir -p "$OUT"
RAW="$OUT/raw.jsonl"; : >"$RAW"
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

run() { # run LABEL ARGS...: one scenario, its JSON lines appended to raw.jsonl
  CMDS+="courier-bench $*"$'\n'
  log "bench: $*"
  "$BENCH" "$@" | tee -a "$RAW"
}

cleanup() { for d in "$CLUSTER"/node*; do [ -d "$d" ] && stop_instance "${d##*/node}"; done; stop_nginx || true; stop_redis || true; }
trap cleanup EXIT

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
