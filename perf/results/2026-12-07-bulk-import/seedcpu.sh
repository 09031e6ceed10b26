#!/bin/bash
# Seeds the quick bench data into a fresh database and reports CPU seconds of folio and of PostgreSQL.
folio=${1:-/root/.cache/folio-target/release/folio}; db=${2:-perf_import_probe}
admin=postgres://folio:folio@127.0.0.1:55432/postgres
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
"$folio" migrate --database-url postgres://folio:folio@127.0.0.1:55432/$db >/dev/null 2>&1
pg_cpu() { awk '{s+=$14+$15+$16+$17} END {print s}' $(for p in $(pgrep -x postgres; pgrep -f "postgres:"); do echo /proc/$p/stat; done | sort -u) 2>/dev/null; }
p0=$(pg_cpu); t0=$(date +%s.%N)
/usr/bin/time -f "folio: %U user %S sys %e wall %M KB" "$folio" seed --dataset bench --quick --database-url postgres://folio:folio@127.0.0.1:55432/$db 2>&1 | tail -2
p1=$(pg_cpu); t1=$(date +%s.%N)
echo "postgres CPU ticks (incl. children reaped): $((p1-p0))"
