-- autotime.explain(kind, source_id): every outcome and reason code, with the same rules as capture.
\i test/fixtures/small_firm.sql

-- "entry ok" when explain names the entry that really holds this activity.
CREATE FUNCTION pg_temp.why(kind text, id bigint) RETURNS text LANGUAGE sql AS $$
  SELECT format('%s %s: %s / %s / entry %s', kind, id, e ->> 'outcome', coalesce(e ->> 'reason', '-'),
                CASE WHEN e ->> 'time_entry_id' IS NULL THEN '-'
                     WHEN (e ->> 'time_entry_id')::bigint = (SELECT t.id FROM firm.time_entries t
                                                             WHERE t.source_kind = kind AND t.source_id = why.id)
                     THEN 'ok' ELSE 'WRONG' END)
  FROM autotime.explain(kind, id) e
$$;

INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),  -- created
  (3, 2, 300, NULL, 30, 'outbound', 'completed', '2026-03-10 15:00+00'),  -- team_disabled
  (1, 3, 100, NULL, 10, 'outbound', 'ringing', '2026-03-10 15:00+00'),    -- not_qualifying
  (1, 4, 100, NULL, NULL, 'outbound', 'completed', '2026-03-10 15:00+00'),-- no_actor
  (1, 5, 100, NULL, 11, 'outbound', 'completed', '2026-03-10 15:00+00'),  -- no_permission
  (1, 6, 101, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),  -- no_open_case
  (1, 7, 102, 1000, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),  -- case_mismatch
  (1, 8, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00');  -- dismissed (below)
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', 'SM-1', '2026-03-10 15:00+00'),
  (1, 2, 100, 10, 'outbound', 'sent', 'SM-1', '2026-03-10 15:00+00'),    -- already_linked
  (1, 3, 100, 10, 'outbound', 'sent', 'SM-3', NULL);                     -- no_activity_time
UPDATE autotime.team_settings SET flat_fee_policy = 'skip', track_events = false WHERE team_id = 1;
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id) VALUES (1, 1, 102, 10, 'Articles', 1); -- flat_fee_skip
INSERT INTO events (team_id, id, client_id, user_id, title, starts_at, completed_at)
VALUES (1, 1, 100, 10, 'Filing', now(), now());                                                                    -- kind_disabled
-- A person deletes the entry of call 8: the link stays, so it is dismissed, not pending.
DELETE FROM time_entries WHERE source_kind = 'call' AND source_id = 8;

SELECT pg_temp.why('call', id) FROM generate_series(1, 9) id;
SELECT pg_temp.why('sms', id) FROM generate_series(1, 3) id;
SELECT pg_temp.why('document', 1), pg_temp.why('event', 1);
-- The full answer for a created entry carries its id and team, and how a row like it inserted
-- now would be decided (sql/partition_routing.sql shows the other answers).
SELECT autotime.explain('call', 1) = jsonb_build_object('kind', 'call', 'source_id', 1, 'team_id', 1, 'outcome', 'created',
         'reason', NULL, 'time_entry_id', (SELECT id FROM time_entries WHERE source_kind = 'call' AND source_id = 1),
         'live_path', 'index_probes')
       AS full_answer_matches;

-- Activities from before the team enabled autotime are pending a backfill until one runs.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (3, 10, 300, 30, 'outbound', 'completed', '2026-03-10 15:00+00');
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 1;
INSERT INTO autotime.team_settings (team_id, enabled) VALUES (3, true);
SELECT pg_temp.why('call', 10);
SELECT autotime.backfill_automatic_time(300) AS backfilled;
SELECT pg_temp.why('call', 10);
-- The dismissed call stays dismissed through a backfill.
SELECT autotime.backfill_automatic_time(100) AS backfilled_acme;
SELECT pg_temp.why('call', 8);

-- Bad arguments.
SELECT autotime.explain('fax', 1);
SELECT autotime.explain(NULL, 1);
-- The same id in two teams is ambiguous.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (2, 1, 200, 20, 'outbound', 'completed', '2026-03-10 15:00+00');
SELECT autotime.explain('call', 1);
-- ... named by its team, each firm's verdict is its own; a team that doesn't hold it has none.
SELECT autotime.explain('call', 1, team_id => 1) ->> 'team_id' AS team, autotime.explain('call', 1, team_id => 1) ->> 'time_entry_id' IS NOT NULL AS has_entry;
SELECT autotime.explain('call', 1, team_id => 2) ->> 'team_id' AS team, autotime.explain('call', 1, team_id => 2) ->> 'time_entry_id' = (SELECT id FROM time_entries WHERE team_id = 2 AND source_id = 1)::text AS its_own_entry;
SELECT autotime.explain('call', 1, team_id => 3);
-- entry_for: the entry made for an activity, by team; NULL when there is none.
SELECT autotime.entry_for('call', 1, 2) = (SELECT id FROM time_entries WHERE team_id = 2 AND source_id = 1) AS team_2_entry;
SELECT autotime.entry_for('call', 999, 1) AS no_such_call;
SELECT autotime.entry_for('call', 1);
