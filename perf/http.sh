#!/usr/bin/env bash
# View writes over HTTP as committed in perf/RESULTS.md: the release `folio serve`, both profiles,
# 100 connections, 10 s windows, beside GET /healthz (the HTTP stack alone) in the same run.
source "$(dirname "$0")/../scripts/lib.sh"
cd "$FOLIO_ROOT"
scripts/dev-up
# --bin selects targets across every -p: name both binaries, or folio is not rebuilt.
cargo build --release --locked -p perf -p folio --bin http-bench --bin folio
stamp=$(date -u +%Y-%m-%dT%H%MZ)
"$CARGO_TARGET_DIR/release/http-bench" --folio "$CARGO_TARGET_DIR/release/folio" --seconds "${SECONDS_PER_RUN:-10}" \
  --json-out "perf/results/views-http-$stamp.json" "$@" | tee "perf/results/views-http-$stamp.md"
