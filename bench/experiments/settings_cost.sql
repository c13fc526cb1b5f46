-- What each SPEC §6/§7 setting costs a one-row capture, informally (clock_timestamp around each
-- INSERT, one psql run; not bench/run.sh's method). Teams take turns, one text each per round (each
-- round starting with the next team), so the machine's drift is shared. Phase 1: no team has billing rules; phase 2: team 6 has one (the
-- entries table then checks every team's entries). Run on a scratch database with autotime:
--   psql -X -f bench/experiments/settings_cost.sql
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS b CASCADE;
DROP EXTENSION IF EXISTS autotime CASCADE;
CREATE EXTENSION autotime;
SELECT autotime.create_practice_schema('b');
SET search_path = b, public;
INSERT INTO teams (team_id, name) SELECT t, 'firm ' || t FROM generate_series(1, 6) t;
INSERT INTO autotime.team_settings (team_id, enabled, billing_increment_minutes, daily_cap_minutes, session_gap_minutes)
VALUES (1, true, NULL, NULL, NULL), (2, true, 6, NULL, NULL), (3, true, NULL, 1440, NULL), (4, true, NULL, NULL, 10),
       (5, true, NULL, NULL, NULL), (6, true, NULL, NULL, NULL);
INSERT INTO team_members (team_id, user_id, name, hourly_rate) SELECT t, u, 'm', 100 FROM generate_series(1, 6) t, generate_series(1, 50) u;
INSERT INTO clients (team_id, id, name) SELECT t, 1, 'c' FROM generate_series(1, 6) t;
INSERT INTO cases (team_id, id, client_id, title, status) SELECT t, 1, 1, 'x', 'open' FROM generate_series(1, 6) t;
CREATE TEMP TABLE cost (phase int, team int, setting text, micros float8);
CREATE FUNCTION pg_temp.measure(phase int, teams int[], rounds int, first_id int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  spent float8[] := array_fill(0::float8, ARRAY[6]);
  team int;
BEGIN
  FOR i IN first_id .. first_id + rounds - 1 LOOP
    -- each round starts with the next team (a team's insert may leave work for the next one)
    FOREACH team IN ARRAY teams[1 + i % cardinality(teams):] || teams[:i % cardinality(teams)] LOOP
      t0 := clock_timestamp();
      INSERT INTO b.sms (team_id, id, client_id, user_id, direction, status, sent_at)
      VALUES (team, i, 1, 1 + i % 50, 'outbound', 'sent', '2026-04-01 08:00+00'::timestamptz + (i / 50) * interval '7 minutes');
      spent[team] := spent[team] + extract(epoch FROM clock_timestamp() - t0) * 1e6;
    END LOOP;
  END LOOP;
  INSERT INTO cost SELECT phase, u.t, CASE u.t WHEN 1 THEN 'none' WHEN 2 THEN 'billing_increment_minutes'
    WHEN 3 THEN 'daily_cap_minutes' WHEN 4 THEN 'session_gap_minutes' WHEN 5 THEN 'none (another team has rules)'
    ELSE 'billing_rules' END, spent[u.t] / rounds FROM unnest(teams) u(t);
END
$$;
SELECT pg_temp.measure(0, ARRAY[1, 2, 3, 4], 100, 1);  -- warm-up (plans, caches)
TRUNCATE cost;
SELECT pg_temp.measure(1, ARRAY[1, 2, 3, 4], 1000, 1001);
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (6, NULL, 'max_entry_minutes', '60');
SELECT pg_temp.measure(0, ARRAY[5, 6], 100, 1);
DELETE FROM cost WHERE phase = 0;
SELECT pg_temp.measure(2, ARRAY[5, 6], 1000, 1001);
SELECT c.phase, c.setting, round(c.micros::numeric, 1) AS micros_per_text,
       round((c.micros / (SELECT n.micros FROM cost n WHERE n.phase = 1 AND n.team = 1))::numeric, 2) AS vs_none
  FROM cost c ORDER BY c.phase, c.team;
