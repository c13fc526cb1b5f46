-- Calls: a completed call (either direction) is captured once, at insert or when an update completes it.
\i test/fixtures/small_firm.sql

INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
VALUES (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 300, '+1 555 0100'),
       (1, 2, 100, 10, 'inbound', 'completed', '2026-03-10 16:00+00', 60, '+1 555 0101'),
       (1, 3, 100, 10, 'outbound', 'ringing', '2026-03-10 17:00+00', NULL, '+1 555 0102'),
       (1, 4, 100, 10, 'inbound', 'missed', '2026-03-10 18:00+00', 0, '+1 555 0103'),
       (1, 5, 100, 10, 'outbound', 'voicemail', '2026-03-10 19:00+00', 20, '+1 555 0104');
-- Two completed calls become entries; ringing, missed and voicemail do not.
SELECT * FROM entries;
-- One call per statement (a webhook each) is decided the same way.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
VALUES (1, 6, 100, 10, 'inbound', 'missed', '2026-03-10 20:00+00', 0, '+1 555 0105');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
VALUES (1, 7, 100, 10, 'outbound', 'completed', '2026-03-10 21:00+00', 120, '+1 555 0106');
SELECT source_id, minutes FROM time_entries WHERE source_id IN (6, 7);

-- The ringing call completes: captured by the update.
UPDATE calls SET status = 'in_progress' WHERE id = 3;
SELECT count(*) AS entries_after_in_progress FROM time_entries;
UPDATE calls SET status = 'completed', duration_seconds = 1000 WHERE id = 3;
SELECT * FROM entries WHERE source_id = 3;

-- Later updates of a captured call never make a second entry; a bulk update that completes
-- the missed calls and the voicemail captures those three (set-based, in one statement).
UPDATE calls SET duration_seconds = 2000 WHERE id = 3;
UPDATE calls SET status = 'completed' WHERE team_id = 1;
SELECT source_id, count(*) FROM time_entries GROUP BY source_id ORDER BY source_id;

-- A call whose entry a reviewer dismissed stays dismissed when a sync job deletes it and sends it
-- again (one row, decided by index probes: its link is not claimed again, so no entry is written).
SELECT autotime.dismiss(ARRAY(SELECT id FROM time_entries WHERE source_kind = 'call' AND source_id = 7)) AS dismissed;
DELETE FROM calls WHERE team_id = 1 AND id = 7;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
VALUES (1, 7, 100, 10, 'outbound', 'completed', '2026-03-10 21:00+00', 120, '+1 555 0106');
SELECT autotime.explain('call', 7) ->> 'reason' AS reason,
       (SELECT count(*) FROM time_entries WHERE source_kind = 'call' AND source_id = 7) AS entries;

-- Rounded duration: call length rounded up to whole increments, at least one.
UPDATE autotime.team_settings SET call_minutes_mode = 'rounded_duration', minutes_per_activity = 6 WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 10, 100, 10, 'outbound', 'completed', '2026-03-11 15:00+00', 1),
       (1, 11, 100, 10, 'outbound', 'completed', '2026-03-11 15:00+00', 360),
       (1, 12, 100, 10, 'outbound', 'completed', '2026-03-11 15:00+00', 361),
       (1, 13, 100, 10, 'outbound', 'completed', '2026-03-11 15:00+00', NULL),
       (1, 14, 100, 10, 'outbound', 'completed', '2026-03-11 15:00+00', -50);
SELECT source_id, minutes FROM time_entries WHERE source_id >= 10 ORDER BY source_id;

-- A per-kind override wins over minutes_per_activity (fixed mode).
UPDATE autotime.team_settings SET call_minutes_mode = 'fixed', call_minutes = 12 WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 20, 100, 10, 'outbound', 'completed', '2026-03-12 15:00+00', 3600);
SELECT source_id, minutes FROM time_entries WHERE source_id = 20;

-- track_calls = false: calls are not captured, other kinds still are.
UPDATE autotime.team_settings SET track_calls = false WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 30, 100, 10, 'outbound', 'completed', '2026-03-12 15:00+00');
SELECT autotime.explain('call', 30) ->> 'reason' AS reason;
-- A text and a document recorded at the same moment are captured as usual (at the team's 6
-- minutes: call_minutes is for calls only).
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at)
VALUES (1, 30, 100, 10, 'outbound', 'delivered', 'SM-30', '2026-03-12 15:00+00');
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at)
VALUES (1, 30, 100, 10, 'Follow-up letter', 1, '2026-03-12 15:00+00');
SELECT source_kind, source_id, minutes FROM time_entries WHERE source_id = 30 ORDER BY source_kind;
