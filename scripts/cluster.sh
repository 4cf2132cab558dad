#!/usr/bin/env bash
# scripts/cluster.sh start|stop|status [N]: PostgreSQL, N Courier instances on loopback ports
# and nginx (TLS + HTTP/2) in front, all private to .data/cluster/.
#   CLUSTER_BUS=redis    use a private Redis pub/sub bus instead of LISTEN/NOTIFY
#   COURIER_BIN=path     run this server binary (default: a dev build, made now)
#   CLUSTER_PORT=9443    nginx port; instance i listens on CLUSTER_BASE_PORT+i (18080+i) and
#                        serves /metrics (plain HTTP) on CLUSTER_METRICS_BASE_PORT+i (19100+i)
set -euo pipefail
source "$(dirname "$0")/lib/cluster.sh"

cmd="${1:-status}"; n="${2:-${CLUSTER_N:-3}}"
mkdir -p "$CLUSTER"

case "$cmd" in
  start)
    ensure_database
    ensure_env_file
    bin="${COURIER_BIN:-}"
    if [ -z "$bin" ]; then
      log "building the server"
      (cd "$ROOT" && cargo build -q --bin courier)
      bin="$ROOT/target/debug/courier"
    fi
    ensure_cluster_cert "$bin"
    extra=()
    if [ "${CLUSTER_BUS:-postgres}" = redis ]; then
      start_redis
      extra+=(BUS_URL="redis://127.0.0.1:$REDIS_PORT")
    fi
    echo "$n" >"$CLUSTER/n"
    for i in $(seq "$n"); do
      start_instance "$bin" "$i" DATABASE_URL="$DATABASE_URL" "${extra[@]}"
    done
    for i in $(seq "$n"); do
      wait_ready "http://127.0.0.1:$((CLUSTER_BASE_PORT + i))" || { tail -20 "$CLUSTER/node$i/log" >&2; die "instance $i is not ready"; }
    done
    render_nginx "$n"
    start_nginx
    log "cluster up: https://127.0.0.1:$CLUSTER_PORT ($n instances, bus ${CLUSTER_BUS:-postgres})"
    ;;
  stop)
    stop_nginx
    for d in "$CLUSTER"/node*; do [ -d "$d" ] && stop_instance "${d##*/node}"; done
    stop_redis
    log "cluster stopped (PostgreSQL keeps running: scripts/run.sh uses it too)"
    ;;
  status)
    for d in "$CLUSTER"/node*; do
      [ -d "$d" ] || continue
      i="${d##*/node}"
      if alive "$d/pid"; then
        ready=$(curl -sk -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((CLUSTER_BASE_PORT + i))/readyz" || true)
        echo "node$i  pid $(cat "$d/pid")  port $((CLUSTER_BASE_PORT + i))  readyz $ready"
      else
        echo "node$i  stopped"
      fi
    done
    if alive "$CLUSTER/nginx/nginx.pid"; then echo "nginx  https://127.0.0.1:$CLUSTER_PORT"; else echo "nginx  stopped"; fi
    if alive "$CLUSTER/redis/redis.pid"; then echo "redis  127.0.0.1:$REDIS_PORT"; fi
    ;;
  *) die "usage: scripts/cluster.sh start|stop|status [N]" ;;
esac
