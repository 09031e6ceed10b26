#!/bin/bash
# Seed the full bench data into SQLite, project it, then query-bench (embedded, caches 0 and 64).
set -u
out=/work/main/perf/results/2026-12-07-query-full-sqlite
bin=/work/tmp/s21/a
B=/root/.cache/folio-target/release
dir=/var/tmp/perf-query-full
rm -rf "$dir"; mkdir -p "$dir"
t0=$SECONDS
NO_COLOR=1 "$bin/folio" seed --dataset bench --data-dir "$dir" > "$out/seed.out" 2> /work/tmp/s21/seed.err
seed_s=$((SECONDS - t0))
echo "seed: $seed_s s" >> "$out/times.txt"
printf '{"scale":"full","seconds":%s,"version":2}\n' "$seed_s" > "$dir/seeded.json"
t0=$SECONDS
NO_COLOR=1 FOLIO_LOG=warn "$bin/folio" projections rebuild all --drop-old --restart --priority normal --data-dir "$dir" > "$out/project.out" 2> /work/tmp/s21/project.err
echo "project (rebuild all, --priority normal, no reads): $((SECONDS - t0)) s" >> "$out/times.txt"
df -h / >> "$out/times.txt"
echo "ready for query-bench" >> "$out/times.txt"
