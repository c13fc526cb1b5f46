-- A randomized differential test: the same generated activities (every kind, every skip reason,
-- replayed texts, odd times) captured three ways — one row per statement (the one-row path), one
-- statement per kind (the set-based path) and by a backfill after a paused load — must make the
-- same entries, row for row, and explain must give each activity the same verdict, which says
-- "created" exactly when it has an entry. Teams 11, 12 and 13 are three identical firms.
\i test/fixtures/small_firm.sql
SET client_min_messages = warning;

INSERT INTO teams (team_id, name) SELECT t, 'Twin ' || t FROM unnest(ARRAY[11, 12, 13]) t;
INSERT INTO autotime.team_settings (team_id, enabled, timezone, sms_minutes, call_minutes_mode, flat_fee_policy)
SELECT t, true, 'Asia/Kolkata', 6, 'rounded_duration', 'non_billable' FROM unnest(ARRAY[11, 12, 13]) t;
INSERT INTO team_members (team_id, user_id, name, can_log_time, hourly_rate)
SELECT t, m.user_id, m.name, m.can_log_time, m.rate FROM unnest(ARRAY[11, 12, 13]) t,
  (VALUES (10, 'Ann', true, 300), (11, 'Bob', false, 250), (12, 'Cy', true, 0)) m(user_id, name, can_log_time, rate);
INSERT INTO clients (team_id, id, name)
SELECT t, c, 'client ' || c FROM unnest(ARRAY[11, 12, 13]) t, unnest(ARRAY[100, 101, 102, 103, 104]) c;
INSERT INTO cases (team_id, id, client_id, title, status, billing_type, updated_at)
SELECT t, c.id, c.client_id, 'case ' || c.id, c.status, c.billing_type, c.updated_at::timestamptz
FROM unnest(ARRAY[11, 12, 13]) t, (VALUES
  (1000, 100, 'open', 'hourly', '2026-01-01 00:00+00'),
  (1001, 100, 'open', 'hourly', '2026-02-01 00:00+00'),
  (1003, 100, 'pending', 'hourly', '2026-02-01 00:00+00'),  -- ties with 1001: the higher id wins
  (1002, 100, 'closed', 'hourly', '2026-03-01 00:00+00'),
  (1010, 101, 'closed', 'hourly', '2026-01-01 00:00+00'),
  (1020, 102, 'open', 'flat_fee', '2026-01-01 00:00+00'),
  (1030, 103, 'open', 'contingency', '2026-01-01 00:00+00')) c(id, client_id, status, billing_type, updated_at);

-- The activities, drawn once from a seeded generator.
SELECT setseed(0.4242);
CREATE TEMP TABLE gen AS
SELECT i AS id,
       (ARRAY['call', 'sms', 'document', 'ir_report', 'event'])[1 + floor(random() * 5)::int] AS kind,
       (ARRAY[100, 100, 101, 102, 103, 104])[1 + floor(random() * 6)::int] AS client_id,
       CASE WHEN random() < 0.2 THEN (ARRAY[1000, 1020, 1002, 1030])[1 + floor(random() * 4)::int] END AS case_id,
       (ARRAY[10, 10, 12, 11, NULL])[1 + floor(random() * 5)::int] AS user_id,
       CASE WHEN random() < 0.05 THEN NULL
            WHEN random() < 0.03 THEN '9999-12-31 22:00+00'::timestamptz
            ELSE '2026-03-01 00:00+00'::timestamptz + floor(random() * 60 * 24 * 30) * interval '1 minute' END AS at,
       (ARRAY['completed', 'completed', 'missed', 'ringing'])[1 + floor(random() * 4)::int] AS call_status,
       (ARRAY['inbound', 'outbound'])[1 + floor(random() * 2)::int] AS direction,
       (ARRAY[NULL, 0, 61, 3600, 90000])[1 + floor(random() * 5)::int] AS duration_seconds,
       (ARRAY['sent', 'delivered', 'queued', 'received'])[1 + floor(random() * 4)::int] AS sms_status,
       CASE WHEN random() < 0.5 THEN 'P' || floor(random() * 8)::int WHEN random() < 0.3 THEN '' END AS provider_message_id,
       CASE WHEN random() < 0.7 THEN 7 END AS template_id,
       (ARRAY['Letter', E'Engage\tment\u0085 letter', repeat('Long title ', 40), ''])[1 + floor(random() * 4)::int] AS label,
       CASE WHEN random() < 0.6 THEN '2026-03-02 00:00+00'::timestamptz + floor(random() * 60 * 24 * 20) * interval '1 minute' END AS completed_at,
       (ARRAY[NULL, 10, 11])[1 + floor(random() * 3)::int] AS completed_by
FROM generate_series(1, 400) i;

