-- What happens to entries when activities are deleted or move case, and the ledger's tombstones.
\i test/fixtures/small_firm.sql

INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 2, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 3, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
-- Call 2's entry is approved.
SELECT autotime.approve(ARRAY[(SELECT id FROM time_entries WHERE source_id = 2)], 10) AS approved;

-- Moving a call to another case of the client moves its draft entry; an approved entry stays put.
UPDATE calls SET case_id = 1001 WHERE team_id = 1 AND id IN (1, 2);
SELECT source_id, case_id, status FROM time_entries ORDER BY source_id;
-- A move to a case of another client is a data error upstream; the draft entry stays where it was.
UPDATE calls SET case_id = 1020 WHERE team_id = 1 AND id = 3;
SELECT source_id, case_id FROM time_entries WHERE source_id = 3;

-- Deleting calls takes their draft entries along; the approved one is untouched.
DELETE FROM calls WHERE team_id = 1 AND id IN (1, 2);
SELECT source_id, status FROM time_entries ORDER BY source_id;
-- The links remain, call 1's marked released (its draft went with the call; nobody dismissed it),
-- call 2's not (its approved entry stays).
SELECT kind, source_id, released_at IS NOT NULL AS released, dismissed_at IS NOT NULL AS dismissed
FROM autotime.activity_links ORDER BY source_id;
SELECT autotime.explain('call', 1) ->> 'reason' AS deleted_call_reason;
-- Sent again (a sync job replacing rows): call 1 is captured again, once; call 2 is not billed twice.
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 2, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT source_id, case_id, status FROM time_entries ORDER BY source_id;
SELECT autotime.explain('call', 1) ->> 'outcome' AS call_1, autotime.explain('call', 2) ->> 'outcome' AS call_2;
SELECT source_id, released_at IS NOT NULL AS released FROM autotime.activity_links ORDER BY source_id;
-- ... and again, by a one-row statement (the direct path), after another deletion.
DELETE FROM calls WHERE team_id = 1 AND id = 1;
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT count(*) AS call_1_entries FROM time_entries WHERE source_kind = 'call' AND source_id = 1;
-- Sent again while capture is paused: the released link waits, explain says so, a backfill takes it.
DELETE FROM calls WHERE team_id = 1 AND id = 1;
SET autotime.capture = off;
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
RESET autotime.capture;
SELECT autotime.explain('call', 1) ->> 'reason' AS paused_resend;
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT count(*) AS call_1_entries FROM time_entries WHERE source_kind = 'call' AND source_id = 1;
-- Deliberate removal is permanent: a dismissed entry, or one a person deleted, never comes back,
-- not even when its activity is deleted and sent again.
SELECT autotime.dismiss(ARRAY(SELECT id FROM time_entries WHERE source_id = 1)) AS dismissed;
DELETE FROM time_entries WHERE source_kind = 'call' AND source_id = 3;
DELETE FROM calls WHERE team_id = 1 AND id IN (1, 3);
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 3, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT source_id, status FROM time_entries ORDER BY source_id;
SELECT autotime.explain('call', 1) ->> 'reason' AS call_1, autotime.explain('call', 3) ->> 'reason' AS call_3;
-- A team that has not opted in leaves no trace in the ledger when its activity is deleted.
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at)
VALUES (3, 1, 300, 3000, 30, 'outbound', 'completed', '2026-03-10 15:00+00');
DELETE FROM calls WHERE team_id = 3;
SELECT count(*) AS team_3_links FROM autotime.activity_links WHERE team_id = 3;
-- TRUNCATE is a deletion of every row: drafts go, links are released, approved entries and
-- dismissals stay; after RESTART IDENTITY a new call with a recycled id is captured.
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 7, 100, 1000, 10, 'outbound', 'completed', '2026-03-12 15:00+00');
SELECT source_id, status FROM time_entries ORDER BY source_id;
TRUNCATE calls CASCADE;
SELECT source_id, status FROM time_entries ORDER BY source_id;
SELECT source_id, released_at IS NOT NULL AS released, dismissed_at IS NOT NULL AS dismissed
FROM autotime.activity_links WHERE kind = 'call' ORDER BY source_id;
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 7, 100, 1000, 10, 'outbound', 'completed', '2026-03-13 15:00+00'),
  (1, 1, 100, 1000, 10, 'outbound', 'completed', '2026-03-13 16:00+00');
SELECT source_id, status FROM time_entries ORDER BY source_id;
