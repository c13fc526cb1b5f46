-- autotime.capture: a superuser pauses capture in a session (a bulk load); the rows wait for a
-- backfill, and explain says so.
\i test/fixtures/small_firm.sql

SHOW autotime.capture;
SET autotime.capture = off;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 16:00+00'),
  (1, 3, 100, 10, 'outbound', 'ringing', '2026-03-10 17:00+00');
UPDATE calls SET status = 'completed' WHERE team_id = 1 AND id = 3;
SELECT count(*) AS entries_while_paused, (SELECT count(*) FROM autotime.activity_links) AS links_while_paused FROM time_entries;
SELECT id, autotime.explain('call', id, 1) ->> 'reason' AS reason FROM calls ORDER BY id;
RESET autotime.capture;
-- Back on: new rows are captured, and a backfill takes what waited.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 4, 100, 10, 'outbound', 'completed', '2026-03-10 18:00+00');
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT source_id FROM time_entries WHERE source_kind = 'call' ORDER BY source_id;
-- Only a superuser may pause it.
CREATE ROLE autotime_switch_app NOLOGIN;
SET ROLE autotime_switch_app;
SET autotime.capture = off;
RESET ROLE;
DROP ROLE autotime_switch_app;
