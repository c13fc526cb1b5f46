-- Capture: the activity tables it is attached to and the tables it writes (bindings), the
-- statement triggers (C, src/pg) that put it on them, and what keeps them in place.

-- Activity tables with capture on them.
CREATE TABLE autotime.attachments (
  source regclass PRIMARY KEY,
  kind text NOT NULL
    CONSTRAINT attachments_kind_valid CHECK (kind IN ('call', 'sms', 'document', 'ir_report', 'event')),
  columns jsonb NOT NULL DEFAULT '{}',
  qualifies text,
  attached_at timestamptz NOT NULL DEFAULT now(),
  -- Two tables attached for one kind never share an id space. The first table attached for a kind
  -- keys its activities by id (key_space NULL); a table attached while another of its kind is
  -- attached gets a space of its own, named after it when attached: its ledger keys are
  -- 'table:<space>:<id>', its links record the space, and its entries name it in the entries
  -- table's source_table column ('' for the kind's first table), which the entries' unique key
  -- must include.
  key_space text
);
COMMENT ON COLUMN autotime.attachments.key_space IS
  'NULL: the kind''s default id space (keys are ids); else this table''s own (a further table attached for the kind)';

-- The time entry, case and team member tables capture reads and writes.
CREATE TABLE autotime.bindings (
  role text PRIMARY KEY
    CONSTRAINT bindings_role_valid CHECK (role IN ('time_entries', 'cases', 'team_members')),
  rel regclass NOT NULL,
  columns jsonb NOT NULL DEFAULT '{}'
);

-- Which tables autotime reads and writes is no secret (pg_class shows them too); a role granted a
-- review function reads the bindings with its own rights.
GRANT SELECT ON autotime.attachments, autotime.bindings TO PUBLIC;

-- Capture triggers. SECURITY DEFINER: an application role that may insert a call needs no rights
-- on the ledger or the time entries, and cannot forge links.
CREATE FUNCTION autotime.capture_insert() RETURNS trigger
  AS 'MODULE_PATHNAME', 'autotime_capture_insert' LANGUAGE c SECURITY DEFINER;
CREATE FUNCTION autotime.capture_update() RETURNS trigger
  AS 'MODULE_PATHNAME', 'autotime_capture_update' LANGUAGE c SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.capture_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION autotime.capture_update() FROM PUBLIC;

-- Deleted activities take their still-draft entries along (statement trigger over autotime_old).
CREATE FUNCTION autotime.capture_delete() RETURNS trigger
  AS 'MODULE_PATHNAME', 'autotime_capture_delete' LANGUAGE c SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.capture_delete() FROM PUBLIC;

-- TRUNCATE of an attached table is a deletion of every row: the drafts of its activities go and
-- their links are released (the same activities sent again are captured again, once).
CREATE FUNCTION autotime.capture_truncate() RETURNS trigger
  AS 'MODULE_PATHNAME', 'autotime_capture_truncate' LANGUAGE c SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.capture_truncate() FROM PUBLIC;

-- Drops every backend's cached capture statements for a source table (sent at commit).
CREATE FUNCTION autotime.invalidate_capture(source regclass) RETURNS void
  AS 'MODULE_PATHNAME', 'autotime_invalidate_capture' LANGUAGE c STRICT;
REVOKE ALL ON FUNCTION autotime.invalidate_capture(regclass) FROM PUBLIC;

-- Prepares a source's statements now, so a bad column or expression fails at attach time.
CREATE FUNCTION autotime.validate_attachment(source regclass) RETURNS void
  AS 'MODULE_PATHNAME', 'autotime_validate_attachment' LANGUAGE c STRICT SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.validate_attachment(regclass) FROM PUBLIC;

-- ---- attaching and binding ----
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

-- The 1.0 signature (bind calls it): the same check, for a mapping without a qualifies expression.
CREATE FUNCTION autotime.check_columns(rel regclass, kind_or_role text, columns jsonb) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM autotime.check_columns(rel, kind_or_role, columns, NULL::text);
END
$$;
REVOKE ALL ON FUNCTION autotime.check_columns(regclass, text, jsonb) FROM PUBLIC;

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
CREATE FUNCTION autotime.bind(role text, rel regclass, columns jsonb DEFAULT '{}') RETURNS void
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
REVOKE ALL ON FUNCTION autotime.bind(text, regclass, jsonb) FROM PUBLIC;
CREATE FUNCTION autotime.drop_capture_triggers(source regclass) RETURNS void
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
REVOKE ALL ON FUNCTION autotime.drop_capture_triggers(regclass) FROM PUBLIC;

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
CREATE FUNCTION autotime.attach(source regclass, kind text, columns jsonb DEFAULT '{}', qualifies text DEFAULT NULL)
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
REVOKE ALL ON FUNCTION autotime.attach(regclass, text, jsonb, text) FROM PUBLIC;

-- Removes capture from an activity table. Its links and entries stay.
CREATE FUNCTION autotime.detach(source regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM autotime.attachments a WHERE a.source = detach.source;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not attached to autotime', source
      USING ERRCODE = 'undefined_object', HINT = 'SELECT source FROM autotime.attachments lists the attached tables.';
  END IF;
  PERFORM autotime.drop_capture_triggers(source);
END
$$;
REVOKE ALL ON FUNCTION autotime.detach(regclass) FROM PUBLIC;

-- ---- what keeps capture in place as tables change ----
-- A table dropped without autotime.detach() takes its attachment, binding and recorded failures
-- along, so no dangling OID is left behind (nor dumped, and restored onto an unrelated table).
-- A table owner who drops a column or a constraint fires it as themselves: it forgets only the
-- attachments, bindings and failures of objects that were really dropped.
-- A table dropped without autotime.detach() takes its attachment, binding and recorded failures
-- along, so no dangling OID is left behind (nor dumped, and restored onto an unrelated table).
CREATE FUNCTION autotime.forget_dropped_tables() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
