#!/usr/bin/env bash
# Query API benchmark as committed in perf/RESULTS.md: the bench dataset (shared/bench/DATASET.md),
# the release `folio serve` on both profiles with the response cache off (0) and on (64, 512 MiB),
# 100 connections, warm-up 3 s + 10 s per workload, beside GET /healthz and (PostgreSQL) pgbench
# running the same SQL, all in the same run.
#   SCALE=quick (100k articles, 2M views; the default) or SCALE=full (1M, 20M).
#   PROFILES=postgres,embedded (default both), CACHES=0,64,512, READ_POOL=8, SECONDS_PER_RUN=10.
# The seeded data is kept for the next run (/var/tmp/perf-query-<scale> and the database
# perf_query_<scale>); pass --reseed to seed again, --drop-after to delete it afterwards.
# More query-bench options after the script's name (query-bench --help).
source "$(dirname "$0")/../scripts/lib.sh"
cd "$FOLIO_ROOT"
scripts/dev-up
# --bin selects targets across every -p: name both binaries, or folio is not rebuilt.
cargo build --release --locked -p perf -p folio --bin query-bench --bin folio
scale=${SCALE:-quick}
stamp=$(date -u +%Y-%m-%dT%H%MZ)
command="SCALE=$scale PROFILES=${PROFILES:-postgres,embedded} CACHES=${CACHES:-0,64,512} READ_POOL=${READ_POOL:-8} perf/query.sh $*"
"$CARGO_TARGET_DIR/release/query-bench" --folio "$CARGO_TARGET_DIR/release/folio" --scale "$scale" \
  --profiles "${PROFILES:-postgres,embedded}" --caches "${CACHES:-0,64,512}" --read-pool-size "${READ_POOL:-8}" \
  --seconds "${SECONDS_PER_RUN:-10}" --warmup 3 --connections 100 \
  --out "perf/results/query-$stamp-$scale" --command "$command" "$@"
