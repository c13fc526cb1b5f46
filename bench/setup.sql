-- One benchmark database: autotime, its reference practice schema in schema "bench", one firm
-- (team 1, enabled, America/New_York) with 50 members who may log time (user ids 101..150, rate
-- 200 + n) and 5 who may not (151..155), 1000 clients, and for each client c three cases:
--   c*10+0 closed (most recently updated), c*10+1 open (the one capture picks), c*10+2 open, older.
-- Every fifth client's picked case is flat fee (entry recorded non-billable).
-- psql -v partitions=N: the practice tables hash-partitioned by team_id into N partitions (as the
-- regression suites' AUTOTIME_PARTITIONS=4 run); default 0, plain tables.
\set ON_ERROR_STOP 1
\if :{?partitions}
\else
\set partitions 0
\endif
SET client_min_messages = warning;
CREATE EXTENSION autotime;
SELECT autotime.create_practice_schema('bench', :partitions);
INSERT INTO bench.teams (team_id, name) VALUES (1, 'Bench & Partners LLP');
INSERT INTO autotime.team_settings (team_id, enabled, timezone) VALUES (1, true, 'America/New_York');
INSERT INTO bench.team_members (team_id, user_id, name, hourly_rate, can_log_time)
SELECT 1, 100 + n, 'member ' || n, 200 + n, n <= 50 FROM generate_series(1, 55) n;
INSERT INTO bench.clients (team_id, id, name) SELECT 1, c, 'client ' || c FROM generate_series(1, 1000) c;
INSERT INTO bench.cases (team_id, id, client_id, title, status, billing_type, updated_at)
SELECT 1, c * 10 + k, c, 'matter ' || c || '-' || k,
       CASE k WHEN 0 THEN 'closed' ELSE 'open' END,
       CASE WHEN k = 1 AND c % 5 = 0 THEN 'flat_fee' ELSE 'hourly' END,
       timestamptz '2026-11-01 12:00+00' - make_interval(days => CASE k WHEN 0 THEN 0 WHEN 1 THEN 1 ELSE 30 END)
FROM generate_series(1, 1000) c, generate_series(0, 2) k;
VACUUM ANALYZE;
