-- Does the PL/pgSQL reference (plpgsql_reference.sql) make the same entries as autotime?
-- Run it in a database made by setup.sql with autotime capturing bench.calls, and in one with
-- calls detached and the reference trigger installed; the two outputs must be identical.
-- (bench/check_reference.sh does exactly that.) Covers every rule the benchmark exercises.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
TRUNCATE bench.calls, bench.time_entries, autotime.activity_links;
INSERT INTO bench.clients (team_id, id, name) VALUES (1, 1001, 'no open case');
INSERT INTO bench.cases (team_id, id, client_id, title, status) VALUES (1, 10010, 1001, 'closed', 'closed'),
  (1, 10011, 1001, 'archived', 'archived');
INSERT INTO bench.cases (team_id, id, client_id, title, status, billing_type) VALUES (1, 20001, 7, 'contingency', 'pending', 'contingency');

-- One statement, many rules: qualifying / not, permission, no actor, own case, case mismatch,
-- flat fee (client 35), no open case, inbound, timezone date boundary.
INSERT INTO bench.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1, 12, NULL, 101, 'outbound', 'completed', '2026-03-10 15:00+00', 300),   -- latest open case 121
  (1, 2, 12, NULL, 101, 'outbound', 'missed', '2026-03-10 15:00+00', 0),        -- not qualifying
  (1, 3, 12, NULL, 151, 'outbound', 'completed', '2026-03-10 15:00+00', 300),   -- no permission
  (1, 4, 12, NULL, NULL, 'outbound', 'completed', '2026-03-10 15:00+00', 300),  -- no actor
  (1, 5, 12, 122, 102, 'inbound', 'completed', '2026-03-10 15:00+00', 300),     -- own case
  (1, 6, 12, 131, 102, 'inbound', 'completed', '2026-03-10 15:00+00', 300),     -- case of another client
  (1, 7, 35, NULL, 103, 'outbound', 'completed', '2026-03-10 15:00+00', 300),   -- flat fee: non-billable
  (1, 8, 1001, NULL, 104, 'outbound', 'completed', '2026-03-10 15:00+00', 300), -- no open case
  (1, 9, 12, NULL, 105, 'outbound', 'completed', '2026-03-10 03:30+00', 300),   -- local date 2026-03-09
  (1, 10, 7, 20001, 106, 'outbound', 'completed', '2026-03-10 15:00+00', 300);  -- contingency: non-billable
-- Single-row statements (the live path).
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 11, 13, 107, 'inbound', 'completed', '2026-03-11 12:00+00', 61);
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 12, 13, 107, 'outbound', 'ringing', '2026-03-11 12:00+00', NULL);
-- Updates: one that makes the call qualify, one that changes a call that already qualified.
UPDATE bench.calls SET status = 'completed', duration_seconds = 95 WHERE id IN (2, 12);
UPDATE bench.calls SET status = 'completed', duration_seconds = 999 WHERE id = 1;
-- Settings: rounded duration, per-kind minutes, flat fee skip / billable, disabled team.
UPDATE autotime.team_settings SET call_minutes_mode = 'rounded_duration', minutes_per_activity = 6;
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 13, 14, 108, 'outbound', 'completed', '2026-03-12 12:00+00', 1000);
UPDATE autotime.team_settings SET call_minutes_mode = 'fixed', call_minutes = 20, flat_fee_policy = 'skip';
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 14, 40, 108, 'outbound', 'completed', '2026-03-12 12:00+00', 100),   -- flat fee skipped
       (1, 15, 41, 108, 'outbound', 'completed', '2026-03-12 12:00+00', 100);   -- 20 minutes
UPDATE autotime.team_settings SET flat_fee_policy = 'billable';
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 16, 45, 109, 'outbound', 'completed', '2026-03-12 12:00+00', 100);   -- flat fee billable
UPDATE autotime.team_settings SET enabled = false;
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 17, 46, 109, 'outbound', 'completed', '2026-03-12 12:00+00', 100);   -- team disabled
UPDATE autotime.team_settings SET enabled = true, track_calls = false;
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 18, 46, 109, 'outbound', 'completed', '2026-03-12 12:00+00', 100);   -- kind disabled
UPDATE autotime.team_settings SET track_calls = true, call_minutes = NULL, minutes_per_activity = 15,
  flat_fee_policy = 'non_billable';

\pset footer off
SELECT source_id, client_id, case_id, user_id, work_date, minutes, description, billable, status, rate
FROM bench.time_entries ORDER BY source_id;
SELECT kind, source_key, source_id FROM autotime.activity_links ORDER BY source_id;
