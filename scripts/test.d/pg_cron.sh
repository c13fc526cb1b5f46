#!/usr/bin/env bash
# The nightly firm backfill recipe from doc/autotime.md, run for real by pg_cron on its own
# scratch cluster (pg_cron must be preloaded). The job is scheduled every minute here, so the
# test waits for the next minute boundary.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cluster.sh
install_packages postgresql-15-cron
cluster_start -c shared_preload_libraries=pg_cron -c cron.database_name=autotime_cron \
  -c cron.use_background_workers=on -c max_worker_processes=16
trap cluster_stop EXIT
createdb autotime_cron
psql -X -q -v ON_ERROR_STOP=1 -d autotime_cron <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION autotime;
CREATE EXTENSION pg_cron;
SELECT autotime.create_practice_schema();
INSERT INTO teams (team_id, name) VALUES (1, 'Firm');
INSERT INTO autotime.team_settings (team_id, enabled) VALUES (1, false);
INSERT INTO team_members (team_id, user_id, name, hourly_rate) VALUES (1, 10, 'Ann', 300);
INSERT INTO clients (team_id, id, name) VALUES (1, 100, 'Acme');
INSERT INTO cases (team_id, id, client_id, title) VALUES (1, 1000, 100, 'Acme v. Bolt');
-- History recorded before the firm opted in: 250 completed calls and 50 missed ones.
INSERT INTO calls (team_id, client_id, user_id, direction, status, started_at)
SELECT 1, 100, 10, 'outbound', CASE WHEN g % 6 = 0 THEN 'missed' ELSE 'completed' END, now() - g * interval '1 hour'
FROM generate_series(1, 300) g;
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 1;
-- The recipe (every minute here instead of '0 2 * * *'):
SELECT cron.schedule('autotime-backfill-team-1', '* * * * *', $$CALL autotime.backfill_team(1, batch_size => 100)$$);
SQL

for _ in $(seq 1 100); do
  status=$(psql -X -At -d autotime_cron -c "SELECT status FROM cron.job_run_details WHERE status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1")
  [ -n "$status" ] && break
  sleep 1
done
psql -X -At -d autotime_cron -c "SELECT status, return_message FROM cron.job_run_details ORDER BY runid"
entries=$(psql -X -At -d autotime_cron -c "SELECT count(*) FROM time_entries")
echo "pg_cron job status: ${status:-none}; entries after the job: $entries (expected 250)"
[ "$status" = "succeeded" ] && [ "$entries" = "250" ]
