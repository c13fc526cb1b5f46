-- doc/privileges.md, tested: its recipes run as the document gives them (every sql block of the
-- document is in this file word for word: scripts/test.d/privileges_doc.sh), then each role
-- connects (\c - role) and does what its recipe allows; what it must not do fails with a
-- permission error. Roles are cluster-wide: all are named recipe_* and dropped at the end.
\i test/fixtures/small_firm.sql

-- Leftovers of an interrupted run go first.
\o /dev/null
SET client_min_messages = warning;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['recipe_app', 'recipe_reviewer', 'recipe_dba'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('DROP OWNED BY %I CASCADE', r);
      EXECUTE format('DROP ROLE %I', r);
    END IF;
  END LOOP;
END
$$;
RESET client_min_messages;
\o

-- ==== The recipes, run by the superuser who created the extension ====
-- Application: records activity; autotime drafts the entries (no grant on autotime's tables).
CREATE ROLE recipe_app LOGIN;
GRANT USAGE ON SCHEMA firm TO recipe_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON firm.calls, firm.sms, firm.documents, firm.ir_reports, firm.events
  TO recipe_app;
GRANT EXECUTE ON FUNCTION autotime.entry_for TO recipe_app;

-- Reviewer: the review views and functions, explain and entry_for, the team's capture report.
CREATE ROLE recipe_reviewer LOGIN;
GRANT SELECT ON autotime.unreviewed, autotime.unbilled TO recipe_reviewer;
GRANT EXECUTE ON FUNCTION autotime.approve, autotime.set_non_billable, autotime.reassign, autotime.dismiss,
  autotime.explain, autotime.entry_for, autotime.capture_report TO recipe_reviewer;
GRANT EXECUTE ON FUNCTION autotime.review_rows TO recipe_reviewer;  -- what the two views read
-- The entries' history and the flags their clients' billing rules raise (SPEC §7).
GRANT EXECUTE ON FUNCTION autotime.history TO recipe_reviewer;
GRANT SELECT ON autotime.entry_flags TO recipe_reviewer;

-- DBA: team settings, backfills and their history, explain and the capture report.
CREATE ROLE recipe_dba LOGIN;
GRANT SELECT, INSERT, UPDATE ON autotime.team_settings TO recipe_dba;
GRANT SELECT, INSERT, UPDATE, DELETE ON autotime.billing_rules TO recipe_dba;  -- clients' guidelines
GRANT SELECT ON autotime.backfill_runs, autotime.capture_failures TO recipe_dba;
GRANT EXECUTE ON FUNCTION autotime.backfill_automatic_time, autotime.explain, autotime.entry_for,
  autotime.capture_report, autotime.backfill_dry_run TO recipe_dba;
-- backfill_team commits, so it runs with its caller's rights and calls these three (each runs
-- with autotime's): the ids to walk, one batch, and its row in autotime.backfill_runs.
GRANT EXECUTE ON PROCEDURE autotime.backfill_team TO recipe_dba;
GRANT EXECUTE ON FUNCTION autotime.backfill_range, autotime.backfill_batch, autotime.backfill_run_progress
  TO recipe_dba;

-- ==== 1. The application ====
\c - recipe_app
SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
-- It records activity of every kind; capture drafts the entries. An id it leaves out comes from
-- the table's identity (no grant on the sequence needed).
INSERT INTO firm.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 300),
  (1, 2, 100, 12, 'inbound', 'ringing', '2026-03-10 16:00+00', NULL),
  (3, 3, 300, 30, 'outbound', 'completed', '2026-03-10 17:00+00', 120);
INSERT INTO firm.sms (team_id, id, client_id, user_id, direction, status, body, provider_message_id, sent_at)
VALUES (1, 1, 100, 10, 'outbound', 'delivered', 'See you at 3', 'msg-1', '2026-03-10 18:00+00');
INSERT INTO firm.documents (team_id, id, client_id, user_id, name, template_id, created_at) VALUES
  (1, 1, 100, 12, 'Engagement letter', 7, '2026-03-11 14:00+00'),
  (1, 2, 100, 10, 'Draft motion', 7, '2026-03-11 15:00+00');
INSERT INTO firm.ir_reports (team_id, client_id, user_id, title, created_at)
VALUES (1, 100, 10, 'Intake interview', '2026-03-11 16:00+00') RETURNING id;
INSERT INTO firm.events (team_id, id, client_id, user_id, title, starts_at)
VALUES (1, 1, 100, 10, 'Deposition', '2026-03-12 14:00+00');
-- An UPDATE that makes a row qualify captures it: the ringing call is answered, the event done.
UPDATE firm.calls SET status = 'completed', duration_seconds = 60 WHERE team_id = 1 AND id = 2;
UPDATE firm.events SET completed_at = '2026-03-12 16:00+00', completed_by = 10 WHERE team_id = 1 AND id = 1;
-- A deleted activity takes its draft along.
DELETE FROM firm.documents WHERE team_id = 1 AND id = 2;
-- entry_for: which activity has an entry (team 3 has not opted in: its call has none yet).
SELECT a.kind, a.team_id, a.id, autotime.entry_for(a.kind, a.id, team_id => a.team_id) IS NOT NULL AS has_entry
  FROM (VALUES ('call', 1, 1), ('call', 1, 2), ('call', 3, 3), ('sms', 1, 1), ('document', 1, 1),
               ('document', 1, 2), ('ir_report', 1, 1), ('event', 1, 1)) AS a(kind, team_id, id);
-- It can't read or write the entries, read or forge the ledger, touch the settings, read the
-- firm's other tables, truncate an activity table, or call what it was not granted.
SELECT count(*) FROM firm.time_entries;
INSERT INTO firm.time_entries (team_id, client_id, case_id, user_id, work_date, minutes, description)
VALUES (1, 100, 1001, 10, '2026-03-10', 600, 'forged');
UPDATE firm.time_entries SET minutes = 600;
SELECT count(*) FROM autotime.activity_links;
INSERT INTO autotime.activity_links (team_id, kind, source_key, source_id) VALUES (1, 'call', '99', 99);
DELETE FROM autotime.activity_links;
SELECT count(*) FROM autotime.team_settings;
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 3;
SELECT count(*) FROM firm.cases;
SELECT count(*) FROM firm.clients;
SELECT count(*) FROM firm.team_members;
TRUNCATE firm.calls;
SELECT autotime.explain('call', 1, team_id => 1);
SELECT count(*) FROM autotime.unreviewed;
SELECT autotime.approve(ARRAY[1], 10, team_id => 1);
SELECT autotime.dismiss(ARRAY[1], team_id => 1);
SELECT autotime.backfill_automatic_time(300, team_id => 3);
CALL autotime.backfill_team(3);

-- ==== 2. The reviewer ====
\c - recipe_reviewer
SELECT team_id, client_id, case_id, user_id, work_date, minutes, description, billable, rate, amount, source_kind, source_id
  FROM autotime.unreviewed ORDER BY team_id, source_kind, source_id;
SELECT team_id, client_id, case_id, approved_minutes, approved_amount, draft_minutes, draft_amount
  FROM autotime.unbilled ORDER BY team_id, client_id, case_id NULLS LAST;
SELECT autotime.explain('call', 2, team_id => 1) ->> 'outcome' AS call_2, autotime.explain('call', 3, team_id => 3) ->> 'reason' AS team_3_call;
SELECT * FROM autotime.capture_report(1);
SELECT autotime.approve(ARRAY[autotime.entry_for('call', 1, team_id => 1)], 10, team_id => 1) AS approved;
SELECT autotime.approve(ARRAY[autotime.entry_for('call', 2, team_id => 1)], 20, team_id => 1) AS approved_by_another_firm;
SELECT autotime.set_non_billable(ARRAY[autotime.entry_for('call', 2, team_id => 1)], team_id => 1) AS made_non_billable;
SELECT autotime.reassign(autotime.entry_for('document', 1, team_id => 1), 1000, team_id => 1);
SELECT autotime.dismiss(ARRAY[autotime.entry_for('sms', 1, team_id => 1)], team_id => 1) AS dismissed;
SELECT autotime.explain('sms', 1, team_id => 1) ->> 'reason' AS dismissed_sms;
-- Its reviews are in the entries' history, under its role.
SELECT actor, action FROM autotime.history(autotime.entry_for('document', 1, team_id => 1), team_id => 1);
SELECT count(*) AS flags FROM autotime.entry_flags;
SELECT team_id, client_id, case_id, approved_minutes, approved_amount, draft_minutes, draft_amount
  FROM autotime.unbilled ORDER BY team_id, client_id, case_id NULLS LAST;
-- It can't reach the entries around the review functions, the settings, the ledger or the
-- backfill history, run backfills, change what is captured, or write activity. (The attached
-- tables come from autotime.attachments, readable by PUBLIC: it has no USAGE on schema firm.)
SELECT count(*) FROM firm.time_entries;
UPDATE firm.time_entries SET status = 'approved';
SELECT count(*) FROM autotime.team_settings;
UPDATE autotime.team_settings SET flat_fee_policy = 'billable' WHERE team_id = 1;
SELECT count(*) FROM autotime.activity_links;
SELECT count(*) FROM autotime.backfill_runs;
SELECT count(*) FROM autotime.entry_history;
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (1, NULL, 'max_entry_minutes', '5');
SELECT autotime.backfill_automatic_time(100, team_id => 1);
CALL autotime.backfill_team(1);
SELECT autotime.detach(source) FROM autotime.attachments WHERE kind = 'call';
SELECT autotime.attach(source, 'call') FROM autotime.attachments WHERE kind = 'call';
INSERT INTO firm.calls (team_id, id, client_id, user_id, direction, status) VALUES (1, 9, 100, 10, 'outbound', 'completed');

-- ==== 3. The DBA ====
\c - recipe_dba
SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
-- Team 3 opts in: its call, recorded while it was disabled, waits for a backfill.
SELECT autotime.explain('call', 3, team_id => 3) ->> 'reason' AS before_opt_in;
INSERT INTO autotime.team_settings (team_id, enabled, timezone) VALUES (3, true, 'Europe/Paris');
UPDATE autotime.team_settings SET minutes_per_activity = 6, call_minutes_mode = 'rounded_duration' WHERE team_id = 3;
SELECT team_id, enabled, timezone, minutes_per_activity, call_minutes_mode FROM autotime.team_settings ORDER BY team_id;
SELECT autotime.explain('call', 3, team_id => 3) ->> 'reason' AS after_opt_in;
SELECT * FROM autotime.capture_report(3);
-- What the backfill would do, first (writes nothing).
SELECT * FROM autotime.backfill_dry_run(3);
-- The whole firm (the procedure commits after each batch; its NOTICEs carry timings).
SET client_min_messages = warning;
CALL autotime.backfill_team(3);
RESET client_min_messages;
SELECT team_id, client_id, status, entries_created, activities_scanned, run_by, finished_at IS NOT NULL AS finished
  FROM autotime.backfill_runs ORDER BY id;
SELECT autotime.explain('call', 3, team_id => 3) ->> 'outcome' AS after_backfill,
       autotime.entry_for('call', 3, team_id => 3) IS NOT NULL AS has_entry;
SELECT * FROM autotime.capture_report(3);
-- A client's backfill: nothing left to do.
SELECT autotime.backfill_automatic_time(300, team_id => 3) AS created;
SELECT team_id, client_id, status, entries_created, run_by FROM autotime.backfill_runs ORDER BY id;
SELECT count(*) AS capture_failures FROM autotime.capture_failures;
-- The firm's guidelines: entries of at most 5 minutes. Its backfilled 6-minute call is flagged.
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (3, NULL, 'max_entry_minutes', '5');
SELECT autotime.explain('call', 3, team_id => 3) -> 'flags' AS flags;
DELETE FROM autotime.billing_rules WHERE team_id = 3;
SELECT autotime.explain('call', 3, team_id => 3) ? 'flags' AS still_flagged;
-- It can't delete settings, reach the ledger or the entries, review, pause capture, or change
-- what is captured (nor write autotime's catalogue of it).
DELETE FROM autotime.team_settings WHERE team_id = 3;
SELECT count(*) FROM autotime.activity_links;
SELECT count(*) FROM firm.time_entries;
SELECT count(*) FROM autotime.unreviewed;
SELECT autotime.dismiss(ARRAY[autotime.entry_for('call', 3, team_id => 3)], team_id => 3);
SET autotime.capture = off;
SELECT autotime.detach(source) FROM autotime.attachments WHERE kind = 'call';
SELECT autotime.attach(source, 'call') FROM autotime.attachments WHERE kind = 'call';
SELECT autotime.bind('time_entries', rel) FROM autotime.bindings WHERE role = 'time_entries';
SELECT autotime.create_practice_schema('dba_firm');
INSERT INTO autotime.attachments SELECT * FROM autotime.attachments WHERE kind = 'call';

-- ==== The less obvious grants are needed: take one away and the role's job fails ====
-- The application: UPDATE and DELETE with a WHERE read the table (SELECT); INSERT does not.
\set VERBOSITY terse
\c - postgres
REVOKE SELECT ON firm.calls FROM recipe_app;
\c - recipe_app
INSERT INTO firm.calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (2, 4, 200, 20, 'outbound', 'ringing', '2026-03-10 15:00+00');
UPDATE firm.calls SET status = 'completed' WHERE team_id = 2 AND id = 4;
\c - postgres
GRANT SELECT ON firm.calls TO recipe_app;
-- The DBA's backfill_team reads team_settings and calls three internal functions as its caller.
REVOKE SELECT ON autotime.team_settings FROM recipe_dba;
\c - recipe_dba
CALL autotime.backfill_team(3);
\c - postgres
GRANT SELECT ON autotime.team_settings TO recipe_dba;
REVOKE EXECUTE ON FUNCTION autotime.backfill_run_progress FROM recipe_dba;
\c - recipe_dba
CALL autotime.backfill_team(3);
\c - postgres
GRANT EXECUTE ON FUNCTION autotime.backfill_run_progress TO recipe_dba;
REVOKE EXECUTE ON FUNCTION autotime.backfill_range FROM recipe_dba;
\c - recipe_dba
CALL autotime.backfill_team(3);
\c - postgres
GRANT EXECUTE ON FUNCTION autotime.backfill_range TO recipe_dba;
REVOKE EXECUTE ON FUNCTION autotime.backfill_batch FROM recipe_dba;
\c - recipe_dba
CALL autotime.backfill_team(3);
\c - postgres
GRANT EXECUTE ON FUNCTION autotime.backfill_batch TO recipe_dba;
\unset VERBOSITY
-- With the recipe's grants back, the same call works (nothing new to capture: a third run, done;
-- the refused calls left no row).
\c - recipe_dba
SET client_min_messages = warning;
CALL autotime.backfill_team(3);
RESET client_min_messages;
SELECT team_id, client_id, status, entries_created, run_by FROM autotime.backfill_runs ORDER BY id;

-- ==== What the three did, as the superuser sees it ====
\c - postgres
SELECT team_id, source_kind, source_id, case_id, minutes, billable, status, reviewed_by
  FROM firm.time_entries ORDER BY team_id, source_kind, source_id;
SELECT team_id, kind, source_key, dismissed_at IS NOT NULL AS dismissed, released_at IS NOT NULL AS released
  FROM autotime.activity_links ORDER BY team_id, kind, source_key;

-- ==== The function behind the review views is the reviewers' only ====
-- It reads every firm's entries with autotime's rights: the application can't call it.
\c - recipe_app
SELECT count(*) FROM autotime.review_rows(NULL);
\c - postgres

-- Clean up (roles are cluster-wide).
\c - postgres
DROP OWNED BY recipe_app, recipe_reviewer, recipe_dba;
DROP ROLE recipe_app, recipe_reviewer, recipe_dba;
SELECT count(*) AS recipe_roles_left FROM pg_roles WHERE rolname LIKE 'recipe\_%';
