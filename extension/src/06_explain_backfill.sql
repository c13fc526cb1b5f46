-- Why an activity did or did not get an entry, and entries for past activity (backfill), with
-- the report of what capture did and would do for a team.

-- Why an activity did or did not get an entry. Runs with autotime's rights (EXECUTE on it is the
-- right to use it: nothing a caller passes reaches SQL but parameters) and reads each table as
-- its owner. team_id: an id more than one firm holds is refused without it; source: the attached
-- table, when two tables of the kind hold the id.
CREATE FUNCTION autotime.explain(kind text, source_id bigint, team_id bigint DEFAULT NULL, source regclass DEFAULT NULL)
  RETURNS jsonb AS 'MODULE_PATHNAME', 'autotime_explain' LANGUAGE c STABLE SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.explain(text, bigint, bigint, regclass) FROM PUBLIC;

-- The entry made for an activity (NULL if none), without reading the ledger.
CREATE FUNCTION autotime.entry_for(kind text, source_id bigint, team_id bigint DEFAULT NULL, source regclass DEFAULT NULL)
RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT (autotime.explain(kind, source_id, team_id, source) OPERATOR(pg_catalog.->>) 'time_entry_id')::pg_catalog.int8
$$;
REVOKE ALL ON FUNCTION autotime.entry_for(text, bigint, bigint, regclass) FROM PUBLIC;

-- Entries for a client's past activity; safe to re-run.
CREATE FUNCTION autotime.backfill_automatic_time(client_id bigint, team_id bigint DEFAULT NULL) RETURNS integer
  AS 'MODULE_PATHNAME', 'autotime_backfill_automatic_time' LANGUAGE c SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.backfill_automatic_time(bigint, bigint) FROM PUBLIC;

-- One batch of a team backfill: activities of `source` with after_id < id <= upto_id.
CREATE FUNCTION autotime.backfill_batch(source regclass, team_id bigint, since timestamptz, after_id bigint,
    upto_id bigint, OUT created bigint, OUT scanned bigint)
  AS 'MODULE_PATHNAME', 'autotime_backfill_batch' LANGUAGE c SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.backfill_batch(regclass, bigint, timestamptz, bigint, bigint) FROM PUBLIC;

-- backfill_team reads each table's ids as its owner (backfill_range), and walks only ids that
-- exist: a batch starts at the next id of the team's rows (since `since`, when given), so sparse
-- ids and a narrow `since` cost what the rows cost, and ids near the bigint limit don't overflow.
CREATE FUNCTION autotime.backfill_range(source regclass, team_id bigint, after_id bigint, since timestamptz,
    OUT lo bigint, OUT hi bigint)
  AS 'MODULE_PATHNAME', 'autotime_backfill_range' LANGUAGE c STABLE SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.backfill_range(regclass, bigint, bigint, timestamptz) FROM PUBLIC;
CREATE FUNCTION autotime.in_transaction_block() RETURNS boolean
  AS 'MODULE_PATHNAME', 'autotime_in_transaction_block' LANGUAGE c VOLATILE;

-- One row per backfill, whoever ran it (pg_cron included): what it did and when.
CREATE TABLE autotime.backfill_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id bigint NOT NULL,
  client_id bigint,
  since timestamptz,
  started_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  finished_at timestamptz,
  status text NOT NULL DEFAULT 'running' CONSTRAINT backfill_runs_status_valid CHECK (status IN ('running', 'done')),
  entries_created bigint NOT NULL DEFAULT 0,
  activities_scanned bigint NOT NULL DEFAULT 0,
  run_by name NOT NULL DEFAULT session_user
);
COMMENT ON TABLE autotime.backfill_runs IS
  'One row per backfill: team, client (NULL for a team run), when, entries created; running until it finishes';

REVOKE ALL ON autotime.backfill_runs FROM PUBLIC;

-- backfill_team's bookkeeping (it runs with its caller's rights: it commits).
CREATE FUNCTION autotime.backfill_run_progress(run_id bigint, team_id bigint, since timestamptz, created bigint,
    scanned bigint, done boolean) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF run_id IS NULL THEN
    INSERT INTO autotime.backfill_runs (team_id, since) VALUES (backfill_run_progress.team_id, backfill_run_progress.since)
    RETURNING id INTO run_id;
    RETURN run_id;
  END IF;
  UPDATE autotime.backfill_runs r SET entries_created = created, activities_scanned = scanned,
         status = CASE WHEN done THEN 'done' ELSE 'running' END,
         finished_at = CASE WHEN done THEN clock_timestamp() END
   WHERE r.id = run_id AND r.status = 'running';
  RETURN run_id;
