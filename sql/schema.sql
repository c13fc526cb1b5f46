-- The reference practice schema create_practice_schema() builds: names, columns, keys.
\i test/fixtures/small_firm.sql

SELECT table_name, string_agg(column_name || ' ' || data_type || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END,
                              ', ' ORDER BY ordinal_position) AS columns
FROM information_schema.columns WHERE table_schema = 'firm' AND table_name <> 'entries'
  AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition)  -- same answer when partitioned
GROUP BY table_name ORDER BY table_name;

-- Every key includes team_id; foreign keys are composite.
SELECT conrelid::regclass AS on_table, contype, pg_get_constraintdef(oid) AS definition
FROM pg_constraint WHERE connamespace = 'firm'::regnamespace AND contype IN ('p', 'u', 'f')
  AND conrelid NOT IN (SELECT oid FROM pg_class WHERE relispartition) AND conparentid = 0
ORDER BY conrelid::regclass::text, contype, conname;

-- Capture is attached to the five activity tables and bound to the three roles.
SELECT source, kind FROM autotime.attachments ORDER BY kind;
SELECT role, rel FROM autotime.bindings ORDER BY role;
SELECT tgrelid::regclass AS on_table, tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND NOT c.relispartition AND c.relnamespace = 'firm'::regnamespace
ORDER BY 1, 2;
-- ... and on every partition of an attached table (when the schema is partitioned), so a statement
-- aimed straight at a partition is captured too.
SELECT bool_and((SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = p.relid AND t.tgname LIKE 'autotime_capture_%') = 4)
       AS every_partition_captured
FROM (SELECT a.source AS relid FROM autotime.attachments a
      UNION SELECT p.relid FROM autotime.attachments a, pg_partition_tree(a.source) p) p;

-- The firm's tables are not extension members; autotime's own tables are, and are dumped with their data.
SELECT count(*) AS firm_objects_in_extension FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
WHERE d.deptype = 'e' AND c.relnamespace = 'firm'::regnamespace;
SELECT extconfig::regclass[] AS dumped_config_tables FROM pg_extension WHERE extname = 'autotime';

-- A time entry's client is its case's client: one key checks both (1.2).
SELECT pg_temp.refused($$INSERT INTO time_entries (team_id, client_id, case_id, user_id, work_date, minutes, description)
VALUES (1, 101, 1000, 10, '2026-03-10', 6, 'Zeta work on an Acme case')$$);
SELECT pg_temp.refused($$INSERT INTO time_entries (team_id, client_id, case_id, user_id, work_date, minutes, description)
VALUES (1, 100, 1000, 10, '2026-03-10', 6, 'Acme work on an Acme case')$$);
-- (Refused from the referenced side, the name is that of one partition's pairing when partitioned.)
SELECT substr(pg_temp.refused($$UPDATE cases SET client_id = 101 WHERE team_id = 1 AND id = 1000$$), 1, 14) AS refused;
DELETE FROM time_entries WHERE description = 'Acme work on an Acme case';

-- cases.updated_at is kept current on update.
UPDATE cases SET title = 'Renamed' WHERE team_id = 1 AND id = 1000;
SELECT updated_at > '2026-06-01' AS touched FROM cases WHERE team_id = 1 AND id = 1000;

-- One practice schema per database: a second would receive the first one's entries.
SELECT autotime.create_practice_schema('second_firm');
-- Existing tables are never overwritten.
DELETE FROM autotime.bindings;
CREATE SCHEMA crowded;
CREATE TABLE crowded.cases (id int);
SELECT autotime.create_practice_schema('crowded');
SELECT count(*) AS tables_created_in_crowded FROM pg_class WHERE relnamespace = 'crowded'::regnamespace AND relkind IN ('r', 'p');
DROP SCHEMA crowded CASCADE;
