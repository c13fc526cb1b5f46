-- Does the PL/pgSQL reference (plpgsql_reference.sql) make the same entries and links as autotime?
-- Run it in a database made by setup.sql (plain or partitioned) with autotime capturing the five
-- activity tables, and in one with them detached and the reference triggers installed; the two
-- outputs must be identical (bench/bench.py's check_reference does exactly that, on both table
-- shapes). Covers every rule the benchmark exercises, for every kind.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
TRUNCATE bench.calls, bench.sms, bench.documents, bench.ir_reports, bench.events, bench.time_entries,
  autotime.activity_links;
INSERT INTO bench.clients (team_id, id, name) VALUES (1, 1001, 'no open case');
INSERT INTO bench.cases (team_id, id, client_id, title, status) VALUES (1, 10010, 1001, 'closed', 'closed'),
  (1, 10011, 1001, 'archived', 'archived');
INSERT INTO bench.cases (team_id, id, client_id, title, status, billing_type) VALUES (1, 20001, 7, 'contingency', 'pending', 'contingency');

-- One statement, many rules: qualifying / not, permission, no actor, own case, case mismatch,
-- flat fee (client 35), no open case, inbound, timezone date boundary.
INSERT INTO bench.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1, 12, NULL, 101, 'outbound', 'completed', '2026-03-10 15:00+00', 300),   -- latest open case 121
  (1, 2, 12, NULL, 101, 'outbound', 'missed', '2026-03-10 15:00+00', 0),        -- not qualifying
  (1, 3, 12, NULL, 151, 'outbound', 'completed', '2026-03-10 15:00+00', 300),   -- no permission
  (1, 4, 12, NULL, NULL, 'outbound', 'completed', '2026-03-10 15:00+00', 300),  -- no actor
  (1, 5, 12, 122, 102, 'inbound', 'completed', '2026-03-10 15:00+00', 300),     -- own case
  (1, 6, 12, 131, 102, 'inbound', 'completed', '2026-03-10 15:00+00', 300),     -- case of another client
  (1, 7, 35, NULL, 103, 'outbound', 'completed', '2026-03-10 15:00+00', 300),   -- flat fee: non-billable
  (1, 8, 1001, NULL, 104, 'outbound', 'completed', '2026-03-10 15:00+00', 300), -- no open case
  (1, 9, 12, NULL, 105, 'outbound', 'completed', '2026-03-10 03:30+00', 300),   -- local date 2026-03-09
  (1, 10, 7, 20001, 106, 'outbound', 'completed', '2026-03-10 15:00+00', 300);  -- contingency: non-billable
-- Single-row statements (the live path).
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 11, 13, 107, 'inbound', 'completed', '2026-03-11 12:00+00', 61);
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 12, 13, 107, 'outbound', 'ringing', '2026-03-11 12:00+00', NULL);
-- Updates: one that makes the call qualify, one that changes a call that already qualified.
UPDATE bench.calls SET status = 'completed', duration_seconds = 95 WHERE id IN (2, 12);
UPDATE bench.calls SET status = 'completed', duration_seconds = 999 WHERE id = 1;
-- Settings: rounded duration, per-kind minutes, flat fee skip / billable, disabled team.
UPDATE autotime.team_settings SET call_minutes_mode = 'rounded_duration', minutes_per_activity = 6;
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 13, 14, 108, 'outbound', 'completed', '2026-03-12 12:00+00', 1000);
UPDATE autotime.team_settings SET call_minutes_mode = 'fixed', call_minutes = 20, flat_fee_policy = 'skip';
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 14, 40, 108, 'outbound', 'completed', '2026-03-12 12:00+00', 100),   -- flat fee skipped
       (1, 15, 41, 108, 'outbound', 'completed', '2026-03-12 12:00+00', 100);   -- 20 minutes
UPDATE autotime.team_settings SET flat_fee_policy = 'billable';
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 16, 45, 109, 'outbound', 'completed', '2026-03-12 12:00+00', 100);   -- flat fee billable
UPDATE autotime.team_settings SET enabled = false;
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 17, 46, 109, 'outbound', 'completed', '2026-03-12 12:00+00', 100);   -- team disabled
UPDATE autotime.team_settings SET enabled = true, track_calls = false;
INSERT INTO bench.calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 18, 46, 109, 'outbound', 'completed', '2026-03-12 12:00+00', 100);   -- kind disabled
UPDATE autotime.team_settings SET track_calls = true, call_minutes = NULL, minutes_per_activity = 15,
  flat_fee_policy = 'non_billable';

