-- An INSERT or COPY (or an UPDATE, a DELETE) of more rows than autotime.capture_chunk_rows is
-- captured that many rows at a time (so that memory doesn't grow with a 10M-row COPY): the pieces
-- must get exactly what one capture of all the rows gets, sessions and daily caps that span pieces
-- included, and a failure in any piece must record every row of the statement (on_error = 'record').
\i test/fixtures/small_firm.sql
UPDATE autotime.team_settings SET session_gap_minutes = 10, daily_cap_minutes = 60 WHERE team_id = 1;

SHOW autotime.capture_chunk_rows;
SET autotime.capture_chunk_rows = 0;

-- The rows, inserted in this order. Texts: Ann's and Cy's mornings interleaved so that each of
-- their sessions spans pieces of 3 rows, and one of team 2. Calls: Ann's next afternoon, 2 hours
-- apart (no sessions). The daily cap of 60 minutes is reached within a piece on both days: it
-- skips Ann's last two texts and her last call.
CREATE TEMP TABLE stage_sms AS
SELECT s.* FROM (VALUES
  (1, 1, 100, 10, '2026-03-10 10:00-04'), (1, 2, 100, 12, '2026-03-10 10:01-04'), (2, 3, 200, 20, '2026-03-10 10:02-04'),
  (1, 4, 100, 10, '2026-03-10 10:05-04'), (1, 5, 100, 12, '2026-03-10 10:03-04'), (1, 6, 100, 10, '2026-03-10 10:12-04'),
  (1, 7, 100, 10, '2026-03-10 10:40-04'), (1, 8, 100, 12, '2026-03-10 10:30-04'), (1, 9, 100, 10, '2026-03-10 10:45-04'),
  (1, 10, 100, 10, '2026-03-10 11:30-04')) AS s(team_id, id, client_id, user_id, sent_at);
CREATE TEMP TABLE stage_calls AS
SELECT c.* FROM (VALUES
  (1, 1, 100, 10, '2026-03-11 12:00-04'), (1, 2, 100, 10, '2026-03-11 14:00-04'), (1, 3, 100, 10, '2026-03-11 16:00-04'),
  (1, 4, 100, 10, '2026-03-11 18:00-04'), (1, 5, 100, 10, '2026-03-11 20:00-04')) AS c(team_id, id, client_id, user_id, started_at);

-- Statements that write entries (an AFTER STATEMENT trigger on the entries table counts them).
CREATE FUNCTION firm.count_writes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_catalog.set_config('pieces.writes', (pg_catalog.current_setting('pieces.writes')::int + 1)::text, false);
  RETURN NULL;
END $$;
SET pieces.writes = 0;
CREATE TRIGGER count_writes AFTER INSERT ON firm.time_entries FOR EACH STATEMENT EXECUTE FUNCTION firm.count_writes();

CREATE FUNCTION pg_temp.load() RETURNS TABLE (text_writes int, call_writes int) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('pieces.writes', '0', false);
  INSERT INTO firm.sms (team_id, id, client_id, user_id, direction, status, sent_at)
    SELECT team_id, id, client_id, user_id, 'outbound', 'sent', sent_at::timestamptz FROM stage_sms ORDER BY id;
  text_writes := current_setting('pieces.writes')::int;
  PERFORM set_config('pieces.writes', '0', false);
  INSERT INTO firm.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
    SELECT team_id, id, client_id, user_id, 'outbound', 'completed', started_at::timestamptz, 1200 FROM stage_calls ORDER BY id;
  call_writes := current_setting('pieces.writes')::int;
  RETURN NEXT;
END $$;

-- What the capture made: each entry, and the activities billed on it.
CREATE FUNCTION pg_temp.captured() RETURNS TABLE (entry text, user_id bigint, work_date date, minutes integer,
    activities text) LANGUAGE sql AS $$
  SELECT e.team_id || ' ' || e.source_kind || ' ' || e.source_id, e.user_id, e.work_date, e.minutes,
         (SELECT string_agg(l.kind || ' ' || l.source_id, ', ' ORDER BY l.kind, l.source_id)
            FROM autotime.activity_links l
           WHERE l.team_id = e.team_id AND autotime.entry_for(l.kind, l.source_id, l.team_id) = e.id)
  FROM firm.time_entries e ORDER BY e.team_id, e.source_kind, e.source_id
$$;
-- What explain says of each activity.
CREATE FUNCTION pg_temp.outcomes() RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(a.kind || ' ' || a.id || ' ' || (x ->> 'outcome') || coalesce(' ' || (x ->> 'reason'), ''), ', '
                    ORDER BY a.kind, a.id)
    FROM (SELECT 'sms' AS kind, id, team_id FROM firm.sms UNION ALL SELECT 'call', id, team_id FROM firm.calls) a,
         autotime.explain(a.kind, a.id, a.team_id) x
$$;
-- In pieces of 3 rows: 3 of the texts' 4 pieces and both of the calls' write entries (the last
-- piece of texts has only a text the cap skips: nothing to write).
BEGIN;
SET LOCAL autotime.capture_chunk_rows = 3;
SELECT * FROM pg_temp.load();
SELECT * FROM pg_temp.captured();
SELECT regexp_split_to_table(pg_temp.outcomes(), ', ') AS outcome;
SELECT string_agg(format('%s|%s|%s|%s|%s', entry, user_id, work_date, minutes, activities), '; ') AS in_pieces,
       pg_temp.outcomes() AS outcomes_in_pieces FROM pg_temp.captured() \gset
ROLLBACK;

-- All the rows at once (the default, 100,000 rows a piece): one write per statement, and the same
-- entries, sessions and skips.
SELECT * FROM pg_temp.load();
SELECT string_agg(format('%s|%s|%s|%s|%s', entry, user_id, work_date, minutes, activities), '; ') = :'in_pieces'
         AS same_entries,
       pg_temp.outcomes() = :'outcomes_in_pieces' AS same_outcomes FROM pg_temp.captured();

-- Two texts of one provider key (a replayed webhook) in one statement get one entry either way.
-- Within one piece the lower id is captured; in different pieces the earlier piece's text, as
-- when the rows are inserted one at a time.
SET autotime.capture_chunk_rows = 1;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (2, 31, 200, 20, 'outbound', 'sent', 'SM-in-pieces', '2026-03-13 10:00+00'),
  (2, 30, 200, 20, 'outbound', 'sent', 'SM-in-pieces', '2026-03-13 10:00+00');
RESET autotime.capture_chunk_rows;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (2, 33, 200, 20, 'outbound', 'sent', 'SM-whole', '2026-03-13 11:00+00'),
  (2, 32, 200, 20, 'outbound', 'sent', 'SM-whole', '2026-03-13 11:00+00');
SELECT source_id FROM time_entries WHERE team_id = 2 AND work_date = '2026-03-13' ORDER BY source_id;

-- A failure in the second piece, with on_error = 'record': the whole statement's capture is undone
-- and every one of its rows recorded (not only the failing piece's), the calls kept.
UPDATE autotime.team_settings SET on_error = 'record', daily_cap_minutes = NULL WHERE team_id = 1;
CREATE FUNCTION firm.refuse_call_105() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.source_kind = 'call' AND NEW.source_id = 105 THEN
    RAISE EXCEPTION 'billing refuses call 105' USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER refuse_call_105 BEFORE INSERT ON firm.time_entries FOR EACH ROW EXECUTE FUNCTION firm.refuse_call_105();
SET autotime.capture_chunk_rows = 3;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
SELECT 1, id, 100, 10, 'outbound', 'completed', '2026-03-12 09:00-04'::timestamptz + (id - 100) * interval '1 hour'
  FROM generate_series(101, 107) id ORDER BY id;
SELECT (SELECT count(*) FROM calls WHERE id > 100) AS calls_kept,
       (SELECT count(*) FROM time_entries WHERE source_kind = 'call' AND source_id > 100) AS entries,
       (SELECT string_agg(source_id::text, ',' ORDER BY source_id) FROM autotime.capture_failures) AS recorded;
-- Once billing takes call 105 again, a backfill captures all seven.
DROP TRIGGER refuse_call_105 ON firm.time_entries;
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT count(*) AS failures_left FROM autotime.capture_failures;
RESET autotime.capture_chunk_rows;

-- An UPDATE and a DELETE of more rows than the setting are captured in pieces too, an UPDATE's old
-- and new rows split in step: queued texts sent by one UPDATE (Ann's and Cy's sessions spanning
-- pieces), calls moved to another case, four of them renumbered (their drafts follow), then four
-- texts deleted, the last two of each session (both shrink). In pieces of 3 and whole: the same
-- entries, sessions and outcomes.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at)
SELECT 1, 40 + i, 100, CASE WHEN i % 2 = 0 THEN 10 ELSE 12 END, 'outbound', 'queued',
       '2026-03-14 10:00-04'::timestamptz + i * interval '4 minutes'
  FROM generate_series(1, 10) i;
CREATE FUNCTION firm.count_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_catalog.set_config('pieces.changes', (pg_catalog.current_setting('pieces.changes')::int + 1)::text, false);
  RETURN NULL;
END $$;
CREATE TRIGGER count_changes AFTER UPDATE OR DELETE ON firm.time_entries FOR EACH STATEMENT
  EXECUTE FUNCTION firm.count_changes();
CREATE FUNCTION pg_temp.change() RETURNS TABLE (statement text, entry_inserts int, entry_changes int) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('pieces.writes', '0', false), set_config('pieces.changes', '0', false);
  UPDATE firm.sms SET status = 'sent' WHERE team_id = 1 AND id BETWEEN 41 AND 50;
  RETURN QUERY SELECT 'texts sent', current_setting('pieces.writes')::int, current_setting('pieces.changes')::int;
  PERFORM set_config('pieces.writes', '0', false), set_config('pieces.changes', '0', false);
  UPDATE firm.calls SET case_id = 1000 WHERE team_id = 1 AND id BETWEEN 101 AND 107;
  RETURN QUERY SELECT 'calls moved', current_setting('pieces.writes')::int, current_setting('pieces.changes')::int;
  PERFORM set_config('pieces.writes', '0', false), set_config('pieces.changes', '0', false);
  UPDATE firm.calls SET id = id + 100 WHERE team_id = 1 AND id BETWEEN 101 AND 104;
  RETURN QUERY SELECT 'calls renumbered', current_setting('pieces.writes')::int, current_setting('pieces.changes')::int;
  PERFORM set_config('pieces.writes', '0', false), set_config('pieces.changes', '0', false);
  DELETE FROM firm.sms WHERE team_id = 1 AND id IN (46, 47, 49, 50);
  RETURN QUERY SELECT 'texts deleted', current_setting('pieces.writes')::int, current_setting('pieces.changes')::int;
END $$;
BEGIN;
SET LOCAL autotime.capture_chunk_rows = 3;
SELECT * FROM pg_temp.change();
SELECT * FROM pg_temp.captured() WHERE entry ~ '^1 (sms 4.|call 10.|call 20.)$';
SELECT string_agg(source_id || ' on ' || case_id, ', ' ORDER BY source_id) AS call_cases_in_pieces
  FROM time_entries WHERE team_id = 1 AND source_kind = 'call' AND source_id > 100 \gset
SELECT :'call_cases_in_pieces' AS call_cases;
SELECT string_agg(format('%s|%s|%s|%s|%s', entry, user_id, work_date, minutes, activities), '; ') AS in_pieces,
       pg_temp.outcomes() AS outcomes_in_pieces FROM pg_temp.captured() \gset
ROLLBACK;
SELECT * FROM pg_temp.change();
SELECT string_agg(format('%s|%s|%s|%s|%s', entry, user_id, work_date, minutes, activities), '; ') = :'in_pieces'
         AS same_entries,
       pg_temp.outcomes() = :'outcomes_in_pieces' AS same_outcomes,
       (SELECT string_agg(source_id || ' on ' || case_id, ', ' ORDER BY source_id) FROM time_entries
         WHERE team_id = 1 AND source_kind = 'call' AND source_id > 100) = :'call_cases_in_pieces' AS same_cases
  FROM pg_temp.captured();

-- A failure in a later piece of an UPDATE (on_error = 'record') records every row of the statement.
CREATE FUNCTION firm.refuse_call_305() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.source_kind = 'call' AND NEW.source_id = 305 THEN
    RAISE EXCEPTION 'billing refuses call 305' USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER refuse_call_305 BEFORE INSERT ON firm.time_entries FOR EACH ROW EXECUTE FUNCTION firm.refuse_call_305();
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
SELECT 1, id, 100, 10, 'outbound', 'ringing', '2026-03-15 09:00-04'::timestamptz + (id - 300) * interval '1 hour'
  FROM generate_series(301, 305) id ORDER BY id;
SET autotime.capture_chunk_rows = 2;
UPDATE calls SET status = 'completed' WHERE team_id = 1 AND id BETWEEN 301 AND 305;
RESET autotime.capture_chunk_rows;
SELECT (SELECT count(*) FROM calls WHERE id > 300 AND status = 'completed') AS calls_completed,
       (SELECT count(*) FROM time_entries WHERE source_kind = 'call' AND source_id > 300) AS entries,
       (SELECT string_agg(source_id::text, ',' ORDER BY source_id) FROM autotime.capture_failures) AS recorded;
