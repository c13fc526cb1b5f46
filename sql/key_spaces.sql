-- Two tables attached for one kind never share an id space (SPEC 4.11): the kind's first table
-- keys its activities by id; a table attached while another of its kind is gets a space of its
-- own (its links and its entries name it), so the same id in both is two activities.
\i test/fixtures/small_firm.sql

-- A second call log (a second phone system), attached for 'call' while firm.calls is.
CREATE TABLE firm.voip_calls (LIKE firm.calls INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE firm.voip_calls ADD PRIMARY KEY (team_id, id);
SELECT autotime.attach('firm.voip_calls', 'call');
SELECT source::text, kind, key_space FROM autotime.attachments WHERE kind = 'call' ORDER BY source::text;
-- Attached again, it keeps its space.
SELECT autotime.attach('firm.voip_calls', 'call');
SELECT key_space FROM autotime.attachments WHERE source = 'firm.voip_calls'::regclass;

-- Call 1 of each table: two activities, two drafts (one per table).
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
INSERT INTO voip_calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 12, 'inbound', 'completed', '2026-03-10 16:00+00');
SELECT source_id, source_table, user_id FROM time_entries WHERE source_kind = 'call' ORDER BY source_table;
SELECT source_key, source_id, key_space FROM autotime.activity_links WHERE kind = 'call' ORDER BY source_key;

-- explain and entry_for tell them apart by table; without one they refuse (21000).
\set VERBOSITY default
SELECT autotime.explain('call', 1, 1);
\set VERBOSITY terse
SELECT autotime.explain('call', 1, 1, 'firm.voip_calls') ->> 'outcome' AS voip_outcome,
       autotime.entry_for('call', 1, 1, 'firm.voip_calls') = (SELECT id FROM time_entries WHERE source_table <> '') AS voip_entry,
       autotime.entry_for('call', 1, 1, 'firm.calls') = (SELECT id FROM time_entries WHERE source_kind = 'call' AND source_table = '') AS calls_entry;
SELECT autotime.explain('call', 1, 1, 'firm.sms');

-- A status update of one doesn't capture the other again; a replay into one stays one activity.
UPDATE voip_calls SET duration_seconds = 60 WHERE id = 1;
INSERT INTO voip_calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 2, 100, 12, 'inbound', 'completed', '2026-03-10 17:00+00');
SELECT count(*) AS call_drafts FROM time_entries WHERE source_kind = 'call';

-- Deleting the second table's call 1 takes its draft only; sent again, it is captured again.
DELETE FROM voip_calls WHERE id = 1;
SELECT source_id, source_table FROM time_entries WHERE source_kind = 'call' ORDER BY source_table, source_id;
INSERT INTO voip_calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 12, 'inbound', 'completed', '2026-03-10 16:00+00');
SELECT source_id, source_table FROM time_entries WHERE source_kind = 'call' ORDER BY source_table, source_id;

-- Dismissing the first table's call 1 dismisses that activity only.
SELECT autotime.dismiss(ARRAY[autotime.entry_for('call', 1, 1, 'firm.calls')], 1) AS dismissed;
SELECT source_key, dismissed_at IS NOT NULL AS dismissed FROM autotime.activity_links WHERE kind = 'call' ORDER BY source_key;
SELECT autotime.explain('call', 1, 1, 'firm.calls') ->> 'reason' AS calls_1,
       autotime.explain('call', 1, 1, 'firm.voip_calls') ->> 'outcome' AS voip_1;

-- Renumbering in the second table moves its own draft.
UPDATE voip_calls SET id = 7 WHERE id = 2;
SELECT source_id, source_table FROM time_entries WHERE source_kind = 'call' ORDER BY source_table, source_id;

-- Backfill reads both tables and captures what is missing in each, once.
SET autotime.capture = off;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 3, 100, 10, 'outbound', 'completed', '2026-03-12 15:00+00');
INSERT INTO voip_calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 3, 100, 12, 'inbound', 'completed', '2026-03-12 16:00+00');
RESET autotime.capture;
SELECT autotime.backfill_automatic_time(100, 1) AS created;
SELECT autotime.backfill_automatic_time(100, 1) AS created_again;
SELECT source_id, source_table FROM time_entries WHERE source_kind = 'call' ORDER BY source_table, source_id;

SET autotime.capture = off;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 4, 100, 10, 'outbound', 'completed', '2026-03-13 15:00+00');
INSERT INTO voip_calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 4, 100, 12, 'inbound', 'completed', '2026-03-13 16:00+00');
RESET autotime.capture;
CALL autotime.backfill_team(1);
CALL autotime.backfill_team(1);
SELECT source_id, source_table FROM time_entries WHERE source_kind = 'call' ORDER BY source_table, source_id;

-- TRUNCATE of the second table takes its drafts only.
TRUNCATE voip_calls;
SELECT source_id, source_table FROM time_entries WHERE source_kind = 'call' ORDER BY source_table, source_id;

-- An entries table that can't tell the tables apart is refused while a table has a space of its own.
CREATE TABLE firm.plain_entries (LIKE firm.time_entries INCLUDING DEFAULTS);
ALTER TABLE firm.plain_entries DROP COLUMN source_table;
ALTER TABLE firm.plain_entries ADD PRIMARY KEY (team_id, id),
  ADD CONSTRAINT plain_entries_one_per_activity UNIQUE (team_id, source_kind, source_id);
\set VERBOSITY default
SELECT autotime.bind('time_entries', 'firm.plain_entries');
ALTER TABLE firm.plain_entries ADD COLUMN source_table text NOT NULL DEFAULT '';
SELECT autotime.bind('time_entries', 'firm.plain_entries');
\set VERBOSITY terse
ALTER TABLE firm.plain_entries DROP CONSTRAINT plain_entries_one_per_activity,
  ADD CONSTRAINT plain_entries_one_per_activity UNIQUE (team_id, source_kind, source_id, source_table);
SELECT autotime.bind('time_entries', 'firm.plain_entries');
SELECT autotime.bind('time_entries', 'firm.time_entries');
-- Detached, the second table lets go of its space; the kind's first table keeps the default one.
SELECT autotime.detach('firm.voip_calls');
SELECT source::text, key_space FROM autotime.attachments WHERE kind = 'call';
