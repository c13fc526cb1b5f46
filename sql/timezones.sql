-- A team's timezone is an IANA name (SPEC §2). Anything else is refused with an error naming it:
-- a numeric offset ('+05:30', which PostgreSQL reads with the POSIX sign: UTC-05:30), an
-- abbreviation ('IST': Israel's fixed +02:00 to PostgreSQL), or a name this server doesn't know.
\i test/fixtures/small_firm.sql

-- IANA names are accepted in any case, including the few with digits.
INSERT INTO autotime.team_settings (team_id, timezone) VALUES
  (10, 'Asia/Kolkata'), (11, 'europe/berlin'), (12, 'UTC'), (13, 'Etc/GMT-5'), (14, 'EST5EDT'), (15, 'GMT+0');
SELECT team_id, timezone FROM autotime.team_settings WHERE team_id >= 10 ORDER BY team_id;

-- A numeric offset: refused, and the hint names the zones at the offset its ISO reading means
-- (no zone is at UTC-05:30: the hint then says where to look).
INSERT INTO autotime.team_settings (team_id, timezone) VALUES (20, '+05:30');
UPDATE autotime.team_settings SET timezone = '-5:30' WHERE team_id = 10;
-- A POSIX specification with its own name: the same, read as PostgreSQL reads it.
UPDATE autotime.team_settings SET timezone = '<+0530>-05:30' WHERE team_id = 10;
-- An abbreviation is a fixed offset, often not the one meant.
UPDATE autotime.team_settings SET timezone = 'IST' WHERE team_id = 10;
UPDATE autotime.team_settings SET timezone = 'Z' WHERE team_id = 10;
-- An unknown name.
UPDATE autotime.team_settings SET timezone = 'Mars/Olympus_Mons' WHERE team_id = 10;
-- Each with SQLSTATE 23514 and the constraint's name, like the CHECK behind it.
SELECT zone, pg_temp.refused(format('UPDATE autotime.team_settings SET timezone = %L WHERE team_id = 10', zone))
FROM unnest(ARRAY['+05:30', '-08:00', 'UTC+3', 'GMT-2', '+0530', 'PST', 'America/New York', ' UTC', '']) zone;
-- Nothing changed, and the NOT NULL constraint still speaks for a NULL.
SELECT timezone FROM autotime.team_settings WHERE team_id = 10;
SELECT pg_temp.refused($$UPDATE autotime.team_settings SET timezone = NULL WHERE team_id = 10$$);

-- Only a written timezone is checked: other changes to a row go through, and the check leaves the
-- session's own TimeZone as it was.
SHOW TimeZone;
UPDATE autotime.team_settings SET enabled = true, minutes_per_activity = 6 WHERE team_id BETWEEN 10 AND 15;
SHOW TimeZone;
SELECT count(*) AS enabled FROM autotime.team_settings WHERE team_id BETWEEN 10 AND 15 AND enabled;

-- Loading settings the way pg_restore does (COPY) goes through the same check.
COPY autotime.team_settings (team_id, enabled, timezone) FROM stdin;
30	t	America/Chicago
31	f	Australia/Adelaide
\.
COPY autotime.team_settings (team_id, enabled, timezone) FROM stdin;
32	t	+09:30
\.
SELECT team_id, timezone FROM autotime.team_settings WHERE team_id >= 30 ORDER BY team_id;

-- The IANA name dates the work as the firm lives it: 20:00 UTC on 10 March is already 11 March in
-- Kolkata (the rejected '+05:30' would have said 10 March, at UTC-05:30).
UPDATE autotime.team_settings SET timezone = 'Asia/Kolkata' WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 20:00+00');
SELECT source_id, work_date FROM time_entries WHERE source_kind = 'call' AND source_id = 1;
SELECT ('2026-03-10 20:00+00'::timestamptz AT TIME ZONE 'Asia/Kolkata')::date AS kolkata,
       ('2026-03-10 20:00+00'::timestamptz AT TIME ZONE '+05:30')::date AS posix_plus_05_30;

-- The helpers, for a DBA checking values before writing them.
SELECT zone, autotime.timezone_problem(zone) AS problem
FROM unnest(ARRAY['America/New_York', 'Etc/GMT+5', '+05:30', 'UTC-3', 'IST', 'Mars/Olympus_Mons']) zone;
SELECT autotime.format_offset(interval '5 hours 30 minutes') AS east, autotime.format_offset(interval '-8 hours') AS west;

-- Updating to 1.3 refuses to go on over settings it would now refuse (pg_restore would refuse
-- them after it): the DBA sets IANA names, and the update then goes through.
SET client_min_messages = warning;
DROP SCHEMA firm CASCADE;
DROP EXTENSION autotime CASCADE;
CREATE EXTENSION autotime VERSION '1.2';
RESET client_min_messages;
INSERT INTO autotime.team_settings (team_id, enabled, timezone) VALUES (1, true, '+05:30'), (2, true, 'IST'),
  (3, true, 'America/Chicago');
ALTER EXTENSION autotime UPDATE TO '1.3';
SELECT extversion FROM pg_extension WHERE extname = 'autotime';
UPDATE autotime.team_settings SET timezone = 'Asia/Kolkata' WHERE team_id = 1;
UPDATE autotime.team_settings SET timezone = 'Asia/Jerusalem' WHERE team_id = 2;
ALTER EXTENSION autotime UPDATE TO '1.3';
SELECT extversion FROM pg_extension WHERE extname = 'autotime';
SELECT team_id, enabled, timezone FROM autotime.team_settings ORDER BY team_id;
SELECT pg_temp.refused($$UPDATE autotime.team_settings SET timezone = '+05:30' WHERE team_id = 1$$);
