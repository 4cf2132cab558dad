#!/usr/bin/env bash
# Runs every test of the project: Rust unit + integration tests against a real PostgreSQL,
# then the browser app's unit tests and its end-to-end tests in real Chromium.
# Prepares what it needs the way scripts/run.sh does (PostgreSQL from apt, a private cluster).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

ensure_database
export ADMIN_DATABASE_URL DATABASE_URL

log "dropping databases left by earlier test runs"
psql "$ADMIN_DATABASE_URL" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'courier_test_%'" |
  while read -r db; do [ -n "$db" ] && psql "$ADMIN_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null; done

log "Rust tests (unit, crypto vectors, API)"
# One profile (dev, optimised in Cargo.toml) for every test and for the e2e server binary.
cargo test --locked --all-targets 2>&1 | tee "$DATA/cargo-test.log"
