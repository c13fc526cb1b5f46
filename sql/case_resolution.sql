-- Which case an entry lands on: the activity's own case, else the client's most recently updated open case.
\i test/fixtures/small_firm.sql

-- Own case (even an older one) wins.
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
-- No case: Acme's newest open case is 1001 (1002 is newer but closed).
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT source_id, case_id FROM time_entries ORDER BY source_id;

-- Touching case 1000 makes it the most recently updated (updated_at is kept current).
UPDATE cases SET title = 'Acme v. Bolt (appeal)' WHERE team_id = 1 AND id = 1000;
SELECT id, updated_at > '2026-03-01' AS touched FROM cases WHERE team_id = 1 AND client_id = 100 ORDER BY id;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 3, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT source_id, case_id FROM time_entries WHERE source_id = 3;

-- Ties on updated_at go to the higher case id (one statement stamps both with the same time).
UPDATE cases SET title = title WHERE team_id = 1 AND id IN (1000, 1001);
SELECT count(DISTINCT updated_at) AS distinct_times FROM cases WHERE team_id = 1 AND id IN (1000, 1001);
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 4, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT source_id, case_id FROM time_entries WHERE source_id = 4;

-- Intake and pending cases are open for this purpose; closed and archived are not.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 5, 101, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT autotime.explain('call', 5) - 'team_id' AS zeta_has_no_open_case;
UPDATE cases SET status = 'pending' WHERE team_id = 1 AND id = 1011;
SELECT autotime.backfill_automatic_time(101) AS backfilled;
SELECT source_id, case_id FROM time_entries WHERE source_id = 5;

-- An activity naming another client's case is a mismatch, not a silent re-route.
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at)
VALUES (1, 6, 102, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT autotime.explain('call', 6) ->> 'reason' AS reason;
-- The composite foreign keys make another firm's case impossible to reference at all.
SELECT pg_temp.refused($$INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at)
VALUES (1, 7, 100, 2000, 10, 'outbound', 'completed', '2026-03-10 15:00+00')$$);
SELECT count(*) AS entries_on_other_firms_cases FROM time_entries e JOIN cases c ON c.id = e.case_id
 WHERE c.team_id <> e.team_id;
