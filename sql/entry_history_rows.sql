-- How rows of autotime.entry_history are written (src/pg/history_insert.cpp): directly, without a
-- statement, when the table is as autotime created it; by an INSERT statement when it has a
-- trigger, a rule or row security, other columns or another default for `at`. Either way a row is
-- part of its (sub)transaction, visible to the transaction's next statements, and the table's
-- primary key, constraints and triggers hold.
\i test/fixtures/small_firm.sql
-- Which call made an entry; a change's call, action and minutes (entry ids differ between modes).
CREATE FUNCTION pg_temp.changes() RETURNS TABLE (call bigint, action text, minutes jsonb, actor text)
LANGUAGE sql AS $$
  SELECT e.source_id, h.action, h.changes -> 'minutes', h.actor
    FROM autotime.entry_history h JOIN firm.time_entries e ON e.team_id = h.team_id AND e.id = h.entry_id
   WHERE e.source_kind = 'call' ORDER BY h.change_id
$$;
-- A rolled-back subtransaction's rows are gone, its transaction's others stay; each row is seen
-- by the transaction's next statement.
BEGIN;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 300);
SAVEPOINT before_edit;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
UPDATE time_entries SET minutes = 30 WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1;
SELECT call, action, minutes FROM pg_temp.changes();
ROLLBACK TO SAVEPOINT before_edit;
SELECT call, action, minutes FROM pg_temp.changes();
COMMIT;
SELECT max(change_id) AS committed_change FROM autotime.entry_history \gset
-- A rolled-back transaction leaves nothing; change_id keeps increasing (the identity's sequence).
BEGIN;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 3, 100, 10, 'outbound', 'completed', '2026-03-10 17:00+00', 60);
ROLLBACK;
UPDATE time_entries SET minutes = 45 WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1;
SELECT call, action, minutes FROM pg_temp.changes();
SELECT count(*) AS history_rows, min(change_id) = :committed_change AS first_kept,
       max(change_id) > :committed_change + 1 AS later_change_after_the_rolled_back_ones
  FROM autotime.entry_history;
-- The primary key holds: a change_id taken again (the sequence set back) is refused.
SELECT change_id AS last_change, team_id AS last_team, entry_id AS last_entry
  FROM autotime.entry_history ORDER BY change_id DESC LIMIT 1 \gset
SELECT setval(pg_get_serial_sequence('autotime.entry_history', 'change_id'), :last_change - 1) IS NOT NULL AS set_back;
\set VERBOSITY terse
UPDATE time_entries SET minutes = 50 WHERE team_id = :last_team AND id = :last_entry;
\set VERBOSITY default
SELECT setval(pg_get_serial_sequence('autotime.entry_history', 'change_id'), :last_change) IS NOT NULL AS restored;
-- A CHECK constraint added to the table holds for autotime's rows.
ALTER TABLE autotime.entry_history ADD CONSTRAINT history_test_no_edits CHECK (action <> 'edited') NOT VALID;
\set VERBOSITY terse
UPDATE time_entries SET minutes = 50 WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1;
\set VERBOSITY default
ALTER TABLE autotime.entry_history DROP CONSTRAINT history_test_no_edits;
-- A trigger on INSERT of the table runs for autotime's rows (row and statement triggers alike),
-- and only while it is there.
CREATE FUNCTION public.history_test_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'ROW' THEN
    NEW.actor := NEW.actor || ' (stamped)';
    RETURN NEW;
  END IF;
  RAISE NOTICE 'statement trigger on %', TG_TABLE_NAME;
  RETURN NULL;
END
$$;
CREATE TRIGGER history_test_stamp BEFORE INSERT ON autotime.entry_history
  FOR EACH ROW EXECUTE FUNCTION public.history_test_stamp();
CREATE TRIGGER history_test_notice AFTER INSERT ON autotime.entry_history
  FOR EACH STATEMENT EXECUTE FUNCTION public.history_test_stamp();
UPDATE time_entries SET minutes = 55 WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1;
DROP TRIGGER history_test_stamp ON autotime.entry_history;
DROP TRIGGER history_test_notice ON autotime.entry_history;
UPDATE time_entries SET minutes = 60 WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1;
SELECT call, action, minutes, actor = current_user || ' (stamped)' AS stamped FROM pg_temp.changes() OFFSET 2;
-- A column added with a default gets it, another default for `at` is used; with the column
-- dropped again (a dropped column in the table) and the default back, rows are as before.
ALTER TABLE autotime.entry_history ADD COLUMN history_test_origin text DEFAULT 'added column';
ALTER TABLE autotime.entry_history ALTER COLUMN at SET DEFAULT '2000-01-01 00:00+00';
UPDATE time_entries SET minutes = 65 WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1;
SELECT action, changes -> 'minutes' AS minutes, at = '2000-01-01 00:00+00' AS fixed_at, history_test_origin
  FROM autotime.entry_history ORDER BY change_id DESC LIMIT 1;
ALTER TABLE autotime.entry_history DROP COLUMN history_test_origin;
ALTER TABLE autotime.entry_history ALTER COLUMN at SET DEFAULT pg_catalog.clock_timestamp();
UPDATE time_entries SET minutes = 70 WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1;
SELECT action, changes -> 'minutes' AS minutes, at > now() - interval '1 hour' AS at_now, actor = current_user AS actor
  FROM autotime.entry_history ORDER BY change_id DESC LIMIT 1;
-- Deleting the entry writes its `deleted` (TRUNCATE's: sql/entry_history.sql).
DELETE FROM time_entries WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1;
SELECT action, changes -> 'minutes' -> 'before' AS minutes FROM autotime.entry_history ORDER BY change_id DESC LIMIT 1;
DROP FUNCTION public.history_test_stamp();
