-- TRUNCATE of the entries table writes a `deleted` change for every entry autotime made
-- (src/pg/entry_history.cpp, autotime_entry_truncate), reading them a batch at a time and
-- building each change in memory emptied after it: the backend's memory does not grow with the
-- table: about 17 MB here (24 MB partitioned), most of it the new history rows' shared buffers.
-- Reading every entry at once and keeping every change until the end grew it by 300 MB for these
-- 30,000 entries (7.4 GB for a million in the benchmark's TRUNCATE).
\i test/fixtures/small_firm.sql
SET autotime.capture = off;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
  SELECT 1, g, 100, 10, 'outbound', 'completed', timestamptz '2026-03-10 15:00+00' + g * interval '1 minute', 60
    FROM generate_series(1, 30000) g;
RESET autotime.capture;
SELECT autotime.backfill_automatic_time(100, 1) AS backfilled;
SELECT count(*) AS deleted_before FROM autotime.entry_history WHERE action = 'deleted' \gset
-- The backend's peak resident memory (Linux /proc: VmHWM, in kB) before and after; shared
-- buffers it touches count too (the new history rows: about 15 MB).
CREATE FUNCTION pg_temp.peak_kb() RETURNS bigint LANGUAGE sql AS $$
  SELECT (pg_catalog.regexp_match(pg_catalog.pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+) kB'))[1]::bigint
$$;
SELECT pg_temp.peak_kb() AS peak_before \gset
TRUNCATE time_entries;
SELECT pg_temp.peak_kb() - :peak_before < 64 * 1024 AS memory_bounded;
SELECT count(*) - :deleted_before AS deleted_changes,
       count(DISTINCT entry_id) - :deleted_before AS entries_deleted,
       bool_and(changes -> 'source_kind' ->> 'before' = 'call') AS every_change_a_call
  FROM autotime.entry_history WHERE action = 'deleted';
