-- autotime 1.0 -> 1.1: on_error = 'record' keeps the activity when its capture fails and records why.
\echo Use "ALTER EXTENSION autotime UPDATE TO '1.1'" to load this file. \quit

-- Capture failures of teams with on_error = 'record', one row per activity (the latest failure).
-- A backfill retries them and clears the rows of activities it links.
CREATE TABLE autotime.capture_failures (
  team_id bigint NOT NULL,
  kind text NOT NULL
    CONSTRAINT capture_failures_kind_valid CHECK (kind IN ('call', 'sms', 'document', 'ir_report', 'event')),
  source regclass NOT NULL,
  source_id bigint NOT NULL,
  sqlstate text NOT NULL,
  message text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT capture_failures_one_per_activity PRIMARY KEY (team_id, kind, source_id)
);
COMMENT ON TABLE autotime.capture_failures IS
  'Activities whose capture failed under on_error = ''record''; kept until a backfill links them';
SELECT pg_catalog.pg_extension_config_dump('autotime.capture_failures', '');

-- Every backend caches whether any team records failures; a settings change resets that cache.
CREATE FUNCTION autotime.settings_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM autotime.invalidate_capture('autotime.team_settings'::regclass);
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION autotime.settings_changed() FROM PUBLIC;
CREATE TRIGGER team_settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON autotime.team_settings
  FOR EACH STATEMENT EXECUTE FUNCTION autotime.settings_changed();

-- A table dropped without autotime.detach() takes its attachment, binding and recorded failures
-- along, so no dangling OID is left behind (nor dumped, and restored onto an unrelated table).
CREATE FUNCTION autotime.forget_dropped_tables() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM autotime.attachments a USING pg_event_trigger_dropped_objects() d
   WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = a.source::oid;
  DELETE FROM autotime.bindings b USING pg_event_trigger_dropped_objects() d
   WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = b.rel::oid;
  DELETE FROM autotime.capture_failures f USING pg_event_trigger_dropped_objects() d
   WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = f.source::oid;
END
$$;
REVOKE ALL ON FUNCTION autotime.forget_dropped_tables() FROM PUBLIC;
CREATE EVENT TRIGGER autotime_forget_dropped_tables ON sql_drop EXECUTE FUNCTION autotime.forget_dropped_tables();

-- The review functions' helpers only name the bound table and check ids with the caller's rights:
-- a role granted autotime.approve() needs rights on the time entries, not on these helpers.
ALTER FUNCTION autotime.entry_table() SECURITY DEFINER;
GRANT EXECUTE ON FUNCTION autotime.entry_table(), autotime.check_entry_ids(bigint[]), autotime.review_rows(text)
  TO PUBLIC;

-- backfill_team resolves its operators in pg_catalog whatever the caller's search_path (a
-- procedure that commits can't carry a SET clause, so it sets search_path after each commit).
CREATE OR REPLACE PROCEDURE autotime.backfill_team(team_id bigint, since timestamptz DEFAULT NULL, batch_size integer DEFAULT 50000)
LANGUAGE plpgsql AS $$
DECLARE
  a record;
  lo bigint;
  hi bigint;
  after_id bigint;
  batch record;
  kind_created bigint;
  kind_scanned bigint;
  total_created bigint := 0;
  total_scanned bigint := 0;
  started timestamptz := pg_catalog.clock_timestamp();
  elapsed double precision;
  summary text := '';
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
  FOR a IN SELECT t.source, t.kind, t.columns ->> 'id' AS id_column, t.columns ->> 'team_id' AS team_column
           FROM autotime.attachments t ORDER BY t.kind, t.source::pg_catalog.oid LOOP
    EXECUTE pg_catalog.format('SELECT pg_catalog.min(%1$I)::pg_catalog.int8, pg_catalog.max(%1$I)::pg_catalog.int8 '
                              'FROM %2$s WHERE %3$I OPERATOR(pg_catalog.=) $1',
                              COALESCE(a.id_column, 'id'), a.source, COALESCE(a.team_column, 'team_id'))
      INTO lo, hi USING team_id;
    kind_created := 0;
    kind_scanned := 0;
    IF lo IS NOT NULL THEN
      after_id := lo - 1;
      WHILE after_id < hi LOOP
        SELECT * INTO batch FROM autotime.backfill_batch(a.source, team_id, since, after_id,
                                                          LEAST(after_id + batch_size, hi));
        after_id := LEAST(after_id + batch_size, hi);
        kind_created := kind_created + batch.created;
        kind_scanned := kind_scanned + batch.scanned;
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        elapsed := EXTRACT(epoch FROM pg_catalog.clock_timestamp() - started);
        RAISE NOTICE 'autotime backfill team % %: ids up to % of %, % new qualifying, % created',
          team_id, a.kind, after_id, hi, kind_scanned, kind_created
          USING DETAIL = pg_catalog.format('%ss elapsed, about %ss left for this table',
            pg_catalog.round(elapsed::numeric, 1),
            pg_catalog.round((elapsed * (hi - after_id) / GREATEST(after_id - lo + 1, 1))::numeric, 1));
      END LOOP;
    END IF;
    total_created := total_created + kind_created;
    total_scanned := total_scanned + kind_scanned;
    summary := summary || pg_catalog.format(E'\n  %s (%s): %s new qualifying, %s created', a.kind, a.source, kind_scanned, kind_created);
  END LOOP;
  RAISE NOTICE 'autotime backfill of team % done: % new qualifying activities, % entries created%',
    team_id, total_scanned, total_created, summary
    USING DETAIL = pg_catalog.format('%ss elapsed',
      pg_catalog.round(EXTRACT(epoch FROM pg_catalog.clock_timestamp() - started)::numeric, 1));
END
$$;
