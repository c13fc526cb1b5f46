-- The UPDATE rule: an update captures a row only when it makes the row qualify (it did not qualify
-- before the update). A row that already qualified but has no link (history written while its team
-- was paused, or rows written while triggers were off) is left for a backfill, however it is
-- updated; one row at a time and many rows in one statement (two paths in the code) alike.
\i test/fixtures/small_firm.sql

-- What explain says of each activity of team 1, and its entry if it has one.
CREATE FUNCTION pg_temp.states() RETURNS TABLE (kind text, id bigint, outcome text, reason text, entries bigint)
LANGUAGE sql AS $$
  SELECT a.kind, a.id, x ->> 'outcome', x ->> 'reason',
         (SELECT count(*) FROM time_entries e WHERE e.team_id = 1 AND e.source_kind = a.kind AND e.source_id = a.id)
  FROM (SELECT 'call' AS kind, id FROM calls WHERE team_id = 1 UNION ALL SELECT 'sms', id FROM sms WHERE team_id = 1
        UNION ALL SELECT 'document', id FROM documents WHERE team_id = 1
        UNION ALL SELECT 'event', id FROM events WHERE team_id = 1) a,
       LATERAL autotime.explain(a.kind, a.id) x
  ORDER BY 1, 2
$$;

-- History written while team 1 was paused: odd ids qualify already, even ids do not yet (text 5 is
-- inbound: it never qualifies).
UPDATE autotime.team_settings SET enabled = false WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-02 03:00+00', 60),
  (1, 2, 100, 10, 'outbound', 'ringing', '2026-03-02 03:00+00', NULL),
  (1, 3, 100, 10, 'outbound', 'completed', '2026-03-02 03:00+00', 60),
  (1, 4, 100, 10, 'outbound', 'ringing', '2026-03-02 03:00+00', NULL),
  (1, 5, 100, 10, 'inbound', 'completed', '2026-03-02 03:00+00', 60),
  (1, 6, 100, 10, 'inbound', 'ringing', '2026-03-02 03:00+00', NULL);
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', 'SM-1', '2026-03-02 03:00+00'),
  (1, 2, 100, 10, 'outbound', 'queued', 'SM-2', '2026-03-02 03:00+00'),
  (1, 3, 100, 10, 'outbound', 'sent', 'SM-3', '2026-03-02 03:00+00'),
  (1, 4, 100, 10, 'outbound', 'queued', 'SM-4', '2026-03-02 03:00+00'),
  (1, 5, 100, 10, 'inbound', 'received', 'SM-5', '2026-03-02 03:00+00');
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at) VALUES
  (1, 1, 100, 10, 'Retainer', 1, '2026-03-02 03:00+00'),
  (1, 2, 100, 10, 'Upload', NULL, '2026-03-02 03:00+00'),
  (1, 3, 100, 10, 'Lease review', 1, '2026-03-02 03:00+00'),
  (1, 4, 100, 10, 'Scan', NULL, '2026-03-02 03:00+00');
INSERT INTO events (team_id, id, client_id, user_id, title, starts_at, completed_at) VALUES
  (1, 1, 100, 10, 'Hearing', '2026-03-02 02:00+00', '2026-03-02 03:00+00'),
  (1, 2, 100, 10, 'Deposition', '2026-03-02 02:00+00', NULL),
  (1, 3, 100, 10, 'Mediation', '2026-03-02 02:00+00', '2026-03-02 03:00+00'),
  (1, 4, 100, 10, 'Call with counsel', '2026-03-02 02:00+00', NULL);
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 1;
-- Call 7 qualifies too, written while triggers were off (as a replica applies changes).
SET session_replication_role = replica;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 7, 100, 10, 'outbound', 'completed', '2026-03-02 03:00+00', 60);
RESET session_replication_role;
SELECT * FROM pg_temp.states();

-- Unrelated changes to rows that qualified before, one row per statement: nothing is captured.
UPDATE calls SET duration_seconds = 61 WHERE team_id = 1 AND id = 1;
UPDATE calls SET status = 'completed' WHERE team_id = 1 AND id = 7;
UPDATE sms SET status = 'delivered' WHERE team_id = 1 AND id = 1;
UPDATE documents SET name = 'Retainer (signed)' WHERE team_id = 1 AND id = 1;
UPDATE events SET title = 'Hearing (continued)' WHERE team_id = 1 AND id = 1;
-- ... and many rows per statement: nothing either.
UPDATE calls SET duration_seconds = 62 WHERE team_id = 1 AND id IN (1, 3, 5, 7);
UPDATE sms SET status = 'delivered' WHERE team_id = 1 AND id IN (1, 3);
UPDATE documents SET template_id = 2 WHERE team_id = 1 AND id IN (1, 3);
UPDATE events SET completed_at = '2026-03-02 04:00+00' WHERE team_id = 1 AND id IN (1, 3);
SELECT count(*) AS entries_after_unrelated_updates FROM time_entries;

-- An update that makes a row qualify captures it: one row per statement ...
UPDATE calls SET status = 'completed', duration_seconds = 120 WHERE team_id = 1 AND id = 2;
UPDATE sms SET status = 'sent' WHERE team_id = 1 AND id = 2;
UPDATE documents SET template_id = 5 WHERE team_id = 1 AND id = 2;
UPDATE events SET completed_at = '2026-03-03 03:00+00' WHERE team_id = 1 AND id = 2;
-- ... or many rows in one statement, where only the rows that did not qualify before are captured.
UPDATE calls SET status = 'completed' WHERE team_id = 1 AND id IN (3, 4, 5, 6);
UPDATE sms SET status = 'delivered' WHERE team_id = 1 AND id IN (3, 4, 5);
UPDATE documents SET template_id = 6 WHERE team_id = 1 AND id IN (3, 4);
UPDATE events SET completed_at = '2026-03-03 03:00+00' WHERE team_id = 1 AND id IN (3, 4);
SELECT * FROM pg_temp.states();

-- A captured row that stops qualifying and qualifies again keeps its one entry, on either path;
-- a dismissed one stays dismissed.
SELECT autotime.dismiss(ARRAY(SELECT id FROM time_entries WHERE source_kind = 'call' AND source_id = 4)) AS dismissed;
UPDATE calls SET status = 'failed' WHERE team_id = 1 AND id IN (2, 4, 6);
UPDATE calls SET status = 'completed' WHERE team_id = 1 AND id = 2;
UPDATE calls SET status = 'completed' WHERE team_id = 1 AND id IN (4, 6);
SELECT * FROM pg_temp.states() WHERE kind = 'call' AND id IN (2, 4, 6);

-- The backfill takes what the updates left, dated by each activity in New York time (the 3:00 UTC
-- history is the evening before there).
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT source_kind, source_id, work_date, minutes FROM time_entries ORDER BY source_kind, source_id;
SELECT outcome, reason, count(*) FROM pg_temp.states() GROUP BY 1, 2 ORDER BY 1, 2;

-- An update that moves an activity to another case of its client moves its draft entry, one row
-- or many per statement; an approved entry stays on its case.
SELECT autotime.approve(ARRAY(SELECT id FROM time_entries WHERE source_kind = 'sms' AND source_id = 3), 10) AS approved;
UPDATE calls SET case_id = 1000 WHERE team_id = 1 AND id = 1;
UPDATE sms SET case_id = 1000 WHERE team_id = 1 AND id IN (1, 2, 3);
SELECT source_kind, source_id, case_id, status FROM time_entries
WHERE (source_kind, source_id) IN (('call', 1), ('call', 3), ('sms', 1), ('sms', 2), ('sms', 3)) ORDER BY 1, 2;