UPDATE autotime.team_settings SET call_minutes_mode = 'fixed';

-- Texts: outbound sent/delivered qualify; the provider id is the dedupe key (a replayed webhook
-- is the same text), else the id; no time, no actor, no permission, own case, case mismatch.
INSERT INTO bench.sms (team_id, id, client_id, case_id, user_id, direction, status, body, provider_message_id, sent_at) VALUES
  (1, 1, 12, NULL, 101, 'outbound', 'delivered', 'hi', 'prov-1', '2026-03-10 15:00+00'),   -- key provider:prov-1
  (1, 2, 12, NULL, 101, 'outbound', 'delivered', 'hi', 'prov-1', '2026-03-10 15:01+00'),   -- replay: already linked
  (1, 3, 12, NULL, 101, 'outbound', 'queued', 'hi', 'prov-3', '2026-03-10 15:00+00'),      -- not yet sent
  (1, 4, 12, NULL, 101, 'inbound', 'received', 'hi', 'prov-4', '2026-03-10 15:00+00'),     -- inbound: no entry
  (1, 5, 13, NULL, 102, 'outbound', 'sent', 'hi', NULL, '2026-03-10 04:30+00'),            -- key = id; local 03-09
  (1, 6, 13, NULL, 102, 'outbound', 'sent', 'hi', NULL, NULL),                             -- no activity time
  (1, 7, 13, NULL, NULL, 'outbound', 'sent', 'hi', NULL, '2026-03-10 15:00+00'),           -- no actor
  (1, 8, 13, NULL, 152, 'outbound', 'sent', 'hi', NULL, '2026-03-10 15:00+00'),            -- no permission
  (1, 9, 13, 132, 103, 'outbound', 'sent', 'hi', '', '2026-03-10 15:00+00'),               -- own case; '' = no id
  (1, 10, 13, 121, 103, 'outbound', 'sent', 'hi', NULL, '2026-03-10 15:00+00'),            -- case mismatch
  (1, 11, 40, NULL, 104, 'outbound', 'delivered', 'hi', NULL, '2026-03-10 15:00+00');      -- flat fee
INSERT INTO bench.sms (team_id, id, client_id, user_id, direction, status, body, provider_message_id, sent_at)
VALUES (1, 12, 14, 105, 'outbound', 'delivered', 'one row', 'prov-12', '2026-03-11 15:00+00');
UPDATE bench.sms SET status = 'sent' WHERE id = 3;                                          -- now qualifies
UPDATE autotime.team_settings SET sms_minutes = 7;
INSERT INTO bench.sms (team_id, id, client_id, user_id, direction, status, body, provider_message_id, sent_at)
VALUES (1, 13, 14, 105, 'outbound', 'sent', 'seven', NULL, '2026-03-11 16:00+00');
UPDATE autotime.team_settings SET sms_minutes = NULL;

-- Documents: made from a template qualify; names with control characters, too long, blank.
INSERT INTO bench.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at) VALUES
  (1, 1, 15, NULL, 106, 'Engagement letter', 7, '2026-03-10 15:00+00'),
  (1, 2, 15, NULL, 106, 'Scratch notes', NULL, '2026-03-10 15:00+00'),                      -- no template
  (1, 3, 15, NULL, 106, E'Tab\there\nnewline', 7, '2026-03-10 15:00+00'),                 -- control chars
  (1, 4, 15, NULL, 106, repeat('abcdefghij', 25), 7, '2026-03-10 15:00+00'),                -- clipped
  (1, 5, 15, NULL, 106, '   ', 7, '2026-03-10 15:00+00'),                                   -- blank: fallback
  (1, 6, 15, 151, 106, 'Own case', 7, '2026-03-10 15:00+00'),
  (1, 7, 1001, NULL, 106, 'No open case', 7, '2026-03-10 15:00+00'),
  (1, 8, 45, NULL, 153, 'No permission', 7, '2026-03-10 15:00+00');
