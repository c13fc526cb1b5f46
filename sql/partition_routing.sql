-- One inserted row is decided by index probes also when the bound cases and team members are
-- partitioned: each probe reads the one partition that routing picks for its key (list with a
-- default, range, a second level, a partition whose columns are in another order, an int4 key a
-- team id can't fit), and asks the SQL when a level is partitioned by a column the probe doesn't
-- have. Each row inserted on its own must get what its twin (id + 1000), inserted with the others
-- in one statement (the set-based SQL), gets; explain's live_path says how such a row is decided.
\i test/fixtures/small_firm.sql

CREATE SCHEMA routed;
-- Team members, listed by team on an int4 column: team 1's partition attached from a table with
-- its columns in another order, every other team in the default partition.
CREATE TABLE routed.members (team_id int NOT NULL, user_id bigint NOT NULL, can_log_time boolean NOT NULL,
  hourly_rate numeric(10,2) NOT NULL, UNIQUE (team_id, user_id)) PARTITION BY LIST (team_id);
CREATE TABLE routed.members_1 (hourly_rate numeric(10,2) NOT NULL, can_log_time boolean NOT NULL,
  user_id bigint NOT NULL, team_id int NOT NULL);
ALTER TABLE routed.members ATTACH PARTITION routed.members_1 FOR VALUES IN (1);
CREATE TABLE routed.members_rest PARTITION OF routed.members DEFAULT;
INSERT INTO routed.members SELECT team_id, user_id, can_log_time, hourly_rate FROM firm.team_members;
-- Cases, by ranges of teams: team 1's range partitioned again by case id, so that its cases can be
-- found by id through both levels but a client's cases only by the SQL; later teams by default.
CREATE TABLE routed.cases (team_id bigint NOT NULL, id bigint NOT NULL, client_id bigint NOT NULL,
  status text NOT NULL, billing_type text NOT NULL, updated_at timestamptz, PRIMARY KEY (team_id, id))
  PARTITION BY RANGE (team_id);
CREATE TABLE routed.cases_1 PARTITION OF routed.cases FOR VALUES FROM (1) TO (2) PARTITION BY HASH (id);
CREATE TABLE routed.cases_1a PARTITION OF routed.cases_1 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE routed.cases_1b PARTITION OF routed.cases_1 FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE routed.cases_2 PARTITION OF routed.cases FOR VALUES FROM (2) TO (3);
CREATE TABLE routed.cases_rest PARTITION OF routed.cases DEFAULT;
CREATE INDEX ON routed.cases (team_id, client_id);
INSERT INTO routed.cases SELECT team_id, id, client_id, status, billing_type, updated_at FROM firm.cases;
SELECT autotime.bind('team_members', 'routed.members'), autotime.bind('cases', 'routed.cases');
-- A firm whose id an int4 can't hold: no partition of the members has its rows.
INSERT INTO teams (team_id, name) VALUES (5000000000, 'Big Id LLP');
INSERT INTO clients (team_id, id, name) VALUES (5000000000, 500, 'Big client');
INSERT INTO autotime.team_settings (team_id, enabled, timezone) VALUES (5000000000, true, 'UTC');

-- insert_alone(stage): each staged call inserted on its own; returns how many of them the set-based
-- SQL decided (its calls of autotime.rule_skip_reason). Then insert_twins(stage): the same calls as
-- id + 1000, in one INSERT (always the SQL).
SET track_functions = 'all';
CREATE FUNCTION pg_temp.sql_decisions() RETURNS bigint LANGUAGE sql AS $$
  SELECT coalesce(sum(pg_stat_get_xact_function_calls(p.oid)), 0) FROM pg_proc p
   WHERE p.proname = 'rule_skip_reason' AND p.pronamespace = 'autotime'::regnamespace $$;
CREATE FUNCTION pg_temp.insert_alone(stage regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  before CONSTANT bigint := pg_temp.sql_decisions();
  row_id bigint;
BEGIN
  FOR row_id IN EXECUTE format('SELECT id FROM %s ORDER BY id', stage) LOOP
    EXECUTE format('INSERT INTO firm.calls SELECT * FROM %s WHERE id = $1', stage) USING row_id;
  END LOOP;
  RETURN pg_temp.sql_decisions() - before;
END $$;
CREATE FUNCTION pg_temp.insert_twins(stage regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('INSERT INTO firm.calls SELECT team_id, id + 1000, client_id, case_id, user_id, direction, status, '
                 'started_at, duration_seconds, counterparty FROM %s', stage);
END $$;
-- What each call got, and whether its twin got the same (verdict and entry but for its id).
CREATE FUNCTION pg_temp.outcomes(stage regclass) RETURNS TABLE (id bigint, verdict text, entry text, twin_alike boolean)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format($q$
    WITH got AS (
      SELECT s.id, c.id AS call_id, x ->> 'outcome' || coalesce(' ' || (x ->> 'reason'), '') AS verdict,
             (SELECT row(e.case_id, e.user_id, e.work_date, e.minutes, e.billable, e.rate)::text
                FROM firm.time_entries e WHERE e.id = (x ->> 'time_entry_id')::bigint) AS entry
        FROM %s s JOIN firm.calls c ON c.team_id = s.team_id AND c.id IN (s.id, s.id + 1000),
             autotime.explain('call', c.id, c.team_id) x)
    SELECT o.id, o.verdict, o.entry, t.verdict = o.verdict AND t.entry IS NOT DISTINCT FROM o.entry
      FROM got o JOIN got t ON t.id = o.id AND t.call_id = o.id + 1000
     WHERE o.call_id = o.id ORDER BY o.id$q$, stage);
END $$;

CREATE TEMP TABLE stage (LIKE firm.calls);
INSERT INTO stage (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 61),  -- its case, through both levels
  (1, 2, 100, 1001, 12, 'outbound', 'completed', '2026-03-10 15:00+00', 61),  -- (the other hash partition)
  (1, 3, 100, 1020, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 61),  -- another client's case
  (1, 4, 100, 1000, 11, 'outbound', 'completed', '2026-03-10 15:00+00', 61),  -- Bob may not log time
  (1, 5, 100, 1000, 99, 'outbound', 'completed', '2026-03-10 15:00+00', 61),  -- not a member
  (1, 6, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 61),  -- the client's newest open case: SQL
  (1, 7, 101, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 61),  -- no open case: SQL
  (2, 8, 200, NULL, 20, 'outbound', 'completed', '2026-03-10 15:00+00', 61),  -- team 2: one level each
  (2, 9, 200, 2000, 20, 'outbound', 'completed', '2026-03-10 15:00+00', 61),
  (3, 10, 300, NULL, 30, 'outbound', 'completed', '2026-03-10 15:00+00', 61), -- team 3: no settings
  (5000000000, 11, 500, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 61);  -- no member partition
SELECT pg_temp.insert_alone('stage') AS decided_by_sql;
SELECT pg_temp.insert_twins('stage');
SELECT * FROM pg_temp.outcomes('stage');

-- Detached, team 1's members are no longer members (routing now lands in the default partition).
ALTER TABLE routed.members DETACH PARTITION routed.members_1;
TRUNCATE stage;
INSERT INTO stage (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 21, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 61);
SELECT pg_temp.insert_alone('stage') AS decided_by_sql;
SELECT pg_temp.insert_twins('stage');
SELECT * FROM pg_temp.outcomes('stage');
ALTER TABLE routed.members ATTACH PARTITION routed.members_1 FOR VALUES IN (1);
-- The client index rebuilt (new index on every partition): still probed, through the new one.
DROP INDEX routed.cases_team_id_client_id_idx;
CREATE INDEX cases_by_client ON routed.cases (team_id, client_id);
TRUNCATE stage;
INSERT INTO stage (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (2, 22, 200, NULL, 20, 'outbound', 'completed', '2026-03-10 15:00+00', 61),
  (1, 23, 100, 1001, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 61);
SELECT pg_temp.insert_alone('stage') AS decided_by_sql;
SELECT pg_temp.insert_twins('stage');
SELECT * FROM pg_temp.outcomes('stage');

-- How a row like each would be decided now: by the probes, or by the SQL and why.
SELECT autotime.explain('call', 1) ->> 'live_path' AS call_1, autotime.explain('call', 1) ? 'live_path_detail' AS detail;
UPDATE autotime.team_settings SET daily_cap_minutes = 480 WHERE team_id = 2;
SELECT autotime.explain('call', 8) ->> 'live_path' AS call_8, autotime.explain('call', 8) ->> 'live_path_detail' AS why;
UPDATE autotime.team_settings SET daily_cap_minutes = NULL WHERE team_id = 2;
-- Cases hashed by (team_id, id): a client's cases can't be routed to, so no row is probed.
CREATE TABLE routed.cases_by_id (LIKE routed.cases INCLUDING ALL) PARTITION BY HASH (team_id, id);
CREATE TABLE routed.cases_by_id_0 PARTITION OF routed.cases_by_id FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE routed.cases_by_id_1 PARTITION OF routed.cases_by_id FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO routed.cases_by_id SELECT * FROM routed.cases;
SELECT autotime.bind('cases', 'routed.cases_by_id');
SELECT autotime.explain('call', 9) ->> 'live_path' AS call_9, autotime.explain('call', 9) ->> 'live_path_detail' AS why;
TRUNCATE stage;
INSERT INTO stage (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 31, 100, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 61),
  (2, 32, 200, NULL, 20, 'outbound', 'completed', '2026-03-10 15:00+00', 61);
SELECT pg_temp.insert_alone('stage') AS decided_by_sql;
SELECT pg_temp.insert_twins('stage');
SELECT * FROM pg_temp.outcomes('stage');
