#!/usr/bin/env bash
# usage: ROOT=<tree> bash bigclient.sh [N]: one client holding N calls: backfill(client) and its no-op re-run
set -euo pipefail
cd "$ROOT"
N=${1:-1000000}
source scripts/cluster.sh
source bench/private_install.sh
PG_BINDIR="$PRIV$PG_LIB/bin"
cluster_start -c jit=off -c shared_buffers=1GB -c fsync=off -c max_wal_size=8GB >/dev/null
trap 'cluster_stop; rm -rf "$WORK"' EXIT
echo "source: $BENCH_SOURCE  N=$N  $(date -u '+%F %H:%M') UTC"
createdb at_bc
psql -X -q -v ON_ERROR_STOP=1 -d at_bc -f bench/setup.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -v n=$N -d at_bc <<'SQL' >/dev/null
SET client_min_messages = warning;
SET autotime.capture = off;
-- client 1 holds n calls; client 2 holds n calls too (a second client the same size: table size)
INSERT INTO bench.calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
SELECT 1, 1 + (g % 2), 101 + g % 50, 'outbound', 'completed', timestamptz '2026-11-01 12:00+00' + make_interval(secs => g), 300, 'bench'
  FROM generate_series(1, 2 * :n) g;
VACUUM ANALYZE;
SQL
psql -X -q -At -d at_bc <<'SQL'
\timing on
SELECT 'backfill client 1: ' || autotime.backfill_automatic_time(1, team_id => 1) || ' entries';
SELECT 'no-op client 1 (1): ' || autotime.backfill_automatic_time(1, team_id => 1);
SELECT 'no-op client 1 (2): ' || autotime.backfill_automatic_time(1, team_id => 1);
SELECT 'no-op client 1 without team_id: ' || autotime.backfill_automatic_time(1);
SELECT 'read client 1 (index): ' || count(*) FROM bench.calls WHERE team_id = 1 AND client_id = 1;
SELECT 'read client 1 + ledger anti-join: ' || count(*) FROM bench.calls c WHERE team_id = 1 AND client_id = 1
   AND NOT EXISTS (SELECT 1 FROM autotime.activity_links l WHERE l.team_id = 1 AND l.kind = 'call' AND l.source_key = c.id::text);
SELECT 'read client 1 + activity_linked: ' || count(*) FROM bench.calls c WHERE team_id = 1 AND client_id = 1
   AND NOT autotime.activity_linked(c.team_id, 'call', c.id, NULL, c.id::text);
SELECT 'no-op client 1 (3): ' || autotime.backfill_automatic_time(1, team_id => 1);
SQL
