#!/bin/bash
# Issue 6 at full size on SQLite: seed (chunk by chunk), project at normal priority, then
# rebuild-bench (under reads at low priority, then alone at normal). Writes into $out.
# Binaries of ab9e612 (release), copied to $bin first so a build meanwhile cannot change them.
set -u
out=/work/main/perf/results/2026-12-07-sqlite-full
bin=/work/tmp/s19/bin
dir=/var/tmp/perf-query-full
rm -rf "$dir"; mkdir -p "$dir"
t0=$SECONDS
NO_COLOR=1 "$bin/folio" seed --dataset bench --data-dir "$dir" > "$out/seed.out" 2> "$out/seed.err"
seed_s=$((SECONDS - t0))
echo "seed: $seed_s s" >> "$out/times.txt"
printf '{"scale":"full","seconds":%s,"version":2}\n' "$seed_s" > "$dir/seeded.json"
t0=$SECONDS
NO_COLOR=1 FOLIO_LOG=warn "$bin/folio" projections rebuild all --drop-old --restart --priority normal --data-dir "$dir" > "$out/project.out" 2> "$out/project.err"
echo "project (rebuild all, --priority normal, no reads): $((SECONDS - t0)) s" >> "$out/times.txt"
df -h / >> "$out/times.txt"; du -sh "$dir"/* >> "$out/times.txt"
"$bin/rebuild-bench" --folio "$bin/folio" --profile embedded --data-dir "$dir" --idle-seconds 10 --then-alone normal \
  --json-out "$out/rebuild-embedded.json" > "$out/rebuild-embedded.out" 2> "$out/rebuild-embedded.err"
echo "rebuild-bench rc=$?" >> "$out/times.txt"
df -h / >> "$out/times.txt"
echo done >> "$out/times.txt"
