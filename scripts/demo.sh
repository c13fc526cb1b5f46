#!/usr/bin/env bash
# Shows autotime doing its job: builds and installs it, starts a scratch cluster, creates the
# practice schema, loads a small firm, records a day of activity and prints the draft entries
# autotime made and why the other activities made none.
# Usage (as root on Debian 12): scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh
install_packages
make -s >/dev/null && make -s install >/dev/null
cluster_start
trap cluster_stop EXIT
psql -X -q -v ON_ERROR_STOP=1 -d postgres <<'SQL'
\pset footer off
CREATE EXTENSION autotime;
SELECT autotime.create_practice_schema() \gset
INSERT INTO teams (team_id, name) VALUES (1, 'Hale & Ortiz LLP');
INSERT INTO autotime.team_settings (team_id, enabled, timezone, call_minutes_mode, minutes_per_activity)
VALUES (1, true, 'America/New_York', 'rounded_duration', 6);
INSERT INTO team_members (team_id, user_id, name, hourly_rate, can_log_time) VALUES
  (1, 10, 'Ana Hale', 350, true), (1, 11, 'Ben Ortiz', 275, true), (1, 12, 'Front desk', 0, false);
INSERT INTO clients (team_id, id, name) VALUES (1, 100, 'Maria Gomez'), (1, 101, 'Northwind Ltd');
INSERT INTO cases (team_id, id, client_id, title, billing_type) VALUES
  (1, 1000, 100, 'Gomez v. Landlord (deposit)', 'hourly'), (1, 1001, 101, 'Northwind incorporation', 'flat_fee');

-- A day at the firm, the way the practice app records it.
INSERT INTO calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty) VALUES
  (1, 100, 10, 'outbound', 'completed', '2026-03-10 13:05+00', 14 * 60, 'Maria Gomez'),   -- from the parking lot
  (1, 100, 11, 'inbound', 'missed', '2026-03-10 14:00+00', 0, 'Maria Gomez');
INSERT INTO sms (team_id, client_id, user_id, direction, status, body, provider_message_id, sent_at) VALUES
  (1, 100, 10, 'outbound', 'sent', 'Hearing confirmed for Thursday 9am', 'SM-101', '2026-03-10 15:00+00'),
  (1, 100, 10, 'outbound', 'sent', 'Hearing confirmed for Thursday 9am', 'SM-101', '2026-03-10 15:00+00'), -- webhook replay
  (1, 100, NULL, 'inbound', 'received', 'Thank you!', 'SM-102', '2026-03-10 15:05+00');
INSERT INTO documents (team_id, client_id, user_id, name, template_id, created_at) VALUES
  (1, 101, 11, 'Engagement letter - Northwind', 7, '2026-03-10 16:00+00');
INSERT INTO ir_reports (team_id, client_id, user_id, title, transcript, created_at) VALUES
  (1, 100, 12, 'Walk-in intake', 'private notes', '2026-03-10 17:00+00');
INSERT INTO events (team_id, client_id, case_id, user_id, title, starts_at) VALUES
  (1, 100, 1000, 10, 'Court prep: deposit hearing', '2026-03-10 19:00+00');
UPDATE events SET completed_at = '2026-03-10 20:30+00' WHERE title LIKE 'Court prep%';

\echo
\echo Draft time entries autotime made:
SELECT e.id, m.name AS attorney, c.title AS "case", e.work_date, e.minutes, e.description, e.billable, e.rate, e.status
FROM time_entries e JOIN team_members m USING (team_id, user_id) JOIN cases c ON (c.team_id, c.id) = (e.team_id, e.case_id)
ORDER BY e.id;
\echo
\echo Why each activity did or did not become an entry (autotime.explain):
SELECT kind, id, r ->> 'outcome' AS outcome, r ->> 'reason' AS reason, r ->> 'time_entry_id' AS entry
FROM (SELECT 'call' AS kind, id FROM calls UNION ALL SELECT 'sms', id FROM sms UNION ALL SELECT 'document', id FROM documents
      UNION ALL SELECT 'ir_report', id FROM ir_reports UNION ALL SELECT 'event', id FROM events) a,
     LATERAL autotime.explain(kind, id) r
ORDER BY kind, id;
SQL
