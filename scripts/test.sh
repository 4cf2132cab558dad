#!/usr/bin/env bash
# Runs every test of the project:
#   1. Rust: unit tests, crypto known-answer vectors, API integration tests (real PostgreSQL,
#      the real app over TLS), log hygiene, CLI tests, and the cluster tests (real nginx,
#      Redis, several instances, moto's S3 server), the fuzz corpus replay; then schemathesis
#      against the API;
#   2. the browser app: Vitest unit tests (incl. the shared vectors), type check, build;
#   3. end to end: real Chromium (playwright-core) against the real server and PostgreSQL,
#      browser ↔ browser and browser ↔ CLI.
# Prepares what it needs like scripts/run.sh (PostgreSQL, nginx, Redis and Chromium from apt
# when missing, venvs from PyPI for moto and schemathesis; a private cluster in .data/). One
# cargo profile (dev, optimised) for all of it.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v curl >/dev/null || missing+=(curl)
pg_bin >/dev/null || missing+=(postgresql postgresql-client)
command -v psql >/dev/null || missing+=(postgresql-client)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

ensure_database
export ADMIN_DATABASE_URL DATABASE_URL
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

log "dropping databases left by earlier test runs"
psql "$ADMIN_DATABASE_URL" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'courier_test_%' OR datname LIKE 'courier_tpl_tmp_%'" |
  while read -r db; do [ -n "$db" ] && psql "$ADMIN_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null; done

# moto's S3 server (PyPI) for the cluster tests of attachments on S3. Under CI a failed install
# fails the run; elsewhere those tests say SKIPPED with the reason (and every other test runs).
log "moto's S3-compatible server for the cluster tests"
if MOTO_SERVER="$(scripts/moto.sh)"; then
  export COURIER_MOTO_SERVER="$MOTO_SERVER"
elif [ -n "${CI:-}" ]; then
  die "could not install moto's S3 server from PyPI (scripts/moto.sh): the S3 cluster tests need it"
else
  export COURIER_S3_UNAVAILABLE="scripts/moto.sh could not install moto from PyPI"
  log "WARNING: $COURIER_S3_UNAVAILABLE; the attachment cluster tests on S3 will be skipped"
fi

log "Rust tests"
cargo build --locked --workspace --bins
cargo test --locked --workspace --all-targets

log "API fuzzing: schemathesis against the served OpenAPI document"
scripts/schemathesis.sh

log "browser app: unit tests, type check, build"
ensure_node_modules "$ROOT/frontend"
(cd frontend && npm test --silent && npm run lint --silent && npm run build --silent)
(cd frontend && npm run check:api --silent)

log "end-to-end: starting a server for the browser"
E2E_PORT=9443
# Its own attachment directory, which the e2e run searches for plaintext (there must be none).
E2E_ATTACHMENTS="$DATA/e2e-attachments"
rm -rf "$E2E_ATTACHMENTS"
start_test_server e2e "$E2E_PORT" BCRYPT_COST=10 LOGIN_FAILURES_PER_IP=1000 \
  REGISTRATIONS_PER_ADDRESS_PER_MINUTE=100000 STATIC_DIR=frontend/dist ATTACHMENTS_URL="file://$E2E_ATTACHMENTS"
SERVER_PID=$TEST_SERVER_PID E2E_URL=$TEST_DB_URL
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
export COURIER_URL="https://localhost:$E2E_PORT" DATABASE_URL="$E2E_URL" COURIER_CLI="$ROOT/target/debug/courier-cli" \
  ATTACHMENTS_DIR="$E2E_ATTACHMENTS"
(cd frontend && npm run e2e --silent)
(cd frontend && npm run e2e:cli --silent)
(cd frontend && npm run e2e:telemetry --silent)
(cd frontend && npm run e2e:reliability --silent)
kill $SERVER_PID 2>/dev/null || true

# Optional soak, not part of CI: COURIER_SOAK_SECS=600 [COURIER_SOAK_BUS=redis] scripts/test.sh
# runs the CLI's simulator through nginx and 3 instances and fails on any lost, duplicated or
# unverifiable message.
if [ -n "${COURIER_SOAK_SECS:-}" ]; then
  log "soak: ${COURIER_SOAK_SECS} s of simulated traffic through nginx + 3 instances (bus ${COURIER_SOAK_BUS:-postgres})"
  trap 'scripts/cluster.sh stop >/dev/null 2>&1 || true' EXIT
  # The simulator signs up and connects all its clients from this one address.
  export REGISTRATIONS_PER_ADDRESS_PER_MINUTE=1000000 MAX_STREAMS_PER_ADDRESS=1000000
  CLUSTER_BUS="${COURIER_SOAK_BUS:-postgres}" COURIER_BIN="$ROOT/target/debug/courier" scripts/cluster.sh start 3
  report=$(./target/debug/courier-cli --json --server https://localhost:9443 --ca-cert "$DATA/cluster/tls/cert.pem" \
    --config-dir "$DATA/soak" simulate --clients "${COURIER_SOAK_CLIENTS:-40}" --rate "${COURIER_SOAK_RATE:-100}" \
    --duration "${COURIER_SOAK_SECS}s")
  echo "$report"
  node -e 'const r = JSON.parse(process.argv[1]);
    if (!(r.sent > 0) || r.lost || r.duplicated || r.unverified) { console.error("soak failed"); process.exit(1); }' "$report"
  scripts/cluster.sh stop
fi
log "all tests passed"
