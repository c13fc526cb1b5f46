-- autotime 1.2 -> 1.3: trust. Capture reads and writes each firm table as that table's owner;
-- every function that takes the id of a team-keyed row also takes team_id.
\echo Use "ALTER EXTENSION autotime UPDATE TO '1.3'" to load this file. \quit

-- ==== capture and privileges (src/pg) ====

-- Reads of a firm's table and writes to it run as that table's owner (in a security-restricted
-- operation, as PostgreSQL's foreign-key triggers do); only autotime's own tables are written with
-- autotime's rights. explain and backfill therefore run with autotime's rights too (EXECUTE on
-- them is the right to use them: nothing a caller passes reaches SQL but parameters), and take
-- the team: an id more than one firm holds is refused without it.
DROP FUNCTION autotime.explain(text, bigint);
-- source: the attached table, when two tables of the kind hold the id.
CREATE FUNCTION autotime.explain(kind text, source_id bigint, team_id bigint DEFAULT NULL, source regclass DEFAULT NULL)
  RETURNS jsonb AS 'MODULE_PATHNAME', 'autotime_explain' LANGUAGE c STABLE SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.explain(text, bigint, bigint, regclass) FROM PUBLIC;

DROP FUNCTION autotime.backfill_automatic_time(bigint);
CREATE FUNCTION autotime.backfill_automatic_time(client_id bigint, team_id bigint DEFAULT NULL) RETURNS integer
  AS 'MODULE_PATHNAME', 'autotime_backfill_automatic_time' LANGUAGE c SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.backfill_automatic_time(bigint, bigint) FROM PUBLIC;

ALTER FUNCTION autotime.backfill_batch(regclass, bigint, timestamptz, bigint, bigint) SECURITY DEFINER;
ALTER FUNCTION autotime.validate_attachment(regclass) SECURITY DEFINER;

-- Accidental removal is not dismissal: a deleted activity's link is marked released (its draft
-- went with it), and live capture takes a released link back when the activity is sent again.
-- A link a person dismissed, or whose entry a person deleted, stays as it is: never again.
ALTER TABLE autotime.activity_links ADD COLUMN released_at timestamptz;
COMMENT ON COLUMN autotime.activity_links.released_at IS
  'Set when the activity was deleted (not dismissed): sending it again captures it again';

-- Two tables attached for one kind never share an id space. The first table attached for a kind
-- keys its activities by id (as before 1.3: key_space NULL); a table attached while another of its
-- kind is attached gets a space of its own, named after it when attached: its ledger keys are
-- 'table:<space>:<id>', its links record the space, and its entries name it in the entries table's
-- source_table column ('' for the kind's first table), which the entries' unique key must include.
ALTER TABLE autotime.attachments ADD COLUMN key_space text;
COMMENT ON COLUMN autotime.attachments.key_space IS
  'NULL: the kind''s default id space (keys are ids); else this table''s own (a further table attached for the kind)';
ALTER TABLE autotime.activity_links ADD COLUMN key_space text;
COMMENT ON COLUMN autotime.activity_links.key_space IS 'The id space of the attached table the activity is in (NULL: the kind''s default)';
-- A failure is an activity's too: the same id in two attached tables is two activities.
ALTER TABLE autotime.capture_failures DROP CONSTRAINT capture_failures_one_per_activity,
  ADD CONSTRAINT capture_failures_one_per_activity PRIMARY KEY (team_id, kind, source, source_id);

-- Which tables autotime reads and writes is no secret (pg_class shows them too); a role granted a
-- review function reads the bindings with its own rights.
GRANT SELECT ON autotime.attachments, autotime.bindings TO PUBLIC;

-- A table owner who drops a column or a constraint fires this event trigger as themselves: it
-- forgets only the attachments, bindings and failures of objects that were really dropped.
ALTER FUNCTION autotime.forget_dropped_tables() SECURITY DEFINER;

-- backfill_team reads each table's ids as its owner (backfill_range), and walks only ids that
-- exist: a batch starts at the next id of the team's rows (since `since`, when given), so sparse
-- ids and a narrow `since` cost what the rows cost, and ids near the bigint limit don't overflow.
CREATE FUNCTION autotime.backfill_range(source regclass, team_id bigint, after_id bigint, since timestamptz,
    OUT lo bigint, OUT hi bigint)
  AS 'MODULE_PATHNAME', 'autotime_backfill_range' LANGUAGE c STABLE SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.backfill_range(regclass, bigint, bigint, timestamptz) FROM PUBLIC;

CREATE FUNCTION autotime.in_transaction_block() RETURNS boolean
  AS 'MODULE_PATHNAME', 'autotime_in_transaction_block' LANGUAGE c VOLATILE;

CREATE OR REPLACE PROCEDURE autotime.backfill_team(team_id bigint, since timestamptz DEFAULT NULL, batch_size integer DEFAULT 50000)
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

-- The entry made for an activity (NULL if none), without reading the ledger.
CREATE FUNCTION autotime.entry_for(kind text, source_id bigint, team_id bigint DEFAULT NULL, source regclass DEFAULT NULL)
RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT (autotime.explain(kind, source_id, team_id, source) OPERATOR(pg_catalog.->>) 'time_entry_id')::pg_catalog.int8
$$;
REVOKE ALL ON FUNCTION autotime.entry_for(text, bigint, bigint, regclass) FROM PUBLIC;

-- TRUNCATE of an attached table is a deletion of every row: the drafts of its activities go and
-- their links are released (the same activities sent again are captured again, once). Tables
-- attached before 1.3 get the trigger now.
CREATE FUNCTION autotime.capture_truncate() RETURNS trigger
  AS 'MODULE_PATHNAME', 'autotime_capture_truncate' LANGUAGE c SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.capture_truncate() FROM PUBLIC;

CREATE OR REPLACE FUNCTION autotime.drop_capture_triggers(source regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT g.tgname, g.tgrelid::regclass AS rel FROM pg_trigger g
           WHERE (g.tgrelid = source OR g.tgrelid IN (SELECT p.relid FROM pg_partition_tree(source) p))
             AND g.tgname IN ('autotime_capture_insert', 'autotime_capture_update', 'autotime_capture_delete',
                              'autotime_capture_truncate')
           ORDER BY g.tgrelid, g.tgname
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
  END LOOP;
END
$$;

-- Capture's four statement triggers on a table and on each of its partitions that lacks them: a
-- statement aimed straight at a partition fires the partition's triggers, not the parent's (the
-- partition's capture uses its parent's attachment).
CREATE FUNCTION autotime.create_capture_triggers(source regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  rel regclass;
BEGIN
  -- (pg_partition_tree() of a table that is not partitioned is empty.)
  FOR rel IN SELECT t.relid FROM (SELECT source AS relid, 0 AS level
                                  UNION SELECT p.relid, p.level FROM pg_partition_tree(source) p) t
             WHERE NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t.relid AND g.tgname = 'autotime_capture_insert')
             ORDER BY t.level, t.relid LOOP
    EXECUTE format('CREATE TRIGGER autotime_capture_insert AFTER INSERT ON %s '
                   'REFERENCING NEW TABLE AS autotime_new FOR EACH STATEMENT '
                   'EXECUTE FUNCTION autotime.capture_insert()', rel);
    EXECUTE format('CREATE TRIGGER autotime_capture_update AFTER UPDATE ON %s '
                   'REFERENCING OLD TABLE AS autotime_old NEW TABLE AS autotime_new FOR EACH STATEMENT '
                   'EXECUTE FUNCTION autotime.capture_update()', rel);
    EXECUTE format('CREATE TRIGGER autotime_capture_delete AFTER DELETE ON %s '
                   'REFERENCING OLD TABLE AS autotime_old FOR EACH STATEMENT '
                   'EXECUTE FUNCTION autotime.capture_delete()', rel);
    EXECUTE format('CREATE TRIGGER autotime_capture_truncate AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION autotime.capture_truncate()', rel);
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION autotime.create_capture_triggers(regclass) FROM PUBLIC;

-- Partitions created or attached later get capture's triggers. (Runs as autotime: creating a
-- trigger runs nothing of the table's.)
CREATE FUNCTION autotime.follow_partitions() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  a record;
  t record;
BEGIN
  -- Only a partition created (CREATE TABLE ... PARTITION OF) or attached (ALTER TABLE ... ATTACH
  -- PARTITION) now: the other ALTER TABLEs of a pg_restore run before the dump's own CREATE
  -- TRIGGER statements, which would then find the triggers there already.
  IF NOT (tg_tag = 'CREATE TABLE' OR current_query() ~* 'attach\s+partition') THEN
    RETURN;
  END IF;
  FOR a IN SELECT DISTINCT x.source FROM pg_event_trigger_ddl_commands() c
           JOIN autotime.attachments x ON c.classid = 'pg_class'::regclass
            AND (x.source = c.objid OR x.source IN (SELECT p.relid FROM pg_partition_ancestors(c.objid) p)
                 OR c.objid IN (SELECT p.relid FROM pg_partition_tree(x.source) p))
  LOOP
    PERFORM autotime.create_capture_triggers(a.source);
  END LOOP;
END
$$;

-- A table detached from an attached partitioned table is on its own: capture lets go of it.
CREATE FUNCTION autotime.release_detached_partitions() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record;
BEGIN
  IF current_query() !~* 'detach\s+partition' THEN
    RETURN;
  END IF;
  FOR t IN SELECT g.tgname, g.tgrelid::regclass AS rel FROM pg_trigger g
           WHERE g.tgname IN ('autotime_capture_insert', 'autotime_capture_update', 'autotime_capture_delete',
                              'autotime_capture_truncate')
             AND NOT EXISTS (SELECT 1 FROM autotime.attachments x
                             WHERE x.source = g.tgrelid
                                OR x.source IN (SELECT p.relid FROM pg_partition_ancestors(g.tgrelid) p))
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION autotime.follow_partitions() FROM PUBLIC;
REVOKE ALL ON FUNCTION autotime.release_detached_partitions() FROM PUBLIC;
CREATE EVENT TRIGGER autotime_follow_partitions ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
  EXECUTE FUNCTION autotime.follow_partitions();
CREATE EVENT TRIGGER autotime_release_detached_partitions ON ddl_command_end WHEN TAG IN ('ALTER TABLE')
  EXECUTE FUNCTION autotime.release_detached_partitions();

DO $$
DECLARE
  a record;
BEGIN
  FOR a IN SELECT t.source FROM autotime.attachments t ORDER BY t.source::oid LOOP
    PERFORM autotime.drop_capture_triggers(a.source);
    PERFORM autotime.create_capture_triggers(a.source);
  END LOOP;
END
$$;

-- What explain would say, counted over a whole team (set-based: one pass per attached table, each
-- table read as its owner; src/pg/report.cpp). rule_verdict is explain's verdict rule (src/core).
CREATE FUNCTION autotime.rule_verdict(linked boolean, linked_to_this_source boolean, entry_exists boolean,
    failure_recorded boolean, live_reason text) RETURNS text[]
  AS 'MODULE_PATHNAME', 'autotime_rule_verdict' LANGUAGE c IMMUTABLE PARALLEL SAFE;
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
SELECT pg_catalog.pg_extension_config_dump('autotime.backfill_runs', '');
-- Its id sequence too: a restored database numbers new runs after the restored ones.
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('autotime.backfill_runs', 'id'), '');
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

-- Only a table's owner (or a member of its role) may point capture at it: capture evaluates the
-- attachment's qualifies expression, and writes the bound tables, with the owner's rights.
CREATE FUNCTION autotime.check_table_owner(rel regclass) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF rel IS NULL THEN
    RAISE EXCEPTION 'a table is required' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = rel), 'MEMBER') THEN
    RAISE EXCEPTION 'must be owner of table %', rel
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'autotime reads and writes a table with its owner''s rights; only its owner may point capture at it.',
            HINT = format('Run this as the owner of %s (or a member of that role).', rel);
  END IF;
END
$$;
GRANT EXECUTE ON FUNCTION autotime.check_table_owner(regclass) TO PUBLIC;

-- The entries of tables attached with an id space of their own must be told apart: the bound
-- entries table needs a source_table column, and no unique key without it.
CREATE FUNCTION autotime.check_id_spaces() RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  spaced text;
  entries regclass;
  mapping jsonb;
  space_column text;
  key_columns text[];
