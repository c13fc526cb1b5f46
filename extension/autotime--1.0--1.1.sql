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
