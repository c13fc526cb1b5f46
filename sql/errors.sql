-- Bad input gets a clear error naming the problem; nothing crashes, nothing is half-done.
\i test/fixtures/small_firm.sql

-- Attaching and binding validate kinds, roles and columns.
CREATE TABLE firm.phone_log (team_id bigint, id bigint, client_id bigint, matter bigint, user_id bigint,
  status text, direction text, started_at timestamptz, duration_seconds int, PRIMARY KEY (team_id, id));
SELECT autotime.attach('firm.phone_log', 'fax');
SELECT autotime.attach('firm.phone_log', NULL);
SELECT autotime.attach('firm.phone_log', 'call');
SELECT autotime.attach('firm.phone_log', 'call', '{"case_id": "matter_no"}');
SELECT autotime.attach('firm.phone_log', 'call', '{"matter": "case_id"}');
SELECT autotime.attach('firm.phone_log', 'call', '["case_id"]');
SELECT autotime.attach('firm.phone_log', 'call', '{"case_id": 7}');
SELECT autotime.attach('firm.phone_log', 'call', '{"case_id": "matter"}', 'no_such_column = 1');
SELECT autotime.attach('firm.phone_log', 'call', '{"case_id": "matter"}', 'status = ');
SELECT autotime.attach('firm.no_such_table', 'call');
SELECT autotime.bind('invoices', 'firm.time_entries');
SELECT autotime.bind('cases', 'firm.clients');
SELECT autotime.detach('firm.phone_log');
-- Types and keys are checked too.
CREATE TABLE firm.odd_calls (team_id text, id bigint, client_id bigint, case_id bigint, user_id bigint,
  status text, direction text, started_at timestamp, duration_seconds numeric, PRIMARY KEY (team_id, id));
SELECT autotime.attach('firm.odd_calls', 'call');
ALTER TABLE firm.odd_calls ALTER COLUMN team_id TYPE bigint USING team_id::bigint;
SELECT autotime.attach('firm.odd_calls', 'call');
ALTER TABLE firm.odd_calls ALTER COLUMN started_at TYPE timestamptz;
SELECT autotime.attach('firm.odd_calls', 'call');
CREATE TABLE firm.keyless_calls (LIKE firm.calls);
SELECT autotime.attach('firm.keyless_calls', 'call');
CREATE TABLE firm.staff (team_id bigint, user_id bigint, can_log_time text, hourly_rate numeric);
SELECT autotime.bind('team_members', 'firm.staff');
-- None of the failed attempts left an attachment or a trigger behind.
SELECT count(*) AS phone_log_attachments FROM autotime.attachments WHERE source = 'firm.phone_log'::regclass;
SELECT count(*) AS phone_log_triggers FROM pg_trigger WHERE tgrelid = 'firm.phone_log'::regclass;
-- A good mapping and expression attach fine and capture.
SELECT autotime.attach('firm.phone_log', 'call', '{"case_id": "matter"}', $$status = 'done'$$);
INSERT INTO firm.phone_log VALUES (1, 500, 100, NULL, 10, 'done', 'outbound', '2026-03-10 15:00+00', 60),
                                  (1, 501, 100, NULL, 10, 'completed', 'outbound', '2026-03-10 15:00+00', 60);
SELECT source_kind, source_id, case_id FROM time_entries;

-- A later ALTER that breaks the attachment gives a clear error at the next capture, naming the table.
ALTER TABLE firm.phone_log DROP COLUMN matter;
INSERT INTO firm.phone_log VALUES (1, 502, 100, 10, 'done', 'outbound', '2026-03-10 15:00+00', 60);
SELECT count(*) AS phone_log_502 FROM firm.phone_log WHERE id = 502;
-- Re-attaching with a valid mapping repairs it.
ALTER TABLE firm.phone_log ADD COLUMN matter_id bigint;
SELECT autotime.attach('firm.phone_log', 'call', '{"case_id": "matter_id"}', $$status = 'done'$$);
INSERT INTO firm.phone_log (team_id, id, client_id, user_id, status, direction, started_at, duration_seconds)
VALUES (1, 502, 100, 10, 'done', 'outbound', '2026-03-10 15:00+00', 60);
SELECT source_id FROM time_entries ORDER BY source_id;
-- Detach removes capture; links and entries stay.
SELECT autotime.detach('firm.phone_log');
INSERT INTO firm.phone_log (team_id, id, client_id, user_id, status, direction, started_at)
VALUES (1, 503, 100, 10, 'done', 'outbound', '2026-03-10 15:00+00');
SELECT count(*) AS entries, (SELECT count(*) FROM autotime.activity_links) AS links FROM time_entries;

-- Trigger functions refuse to run outside their trigger.
SELECT autotime.capture_insert();
CREATE TABLE firm.misfire (id int);
CREATE TRIGGER misfire AFTER INSERT ON firm.misfire FOR EACH ROW EXECUTE FUNCTION autotime.capture_insert();
INSERT INTO firm.misfire VALUES (1);
CREATE TRIGGER misfire_stmt AFTER INSERT ON firm.misfire REFERENCING NEW TABLE AS autotime_new
  FOR EACH STATEMENT EXECUTE FUNCTION autotime.capture_insert();
DROP TRIGGER misfire ON firm.misfire;
INSERT INTO firm.misfire VALUES (1);

-- Out-of-range and odd values in activity rows: recorded skips or the table's own constraints.
UPDATE autotime.team_settings SET call_minutes_mode = 'rounded_duration' WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00', -30),
       (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 2147483647);
SELECT source_id, minutes FROM time_entries WHERE source_kind = 'call' ORDER BY source_id;
SELECT pg_temp.refused($$INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 3, 999, 10, 'outbound', 'completed', '2026-03-10 15:00+00')$$);
SELECT pg_temp.refused($$INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 4, 100, 10, 'sideways', 'completed', '2026-03-10 15:00+00')$$);
SELECT autotime.rule_description('fax', NULL, NULL);
SELECT autotime.backfill_automatic_time(NULL);

-- A table dropped without detach takes its attachment along; a dropped bound table its binding.
-- (Call 59 is recorded while team 1 is paused, so the backfill after the drop has work to do.)
UPDATE autotime.team_settings SET enabled = false WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 59, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 1;
SELECT autotime.attach('firm.phone_log', 'call', '{"case_id": "matter_id"}', $$status = 'done'$$);
DROP TABLE firm.phone_log;
SELECT source, kind FROM autotime.attachments ORDER BY kind;
-- Backfill still works over the tables left: call 59 gets its entry.
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT source_kind, source_id, case_id, minutes FROM time_entries WHERE source_kind = 'call' AND source_id = 59;
CREATE TABLE firm.old_members AS SELECT * FROM firm.team_members;
ALTER TABLE firm.old_members ADD PRIMARY KEY (team_id, user_id);
SELECT autotime.bind('team_members', 'firm.old_members');
DROP TABLE firm.old_members;
SELECT role FROM autotime.bindings ORDER BY role;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 60, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT autotime.bind('team_members', 'firm.team_members');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 60, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT autotime.explain('call', 60) ->> 'outcome' AS outcome;
