#!/bin/bash
# Issue 6 at full size on PostgreSQL: seed (bulk), project at normal priority, then rebuild-bench
# (under reads at low priority, then alone at normal). Writes into $out.
set -u
out=/work/main/perf/results/2026-12-07-postgres-full
mkdir -p "$out"
bin=/work/tmp/s18/full-bin
admin=postgres://folio:folio@127.0.0.1:55432/postgres
url=postgres://folio:folio@127.0.0.1:55432/perf_query_full
psql "$admin" -qc "DROP DATABASE IF EXISTS perf_query_full WITH (FORCE)" -c "CREATE DATABASE perf_query_full"
t0=$SECONDS
NO_COLOR=1 "$bin/folio" seed --dataset bench --database-url "$url" > "$out/seed.out" 2> "$out/seed.err"
seed_s=$((SECONDS - t0))
echo "seed: $seed_s s" >> "$out/times.txt"
psql "$url" -qc "CREATE SCHEMA IF NOT EXISTS folio_bench" \
  -c "CREATE TABLE folio_bench.seeded (scale text NOT NULL, seconds float8 NOT NULL, version int4 NOT NULL)" \
  -c "INSERT INTO folio_bench.seeded VALUES ('full', $seed_s, 2)"
t0=$SECONDS
NO_COLOR=1 FOLIO_LOG=warn "$bin/folio" projections rebuild all --drop-old --restart --priority normal --database-url "$url" > "$out/project.out" 2> "$out/project.err"
echo "project (rebuild all, --priority normal, no reads): $((SECONDS - t0)) s" >> "$out/times.txt"
df -h / >> "$out/times.txt"
"$bin/rebuild-bench" --folio "$bin/folio" --profile postgres --database-url "$url" --idle-seconds 10 --then-alone normal \
  --json-out "$out/rebuild-postgres.json" > "$out/rebuild-postgres.out" 2> "$out/rebuild-postgres.err"
echo "rebuild-bench rc=$?" >> "$out/times.txt"
df -h / >> "$out/times.txt"
echo done >> "$out/times.txt"
