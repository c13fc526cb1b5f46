-- SPEC §7 entry history: one row of autotime.entry_history per change to an entry autotime made,
-- by autotime (created), by the review functions (approved, non_billable, reassigned, dismissed)
-- or by anyone else (edited, deleted, with the changed columns before and after); append-only for
-- everyone; autotime.history(entry_id, team_id) reads it.
\i test/fixtures/small_firm.sql
-- The history names the session's role: an application role writing activity and entries.
CREATE ROLE history_app NOLOGIN;
GRANT USAGE ON SCHEMA firm TO history_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA firm TO history_app;
GRANT EXECUTE ON FUNCTION autotime.approve(bigint[], bigint, bigint, boolean, boolean),
  autotime.set_non_billable(bigint[], bigint), autotime.reassign(bigint, bigint, bigint),
  autotime.dismiss(bigint[], bigint), autotime.history(bigint, bigint) TO history_app;
-- Changes without their times (created_at, reviewed_at: now()).
CREATE FUNCTION pg_temp.changes_of(entry bigint, team bigint) RETURNS TABLE (actor text, action text, changes jsonb)
LANGUAGE sql AS $$
  SELECT h.actor, h.action, h.changes - 'created_at' - 'reviewed_at'
    FROM autotime.history(entry, team) h ORDER BY h.change_id
$$;
SET ROLE history_app;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 300),
  (1, 2, 100, 10, 'inbound', 'completed', '2026-03-10 16:00+00', 60),
  (1, 3, 100, 10, 'outbound', 'completed', '2026-03-10 17:00+00', 60),
  (2, 1, 200, 20, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
SELECT id AS entry1 FROM time_entries WHERE team_id = 1 AND source_id = 1 \gset
SELECT id AS entry2 FROM time_entries WHERE team_id = 1 AND source_id = 2 \gset
SELECT id AS entry3 FROM time_entries WHERE team_id = 1 AND source_id = 3 \gset
SELECT id AS other FROM time_entries WHERE team_id = 2 \gset
-- created: by the role whose INSERT of the call made it, every column it was born with.
SELECT * FROM pg_temp.changes_of(:entry1, 1);
-- The review functions name what they did; the changed columns only.
SELECT autotime.approve(ARRAY[:entry1]::bigint[], 10, team_id => 1);
SELECT autotime.set_non_billable(ARRAY[:entry2]::bigint[], team_id => 1);
SELECT autotime.reassign(:entry2, 1000, team_id => 1);
-- An application's own UPDATE is `edited`, with before and after; an UPDATE that changes nothing
-- is no change.
UPDATE time_entries SET minutes = 20, description = 'Call with Acme about the estate' WHERE team_id = 1 AND id = :entry1;
UPDATE time_entries SET minutes = 20 WHERE team_id = 1 AND id = :entry1;
SELECT * FROM pg_temp.changes_of(:entry1, 1) OFFSET 1;
SELECT * FROM pg_temp.changes_of(:entry2, 1) OFFSET 1;
-- dismissed (by dismiss) and deleted (anyone's DELETE): the history outlives the entry.
SELECT autotime.dismiss(ARRAY[:entry3]::bigint[], team_id => 1);
DELETE FROM time_entries WHERE team_id = 1 AND id = :entry2;
SELECT action, changes ->> 'status' AS status, (changes -> 'minutes') AS minutes
  FROM autotime.history(:entry3, 1) UNION ALL
SELECT action, changes ->> 'status', (changes -> 'minutes') FROM autotime.history(:entry2, 1) WHERE action = 'deleted';
-- Deleting an activity takes its draft: deleted, by the role that deleted the call.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 4, 100, 10, 'outbound', 'completed', '2026-03-11 15:00+00');
SELECT id AS entry4 FROM time_entries WHERE team_id = 1 AND source_id = 4 \gset
DELETE FROM calls WHERE team_id = 1 AND id = 4;
SELECT actor, action FROM autotime.history(:entry4, 1);
-- Rows an application writes itself (no source_kind) are not autotime's: no history.
INSERT INTO time_entries (team_id, client_id, case_id, user_id, work_date, minutes, description)
  VALUES (1, 100, 1001, 10, '2026-03-10', 30, 'Drafting by hand') RETURNING id AS manual \gset
UPDATE time_entries SET minutes = 45 WHERE team_id = 1 AND id = :manual;
RESET ROLE;
SELECT count(*) AS manual_history FROM autotime.entry_history WHERE team_id = 1 AND entry_id = :manual;
-- Dates and times are kept in one form whatever the session's settings (ISO, UTC).
SET datestyle = 'SQL, DMY';
SET timezone = 'Asia/Tokyo';
UPDATE time_entries SET work_date = '2026-03-09', reviewed_at = '2026-03-11 09:30+09' WHERE team_id = 1 AND id = :entry1;
RESET datestyle;
RESET timezone;
SELECT changes -> 'work_date' AS work_date, changes -> 'reviewed_at' -> 'after' AS reviewed_at
  FROM autotime.history(:entry1, 1) ORDER BY change_id DESC LIMIT 1;
-- Columns an adopter adds are kept too: intervals in ISO 8601, timestamps without a zone as they are.
ALTER TABLE time_entries ADD COLUMN spent interval, ADD COLUMN noted_at timestamp;
SET intervalstyle = 'postgres_verbose';
SET datestyle = 'German';
UPDATE time_entries SET spent = '1 hour 30 minutes', noted_at = '2026-03-11 09:30' WHERE team_id = 1 AND id = :entry1;
RESET intervalstyle;
RESET datestyle;
SELECT changes FROM autotime.history(:entry1, 1) ORDER BY change_id DESC LIMIT 1;
ALTER TABLE time_entries DROP COLUMN spent, DROP COLUMN noted_at;
-- One firm's history is not another's: an id both firms hold needs team_id.
SELECT setval(pg_get_serial_sequence('firm.time_entries', 'id'), :entry1, false) IS NOT NULL AS reused;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (2, 2, 200, 20, 'outbound', 'completed', '2026-03-11 16:00+00');
SELECT id = :entry1 AS same_id FROM time_entries WHERE team_id = 2 AND source_id = 2;
SELECT action, changes -> 'source_id' AS source_id FROM autotime.history(:entry1, team_id => 2);
SELECT count(*) AS team_1_changes FROM autotime.history(:entry1, team_id => 1);
\set VERBOSITY terse
SELECT count(*) FROM autotime.history(:entry1);
\set VERBOSITY default
-- A column renamed after the history last printed the table (the order of a row type's keys is
-- worked out once), a text changed to another of its length, and a long text stored out of line
-- are kept like any other column.
ALTER TABLE time_entries ADD COLUMN note text;
UPDATE time_entries SET note = 'first' WHERE team_id = 1 AND id = :entry1;
ALTER TABLE time_entries RENAME COLUMN note TO zz_note_renamed_to_sort_last;
UPDATE time_entries SET zz_note_renamed_to_sort_last = 'third', minutes = 25 WHERE team_id = 1 AND id = :entry1;
SELECT changes -> 'minutes' AS minutes, changes -> 'zz_note_renamed_to_sort_last' AS note,
       (SELECT array_agg(k) FROM jsonb_object_keys(changes) k) AS keys_in_jsonb_order
  FROM autotime.history(:entry1, 1) ORDER BY change_id DESC LIMIT 1;
UPDATE time_entries SET zz_note_renamed_to_sort_last = (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 100) i)
  WHERE team_id = 1 AND id = :entry1;
