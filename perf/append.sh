#!/usr/bin/env bash
# Append benchmark as committed in perf/RESULTS.md: both backends, 1/16/64 appenders, 10 s windows,
# beside the database-alone ceilings measured in the same run.
source "$(dirname "$0")/../scripts/lib.sh"
cd "$FOLIO_ROOT"
scripts/dev-up
cargo build --release --locked -p perf --bin append-bench
stamp=$(date -u +%Y-%m-%dT%H%MZ)
"$CARGO_TARGET_DIR/release/append-bench" --seconds "${SECONDS_PER_RUN:-10}" --warmup 2 \
  --json-out "perf/results/append-$stamp.json" "$@" | tee "perf/results/append-$stamp.md"
