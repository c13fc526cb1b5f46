-- One inserted row, decided by the index probes, writes its entry with a statement of its own. On
-- a partitioned entries table that write names no ON CONFLICT arbiter (a named one costs more than
-- the rest of the write there), and when it inserts nothing although this transaction claimed the
-- activity's link, the entry is written again with the activity's key as the only arbiter. This
-- test partitions the tables in every run, so each case below goes through that second write.
\set partitions 2
\i test/fixtures/small_firm.sql
SELECT relkind AS entries_relkind FROM pg_class WHERE oid = 'firm.time_entries'::regclass;

-- The SQLSTATE a statement ends with ('ok' when it succeeds), whichever partition raised it.
CREATE FUNCTION pg_temp.outcome(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE statement;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END
$$;
-- What each call of team 1 got: whether it is linked, and its entry's minutes.
CREATE FUNCTION pg_temp.calls_captured() RETURNS TABLE (id bigint, linked boolean, entry_minutes integer)
LANGUAGE sql AS $$
  SELECT c.id,
         EXISTS (SELECT 1 FROM autotime.activity_links l WHERE l.team_id = c.team_id AND l.kind = 'call'
                    AND l.source_id = c.id),
         (SELECT e.minutes FROM firm.time_entries e WHERE e.team_id = c.team_id AND e.source_kind = 'call'
             AND e.source_id = c.id)
    FROM firm.calls c WHERE c.team_id = 1 ORDER BY c.id
$$;

-- A unique key of the firm's refuses an entry: the call is refused with 23505 (raised inside the
-- function's subtransaction), not linked without an entry.
ALTER TABLE firm.time_entries ADD CONSTRAINT one_line_per_member_day UNIQUE (team_id, user_id, work_date, description);
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 600);
SELECT pg_temp.outcome($$INSERT INTO firm.calls (team_id, id, client_id, user_id, direction, status, started_at,
                                                 duration_seconds)
                          VALUES (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 1200)$$) AS second_call;
-- Under on_error = 'record' the call is kept and the failure recorded.
UPDATE autotime.team_settings SET on_error = 'record' WHERE team_id = 1;
SET client_min_messages = error;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 3, 100, 10, 'outbound', 'completed', '2026-03-10 17:00+00', 1800);
RESET client_min_messages;
UPDATE autotime.team_settings SET on_error = 'raise' WHERE team_id = 1;
SELECT * FROM pg_temp.calls_captured();
SELECT source_id, sqlstate FROM autotime.capture_failures WHERE team_id = 1 ORDER BY source_id;
ALTER TABLE firm.time_entries DROP CONSTRAINT one_line_per_member_day;

-- An entry the activity already has is kept, and the new link points at it.
INSERT INTO time_entries (team_id, client_id, case_id, user_id, work_date, minutes, description, source_kind, source_id)
VALUES (1, 100, 1000, 10, '2026-03-12', 42, 'Entered by hand before the call was', 'call', 7);
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 7, 100, 10, 'outbound', 'completed', '2026-03-12 15:00+00', 600);
SELECT * FROM pg_temp.calls_captured() WHERE id = 7;
SELECT count(*) AS entries_of_call_7 FROM firm.time_entries WHERE team_id = 1 AND source_id = 7;

-- A link in force that this transaction did not claim is another capture's: the activity gets no
-- second entry. (Call 8 and its entry deleted with triggers off: its link stays in force.)
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 8, 100, 10, 'outbound', 'completed', '2026-03-12 16:00+00', 600);
SET session_replication_role = replica;
DELETE FROM time_entries WHERE team_id = 1 AND source_kind = 'call' AND source_id = 8;
DELETE FROM calls WHERE team_id = 1 AND id = 8;
RESET session_replication_role;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 8, 100, 10, 'outbound', 'completed', '2026-03-12 16:00+00', 1200);
SELECT * FROM pg_temp.calls_captured() WHERE id = 8;

-- Nor does a link an earlier statement of the same transaction wrote (only the claim made by the
-- capture's own statement counts): call 9's link is written first, then the call.
BEGIN;
INSERT INTO autotime.activity_links (team_id, kind, source_key, source_id) VALUES (1, 'call', '9', 9);
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 9, 100, 10, 'outbound', 'completed', '2026-03-12 18:00+00', 600);
COMMIT;
SELECT * FROM pg_temp.calls_captured() WHERE id = 9;

-- Nor does a text re-sent in the transaction that sent it: the link of its key, claimed in this
-- transaction, is the first text's.
BEGIN;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at)
VALUES (1, 50, 100, 10, 'outbound', 'sent', 'SM-resent', '2026-03-12 17:00+00');
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at)
VALUES (1, 51, 100, 10, 'outbound', 'sent', 'SM-resent', '2026-03-12 17:01+00');
COMMIT;
SELECT source_id, minutes FROM firm.time_entries WHERE team_id = 1 AND source_kind = 'sms' ORDER BY source_id;

-- A call deleted and inserted again in one transaction takes its released link back and gets its
-- entry again, once.
BEGIN;
DELETE FROM calls WHERE team_id = 1 AND id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 2400);
COMMIT;
SELECT * FROM pg_temp.calls_captured() WHERE id = 1;
SELECT count(*) AS entries_of_call_1 FROM firm.time_entries WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1;

-- A second call log has an id space of its own, and its calls' links keys of their own: a call
-- of it refused by the firm's key is refused the same way, and once the key is gone, written.
CREATE TABLE firm.voip_calls (LIKE firm.calls INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE firm.voip_calls ADD PRIMARY KEY (team_id, id);
SELECT autotime.attach('firm.voip_calls', 'call');
ALTER TABLE firm.time_entries ADD CONSTRAINT one_line_per_member_day UNIQUE (team_id, user_id, work_date, description);
SELECT pg_temp.outcome($$INSERT INTO firm.voip_calls (team_id, id, client_id, user_id, direction, status, started_at,
                                                      duration_seconds)
                          VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 18:00+00', 600)$$) AS voip_call_1;
ALTER TABLE firm.time_entries DROP CONSTRAINT one_line_per_member_day;
INSERT INTO voip_calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 18:00+00', 600);
SELECT source_id, source_table, work_date, minutes FROM firm.time_entries
 WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1 ORDER BY source_table;
SELECT source_key, source_id, key_space FROM autotime.activity_links
 WHERE team_id = 1 AND kind = 'call' AND source_id = 1 ORDER BY source_key;
