#!/usr/bin/env bash
# Projection benchmarks as committed in perf/RESULTS.md:
#   1. seed the bench dataset (shared/bench/DATASET.md) into a fresh PostgreSQL event store;
#   2. catch-up of every projection from 0 into fresh read models, the read models' size on disk,
#      and user_items lookup latency at that size;
#   3. append -> visible latency at 5,000 appends/s, embedded and cluster profiles.
# SCALE=quick (100k articles, 2M views) or SCALE=full (1M, 20M; the default).
source "$(dirname "$0")/../scripts/lib.sh"
cd "$FOLIO_ROOT"
scripts/dev-up
cargo build --release --locked -p folio -p perf --bin folio --bin projection-bench
stamp=$(date -u +%Y-%m-%dT%H%MZ)
scale=${SCALE:-full}
db=folio_bench_projections
admin=${FOLIO_TEST_PG_URL:-postgres://folio:folio@127.0.0.1:55432/postgres}
url="${admin%/*}/$db"
psql "$admin" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
seed_args=(--dataset bench --database-url "$url")
[ "$scale" = quick ] && seed_args+=(--quick)
out="perf/results/projections-$stamp"
"$CARGO_TARGET_DIR/release/folio" seed "${seed_args[@]}" 2>&1 | tail -1 | tee "$out.seed.txt"
"$CARGO_TARGET_DIR/release/projection-bench" catchup --batch "${BATCH:-5000}" --database-url "$url" \
  --json-out "$out.catchup.json"
for profile in embedded cluster; do
  "$CARGO_TARGET_DIR/release/projection-bench" visibility --profile "$profile" --rate 5000 --seconds 30 --warmup 5 \
    --json-out "$out.visibility-$profile.json"
done
[ "${KEEP_DATABASE:-0}" = 1 ] || psql "$admin" -qc "DROP DATABASE IF EXISTS $db"
