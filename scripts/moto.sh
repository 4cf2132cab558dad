#!/usr/bin/env bash
# scripts/moto.sh: installs moto's S3-compatible server (PyPI, every package pinned in
# scripts/moto-requirements.txt) into a venv under .data/ (MOTO_VENV elsewhere) and prints the
# path of its `moto_server`. The cluster tests (tests/cluster/attachments.rs) start one per test
# on a free port and point three instances at it with ATTACHMENTS_URL=s3://…; scripts/test.sh
# runs this first and passes the path on as COURIER_MOTO_SERVER. Idempotent and quick once done.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

VENV="${MOTO_VENV:-$DATA/moto-venv}"
REQUIREMENTS="$ROOT/scripts/moto-requirements.txt"
ensure_venv "$VENV" "moto $(sha256sum "$REQUIREMENTS" | cut -c1-16)" -r "$REQUIREMENTS" >&2
[ -x "$VENV/bin/moto_server" ] || die "no moto_server in ${VENV#"$ROOT"/}"
echo "$VENV/bin/moto_server"
