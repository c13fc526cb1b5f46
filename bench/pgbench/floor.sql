-- The floor: the same call, plus the same ledger row and draft time entry autotime writes for it,
-- as ONE plain SQL statement with no logic (the client already knows case c*10+1, the member's
-- rate 200+n-100, and that every fifth client's case is flat fee). Same round trips as the others.
-- The same rows as autotime's: the link with its span, the entry with its UTBMS activity code.
\set c random(1, 1000)
\set u random(101, 150)
WITH call AS (
  INSERT INTO bench.calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
  VALUES (1, :c, :u, 'outbound', 'completed', now(), 300, 'bench')
  RETURNING team_id, id, client_id, user_id, started_at
), link AS (
  INSERT INTO autotime.activity_links (team_id, kind, source_key, source_id, span)
  SELECT team_id, 'call', id::text, id, tstzrange(started_at, started_at + interval '15 minutes') FROM call
  ON CONFLICT (team_id, kind, source_key) DO NOTHING
)
INSERT INTO bench.time_entries (team_id, client_id, case_id, user_id, work_date, minutes, description, billable,
                                status, rate, source_kind, source_id, activity_code)
SELECT team_id, client_id, :c * 10 + 1, user_id, (started_at AT TIME ZONE 'America/New_York')::date, 15,
       'Phone call (outbound)', :c % 5 <> 0, 'draft', :u + 100, 'call', id, 'A106'
FROM call;
