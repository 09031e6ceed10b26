#!/bin/bash
out=/work/main/perf/results/2026-12-07-query-full-sqlite
while ! grep -q 'ready for query-bench' $out/times.txt 2>/dev/null; do sleep 5; done
/root/.cache/folio-target/release/query-bench --folio /work/tmp/s21/a/folio --scale full --profiles embedded --caches 0,64 --seconds 10 --warmup 3 --max-others 0.15 --out $out/query-full > /work/tmp/s21/sqlq.log 2>&1
echo rc=$? >> /work/tmp/s21/sqlq.log
