#!/usr/bin/env bash
# Brings up Courier on https://localhost:8443 in the foreground.
# Without DATABASE_URL it installs PostgreSQL from apt if needed and starts a private cluster
# in .data/. Safe to run again.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

ensure_database
ensure_env_file
build_frontend
log "building the server (release)"
cargo build --release --locked --bin courier
./target/release/courier gen-cert >/dev/null
./target/release/courier migrate
log "serving https://localhost:8443  (API docs: https://localhost:8443/api/docs)"
exec ./target/release/courier serve
