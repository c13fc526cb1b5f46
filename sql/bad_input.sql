-- The bad input catalogue: each case gets a recorded skip reason, a clear error, or the table's own
-- refusal; none crashes the backend, none loses or half-writes an activity. (Rows the reference
-- schema's NOT NULL and foreign keys refuse before autotime sees them are PostgreSQL's business and
-- not listed; case_resolution shows the keys that keep firms apart.)
\i test/fixtures/small_firm.sql

-- 'ok', or the error's SQLSTATE and message (for autotime's own errors, which name no partition).
CREATE FUNCTION pg_temp.failed(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  state text;
  message text;
BEGIN
  EXECUTE statement;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
  RETURN format('error %s: %s', state, message);
END
$$;
-- Records a completed call and reports what became of it: the table's verdict, then explain's
-- (its reason, or its outcome), then the entry's case, minutes and work date when there is one.
CREATE FUNCTION pg_temp.call(id bigint, team bigint, client bigint, case_id bigint, actor bigint,
    started timestamptz DEFAULT '2026-03-10 15:00+00', seconds int DEFAULT 60) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  verdict text := pg_temp.refused(format(
    'INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) '
    'VALUES (%L, %L, %L, %L, %L, ''outbound'', ''completed'', %L, %L)', team, id, client, case_id, actor, started, seconds));
  entry text;
BEGIN
  IF verdict <> 'accepted' THEN
    RETURN verdict;
  END IF;
  SELECT format('case %s, %s min, %s', e.case_id, e.minutes, e.work_date) INTO entry
  FROM time_entries e WHERE e.team_id = team AND e.source_kind = 'call' AND e.source_id = call.id;
  RETURN format('accepted; %s%s', pg_temp.why('call', id), coalesce('; entry: ' || entry, ''));
END
$$;
-- Explain's reason, or its outcome when there is none.
CREATE FUNCTION pg_temp.why(kind text, id bigint) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT coalesce(e ->> 'reason', e ->> 'outcome') FROM autotime.explain(kind, id) e);
END
$$;
-- A row the table should accept, and what explain says of it afterwards.
CREATE FUNCTION pg_temp.row(statement text, kind text, id bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  verdict text := pg_temp.refused(statement);
BEGIN
  RETURN CASE WHEN verdict = 'accepted' THEN 'accepted; ' || pg_temp.why(kind, id) ELSE verdict END;
END
$$;

-- Activity rows: NULLs, strangers, other firms.
SELECT 1 AS "case", pg_temp.call(1, 1, 100, NULL, NULL);              -- no actor
SELECT 2 AS "case", pg_temp.row($$INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at)
                                      VALUES (1, 2, 100, 11, 'outbound', 'sent', now())$$, 'sms', 2);  -- may not log time
SELECT 3 AS "case", pg_temp.row($$INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at)
                                      VALUES (1, 3, 100, 10, 'outbound', 'sent', NULL)$$, 'sms', 3);
SELECT 4 AS "case", pg_temp.row($$INSERT INTO documents (team_id, id, client_id, user_id, name, template_id)
                                      VALUES (1, 4, 100, 99, 'Letter', 1)$$, 'document', 4);      -- nobody we know
SELECT 5 AS "case", pg_temp.row($$INSERT INTO events (team_id, id, client_id, user_id, title, starts_at, completed_at, completed_by)
                                      VALUES (1, 5, 100, 10, 'Visit', now(), now(), 20)$$, 'event', 5);  -- another firm's member
SELECT 6 AS "case", pg_temp.row($$INSERT INTO documents (team_id, id, client_id, user_id, name, template_id)
                                      VALUES (1, 6, 100, 10, 'Upload', NULL)$$, 'document', 6);
SELECT 7 AS "case", pg_temp.row($$INSERT INTO events (team_id, id, client_id, user_id, title, starts_at, completed_at, completed_by)
                                      VALUES (1, 7, 100, NULL, 'Hearing', now(), now(), NULL)$$, 'event', 7);
SELECT 8 AS "case", pg_temp.row($$INSERT INTO sms (team_id, id, client_id, case_id, user_id, direction, status, sent_at)
                                      VALUES (1, 8, 102, 1000, 10, 'outbound', 'sent', now())$$, 'sms', 8);  -- another client's case
SELECT 9 AS "case", pg_temp.row($$INSERT INTO ir_reports (team_id, id, client_id, user_id, title)
                                      VALUES (1, 9, 101, 10, 'Call notes')$$, 'ir_report', 9);     -- only closed/archived
