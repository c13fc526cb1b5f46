-- Writes aimed straight at a partition of an attached partitioned table are captured like writes
-- through the parent (SPEC 4.11); partitions created or attached later are followed, detached ones
-- let go.
\i test/fixtures/small_firm.sql

SET client_min_messages = warning;
SELECT autotime.detach('calls');
CREATE TABLE calls_by_team (LIKE calls INCLUDING DEFAULTS, PRIMARY KEY (team_id, id)) PARTITION BY LIST (team_id);
CREATE TABLE calls_team_1 PARTITION OF calls_by_team FOR VALUES IN (1);
SELECT autotime.attach('calls_by_team', 'call');
RESET client_min_messages;
-- Through the parent, and straight into the partition: both captured, once.
INSERT INTO calls_by_team (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
INSERT INTO calls_team_1 (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 16:00+00'),
  (1, 3, 100, 10, 'outbound', 'ringing', '2026-03-10 17:00+00');
INSERT INTO calls_team_1 (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 4, 100, 10, 'outbound', 'completed', '2026-03-10 18:00+00');
UPDATE calls_team_1 SET status = 'completed' WHERE id = 3;
UPDATE calls_team_1 SET case_id = 1000 WHERE id = 2;
SELECT source_id, case_id FROM time_entries WHERE source_kind = 'call' ORDER BY source_id;
-- Deleted straight from the partition: the draft goes.
DELETE FROM calls_team_1 WHERE id = 4;
SELECT source_id FROM time_entries WHERE source_kind = 'call' ORDER BY source_id;
-- A partition created later is followed.
CREATE TABLE calls_team_2 PARTITION OF calls_by_team FOR VALUES IN (2);
INSERT INTO calls_team_2 (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (2, 1, 200, 20, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT team_id, source_id FROM time_entries WHERE source_kind = 'call' AND team_id = 2;
SELECT autotime.explain('call', 2, 1) ->> 'outcome' AS call_2, autotime.explain('call', 1, 2) ->> 'outcome' AS team_2_call_1;
-- Detached, a partition is on its own: capture lets go of it, and writing to it is just a write.
ALTER TABLE calls_by_team DETACH PARTITION calls_team_2;
SELECT count(*) AS capture_triggers_left FROM pg_trigger WHERE tgrelid = 'calls_team_2'::regclass AND tgname LIKE 'autotime%';
INSERT INTO calls_team_2 (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (2, 2, 200, 20, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT count(*) AS team_2_entries FROM time_entries WHERE source_kind = 'call' AND team_id = 2;
-- ... and attached again, followed again.
ALTER TABLE calls_by_team ATTACH PARTITION calls_team_2 FOR VALUES IN (2);
SELECT count(*) AS capture_triggers FROM pg_trigger WHERE tgrelid = 'calls_team_2'::regclass AND tgname LIKE 'autotime%';
-- Detaching the parent from autotime removes capture from every partition.
SELECT autotime.detach('calls_by_team');
SELECT count(*) AS capture_triggers_left FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relname LIKE 'calls_team_%' AND t.tgname LIKE 'autotime%';
