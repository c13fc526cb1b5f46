-- DROP EXTENSION never drops a firm's data.
\i test/fixtures/small_firm.sql

INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
-- The practice tables' triggers depend on autotime: a plain DROP refuses and says why.
\set VERBOSITY terse
DROP EXTENSION autotime;
\set VERBOSITY default
-- CASCADE removes autotime's schema, ledger, settings and triggers; the tables and entries stay.
SET client_min_messages = warning;
DROP EXTENSION autotime CASCADE;
RESET client_min_messages;
-- Nothing of autotime is left (a fresh install's schema stays, empty: CREATE EXTENSION made it
-- from the control file, so it is not a member; DROP SCHEMA autotime removes it).
SELECT count(*) AS autotime_objects_left FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'autotime';
SELECT count(*) AS autotime_functions_left FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'autotime';
SELECT (SELECT count(*) FROM calls) AS calls, (SELECT count(*) FROM time_entries) AS entries;
SELECT count(*) AS triggers_left_on_firm_tables FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND c.relnamespace = 'firm'::regnamespace;
-- Activity keeps flowing into the tables without capture.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT count(*) AS entries FROM time_entries;
-- CREATE EXTENSION again over the same tables: the ledger is gone but the entries are not.
-- Re-attaching and backfilling keeps one entry per activity (the existing entry is kept and its
-- new link points at it), and the application's writes keep working.
-- The control file pins its schema.
CREATE EXTENSION autotime SCHEMA public;
SET client_min_messages = warning;
CREATE EXTENSION autotime;
RESET client_min_messages;
SELECT extnamespace::regnamespace AS extension_schema FROM pg_extension WHERE extname = 'autotime';
SELECT autotime.bind('time_entries', 'time_entries'), autotime.bind('cases', 'cases'),
       autotime.bind('team_members', 'team_members'), autotime.attach('calls', 'call');
INSERT INTO autotime.team_settings (team_id, enabled, timezone) VALUES (1, true, 'America/New_York');
SELECT autotime.backfill_automatic_time(100) AS backfilled;
UPDATE calls SET status = 'completed' WHERE team_id = 1 AND id = 2;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 3, 100, 10, 'outbound', 'completed', '2026-03-11 15:00+00');
SELECT source_id, count(*) AS entries FROM time_entries GROUP BY source_id ORDER BY source_id;
SELECT source_id, autotime.explain('call', source_id) ->> 'outcome' AS outcome FROM time_entries ORDER BY source_id;
