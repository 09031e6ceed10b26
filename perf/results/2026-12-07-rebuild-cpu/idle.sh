#!/bin/bash
# Diagnostic only: SCHED_IDLE for the rebuild process's threads and every nice-19 PostgreSQL backend.
while true; do
  for pid in $(pgrep -f "folio-head projections rebuild"); do chrt -a --idle -p 0 $pid >/dev/null 2>&1; done
  for pid in $(ps -eo pid,ni,comm | awk '$2==19 && $3=="postgres"{print $1}'); do chrt --idle -p 0 $pid >/dev/null 2>&1; done
  sleep 0.2
done
