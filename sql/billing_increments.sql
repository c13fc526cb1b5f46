-- SPEC §6 billing_increment_minutes: every auto entry's minutes are rounded up to whole billing
-- increments, after the per-kind minutes or rounded_duration; NULL (the default) changes nothing.
\i test/fixtures/small_firm.sql

SELECT billing_increment_minutes FROM autotime.team_settings WHERE team_id = 1;
-- Off: 15-minute calls, as in 1.x.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
-- Tenths of an hour: 15 becomes 18, a 3-minute text 6, a 6-minute document stays 6.
UPDATE autotime.team_settings SET billing_increment_minutes = 6, sms_minutes = 3, document_minutes = 6 WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 16:00+00');
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', '2026-03-10 17:00+00');
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id) VALUES (1, 1, 100, 10, 'Letter', 7);
-- Many rows at once (the set-based path) round the same way.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 3, 100, 10, 'outbound', 'completed', '2026-03-10 18:00+00'),
  (1, 4, 100, 12, 'inbound', 'completed', '2026-03-10 19:00+00');
-- Rounded call durations, then billing increments: 61 s (or 1 s) in 5-minute steps is 5, billed as 6;
-- 25 minutes is 25, billed as 30.
UPDATE autotime.team_settings SET call_minutes_mode = 'rounded_duration', call_minutes = 5 WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 5, 100, 10, 'outbound', 'completed', '2026-03-11 15:00+00', 61);
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 6, 100, 10, 'outbound', 'completed', '2026-03-11 16:00+00', 1500),
  (1, 7, 100, 10, 'outbound', 'completed', '2026-03-11 17:00+00', 1);
SELECT source_kind, source_id, minutes FROM time_entries ORDER BY source_kind, source_id;
-- Backfill applies the same rounding.
SET autotime.capture = off;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 8, 100, 10, 'outbound', 'completed', '2026-03-12 15:00+00', 61);
RESET autotime.capture;
SELECT autotime.backfill_automatic_time(100, 1) AS backfilled;
SELECT minutes FROM time_entries WHERE source_kind = 'call' AND source_id = 8;
-- Another team's entries are its own business.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (2, 1, 200, 20, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT minutes FROM time_entries WHERE team_id = 2;
-- The rule itself: billed >= worked, less than one increment more; off leaves the minutes.
SELECT m, autotime.rule_minutes('fixed', m, NULL, 6) AS tenths, autotime.rule_minutes('fixed', m, NULL, 60) AS hours,
       autotime.rule_minutes('fixed', m, NULL, NULL) AS off
FROM unnest(ARRAY[1, 6, 7, 59, 60, 61, 1440]) m;
-- 1 to 60 minutes.
\set VERBOSITY terse
UPDATE autotime.team_settings SET billing_increment_minutes = 0 WHERE team_id = 1;
UPDATE autotime.team_settings SET billing_increment_minutes = 61 WHERE team_id = 1;
