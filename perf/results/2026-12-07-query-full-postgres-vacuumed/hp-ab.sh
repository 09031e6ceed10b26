#!/bin/bash
source /work/main/scripts/lib.sh
PG_BIN=$(pg_bin)
export PGPASSWORD=folio
P="psql -h 127.0.0.1 -p 55432 -U folio -d perf_query_full -qAt"
prewarm() { $P -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" -c "select sum(pg_prewarm(c.oid::regclass)) from pg_class c join pg_namespace n on n.oid=c.relnamespace where nspname='folio_read' and relname in ('content_items','content_items_pkey','item_counters','item_counters_pkey','content_refs_target_idx','content_items_slug_idx')" >/dev/null; }
bench() { PGOPTIONS="-c search_path=folio_read" pgbench -h 127.0.0.1 -p 55432 -U folio -n -M prepared -c 16 -j 2 -T 10 -f $1 perf_query_full 2>&1 | grep -E '^tps' | sed "s/^/$2 $1 /"; }
for round in 1 2; do
  for hp in on off; do
    as_pg_owner "$PG_BIN/pg_ctl" -D /work/main/.dev/pg -l /work/main/.dev/pg/server.log -w -t 120 restart -m fast -o "-c huge_pages=$hp" >/dev/null
    prewarm; bench bytag.sql warm-$hp >/dev/null
    bench bytag.sql $hp; bench hist.sql $hp; bench bytag.sql $hp
  done
done
as_pg_owner "$PG_BIN/pg_ctl" -D /work/main/.dev/pg -l /work/main/.dev/pg/server.log -w -t 120 restart -m fast >/dev/null
