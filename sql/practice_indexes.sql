-- Every activity table of the reference schema has an index on (team_id, client_id) (SPEC §3):
-- listing a client's activity is what every practice app does, and what
-- backfill_automatic_time(client_id) reads. The 1.3 update leaves schemas made before it alone.
\i test/fixtures/small_firm.sql

-- The indexes whose leading columns are (team_id, client_id), per table (partitions included in
-- the partitioned run: their indexes are the parent's).
CREATE FUNCTION pg_temp.client_indexes(schema_name name) RETURNS TABLE (table_name name, index_name name, key text)
LANGUAGE sql AS $$
  SELECT c.relname, i.relname,
         (SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, n)
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)
  FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
  WHERE c.relnamespace = schema_name::regnamespace AND NOT c.relispartition
    AND x.indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = c.oid AND attname = 'team_id')
    AND x.indkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = c.oid AND attname = 'client_id')
  ORDER BY 1, 2
$$;
SELECT * FROM pg_temp.client_indexes('firm');
-- Partitions carry them too.
SELECT count(*) FILTER (WHERE NOT EXISTS (
         SELECT 1 FROM pg_index x WHERE x.indrelid = p.inhrelid
            AND x.indkey[0] = 1 AND x.indkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = p.inhrelid
                                                                                   AND attname = 'client_id'))) AS partitions_without
FROM pg_inherits p JOIN pg_class c ON c.oid = p.inhparent
WHERE c.relnamespace = 'firm'::regnamespace AND c.relname IN ('calls', 'sms', 'documents', 'ir_reports', 'events');

-- A client's backfill reads them: with many clients in the table, the backfill of one client
-- scans each activity table's (team_id, client_id) index, not the table.
INSERT INTO clients (team_id, id, name) SELECT 2, g, 'client ' || g FROM generate_series(201, 399) g;
UPDATE autotime.team_settings SET enabled = false WHERE team_id = 2;
INSERT INTO calls (team_id, client_id, user_id, direction, status, started_at)
SELECT 2, 200 + g % 200, 20, 'outbound', 'completed', '2026-03-01 12:00+00' FROM generate_series(1, 4000) g;
INSERT INTO sms (team_id, client_id, user_id, direction, status, body, sent_at)
SELECT 2, 200 + g % 200, 20, 'outbound', 'sent', 'hi', '2026-03-01 12:00+00' FROM generate_series(1, 4000) g;
INSERT INTO documents (team_id, client_id, user_id, name, template_id, created_at)
SELECT 2, 200 + g % 200, 20, 'Letter', 1, '2026-03-01 12:00+00' FROM generate_series(1, 4000) g;
INSERT INTO ir_reports (team_id, client_id, user_id, title, created_at)
SELECT 2, 200 + g % 200, 20, 'Report', '2026-03-01 12:00+00' FROM generate_series(1, 4000) g;
INSERT INTO events (team_id, client_id, user_id, title, starts_at, completed_at)
SELECT 2, 200 + g % 200, 20, 'Meeting', '2026-03-01 12:00+00', '2026-03-01 13:00+00' FROM generate_series(1, 4000) g;
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 2;
ANALYZE calls, sms, documents, ir_reports, events;
-- Index scans of each table's (team_id, client_id) index and its partitions' so far.
CREATE FUNCTION pg_temp.client_index_scans() RETURNS TABLE (table_name name, scans bigint)
LANGUAGE sql AS $$
  SELECT i.table_name, sum(s.idx_scan)::bigint
  FROM pg_temp.client_indexes('firm') i
  JOIN pg_stat_user_indexes s ON s.indexrelid = format('firm.%I', i.index_name)::regclass
    OR s.indexrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = format('firm.%I', i.index_name)::regclass)
  GROUP BY 1 ORDER BY 1
$$;
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE scans_before AS SELECT * FROM pg_temp.client_index_scans();
SELECT autotime.backfill_automatic_time(200, team_id => 2) AS backfilled;
SELECT pg_stat_force_next_flush();
SELECT a.table_name, a.scans > b.scans AS index_scanned
FROM pg_temp.client_index_scans() a JOIN scans_before b USING (table_name) ORDER BY 1;
SELECT source_kind, count(*) FROM time_entries WHERE team_id = 2 AND client_id = 200 GROUP BY 1 ORDER BY 1;

-- A schema made before 1.3 is the firm's, not the extension's: the update leaves its tables as
-- they are, and the DBA builds the indexes without blocking writes (the manual's upgrade notes).
SET client_min_messages = warning;
DROP SCHEMA firm CASCADE;
DROP EXTENSION autotime CASCADE;
CREATE EXTENSION autotime VERSION '1.2';
RESET client_min_messages;
SELECT autotime.create_practice_schema('old_firm', :partitions);
ALTER EXTENSION autotime UPDATE TO '1.3';
SELECT * FROM pg_temp.client_indexes('old_firm');
-- The manual's statements, run quietly (they differ between the plain and the partitioned run):
-- CREATE INDEX CONCURRENTLY on each table; on a partitioned table, an index ON ONLY the parent,
-- CREATE INDEX CONCURRENTLY on each partition, and each partition's index attached to the parent's.
SELECT c.relkind = 'p' AS partitioned FROM pg_class c WHERE c.oid = 'old_firm.calls'::regclass \gset
\set ECHO none
\if :partitioned
SELECT format('CREATE INDEX %I ON ONLY old_firm.%I (team_id, client_id)', t || '_by_client', t)
FROM unnest(ARRAY['calls', 'sms', 'documents', 'ir_reports', 'events']) t \gexec
SELECT format('CREATE INDEX CONCURRENTLY %I ON old_firm.%I (team_id, client_id)', p.relname || '_by_client', p.relname)
FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid
WHERE i.inhparent IN (SELECT format('old_firm.%I', t)::regclass FROM unnest(ARRAY['calls', 'sms', 'documents', 'ir_reports', 'events']) t)
ORDER BY 1 \gexec
SELECT format('ALTER INDEX old_firm.%I ATTACH PARTITION old_firm.%I', t.relname || '_by_client', p.relname || '_by_client')
FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid JOIN pg_class t ON t.oid = i.inhparent
WHERE t.relnamespace = 'old_firm'::regnamespace AND t.relname IN ('calls', 'sms', 'documents', 'ir_reports', 'events')
ORDER BY 1 \gexec
\else
SELECT format('CREATE INDEX CONCURRENTLY %I ON old_firm.%I (team_id, client_id)', t || '_by_client', t)
FROM unnest(ARRAY['calls', 'sms', 'documents', 'ir_reports', 'events']) t \gexec
\endif
\set ECHO all
SELECT * FROM pg_temp.client_indexes('old_firm');
SELECT bool_and(x.indisvalid) AS all_valid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE i.relname LIKE '%by_client' AND i.relnamespace = 'old_firm'::regnamespace;