SELECT changes -> 'zz_note_renamed_to_sort_last' ->> 'before' AS note_before,
       md5(changes -> 'zz_note_renamed_to_sort_last' ->> 'after') = md5((SELECT string_agg(md5(i::text), '') FROM generate_series(1, 100) i)) AS long_note_kept
  FROM autotime.history(:entry1, 1) ORDER BY change_id DESC LIMIT 1;
ALTER TABLE time_entries DROP COLUMN zz_note_renamed_to_sort_last;
-- Append-only for everyone, superusers included.
UPDATE autotime.entry_history SET actor = 'someone else' WHERE entry_id = :entry1;
DELETE FROM autotime.entry_history WHERE entry_id = :entry1;
TRUNCATE autotime.entry_history;
-- Nobody reads or writes it without a grant.
SET ROLE history_app;
SELECT count(*) FROM autotime.entry_history;
INSERT INTO autotime.entry_history (team_id, entry_id, actor, action, changes) VALUES (1, :entry1, 'me', 'approved', '{}');
RESET ROLE;
-- Backfill's entries are created too (by the role that ran it).
SET autotime.capture = off;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', '2026-03-12 17:00+00');
RESET autotime.capture;
SELECT autotime.backfill_automatic_time(100, 1) AS backfilled;
SELECT h.actor, h.action, h.changes -> 'source_kind' -> 'after' AS kind
  FROM time_entries e, autotime.history(e.id, 1) h WHERE e.team_id = 1 AND e.source_kind = 'sms';
-- TRUNCATE deletes every entry: each of autotime's gets its `deleted` change, whether the table
-- or (partitioned schema) one of its partitions is truncated; the application's own rows none.
SELECT count(*) AS auto_entries FROM time_entries WHERE source_kind IS NOT NULL \gset
SELECT count(*) AS deleted_before FROM autotime.entry_history WHERE action = 'deleted' \gset
DO $$
DECLARE
  leaf regclass;
BEGIN
  SELECT p.relid INTO leaf FROM pg_partition_tree('firm.time_entries') p WHERE p.isleaf ORDER BY p.relid LIMIT 1;
  IF leaf IS NOT NULL THEN
    EXECUTE format('TRUNCATE %s', leaf);
  END IF;
END
$$;
GRANT TRUNCATE ON ALL TABLES IN SCHEMA firm TO history_app;
SET ROLE history_app;
TRUNCATE time_entries;
RESET ROLE;
SELECT count(*) - :deleted_before = :auto_entries AS every_auto_entry_deleted
  FROM autotime.entry_history WHERE action = 'deleted';
SELECT changes -> 'minutes' AS minutes, changes -> 'source_kind' AS kind
  FROM autotime.entry_history WHERE action = 'deleted' AND team_id = 2 AND entry_id = :entry1;
DROP OWNED BY history_app;
DROP ROLE history_app;