INSERT INTO bench.documents (team_id, id, client_id, user_id, name, template_id, created_at)
VALUES (1, 9, 16, 107, 'One row', 3, '2026-03-12 02:00+00');                                -- local 03-11
UPDATE bench.documents SET template_id = 9 WHERE id = 2;                                    -- now qualifies
UPDATE autotime.team_settings SET track_documents = false;
INSERT INTO bench.documents (team_id, id, client_id, user_id, name, template_id, created_at)
VALUES (1, 10, 16, 107, 'Kind disabled', 3, '2026-03-12 12:00+00');
UPDATE autotime.team_settings SET track_documents = true, document_minutes = 30;
INSERT INTO bench.documents (team_id, id, client_id, user_id, name, template_id, created_at)
VALUES (1, 11, 16, 107, 'Thirty', 3, '2026-03-12 12:00+00');
UPDATE autotime.team_settings SET document_minutes = NULL;

-- IR reports: always qualify.
INSERT INTO bench.ir_reports (team_id, id, client_id, case_id, user_id, title, transcript, created_at) VALUES
  (1, 1, 17, NULL, 108, 'Intake interview', 'words', '2026-03-10 15:00+00'),
  (1, 2, 17, NULL, 108, '', NULL, '2026-03-10 15:00+00'),                                   -- empty title
  (1, 3, 17, 171, 108, 'Own case', NULL, '2026-03-10 15:00+00'),
  (1, 4, 17, 181, 108, 'Case of another client', NULL, '2026-03-10 15:00+00'),
  (1, 5, 50, NULL, 109, 'Flat fee', NULL, '2026-03-10 15:00+00'),
  (1, 6, 17, NULL, NULL, 'No actor', NULL, '2026-03-10 15:00+00'),
  (1, 7, 7, 20001, 110, 'Contingency', NULL, '2026-03-10 15:00+00');
INSERT INTO bench.ir_reports (team_id, id, client_id, user_id, title, created_at)
VALUES (1, 8, 18, 110, 'One row', '2026-03-13 12:00+00');

-- Events: completed ones qualify; the actor is completed_by, else the organiser.
INSERT INTO bench.events (team_id, id, client_id, case_id, user_id, title, starts_at, completed_at, completed_by) VALUES
  (1, 1, 19, NULL, 111, 'Hearing', '2026-03-10 14:00+00', '2026-03-10 15:00+00', 112),      -- actor 112
  (1, 2, 19, NULL, 111, 'Deposition', '2026-03-10 14:00+00', '2026-03-10 15:00+00', NULL),  -- actor 111
  (1, 3, 19, NULL, 111, 'Not yet', '2026-03-10 14:00+00', NULL, NULL),                      -- not completed
  (1, 4, 19, NULL, 111, 'By a non-member', '2026-03-10 14:00+00', '2026-03-10 15:00+00', 154),
  (1, 5, 55, NULL, 113, 'Flat fee', '2026-03-10 14:00+00', '2026-03-10 15:00+00', NULL);
INSERT INTO bench.events (team_id, id, client_id, user_id, title, starts_at, completed_at, completed_by)
VALUES (1, 6, 20, 114, 'One row', '2026-03-14 12:00+00', '2026-03-14 13:00+00', 114);
UPDATE bench.events SET completed_at = '2026-03-15 12:00+00', completed_by = 115 WHERE id = 3;  -- now qualifies
UPDATE autotime.team_settings SET flat_fee_policy = 'skip', event_minutes = 45, ir_report_minutes = 5;
INSERT INTO bench.events (team_id, id, client_id, user_id, title, starts_at, completed_at)
VALUES (1, 7, 60, 114, 'Flat fee skipped', '2026-03-14 12:00+00', '2026-03-14 13:00+00'),
       (1, 8, 61, 114, 'Forty-five', '2026-03-14 12:00+00', '2026-03-14 13:00+00');
INSERT INTO bench.ir_reports (team_id, id, client_id, user_id, title, created_at)
VALUES (1, 9, 61, 110, 'Five', '2026-03-13 12:00+00');
UPDATE autotime.team_settings SET flat_fee_policy = 'non_billable', event_minutes = NULL, ir_report_minutes = NULL;

\pset footer off
SELECT source_kind, source_id, client_id, case_id, user_id, work_date, minutes, description, billable, status, rate,
       activity_code
FROM bench.time_entries ORDER BY source_kind, source_id;
SELECT kind, source_key, source_id, span FROM autotime.activity_links ORDER BY kind, source_id, source_key;