END
$$;
REVOKE ALL ON FUNCTION autotime.backfill_run_progress(bigint, bigint, timestamptz, bigint, bigint, boolean) FROM PUBLIC;

-- The whole firm's past activity, committing every batch_size ids per table and reporting progress.
-- Interrupted, it loses nothing: committed batches stay, and a re-run skips what is linked.
-- No SET clause (a procedure with one can't COMMIT): it sets search_path after each commit.
CREATE PROCEDURE autotime.backfill_team(team_id bigint, since timestamptz DEFAULT NULL, batch_size integer DEFAULT 50000)
LANGUAGE plpgsql AS $$
DECLARE
  a record;
  lo bigint;
  hi bigint;
  upto bigint;
  batch record;
  kind_created bigint;
  kind_scanned bigint;
  total_created bigint := 0;
  total_scanned bigint := 0;
  started timestamptz := pg_catalog.clock_timestamp();
  elapsed double precision;
  summary text := '';
  run_id bigint;
  first_lo bigint;
  table_started timestamptz;
BEGIN
  -- Transaction-local, so set again after every COMMIT: operators and functions below resolve in
  -- pg_catalog whatever search_path the caller has.
  PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
  IF team_id IS NULL THEN
    RAISE EXCEPTION 'autotime.backfill_team needs a team id' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF batch_size IS NULL OR batch_size < 1 THEN
    RAISE EXCEPTION 'batch_size must be at least 1, not %', batch_size
      USING ERRCODE = 'invalid_parameter_value', HINT = 'The default, 50000, suits most firms.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM autotime.team_settings s WHERE s.team_id OPERATOR(pg_catalog.=) backfill_team.team_id
                 AND s.enabled) THEN
    RAISE NOTICE 'autotime is disabled for team %; nothing to backfill', team_id
      USING HINT = 'Set enabled = true in autotime.team_settings first.';
    RETURN;
  END IF;
  IF autotime.in_transaction_block() THEN
    RAISE EXCEPTION 'autotime.backfill_team commits after every batch and can''t run inside a transaction block'
      USING ERRCODE = 'active_sql_transaction',
            HINT = 'CALL it on its own (autocommit), or use autotime.backfill_automatic_time(client_id) inside a transaction.';
  END IF;
  run_id := autotime.backfill_run_progress(NULL, team_id, since, 0, 0, false);
  FOR a IN SELECT t.source, t.kind FROM autotime.attachments t ORDER BY t.kind, t.source::pg_catalog.oid LOOP
    SELECT r.lo, r.hi INTO lo, hi FROM autotime.backfill_range(a.source, team_id, NULL, since) r;
    first_lo := lo;
    table_started := pg_catalog.clock_timestamp();
    kind_created := 0;
    kind_scanned := 0;
    WHILE lo IS NOT NULL LOOP
      upto := CASE WHEN hi::pg_catalog.numeric OPERATOR(pg_catalog.-) lo OPERATOR(pg_catalog.<) batch_size THEN hi
                   ELSE lo OPERATOR(pg_catalog.+) (batch_size OPERATOR(pg_catalog.-) 1) END;
      SELECT * INTO batch FROM autotime.backfill_batch(a.source, team_id, since,
        CASE WHEN lo OPERATOR(pg_catalog.=) (-9223372036854775807 - 1) THEN lo ELSE lo OPERATOR(pg_catalog.-) 1 END, upto);
      kind_created := kind_created OPERATOR(pg_catalog.+) batch.created;
      kind_scanned := kind_scanned OPERATOR(pg_catalog.+) batch.scanned;
      PERFORM autotime.backfill_run_progress(run_id, team_id, since, total_created OPERATOR(pg_catalog.+) kind_created,
                                             total_scanned OPERATOR(pg_catalog.+) kind_scanned, false);
      COMMIT;
      PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
      elapsed := EXTRACT(epoch FROM pg_catalog.clock_timestamp() - started);
      RAISE NOTICE 'autotime backfill team % %: ids up to % of %, % new qualifying, % created',
        team_id, a.kind, upto, hi, kind_scanned, kind_created
        USING DETAIL = pg_catalog.format('%ss elapsed, %s entries/s; about %ss left for this table (by ids)',
          pg_catalog.round(elapsed::numeric, 1),
          pg_catalog.round(((total_created + kind_created) / GREATEST(elapsed, 0.001))::numeric),
          pg_catalog.round((EXTRACT(epoch FROM pg_catalog.clock_timestamp() - table_started)
                            * (hi::numeric - upto) / GREATEST(upto::numeric - first_lo + 1, 1))::numeric, 1));
      EXIT WHEN upto OPERATOR(pg_catalog.>=) hi;
      SELECT r.lo INTO lo FROM autotime.backfill_range(a.source, team_id, upto, since) r;
    END LOOP;
    total_created := total_created OPERATOR(pg_catalog.+) kind_created;
    total_scanned := total_scanned OPERATOR(pg_catalog.+) kind_scanned;
    summary := summary || pg_catalog.format(E'\n  %s (%s): %s new qualifying, %s created', a.kind, a.source, kind_scanned, kind_created);
  END LOOP;
  PERFORM autotime.backfill_run_progress(run_id, team_id, since, total_created, total_scanned, true);
  COMMIT;
  -- Activities skipped for a reason (no open case, no permission, ...) are counted again by every
  -- run: not a failure. Say where the reasons are.
  IF total_created OPERATOR(pg_catalog.<) total_scanned THEN
    summary := summary || pg_catalog.format(
      E'\n  the other %s: skipped for a reason, or captured meanwhile; SELECT * FROM autotime.backfill_dry_run(%s%s) counts the skipped by reason',
      total_scanned OPERATOR(pg_catalog.-) total_created, team_id,
      CASE WHEN since IS NULL THEN '' ELSE pg_catalog.format(', since => %L', since) END);
  END IF;
  RAISE NOTICE 'autotime backfill of team % done: % new qualifying activities, % entries created%',
    team_id, total_scanned, total_created, summary
    USING DETAIL = pg_catalog.format('%ss elapsed; autotime.backfill_runs row %s',
      pg_catalog.round(EXTRACT(epoch FROM pg_catalog.clock_timestamp() - started)::numeric, 1), run_id);
