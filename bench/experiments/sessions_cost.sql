-- Sessions (SPEC §6): the cost of regrouping, informally (psql \timing; not bench/run.sh). Run on a
-- scratch database with autotime installed: psql -X -f bench/experiments/sessions_cost.sql
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS b CASCADE;
DROP EXTENSION IF EXISTS autotime CASCADE;
CREATE EXTENSION autotime;
SELECT autotime.create_practice_schema('b');
SET search_path = b, public;
INSERT INTO teams (team_id, name) VALUES (1, 'on'), (2, 'off');
INSERT INTO autotime.team_settings (team_id, enabled, session_gap_minutes) VALUES (1, true, 10), (2, true, NULL);
INSERT INTO team_members (team_id, user_id, name, hourly_rate) SELECT t, u, 'm', 100 FROM generate_series(1, 2) t, generate_series(1, 50) u;
INSERT INTO clients (team_id, id, name) SELECT t, 1, 'c' FROM generate_series(1, 2) t;
INSERT INTO cases (team_id, id, client_id, title, status) SELECT t, 1, 1, 'x', 'open' FROM generate_series(1, 2) t;
\timing on
\echo bulk 20000 texts, team without sessions (another team has them)
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at)
SELECT 2, i, 1, 1 + i % 50, 'outbound', 'sent', '2026-03-01 08:00+00'::timestamptz + (i / 50) * interval '7 minutes' FROM generate_series(1, 20000) i;
\echo bulk 20000 texts, team with sessions
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at)
SELECT 1, i, 1, 1 + i % 50, 'outbound', 'sent', '2026-03-01 08:00+00'::timestamptz + (i / 50) * interval '7 minutes' FROM generate_series(1, 20000) i;
\echo 1000 single-row texts, team without sessions
DO $$ BEGIN FOR i IN 100001 .. 101000 LOOP INSERT INTO b.sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES (2, i, 1, 1 + i % 50, 'outbound', 'sent', '2026-04-01 08:00+00'::timestamptz + (i / 50) * interval '7 minutes'); END LOOP; END $$;
\echo 1000 single-row texts, team with sessions
DO $$ BEGIN FOR i IN 100001 .. 101000 LOOP INSERT INTO b.sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES (1, i, 1, 1 + i % 50, 'outbound', 'sent', '2026-04-01 08:00+00'::timestamptz + (i / 50) * interval '7 minutes'); END LOOP; END $$;
\timing off
SELECT team_id, count(*) AS entries, sum(minutes) AS minutes FROM time_entries GROUP BY 1 ORDER BY 1;
SELECT team_id, count(*) AS links FROM autotime.activity_links GROUP BY 1 ORDER BY 1;
