#!/usr/bin/env bash
# usage: ROOT=<tree> bash update_mem.sh N : peak private memory of one UPDATE completing N ringing calls, in pieces and whole
set -euo pipefail
cd "$ROOT"
N=${1:-2000000}
source scripts/cluster.sh
source bench/private_install.sh
PG_BINDIR="$PRIV$PG_LIB/bin"
cluster_start -c jit=off -c shared_buffers=256MB -c fsync=off -c max_wal_size=16GB -c work_mem=4MB >/dev/null
trap 'cluster_stop; rm -rf "$WORK"' EXIT
echo "source: $BENCH_SOURCE  N=$N  $(date -u '+%F %H:%M') UTC"
for chunk in 100000 2147483647; do
  dropdb --if-exists at_mu; createdb at_mu
  psql -X -q -v ON_ERROR_STOP=1 -d at_mu -f bench/setup.sql >/dev/null
  psql -X -q -v ON_ERROR_STOP=1 -v n=$N -d at_mu <<'SQL' >/dev/null
SET client_min_messages = warning;
INSERT INTO bench.calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
SELECT 1, g % 1000 + 1, 101 + g % 50, 'outbound', 'ringing', timestamptz '2026-11-01 12:00+00' + make_interval(secs => g), 300, 'bench'
  FROM generate_series(1, :n) g;
VACUUM ANALYZE;
SQL
  psql -X -q -At -d at_mu -c "SET autotime.capture_chunk_rows = $chunk" -c "SELECT pg_sleep(1)" \
       -c "UPDATE bench.calls SET status = 'completed'" -c "SELECT 'entries ' || count(*) FROM bench.time_entries" > /tmp/at/mu/out.$chunk &
  sleep 0.5
  PID=$(psql -X -At -d at_mu -c "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(1)%' OR query LIKE 'UPDATE bench.calls%' LIMIT 1")
  peak=0; start=$(date +%s)
  while kill -0 $PID 2>/dev/null && [ -z "$(cat /tmp/at/mu/out.$chunk)" ]; do
    r=$(awk '/RssAnon/ {print $2}' /proc/$PID/status 2>/dev/null || echo 0); [ "${r:-0}" -gt "$peak" ] && peak=$r
    sleep 0.5
  done
  wait
  echo "chunk=$chunk: peak RssAnon $((peak / 1024)) MB, $(( $(date +%s) - start )) s, $(cat /tmp/at/mu/out.$chunk)"
done