SELECT 10 AS "case", pg_temp.call(10, 1, 100, NULL, 20);              -- another firm's member
SELECT 11 AS "case", pg_temp.call(11, 1, 100, NULL, 99);              -- nobody we know
SELECT 12 AS "case", pg_temp.call(12, 1, 100, NULL, 11);              -- may not log time
SELECT 13 AS "case", pg_temp.call(13, 1, 100, 1002, 10);             -- own case is closed: used, it was named
SELECT 14 AS "case", pg_temp.call(14, 1, 101, NULL, 10);              -- only closed/archived
SELECT 15 AS "case", pg_temp.call(15, 1, 102, 1000, 10);              -- another client's case
SELECT 16 AS "case", pg_temp.call(16, 1, 100, NULL, 10, '2026-03-10 15:00+00', 0);
UPDATE autotime.team_settings SET call_minutes_mode = 'rounded_duration' WHERE team_id = 1;
SELECT 17 AS "case", pg_temp.call(17, 1, 100, NULL, 10, '2026-03-10 15:00+00', -600);       -- negative duration
SELECT 18 AS "case", pg_temp.call(18, 1, 100, NULL, 10, '2026-03-10 15:00+00', 2147483647);       -- absurd duration
SELECT 19 AS "case", pg_temp.call(9223372036854775807, 1, 100, NULL, 10);                     -- largest id
SELECT 20 AS "case", pg_temp.call(20, 1, 100, NULL, 10, '1900-01-01 00:00+00');                 -- ancient date
SELECT 21 AS "case", pg_temp.call(21, 1, 100, NULL, 10, 'infinity');                            -- no real time

-- Names and titles: huge, multi-byte, control characters, empty; bodies and transcripts never leak.
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id) VALUES
  (1, 22, 100, 10, repeat('x', 100000), 1),
  (1, 23, 100, 10, repeat('é', 99) || '€€€€', 1),
  (1, 24, 100, 10, E'Motion\r\n\tto\u0007 dismiss', 1),
  (1, 25, 100, 10, '', 1);
SELECT 22 + row_number() OVER (ORDER BY source_id) - 1 AS "case", length(description) AS characters,
       octet_length(description) AS bytes, left(description, 40) AS starts
FROM time_entries WHERE source_kind = 'document' ORDER BY source_id;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, body, provider_message_id, sent_at)
VALUES (1, 26, 100, 10, 'outbound', 'sent', 'SSN 123-45-6789', 'SM-26', now());
INSERT INTO ir_reports (team_id, id, client_id, user_id, title, transcript)
VALUES (1, 27, 100, 10, 'Intake', 'SSN 123-45-6789');
SELECT 26 AS "case", count(*) AS descriptions_with_private_text FROM time_entries WHERE description LIKE '%123-45%';
INSERT INTO events (team_id, id, client_id, user_id, title, starts_at, completed_at)
VALUES (1, 27, 100, 10, E'\t\r\n', now(), now());
SELECT 27 AS "case", description FROM time_entries WHERE source_kind = 'event' AND source_id = 27;  -- title of control characters

-- Replays and keys.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 28, 100, 10, 'outbound', 'sent', 'SM-28', now()), (1, 29, 100, 10, 'outbound', 'delivered', 'SM-28', now()),
  (1, 30, 100, 10, 'outbound', 'sent', '', now()), (1, 31, 100, 10, 'outbound', 'sent', '', now());
SELECT 28 AS "case", string_agg(source_id::text, ',' ORDER BY source_id) AS captured_texts
FROM time_entries WHERE source_kind = 'sms' AND source_id BETWEEN 28 AND 31;

-- Settings out of range or misspelled.
SELECT 29 AS "case", pg_temp.refused($$UPDATE autotime.team_settings SET timezone = 'Mars/Olympus' WHERE team_id = 1$$);
SELECT 30 AS "case", pg_temp.refused($$UPDATE autotime.team_settings SET timezone = NULL WHERE team_id = 1$$);
SELECT 31 AS "case", pg_temp.refused($$UPDATE autotime.team_settings SET minutes_per_activity = 0 WHERE team_id = 1$$);
SELECT 32 AS "case", pg_temp.refused($$UPDATE autotime.team_settings SET document_minutes = 5000 WHERE team_id = 1$$);
SELECT 33 AS "case", pg_temp.refused($$UPDATE autotime.team_settings SET call_minutes_mode = 'exact' WHERE team_id = 1$$);
SELECT 34 AS "case", pg_temp.refused($$UPDATE autotime.team_settings SET flat_fee_policy = 'free' WHERE team_id = 1$$);
SELECT 35 AS "case", pg_temp.refused($$UPDATE autotime.team_settings SET on_error = 'ignore' WHERE team_id = 1$$);
SELECT 36 AS "case", pg_temp.refused($$INSERT INTO autotime.team_settings (team_id, enabled) VALUES (1, true)$$);
UPDATE autotime.team_settings SET track_events = false WHERE team_id = 1;
SELECT 37 AS "case", pg_temp.row($$INSERT INTO events (team_id, id, client_id, user_id, title, starts_at, completed_at)
                                       VALUES (1, 37, 100, 10, 'Filing', now(), now())$$, 'event', 37);
