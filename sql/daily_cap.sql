-- SPEC §6 daily_cap_minutes: a member's automatically captured minutes per work date never exceed
-- the cap; an activity that would pass it is skipped (daily_cap), not linked, so raising the cap
-- and backfilling takes it. Deleted and dismissed activities give their minutes back.
\i test/fixtures/small_firm.sql

UPDATE autotime.team_settings SET daily_cap_minutes = 40 WHERE team_id = 1;
-- Ann's 10 March (New York time): 15 + 15 fit, a third call would make 45.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 16:00+00');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 3, 100, 10, 'outbound', 'completed', '2026-03-10 17:00+00');
-- Cy's day and Ann's next day are their own; another firm has no cap.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 4, 100, 12, 'outbound', 'completed', '2026-03-10 17:00+00'),
  (1, 5, 100, 10, 'outbound', 'completed', '2026-03-11 17:00+00');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (2, 1, 200, 20, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (2, 2, 200, 20, 'outbound', 'completed', '2026-03-10 16:00+00'),
  (2, 3, 200, 20, 'outbound', 'completed', '2026-03-10 17:00+00');
SELECT team_id, source_id, user_id, work_date, minutes FROM time_entries WHERE source_kind = 'call' ORDER BY team_id, source_id;
SELECT autotime.explain('call', 3, 1) ->> 'reason' AS call_3, autotime.explain('call', 1, 1) ->> 'outcome' AS call_1;
SELECT team_id, user_id, work_date, minutes FROM autotime.daily_minutes ORDER BY 1, 2, 3;
-- Several at once fit in the order they happened: of three 15-minute texts on the 12th, two.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', '2026-03-12 18:00+00'),
  (1, 2, 100, 10, 'outbound', 'sent', '2026-03-12 16:00+00'),
  (1, 3, 100, 10, 'outbound', 'sent', '2026-03-12 17:00+00');
SELECT source_id, work_date FROM time_entries WHERE source_kind = 'sms' ORDER BY source_id;
SELECT autotime.explain('sms', 1, 1) ->> 'reason' AS sms_1;
-- Billing increments count as billed: 15 rounded to 18 in tenths; 18 + 18 fit in 40, not a third.
UPDATE autotime.team_settings SET billing_increment_minutes = 6 WHERE team_id = 1;
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at) VALUES
  (1, 1, 100, 12, 'Letter', 7, '2026-03-13 15:00+00'), (1, 2, 100, 12, 'Letter', 7, '2026-03-13 16:00+00'),
  (1, 3, 100, 12, 'Letter', 7, '2026-03-13 17:00+00');
SELECT source_id, minutes FROM time_entries WHERE source_kind = 'document' ORDER BY source_id;
UPDATE autotime.team_settings SET billing_increment_minutes = NULL WHERE team_id = 1;

-- A deleted call gives its minutes back: the backfill then takes call 3.
DELETE FROM calls WHERE team_id = 1 AND id = 1;
SELECT minutes FROM autotime.daily_minutes WHERE team_id = 1 AND user_id = 10 AND work_date = '2026-03-10';
SELECT autotime.backfill_automatic_time(100, 1) AS backfilled;
SELECT source_id FROM time_entries WHERE team_id = 1 AND source_kind = 'call' AND user_id = 10 ORDER BY source_id;
-- Sent again, call 1 no longer fits (its day is full again); raising the cap and backfilling takes it.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT autotime.explain('call', 1, 1) ->> 'reason' AS resent_call_1;
UPDATE autotime.team_settings SET daily_cap_minutes = 60 WHERE team_id = 1;
SELECT autotime.backfill_automatic_time(100, 1) AS backfilled;
SELECT autotime.explain('call', 1, 1) ->> 'outcome' AS call_1;
-- A dismissed entry gives its minutes back too.
SELECT autotime.dismiss(ARRAY[autotime.entry_for('call', 2, 1)], 1) AS dismissed;
SELECT team_id, user_id, work_date, minutes FROM autotime.daily_minutes WHERE team_id = 1 ORDER BY 1, 2, 3;
-- The day's total is what its held links count.
SELECT d.work_date, d.minutes, (SELECT sum(l.minutes) FROM autotime.activity_links l WHERE l.team_id = d.team_id
        AND l.user_id = d.user_id AND l.work_date = d.work_date AND l.released_at IS NULL AND l.dismissed_at IS NULL) AS held
FROM autotime.daily_minutes d WHERE d.team_id = 1 ORDER BY d.user_id, d.work_date;
-- 1 to 1440 minutes.
\set VERBOSITY terse
UPDATE autotime.team_settings SET daily_cap_minutes = 0 WHERE team_id = 1;
\set VERBOSITY default
-- Capture applies the core's rule (autotime.rule_daily_cap_admits, src/core/rules.cpp): on a day of
-- 15 calls of random lengths in one statement (inserted out of order), and on a day whose 15 calls
-- arrive one statement each in a random order, the entries are exactly those the rule admits, and
-- the day stays within its cap.
UPDATE autotime.team_settings SET daily_cap_minutes = 120, call_minutes_mode = 'rounded_duration',
  minutes_per_activity = 6 WHERE team_id = 2;
SELECT setseed(0.2026);
CREATE TEMP TABLE day_calls AS
  SELECT 100 * d + g AS id, timestamptz '2026-03-31 08:00+00' + d * interval '1 day' + g * interval '7 minutes' AS started_at,
         (60 + floor(random() * 1500))::bigint AS duration_seconds, random() AS arrival
  FROM generate_series(1, 2) d, generate_series(1, 15) g;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
  SELECT 2, id, 200, 20, 'outbound', 'completed', started_at, duration_seconds FROM day_calls WHERE id < 200 ORDER BY arrival;
DO $$
DECLARE
  c record;
  m integer;
  counted integer := 0;
  admitted integer := 0;
BEGIN
  FOR c IN SELECT * FROM day_calls WHERE id > 200 ORDER BY arrival LOOP
    INSERT INTO firm.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
      VALUES (2, c.id, 200, 20, 'outbound', 'completed', c.started_at, c.duration_seconds);
    m := autotime.rule_minutes('rounded_duration', 6, c.duration_seconds, NULL);
    IF autotime.rule_daily_cap_admits(counted, ARRAY[m], 120) = 1 THEN
      counted := counted + m;
      admitted := admitted + 1;
    END IF;
  END LOOP;
  PERFORM set_config('daily_cap_test.admitted', admitted::text, false);
  PERFORM set_config('daily_cap_test.counted', counted::text, false);
END
$$;
SELECT d.work_date, count(*) AS entries, sum(d.minutes) AS minutes, sum(d.minutes) <= 120 AS within_cap,
       (count(*), sum(d.minutes)) = CASE WHEN d.work_date = '2026-04-01'
         THEN (SELECT (n::bigint, (SELECT sum(m) FROM unnest(ms[1:n]) m)) FROM (SELECT ms, autotime.rule_daily_cap_admits(0, ms, 120) AS n
                 FROM (SELECT array_agg(autotime.rule_minutes('rounded_duration', 6, c.duration_seconds, NULL) ORDER BY c.started_at) AS ms
                         FROM day_calls c WHERE c.id < 200) a) b)
         ELSE (current_setting('daily_cap_test.admitted')::bigint, current_setting('daily_cap_test.counted')::bigint) END
         AS as_the_core_rules
  FROM time_entries d WHERE d.team_id = 2 AND d.work_date >= '2026-04-01' GROUP BY d.work_date ORDER BY 1;
