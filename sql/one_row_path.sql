-- One inserted row of any kind is decided by index probes from C when the bound tables allow it
-- (plain tables with the usual keys, or tables partitioned by team_id, whose partitions the probes
-- route to: every run of this suite), else by the set-based SQL; a multi-row INSERT always by the
-- SQL. Both must decide alike: every row below is inserted on its own, and its twin (id + 1000; a
-- text's provider id + '-twin') with all the other twins in one multi-row INSERT; their verdicts,
-- entries and ledger keys are compared.
\i test/fixtures/small_firm.sql

-- Client 104: two open cases updated at the same time (the higher id wins); client 105: an open
-- case and a newer one at intake (not closed or archived: open, and it wins).
INSERT INTO clients (team_id, id, name) VALUES (1, 104, 'Tie Inc'), (1, 105, 'Nulls Ltd');
INSERT INTO cases (team_id, id, client_id, title, status, billing_type, updated_at) VALUES
  (1, 1040, 104, 'Tie one', 'open', 'hourly', '2026-01-05 00:00+00'),
  (1, 1041, 104, 'Tie two', 'open', 'hourly', '2026-01-05 00:00+00'),
  (1, 1050, 105, 'Older', 'open', 'hourly', '2026-01-01 00:00+00'),
  (1, 1051, 105, 'At intake', 'intake', 'hourly', '2026-01-06 00:00+00');
-- Per-kind minutes (ir_report has none: minutes_per_activity), calls by rounded duration.
UPDATE autotime.team_settings SET minutes_per_activity = 12, call_minutes = 10, call_minutes_mode = 'rounded_duration',
  sms_minutes = 6, document_minutes = 30, event_minutes = 45 WHERE team_id = 1;

-- one_by_one(table, stage): inserts the stage's rows into the table, one INSERT per row (by id);
-- returns how many rows the set-based SQL decided meanwhile (calls of autotime.rule_skip_reason).
SET track_functions = 'all';
CREATE FUNCTION pg_temp.one_by_one(target regclass, stage regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  counted CONSTANT oid[] := ARRAY(SELECT p.oid FROM pg_proc p WHERE p.proname = 'rule_skip_reason'
                                  AND p.pronamespace = 'autotime'::regnamespace);  -- (both signatures)
  before CONSTANT bigint := (SELECT coalesce(sum(pg_stat_get_xact_function_calls(c)), 0) FROM unnest(counted) c);
  row_id bigint;
BEGIN
  FOR row_id IN EXECUTE format('SELECT id FROM %s ORDER BY id', stage) LOOP
    EXECUTE format('INSERT INTO %s SELECT * FROM %s WHERE id = $1', target, stage) USING row_id;
  END LOOP;
  RETURN (SELECT coalesce(sum(pg_stat_get_xact_function_calls(c)), 0) FROM unnest(counted) c) - before;
END $$;
-- twins(table, stage): the same rows as id + 1000 (texts: provider id + '-twin'), in one INSERT
-- (the set-based SQL).
CREATE FUNCTION pg_temp.twins(target regclass, stage regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('UPDATE %s SET id = id + 1000', stage);
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = stage AND attname = 'provider_message_id') THEN
    EXECUTE format($u$UPDATE %s SET provider_message_id = provider_message_id || '-twin' WHERE provider_message_id <> ''$u$,
                   stage);
  END IF;
  EXECUTE format('INSERT INTO %s SELECT * FROM %s', target, stage);
  EXECUTE format('TRUNCATE %s', stage);
END $$;
-- Both, checking the path: true when the SQL decided none of the rows inserted one by one.
CREATE FUNCTION pg_temp.insert_both_ways(target regclass, stage regclass) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  decided_by_sql bigint;
BEGIN
  decided_by_sql := pg_temp.one_by_one(target, stage);
  PERFORM pg_temp.twins(target, stage);
  RETURN decided_by_sql = 0;
END $$;
-- What became of each row inserted on its own, and whether its twin became the same: verdict,
-- entry (all but its id and source_id) and ledger key (a text's provider key with '-twin', an
-- id key with id + 1000).
CREATE FUNCTION pg_temp.outcomes(k text, source regclass)
RETURNS TABLE (team bigint, id bigint, verdict text, case_id bigint, user_id bigint, work_date date, minutes integer,
               description text, billable boolean, rate numeric, link_key text, twin_alike boolean)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format($q$
    WITH o AS (
      SELECT a.team_id, a.id, x ->> 'outcome' || coalesce(' ' || (x ->> 'reason'), '') AS verdict,
             (SELECT row(e.team_id, e.client_id, e.case_id, e.user_id, e.work_date, e.minutes, e.description,
                         e.billable, e.status, e.rate, e.source_kind, e.source_table)::text
                FROM firm.time_entries e WHERE e.id = (x ->> 'time_entry_id')::bigint) AS entry,
             (SELECT l.source_key FROM autotime.activity_links l WHERE l.team_id = a.team_id AND l.kind = %1$L
                AND l.source_id = a.id AND l.key_space IS NULL) AS link_key,
             (x ->> 'time_entry_id')::bigint AS entry_id
        FROM %2$s a, autotime.explain(%1$L, a.id, a.team_id) x WHERE a.id < 1000),
    t AS (
      SELECT a.team_id, a.id - 1000 AS id, x ->> 'outcome' || coalesce(' ' || (x ->> 'reason'), '') AS verdict,
             (SELECT row(e.team_id, e.client_id, e.case_id, e.user_id, e.work_date, e.minutes, e.description,
                         e.billable, e.status, e.rate, e.source_kind, e.source_table)::text
                FROM firm.time_entries e WHERE e.id = (x ->> 'time_entry_id')::bigint) AS entry,
             (SELECT l.source_key FROM autotime.activity_links l WHERE l.team_id = a.team_id AND l.kind = %1$L
                AND l.source_id = a.id AND l.key_space IS NULL) AS link_key
        FROM %2$s a, autotime.explain(%1$L, a.id, a.team_id) x WHERE a.id > 1000)
    SELECT o.team_id, o.id, o.verdict, e.case_id, e.user_id, e.work_date, e.minutes,
           CASE WHEN octet_length(e.description) > 60
                THEN left(e.description, 30) || '... (' || octet_length(e.description) || ' bytes)'
                ELSE e.description END, e.billable,
           e.rate, o.link_key,
           t.id IS NOT NULL AND o.verdict = t.verdict AND o.entry IS NOT DISTINCT FROM t.entry
           AND (o.link_key IS NULL) = (t.link_key IS NULL)
           AND (o.link_key NOT LIKE 'provider:%%' OR o.link_key || '-twin' = t.link_key)
           AND (o.link_key LIKE 'provider:%%' OR (o.link_key = o.id::text AND t.link_key = (o.id + 1000)::text))
      FROM o LEFT JOIN t ON t.team_id = o.team_id AND t.id = o.id
      LEFT JOIN firm.time_entries e ON e.id = o.entry_id
     WHERE o.id < 1000 ORDER BY o.id$q$, k, source);
END $$;

-- Calls: ids 1..19.
CREATE TEMP TABLE stage_calls (LIKE firm.calls);
INSERT INTO stage_calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 61),     -- the client's newest open case
  (1, 2, 100, 1000, 12, 'inbound', 'completed', '2026-03-11 03:30+00', NULL),    -- its own case; NY date the day before
  (1, 3, 100, 1020, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 600),    -- case of another client
  (1, 4, 101, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 0),      -- no open case
  (1, 5, 102, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 5000),   -- flat fee: non-billable
  (1, 6, 103, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', -5),     -- contingency
  (1, 7, 100, NULL, 11, 'outbound', 'completed', '2026-03-10 15:00+00', 60),     -- may not log time
  (1, 8, 100, NULL, 99, 'outbound', 'completed', '2026-03-10 15:00+00', 60),     -- not a member
  (1, 9, 100, NULL, NULL, 'outbound', 'completed', '2026-03-10 15:00+00', 60),   -- no actor
  (1, 10, 100, NULL, 10, 'outbound', 'completed', '12000-01-01 00:00+00', 60),   -- time out of range
  (1, 11, 100, NULL, 10, 'outbound', 'completed', '0500-01-01 00:00+00 BC', 60), -- ... both ways
  (3, 12, 300, NULL, 30, 'outbound', 'completed', '2026-03-10 15:00+00', 60),    -- team not opted in
  (2, 13, 200, NULL, 20, 'inbound', 'completed', '2026-03-11 03:30+00', 60),     -- UTC team
  (1, 14, 100, NULL, 10, 'outbound', 'ringing', '2026-03-10 15:00+00', 60),      -- not qualifying
  (1, 15, 104, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),    -- tie: higher id
  (1, 16, 105, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60);    -- intake counts as open
SELECT pg_temp.insert_both_ways('firm.calls', 'stage_calls') AS decided_as_expected;

-- Texts: ids 1..29; provider ids, empty and missing ones, a replay.
CREATE TEMP TABLE stage_sms (LIKE firm.sms);
INSERT INTO stage_sms (team_id, id, client_id, case_id, user_id, direction, status, body, provider_message_id, sent_at) VALUES
  (1, 1, 100, NULL, 10, 'outbound', 'sent', 'secret body', 'SM-1', '2026-03-10 15:00+00'),
  (1, 2, 100, 1000, 12, 'outbound', 'delivered', NULL, '', '2026-03-11 03:30+00'),   -- empty provider id: keyed by id
  (1, 3, 100, 1020, 10, 'outbound', 'sent', NULL, NULL, '2026-03-10 15:00+00'),
  (1, 4, 101, NULL, 10, 'outbound', 'sent', NULL, 'SM-4', '2026-03-10 15:00+00'),
  (1, 5, 102, NULL, 10, 'outbound', 'sent', NULL, 'SM-5', '2026-03-10 15:00+00'),
  (1, 6, 103, NULL, 10, 'outbound', 'sent', NULL, 'SM-6', '2026-03-10 15:00+00'),
  (1, 7, 100, NULL, 11, 'outbound', 'sent', NULL, 'SM-7', '2026-03-10 15:00+00'),
  (1, 8, 100, NULL, 99, 'outbound', 'sent', NULL, 'SM-8', '2026-03-10 15:00+00'),
  (1, 9, 100, NULL, NULL, 'outbound', 'sent', NULL, 'SM-9', '2026-03-10 15:00+00'),
  (1, 10, 100, NULL, 10, 'outbound', 'sent', NULL, 'SM-10', NULL),                  -- no time
  (1, 11, 100, NULL, 10, 'outbound', 'sent', NULL, 'SM-11', '12000-01-01 00:00+00'),
  (3, 12, 300, NULL, 30, 'outbound', 'sent', NULL, 'SM-12', '2026-03-10 15:00+00'),
  (2, 13, 200, NULL, 20, 'outbound', 'sent', NULL, 'SM-1', '2026-03-11 03:30+00'),  -- same provider id, other team
  (1, 14, 100, NULL, 10, 'inbound', 'received', NULL, 'SM-14', '2026-03-10 15:00+00'),
  (1, 15, 104, NULL, 10, 'outbound', 'sent', NULL, 'SM-15', '2026-03-10 15:00+00'),
  (1, 16, 105, NULL, 10, 'outbound', 'sent', NULL, 'SM-16', '2026-03-10 15:00+00'),
  (1, 17, 100, NULL, 12, 'outbound', 'delivered', NULL, 'SM-1', '2026-03-10 15:01+00');  -- replay of text 1
SELECT pg_temp.insert_both_ways('firm.sms', 'stage_sms') AS decided_as_expected;

-- Documents: a template makes it qualify; its name is the label (clipped, cleaned).
CREATE TEMP TABLE stage_documents (LIKE firm.documents);
INSERT INTO stage_documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at) VALUES
  (1, 1, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 15:00+00'),
  (1, 2, 100, 1000, 12, E'  Lease\tdraft\n  ', 7, '2026-03-11 03:30+00'),          -- control characters
  (1, 3, 100, 1020, 10, 'Motion', 7, '2026-03-10 15:00+00'),
  (1, 4, 101, NULL, 10, 'Motion', 7, '2026-03-10 15:00+00'),
  (1, 5, 102, NULL, 10, repeat('é', 150), 7, '2026-03-10 15:00+00'),                -- 300 bytes: clipped at 200
  (1, 6, 103, NULL, 10, '', 7, '2026-03-10 15:00+00'),                              -- no name
  (1, 7, 100, NULL, 11, 'Motion', 7, '2026-03-10 15:00+00'),
  (1, 8, 100, NULL, 99, 'Motion', 7, '2026-03-10 15:00+00'),
  (1, 9, 100, NULL, NULL, 'Motion', 7, '2026-03-10 15:00+00'),
  (1, 10, 100, NULL, 10, 'Motion', 7, '12000-01-01 00:00+00'),
  (3, 12, 300, NULL, 30, 'Motion', 7, '2026-03-10 15:00+00'),
  (2, 13, 200, NULL, 20, 'Motion', 7, '2026-03-11 03:30+00'),
  (1, 14, 100, NULL, 10, 'Scratch notes', NULL, '2026-03-10 15:00+00'),             -- no template
  (1, 15, 104, NULL, 10, repeat('x', 199) || 'é', 7, '2026-03-10 15:00+00'),        -- a character across byte 200
  (1, 16, 105, NULL, 10, E'Bidi \u202Eevil\u202C name', 7, '2026-03-10 15:00+00');
SELECT pg_temp.insert_both_ways('firm.documents', 'stage_documents') AS decided_as_expected;

-- IR reports always qualify; the title is the label, never the transcript.
CREATE TEMP TABLE stage_ir_reports (LIKE firm.ir_reports);
INSERT INTO stage_ir_reports (team_id, id, client_id, case_id, user_id, title, transcript, created_at) VALUES
  (1, 1, 100, NULL, 10, 'Intake interview', 'private words', '2026-03-10 15:00+00'),
  (1, 2, 100, 1000, 12, 'Witness call', NULL, '2026-03-11 03:30+00'),
  (1, 3, 100, 1020, 10, 'Report', NULL, '2026-03-10 15:00+00'),
  (1, 4, 101, NULL, 10, 'Report', NULL, '2026-03-10 15:00+00'),
  (1, 5, 102, NULL, 10, 'Report', NULL, '2026-03-10 15:00+00'),
  (1, 6, 103, NULL, 10, E'\x01\x02', NULL, '2026-03-10 15:00+00'),                  -- nothing printable
  (1, 7, 100, NULL, 11, 'Report', NULL, '2026-03-10 15:00+00'),
  (1, 8, 100, NULL, 99, 'Report', NULL, '2026-03-10 15:00+00'),
  (1, 9, 100, NULL, NULL, 'Report', NULL, '2026-03-10 15:00+00'),
  (1, 10, 100, NULL, 10, 'Report', NULL, '0500-01-01 00:00+00 BC'),
  (3, 12, 300, NULL, 30, 'Report', NULL, '2026-03-10 15:00+00'),
  (2, 13, 200, NULL, 20, 'Report', NULL, '2026-03-11 03:30+00'),
  (1, 15, 104, NULL, 10, 'Report', NULL, '2026-03-10 15:00+00'),
  (1, 16, 105, NULL, 10, 'Report', NULL, '2026-03-10 15:00+00');
SELECT pg_temp.insert_both_ways('firm.ir_reports', 'stage_ir_reports') AS decided_as_expected;

-- Events: completed ones qualify, by whoever completed them (else the organiser), dated then.
CREATE TEMP TABLE stage_events (LIKE firm.events);
INSERT INTO stage_events (team_id, id, client_id, case_id, user_id, title, starts_at, completed_at, completed_by) VALUES
  (1, 1, 100, NULL, 10, 'Hearing', '2026-03-10 14:00+00', '2026-03-10 15:00+00', 12),   -- completed by Cy
  (1, 2, 100, 1000, 12, 'Deposition', '2026-03-10 14:00+00', '2026-03-11 03:30+00', NULL),
  (1, 3, 100, 1020, 10, 'Meeting', '2026-03-10 14:00+00', '2026-03-10 15:00+00', NULL),
  (1, 4, 101, NULL, 10, 'Meeting', '2026-03-10 14:00+00', '2026-03-10 15:00+00', NULL),
  (1, 5, 102, NULL, 10, 'Meeting', '2026-03-10 14:00+00', '2026-03-10 15:00+00', NULL),
  (1, 6, 103, NULL, 10, 'Meeting', '2026-03-10 14:00+00', '2026-03-10 15:00+00', NULL),
  (1, 7, 100, NULL, 10, 'Meeting', '2026-03-10 14:00+00', '2026-03-10 15:00+00', 11),   -- completer may not log
  (1, 8, 100, NULL, 99, 'Meeting', '2026-03-10 14:00+00', '2026-03-10 15:00+00', NULL),
  (1, 9, 100, NULL, NULL, 'Meeting', '2026-03-10 14:00+00', '2026-03-10 15:00+00', NULL),
  (1, 10, 100, NULL, 10, 'Meeting', '2026-03-10 14:00+00', '12000-01-01 00:00+00', NULL),
  (3, 12, 300, NULL, 30, 'Meeting', '2026-03-10 14:00+00', '2026-03-10 15:00+00', NULL),
  (2, 13, 200, NULL, 20, 'Meeting', '2026-03-10 14:00+00', '2026-03-11 03:30+00', NULL),
  (1, 14, 100, NULL, 10, 'Meeting', '2026-03-10 14:00+00', NULL, 10),                   -- not completed
  (1, 15, 104, NULL, NULL, 'Meeting', '2026-03-10 14:00+00', '2026-03-10 15:00+00', 10), -- organiser unknown
  (1, 16, 105, NULL, 10, 'Meeting', '2026-03-10 14:00+00', '2026-03-10 15:00+00', NULL);
SELECT pg_temp.insert_both_ways('firm.events', 'stage_events') AS decided_as_expected;

-- Settings that skip (and stay so: explain reports a linked row as created whatever changes
-- later): team 2 tracks nothing (ids 20), team 1 skips flat-fee cases (ids 30).
UPDATE autotime.team_settings SET track_calls = false, track_sms = false, track_documents = false,
  track_ir_reports = false, track_events = false WHERE team_id = 2;
UPDATE autotime.team_settings SET flat_fee_policy = 'skip' WHERE team_id = 1;
INSERT INTO stage_calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (2, 20, 200, 20, 'outbound', 'completed', '2026-03-10 15:00+00'), (1, 30, 102, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
INSERT INTO stage_sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at)
VALUES (2, 20, 200, 20, 'outbound', 'sent', NULL, '2026-03-10 15:00+00'), (1, 30, 102, 10, 'outbound', 'sent', 'SM-30', '2026-03-10 15:00+00');
INSERT INTO stage_documents (team_id, id, client_id, user_id, name, template_id, created_at)
VALUES (2, 20, 200, 20, 'Motion', 7, '2026-03-10 15:00+00'), (1, 30, 102, 10, 'Motion', 7, '2026-03-10 15:00+00');
INSERT INTO stage_ir_reports (team_id, id, client_id, user_id, title, created_at)
VALUES (2, 20, 200, 20, 'Report', '2026-03-10 15:00+00'), (1, 30, 102, 10, 'Report', '2026-03-10 15:00+00');
INSERT INTO stage_events (team_id, id, client_id, user_id, title, starts_at, completed_at)
VALUES (2, 20, 200, 20, 'Meeting', '2026-03-10 14:00+00', '2026-03-10 15:00+00'),
       (1, 30, 102, 10, 'Meeting', '2026-03-10 14:00+00', '2026-03-10 15:00+00');
SELECT pg_temp.insert_both_ways(k.t, k.s) AS decided_as_expected
  FROM (VALUES ('firm.calls'::regclass, 'stage_calls'::regclass), ('firm.sms', 'stage_sms'),
               ('firm.documents', 'stage_documents'), ('firm.ir_reports', 'stage_ir_reports'),
               ('firm.events', 'stage_events')) k(t, s);

-- What each row inserted on its own became; twin_alike: its twin, decided by the SQL, the same.
SELECT * FROM pg_temp.outcomes('call', 'firm.calls');
SELECT * FROM pg_temp.outcomes('sms', 'firm.sms');
SELECT * FROM pg_temp.outcomes('document', 'firm.documents');
SELECT * FROM pg_temp.outcomes('ir_report', 'firm.ir_reports');
SELECT * FROM pg_temp.outcomes('event', 'firm.events');

-- A second table attached for texts has an id space of its own: its id keys carry it, its provider
-- keys don't (a replayed webhook is the same text whichever table it lands in).
CREATE TABLE firm.sms_archive (LIKE firm.sms INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE firm.sms_archive ADD PRIMARY KEY (team_id, id);
SELECT autotime.attach('firm.sms_archive', 'sms') IS NOT NULL AS attached;
CREATE TEMP TABLE stage_archive (LIKE firm.sms_archive);
INSERT INTO stage_archive (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', 'SM-A1', '2026-03-10 15:00+00'),
  (1, 2, 100, 10, 'outbound', 'sent', NULL, '2026-03-10 15:00+00'),
  (1, 3, 100, 10, 'outbound', 'sent', 'SM-1', '2026-03-10 15:00+00');  -- a replay of firm.sms's text 1
SELECT pg_temp.insert_both_ways('firm.sms_archive', 'stage_archive') AS decided_as_expected;
SELECT l.source_id, l.source_key, l.key_space, e.source_table, e.description
  FROM autotime.activity_links l LEFT JOIN time_entries e ON e.team_id = l.team_id AND e.source_kind = 'sms'
   AND e.source_id = l.source_id AND e.source_table = coalesce(l.key_space, '')
 WHERE l.kind = 'sms' AND l.team_id = 1 AND (l.key_space IS NOT NULL OR l.source_key IN ('provider:SM-1', 'provider:SM-1-twin'))
 ORDER BY l.source_id, l.source_key;
RESET track_functions;
