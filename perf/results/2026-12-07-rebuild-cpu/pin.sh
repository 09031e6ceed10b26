#!/bin/bash
# Diagnostic only: pin the rebuild process and every nice-19 PostgreSQL backend to CPU 1.
while true; do
  for pid in $(pgrep -f "folio-head projections rebuild"); do taskset -a -cp 1 $pid >/dev/null 2>&1; done
  for pid in $(ps -eo pid,ni,comm | awk '$2==19 && $3=="postgres"{print $1}'); do taskset -cp 1 $pid >/dev/null 2>&1; done
  sleep 0.2
done
