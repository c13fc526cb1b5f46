-- SPEC §7 UTBMS activity codes: the reference entries table has activity_code; each auto entry
-- gets its team's code for the kind (autotime.activity_codes), else the kind's default (call, sms,
-- ir_report A106, document A103, event A109). Codes are validated (A101..A111).
\i test/fixtures/small_firm.sql

INSERT INTO autotime.activity_codes (team_id, kind, code) VALUES (1, 'call', 'A108');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 16:00+00'),
  (2, 1, 200, 20, 'outbound', 'completed', '2026-03-10 16:00+00');
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', '2026-03-10 17:00+00');
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id) VALUES (1, 1, 100, 10, 'Letter', 7);
INSERT INTO ir_reports (team_id, id, client_id, user_id, title) VALUES (1, 1, 100, 10, 'Intake');
INSERT INTO events (team_id, id, client_id, user_id, title, starts_at, completed_at) VALUES
  (1, 1, 100, 10, 'Hearing', '2026-03-10 09:00+00', '2026-03-10 10:00+00');
SELECT team_id, source_kind, source_id, activity_code FROM time_entries ORDER BY 1, 2, 3;
-- Backfill writes the code too.
SET autotime.capture = off;
INSERT INTO events (team_id, id, client_id, user_id, title, starts_at, completed_at) VALUES
  (1, 2, 100, 10, 'Deposition', '2026-03-11 09:00+00', '2026-03-11 10:00+00');
RESET autotime.capture;
INSERT INTO autotime.activity_codes (team_id, kind, code) VALUES (1, 'event', 'A101');
SELECT autotime.backfill_automatic_time(100, 1) AS backfilled;
SELECT source_id, activity_code FROM time_entries WHERE source_kind = 'event' ORDER BY source_id;
-- Codes are validated.
\set VERBOSITY terse
INSERT INTO autotime.activity_codes (team_id, kind, code) VALUES (1, 'sms', 'A112');
INSERT INTO autotime.activity_codes (team_id, kind, code) VALUES (1, 'sms', 'L110');
INSERT INTO autotime.activity_codes (team_id, kind, code) VALUES (1, 'fax', 'A101');
\set VERBOSITY default
-- An entries table without the column is written as before.
CREATE TABLE firm.plain_entries (LIKE firm.time_entries INCLUDING DEFAULTS INCLUDING IDENTITY);
ALTER TABLE firm.plain_entries DROP COLUMN activity_code, ADD PRIMARY KEY (team_id, id),
  ADD UNIQUE (team_id, source_kind, source_id, source_table);
SELECT autotime.bind('time_entries', 'firm.plain_entries');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 3, 100, 10, 'outbound', 'completed', '2026-03-12 15:00+00');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 4, 100, 10, 'outbound', 'completed', '2026-03-12 16:00+00'), (1, 5, 100, 10, 'outbound', 'completed', '2026-03-12 17:00+00');
SELECT source_id FROM firm.plain_entries ORDER BY 1;
-- A change of codes applies from the next statement: none left, the defaults; one again, it.
SELECT autotime.bind('time_entries', 'firm.time_entries');
DELETE FROM autotime.activity_codes;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 6, 100, 10, 'outbound', 'completed', '2026-03-13 15:00+00');
INSERT INTO autotime.activity_codes (team_id, kind, code) VALUES (1, 'call', 'A104');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 7, 100, 10, 'outbound', 'completed', '2026-03-13 16:00+00');
SELECT source_id, activity_code FROM time_entries WHERE source_kind = 'call' AND source_id IN (6, 7) ORDER BY 1;
