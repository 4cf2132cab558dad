# Helpers for scripts/cluster.sh and scripts/bench.sh: N plain-HTTP instances behind a private
# nginx (TLS + HTTP/2), optionally a private Redis, all under .data/cluster/. Sources common.sh.
# shellcheck shell=bash

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CLUSTER="${COURIER_CLUSTER_DIR:-$DATA/cluster}"
CLUSTER_PORT="${CLUSTER_PORT:-9443}"          # nginx (HTTPS)
CLUSTER_BASE_PORT="${CLUSTER_BASE_PORT:-18080}" # instance i listens on BASE+i
CLUSTER_METRICS_BASE_PORT="${CLUSTER_METRICS_BASE_PORT:-19100}" # and serves /metrics on METRICS_BASE+i
REDIS_PORT="${REDIS_PORT:-16379}"
NGINX_BIN="${NGINX_BIN:-/usr/sbin/nginx}"
REDIS_BIN="${REDIS_BIN:-/usr/bin/redis-server}"

ensure_nginx() { [ -x "$NGINX_BIN" ] || apt_install nginx; [ -x "$NGINX_BIN" ] || die "nginx not found at $NGINX_BIN"; }
ensure_redis() { [ -x "$REDIS_BIN" ] || apt_install redis-server; [ -x "$REDIS_BIN" ] || die "redis-server not found at $REDIS_BIN"; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# A certificate for nginx, made once into the cluster folder by the server's own gen-cert.
ensure_cluster_cert() {
  local bin="$1"
  mkdir -p "$CLUSTER/tls"
  "$bin" gen-cert --cert "$CLUSTER/tls/cert.pem" --key "$CLUSTER/tls/key.pem" >/dev/null
}

start_redis() {
  ensure_redis
  mkdir -p "$CLUSTER/redis"
  if alive "$CLUSTER/redis/redis.pid"; then return 0; fi
  # No persistence: the bus only wakes streams, the database holds the truth.
  "$REDIS_BIN" --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$CLUSTER/redis" \
    --daemonize yes --pidfile "$CLUSTER/redis/redis.pid" --logfile "$CLUSTER/redis/redis.log" \
    --maxclients 10000 >/dev/null
  local i; for i in $(seq 50); do alive "$CLUSTER/redis/redis.pid" && return 0; sleep 0.1; done
  die "Redis did not start (see $CLUSTER/redis/redis.log)"
}

stop_redis() {
  alive "$CLUSTER/redis/redis.pid" && kill "$(cat "$CLUSTER/redis/redis.pid")" 2>/dev/null
  rm -f "$CLUSTER/redis/redis.pid"
}

# start_instance BIN I [ENV...]: instance I on 127.0.0.1:BASE+I (its /metrics on
# 127.0.0.1:METRICS_BASE+I, plain HTTP), logging to its own file.
start_instance() {
  local bin="$1" i="$2"; shift 2
  local dir="$CLUSTER/node$i"
  mkdir -p "$dir"
  alive "$dir/pid" && return 0
  (
    cd "$ROOT"
    ulimit -n 20000 2>/dev/null || true
    env PLAIN_HTTP=true TRUST_PROXY_HEADERS=true LISTEN_ADDR="127.0.0.1:$((CLUSTER_BASE_PORT + i))" \
      METRICS_ADDR="127.0.0.1:$((CLUSTER_METRICS_BASE_PORT + i))" \
      INSTANCE_ID="node$i" "$@" nohup "$bin" serve >"$dir/log" 2>&1 &
    echo $! >"$dir/pid"
  )
}

# Waits until an instance answers /readyz (database and bus up).
wait_ready() {
  local url="$1" i
  for i in $(seq 150); do
    curl -fsk -o /dev/null "$url/readyz" && return 0
    sleep 0.2
  done
  return 1
}

# SIGTERM, which drains (streams end, clients resume elsewhere), then SIGKILL after 20 s.
stop_instance() {
  local dir="$CLUSTER/node$1" i
  alive "$dir/pid" || { rm -f "$dir/pid"; return 0; }
  kill -TERM "$(cat "$dir/pid")"
  for i in $(seq 200); do alive "$dir/pid" || break; sleep 0.1; done
  alive "$dir/pid" && kill -KILL "$(cat "$dir/pid")"
  rm -f "$dir/pid"
}

# render_nginx N: writes $CLUSTER/nginx.conf for instances 1..N.
render_nginx() {
  local n="$1" ups="" i
  for i in $(seq "$n"); do
    ups+="        server 127.0.0.1:$((CLUSTER_BASE_PORT + i)) max_fails=2 fail_timeout=5s;"$'\n'
  done
  mkdir -p "$CLUSTER/nginx/tmp"/{body,proxy,fastcgi,uwsgi,scgi}
  chmod -R 1777 "$CLUSTER/nginx/tmp"
  UPS="$ups" PREFIX="$CLUSTER/nginx" LISTEN="127.0.0.1:$CLUSTER_PORT" CERT="$CLUSTER/tls/cert.pem" KEY="$CLUSTER/tls/key.pem" \
    node -e '
      const fs = require("fs"), env = process.env;
      let text = fs.readFileSync(process.argv[1], "utf8");
      const vars = { "@UPSTREAMS@": env.UPS.replace(/\n$/, ""), "@PREFIX@": env.PREFIX, "@LISTEN@": env.LISTEN,
                     "@CERT@": env.CERT, "@KEY@": env.KEY, "@DAEMON@": "on" };
      for (const [k, v] of Object.entries(vars)) text = text.split(k).join(v);
      fs.writeFileSync(process.argv[2], text);
    ' "$ROOT/deploy/nginx.conf.template" "$CLUSTER/nginx.conf"
}

start_nginx() {
  ensure_nginx
  "$NGINX_BIN" -t -q -p "$CLUSTER/nginx" -c "$CLUSTER/nginx.conf" || die "nginx config test failed"
  if alive "$CLUSTER/nginx/nginx.pid"; then
    "$NGINX_BIN" -p "$CLUSTER/nginx" -c "$CLUSTER/nginx.conf" -s reload
  else
    "$NGINX_BIN" -p "$CLUSTER/nginx" -c "$CLUSTER/nginx.conf"
  fi
}

stop_nginx() {
  alive "$CLUSTER/nginx/nginx.pid" && "$NGINX_BIN" -p "$CLUSTER/nginx" -c "$CLUSTER/nginx.conf" -s quit 2>/dev/null
  local i; for i in $(seq 50); do alive "$CLUSTER/nginx/nginx.pid" || return 0; sleep 0.1; done
}
