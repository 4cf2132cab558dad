#!/usr/bin/env bash
# scripts/schemathesis.sh: fuzzes the API against its own contract. Starts a server on a fresh
# database (port SCHEMATHESIS_PORT, default 9463), registers and logs in a user with the CLI,
# then runs schemathesis (PyPI, pinned, in a venv cached under .data/) against the served
# /api/openapi.json with that user's bearer token. Checks: no 5xx (not_a_server_error), every
# response matches its documented schema and status code, and bad input is refused. Bounded:
# SCHEMATHESIS_EXAMPLES examples per operation (default 25, about a minute). Called by scripts/test.sh after the
# Rust tests; runnable alone (it builds what it needs). The server log is
# .data/schemathesis/server.log; failures are reproduced as curl commands in the output.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

VERSION=4.32.5
PORT="${SCHEMATHESIS_PORT:-9463}"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-25}"
DIR="$DATA/schemathesis"
VENV="${SCHEMATHESIS_VENV:-$DATA/schemathesis-venv}"

# A venv with schemathesis, on Python ≥ 3.12 when there is one (scripts/lib/common.sh).
ensure_venv "$VENV" "schemathesis==$VERSION" "schemathesis==$VERSION"

ensure_database
[ -x target/debug/courier ] && [ -x target/debug/courier-cli ] || cargo build --locked --workspace --bins

rm -rf "$DIR"
# Limits high enough that the fuzzer's own volume is not throttled into 429s everywhere.
start_test_server schemathesis "$PORT" STATIC_DIR="$DIR/no-static" BCRYPT_COST=4 \
  LOGIN_FAILURES_PER_IP=100000 LOGIN_FAILURES_PER_ACCOUNT=100000 REGISTRATIONS_PER_ADDRESS_PER_MINUTE=100000
SERVER_PID=$TEST_SERVER_PID
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT

# A real account through the real client (PBKDF2, RSA keys, wraps): the token is read from the
# CLI's session file and never printed.
cli() {
  COURIER_PASSWORD="$1" ./target/debug/courier-cli --server "https://localhost:$PORT" --ca-cert "$DIR/cert.pem" \
    --config-dir "$DIR/cli" "${@:2}" >/dev/null
}
PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -d '\n/+=')"
USERNAME="fuzz_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cli "$PASSWORD" register "$USERNAME"
[ -s "$DIR/cli/session.json" ] || cli "$PASSWORD" login "$USERNAME"
TOKEN="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["access_token"])' "$DIR/cli/session.json")"

log "schemathesis: $EXAMPLES examples per operation against https://127.0.0.1:$PORT/api/openapi.json"
# The dev certificate is self-signed: the system CA bundle variables would override --tls-verify.
# Excluded: logout and revoking a session by id (schemathesis reuses ids it saw in responses, so
# it finds and revokes its own session; deleting the account or changing the password needs the
# auth key, which random input never has) and the endless event stream.
unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE
"$VENV/bin/schemathesis" run "https://127.0.0.1:$PORT/api/openapi.json" \
  --tls-verify false \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,negative_data_rejection \
  --max-examples "$EXAMPLES" \
  --phases examples,coverage,fuzzing \
  --workers 2 \
  --request-timeout 20 \
  --seed "${SCHEMATHESIS_SEED:-20261202}" \
  --generation-database none \
  --suppress-health-check all \
  --exclude-path /api/auth/logout \
  --exclude-path /api/events \
  --exclude-path-regex '^/api/sessions/' \
  --no-color \
  --output-truncate true
log "schemathesis: no server errors, every response as documented"
