-- Entries live and die with the activity's transaction; multi-row INSERT and COPY are captured set-based.
\i test/fixtures/small_firm.sql

BEGIN;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT count(*) AS entries_inside_the_transaction FROM time_entries;
ROLLBACK;
SELECT count(*) AS entries, (SELECT count(*) FROM autotime.activity_links) AS links FROM time_entries;
-- The rolled-back call can be recorded again for real.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT source_id FROM time_entries;

-- A savepoint rolled back takes its entry, the rest of the transaction keeps theirs.
BEGIN;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SAVEPOINT before_third;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 3, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
ROLLBACK TO SAVEPOINT before_third;
COMMIT;
SELECT source_id FROM time_entries ORDER BY source_id;

-- If writing the entry fails, the activity fails with it: nothing half-done.
ALTER TABLE time_entries ADD CONSTRAINT no_long_descriptions CHECK (length(description) < 10) NOT VALID;
SELECT pg_temp.refused($$INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 4, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00')$$);
SELECT count(*) AS call_4_rows, (SELECT count(*) FROM autotime.activity_links) AS links FROM calls WHERE id = 4;
ALTER TABLE time_entries DROP CONSTRAINT no_long_descriptions;

-- One trigger call per statement, whatever the row count (counted within one transaction).
SET track_functions = 'all';
BEGIN;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
SELECT 1, 100 + g, 100, 10, CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       CASE WHEN g % 10 = 0 THEN 'missed' ELSE 'completed' END, '2026-03-10 15:00+00', g
FROM generate_series(1, 5000) g;
COPY calls (team_id, id, client_id, user_id, direction, status, started_at) FROM stdin;
1	9001	100	10	outbound	completed	2026-03-10 15:00:00+00
1	9002	100	10	inbound	completed	2026-03-10 16:00:00+00
1	9003	100	10	inbound	ringing	2026-03-10 17:00:00+00
1	9004	100	12	outbound	completed	2026-03-10 18:00:00+00
\.
-- (The attachment's check when the statements are first prepared calls its helpers too.)
SELECT funcname, calls FROM pg_stat_xact_user_functions WHERE schemaname = 'autotime'
  AND (funcname = 'capture_insert' OR funcname LIKE 'rule\_%') ORDER BY funcname;
COMMIT;
RESET track_functions;
-- 4500 completed generated calls + 3 completed copied ones (+ the two earlier calls).
SELECT count(*) AS entries, count(DISTINCT source_id) AS distinct_calls FROM time_entries;
SELECT count(*) AS qualifying_calls_without_entry FROM calls c
 WHERE c.status = 'completed' AND NOT EXISTS (SELECT 1 FROM time_entries e WHERE e.source_kind = 'call' AND e.source_id = c.id);
