#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...]: coverage-guided fuzzing of every parser that sees
# untrusted bytes (crates/fuzz: server and client envelope/header parsing, Last-Event-ID, the
# clients' SSE parser, access-token claims, key unwrapping), SECONDS each (default 60).
# Needs nightly and cargo-fuzz (installed when missing). Not part of scripts/test.sh: it takes
# minutes and a nightly toolchain; `cargo test --test fuzz_corpus` (which test.sh runs) replays
# the committed corpus through every target on stable.
#
# New inputs are found in crates/fuzz/work/<target>/ (gitignored, kept between runs). At the end
# the inputs that add coverage over the committed corpus are picked by libFuzzer's merge, and at
# most FUZZ_KEEP (default 30) of them are copied into crates/fuzz/corpus/<target>/ as found-*
# (commit them; the committed corpus stays small). A crash stops the run with the reproducer
# in crates/fuzz/artifacts/<target>/: fix the code, then copy the file into
# crates/fuzz/corpus/<target>/ as crash-<what> so the stable replay guards against it.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

SECS="${1:-60}"
if [ $# -gt 0 ]; then shift; fi
KEEP="${FUZZ_KEEP:-30}"
FUZZ=crates/fuzz

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir "$FUZZ"); fi
log "building ${#targets[@]} fuzz targets (nightly, sanitizer build in $FUZZ/target)"
cargo +nightly fuzz build --fuzz-dir "$FUZZ"

for t in "${targets[@]}"; do
  log "fuzzing $t for ${SECS}s"
  mkdir -p "$FUZZ/work/$t" "$FUZZ/corpus/$t"
  # The working corpus first (new inputs land there), the committed one read as seeds.
  cargo +nightly fuzz run --fuzz-dir "$FUZZ" "$t" "$FUZZ/work/$t" "$FUZZ/corpus/$t" -- \
    -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
  # What adds coverage over the committed corpus, of which a bounded sample is committed.
  new="$(mktemp -d)"
  cp -a "$FUZZ/corpus/$t/." "$new/"
  before="$(ls "$new" | wc -l)"
  cargo +nightly fuzz run --fuzz-dir "$FUZZ" "$t" "$new" "$FUZZ/work/$t" -- -merge=1 >/dev/null 2>&1
  added=0
  while read -r f; do
    [ -e "$FUZZ/corpus/$t/$f" ] && continue
    [ "$added" -ge "$KEEP" ] && break
    cp "$new/$f" "$FUZZ/corpus/$t/found-$f"; added=$((added + 1))
  done < <(ls "$new" | shuf)
  log "$t: $(( $(ls "$new" | wc -l) - before )) inputs add coverage; $added copied into $FUZZ/corpus/$t"
  rm -rf "$new"
done
log "fuzzing done, no crashes; commit new files in $FUZZ/corpus/"