BEGIN
  SELECT string_agg(format('%s (%s)', a.source, a.kind), ', ' ORDER BY a.source::text) INTO spaced
    FROM autotime.attachments a WHERE a.key_space IS NOT NULL;
  SELECT b.rel, b.columns INTO entries, mapping FROM autotime.bindings b WHERE b.role = 'time_entries';
  IF spaced IS NULL OR entries IS NULL THEN
    RETURN;  -- (binding the entries table checks again)
  END IF;
  space_column := coalesce(mapping ->> 'source_table', 'source_table');
  IF NOT EXISTS (SELECT 1 FROM pg_attribute t WHERE t.attrelid = entries AND t.attname = space_column
                   AND t.attnum > 0 AND NOT t.attisdropped) THEN
    RAISE EXCEPTION 'time entries table % has no column "%" to tell apart the entries of two tables attached for one kind',
          entries, space_column
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('Attached while another table of its kind is: %s. An id both tables hold would be one entry.', spaced),
            HINT = format('ALTER TABLE %s ADD COLUMN source_table text NOT NULL DEFAULT '''', and include source_table in its '
                          'unique key on (team_id, source_kind, source_id); then bind or attach again.', entries);
  END IF;
  key_columns := ARRAY[coalesce(mapping ->> 'team_id', 'team_id'), coalesce(mapping ->> 'source_kind', 'source_kind'),
                       coalesce(mapping ->> 'source_id', 'source_id')];
  IF EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = entries AND i.indisunique AND i.indexprs IS NULL
               AND ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) k
                         JOIN pg_attribute a ON a.attrelid = entries AND a.attnum = k) <@ key_columns) THEN
    RAISE EXCEPTION 'the unique key of time entries table % does not include "%"', entries, space_column
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('Attached while another table of its kind is: %s. An id both tables hold would be one entry.', spaced),
            HINT = format('Make the unique key (%s, %s): its entries are told apart by the table they come from.',
                          array_to_string(key_columns, ', '), space_column);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION autotime.check_id_spaces() FROM PUBLIC;

CREATE OR REPLACE FUNCTION autotime.attach(source regclass, kind text, columns jsonb DEFAULT '{}', qualifies text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$DECLARE space text; known boolean;
BEGIN
  IF kind IS NULL OR kind NOT IN ('call', 'sms', 'document', 'ir_report', 'event') THEN
    RAISE EXCEPTION 'unknown activity kind "%"', kind
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Kinds are call, sms, document, ir_report and event.';
  END IF;
  PERFORM autotime.check_table_owner(source);
  -- qualifies: the columns only the kind's default qualification reads are then not required.
  PERFORM autotime.check_columns(source, kind, columns, qualifies);
  -- Attached again for the same kind, a table keeps its id space; a further table of a kind gets its own.
  SELECT a.key_space, true INTO space, known FROM autotime.attachments a
   WHERE a.source = attach.source AND a.kind = attach.kind;
  IF known IS NULL AND EXISTS (SELECT 1 FROM autotime.attachments a WHERE a.kind = attach.kind AND a.source <> attach.source) THEN
    SELECT format('%I.%I', n.nspname, c.relname) INTO space
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = attach.source;
    WHILE EXISTS (SELECT 1 FROM autotime.attachments a WHERE a.kind = attach.kind AND a.key_space = space) LOOP
      space := space || '+';
    END LOOP;
  END IF;
  DELETE FROM autotime.attachments a WHERE a.source = attach.source;
  INSERT INTO autotime.attachments (source, kind, columns, qualifies, key_space)
  VALUES (attach.source, attach.kind, attach.columns, nullif(btrim(attach.qualifies), ''), space);
  PERFORM autotime.check_id_spaces();
  PERFORM autotime.drop_capture_triggers(source);
  PERFORM autotime.create_capture_triggers(source);
  PERFORM autotime.validate_attachment(source);
END
$$;

CREATE OR REPLACE FUNCTION autotime.bind(role text, rel regclass, columns jsonb DEFAULT '{}') RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF role IS NULL OR role NOT IN ('time_entries', 'cases', 'team_members') THEN
    RAISE EXCEPTION 'unknown autotime role "%"', role
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Roles are time_entries, cases and team_members.';
  END IF;
  PERFORM autotime.check_table_owner(rel);
  PERFORM autotime.check_columns(rel, role, columns);
  DELETE FROM autotime.bindings b WHERE b.role = bind.role;
  INSERT INTO autotime.bindings (role, rel, columns) VALUES (bind.role, bind.rel, bind.columns);
  IF bind.role = 'time_entries' THEN
    PERFORM autotime.install_invoice_gate(bind.rel, bind.columns);  -- when it has an invoice_id
    PERFORM autotime.install_entry_triggers(bind.rel, bind.columns);
    PERFORM autotime.check_id_spaces();
  END IF;
  PERFORM autotime.invalidate_capture(a.source) FROM autotime.attachments a;
END
$$;


-- ==== review API scoped by team ====
-- Entries are keyed (team_id, id), and ids are unique only per firm. approve, set_non_billable,
-- reassign and dismiss take team_id DEFAULT NULL: with it they act on that firm's entries only (an
-- id it doesn't hold does not exist); without it, an id that more than one firm holds is refused
-- (21000), and so are ids of more than one firm's entries: one call reviews one firm. The firm is
-- resolved first, and the statements that change rows are restricted to it.
-- The old signatures are renamed (a second overload with a DEFAULT would be ambiguous), the
-- EXECUTE grants a DBA gave on them are carried over to the new ones, and the old ones dropped.
ALTER FUNCTION autotime.approve(bigint[], bigint) RENAME TO approve_before_1_3;
ALTER FUNCTION autotime.set_non_billable(bigint[]) RENAME TO set_non_billable_before_1_3;
ALTER FUNCTION autotime.reassign(bigint, bigint) RENAME TO reassign_before_1_3;
ALTER FUNCTION autotime.dismiss(bigint[]) RENAME TO dismiss_before_1_3;
DROP FUNCTION autotime.check_entry_ids(bigint[]);

-- The review functions read and write a bound table as its owner (src/pg/owner_query.cpp), as
-- capture does: a reviewer never runs the entries owner's triggers with its own rights or
-- autotime's. Internal: called by autotime's SECURITY DEFINER functions only.
-- action: the review action a statement on the entries table carries out (approved, non_billable,
-- reassigned, dismissed), which their history records instead of edited or deleted.
CREATE FUNCTION autotime.query_as_owner(rel regclass, statement text, ids bigint[], a bigint, b bigint,
    action text DEFAULT NULL)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'autotime_query_as_owner' LANGUAGE c;
REVOKE ALL ON FUNCTION autotime.query_as_owner(regclass, text, bigint[], bigint, bigint, text) FROM PUBLIC;

-- The firm whose entries the ids name: team_id when given (each id must be one of its entries),
-- else the one team holding them. Raises unless every id names an existing entry, when an id is
-- held by more than one team, or when the ids name entries of more than one team. example is the
-- caller's call with {ids} and {team} to fill in, for the hint.
CREATE FUNCTION autotime.check_entry_ids(entry_ids bigint[], team_id bigint DEFAULT NULL, example text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  r record;
  ids bigint[] := '{}';
  holders text[] := '{}';
  missing text;
  team bigint;
  first_id bigint;
  shared_id bigint;
  shared_teams bigint[];
  other_id bigint;
  other_team bigint;
  hint_team bigint;
  hint_ids bigint[];
  hint text;
BEGIN
  IF entry_ids IS NULL THEN
    RAISE EXCEPTION 'entry_ids must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  -- One pass over the entries with these ids (an index probe per id when team_id is given).
  FOR r IN SELECT q.id, q.teams FROM autotime.query_as_owner(t.rel,
             format('SELECT x.id, h.teams FROM unnest($1) WITH ORDINALITY x(id, n) '
                    'LEFT JOIN (SELECT e.%3$s::int8 AS id, array_agg(DISTINCT e.%2$s::int8) AS teams FROM %1$s e '
                    'WHERE e.%3$s = ANY ($1) AND ($2 IS NULL OR e.%2$s = $2) GROUP BY 1) h ON h.id = x.id '
                    'ORDER BY x.n', t.rel, t.team_id, t.id), entry_ids, team_id, NULL) AS q(id bigint, teams bigint[]) LOOP
    IF r.teams IS NULL THEN
      missing := coalesce(r.id::text, 'NULL');
      EXIT;
    END IF;
    ids := ids || r.id;
    holders := holders || r.teams::text;
    IF cardinality(r.teams) > 1 THEN
      IF shared_id IS NULL THEN
        shared_id := r.id;
        shared_teams := r.teams;
      END IF;
    ELSIF team IS NULL THEN
      team := r.teams[1];
      first_id := r.id;
    ELSIF r.teams[1] <> team AND other_id IS NULL THEN
      other_id := r.id;
      other_team := r.teams[1];
    END IF;
  END LOOP;
  IF missing IS NOT NULL AND team_id IS NOT NULL THEN
    RAISE EXCEPTION 'time entry % does not exist', missing
      USING ERRCODE = 'no_data_found', DETAIL = format('Only the entries of team %s were looked at.', team_id),
            HINT = 'No entry was changed.';
  ELSIF missing IS NOT NULL THEN
    RAISE EXCEPTION 'time entry % does not exist', missing
      USING ERRCODE = 'no_data_found', HINT = 'No entry was changed.';
  END IF;
  IF shared_id IS NULL AND other_id IS NULL THEN
    RETURN coalesce(team_id, team);
  END IF;
  -- Refused: the hint is the call for one of the firms, with the ids that firm holds.
  hint_team := coalesce(shared_teams[1], team);
  hint_ids := ARRAY(SELECT ids[i] FROM generate_subscripts(ids, 1) i WHERE hint_team = ANY (holders[i]::bigint[]) ORDER BY i);
  hint := replace(replace(coalesce(example, 'team_id => {team}'),
                          '{ids}', CASE WHEN cardinality(hint_ids) <= 10 THEN 'ARRAY[' || array_to_string(hint_ids, ', ') || ']'
                                        ELSE 'ARRAY[...]' END),
                  '{team}', hint_team::text);
  IF shared_id IS NOT NULL THEN
    RAISE EXCEPTION 'time entry % is ambiguous: more than one firm has an entry with that id', shared_id
      USING ERRCODE = 'cardinality_violation',
            DETAIL = format('Teams %s and %s each have a time entry %s. No entry was changed.',
                            array_to_string(shared_teams[1:cardinality(shared_teams) - 1], ', '),
                            shared_teams[cardinality(shared_teams)], shared_id),
            HINT = format('Pass the firm: %s.', hint);
  END IF;
  RAISE EXCEPTION 'time entries % and % belong to different firms', first_id, other_id
    USING ERRCODE = 'cardinality_violation',
          DETAIL = format('Time entry %s is team %s''s, time entry %s is team %s''s; a call reviews one firm''s entries. '
                          'No entry was changed.', first_id, team, other_id, other_team),
          HINT = format('One call per firm: %s.', hint);
END
$$;

-- Approves draft entries; the reviewer must be a member of the entries' team. Returns how many changed.
-- A review call that left some of its entries as they were says which and why (a NOTICE: the
-- count it returns is still what changed).
CREATE FUNCTION autotime.notice_unchanged(entry_ids bigint[], team bigint, action text, acts_on text[], changed integer)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  left_as_they_were text;
  requested integer := (SELECT count(DISTINCT i) FROM unnest(entry_ids) i WHERE i IS NOT NULL);
BEGIN
  IF changed >= requested THEN
    RETURN;
  END IF;
  SELECT string_agg(format('%s is %s', q.id, q.status), ', ' ORDER BY q.id) INTO left_as_they_were
    FROM autotime.query_as_owner(t.rel,
      format('SELECT %s::int8, %s::text FROM %s WHERE %s = $2 AND %s = ANY ($1) AND NOT %s::text = ANY (%L::text[])',
             t.id, t.status, t.rel, t.team_id, t.id, t.status, acts_on),
      entry_ids, team, NULL) AS q(id bigint, status text);
  IF left_as_they_were IS NOT NULL THEN
    RAISE NOTICE 'autotime.% left time entries as they were: %', action, left_as_they_were
      USING HINT = format('It acts on %s entries only.', array_to_string(acts_on, ' and '));
  END IF;
END
$$;
REVOKE ALL ON FUNCTION autotime.notice_unchanged(bigint[], bigint, text, text[], integer) FROM PUBLIC;

CREATE FUNCTION autotime.approve(entry_ids bigint[], reviewer bigint, team_id bigint DEFAULT NULL,
    allow_overlap boolean DEFAULT false, override_flags boolean DEFAULT false) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  m record;
  team bigint;
  member_found boolean;
  changed integer;
BEGIN
  team := autotime.check_entry_ids(entry_ids, team_id,
                                   'autotime.approve({ids}, ' || coalesce(reviewer::text, 'NULL') || ', team_id => {team})');
  IF reviewer IS NULL THEN
    RAISE EXCEPTION 'approve needs the reviewer''s user id' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT b.rel, coalesce(b.columns ->> 'team_id', 'team_id') AS team_col, coalesce(b.columns ->> 'user_id', 'user_id') AS user_col
    INTO m FROM autotime.bindings b WHERE b.role = 'team_members';
  -- The ids are one firm's entries (check_entry_ids): the reviewer must be that firm's member.
  SELECT q.found INTO member_found FROM autotime.query_as_owner(m.rel,
    format('SELECT EXISTS (SELECT 1 FROM %s m WHERE m.%I = $2 AND m.%I = $3)', m.rel, m.team_col, m.user_col),
    NULL, team, reviewer) AS q(found boolean);
  IF NOT member_found THEN
    RAISE EXCEPTION 'user % is not a member of the team that owns time entry %', reviewer, entry_ids[1]
      USING ERRCODE = 'insufficient_privilege', HINT = 'Only a member of the firm can approve its entries.';
  END IF;
  -- The drafts are locked before their flags are read: an edit racing the approval either commits
  -- first (and its flags are computed again here, with a fresh snapshot) or waits for it.
  PERFORM FROM autotime.query_as_owner(t.rel,
    format('SELECT 1 FROM %s WHERE %s = $2 AND %s = ANY ($1) AND %s = ''draft'' FOR UPDATE', t.rel, t.team_id, t.id, t.status),
    entry_ids, team, NULL) AS q(one integer);
  IF NOT coalesce(override_flags, false) THEN
    PERFORM autotime.refuse_flagged(entry_ids, team);
  END IF;
  IF NOT coalesce(allow_overlap, false) THEN
    PERFORM autotime.refuse_overlaps(entry_ids, team);
  END IF;
  SELECT q.n INTO changed FROM autotime.query_as_owner(t.rel,
    format('WITH u AS (UPDATE %s SET %s = ''approved'', %s = $2, %s = now() WHERE %s = $3 AND %s = ANY ($1) AND %s = ''draft'' '
           'RETURNING 1) SELECT count(*) FROM u', t.rel, t.status, t.reviewed_by, t.reviewed_at, t.team_id, t.id, t.status),
    entry_ids, reviewer, team, 'approved') AS q(n bigint);
  PERFORM autotime.notice_unchanged(entry_ids, team, 'approve', ARRAY['draft'], changed);
  RETURN changed;
END
$$;

-- Marks entries non-billable (not billed ones). Returns how many changed.
CREATE FUNCTION autotime.set_non_billable(entry_ids bigint[], team_id bigint DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  team bigint;
  changed integer;
BEGIN
  team := autotime.check_entry_ids(entry_ids, team_id, 'autotime.set_non_billable({ids}, team_id => {team})');
  SELECT q.n INTO changed FROM autotime.query_as_owner(t.rel,
    format('WITH u AS (UPDATE %s SET %s = false WHERE %s = $2 AND %s = ANY ($1) AND %s <> ''billed'' AND %s RETURNING 1) '
           'SELECT count(*) FROM u', t.rel, t.billable, t.team_id, t.id, t.status, t.billable),
    entry_ids, team, NULL, 'non_billable') AS q(n bigint);
  PERFORM autotime.notice_unchanged(entry_ids, team, 'set_non_billable', ARRAY['draft', 'approved'], changed);
  RETURN changed;
END
$$;

-- Moves an unbilled entry to another case of the same team and client.
CREATE FUNCTION autotime.reassign(entry_id bigint, case_id bigint, team_id bigint DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  c record;
  entry record;
  team bigint;
  target_found boolean;
BEGIN
  team := autotime.check_entry_ids(ARRAY[entry_id], team_id,
                                   format('autotime.reassign(%s, %s, team_id => {team})', entry_id, coalesce(case_id::text, 'NULL')));
  SELECT b.rel, coalesce(b.columns ->> 'team_id', 'team_id') AS team_col, coalesce(b.columns ->> 'id', 'id') AS id_col,
         coalesce(b.columns ->> 'client_id', 'client_id') AS client_col
    INTO c FROM autotime.bindings b WHERE b.role = 'cases';
  SELECT q.team_id, q.client_id, q.status INTO entry FROM autotime.query_as_owner(t.rel,
    format('SELECT %s::int8, %s::int8, %s::text FROM %s WHERE %s = $2 AND %s = ($1)[1]',
           t.team_id, t.client_id, t.status, t.rel, t.team_id, t.id),
    ARRAY[entry_id], team, NULL) AS q(team_id bigint, client_id bigint, status text);
  IF entry.status = 'billed' THEN
    RAISE EXCEPTION 'time entry % is billed and cannot be reassigned', entry_id
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Correct billed time with a credit on the invoice.';
  END IF;
  SELECT q.found INTO target_found FROM autotime.query_as_owner(c.rel,
    format('SELECT EXISTS (SELECT 1 FROM %s WHERE %I = $2 AND %I = $3 AND %I = ($1)[1])', c.rel, c.team_col, c.id_col, c.client_col),
    ARRAY[entry.client_id], entry.team_id, case_id) AS q(found boolean);
  IF NOT target_found THEN
    RAISE EXCEPTION 'case % is not a case of the same firm and client as time entry %', case_id, entry_id
      USING ERRCODE = 'foreign_key_violation',
            HINT = 'An entry can only move between cases of its own client.';
  END IF;
  PERFORM FROM autotime.query_as_owner(t.rel,
    format('WITH u AS (UPDATE %s SET %s = $2 WHERE %s = $3 AND %s = ($1)[1] RETURNING 1) SELECT count(*) FROM u',
           t.rel, t.case_id, t.team_id, t.id),
    ARRAY[entry_id], case_id, team, 'reassigned') AS q(n bigint);
END
$$;

-- The bound entries table's source_table column (quoted), NULL when it has none.
CREATE FUNCTION autotime.entry_space_column() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT quote_ident(t.attname) FROM autotime.bindings b
    JOIN pg_attribute t ON t.attrelid = b.rel AND t.attname = coalesce(b.columns ->> 'source_table', 'source_table')
                       AND t.attnum > 0 AND NOT t.attisdropped
   WHERE b.role = 'time_entries'
$$;
REVOKE ALL ON FUNCTION autotime.entry_space_column() FROM PUBLIC;

-- Dismisses draft entries: they are deleted, and their links (the same team's) remember it so they
-- never come back.
CREATE FUNCTION autotime.dismiss(entry_ids bigint[], team_id bigint DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  team bigint;
  changed integer;
BEGIN
  team := autotime.check_entry_ids(entry_ids, team_id, 'autotime.dismiss({ids}, team_id => {team})');
  -- The drafts go (as the entries' owner), then their links remember it (autotime's own table).
  WITH gone AS (
    SELECT q.team_id, q.kind, q.source_id, nullif(q.space, '') AS space, q.id FROM autotime.query_as_owner(t.rel,
      format('DELETE FROM %1$s WHERE %4$s = $2 AND %2$s = ANY ($1) AND %3$s = ''draft'' '
             'RETURNING %4$s::int8, %5$s::text, %6$s::int8, %7$s::text, %2$s::int8', t.rel, t.id, t.status, t.team_id, t.source_kind,
             t.source_id, coalesce(autotime.entry_space_column(), 'NULL')),
      entry_ids, team, NULL, 'dismissed') AS q(team_id bigint, kind text, source_id bigint, space text, id bigint))
  , marked AS (
    UPDATE autotime.activity_links l SET dismissed_at = now(), released_at = NULL FROM gone
     WHERE l.team_id = gone.team_id AND (l.session_entry_id IS NULL AND l.kind = gone.kind AND l.source_id = gone.source_id
       AND l.key_space IS NOT DISTINCT FROM gone.space OR l.session_entry_id = gone.id)  -- (a session's: all its activities)
    RETURNING gone.id)
  SELECT count(DISTINCT marked.id) INTO changed FROM marked;
  PERFORM autotime.notice_unchanged(entry_ids, team, 'dismiss', ARRAY['draft'], changed);
  RETURN changed;
END
$$;

REVOKE ALL ON FUNCTION autotime.approve(bigint[], bigint, bigint, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION autotime.set_non_billable(bigint[], bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION autotime.reassign(bigint, bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION autotime.dismiss(bigint[], bigint) FROM PUBLIC;
-- Internal to the review functions (which run with autotime's rights: EXECUTE on them is the
-- right to review, and each table is read and written as its owner).
REVOKE ALL ON FUNCTION autotime.check_entry_ids(bigint[], bigint, text) FROM PUBLIC;

-- The review views read the entries as their owner too.
CREATE OR REPLACE FUNCTION autotime.review_rows(only_status text) RETURNS TABLE (team_id bigint, id bigint, client_id bigint,
    case_id bigint, user_id bigint, work_date date, minutes integer, description text, billable boolean,
    status text, rate numeric, amount numeric, source_kind text, source_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
BEGIN
  RETURN QUERY SELECT q.* FROM autotime.query_as_owner(t.rel, format(
    'SELECT %s::int8, %s::int8, %s::int8, %s::int8, %s::int8, %s::date, %s::int4, %s::text, %s::bool, %s::text, '
    '%s::numeric, CASE WHEN %s THEN round(%s::numeric / 60 * coalesce(%s, 0), 2) ELSE 0 END, %s::text, %s::int8 '
    'FROM %s WHERE %L::text IS NULL OR %s::text = %L::text',
    t.team_id, t.id, t.client_id, t.case_id, t.user_id, t.work_date, t.minutes, t.description, t.billable, t.status,
    t.rate, t.billable, t.minutes, t.rate, t.source_kind, t.source_id, t.rel, only_status, t.status, only_status),
    NULL, NULL, NULL)
    AS q(team_id bigint, id bigint, client_id bigint, case_id bigint, user_id bigint, work_date date, minutes integer,
         description text, billable boolean, status text, rate numeric, amount numeric, source_kind text, source_id bigint);
END
$$;
-- It reads every firm's entries with autotime's rights: only the views' readers may call it (a
-- view's reader needs EXECUTE on the functions the view calls). Roles that could read the views
-- before keep reading them.
REVOKE ALL ON FUNCTION autotime.review_rows(text) FROM PUBLIC;
DO $$
DECLARE
  g record;
BEGIN
  FOR g IN SELECT DISTINCT a.grantee::regrole AS grantee FROM pg_class c, aclexplode(c.relacl) a
            WHERE c.oid IN ('autotime.unreviewed'::regclass, 'autotime.unbilled'::regclass)
              AND a.privilege_type = 'SELECT' AND a.grantee <> 0 AND a.grantee <> c.relowner LOOP
    EXECUTE format('GRANT EXECUTE ON FUNCTION autotime.review_rows(text) TO %s', g.grantee);
  END LOOP;
END
$$;

-- The EXECUTE grants a DBA gave on the old signatures hold for the new ones. (Made inside this
-- script, they count as the extension's initial privileges: pg_dump of an updated database does
-- not repeat them, so after a restore grant them again.)
DO $$
DECLARE
  g record;
BEGIN
  FOR g IN
    SELECT o.new_signature, a.grantee, a.is_grantable
    FROM (VALUES ('autotime.approve_before_1_3(bigint[], bigint)'::regprocedure, 'autotime.approve(bigint[], bigint, bigint, boolean, boolean)'),
                 ('autotime.set_non_billable_before_1_3(bigint[])'::regprocedure, 'autotime.set_non_billable(bigint[], bigint)'),
                 ('autotime.reassign_before_1_3(bigint, bigint)'::regprocedure, 'autotime.reassign(bigint, bigint, bigint)'),
                 ('autotime.dismiss_before_1_3(bigint[])'::regprocedure, 'autotime.dismiss(bigint[], bigint)'))
         AS o(old, new_signature)
    JOIN pg_catalog.pg_proc p ON p.oid = o.old
    CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
    WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner
    ORDER BY 1, 2
  LOOP
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s%s', g.new_signature,
                              CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::regrole::text END,
                              CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
END
$$;
DROP FUNCTION autotime.approve_before_1_3(bigint[], bigint);
DROP FUNCTION autotime.set_non_billable_before_1_3(bigint[]);
DROP FUNCTION autotime.reassign_before_1_3(bigint, bigint);
DROP FUNCTION autotime.dismiss_before_1_3(bigint[]);

-- ==== operations and adoption ====

-- Time zones, the (team_id, client_id) indexes of the reference schema, adoption that accepts the
-- whole contract and reports every problem at once, and the invoice gate on a bound entries table.

-- ---- time zones (SPEC §2) ----
-- What is wrong with a team's time zone, or NULL when it is an IANA name this server knows:
-- 'offset' (a numeric offset or POSIX specification such as '+05:30', whose sign PostgreSQL reads
-- the POSIX way, the opposite of ISO 8601), 'abbreviation' ('IST', 'PST': a fixed offset that
-- ignores daylight saving time, and ambiguous) or 'unknown'. Names without a digit are tried as
-- the session's TimeZone (zone files only; the SET clause restores the caller's setting); names
-- with one that it accepts are zone files ('Etc/GMT+5', 'EST5EDT': looked up in pg_timezone_names)
-- or POSIX specifications.
CREATE FUNCTION autotime.timezone_problem(zone text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$
BEGIN
  IF zone IS NULL THEN
    RETURN NULL;
  END IF;
  IF zone !~ '[0-9]' THEN
    BEGIN
      PERFORM set_config('TimeZone', zone, true);
      RETURN NULL;
    EXCEPTION WHEN invalid_parameter_value THEN
      NULL;
    END;
    IF EXISTS (SELECT 1 FROM pg_timezone_abbrevs a WHERE lower(a.abbrev) = lower(zone)) THEN
      RETURN 'abbreviation';
    END IF;
    RETURN 'unknown';
  END IF;
  BEGIN
    PERFORM set_config('TimeZone', zone, true);
  EXCEPTION WHEN invalid_parameter_value THEN
    RETURN 'unknown';
  END;
  -- A zone file or a POSIX specification: a bare offset is never a name (but GMT0, GMT+0 and
  -- GMT-0 are); anything else is looked up (slow, and rare: Etc/GMT+5, EST5EDT).
  IF zone ~* '^\s*(utc|gmt)?\s*[+-]?[0-9]{1,2}(:?[0-9]{2}){0,2}\s*$' AND zone !~* '^gmt[+-]?0$' THEN
    RETURN 'offset';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_timezone_names n WHERE lower(n.name) = lower(zone)) THEN
    RETURN NULL;
  END IF;
  RETURN 'offset';
END
$$;
GRANT EXECUTE ON FUNCTION autotime.timezone_problem(text) TO PUBLIC;

-- Refuses a team's time zone that is not an IANA name, with an error naming it (SQLSTATE 23514 and
-- the constraint team_settings_timezone_valid, as the CHECK it runs before).
CREATE FUNCTION autotime.check_team_timezone() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  zone text := NEW.timezone;
  problem text := autotime.timezone_problem(NEW.timezone);
  bare boolean;
  posix interval;
  meant interval;
  names text;
  hint text;
BEGIN
  IF problem IS NULL THEN
    RETURN NEW;
  END IF;
  hint := 'Use the IANA name of the firm''s location, such as ''America/New_York'' or ''Europe/Berlin'' '
          '(SELECT name, utc_offset FROM pg_timezone_names lists them).';
  IF problem = 'unknown' THEN
    RAISE EXCEPTION 'unknown time zone "%" for team %', zone, NEW.team_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'team_settings_timezone_valid', SCHEMA = 'autotime',
            TABLE = 'team_settings', COLUMN = 'timezone',
            DETAIL = 'A team''s timezone must be an IANA time zone name this server knows.', HINT = hint;
  END IF;
  -- The offset PostgreSQL applies (east of Greenwich positive, as ISO 8601 writes it).
  posix := (now() AT TIME ZONE zone) - (now() AT TIME ZONE 'UTC');
  IF problem = 'abbreviation' THEN
    RAISE EXCEPTION 'time zone "%" for team % is an abbreviation, not a time zone name', zone, NEW.team_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'team_settings_timezone_valid', SCHEMA = 'autotime',
            TABLE = 'team_settings', COLUMN = 'timezone',
            DETAIL = format('PostgreSQL reads "%s" as the fixed offset UTC%s all year: an abbreviation can stand for '
                            'different places and never follows daylight saving time.', zone, autotime.format_offset(posix)),
            HINT = CASE WHEN posix = interval '0' THEN 'Use ''UTC''.' ELSE hint END;
  END IF;
  -- A bare offset ('+05:30', 'UTC+3') was almost certainly meant the ISO way round; a POSIX
  -- specification with its own name ('<+0530>-05:30') means what PostgreSQL reads.
  bare := zone ~* '^\s*(utc|gmt)?\s*[+-]?[0-9]{1,2}(:?[0-9]{2}){0,2}\s*$';
  meant := CASE WHEN bare THEN -posix ELSE posix END;
  SELECT string_agg(n.name, ', ' ORDER BY n.name) INTO names
  FROM (SELECT z.name FROM pg_timezone_names z
        WHERE z.utc_offset = meant AND z.name LIKE '%/%' AND z.name !~ '^(posix|right|Etc)/'
        ORDER BY z.name LIMIT 6) n;
  IF names IS NOT NULL THEN
    hint := format('Use the IANA name of the firm''s location; at UTC%s now: %s.', autotime.format_offset(meant), names);
  END IF;
  RAISE EXCEPTION 'time zone "%" for team % is a numeric offset, not a time zone name', zone, NEW.team_id
    USING ERRCODE = 'check_violation', CONSTRAINT = 'team_settings_timezone_valid', SCHEMA = 'autotime',
          TABLE = 'team_settings', COLUMN = 'timezone',
          DETAIL = CASE WHEN bare
            THEN format('PostgreSQL reads a numeric offset as a POSIX time zone, whose sign is the opposite of ISO 8601: '
                        '"%s" means UTC%s, not UTC%s. A fixed offset also never follows daylight saving time.',
                        zone, autotime.format_offset(posix), autotime.format_offset(meant))
            ELSE format('PostgreSQL reads "%s" as a POSIX time zone specification, whose offsets have the opposite sign '
                        'of ISO 8601 (positive is west of Greenwich): it means UTC%s now.', zone, autotime.format_offset(posix))
            END,
          HINT = hint;
END
$$;
REVOKE ALL ON FUNCTION autotime.check_team_timezone() FROM PUBLIC;

-- '+05:30', '-08:00', '+00:00': an offset east of Greenwich positive, as ISO 8601 writes it.
CREATE FUNCTION autotime.format_offset(utc_offset interval) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN utc_offset < interval '0' THEN '-' ELSE '+' END
         || to_char(CASE WHEN utc_offset < interval '0' THEN -utc_offset ELSE utc_offset END, 'HH24:MI')
$$;
GRANT EXECUTE ON FUNCTION autotime.format_offset(interval) TO PUBLIC;

-- Settings written before 1.3 may hold a numeric offset, which capture has been reading the POSIX
-- way (UTC-05:30 for '+05:30'), or an abbreviation. The update refuses to go on over them: after
-- it, pg_restore would refuse those rows (a dump's settings are loaded through the check below).
DO $$
DECLARE
  found text;
BEGIN
  SELECT string_agg(pg_catalog.format('team %s: "%s", %s', s.team_id, s.timezone,
                                      CASE WHEN p.problem IN ('offset', 'abbreviation')
                                           THEN CASE p.problem WHEN 'offset' THEN 'a numeric offset' ELSE 'an abbreviation' END
                                                OPERATOR(pg_catalog.||) ' read as UTC' OPERATOR(pg_catalog.||)
                                                autotime.format_offset((pg_catalog.now() AT TIME ZONE s.timezone)
                                                  OPERATOR(pg_catalog.-) (pg_catalog.now() AT TIME ZONE 'UTC'))
                                           ELSE 'a name this server does not know' END),
                    E'\n' ORDER BY s.team_id)
    INTO found
  FROM autotime.team_settings s, LATERAL (SELECT autotime.timezone_problem(s.timezone) AS problem) p
  WHERE p.problem IS NOT NULL;
  IF found IS NOT NULL THEN
    RAISE EXCEPTION 'autotime 1.3 accepts only IANA time zone names in autotime.team_settings'
      USING ERRCODE = 'check_violation',
            DETAIL = found || E'\nA numeric offset is read as a POSIX time zone, whose sign is the opposite of ISO 8601 '
                     '("+05:30" is UTC-05:30), and an abbreviation is a fixed offset: the work dates of these teams'' '
                     'entries were computed that way.',
            HINT = 'Set the IANA name of each firm''s location (UPDATE autotime.team_settings SET timezone = '
                   '''Asia/Kolkata'' WHERE team_id = ...), then run ALTER EXTENSION autotime UPDATE again.';
  END IF;
