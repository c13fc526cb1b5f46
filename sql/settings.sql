-- Opt-in per firm, settings validation, work dates in the firm's timezone.
\i test/fixtures/small_firm.sql

-- Team 3 has no settings row: nothing is created.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (3, 1, 300, 30, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT count(*) AS team_3_entries FROM time_entries WHERE team_id = 3;
SELECT autotime.explain('call', 1) ->> 'reason' AS reason;
-- A row with the defaults is still disabled.
INSERT INTO autotime.team_settings (team_id) VALUES (3);
SELECT * FROM autotime.team_settings WHERE team_id = 3;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (3, 2, 300, 30, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT count(*) AS team_3_entries FROM time_entries WHERE team_id = 3;
-- Enabling takes effect at the next statement.
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 3;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (3, 3, 300, 30, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT source_id FROM time_entries WHERE team_id = 3;
-- Disabling too.
UPDATE autotime.team_settings SET enabled = false WHERE team_id = 3;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (3, 4, 300, 30, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT source_id FROM time_entries WHERE team_id = 3;

-- Work date is the activity's local date: 02:30 UTC on 11 March is still 10 March in New York.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 5, 100, 10, 'outbound', 'completed', '2026-03-11 02:30+00'),
       (2, 6, 200, 20, 'outbound', 'completed', '2026-03-11 02:30+00');
SELECT team_id, source_id, work_date FROM time_entries WHERE source_id IN (5, 6) ORDER BY team_id;
UPDATE autotime.team_settings SET timezone = 'Asia/Tokyo' WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 7, 100, 10, 'outbound', 'completed', '2026-03-10 20:00+00');
SELECT source_id, work_date FROM time_entries WHERE source_id = 7;

-- Bad settings are refused with the constraint that names the problem.
UPDATE autotime.team_settings SET minutes_per_activity = 0 WHERE team_id = 1;
UPDATE autotime.team_settings SET minutes_per_activity = 1441 WHERE team_id = 1;
UPDATE autotime.team_settings SET sms_minutes = -5 WHERE team_id = 1;
UPDATE autotime.team_settings SET call_minutes_mode = 'guess' WHERE team_id = 1;
UPDATE autotime.team_settings SET flat_fee_policy = 'double' WHERE team_id = 1;
UPDATE autotime.team_settings SET timezone = 'Mars/Olympus_Mons' WHERE team_id = 1;
UPDATE autotime.team_settings SET on_error = 'ignore' WHERE team_id = 1;
UPDATE autotime.team_settings SET enabled = NULL WHERE team_id = 1;
SELECT minutes_per_activity, call_minutes_mode, flat_fee_policy, timezone, on_error FROM autotime.team_settings WHERE team_id = 1;
