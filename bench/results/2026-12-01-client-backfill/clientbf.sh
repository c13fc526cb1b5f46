#!/usr/bin/env bash
# usage: ROOT=<tree> bash /tmp/at/clientbf.sh : per-client backfill on a ledger holding the team's links
set -euo pipefail
cd "$ROOT"
source scripts/cluster.sh
source bench/private_install.sh
PG_BINDIR="$PRIV$PG_LIB/bin"
cluster_start -c jit=off -c shared_buffers=512MB -c fsync=off >/dev/null
trap 'cluster_stop; rm -rf "$WORK"' EXIT
echo "source: $BENCH_SOURCE"
createdb at_cb
psql -X -q -v ON_ERROR_STOP=1 -d at_cb -f bench/setup.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d at_cb <<'SQL' >/dev/null
SET client_min_messages = warning;
UPDATE autotime.team_settings SET enabled = false;
INSERT INTO bench.calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
SELECT 1, g % 1000 + 1, 101 + g % 50, 'outbound', 'completed', timestamptz '2026-11-01 12:00+00' + make_interval(secs => g), 300, 'bench'
  FROM generate_series(1, 200000) g;
UPDATE autotime.team_settings SET enabled = true;
CALL autotime.backfill_team(1, batch_size => 100000);
SET autotime.capture = off;
INSERT INTO bench.calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
SELECT 1, g % 20 + 1, 101 + g % 50, 'outbound', 'completed', timestamptz '2026-11-20 12:00+00' + make_interval(secs => g), 300, 'bench'
  FROM generate_series(1, 4000) g;
VACUUM ANALYZE;
SQL
psql -X -q -At -d at_cb <<'SQL'
SELECT 'links in the ledger: ' || count(*) FROM autotime.activity_links;
CREATE TEMP TABLE t (what text, ms numeric, entries bigint, cpu_ms numeric);
DO $$
DECLARE c int; t0 timestamptz; n bigint; total bigint;
BEGIN
  FOR round IN 1..2 LOOP
    total := 0; t0 := clock_timestamp();
    FOR c IN 1 .. 20 LOOP
      n := autotime.backfill_automatic_time(c, team_id => 1); total := total + n;
    END LOOP;
    INSERT INTO t VALUES (CASE round WHEN 1 THEN '20 clients x 200 new of 400' ELSE 'no-op re-run' END,
                          extract(epoch FROM clock_timestamp() - t0) * 1000, total, NULL);
  END LOOP;
END $$;
SELECT what || ': ' || round(ms) || ' ms, ' || entries || ' entries, ' || round(ms / 20, 1) || ' ms per client' FROM t;
SQL