SELECT 38 AS "case", pg_temp.call(38, 3, 300, NULL, 30);             -- team without settings

-- Rows from before capture existed, and a binding broken by a later ALTER.
SELECT autotime.detach('firm.calls');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 39, 100, 10, 'outbound', 'completed', '2026-01-01 15:00+00');
SELECT autotime.attach('firm.calls', 'call');
SELECT 39 AS "case", pg_temp.why('call', 39) AS before_backfill;
SELECT 39 AS "case", autotime.backfill_automatic_time(100) AS backfilled;
SELECT 39 AS "case", pg_temp.why('call', 39) AS after_backfill;
ALTER TABLE team_members RENAME COLUMN hourly_rate TO rate_per_hour;
SELECT 40 AS "case", pg_temp.failed($$INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
                                      VALUES (1, 40, 100, 10, 'outbound', 'completed', now())$$),
       (SELECT count(*) FROM calls WHERE id = 40) AS call_40_rows;
SELECT 41 AS "case", pg_temp.failed($$SELECT autotime.bind('team_members', 'firm.team_members', '{"hourly_rate": "rate_per_hour"}')$$);
SELECT 41 AS "case", pg_temp.call(40, 1, 100, NULL, 10);

-- Bad arguments to autotime's functions.
SELECT 42 AS "case", pg_temp.failed($$SELECT autotime.explain('fax', 1)$$);
SELECT 43 AS "case", pg_temp.failed($$SELECT autotime.explain('call', NULL)$$);
SELECT 44 AS "case", pg_temp.failed($$SELECT autotime.backfill_automatic_time(NULL)$$);
SELECT 45 AS "case", pg_temp.failed($$SELECT autotime.approve(ARRAY[-1], 10)$$);
SELECT 46 AS "case", pg_temp.failed($$SELECT autotime.approve(ARRAY[NULL]::bigint[], 10)$$);
SELECT 47 AS "case", pg_temp.failed($$SELECT autotime.dismiss(NULL)$$);
SELECT 48 AS "case", pg_temp.failed($$SELECT autotime.reassign((SELECT min(id) FROM firm.time_entries), 1020)$$);
SELECT 49 AS "case", pg_temp.failed($$SELECT autotime.attach('firm.calls', 'voicemail')$$);
SELECT 50 AS "case", pg_temp.failed($$SELECT autotime.bind('invoices', 'firm.time_entries')$$);
SELECT 51 AS "case", pg_temp.failed($$SELECT autotime.create_practice_schema('elsewhere', -1)$$);
SELECT 52 AS "case", pg_temp.failed($$CALL autotime.backfill_team(1, batch_size => -5)$$);

-- Rows with more than one problem: the reason is the first rule that fails, in the order team,
-- kind, qualification, time, actor, permission, case, fee.
SELECT 53 AS "case", pg_temp.call(53, 1, 101, NULL, 11);              -- may not log time, only closed cases
SELECT 54 AS "case", pg_temp.row($$INSERT INTO documents (team_id, id, client_id, case_id, user_id, name, template_id)
                                       VALUES (1, 54, 102, 1000, NULL, 'Memo', 1)$$, 'document', 54);  -- no actor, another client's case
SELECT 55 AS "case", pg_temp.row($$INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
                                       VALUES (3, 55, 300, 30, 'outbound', 'ringing', now())$$, 'call', 55);  -- team disabled, ringing
SELECT 56 AS "case", pg_temp.row($$INSERT INTO events (team_id, id, client_id, user_id, title, starts_at)
                                       VALUES (1, 56, 100, 10, 'Hearing', now())$$, 'event', 56);  -- events off, not completed

-- Nothing was lost: every activity row that exists has the entry explain names, or a skip reason
-- decided by the rules. None is left pending_backfill (which is what a capture that silently did
-- nothing would leave), and no entry is missing or mismatched.
SELECT a.kind, x ->> 'outcome' AS outcome, x ->> 'reason' AS reason, count(*) AS activities, count(e.id) AS entries,
       count(e.id) FILTER (WHERE (x ->> 'time_entry_id')::bigint = e.id) AS entry_named_by_explain
FROM (SELECT 'call' AS kind, team_id, id FROM calls UNION ALL SELECT 'sms', team_id, id FROM sms
      UNION ALL SELECT 'document', team_id, id FROM documents UNION ALL SELECT 'ir_report', team_id, id FROM ir_reports
      UNION ALL SELECT 'event', team_id, id FROM events) a
CROSS JOIN LATERAL autotime.explain(a.kind, a.id) x
LEFT JOIN time_entries e ON e.team_id = a.team_id AND e.source_kind = a.kind AND e.source_id = a.id
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
