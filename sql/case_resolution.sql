-- Which case an entry lands on: the activity's own case, else the client's most recently updated open case.
\i test/fixtures/small_firm.sql

-- Each step records the same work on every path that decides it and shows where it landed (the
-- entry's case, or explain's reason): a call on its own (decided by index probes on the plain
-- schema), a document on its own (decided by a SELECT) and two texts in one statement (the
-- set-based statement, which backfill runs too).
CREATE FUNCTION pg_temp.lands(step int, client bigint, own_case bigint DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at)
  VALUES (1, step, client, own_case, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
  INSERT INTO documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
  VALUES (1, step, client, own_case, 10, 'Letter', 1, '2026-03-10 15:00+00');
  INSERT INTO sms (team_id, id, client_id, case_id, user_id, direction, status, sent_at) VALUES
    (1, step, client, own_case, 10, 'outbound', 'sent', '2026-03-10 15:00+00'),
    (1, step + 100, client, own_case, 10, 'outbound', 'sent', '2026-03-10 15:00+00');
  RETURN pg_temp.landed(step);
END
$$;
CREATE FUNCTION pg_temp.landed(step int) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(format('%s %s: %s', a.kind, a.id,
                           coalesce((SELECT e.case_id::text FROM time_entries e
                                     WHERE e.team_id = 1 AND e.source_kind = a.kind AND e.source_id = a.id),
                                    autotime.explain(a.kind, a.id) ->> 'reason')), ', ' ORDER BY a.n)
  FROM (VALUES (1, 'call', step), (2, 'document', step), (3, 'sms', step), (4, 'sms', step + 100)) a (n, kind, id)
$$;

-- Own case (even an older one) wins.
SELECT pg_temp.lands(1, 100, 1000) AS own_case;
-- No case: Acme's newest open case is 1001 (1002 is newer but closed).
SELECT pg_temp.lands(2, 100) AS newest_open_case;

-- Touching case 1000 makes it the most recently updated (updated_at is kept current).
UPDATE cases SET title = 'Acme v. Bolt (appeal)' WHERE team_id = 1 AND id = 1000;
SELECT id, updated_at > '2026-03-01' AS touched FROM cases WHERE team_id = 1 AND client_id = 100 ORDER BY id;
SELECT pg_temp.lands(3, 100) AS touched_case;

-- Ties on updated_at go to the higher case id (one statement stamps both with the same time).
UPDATE cases SET title = title WHERE team_id = 1 AND id IN (1000, 1001);
SELECT count(DISTINCT updated_at) AS distinct_times FROM cases WHERE team_id = 1 AND id IN (1000, 1001);
SELECT pg_temp.lands(4, 100) AS tie_to_higher_id;

-- Intake and pending cases are open for this purpose; closed and archived are not.
SELECT pg_temp.lands(5, 101) AS zeta_only_closed_and_archived;
SELECT autotime.explain('call', 5) - 'team_id' AS zeta_has_no_open_case;
-- Zeta's closed case 1010 reopens for intake: the skipped work is backfilled onto it, and new work lands there.
UPDATE cases SET status = 'intake' WHERE team_id = 1 AND id = 1010;
SELECT autotime.backfill_automatic_time(101) AS backfilled;
SELECT pg_temp.landed(5) AS backfilled_onto_intake;
SELECT pg_temp.lands(6, 101) AS intake_case;
-- The archived case 1011 comes back as pending, and is now the most recently updated open case.
UPDATE cases SET status = 'pending' WHERE team_id = 1 AND id = 1011;
SELECT pg_temp.lands(7, 101) AS pending_case;

-- An activity naming another client's case is a mismatch, not a silent re-route.
SELECT pg_temp.lands(8, 102, 1000) AS another_clients_case;
-- The composite foreign keys make another firm's case impossible to reference at all.
SELECT pg_temp.refused($$INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at)
VALUES (1, 9, 100, 2000, 10, 'outbound', 'completed', '2026-03-10 15:00+00')$$);
SELECT count(*) AS entries_on_other_firms_cases FROM time_entries e JOIN cases c ON c.id = e.case_id
 WHERE c.team_id <> e.team_id;
