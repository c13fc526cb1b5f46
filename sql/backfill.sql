-- Backfill: the live rules over past activity, dated at each activity's own date, safe to re-run.
\i test/fixtures/small_firm.sql

-- History recorded before team 3 opted in (team 3 has no settings row): nothing captured live.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (3, 1, 300, 30, 'outbound', 'completed', '2025-11-03 15:00+00', 600),
  (3, 2, 300, 30, 'inbound', 'missed', '2025-11-04 15:00+00', 0);
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (3, 1, 300, 30, 'outbound', 'delivered', 'SM-1', '2025-11-05 15:00+00'),
  (3, 2, 300, 30, 'outbound', 'delivered', 'SM-1', '2025-11-05 15:00+00');
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at) VALUES
  (3, 1, 300, 30, 'Retainer', 4, '2025-11-06 15:00+00');
INSERT INTO ir_reports (team_id, id, client_id, user_id, title, created_at) VALUES
  (3, 1, 300, 30, 'Phone intake', '2025-11-07 15:00+00');
INSERT INTO events (team_id, id, client_id, user_id, title, starts_at, completed_at) VALUES
  (3, 1, 300, 30, 'Mediation', '2025-11-08 15:00+00', '2025-11-08 23:30+00'),
  (3, 2, 300, 30, 'Trial', '2025-12-08 15:00+00', NULL);
-- An update that made a row qualify while the team was disabled is history too.
UPDATE calls SET status = 'completed', duration_seconds = 60 WHERE team_id = 3 AND id = 2;

-- Disabled: nothing, and it says so.
SELECT autotime.backfill_automatic_time(300) AS created;

INSERT INTO autotime.team_settings (team_id, enabled, timezone) VALUES (3, true, 'America/Los_Angeles');
SELECT autotime.backfill_automatic_time(300) AS created;
-- Dated at each activity's local date (the mediation ended 15:30 in Los Angeles on 8 November).
SELECT source_kind, source_id, work_date, minutes, description FROM time_entries WHERE team_id = 3
ORDER BY source_kind, source_id;
-- Re-running is a no-op.
SELECT autotime.backfill_automatic_time(300) AS created_again;
-- Another client, or a client with nothing qualifying: zero.
SELECT autotime.backfill_automatic_time(101) AS zeta, autotime.backfill_automatic_time(424242) AS nobody;

-- A deleted (or dismissed) entry is never re-created by a backfill.
DELETE FROM time_entries WHERE team_id = 3 AND source_kind = 'document';
SELECT autotime.backfill_automatic_time(300) AS after_deleting_the_document_entry;
SELECT autotime.explain('document', 1) ->> 'reason' AS document_reason;

-- backfill_team: the whole firm, in committed batches, with progress and a per-kind summary
-- (elapsed time and the estimate of what is left are in each notice's DETAIL, hidden here).
UPDATE autotime.team_settings SET enabled = false WHERE team_id = 3;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
SELECT 3, g, 300, 30, 'outbound', 'completed', '2025-10-01 15:00+00'::timestamptz + g * interval '1 hour'
FROM generate_series(10, 33) g;
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 3;
\set VERBOSITY terse
CALL autotime.backfill_team(3, batch_size => 10);
SELECT count(*) AS team_3_call_entries FROM time_entries WHERE team_id = 3 AND source_kind = 'call';
-- Re-run: nothing new.
CALL autotime.backfill_team(3, batch_size => 1000);
-- since: only activity on or after that time.
UPDATE autotime.team_settings SET enabled = false WHERE team_id = 3;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (3, 40, 300, 30, 'outbound', 'completed', '2024-01-01 15:00+00'),
  (3, 41, 300, 30, 'outbound', 'completed', '2025-12-01 15:00+00');
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 3;
CALL autotime.backfill_team(3, since => '2025-06-01', batch_size => 1000);
SELECT source_id FROM time_entries WHERE team_id = 3 AND source_kind = 'call' AND source_id >= 40;
-- Sparse ids walk only the ids that exist (no empty batch between 41 and 5e12), ids at the
-- bigint limit don't overflow, and since narrows the walk (calls 1..41 are before it).
UPDATE autotime.team_settings SET enabled = false WHERE team_id = 3;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (3, 5000000000000, 300, 30, 'outbound', 'completed', '2026-01-05 15:00+00'),
  (3, 9223372036854775807, 300, 30, 'outbound', 'completed', '2026-01-06 15:00+00');
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 3;
CALL autotime.backfill_team(3, since => '2026-01-01', batch_size => 10);
SELECT source_id FROM time_entries WHERE team_id = 3 AND source_kind = 'call' AND source_id > 41 ORDER BY 1;
\set VERBOSITY default
-- Errors and disabled teams.
CALL autotime.backfill_team(3, batch_size => 0);
CALL autotime.backfill_team(NULL);
CALL autotime.backfill_team(42);
-- It commits as it goes: inside a transaction block it says so (not a bare 2D000).
BEGIN;
CALL autotime.backfill_team(3);
ROLLBACK;
