-- backfill_dry_run: what a backfill of the team would do now, without doing it; then the backfill
-- does exactly that.
\i test/fixtures/small_firm.sql

-- History loaded while capture was paused: some would be captured, some skipped for a reason.
SET autotime.capture = off;
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 2, 100, NULL, 10, 'outbound', 'ringing', '2026-03-10 15:00+00'),   -- not qualifying: not counted
  (1, 3, 101, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00'), -- no open case
  (1, 4, 100, NULL, 11, 'outbound', 'completed', '2026-03-10 15:00+00'), -- can't log time
  (1, 5, 100, NULL, 10, 'outbound', 'completed', '2025-01-10 15:00+00'), -- before since
  (2, 1, 200, NULL, 20, 'outbound', 'completed', '2026-03-10 15:00+00'); -- another firm
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', 'SM-1', '2026-03-10 15:00+00'),
  (1, 2, 100, 10, 'outbound', 'sent', 'SM-1', '2026-03-10 15:00+00');  -- the same text replayed
RESET autotime.capture;
-- Captured live, then dismissed: neither counted.
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 6, 100, NULL, 10, 'outbound', 'completed', '2026-03-11 15:00+00'),
  (1, 7, 100, NULL, 10, 'outbound', 'completed', '2026-03-11 16:00+00');
SELECT autotime.dismiss(ARRAY[autotime.entry_for('call', 7, 1)], 1) AS dismissed;

CREATE TEMP TABLE before AS
  SELECT (SELECT count(*) FROM autotime.activity_links) AS links, (SELECT count(*) FROM time_entries) AS entries,
         (SELECT count(*) FROM autotime.backfill_runs) AS runs;
SELECT * FROM autotime.backfill_dry_run(1);
SELECT * FROM autotime.backfill_dry_run(1, since => '2026-01-01');
-- It wrote nothing.
SELECT (SELECT count(*) FROM autotime.activity_links) = links AS same_links,
       (SELECT count(*) FROM time_entries) = entries AS same_entries,
       (SELECT count(*) FROM autotime.backfill_runs) = runs AS no_run_recorded FROM before;
-- The backfill then creates what the dry run said, and a dry run after it has nothing to create.
CREATE TEMP TABLE predicted AS SELECT sum(would_create) AS would_create FROM autotime.backfill_dry_run(1);
\set VERBOSITY terse
SET client_min_messages = warning;
CALL autotime.backfill_team(1);
RESET client_min_messages;
SELECT r.entries_created, p.would_create, r.entries_created = p.would_create AS as_predicted
FROM autotime.backfill_runs r, predicted p ORDER BY r.id DESC LIMIT 1;
SELECT kind, would_create FROM autotime.backfill_dry_run(1);
-- Run again, the backfill says the skipped ones are not a failure, and where their reasons are.
CALL autotime.backfill_team(1, since => '2026-01-01');
-- A disabled team: everything would be skipped, and said why; another firm's rows never show.
SELECT * FROM autotime.backfill_dry_run(3);
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (3, 1, 300, NULL, 30, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT * FROM autotime.backfill_dry_run(3);
SELECT sum(would_create) AS team_2 FROM autotime.backfill_dry_run(2);
-- Only for whom it is granted.
CREATE ROLE dry_run_nobody;
SET ROLE dry_run_nobody;
SELECT * FROM autotime.backfill_dry_run(1);
RESET ROLE;
DROP ROLE dry_run_nobody;