END
$$;
REVOKE ALL ON PROCEDURE autotime.backfill_team(bigint, timestamptz, integer) FROM PUBLIC;

-- What explain would say, counted over a whole team (set-based: one pass per attached table, each
-- table read as its owner; src/pg/report.cpp).
CREATE FUNCTION autotime.capture_report_rows(team_id bigint, since timestamptz)
RETURNS TABLE (kind text, outcome text, reason text, activities bigint, keys bigint)
  AS 'MODULE_PATHNAME', 'autotime_capture_report_rows' LANGUAGE c STABLE SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.capture_report_rows(bigint, timestamptz) FROM PUBLIC;
CREATE FUNCTION autotime.capture_report(team_id bigint, since timestamptz DEFAULT NULL)
RETURNS TABLE (kind text, outcome text, reason text, activities bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT r.kind, r.outcome, r.reason, sum(r.activities)::bigint
  FROM autotime.capture_report_rows($1, $2) r
  GROUP BY r.kind, r.outcome, r.reason
  ORDER BY r.kind, r.outcome, r.reason NULLS FIRST
$$;
REVOKE ALL ON FUNCTION autotime.capture_report(bigint, timestamptz) FROM PUBLIC;

-- What a backfill of the team would do now, without doing it (a dry run): per kind, the
-- activities it would capture (explain's pending_backfill, and capture_failed: a backfill retries
-- them; a text and its replays are one) and those it would skip, by reason. Same rules and same pass as capture_report; writes
-- nothing. Activities already captured, dismissed or linked under another id are not counted.
CREATE FUNCTION autotime.backfill_dry_run(team_id bigint, since timestamptz DEFAULT NULL)
RETURNS TABLE (kind text, would_create bigint, would_skip bigint, skip_reasons jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT r.kind,
         coalesce(sum(r.keys) FILTER (WHERE r.reason IN ('pending_backfill', 'capture_failed')), 0)::bigint,
         coalesce(sum(r.activities) FILTER (WHERE r.outcome = 'skipped'
                    AND r.reason NOT IN ('pending_backfill', 'capture_failed', 'dismissed', 'already_linked')), 0)::bigint,
         coalesce(jsonb_object_agg(r.reason, r.activities) FILTER (WHERE r.outcome = 'skipped'
                    AND r.reason NOT IN ('pending_backfill', 'capture_failed', 'dismissed', 'already_linked')), '{}')
  FROM (SELECT x.kind, x.outcome, x.reason, sum(x.activities)::bigint AS activities, sum(x.keys)::bigint AS keys
          FROM autotime.capture_report_rows($1, $2) x GROUP BY x.kind, x.outcome, x.reason) r
  GROUP BY r.kind
  ORDER BY r.kind
$$;
REVOKE ALL ON FUNCTION autotime.backfill_dry_run(bigint, timestamptz) FROM PUBLIC;
