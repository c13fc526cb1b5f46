-- A hostile search_path can't redirect capture; application roles can't forge or read the ledger.
\i test/fixtures/small_firm.sql

-- Shadow everything capture touches: tables, an always-true bigint "=", a text "=", a lying function.
CREATE SCHEMA evil;
CREATE TABLE evil.time_entries (LIKE firm.time_entries);
CREATE TABLE evil.team_settings (team_id bigint, enabled boolean);
CREATE TABLE evil.activity_links (team_id bigint, kind text, source_key text, source_id bigint);
CREATE TABLE evil.cases (LIKE firm.cases);
CREATE FUNCTION evil.always(bigint, bigint) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.always);
CREATE FUNCTION evil.text_always(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.text_always);
CREATE FUNCTION evil.coalesce_lie(bigint) RETURNS bigint LANGUAGE sql AS 'SELECT 666';
CREATE TABLE evil.autotime_new (team_id bigint);

SET search_path = evil, firm, pg_catalog;
INSERT INTO firm.calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 2, 100, 10, 'outbound', 'ringing', '2026-03-10 15:00+00'),
  (1, 3, 101, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
RESET search_path;
SET search_path = firm, public;
-- Exactly the rules' entries, in the real tables: call 1 only (2 is ringing, 3 has no open case).
SELECT team_id, case_id, source_kind, source_id FROM firm.time_entries;
SELECT (SELECT count(*) FROM evil.time_entries) AS evil_entries, (SELECT count(*) FROM evil.activity_links) AS evil_links;

-- An application role may record activity; capture writes on its behalf.
CREATE ROLE autotime_app_role NOLOGIN;
GRANT USAGE ON SCHEMA firm TO autotime_app_role;
GRANT SELECT, INSERT, UPDATE ON firm.calls TO autotime_app_role;
SET ROLE autotime_app_role;
INSERT INTO firm.calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 4, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
-- ... but can't read or forge the ledger, read entries, or call the DBA functions.
SELECT count(*) FROM autotime.activity_links;
INSERT INTO autotime.activity_links (team_id, kind, source_key, source_id) VALUES (1, 'call', '99', 99);
SELECT count(*) FROM firm.time_entries;
SELECT autotime.backfill_automatic_time(100);
SELECT autotime.explain('call', 1);
SELECT autotime.attach('firm.calls', 'call');
UPDATE autotime.team_settings SET enabled = false;
RESET ROLE;
SELECT source_id FROM firm.time_entries ORDER BY source_id;
-- PUBLIC may execute only pure helpers (rules, validation) and trigger-only functions.
SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'autotime' AND has_function_privilege('autotime_app_role', p.oid, 'EXECUTE')
 ORDER BY 1;
-- A support role granted explain, backfill and the review functions may use them without any
-- right on the firm's tables or the ledger: each table is read and written as its owner, the
-- ledger with autotime's rights. EXECUTE is the right; nothing else is reachable through them.
CREATE ROLE autotime_support NOLOGIN;
GRANT USAGE ON SCHEMA firm TO autotime_support;
GRANT EXECUTE ON FUNCTION autotime.explain, autotime.approve, autotime.dismiss, autotime.backfill_automatic_time,
  autotime.entry_for TO autotime_support;
SET ROLE autotime_support;
SELECT autotime.explain('call', 1) ->> 'outcome' AS outcome;
SELECT autotime.entry_for('call', 4) IS NOT NULL AS call_4_has_an_entry;
SELECT autotime.backfill_automatic_time(100) AS created;
SELECT autotime.approve(ARRAY[autotime.entry_for('call', 1)], 10) AS approved;
SELECT autotime.dismiss(ARRAY[autotime.entry_for('call', 4)]) AS dismissed;
-- ... but not the ledger, the entries or the views it was not granted.
SELECT count(*) FROM autotime.activity_links;
SELECT count(*) FROM firm.time_entries;
SELECT count(*) FROM autotime.unreviewed;
-- (nor the function behind the views, which reads every firm's entries with autotime's rights)
SELECT count(*) FROM autotime.review_rows(NULL);
SELECT autotime.set_non_billable(ARRAY[1]);
RESET ROLE;
SELECT source_id, status FROM firm.time_entries ORDER BY source_id;
DROP OWNED BY autotime_support;
DROP ROLE autotime_support;
DROP OWNED BY autotime_app_role;
DROP ROLE autotime_app_role;
