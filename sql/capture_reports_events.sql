-- Interaction reports always qualify; events qualify once completed, billed to who completed them.
\i test/fixtures/small_firm.sql

INSERT INTO ir_reports (team_id, id, client_id, user_id, title, transcript, created_at) VALUES
  (1, 1, 100, 10, 'Intake interview', 'Client said the landlord never returned the deposit', '2026-03-10 15:00+00');
SELECT source_kind, source_id, description, minutes FROM time_entries;
SELECT count(*) AS descriptions_leaking_the_transcript FROM time_entries WHERE description LIKE '%landlord%';

INSERT INTO events (team_id, id, client_id, user_id, title, starts_at, completed_at, completed_by) VALUES
  (1, 1, 100, 10, 'Court prep', '2026-03-11 14:00+00', NULL, NULL),
  (1, 2, 100, 10, 'Deposition', '2026-03-11 14:00+00', '2026-03-11 18:00+00', 12),
  (1, 3, 100, 10, 'Client meeting', '2026-03-11 14:00+00', '2026-03-12 03:30+00', NULL);
-- Event 2 goes to Cy who completed it (at Cy's rate); event 3 to its organiser Ann, dated in New York time.
SELECT source_id, user_id, rate, work_date, description FROM time_entries WHERE source_kind = 'event' ORDER BY source_id;

UPDATE events SET completed_at = '2026-03-12 20:00+00', completed_by = 10 WHERE id = 1;
SELECT source_id, user_id, work_date FROM time_entries WHERE source_kind = 'event' AND source_id = 1;

-- Per-kind minutes and toggles.
UPDATE autotime.team_settings SET ir_report_minutes = 30, track_events = false WHERE team_id = 1;
INSERT INTO ir_reports (team_id, id, client_id, user_id, title, created_at) VALUES (1, 2, 100, 10, 'Follow-up', '2026-03-13 15:00+00');
INSERT INTO events (team_id, id, client_id, user_id, title, starts_at, completed_at) VALUES (1, 4, 100, 10, 'Filing', now(), now());
SELECT source_kind, source_id, minutes FROM time_entries WHERE source_id IN (2, 4) AND source_kind IN ('ir_report', 'event');
SELECT autotime.explain('event', 4) ->> 'reason' AS reason;
