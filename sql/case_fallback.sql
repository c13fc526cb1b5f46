-- SPEC §7 team_settings.case_fallback: how an activity without its own case finds one.
-- latest_open (the default, 1.x): the client's most recently updated open case; only_open: the
-- client's only open case (more than one: ambiguous_case); none: only its own case (else no_case).
\i test/fixtures/small_firm.sql

SELECT case_fallback FROM autotime.team_settings WHERE team_id = 1;
-- only_open: Acme (100) has two open cases, Flat Co (102) one, Zeta (101) none.
UPDATE autotime.team_settings SET case_fallback = 'only_open' WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 2, 102, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00'),
  (1, 3, 101, NULL, 10, 'outbound', 'completed', '2026-03-10 17:00+00'),
  (1, 4, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 18:00+00'),
  (1, 5, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 19:00+00');
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 1, 102, 10, 'outbound', 'sent', '2026-03-10 20:00+00');
SELECT source_kind, source_id, client_id, case_id, billable FROM time_entries ORDER BY source_kind, source_id;
SELECT id, autotime.explain('call', id, 1) ->> 'reason' AS reason FROM calls WHERE team_id = 1 ORDER BY id;
-- none: only the activity's own case.
UPDATE autotime.team_settings SET case_fallback = 'none' WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 6, 102, NULL, 10, 'outbound', 'completed', '2026-03-11 15:00+00');
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 7, 102, 1020, 10, 'outbound', 'completed', '2026-03-11 16:00+00'),
  (1, 8, 100, NULL, 10, 'outbound', 'completed', '2026-03-11 17:00+00');
SELECT source_id, case_id FROM time_entries WHERE source_kind = 'call' AND source_id >= 6 ORDER BY source_id;
SELECT id, autotime.explain('call', id, 1) ->> 'reason' AS reason FROM calls WHERE team_id = 1 AND id >= 6 ORDER BY id;
SELECT outcome, reason, activities FROM autotime.capture_report(1) WHERE kind = 'call' ORDER BY 1, 2;
-- Another team keeps the default meanwhile.
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (2, 1, 200, NULL, 20, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT case_id FROM time_entries WHERE team_id = 2;
-- Back to latest_open, a backfill takes the skipped calls (Zeta still has no open case).
UPDATE autotime.team_settings SET case_fallback = 'latest_open' WHERE team_id = 1;
SELECT autotime.backfill_automatic_time(100, 1) + autotime.backfill_automatic_time(102, 1) AS backfilled;
SELECT source_id, case_id FROM time_entries WHERE team_id = 1 AND source_kind = 'call' ORDER BY source_id;
\set VERBOSITY terse
UPDATE autotime.team_settings SET case_fallback = 'newest' WHERE team_id = 1;
