-- capture_report: explain's verdicts counted over a whole team, set-based; backfill_runs: one row
-- per backfill.
\i test/fixtures/small_firm.sql

UPDATE autotime.team_settings SET flat_fee_policy = 'skip' WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 2, 100, NULL, 10, 'outbound', 'ringing', '2026-03-10 15:00+00'),
  (1, 3, 101, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 4, 100, NULL, 11, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 5, 102, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 6, 100, NULL, NULL, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 7, 100, NULL, 10, 'outbound', 'completed', '2025-01-10 15:00+00'),
  (2, 1, 200, NULL, 20, 'outbound', 'completed', '2026-03-10 15:00+00');
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', 'SM-1', '2026-03-10 15:00+00'),
  (1, 2, 100, 10, 'outbound', 'sent', 'SM-1', '2026-03-10 15:00+00'),
  (1, 3, 100, 10, 'inbound', 'received', NULL, '2026-03-10 15:00+00');
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id) VALUES
  (1, 1, 100, 10, 'Letter', 7);
SELECT autotime.dismiss(ARRAY[autotime.entry_for('document', 1, 1)], 1) AS dismissed;
SET autotime.capture = off;
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 8, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
RESET autotime.capture;

SELECT * FROM autotime.capture_report(1);
SELECT * FROM autotime.capture_report(1, since => '2026-01-01');
-- Exactly what explain says, activity by activity (both directions of the comparison are empty).
CREATE TEMP VIEW explained AS
  SELECT kind, e ->> 'outcome' AS outcome, e ->> 'reason' AS reason, count(*) AS activities FROM (
    SELECT 'call' AS kind, autotime.explain('call', id, 1) AS e FROM calls WHERE team_id = 1
    UNION ALL SELECT 'sms', autotime.explain('sms', id, 1) FROM sms WHERE team_id = 1
    UNION ALL SELECT 'document', autotime.explain('document', id, 1) FROM documents WHERE team_id = 1) x
  GROUP BY 1, 2, 3;
SELECT * FROM autotime.capture_report(1) EXCEPT SELECT * FROM explained;
SELECT * FROM explained EXCEPT SELECT * FROM autotime.capture_report(1);
-- A team with no activity has an empty report; another firm's activity never shows.
SELECT count(*) AS team_3_rows FROM autotime.capture_report(3);
SELECT sum(activities) AS team_2_activities FROM autotime.capture_report(2);
SELECT autotime.capture_report(NULL);

-- Every backfill leaves a row, client and team runs alike.
SELECT autotime.backfill_automatic_time(100) AS backfilled;
\set VERBOSITY terse
CALL autotime.backfill_team(2);
\set VERBOSITY default
SELECT team_id, client_id, status, entries_created, activities_scanned, finished_at >= started_at AS finished,
       run_by = session_user AS by_me
FROM autotime.backfill_runs ORDER BY id;
-- A client nobody has: said, not silently 0.
SELECT autotime.backfill_automatic_time(999) AS backfilled;
