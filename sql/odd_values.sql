-- Odd values never cost the application its write (SPEC 4.13): far-future times are a recorded
-- skip, control and bidi characters in titles become spaces.
\i test/fixtures/small_firm.sql

-- A firm ahead of UTC: the latest instant PostgreSQL holds has no local date there.
UPDATE autotime.team_settings SET timezone = 'Asia/Tokyo' WHERE team_id = 2;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (2, 1, 200, 20, 'outbound', 'completed', '294276-12-31 23:00+00');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (2, 2, 200, 20, 'outbound', 'completed', '294276-12-31 22:00+00'),
  (2, 3, 200, 20, 'outbound', 'completed', '10000-01-01 00:00+00'),
  (2, 4, 200, 20, 'outbound', 'completed', '9999-12-31 12:00+00'),
  (2, 5, 200, 20, 'outbound', 'completed', '0001-01-01 00:00+00');
INSERT INTO events (team_id, id, client_id, user_id, title, starts_at, completed_at) VALUES
  (2, 1, 200, 20, 'Far hearing', '2026-01-01', 'infinity');
-- Every row is kept; the out-of-range ones are skipped with a reason, the others captured.
SELECT id, autotime.explain('call', id, 2) ->> 'reason' AS reason FROM calls WHERE team_id = 2 ORDER BY id;
SELECT autotime.explain('event', 1, 2) ->> 'reason' AS event_reason;
SELECT source_id, work_date FROM time_entries WHERE team_id = 2 ORDER BY source_id;
-- A backfill sees them the same way and fails on nothing.
SELECT autotime.backfill_automatic_time(200) AS backfilled;

-- Titles: C0, C1 and bidirectional controls become spaces (U+202E would make "exe.pdf" read
-- "fdp.exe"); other characters stay.
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id) VALUES
  (1, 1, 100, 10, E'Invoice\u202Eexe.pdf', 7),
  (1, 2, 100, 10, E'Memo\u0085line\u200Btwo\u2066x\u2069', 7),
  (1, 3, 100, 10, E'D\u00e9claration \u2014 caf\u00e9\tnotes', 7);
SELECT source_id, description FROM time_entries WHERE source_kind = 'document' ORDER BY source_id;
