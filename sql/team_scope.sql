-- Entries are keyed (team_id, id), and an id is unique only within a firm. The review functions act
-- on one firm's entries per call: with team_id, that firm's only (an id it doesn't hold does not
-- exist); without it, an id more than one firm holds, or ids of several firms, are refused (21000)
-- with a hint naming team_id =>. Ids one firm holds keep working without team_id.
\i test/fixtures/small_firm.sql

-- 'ok: <result>', or the error's SQLSTATE and message, then its detail and hint when it has them.
CREATE FUNCTION pg_temp.try(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  result text;
  state text;
  message text;
  detail text;
  hint text;
BEGIN
  EXECUTE statement INTO result;
  RETURN 'ok: ' || coalesce(result, '');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                          hint = PG_EXCEPTION_HINT;
  RETURN concat_ws(E'\n', format('error %s: %s', state, message), 'detail: ' || nullif(detail, ''),
                   'hint: ' || nullif(hint, ''));
END
$$;
CREATE TEMP VIEW state AS
  SELECT team_id, id, source_id, case_id, status, billable, reviewed_by FROM time_entries ORDER BY team_id, id;
CREATE TEMP VIEW links AS
  SELECT team_id, kind, source_id, dismissed_at IS NOT NULL AS dismissed FROM autotime.activity_links
  ORDER BY team_id, kind, source_id;

-- Team 1 captures documents 1-4, team 2 documents 1, 2, 5, 6; their entries are numbered like the
-- documents, so entries 1 and 2 exist in both firms. Team 3 (not capturing) has a manual entry 2.
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at) VALUES
  (1, 1, 100, 10, 'Demand letter', 1, '2026-03-10 15:00+00'),
  (1, 2, 100, 10, 'Reply', 1, '2026-03-11 15:00+00'),
  (1, 3, 100, 10, 'Draft motion', 1, '2026-03-12 15:00+00'),
  (1, 4, 100, 12, 'Brief', 1, '2026-03-12 16:00+00'),
  (2, 1, 200, 20, 'Other letter', 1, '2026-03-10 15:00+00'),
  (2, 2, 200, 20, 'Other reply', 1, '2026-03-11 15:00+00'),
  (2, 5, 200, 20, 'Other motion', 1, '2026-03-12 15:00+00'),
  (2, 6, 200, 20, 'Other brief', 1, '2026-03-12 16:00+00');
UPDATE time_entries SET id = source_id + 1000;
UPDATE time_entries SET id = id - 1000;
INSERT INTO time_entries (team_id, id, client_id, case_id, user_id, work_date, minutes, description)
VALUES (3, 2, 300, 3000, 30, '2026-03-12', 30, 'Manual entry');
SELECT * FROM state;
SELECT * FROM links;

-- Without team_id, an id two firms hold is refused, by every review function, whatever else is asked.
SELECT pg_temp.try($$SELECT autotime.approve(ARRAY[1], 10)$$) AS approve;
SELECT pg_temp.try($$SELECT autotime.approve(ARRAY[3, 1], 20)$$) AS approve;
SELECT pg_temp.try($$SELECT autotime.set_non_billable(ARRAY[1, 2])$$) AS set_non_billable;
SELECT pg_temp.try($$SELECT autotime.reassign(1, 1000)$$) AS reassign;
SELECT pg_temp.try($$SELECT autotime.dismiss(ARRAY[1])$$) AS dismiss;
SELECT pg_temp.try($$SELECT autotime.dismiss(ARRAY[2])$$) AS dismiss_three_firms;
-- The hint names the first firm and the ids it holds.
SELECT pg_temp.try($$SELECT autotime.dismiss(ARRAY[5, 2])$$) AS dismiss;
-- Ids each held by one firm, but of two firms, are refused too: a call reviews one firm.
SELECT pg_temp.try($$SELECT autotime.dismiss(ARRAY[3, 5])$$) AS dismiss_two_firms;
SELECT pg_temp.try($$SELECT autotime.approve(ARRAY[4, 6], 10)$$) AS approve_two_firms;
-- An unknown id is reported first, as before.
SELECT pg_temp.try($$SELECT autotime.dismiss(ARRAY[1, 424242])$$) AS dismiss;
-- Nothing changed, no link became a tombstone.
SELECT * FROM state;
SELECT * FROM links WHERE dismissed;

-- With team_id, only that firm's entries: the other firms' entries with the same ids are untouched.
SELECT pg_temp.try($$SELECT autotime.approve(ARRAY[1], 20, team_id => 2)$$) AS approve;
SELECT pg_temp.try($$SELECT autotime.approve(ARRAY[1], 20, team_id => 1)$$) AS approve_by_a_stranger;
SELECT pg_temp.try($$SELECT autotime.set_non_billable(ARRAY[1, 2], team_id => 1)$$) AS set_non_billable;
SELECT pg_temp.try($$SELECT autotime.reassign(1, 1000, team_id => 1)$$) AS reassign;
SELECT pg_temp.try($$SELECT autotime.reassign(1, 1000, team_id => 2)$$) AS reassign_to_another_firm;
SELECT pg_temp.try($$SELECT autotime.dismiss(ARRAY[2], team_id => 2)$$) AS dismiss;
SELECT * FROM state;
-- Only team 2's document 2 is a tombstone; team 1's link for its document 2 is live.
SELECT * FROM links WHERE source_id = 2;

-- An id the firm doesn't hold does not exist for it (another firm's entry included), and then
-- nothing changes, not even the firm's own entries named with it.
SELECT pg_temp.try($$SELECT autotime.approve(ARRAY[3, 5], 10, team_id => 1)$$) AS approve;
SELECT pg_temp.try($$SELECT autotime.set_non_billable(ARRAY[6], team_id => 1)$$) AS set_non_billable;
SELECT pg_temp.try($$SELECT autotime.reassign(1, 2000, team_id => 3)$$) AS reassign;
SELECT pg_temp.try($$SELECT autotime.dismiss(ARRAY[4, 2], team_id => 9)$$) AS dismiss;
SELECT pg_temp.try($$SELECT autotime.dismiss(NULL, team_id => 1)$$) AS dismiss;
SELECT team_id, id, status, billable FROM time_entries WHERE team_id = 1 AND id IN (3, 4) ORDER BY id;

-- Id 2 is now held by teams 1 and 3: still ambiguous without team_id.
SELECT pg_temp.try($$SELECT autotime.dismiss(ARRAY[2])$$) AS dismiss;

-- Ids one firm holds work without team_id, as they always did.
SELECT autotime.approve(ARRAY[3, 4], 10) AS approved;
SELECT autotime.set_non_billable(ARRAY[5]) AS made_non_billable;
SELECT autotime.reassign(4, 1000);
SELECT autotime.dismiss(ARRAY[6]) AS dismissed;
SELECT autotime.dismiss('{}') AS dismissed_none, autotime.dismiss('{}', team_id => 1) AS dismissed_none_of_team_1;
SELECT * FROM state;
SELECT * FROM links WHERE dismissed;
-- A dismissed entry is not made again by a backfill, in its firm only.
SELECT autotime.backfill_automatic_time(200) AS recreated;
SELECT team_id, count(*) AS entries FROM time_entries GROUP BY team_id ORDER BY team_id;
