-- A unique key of the firm's own on the bound entries table is the firm's rule: an entry it refuses
-- is a capture error (raised, or recorded under on_error = 'record'), never an activity whose link
-- says it was captured while no entry was written.
\i test/fixtures/small_firm.sql

-- The SQLSTATE a statement ends with ('ok' when it succeeds), whichever partition raised it.
CREATE FUNCTION pg_temp.outcome(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE statement;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END
$$;
-- What each call of team 1 got: its entry's minutes, or that it is linked without one.
CREATE FUNCTION pg_temp.calls_captured() RETURNS TABLE (id bigint, linked boolean, entry_minutes integer)
LANGUAGE sql AS $$
  SELECT c.id,
         EXISTS (SELECT 1 FROM autotime.activity_links l WHERE l.team_id = c.team_id AND l.kind = 'call'
                    AND l.source_id = c.id),
         (SELECT e.minutes FROM firm.time_entries e WHERE e.team_id = c.team_id AND e.source_kind = 'call'
             AND e.source_id = c.id)
    FROM firm.calls c WHERE c.team_id = 1 ORDER BY c.id
$$;

-- No two identical lines for one member a day.
ALTER TABLE firm.time_entries ADD CONSTRAINT one_line_per_member_day UNIQUE (team_id, user_id, work_date, description);

-- The first outbound call of the day gets its entry.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 600);
-- A second one of the member's day has the same description: the firm's key refuses its entry, and
-- under on_error = 'raise' (the default) the call is refused with it.
SELECT pg_temp.outcome($$INSERT INTO firm.calls (team_id, id, client_id, user_id, direction, status, started_at,
                                                 duration_seconds)
                          VALUES (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 1200)$$) AS second_call;
SELECT * FROM pg_temp.calls_captured();
-- Completing a ringing call later is refused the same way.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 3, 100, 10, 'outbound', 'ringing', '2026-03-10 17:00+00', 1800);
SELECT pg_temp.outcome($$UPDATE firm.calls SET status = 'completed' WHERE team_id = 1 AND id = 3$$) AS completed;
SELECT * FROM pg_temp.calls_captured();
-- So is a backfill that would write it.
UPDATE autotime.team_settings SET enabled = false WHERE team_id = 1;
UPDATE calls SET status = 'completed' WHERE team_id = 1 AND id = 3;
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 1;
SELECT pg_temp.outcome($$SELECT autotime.backfill_automatic_time(100)$$) AS backfill;
SELECT * FROM pg_temp.calls_captured();

-- Under on_error = 'record' the calls are kept and their failures recorded: one row at a time,
-- and two calls of one statement whose entries would be the same line.
UPDATE autotime.team_settings SET on_error = 'record' WHERE team_id = 1;
SET client_min_messages = error;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 4, 100, 10, 'outbound', 'completed', '2026-03-10 18:00+00', 2400);
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 5, 100, 12, 'outbound', 'completed', '2026-03-11 15:00+00', 600),
       (1, 6, 100, 12, 'outbound', 'completed', '2026-03-11 16:00+00', 1200);
RESET client_min_messages;
SELECT * FROM pg_temp.calls_captured();
SELECT source_id, sqlstate FROM autotime.capture_failures WHERE team_id = 1 ORDER BY source_id;
SELECT autotime.explain('call', 4) ->> 'reason' AS call_4;

-- The firm drops its rule: a backfill writes every call's entry and clears the failures.
ALTER TABLE firm.time_entries DROP CONSTRAINT one_line_per_member_day;
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM pg_temp.calls_captured();
SELECT count(*) AS failures_left FROM autotime.capture_failures;

-- An entry the activity already has (its unique key on (team_id, source_kind, source_id,
-- source_table)) is still kept, and its new link points at it: the ledger lost, then rebuilt.
DELETE FROM autotime.activity_links WHERE team_id = 1 AND source_id = 1;
SELECT autotime.backfill_automatic_time(100) AS backfilled_again;
SELECT * FROM pg_temp.calls_captured() WHERE id = 1;
SELECT count(*) AS entries_of_call_1 FROM firm.time_entries WHERE team_id = 1 AND source_id = 1;

-- A BEFORE INSERT trigger of the firm's that skips an entry (returns NULL) is the firm's filter,
-- not an error: the activity is linked without an entry, as one whose entry a person deleted, on
-- the one-row path and the set-based one alike; explain says dismissed, and a backfill, even after
-- the filter is gone, writes nothing for it (doc/autotime.md, "How capture decides").
UPDATE autotime.team_settings SET on_error = 'raise' WHERE team_id = 1;
CREATE FUNCTION firm.skip_internal_calls() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.source_kind = 'call' AND NEW.source_id >= 20 THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER skip_internal_calls BEFORE INSERT ON firm.time_entries FOR EACH ROW EXECUTE FUNCTION firm.skip_internal_calls();
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 20, 100, 10, 'outbound', 'completed', '2026-03-12 15:00+00', 600);
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 21, 100, 10, 'outbound', 'completed', '2026-03-12 16:00+00', 600),
       (1, 22, 100, 10, 'outbound', 'completed', '2026-03-12 17:00+00', 600);
DROP TRIGGER skip_internal_calls ON firm.time_entries;
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM pg_temp.calls_captured() WHERE id >= 20;
SELECT id, autotime.explain('call', id) ->> 'reason' AS reason FROM calls WHERE team_id = 1 AND id >= 20 ORDER BY id;
-- A DBA who wants them back releases their links; a backfill then takes them.
UPDATE autotime.activity_links SET released_at = now() WHERE team_id = 1 AND kind = 'call' AND source_id >= 20;
SELECT autotime.backfill_automatic_time(100) AS backfilled_after_release;
SELECT * FROM pg_temp.calls_captured() WHERE id >= 20;
