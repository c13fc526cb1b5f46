-- Experiment behind RESULTS.md "one foreign key instead of two on time_entries": the reference
-- schema checks each entry against clients (team_id, client_id) and cases (team_id, case_id), two
-- RI queries per entry. One composite key to cases (team_id, client_id, id) checks both at once,
-- and also guarantees the entry's client is its case's client. Run in a database made by
-- setup.sql: psql -v variant=composite -f fk_composite.sql (or variant=reference).
\set ON_ERROR_STOP 1
\if :{?variant}
\else
\set variant reference
\endif
SELECT :'variant' = 'composite' AS composite \gset
\if :composite
ALTER TABLE bench.cases ADD CONSTRAINT cases_team_client_id UNIQUE (team_id, client_id, id);
ALTER TABLE bench.time_entries DROP CONSTRAINT time_entries_team_id_client_id_fkey,
  DROP CONSTRAINT time_entries_team_id_case_id_fkey,
  ADD CONSTRAINT time_entries_case_fkey FOREIGN KEY (team_id, client_id, case_id)
    REFERENCES bench.cases (team_id, client_id, id);
\endif
\timing on
-- autotime capturing one INSERT ... SELECT of 1,000,000 calls, twice
TRUNCATE bench.calls, bench.time_entries, autotime.activity_links;
CHECKPOINT;
INSERT INTO bench.calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds)
SELECT 1, 1 + g % 1000, 101 + g % 50, 'outbound', CASE WHEN g % 50 = 0 THEN 'missed' ELSE 'completed' END,
       timestamptz '2026-11-01 14:00+00' + g * interval '1 second', 60 + g % 900 FROM generate_series(1, 1000000) g;
TRUNCATE bench.calls, bench.time_entries, autotime.activity_links;
CHECKPOINT;
INSERT INTO bench.calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds)
SELECT 1, 1 + g % 1000, 101 + g % 50, 'outbound', CASE WHEN g % 50 = 0 THEN 'missed' ELSE 'completed' END,
       timestamptz '2026-11-01 14:00+00' + g * interval '1 second', 60 + g % 900 FROM generate_series(1, 1000000) g;
