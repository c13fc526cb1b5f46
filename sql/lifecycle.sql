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
-- The links remain: re-inserting the same call does not bill it twice.
SELECT kind, source_id FROM autotime.activity_links ORDER BY source_id;
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT autotime.explain('call', 1) ->> 'reason' AS reason;
