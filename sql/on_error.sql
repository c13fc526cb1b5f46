-- on_error: 'raise' (default) fails the activity's statement when its capture fails;
-- 'record' keeps the activity, records the failure, and a later backfill retries it.
\i test/fixtures/small_firm.sql

-- A billing system that refuses new lines for a while (e.g. during a month-end close).
CREATE FUNCTION firm.billing_closed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'billing is closed for month-end' USING ERRCODE = 'object_not_in_prerequisite_state';
END
$$;
CREATE TRIGGER billing_closed BEFORE INSERT ON firm.time_entries FOR EACH ROW EXECUTE FUNCTION firm.billing_closed();

-- Team 1 raises (the default): the call is refused with its capture.
\set VERBOSITY terse
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
\set VERBOSITY default
SELECT count(*) AS calls FROM calls;

-- Team 1 records: the calls are kept, the failure recorded, the statement succeeds with a warning.
UPDATE autotime.team_settings SET on_error = 'record' WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
       (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 16:00+00'),
       (1, 3, 100, 10, 'outbound', 'ringing', '2026-03-10 17:00+00');
SELECT (SELECT count(*) FROM calls) AS calls, (SELECT count(*) FROM time_entries) AS entries,
       (SELECT count(*) FROM autotime.activity_links) AS links;
SELECT team_id, kind, source, source_id, sqlstate, message FROM autotime.capture_failures ORDER BY source_id;
SELECT autotime.explain('call', 1) ->> 'reason' AS reason;
-- An update completing the ringing call is kept and recorded the same way.
UPDATE calls SET status = 'completed' WHERE id = 3;
SELECT source_id FROM autotime.capture_failures ORDER BY source_id;

-- A statement mixing a recording team with a raising one raises: team 2 asked for errors.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 4, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
       (2, 5, 200, 20, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT count(*) AS calls_4_and_5 FROM calls WHERE id IN (4, 5);

-- Billing reopens: a backfill creates the entries and clears the failures it resolved.
DROP TRIGGER billing_closed ON firm.time_entries;
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT source_id, status FROM time_entries ORDER BY source_id;
SELECT count(*) AS failures_left FROM autotime.capture_failures;
SELECT autotime.explain('call', 1) ->> 'outcome' AS outcome;

-- Back to raise: no subtransaction, errors propagate again.
UPDATE autotime.team_settings SET on_error = 'raise' WHERE team_id = 1;
CREATE TRIGGER billing_closed BEFORE INSERT ON firm.time_entries FOR EACH ROW EXECUTE FUNCTION firm.billing_closed();
\set VERBOSITY terse
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 6, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
\set VERBOSITY default
SELECT count(*) AS call_6_rows FROM calls WHERE id = 6;

-- A mapping an ALTER broke costs the application nothing under on_error = 'record': the calls are
-- kept and their failures recorded straight from their team and id (one-row and multi-row
-- statements); once the column is back, a backfill takes them.
DROP TRIGGER billing_closed ON firm.time_entries;
UPDATE autotime.team_settings SET on_error = 'record' WHERE team_id = 1;
ALTER TABLE calls RENAME COLUMN started_at TO began_at;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, began_at)
VALUES (1, 7, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, began_at) VALUES
  (1, 8, 100, 10, 'outbound', 'completed', '2026-03-10 16:00+00'),
  (1, 9, 100, 10, 'outbound', 'completed', '2026-03-10 17:00+00');
SELECT count(*) AS calls_kept FROM calls WHERE id IN (7, 8, 9);
SELECT source_id, sqlstate, message FROM autotime.capture_failures ORDER BY source_id;
ALTER TABLE calls RENAME COLUMN began_at TO started_at;
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT count(*) AS failures_left FROM autotime.capture_failures;