END
$$;

CREATE TRIGGER team_settings_timezone_check BEFORE INSERT OR UPDATE OF timezone ON autotime.team_settings
  FOR EACH ROW EXECUTE FUNCTION autotime.check_team_timezone();

-- ---- the reference schema's (team_id, client_id) indexes (SPEC §3) ----
-- Every activity table gets an index on (team_id, client_id): listing a client's activity is what
-- every practice app does, and what backfill_automatic_time(client_id) reads. Schemas made before
-- 1.3 are the firm's tables, not extension members, and this update leaves them alone (an index
-- build would block their writes): the manual's upgrade notes give the CREATE INDEX CONCURRENTLY
-- statements to run.
CREATE OR REPLACE FUNCTION autotime.create_practice_schema(target name DEFAULT 'public', partitions integer DEFAULT 0) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s text := quote_ident(target);
  existing text;
  t text;
BEGIN
  IF partitions IS NULL OR partitions < 0 OR partitions > 64 THEN
    RAISE EXCEPTION 'partitions must be between 0 (not partitioned) and 64, not %', partitions
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF target IS NULL THEN
    RAISE EXCEPTION 'create_practice_schema needs a schema name' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT b.rel INTO existing FROM autotime.bindings b WHERE b.role = 'time_entries';
  IF FOUND THEN
    RAISE EXCEPTION 'autotime already writes time entries to %', existing
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'A database has one set of bound tables; a second practice schema would receive the first one''s entries.',
            HINT = 'Use the existing schema, or rebind with autotime.bind() and autotime.attach().';
  END IF;
  SELECT c.relname INTO existing FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = target AND c.relname IN ('teams', 'team_members', 'clients', 'cases', 'calls', 'sms', 'documents',
                                              'ir_reports', 'events', 'time_entries')
   ORDER BY c.relname LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'schema % already has a table named %', target, existing
      USING ERRCODE = 'duplicate_table', HINT = 'Choose another schema: autotime.create_practice_schema(''practice'').';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = target) THEN
    EXECUTE format('CREATE SCHEMA %s', s);
  END IF;
  EXECUTE replace(replace($ddl$
    CREATE TABLE @s.teams (
      team_id bigint PRIMARY KEY,
      id bigint GENERATED ALWAYS AS (team_id) STORED,
      name text NOT NULL
    )@p;
    CREATE TABLE @s.team_members (
      team_id bigint NOT NULL REFERENCES @s.teams (team_id),
      id bigint GENERATED BY DEFAULT AS IDENTITY,
      user_id bigint NOT NULL,
      name text NOT NULL,
      can_log_time boolean NOT NULL DEFAULT true,
      hourly_rate numeric(10,2) NOT NULL DEFAULT 0 CHECK (hourly_rate >= 0),
      PRIMARY KEY (team_id, id),
      UNIQUE (team_id, user_id)
    )@p;
    CREATE TABLE @s.clients (
      team_id bigint NOT NULL REFERENCES @s.teams (team_id),
      id bigint GENERATED BY DEFAULT AS IDENTITY,
      name text NOT NULL,
      PRIMARY KEY (team_id, id)
    )@p;
    CREATE TABLE @s.cases (
      team_id bigint NOT NULL,
      id bigint GENERATED BY DEFAULT AS IDENTITY,
      client_id bigint NOT NULL,
      title text NOT NULL,
      status text NOT NULL DEFAULT 'open'
        CHECK (status IN ('intake', 'open', 'pending', 'closed', 'archived')),
      billing_type text NOT NULL DEFAULT 'hourly' CHECK (billing_type IN ('hourly', 'flat_fee', 'contingency')),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (team_id, id),
      UNIQUE (team_id, client_id, id),
      FOREIGN KEY (team_id, client_id) REFERENCES @s.clients (team_id, id)
    )@p;
    CREATE INDEX cases_latest_per_client ON @s.cases (team_id, client_id, updated_at DESC NULLS LAST, id DESC);
    CREATE TRIGGER cases_touch_updated_at BEFORE UPDATE ON @s.cases
      FOR EACH ROW EXECUTE FUNCTION autotime.touch_updated_at();
    CREATE TABLE @s.calls (
      team_id bigint NOT NULL,
      id bigint GENERATED BY DEFAULT AS IDENTITY,
      client_id bigint NOT NULL,
      case_id bigint,
      user_id bigint,
      direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
      status text NOT NULL CHECK (status IN ('ringing', 'in_progress', 'completed', 'missed', 'voicemail', 'failed')),
      started_at timestamptz NOT NULL DEFAULT now(),
      duration_seconds integer,
      counterparty text,
      PRIMARY KEY (team_id, id),
      FOREIGN KEY (team_id, client_id) REFERENCES @s.clients (team_id, id),
      FOREIGN KEY (team_id, case_id) REFERENCES @s.cases (team_id, id)
    )@p;
    CREATE INDEX calls_by_client ON @s.calls (team_id, client_id);
    CREATE TABLE @s.sms (
      team_id bigint NOT NULL,
      id bigint GENERATED BY DEFAULT AS IDENTITY,
      client_id bigint NOT NULL,
      case_id bigint,
      user_id bigint,
      direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
      status text NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'failed', 'received')),
      body text,
      provider_message_id text,
      sent_at timestamptz,
      PRIMARY KEY (team_id, id),
      FOREIGN KEY (team_id, client_id) REFERENCES @s.clients (team_id, id),
      FOREIGN KEY (team_id, case_id) REFERENCES @s.cases (team_id, id)
    )@p;
    CREATE INDEX sms_by_client ON @s.sms (team_id, client_id);
    CREATE TABLE @s.documents (
      team_id bigint NOT NULL,
      id bigint GENERATED BY DEFAULT AS IDENTITY,
      client_id bigint NOT NULL,
      case_id bigint,
      user_id bigint,
      name text NOT NULL,
      template_id bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (team_id, id),
      FOREIGN KEY (team_id, client_id) REFERENCES @s.clients (team_id, id),
      FOREIGN KEY (team_id, case_id) REFERENCES @s.cases (team_id, id)
    )@p;
    CREATE INDEX documents_by_client ON @s.documents (team_id, client_id);
    CREATE TABLE @s.ir_reports (
      team_id bigint NOT NULL,
      id bigint GENERATED BY DEFAULT AS IDENTITY,
      client_id bigint NOT NULL,
      case_id bigint,
      user_id bigint,
      title text NOT NULL,
      transcript text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (team_id, id),
      FOREIGN KEY (team_id, client_id) REFERENCES @s.clients (team_id, id),
      FOREIGN KEY (team_id, case_id) REFERENCES @s.cases (team_id, id)
    )@p;
    CREATE INDEX ir_reports_by_client ON @s.ir_reports (team_id, client_id);
    CREATE TABLE @s.events (
      team_id bigint NOT NULL,
      id bigint GENERATED BY DEFAULT AS IDENTITY,
      client_id bigint NOT NULL,
      case_id bigint,
      user_id bigint,
      title text NOT NULL,
      starts_at timestamptz NOT NULL,
      completed_at timestamptz,
      completed_by bigint,
      PRIMARY KEY (team_id, id),
      FOREIGN KEY (team_id, client_id) REFERENCES @s.clients (team_id, id),
      FOREIGN KEY (team_id, case_id) REFERENCES @s.cases (team_id, id)
    )@p;
    CREATE INDEX events_by_client ON @s.events (team_id, client_id);
    CREATE TABLE @s.time_entries (
      team_id bigint NOT NULL,
      id bigint GENERATED BY DEFAULT AS IDENTITY,
      client_id bigint NOT NULL,
      case_id bigint NOT NULL,
      user_id bigint NOT NULL,
      work_date date NOT NULL,
      minutes integer NOT NULL CHECK (minutes > 0),
      description text NOT NULL,
      billable boolean NOT NULL DEFAULT true,
      status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'billed')),
      rate numeric(10,2),
      source_kind text CHECK (source_kind IN ('call', 'sms', 'document', 'ir_report', 'event')),
      source_id bigint,
      source_table text NOT NULL DEFAULT '',
      activity_code text,
      invoice_id bigint,
      reviewed_by bigint,
      reviewed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (team_id, id),
      CONSTRAINT time_entries_one_per_activity UNIQUE (team_id, source_kind, source_id, source_table),
      CONSTRAINT time_entries_draft_not_invoiced CHECK (status <> 'draft' OR invoice_id IS NULL),
      FOREIGN KEY (team_id, client_id, case_id) REFERENCES @s.cases (team_id, client_id, id)
    )@p;
    CREATE TRIGGER time_entries_refuse_draft_invoicing BEFORE UPDATE ON @s.time_entries
      FOR EACH ROW WHEN (OLD.status = 'draft' AND (NEW.status = 'billed' OR NEW.invoice_id IS NOT NULL))
      EXECUTE FUNCTION autotime.refuse_draft_invoicing();
  $ddl$, '@s', s), '@p', CASE WHEN partitions > 0 THEN ' PARTITION BY HASH (team_id)' ELSE '' END);
  FOR i IN 0 .. partitions - 1 LOOP
    FOREACH t IN ARRAY ARRAY['teams', 'team_members', 'clients', 'cases', 'calls', 'sms', 'documents', 'ir_reports',
                             'events', 'time_entries'] LOOP
      EXECUTE format('CREATE TABLE %s.%I PARTITION OF %s.%I FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                     s, t || '_p' || i, s, t, partitions, i);
    END LOOP;
  END LOOP;

  PERFORM autotime.bind('time_entries', format('%s.time_entries', s)::regclass);
  PERFORM autotime.bind('cases', format('%s.cases', s)::regclass);
  PERFORM autotime.bind('team_members', format('%s.team_members', s)::regclass);
  PERFORM autotime.attach(format('%s.calls', s)::regclass, 'call');
  PERFORM autotime.attach(format('%s.sms', s)::regclass, 'sms');
  PERFORM autotime.attach(format('%s.documents', s)::regclass, 'document');
  PERFORM autotime.attach(format('%s.ir_reports', s)::regclass, 'ir_report');
  PERFORM autotime.attach(format('%s.events', s)::regclass, 'event');
END
$$;

-- ---- adoption accepts the whole contract (SPEC §3) ----
-- Every column SPEC §3 names for a role or kind: what capture reads (autotime.contract_columns,
-- from the C++ core) and the columns it never reads but an adopter may map to say what a column
-- is (an entry's invoice_id and created_at, a case's title, a member's id and name, a call's
-- counterparty, a text's body, a report's transcript, an event's starts_at). NULL when unknown.
CREATE FUNCTION autotime.accepted_columns(kind_or_role text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN autotime.contract_columns(kind_or_role) IS NOT NULL THEN ARRAY(
    SELECT c FROM unnest(autotime.contract_columns(kind_or_role) || CASE kind_or_role
             WHEN 'time_entries' THEN ARRAY['invoice_id', 'created_at', 'source_table', 'activity_code']
             WHEN 'cases' THEN ARRAY['title']
             WHEN 'team_members' THEN ARRAY['id', 'name']
             WHEN 'call' THEN ARRAY['counterparty']
             WHEN 'sms' THEN ARRAY['body']
             WHEN 'ir_report' THEN ARRAY['transcript']
             WHEN 'event' THEN ARRAY['starts_at']
             ELSE ARRAY[]::text[] END) WITH ORDINALITY AS u(c, n)
    GROUP BY c ORDER BY min(n)) END
$$;
GRANT EXECUTE ON FUNCTION autotime.accepted_columns(text) TO PUBLIC;

-- The contract columns that only the kind's default qualification reads: with a qualifies
-- expression of its own, a table needs not have them. (A call's direction, a text's direction and
-- an event's completed_at are read by capture whatever qualifies: the description, and the
-- event's time.)
CREATE FUNCTION autotime.qualification_columns(kind text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE kind WHEN 'call' THEN ARRAY['status'] WHEN 'sms' THEN ARRAY['status']
                   WHEN 'document' THEN ARRAY['template_id'] ELSE ARRAY[]::text[] END
$$;
GRANT EXECUTE ON FUNCTION autotime.qualification_columns(text) TO PUBLIC;

-- Checks a columns mapping against a table and reports every problem of the call in one error:
-- keys must be accepted columns, values names of existing columns of a compatible type; the columns
-- capture reads must exist (except, with qualifies given, those only the default qualification
-- reads); the table must have the unique key autotime tells rows apart by. One problem is raised as
-- itself (its SQLSTATE, message and hint); several as one error whose DETAIL lists them, with the
-- first one's SQLSTATE.
CREATE FUNCTION autotime.check_columns(rel regclass, kind_or_role text, columns jsonb, qualifies text)
RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  accepted text[] := autotime.accepted_columns(kind_or_role);
  is_role boolean := kind_or_role IN ('time_entries', 'cases', 'team_members');
  required text[];
  problems text[] := '{}';
  states text[] := '{}';
  hints text[] := '{}';
  details text[] := '{}';
  skipped text[] := '{}';   -- mapped to a non-string value: reported once
  broken text[] := '{}';    -- contract columns with a problem of their own
  missing text[] := '{}';   -- contract columns the table lacks
  contract_column text;
  table_column text;
  column_type oid;
  wanted text;
  type_ok boolean;
  key_contract text[];
  key_columns text[];
  hint_list text;
BEGIN
  IF rel IS NULL THEN
    RAISE EXCEPTION 'a table is required' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF accepted IS NULL THEN
    RAISE EXCEPTION 'unknown activity kind or autotime role "%"', kind_or_role
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Kinds are call, sms, document, ir_report and event; roles are time_entries, cases and team_members.';
  END IF;
  IF columns IS NULL OR jsonb_typeof(columns) <> 'object' THEN
    RAISE EXCEPTION 'columns for % must be a JSON object', rel
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Map contract columns to your own, e.g. ''{"case_id": "matter_id"}''.';
  END IF;
  required := ARRAY(SELECT c FROM unnest(autotime.contract_columns(kind_or_role)) c
                    WHERE nullif(btrim(qualifies), '') IS NULL OR NOT c = ANY (autotime.qualification_columns(kind_or_role)));
  FOR contract_column IN SELECT k FROM jsonb_object_keys(columns) AS k LOOP
    IF NOT contract_column = ANY (accepted) THEN
      problems := problems || format('columns for %s maps "%s", which is not a column autotime uses for %s',
                                     rel, contract_column, kind_or_role);
      states := states || '22023'::text;
      hints := hints || format('Columns for %s are: %s.', kind_or_role, array_to_string(accepted, ', '));
      details := details || NULL::text;
    ELSIF jsonb_typeof(columns -> contract_column) <> 'string' THEN
      problems := problems || format('columns for %s maps "%s" to a non-string value', rel, contract_column);
      states := states || '22023'::text;
      hints := hints || 'Each value must be a column name of the table.'::text;
      details := details || NULL::text;
      skipped := skipped || contract_column;
      broken := broken || contract_column;
    END IF;
  END LOOP;
  FOREACH contract_column IN ARRAY accepted LOOP
    CONTINUE WHEN contract_column = ANY (skipped);
    -- Columns capture doesn't read are checked only when mapped.
    CONTINUE WHEN NOT contract_column = ANY (required) AND NOT columns ? contract_column;
    table_column := coalesce(columns ->> contract_column, contract_column);
    SELECT a.atttypid INTO column_type FROM pg_attribute a
     WHERE a.attrelid = rel AND a.attname = table_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
      problems := problems || format('table %s has no column "%s" for autotime''s "%s" (%s)',
                                     rel, table_column, contract_column, kind_or_role);
      states := states || '42703'::text;
      hints := hints || format('Add the column or map it: columns => ''{"%s": "your_column"}''.', contract_column);
      details := details || NULL::text;
      broken := broken || contract_column;
      missing := missing || contract_column;
      CONTINUE;
    END IF;
    column_type := coalesce((SELECT t.typbasetype FROM pg_type t WHERE t.oid = column_type AND t.typtype = 'd'), column_type);
    -- An event's starts_at is not read by capture, but it is a time like the others.
    wanted := CASE WHEN contract_column = 'starts_at' THEN 'timestamptz' ELSE autotime.contract_type(contract_column) END;
    type_ok := CASE wanted
         WHEN 'integer' THEN column_type IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
         WHEN 'timestamptz' THEN column_type = 'timestamptz'::regtype
         WHEN 'boolean' THEN column_type = 'bool'::regtype
         WHEN 'numeric' THEN column_type IN ('numeric'::regtype, 'int2'::regtype, 'int4'::regtype, 'int8'::regtype,
                                             'float4'::regtype, 'float8'::regtype)
         WHEN 'date' THEN column_type = 'date'::regtype
         ELSE true END;
    IF NOT type_ok THEN
      problems := problems || format('column "%s" of table %s is %s, but autotime''s "%s" (%s) needs %s', table_column, rel,
            format_type(column_type, NULL), contract_column, kind_or_role,
            CASE wanted WHEN 'integer' THEN 'an integer type (smallint, integer or bigint)'
                        WHEN 'timestamptz' THEN 'timestamp with time zone'
                        WHEN 'numeric' THEN 'a numeric type' ELSE wanted END);
      states := states || '42804'::text;
      hints := hints || CASE WHEN wanted = 'timestamptz' AND column_type = 'timestamp'::regtype
                          THEN 'A timestamp without time zone has no instant to date the work by; convert it with ALTER COLUMN ... TYPE timestamptz USING ... AT TIME ZONE ''<zone>''.'
                          ELSE 'Map a column of that type, or convert this one.' END;
      details := details || NULL::text;
      broken := broken || contract_column;
    END IF;
  END LOOP;
  -- The key, once its own columns are fine.
  key_contract := CASE WHEN kind_or_role = 'team_members' THEN ARRAY['team_id', 'user_id'] ELSE ARRAY['team_id', 'id'] END;
  IF NOT key_contract && broken THEN
    key_columns := ARRAY(SELECT coalesce(columns ->> k, k) FROM unnest(key_contract) k);
    IF NOT EXISTS (
        SELECT 1 FROM pg_index i
         WHERE i.indrelid = rel AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
           AND ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) k
                     JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = k) <@ key_columns) THEN
      problems := problems || format('table %s has no unique key on (%s)', rel, array_to_string(key_columns, ', '));
      states := states || '42P16'::text;
      hints := hints || format('Add one: ALTER TABLE %s ADD PRIMARY KEY (%s).', rel, array_to_string(key_columns, ', '));
      details := details || 'autotime tells rows apart by this key.'::text;
    END IF;
  END IF;

  IF cardinality(problems) = 1 AND details[1] IS NOT NULL THEN
    RAISE EXCEPTION '%', problems[1] USING ERRCODE = states[1], DETAIL = details[1], HINT = hints[1];
  ELSIF cardinality(problems) = 1 THEN
    RAISE EXCEPTION '%', problems[1] USING ERRCODE = states[1], HINT = hints[1];
  ELSIF cardinality(problems) > 1 THEN
    -- Each hint once; the missing columns' in one.
    IF cardinality(missing) > 1 THEN
      hints := ARRAY(SELECT h FROM unnest(hints) h WHERE h NOT LIKE 'Add the column or map it: %')
               || format('Add the columns or map them: columns => ''{%s}''.',
                         (SELECT string_agg(format('"%s": "your_column"', m), ', ') FROM unnest(missing) m));
    END IF;
    SELECT string_agg(h, E'\n' ORDER BY n) INTO hint_list
    FROM (SELECT h, min(n) AS n FROM unnest(hints) WITH ORDINALITY u(h, n) GROUP BY h) d;
    RAISE EXCEPTION 'table % can''t be % as autotime''s "%": % problems', rel,
          CASE WHEN is_role THEN 'bound' ELSE 'attached' END, kind_or_role, cardinality(problems)
      USING ERRCODE = states[1],
            DETAIL = (SELECT string_agg(format('%s. %s', n, p), E'\n' ORDER BY n) FROM unnest(problems) WITH ORDINALITY u(p, n)),
            HINT = hint_list;
  END IF;
END
$$;
REVOKE ALL ON FUNCTION autotime.check_columns(regclass, text, jsonb, text) FROM PUBLIC;

-- The 1.0 signature: the same check, for a mapping without a qualifies expression.
CREATE OR REPLACE FUNCTION autotime.check_columns(rel regclass, kind_or_role text, columns jsonb) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM autotime.check_columns(rel, kind_or_role, columns, NULL::text);
END
$$;

-- ---- the invoice gate on a bound entries table ----
-- The gate's trigger function, for the reference schema (no arguments: its key is id) and for a
-- bound table (argument: the table's id column, whose value the message names).
CREATE OR REPLACE FUNCTION autotime.refuse_draft_invoicing() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION 'time entry % is a draft and cannot be invoiced',
        to_jsonb(CASE WHEN TG_OP = 'INSERT' THEN NEW ELSE OLD END) ->> coalesce(TG_ARGV[0], 'id')
    USING ERRCODE = 'check_violation',
          DETAIL = 'Automatic entries are drafts until a person approves them.',
          HINT = 'Approve it first: SELECT autotime.approve(ARRAY[entry_id], reviewer_user_id).';
END
$$;

-- The invoice gate on a bound time_entries table with an invoice_id (mapped, or a column of that
-- name), as on the reference schema: two triggers, autotime_invoice_gate (an UPDATE that bills a
-- draft or puts it on an invoice; a draft that already had an invoice may still be approved) and
-- autotime_invoice_gate_insert (a draft inserted with an invoice). bind calls it for the
-- time_entries role, after recording the binding: it takes autotime's gate off any other table
-- (the one bound before) whose owner the caller is, re-makes it on this one, and leaves a table
-- that already calls autotime.refuse_draft_invoicing (the reference schema's) with its own gate.
CREATE FUNCTION autotime.install_invoice_gate(rel regclass, columns jsonb) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  gate record;
  invoice_column text;
  status_column text := coalesce(columns ->> 'status', 'status');
  id_column text := coalesce(columns ->> 'id', 'id');
BEGIN
  FOR gate IN
    SELECT t.tgname, t.tgrelid::regclass AS on_table FROM pg_trigger t
     WHERE t.tgname IN ('autotime_invoice_gate', 'autotime_invoice_gate_insert') AND NOT t.tgisinternal
       AND t.tgparentid = 0 AND t.tgfoid = 'autotime.refuse_draft_invoicing()'::regprocedure
       AND pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = t.tgrelid), 'MEMBER')
     ORDER BY t.tgrelid, t.tgname
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', gate.tgname, gate.on_table);
  END LOOP;
  invoice_column := coalesce(columns ->> 'invoice_id',
                             (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = rel AND a.attname = 'invoice_id'
                                 AND a.attnum > 0 AND NOT a.attisdropped));
  IF invoice_column IS NULL OR EXISTS (
      SELECT 1 FROM pg_trigger t WHERE t.tgrelid = rel AND NOT t.tgisinternal
         AND t.tgfoid = 'autotime.refuse_draft_invoicing()'::regprocedure) THEN
    RETURN;
  END IF;
  EXECUTE format('CREATE TRIGGER autotime_invoice_gate BEFORE UPDATE ON %1$s FOR EACH ROW '
                 'WHEN (OLD.%2$I::text = ''draft'' AND (NEW.%2$I::text = ''billed'' OR '
                 '(NEW.%3$I IS NOT NULL AND NEW.%3$I::text IS DISTINCT FROM OLD.%3$I::text))) '
                 'EXECUTE FUNCTION autotime.refuse_draft_invoicing(%4$L)', rel, status_column, invoice_column, id_column);
  EXECUTE format('CREATE TRIGGER autotime_invoice_gate_insert BEFORE INSERT ON %1$s FOR EACH ROW '
                 'WHEN (NEW.%2$I::text = ''draft'' AND NEW.%3$I IS NOT NULL) '
                 'EXECUTE FUNCTION autotime.refuse_draft_invoicing(%4$L)', rel, status_column, invoice_column, id_column);
END
$$;
REVOKE ALL ON FUNCTION autotime.install_invoice_gate(regclass, jsonb) FROM PUBLIC;


-- ==== defensible time (SPEC §6) ====
-- Billing increments: every auto entry's minutes rounded up to whole increments (after per-kind
-- minutes or rounded_duration). NULL: off, minutes as before.
ALTER TABLE autotime.team_settings ADD COLUMN billing_increment_minutes integer
  CONSTRAINT team_settings_billing_increment_minutes_range CHECK (billing_increment_minutes BETWEEN 1 AND 60);
COMMENT ON COLUMN autotime.team_settings.billing_increment_minutes IS
  'Entries are billed in whole increments of this many minutes, rounded up (6 = tenths of an hour); NULL: off';
CREATE FUNCTION autotime.rule_minutes(call_minutes_mode text, increment integer, duration_seconds bigint,
    billing_increment integer) RETURNS integer
  AS 'MODULE_PATHNAME', 'autotime_rule_minutes' LANGUAGE c IMMUTABLE PARALLEL SAFE;
-- The daily cap's rule in the C++ core (admitted_under_daily_cap), for tests and DBAs: how many of
-- a member's activities of one day (minutes in the order they happened) a day with `counted`
-- minutes admits under `cap`. Capture applies it set-based.
CREATE FUNCTION autotime.rule_daily_cap_admits(counted integer, minutes integer[], cap integer) RETURNS integer
  AS 'MODULE_PATHNAME', 'autotime_rule_daily_cap_admits' LANGUAGE c IMMUTABLE PARALLEL SAFE;

-- Daily cap: a member's automatically captured minutes per work date never exceed it; an activity
-- that would pass it is skipped (daily_cap), not linked. NULL: off.
ALTER TABLE autotime.team_settings ADD COLUMN daily_cap_minutes integer
  CONSTRAINT team_settings_daily_cap_minutes_range CHECK (daily_cap_minutes BETWEEN 1 AND 1440);
COMMENT ON COLUMN autotime.team_settings.daily_cap_minutes IS
  'A member''s automatically captured minutes per work date never exceed this; NULL: no cap';
-- What capture counted toward a member's day, per link (only while the team has a cap), and the
-- day's total. Capture adds to the total, guarded by the cap; a link released (its activity
-- deleted) or dismissed gives its minutes back.
ALTER TABLE autotime.activity_links ADD COLUMN user_id bigint, ADD COLUMN work_date date, ADD COLUMN minutes integer;
COMMENT ON COLUMN autotime.activity_links.minutes IS
  'Minutes this activity counts toward its member''s day under a daily cap (NULL: not counted)';
CREATE TABLE autotime.daily_minutes (
  team_id bigint NOT NULL,
  user_id bigint NOT NULL,
  work_date date NOT NULL,
  minutes integer NOT NULL,
  CONSTRAINT daily_minutes_one_per_day PRIMARY KEY (team_id, user_id, work_date)
);
COMMENT ON TABLE autotime.daily_minutes IS
  'Minutes captured automatically per member and work date, for teams with a daily cap';
SELECT pg_catalog.pg_extension_config_dump('autotime.daily_minutes', '');
REVOKE ALL ON autotime.daily_minutes FROM PUBLIC;
CREATE FUNCTION autotime.uncount_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  UPDATE autotime.daily_minutes d SET minutes = greatest(d.minutes - OLD.minutes, 0)
   WHERE d.team_id = OLD.team_id AND d.user_id = OLD.user_id AND d.work_date = OLD.work_date;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION autotime.uncount_link() FROM PUBLIC;
CREATE TRIGGER activity_links_uncount AFTER UPDATE OF released_at, dismissed_at ON autotime.activity_links
  FOR EACH ROW WHEN (OLD.minutes IS NOT NULL AND OLD.released_at IS NULL AND OLD.dismissed_at IS NULL
                     AND (NEW.released_at IS NOT NULL OR NEW.dismissed_at IS NOT NULL))
  EXECUTE FUNCTION autotime.uncount_link();
CREATE TRIGGER activity_links_uncount_deleted AFTER DELETE ON autotime.activity_links
  FOR EACH ROW WHEN (OLD.minutes IS NOT NULL AND OLD.released_at IS NULL AND OLD.dismissed_at IS NULL)
  EXECUTE FUNCTION autotime.uncount_link();

-- Double-billing guard: each auto entry keeps its span (its activity's time, its minutes long) on
-- its link; autotime.overlaps lists a member's auto entries on different clients whose spans
-- overlap, and approve refuses (23P01) to approve an entry overlapping an approved or billed entry
-- of another client unless the reviewer passes allow_overlap => true.
ALTER TABLE autotime.activity_links ADD COLUMN span tstzrange;
COMMENT ON COLUMN autotime.activity_links.span IS
  'The time its entry covers: from the activity''s time, the entry''s minutes long (the double-billing guard''s)';

-- The team's auto entries with their spans (entries read as their owner), only those of the given
-- members when `members_of` names entries. A session's entry (SPEC §6 sessions, below) spans its
-- activities, from the first start to the last end; other entries keep their link's span.
CREATE FUNCTION autotime.entry_spans(team bigint, members_of bigint[] DEFAULT NULL)
RETURNS TABLE (team_id bigint, entry_id bigint, user_id bigint, client_id bigint, status text, span tstzrange)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  space text := coalesce('e.' || autotime.entry_space_column(), '''''');  -- its source_table, else ''
BEGIN
  RETURN QUERY
  SELECT team, e.id, e.user_id, e.client_id, e.status, coalesce(ss.span, l.span)
  FROM autotime.query_as_owner(t.rel, format(
         'SELECT e.%1$s::int8, e.%2$s::int8, e.%3$s::int8, e.%4$s::text, e.%5$s::text, e.%6$s::int8, '
         'nullif(%7$s::text, '''') FROM %8$s e WHERE e.%9$s = $2 AND e.%5$s IS NOT NULL AND ($1 IS NULL OR e.%2$s IN '
         '(SELECT x.%2$s FROM %8$s x WHERE x.%9$s = $2 AND x.%1$s = ANY ($1)))',
         t.id, t.user_id, t.client_id, t.status, t.source_kind, t.source_id, space, t.rel, t.team_id),
       members_of, team, NULL)
       AS e(id bigint, user_id bigint, client_id bigint, status text, kind text, source_id bigint, space text)
  LEFT JOIN autotime.activity_links l ON l.team_id = team AND l.kind = e.kind AND l.source_id = e.source_id
   AND l.key_space IS NOT DISTINCT FROM e.space AND l.span IS NOT NULL AND l.released_at IS NULL AND l.dismissed_at IS NULL
   AND l.session_entry_id IS NULL
  LEFT JOIN LATERAL (
    SELECT tstzrange(min(lower(s.worked)), max(upper(s.worked))) AS span FROM autotime.activity_links s
     WHERE s.team_id = team AND s.session_entry_id = e.id AND s.worked IS NOT NULL AND s.released_at IS NULL
       AND s.dismissed_at IS NULL HAVING count(*) > 0) ss ON true
  WHERE coalesce(ss.span, l.span) IS NOT NULL;
END
$$;
REVOKE ALL ON FUNCTION autotime.entry_spans(bigint, bigint[]) FROM PUBLIC;

-- approve's guard: the entries being approved may not overlap an approved or billed entry (or
-- another one being approved) of the same member on another client. Approvals of one member's
-- entries take a transaction lock on (team, member) first, in member order (no deadlock between
-- approvals), so two reviewers can't each approve one side of an overlap.
CREATE FUNCTION autotime.refuse_overlaps(entry_ids bigint[], team bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  hit record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(format('autotime.approve %s %s', team, s.user_id), 0))
     FROM (SELECT DISTINCT x.user_id FROM autotime.entry_spans(team, entry_ids) x WHERE x.entry_id = ANY (entry_ids)
           ORDER BY 1) s;
  SELECT a.entry_id, b.entry_id AS other_id, b.status AS other_status,
         ceil(extract(epoch FROM upper(a.span * b.span) - lower(a.span * b.span)) / 60)::int AS minutes
    INTO hit
    FROM autotime.entry_spans(team, entry_ids) a JOIN autotime.entry_spans(team, entry_ids) b
      ON b.user_id = a.user_id AND b.client_id <> a.client_id AND b.span && a.span
   WHERE a.entry_id = ANY (entry_ids) AND a.status = 'draft'
     AND (b.status IN ('approved', 'billed') OR (b.entry_id = ANY (entry_ids) AND b.status = 'draft'))
   ORDER BY a.entry_id, b.entry_id LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'time entry % overlaps time entry % of another client (% minutes)', hit.entry_id, hit.other_id, hit.minutes
      USING ERRCODE = 'exclusion_violation',
            DETAIL = format('The same member''s time on two clients at once; entry %s is %s.', hit.other_id,
                            CASE WHEN hit.other_status = 'draft' THEN 'being approved too' ELSE hit.other_status END),
            HINT = 'Check both entries; if both are right, approve with allow_overlap => true.';
  END IF;
END
$$;
REVOKE ALL ON FUNCTION autotime.refuse_overlaps(bigint[], bigint) FROM PUBLIC;

-- Every team's overlapping auto entries, each pair listed from both sides.
CREATE FUNCTION autotime.overlap_rows() RETURNS TABLE (team_id bigint, user_id bigint, entry_id bigint,
    other_entry_id bigint, overlap_minutes integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT a.team_id, a.user_id, a.entry_id, b.entry_id,
         ceil(extract(epoch FROM upper(a.span * b.span) - lower(a.span * b.span)) / 60)::int
  FROM (SELECT DISTINCT s.team_id FROM autotime.team_settings s) t
  CROSS JOIN LATERAL autotime.entry_spans(t.team_id) a
  JOIN LATERAL autotime.entry_spans(t.team_id) b ON b.user_id = a.user_id AND b.client_id <> a.client_id AND b.span && a.span
$$;
REVOKE ALL ON FUNCTION autotime.overlap_rows() FROM PUBLIC;
CREATE VIEW autotime.overlaps AS SELECT * FROM autotime.overlap_rows();
COMMENT ON VIEW autotime.overlaps IS
  'A member''s auto entries on different clients whose spans overlap (each pair from both sides)';
REVOKE ALL ON autotime.overlaps FROM PUBLIC;

-- ==== billing compliance (SPEC §7) ====
-- Case policy: how an activity without its own case finds one. latest_open (the default, 1.x's
-- rule): the client's most recently updated open case; only_open: the client's only open case
-- (more than one: skip reason ambiguous_case); none: only the activity's own case (else no_case).
ALTER TABLE autotime.team_settings ADD COLUMN case_fallback text NOT NULL DEFAULT 'latest_open'
  CONSTRAINT team_settings_case_fallback_valid CHECK (case_fallback IN ('latest_open', 'only_open', 'none'));
COMMENT ON COLUMN autotime.team_settings.case_fallback IS
  'An activity without its own case: latest_open (the client''s most recently updated open case), only_open, or none';
CREATE FUNCTION autotime.rule_skip_reason(team_enabled boolean, kind_enabled boolean, qualifies boolean,
    has_activity_time boolean, has_actor boolean, member_found boolean, can_log_time boolean,
    own_case_given boolean, case_found boolean, case_client_matches boolean, billing_type text,
    flat_fee_policy text, case_fallback text, open_cases integer) RETURNS text
  AS 'MODULE_PATHNAME', 'autotime_rule_skip_reason' LANGUAGE c IMMUTABLE PARALLEL SAFE;

-- UTBMS activity codes: an entries table with an activity_code column gets each auto entry's
-- code: the team's for the kind (autotime.activity_codes), else the kind's default (call, sms and
-- ir_report A106, document A103, event A109; src/core/kinds.cpp). Codes are A101..A111.
CREATE TABLE autotime.activity_codes (
  team_id bigint NOT NULL,
  kind text NOT NULL CONSTRAINT activity_codes_kind_valid CHECK (kind IN ('call', 'sms', 'document', 'ir_report', 'event')),
  code text NOT NULL CONSTRAINT activity_codes_code_valid CHECK (code ~ '^A1(0[1-9]|1[01])$'),
  CONSTRAINT activity_codes_one_per_kind PRIMARY KEY (team_id, kind)
);
COMMENT ON TABLE autotime.activity_codes IS
  'Per team and kind, the UTBMS activity code (A101..A111) its auto entries get instead of the kind''s default';
SELECT pg_catalog.pg_extension_config_dump('autotime.activity_codes', '');
REVOKE ALL ON autotime.activity_codes FROM PUBLIC;
-- Capture looks a team's code up only while some team has one: a change here is a settings change.
CREATE TRIGGER activity_codes_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON autotime.activity_codes
  FOR EACH STATEMENT EXECUTE FUNCTION autotime.settings_changed();

-- ==== sessions (SPEC §6 session_gap_minutes) ====
-- Activities of one team, member, resolved case and work date whose spans lie within the gap of
-- each other form a session with one draft entry: last end - first start, rounded up to the
-- billing increment, described by what it covers ("Phone call (outbound); 2 text messages to
-- client"). Capture writes each activity's entry as before and then regroups the member's day
-- (autotime.regroup_sessions): the day's open activities (those whose entry is a draft) are
-- grouped by the core (src/core/sessions.cpp), each session keeps one of its entries and the
-- others go; every activity's link names its session's entry. Approved and billed entries never
-- change: an activity after an approval opens a new entry. NULL: off, one entry per activity.
ALTER TABLE autotime.team_settings ADD COLUMN session_gap_minutes integer
  CONSTRAINT team_settings_session_gap_minutes_range CHECK (session_gap_minutes BETWEEN 1 AND 240);
COMMENT ON COLUMN autotime.team_settings.session_gap_minutes IS
  'Activities of one member, case and work date whose spans lie within this many minutes of each other share one draft entry (a session); NULL: off';

-- What a session is made of, per link (written only while the activity's team has sessions):
-- the resolved case, the activity's own span and description, and the session's entry. user_id
-- and work_date are the daily cap's columns (1.3), written for sessions too.
ALTER TABLE autotime.activity_links ADD COLUMN case_id bigint, ADD COLUMN worked tstzrange,
  ADD COLUMN description text, ADD COLUMN session_entry_id bigint;
COMMENT ON COLUMN autotime.activity_links.worked IS
  'The activity''s own span in a session: from its time, a call''s duration when known, else its own minutes (NULL: not in a session)';
COMMENT ON COLUMN autotime.activity_links.session_entry_id IS
  'The entry of the session this activity is billed on (NULL: its own entry, keyed by its kind and id)';
CREATE INDEX activity_links_by_member_day ON autotime.activity_links (team_id, user_id, work_date)
  WHERE worked IS NOT NULL;
CREATE INDEX activity_links_in_sessions ON autotime.activity_links (team_id, session_entry_id) WHERE session_entry_id IS NOT NULL;

-- The core's session arithmetic (src/core/sessions.cpp), for the capture statements.
CREATE FUNCTION autotime.rule_activity_seconds(minutes integer, duration_seconds bigint) RETURNS bigint
  AS 'MODULE_PATHNAME', 'autotime_rule_activity_seconds' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_sessions(starts timestamptz[], ends timestamptz[], gap_minutes integer) RETURNS integer[]
  AS 'MODULE_PATHNAME', 'autotime_rule_sessions' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_session_minutes(first_start timestamptz, last_end timestamptz, billing_increment integer)
  RETURNS integer AS 'MODULE_PATHNAME', 'autotime_rule_session_minutes' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_session_description(descriptions text[]) RETURNS text
  AS 'MODULE_PATHNAME', 'autotime_rule_session_description' LANGUAGE c IMMUTABLE PARALLEL SAFE;

-- The lock a member's sessions are regrouped under: the double-billing guard's (refuse_overlaps),
-- so approving a member's entries and growing their sessions are one queue. Capture takes it
-- before it claims the links of the member's activities (the capture statement's session_locks
-- step, members in (team, user) order), so no capture waits on another's link while holding it.
CREATE FUNCTION autotime.member_lock_key(team bigint, member bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT hashtextextended(format('autotime.approve %s %s', team, member), 0)
$$;
REVOKE ALL ON FUNCTION autotime.member_lock_key(bigint, bigint) FROM PUBLIC;

-- Regroups one member's sessions of one work date, after capture wrote or released activities of
-- it. Returns how many entries fewer the day has (merged or emptied entries gone, minus entries
-- a split made). Reads and writes the entries as their owner; only plain values reach them.
CREATE FUNCTION autotime.regroup_sessions(team bigint, member bigint, day date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  space_column text := autotime.entry_space_column();
  gap integer;
  increment integer;
  capped boolean;
  -- the day's open activities (their entry is a draft), by case, then by span
  a_case bigint[]; a_kind text[]; a_key text[]; a_source bigint[]; a_space text[];
  a_start timestamptz[]; a_end timestamptz[]; a_desc text[]; a_entry bigint[]; a_counted integer[];
  a_anchor text[];       -- the entry's anchor (kind:space:source_id) of each activity's entry
  anchors text[];        -- anchors of every entry of the day (an anchor must stay unique)
  taken bigint[] := '{}';
  n integer;
  i integer;
  j integer;
  first_i integer;
  sessions integer[];
  members integer[];
  kept bigint;
  kept_anchor text;
  anchor integer;
  minutes integer;
  counted integer;
  description text;
  created integer := 0;
  removed integer := 0;
  candidates bigint[] := '{}';
  plan_entry bigint[] := '{}';
  plan_copy bigint[] := '{}';
  plan_anchor integer[] := '{}';
  plan_minutes integer[] := '{}';
  plan_case bigint[] := '{}';      -- a session's entry is on its case (an activity moved to another case moves)
  plan_desc text[] := '{}';
  plan_members text[] := '{}';  -- each session's members (indexes), as text arrays
  p integer;
  columns text;
  source_values text;
  new_id bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(autotime.member_lock_key(team, member));
  SELECT s.session_gap_minutes, s.billing_increment_minutes, s.daily_cap_minutes IS NOT NULL
    INTO gap, increment, capped FROM autotime.team_settings s WHERE s.team_id = team;
  -- The entries the day's activities are billed on, found by key (index probes, never a scan of
  -- the member's entries): sessions' entries by id, each activity's own entry by kind and id. They
  -- are locked (FOR UPDATE) and read as committed now: a review function changing one of them
  -- (approve with allow_overlap, which takes no member lock; dismiss) is waited for, and an entry
  -- it approved is seen approved (closed), never grown.
  columns := format('e.%s::int8, e.%s::text, e.%s::text, e.%s::int8, nullif(%s::text, '''')', t.id, t.status,
                    t.source_kind, t.source_id, coalesce('e.' || space_column, ''''''));
  source_values := format('SELECT %s FROM %s e WHERE e.%s = $2 AND (e.%s = ANY ($1)', columns, t.rel, t.team_id, t.id)
    || coalesce((SELECT string_agg(format(' OR e.%s = %L AND e.%s = ANY (%L::int8[])', t.source_kind, k.kind, t.source_id,
                                          k.ids), '')
                   FROM (SELECT l.kind, array_agg(DISTINCT l.source_id)::text AS ids FROM autotime.activity_links l
                          WHERE l.team_id = team AND l.user_id = member AND l.work_date = day AND l.worked IS NOT NULL
                          GROUP BY l.kind) k), '')
    || ') FOR UPDATE OF e';
  WITH e AS (
    SELECT * FROM autotime.query_as_owner(t.rel, source_values,
      ARRAY(SELECT DISTINCT l.session_entry_id FROM autotime.activity_links l WHERE l.team_id = team AND l.user_id = member
              AND l.work_date = day AND l.worked IS NOT NULL AND l.session_entry_id IS NOT NULL),
      team, NULL) AS q(id bigint, status text, kind text, source_id bigint, space text)),
  open AS (
    SELECT l.*, x.id AS entry_id, x.kind || ':' || coalesce(x.space, '') || ':' || x.source_id AS anchor
      FROM autotime.activity_links l
      JOIN LATERAL (SELECT e.* FROM e WHERE CASE WHEN l.session_entry_id IS NOT NULL THEN e.id = l.session_entry_id
                                             ELSE e.kind = l.kind AND e.source_id = l.source_id
                                                  AND e.space IS NOT DISTINCT FROM l.key_space END LIMIT 1) x ON true
     WHERE l.team_id = team AND l.user_id = member AND l.work_date = day AND l.worked IS NOT NULL
       AND l.released_at IS NULL AND l.dismissed_at IS NULL AND x.status = 'draft')
  SELECT array_agg(o.case_id ORDER BY o.case_id, lower(o.worked), upper(o.worked), o.kind, o.source_key),
         array_agg(o.kind ORDER BY o.case_id, lower(o.worked), upper(o.worked), o.kind, o.source_key),
         array_agg(o.source_key ORDER BY o.case_id, lower(o.worked), upper(o.worked), o.kind, o.source_key),
         array_agg(o.source_id ORDER BY o.case_id, lower(o.worked), upper(o.worked), o.kind, o.source_key),
         array_agg(o.key_space ORDER BY o.case_id, lower(o.worked), upper(o.worked), o.kind, o.source_key),
         array_agg(lower(o.worked) ORDER BY o.case_id, lower(o.worked), upper(o.worked), o.kind, o.source_key),
         array_agg(upper(o.worked) ORDER BY o.case_id, lower(o.worked), upper(o.worked), o.kind, o.source_key),
         array_agg(o.description ORDER BY o.case_id, lower(o.worked), upper(o.worked), o.kind, o.source_key),
         array_agg(o.entry_id ORDER BY o.case_id, lower(o.worked), upper(o.worked), o.kind, o.source_key),
         array_agg(o.minutes ORDER BY o.case_id, lower(o.worked), upper(o.worked), o.kind, o.source_key),
         array_agg(o.anchor ORDER BY o.case_id, lower(o.worked), upper(o.worked), o.kind, o.source_key),
         (SELECT array_agg(e.kind || ':' || coalesce(e.space, '') || ':' || e.source_id) FROM e)
    INTO a_case, a_kind, a_key, a_source, a_space, a_start, a_end, a_desc, a_entry, a_counted, a_anchor, anchors
    FROM open o;
  n := coalesce(cardinality(a_key), 0);
  -- Candidates to go: the open activities' entries, and the entries of sessions whose activities
  -- were released (deleted) from them: a session's entry goes with its last activity.
  candidates := ARRAY(SELECT DISTINCT x FROM unnest(a_entry) x
                      UNION SELECT l.session_entry_id FROM autotime.activity_links l
                             WHERE l.team_id = team AND l.user_id = member AND l.work_date = day AND l.worked IS NOT NULL
                               AND l.released_at IS NOT NULL AND l.session_entry_id IS NOT NULL);

  -- The sessions, case by case (a_* are ordered by case, then span): each keeps the lowest-id
  -- entry of its activities that no earlier session kept; a session left without one (a split)
  -- gets a copy. Its anchor (the entry's source_kind/source_id) stays when it is one of its
  -- activities, else becomes its first activity whose key no other entry holds.
  i := 1;
  WHILE i <= n LOOP
    first_i := i;
    WHILE i <= n AND a_case[i] IS NOT DISTINCT FROM a_case[first_i] LOOP
      i := i + 1;
    END LOOP;
    -- (gap NULL: the team turned sessions off; its existing sessions only shrink, as gap 0)
    sessions := autotime.rule_sessions(a_start[first_i:i - 1], a_end[first_i:i - 1], coalesce(gap, 0));
    FOR s IN 0 .. (SELECT max(x) FROM unnest(sessions) x) LOOP
      members := ARRAY(SELECT first_i + k - 1 FROM unnest(sessions) WITH ORDINALITY u(x, k) WHERE u.x = s ORDER BY k);
      kept := (SELECT min(a_entry[m]) FROM unnest(members) m WHERE NOT a_entry[m] = ANY (taken));
      kept_anchor := (SELECT a_anchor[m] FROM unnest(members) m WHERE a_entry[m] = kept LIMIT 1);
      anchor := (SELECT m FROM unnest(members) WITH ORDINALITY u(m, k)
                  WHERE a_kind[m] || ':' || coalesce(a_space[m], '') || ':' || a_source[m] = kept_anchor ORDER BY k LIMIT 1);
      IF anchor IS NULL THEN
        anchor := (SELECT m FROM unnest(members) WITH ORDINALITY u(m, k)
                    WHERE NOT (a_kind[m] || ':' || coalesce(a_space[m], '') || ':' || a_source[m]) = ANY (anchors)
                    ORDER BY k LIMIT 1);
      END IF;
      minutes := autotime.rule_session_minutes(a_start[members[1]],
                                               (SELECT max(a_end[m]) FROM unnest(members) m), increment);
      IF capped THEN
        -- Under a daily cap a session bills at most what its activities counted toward the day.
        counted := (SELECT sum(a_counted[m]) FROM unnest(members) m);
        IF counted IS NOT NULL AND counted < minutes THEN
          minutes := counted;
        END IF;
      END IF;
      description := autotime.rule_session_description(ARRAY(SELECT a_desc[m] FROM unnest(members) m));
      IF kept IS NOT NULL THEN
        taken := taken || kept;
      END IF;
      plan_entry := plan_entry || kept;
      plan_copy := plan_copy || (SELECT min(a_entry[m]) FROM unnest(members) m);
      plan_anchor := plan_anchor || anchor;
      plan_minutes := plan_minutes || minutes;
      plan_case := plan_case || a_case[first_i];
      plan_desc := plan_desc || description;
      plan_members := plan_members || members::text;
    END LOOP;
  END LOOP;

  -- Entries no session keeps (merged into another's) go: drafts only.
  SELECT count(*) INTO removed FROM autotime.query_as_owner(t.rel, format(
      'DELETE FROM %1$s e WHERE e.%2$s = $2 AND e.%3$s = ANY ($1) AND e.%4$s = ''draft'' RETURNING 1',
      t.rel, t.team_id, t.id, t.status),
    ARRAY(SELECT c FROM unnest(candidates) c WHERE NOT c = ANY (taken)), team, NULL) AS q(one integer);

  FOR p IN 1 .. coalesce(cardinality(plan_minutes), 0) LOOP
    anchor := plan_anchor[p];
    IF plan_entry[p] IS NOT NULL THEN
      -- The session's entry takes its span, description and anchor (its history: joined_session).
      PERFORM 1 FROM autotime.query_as_owner(t.rel, format(
          'UPDATE %1$s e SET %2$s = %7$s, %3$s = %8$L, %4$s = %9$s, %5$s = %10$s, %16$s = %17$s%11$s WHERE e.%6$s = $2 '
          'AND e.%12$s = $3 AND e.%13$s = ''draft'' AND (e.%2$s, e.%3$s, e.%4$s::text, e.%5$s, e.%16$s%14$s) IS DISTINCT FROM '
          '(%7$s, %8$L, (%9$s)::text, %10$s, %17$s%15$s) RETURNING 1',
          t.rel, t.minutes, t.description, t.source_kind, t.source_id, t.team_id, plan_minutes[p], plan_desc[p],
          CASE WHEN anchor IS NULL THEN 'e.' || t.source_kind ELSE quote_literal(a_kind[anchor]) END,
          CASE WHEN anchor IS NULL THEN 'e.' || t.source_id ELSE a_source[anchor]::text END,
          CASE WHEN space_column IS NOT NULL AND anchor IS NOT NULL
               THEN format(', %s = %L', space_column, coalesce(a_space[anchor], '')) ELSE '' END,
          t.id, t.status,
          CASE WHEN space_column IS NOT NULL THEN format(', coalesce(e.%s::text, '''')', space_column) ELSE '' END,
          CASE WHEN space_column IS NOT NULL AND anchor IS NOT NULL THEN format(', %L::text', coalesce(a_space[anchor], ''))
               WHEN space_column IS NOT NULL THEN format(', coalesce(e.%s::text, '''')', space_column) ELSE '' END,
          t.case_id, coalesce(plan_case[p]::text, 'e.' || t.case_id)),
        NULL, team, plan_entry[p], 'joined_session') AS q(one integer);
    ELSIF anchor IS NOT NULL THEN
      -- A split: the session gets a copy of an entry it shared, anchored on its first free activity.
      SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
             string_agg(CASE quote_ident(a.attname)
                          WHEN t.minutes THEN plan_minutes[p]::text
                          WHEN t.case_id THEN coalesce(plan_case[p]::text, 'e.' || t.case_id)
                          WHEN t.description THEN quote_literal(plan_desc[p])
                          WHEN t.source_kind THEN quote_literal(a_kind[anchor])
                          WHEN t.source_id THEN a_source[anchor]::text
                          WHEN coalesce(space_column, '') THEN quote_literal(coalesce(a_space[anchor], ''))
                          ELSE 'e.' || quote_ident(a.attname) END, ', ' ORDER BY a.attnum)
        INTO columns, source_values
        FROM pg_attribute a
       WHERE a.attrelid = t.rel AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
         AND quote_ident(a.attname) <> t.id;
      SELECT q.id INTO new_id FROM autotime.query_as_owner(t.rel, format(
          'INSERT INTO %1$s (%2$s) SELECT %3$s FROM %1$s e WHERE e.%4$s = $2 AND e.%5$s = $3 RETURNING %5$s::int8',
          t.rel, columns, source_values, t.team_id, t.id),
        NULL, team, plan_copy[p]) AS q(id bigint);
      plan_entry[p] := new_id;
      created := created + 1;
    END IF;
    -- Every activity of the session names its entry.
    UPDATE autotime.activity_links l SET session_entry_id = plan_entry[p]
      FROM unnest(plan_members[p]::integer[]) m
     WHERE l.team_id = team AND l.kind = a_kind[m] AND l.source_key = a_key[m]
       AND l.session_entry_id IS DISTINCT FROM plan_entry[p];
  END LOOP;
  RETURN removed - created;
END
$$;
REVOKE ALL ON FUNCTION autotime.regroup_sessions(bigint, bigint, date) FROM PUBLIC;

-- Capture statements change while some team has sessions (a settings feature), or while some
-- activity is still billed on a session's entry (a team that turned sessions off).
CREATE FUNCTION autotime.sessions_in_use() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM autotime.team_settings s WHERE s.session_gap_minutes IS NOT NULL)
      OR EXISTS (SELECT 1 FROM autotime.activity_links l WHERE l.session_entry_id IS NOT NULL)
$$;
REVOKE ALL ON FUNCTION autotime.sessions_in_use() FROM PUBLIC;



-- ==== billing compliance: entry history and client billing rules (SPEC §7) ====
-- Entry history: one row per change to an entry autotime made (a row with a source_kind), whoever
-- made it, with the changed columns before and after. Written by the bound entries table's
-- triggers (autotime.entry_history(), src/pg/entry_history.cpp) in the changing transaction.
CREATE TABLE autotime.entry_history (
  change_id bigint GENERATED ALWAYS AS IDENTITY,
  team_id bigint NOT NULL,
  entry_id bigint NOT NULL,
  at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  actor text,
  -- created, joined_session, approved, non_billable, reassigned, dismissed, edited or deleted: only
  -- autotime's C triggers write it (no CHECK: it would be parsed again by every capture's insert).
  action text NOT NULL,
  changes jsonb NOT NULL,
  PRIMARY KEY (team_id, entry_id, change_id)
);
COMMENT ON TABLE autotime.entry_history IS
  'Every change to an entry autotime made: who (the session''s role), what (action) and the changed columns before and after; append-only';
SELECT pg_catalog.pg_extension_config_dump('autotime.entry_history', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('autotime.entry_history', 'change_id'), '');
REVOKE ALL ON autotime.entry_history FROM PUBLIC;

-- Append-only for everyone, its owner and superusers included (a superuser who must purge it
-- disables the triggers first, deliberately and visibly).
CREATE FUNCTION autotime.refuse_history_rewrite() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION 'autotime.entry_history is append-only: % is refused', TG_OP
    USING ERRCODE = 'prohibited_sql_statement_attempted',
          DETAIL = 'The history of time entries is the firm''s record of who changed what; no row of it is changed or removed.',
          HINT = 'Correct an entry with a new change to it; the history records that too.';
END
$$;
REVOKE ALL ON FUNCTION autotime.refuse_history_rewrite() FROM PUBLIC;
CREATE TRIGGER entry_history_append_only BEFORE UPDATE OR DELETE ON autotime.entry_history
  FOR EACH ROW EXECUTE FUNCTION autotime.refuse_history_rewrite();
CREATE TRIGGER entry_history_append_only_truncate BEFORE TRUNCATE ON autotime.entry_history
  FOR EACH STATEMENT EXECUTE FUNCTION autotime.refuse_history_rewrite();

-- An entry's history, oldest change first. Without team_id, an entry id whose history more than
-- one firm holds is refused (21000), as elsewhere.
CREATE FUNCTION autotime.history(entry_id bigint, team_id bigint DEFAULT NULL)
RETURNS TABLE (change_id bigint, at timestamptz, actor text, action text, changes jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  wanted_entry bigint := entry_id;
  wanted_team bigint := team_id;
  teams bigint[];
BEGIN
  IF wanted_entry IS NULL THEN
    RAISE EXCEPTION 'autotime.history needs an entry id' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF wanted_team IS NULL THEN
    SELECT array_agg(DISTINCT h.team_id ORDER BY h.team_id) INTO teams
      FROM autotime.entry_history h WHERE h.entry_id = wanted_entry;
    IF cardinality(teams) > 1 THEN
      RAISE EXCEPTION 'time entry id % is held by more than one team (%)', wanted_entry, array_to_string(teams, ', ')
        USING ERRCODE = 'cardinality_violation',
              HINT = format('Name the firm: SELECT * FROM autotime.history(%s, team_id => %s).', wanted_entry, teams[1]);
    END IF;
    wanted_team := teams[1];
  END IF;
  RETURN QUERY SELECT h.change_id, h.at, h.actor, h.action, h.changes
    FROM autotime.entry_history h WHERE h.team_id = wanted_team AND h.entry_id = wanted_entry
   ORDER BY h.change_id;
END
$$;
REVOKE ALL ON FUNCTION autotime.history(bigint, bigint) FROM PUBLIC;

CREATE FUNCTION autotime.entry_history() RETURNS trigger AS 'MODULE_PATHNAME', 'autotime_entry_history' LANGUAGE c;
CREATE FUNCTION autotime.entry_guidelines() RETURNS trigger AS 'MODULE_PATHNAME', 'autotime_entry_guidelines' LANGUAGE c;
CREATE FUNCTION autotime.entry_truncate() RETURNS trigger AS 'MODULE_PATHNAME', 'autotime_entry_truncate' LANGUAGE c;

-- Client billing rules: per team, for one client or (client_id NULL) every client of the team; a
-- client's own row wins over the team's for the same rule. Values are checked by the C++ core.
CREATE FUNCTION autotime.rule_billing_problem(rule text, value text) RETURNS text
  AS 'MODULE_PATHNAME', 'autotime_rule_billing_problem' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_born_non_billable(kind text, rules text[], vals text[], client_specific boolean[])
RETURNS boolean AS 'MODULE_PATHNAME', 'autotime_rule_born_non_billable' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_entry_flags(kind text, minutes integer, billable boolean, activity_code text,
    rules text[], vals text[], client_specific boolean[]) RETURNS TABLE (rule text, detail text)
  AS 'MODULE_PATHNAME', 'autotime_rule_entry_flags' LANGUAGE c IMMUTABLE PARALLEL SAFE;

CREATE TABLE autotime.billing_rules (
  team_id bigint NOT NULL,
  client_id bigint,
  rule text NOT NULL CONSTRAINT billing_rules_rule_known CHECK (rule IN ('nonbillable_kinds', 'max_entry_minutes',
    'min_increment_minutes', 'require_activity_code')),
  value text NOT NULL,
  CONSTRAINT billing_rules_one_per_client UNIQUE NULLS NOT DISTINCT (team_id, client_id, rule)
);
COMMENT ON TABLE autotime.billing_rules IS
  'A client''s billing guidelines (client_id NULL: every client of the team): nonbillable_kinds, max_entry_minutes, min_increment_minutes, require_activity_code';
SELECT pg_catalog.pg_extension_config_dump('autotime.billing_rules', '');
REVOKE ALL ON autotime.billing_rules FROM PUBLIC;

CREATE FUNCTION autotime.check_billing_rule() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  problem text := autotime.rule_billing_problem(NEW.rule, NEW.value);
BEGIN
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'billing rule % = ''%'' is refused', NEW.rule, NEW.value
      USING ERRCODE = 'check_violation', DETAIL = problem,
            HINT = 'nonbillable_kinds: e.g. ''sms,document''; max_entry_minutes: 1..1440; min_increment_minutes: 1..60; require_activity_code: true or false.';
  END IF;
  RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION autotime.check_billing_rule() FROM PUBLIC;
CREATE TRIGGER billing_rules_check BEFORE INSERT OR UPDATE ON autotime.billing_rules
  FOR EACH ROW EXECUTE FUNCTION autotime.check_billing_rule();

-- Violations of the rules: one row per entry and rule it breaks, computed when the entry is made
-- or changed and when its team's rules change.
CREATE TABLE autotime.entry_flags (
  team_id bigint NOT NULL,
  entry_id bigint NOT NULL,
  rule text NOT NULL,
  detail text NOT NULL,
  PRIMARY KEY (team_id, entry_id, rule)
);
COMMENT ON TABLE autotime.entry_flags IS
  'Each entry autotime made that breaks its client''s billing rules, one row per rule; approve refuses a flagged entry unless override_flags => true';
SELECT pg_catalog.pg_extension_config_dump('autotime.entry_flags', '');
REVOKE ALL ON autotime.entry_flags FROM PUBLIC;

-- The bound entries table's optional contract column (quoted), NULL when it has none.
CREATE FUNCTION autotime.entry_optional_column(contract text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT quote_ident(t.attname) FROM autotime.bindings b
    JOIN pg_attribute t ON t.attrelid = b.rel AND t.attname = coalesce(b.columns ->> contract, contract)
                       AND t.attnum > 0 AND NOT t.attisdropped
   WHERE b.role = 'time_entries'
$$;
REVOKE ALL ON FUNCTION autotime.entry_optional_column(text) FROM PUBLIC;

-- Whether an entry of this kind for this client is born non-billable (nonbillable_kinds).
CREATE FUNCTION autotime.born_non_billable(team bigint, client bigint, kind text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT autotime.rule_born_non_billable(kind, array_agg(r.rule), array_agg(r.value), array_agg(r.client_id IS NOT NULL))
    FROM autotime.billing_rules r
   WHERE r.team_id = team AND (r.client_id IS NULL OR r.client_id = client) AND r.rule = 'nonbillable_kinds'
$$;
REVOKE ALL ON FUNCTION autotime.born_non_billable(bigint, bigint, text) FROM PUBLIC;

-- The flags of a team's entries autotime made (entry_ids NULL: all of them), computed again from
-- the entries (read as their owner) and the rules. Returns how many flags they now have.
CREATE FUNCTION autotime.refresh_entry_flags(team bigint, entry_ids bigint[] DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record;
  flagged integer;
BEGIN
  -- A team without rules whose entries have no flags has nothing to compute (another team's rules
  -- turn the entries table's check on for every team).
  IF NOT EXISTS (SELECT 1 FROM autotime.billing_rules r WHERE r.team_id = team)
     AND NOT EXISTS (SELECT 1 FROM autotime.entry_flags f
                      WHERE f.team_id = team AND (entry_ids IS NULL OR f.entry_id = ANY (entry_ids))) THEN
    RETURN 0;
  END IF;
  t := autotime.entry_table();
  DELETE FROM autotime.entry_flags f WHERE f.team_id = team AND (entry_ids IS NULL OR f.entry_id = ANY (entry_ids));
  INSERT INTO autotime.entry_flags (team_id, entry_id, rule, detail)
  SELECT team, e.id, f.rule, f.detail
    FROM autotime.query_as_owner(t.rel,
           format('SELECT %s::int8, %s::int8, %s::text, %s::int4, %s::bool, %s::text FROM %s '
                  'WHERE %s = $2 AND ($1 IS NULL OR %s = ANY ($1)) AND %s IS NOT NULL',
                  t.id, t.client_id, t.source_kind, t.minutes, t.billable,
                  coalesce(autotime.entry_optional_column('activity_code'), 'NULL'), t.rel, t.team_id, t.id, t.source_kind),
           entry_ids, team, NULL) AS e(id bigint, client_id bigint, kind text, minutes integer, billable boolean, code text)
   CROSS JOIN LATERAL (
     SELECT array_agg(r.rule) AS rules, array_agg(r.value) AS vals, array_agg(r.client_id IS NOT NULL) AS own
       FROM autotime.billing_rules r WHERE r.team_id = team AND (r.client_id IS NULL OR r.client_id = e.client_id)) r
   CROSS JOIN LATERAL autotime.rule_entry_flags(e.kind, e.minutes, e.billable, e.code, r.rules, r.vals, r.own) f
  WHERE r.rules IS NOT NULL;
  GET DIAGNOSTICS flagged = ROW_COUNT;
  RETURN flagged;
END
$$;
REVOKE ALL ON FUNCTION autotime.refresh_entry_flags(bigint, bigint[]) FROM PUBLIC;

-- approve's check: the drafts' flags, computed again now (rules may have changed since), refuse
-- the approval (23514, the rule named) unless the reviewer overrides them.
CREATE FUNCTION autotime.refuse_flagged(entry_ids bigint[], team bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  hit record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM autotime.billing_rules r WHERE r.team_id = team)
     AND NOT EXISTS (SELECT 1 FROM autotime.entry_flags f WHERE f.team_id = team AND f.entry_id = ANY (entry_ids)) THEN
    RETURN;
  END IF;
  PERFORM autotime.refresh_entry_flags(team, entry_ids);
  SELECT f.entry_id, f.rule, f.detail INTO hit FROM autotime.entry_flags f
   WHERE f.team_id = team AND f.entry_id = ANY (entry_ids)
   ORDER BY f.entry_id, f.rule LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'time entry % breaks the client''s billing rule %', hit.entry_id, hit.rule
      USING ERRCODE = 'check_violation', DETAIL = hit.detail,
            HINT = format('Correct the entry, or approve it anyway: SELECT autotime.approve(ARRAY[%s], reviewer, override_flags => true).', hit.entry_id);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION autotime.refuse_flagged(bigint[], bigint) FROM PUBLIC;

-- A change to a team's rules computes its entries' flags again (and tells capture whether any team
-- has rules: the entries table's triggers skip the rules while none has).
CREATE FUNCTION autotime.billing_rules_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  teams bigint[];
  team bigint;
BEGIN
  PERFORM autotime.invalidate_capture('autotime.team_settings'::regclass);
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE autotime.entry_flags;
    RETURN NULL;
  ELSIF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT c.team_id) INTO teams FROM changed_rules c;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT p.team_id) INTO teams FROM previous_rules p;
  ELSE
    SELECT array_agg(DISTINCT x.team_id) INTO teams
      FROM (SELECT c.team_id FROM changed_rules c UNION SELECT p.team_id FROM previous_rules p) x;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM autotime.bindings b WHERE b.role = 'time_entries') THEN
    RETURN NULL;
  END IF;
  FOREACH team IN ARRAY coalesce(teams, '{}') LOOP
    PERFORM autotime.refresh_entry_flags(team, NULL);
  END LOOP;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION autotime.billing_rules_changed() FROM PUBLIC;
CREATE TRIGGER billing_rules_inserted AFTER INSERT ON autotime.billing_rules
  REFERENCING NEW TABLE AS changed_rules FOR EACH STATEMENT EXECUTE FUNCTION autotime.billing_rules_changed();
CREATE TRIGGER billing_rules_updated AFTER UPDATE ON autotime.billing_rules
  REFERENCING OLD TABLE AS previous_rules NEW TABLE AS changed_rules
  FOR EACH STATEMENT EXECUTE FUNCTION autotime.billing_rules_changed();
CREATE TRIGGER billing_rules_deleted AFTER DELETE ON autotime.billing_rules
  REFERENCING OLD TABLE AS previous_rules FOR EACH STATEMENT EXECUTE FUNCTION autotime.billing_rules_changed();
CREATE TRIGGER billing_rules_truncated AFTER TRUNCATE ON autotime.billing_rules
  FOR EACH STATEMENT EXECUTE FUNCTION autotime.billing_rules_changed();

-- The history and guideline triggers on a bound time_entries table (bind calls it for that role):
-- autotime's triggers come off any other table (the one bound before) whose owner the caller is,
-- and are made on this one; they act on the rows autotime makes (those with a source_kind).
CREATE FUNCTION autotime.install_entry_triggers(rel regclass, columns jsonb) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  old record;
  part regclass;
  id_column text := coalesce(columns ->> 'id', 'id');
  team_column text := coalesce(columns ->> 'team_id', 'team_id');
  client_column text := coalesce(columns ->> 'client_id', 'client_id');
  kind_column text := coalesce(columns ->> 'source_kind', 'source_kind');
  billable_column text := coalesce(columns ->> 'billable', 'billable');
BEGIN
  FOR old IN
    SELECT t.tgname, t.tgrelid::regclass AS on_table FROM pg_trigger t
     WHERE t.tgname IN ('autotime_entry_history', 'autotime_entry_guidelines', 'autotime_entry_history_truncate')
       AND NOT t.tgisinternal AND t.tgparentid = 0
       AND t.tgfoid IN ('autotime.entry_history()'::regprocedure, 'autotime.entry_guidelines()'::regprocedure,
                        'autotime.entry_truncate()'::regprocedure)
       AND pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = t.tgrelid), 'MEMBER')
     ORDER BY t.tgrelid, t.tgname
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', old.tgname, old.on_table);
  END LOOP;
  -- No WHEN clause: one would make the columns it names impossible to ALTER; the functions skip a
  -- row without a source_kind themselves.
  EXECUTE format('CREATE TRIGGER autotime_entry_history AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW '
                 'EXECUTE FUNCTION autotime.entry_history(%L, %L, %L)', rel, id_column, team_column, kind_column);
  -- TRUNCATE is a deletion of every entry: statement triggers are not cloned to partitions, so the
  -- table and each partition it has now get one (each records the rows it holds itself).
  FOR part IN SELECT t.relid FROM (SELECT rel AS relid UNION SELECT p.relid FROM pg_partition_tree(rel) p) t ORDER BY 1 LOOP
    EXECUTE format('CREATE TRIGGER autotime_entry_history_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                   'EXECUTE FUNCTION autotime.entry_truncate(%L, %L, %L)', part, id_column, team_column, kind_column);
  END LOOP;
  EXECUTE format('CREATE TRIGGER autotime_entry_guidelines BEFORE INSERT ON %s FOR EACH ROW '
                 'EXECUTE FUNCTION autotime.entry_guidelines(%L, %L, %L, %L)',
                 rel, team_column, client_column, kind_column, billable_column);
END
$$;
REVOKE ALL ON FUNCTION autotime.install_entry_triggers(regclass, jsonb) FROM PUBLIC;
-- A table bound before 1.3 gets them now.
SELECT autotime.install_entry_triggers(b.rel, b.columns) FROM autotime.bindings b WHERE b.role = 'time_entries';

-- Whether an activity is already linked, by index probes from C (src/pg/ledger_probes.cpp): what
-- backfill of one client asks of each of the client's activities, whatever the ledger holds.
CREATE FUNCTION autotime.activity_linked(team_id bigint, kind text, source_id bigint, key_space text, source_key text)
  RETURNS boolean AS 'MODULE_PATHNAME', 'autotime_activity_linked' LANGUAGE c STABLE;
REVOKE ALL ON FUNCTION autotime.activity_linked(bigint, text, bigint, text, text) FROM PUBLIC;