-- The rows of each kind for one team, as one INSERT ... SELECT.
CREATE FUNCTION pg_temp.insert_activities(team bigint, kind text, only_id bigint DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  rows text := format('FROM pg_temp.gen g WHERE g.kind = %L AND (%L::bigint IS NULL OR g.id = %L::bigint) ORDER BY g.id',
                      kind, only_id, only_id);
BEGIN
  EXECUTE CASE kind
    WHEN 'call' THEN 'INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) '
                     'SELECT $1, g.id, g.client_id, g.case_id, g.user_id, g.direction, g.call_status, coalesce(g.at, ''2026-03-05 00:00+00''), g.duration_seconds '
    WHEN 'sms' THEN 'INSERT INTO sms (team_id, id, client_id, case_id, user_id, direction, status, body, provider_message_id, sent_at) '
                    'SELECT $1, g.id, g.client_id, g.case_id, g.user_id, g.direction, g.sms_status, ''secret'', g.provider_message_id, g.at '
    WHEN 'document' THEN 'INSERT INTO documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at) '
                         'SELECT $1, g.id, g.client_id, g.case_id, g.user_id, g.label, g.template_id, coalesce(g.at, ''2026-03-05 00:00+00'') '
    WHEN 'ir_report' THEN 'INSERT INTO ir_reports (team_id, id, client_id, case_id, user_id, title, created_at) '
                          'SELECT $1, g.id, g.client_id, g.case_id, g.user_id, g.label, coalesce(g.at, ''2026-03-05 00:00+00'') '
    ELSE 'INSERT INTO events (team_id, id, client_id, case_id, user_id, title, starts_at, completed_at, completed_by) '
         'SELECT $1, g.id, g.client_id, g.case_id, g.user_id, g.label, coalesce(g.at, ''2026-03-05 00:00+00''), g.completed_at, g.completed_by '
  END || rows USING team;
END
$$;

-- Team 11: one row per statement, in id order.
SELECT count(*) AS one_row_statements FROM (SELECT pg_temp.insert_activities(11, g.kind, g.id) FROM gen g ORDER BY g.id) x;
-- Team 12: one statement per kind.
SELECT count(*) AS bulk_statements FROM (SELECT pg_temp.insert_activities(12, k) FROM unnest(ARRAY['call', 'sms', 'document', 'ir_report', 'event']) k) x;
-- Team 13: loaded with capture paused, then backfilled.
SET autotime.capture = off;
SELECT count(*) AS paused_statements FROM (SELECT pg_temp.insert_activities(13, k) FROM unnest(ARRAY['call', 'sms', 'document', 'ir_report', 'event']) k) x;
RESET autotime.capture;
CALL autotime.backfill_team(13);

CREATE TEMP VIEW made AS
  SELECT team_id, source_kind, source_id, client_id, case_id, user_id, work_date, minutes, description, billable, rate, status
  FROM time_entries WHERE team_id IN (11, 12, 13);
SELECT team_id, count(*) AS entries, sum(minutes) AS minutes, count(DISTINCT source_kind) AS kinds
FROM made GROUP BY team_id ORDER BY team_id;
-- Row for row the same (each comparison empty).
SELECT 'one row, not bulk' AS only_in, source_kind, source_id FROM (
  SELECT source_kind, source_id, client_id, case_id, user_id, work_date, minutes, description, billable, rate, status FROM made WHERE team_id = 11
  EXCEPT SELECT source_kind, source_id, client_id, case_id, user_id, work_date, minutes, description, billable, rate, status FROM made WHERE team_id = 12) d
UNION ALL
SELECT 'bulk, not one row', source_kind, source_id FROM (
  SELECT source_kind, source_id, client_id, case_id, user_id, work_date, minutes, description, billable, rate, status FROM made WHERE team_id = 12
  EXCEPT SELECT source_kind, source_id, client_id, case_id, user_id, work_date, minutes, description, billable, rate, status FROM made WHERE team_id = 11) d
UNION ALL
SELECT 'live, not backfill', source_kind, source_id FROM (
  SELECT source_kind, source_id, client_id, case_id, user_id, minutes, description, billable, rate, status FROM made WHERE team_id = 11
  EXCEPT SELECT source_kind, source_id, client_id, case_id, user_id, minutes, description, billable, rate, status FROM made WHERE team_id = 13) d
UNION ALL
SELECT 'backfill, not live', source_kind, source_id FROM (
  SELECT source_kind, source_id, client_id, case_id, user_id, minutes, description, billable, rate, status FROM made WHERE team_id = 13
  EXCEPT SELECT source_kind, source_id, client_id, case_id, user_id, minutes, description, billable, rate, status FROM made WHERE team_id = 11) d;
-- (A backfill dates entries at the activity's local date too: the work dates agree.)
SELECT count(*) AS work_dates_differing FROM made a JOIN made b USING (source_kind, source_id)
WHERE a.team_id = 11 AND b.team_id = 13 AND a.work_date IS DISTINCT FROM b.work_date;

-- explain: the same verdict for each activity in the three firms, "created" exactly when there is
-- an entry; and the spread of verdicts this seed covers.
CREATE TEMP TABLE verdicts AS
  SELECT g.kind, g.id, t.team_id, autotime.explain(g.kind, g.id, t.team_id) AS v
  FROM gen g, unnest(ARRAY[11, 12, 13]) t(team_id);
SELECT a.kind, a.id, a.v ->> 'reason' AS one_row, b.v ->> 'reason' AS bulk, c.v ->> 'reason' AS backfill
FROM verdicts a JOIN verdicts b USING (kind, id) JOIN verdicts c USING (kind, id)
WHERE a.team_id = 11 AND b.team_id = 12 AND c.team_id = 13
  AND (a.v - 'time_entry_id' - 'team_id' IS DISTINCT FROM b.v - 'time_entry_id' - 'team_id'
       OR a.v - 'time_entry_id' - 'team_id' IS DISTINCT FROM c.v - 'time_entry_id' - 'team_id');
SELECT v.team_id, v.kind, v.id, v.v ->> 'outcome' AS outcome FROM verdicts v
LEFT JOIN made m ON m.team_id = v.team_id AND m.source_kind = v.kind AND m.source_id = v.id
WHERE (v.v ->> 'outcome' = 'created') <> (m.source_id IS NOT NULL)
   OR (v.v ->> 'time_entry_id')::bigint IS DISTINCT FROM (SELECT e.id FROM time_entries e WHERE e.team_id = v.team_id
                                                          AND e.source_kind = v.kind AND e.source_id = v.id);
SELECT v ->> 'outcome' AS outcome, v ->> 'reason' AS reason, count(*) AS activities
FROM verdicts WHERE team_id = 11 GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST;
