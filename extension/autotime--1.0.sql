-- autotime 1.0: draft billable time entries from a practice database's activity.
\echo Use "CREATE EXTENSION autotime" to load this file. \quit

-- The control file pins schema = autotime, and CREATE EXTENSION creates it when it is missing.
-- One that already existed must belong to a superuser: its owner could replace what is in it.
DO $$
BEGIN
  IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
          WHERE n.nspname OPERATOR(pg_catalog.=) 'autotime') THEN
    RAISE EXCEPTION 'schema autotime belongs to a role that is not a superuser'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'Its owner could replace the functions capture calls.',
            HINT = 'Drop it, or ALTER SCHEMA autotime OWNER TO a superuser, then CREATE EXTENSION autotime.';
  END IF;
END
$$;
COMMENT ON SCHEMA autotime IS 'autotime: captures practice activity as draft billable time entries';
GRANT USAGE ON SCHEMA autotime TO PUBLIC;

-- A timezone name PostgreSQL understands ('UTC', 'America/Chicago', ...).
CREATE FUNCTION autotime.is_valid_timezone(zone text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM now() AT TIME ZONE zone;
  RETURN zone IS NOT NULL;
EXCEPTION WHEN invalid_parameter_value THEN
  RETURN false;
END
$$;

-- One row per team (firm). No row, or enabled = false: autotime creates nothing for the team.
CREATE TABLE autotime.team_settings (
  team_id bigint PRIMARY KEY,
  enabled boolean NOT NULL DEFAULT false,
  minutes_per_activity integer NOT NULL DEFAULT 15
    CONSTRAINT team_settings_minutes_per_activity_range CHECK (minutes_per_activity BETWEEN 1 AND 1440),
  track_calls boolean NOT NULL DEFAULT true,
  track_sms boolean NOT NULL DEFAULT true,
  track_documents boolean NOT NULL DEFAULT true,
  track_ir_reports boolean NOT NULL DEFAULT true,
  track_events boolean NOT NULL DEFAULT true,
  call_minutes integer CONSTRAINT team_settings_call_minutes_range CHECK (call_minutes BETWEEN 1 AND 1440),
  sms_minutes integer CONSTRAINT team_settings_sms_minutes_range CHECK (sms_minutes BETWEEN 1 AND 1440),
  document_minutes integer CONSTRAINT team_settings_document_minutes_range CHECK (document_minutes BETWEEN 1 AND 1440),
  ir_report_minutes integer CONSTRAINT team_settings_ir_report_minutes_range CHECK (ir_report_minutes BETWEEN 1 AND 1440),
  event_minutes integer CONSTRAINT team_settings_event_minutes_range CHECK (event_minutes BETWEEN 1 AND 1440),
  call_minutes_mode text NOT NULL DEFAULT 'fixed'
    CONSTRAINT team_settings_call_minutes_mode_valid CHECK (call_minutes_mode IN ('fixed', 'rounded_duration')),
  flat_fee_policy text NOT NULL DEFAULT 'non_billable'
    CONSTRAINT team_settings_flat_fee_policy_valid CHECK (flat_fee_policy IN ('non_billable', 'skip', 'billable')),
  timezone text NOT NULL DEFAULT 'UTC'
    CONSTRAINT team_settings_timezone_valid CHECK (autotime.is_valid_timezone(timezone)),
  on_error text NOT NULL DEFAULT 'raise'
    CONSTRAINT team_settings_on_error_valid CHECK (on_error IN ('raise', 'record'))
);
COMMENT ON TABLE autotime.team_settings IS 'Per-team opt-in and capture settings; no row means disabled';

-- The ledger: one row per activity ever captured. It outlives the entry, so an entry a person
-- deleted or dismissed is never created again.
CREATE TABLE autotime.activity_links (
  team_id bigint NOT NULL,
  kind text NOT NULL
    CONSTRAINT activity_links_kind_valid CHECK (kind IN ('call', 'sms', 'document', 'ir_report', 'event')),
  source_key text NOT NULL,
  source_id bigint NOT NULL,
  linked_at timestamptz NOT NULL DEFAULT now(),
  dismissed_at timestamptz,
  CONSTRAINT activity_links_one_per_activity PRIMARY KEY (team_id, kind, source_key)
);
COMMENT ON TABLE autotime.activity_links IS
  'One row per captured activity (dedupe key: team, kind, source key); kept after its entry is deleted or dismissed';

-- Activity tables with capture on them.
CREATE TABLE autotime.attachments (
  source regclass PRIMARY KEY,
  kind text NOT NULL
    CONSTRAINT attachments_kind_valid CHECK (kind IN ('call', 'sms', 'document', 'ir_report', 'event')),
  columns jsonb NOT NULL DEFAULT '{}',
  qualifies text,
  attached_at timestamptz NOT NULL DEFAULT now()
);

-- The time entry, case and team member tables capture reads and writes.
CREATE TABLE autotime.bindings (
  role text PRIMARY KEY
    CONSTRAINT bindings_role_valid CHECK (role IN ('time_entries', 'cases', 'team_members')),
  rel regclass NOT NULL,
  columns jsonb NOT NULL DEFAULT '{}'
);

SELECT pg_catalog.pg_extension_config_dump('autotime.team_settings', '');
SELECT pg_catalog.pg_extension_config_dump('autotime.activity_links', '');
SELECT pg_catalog.pg_extension_config_dump('autotime.attachments', '');
SELECT pg_catalog.pg_extension_config_dump('autotime.bindings', '');

-- The pure rules (src/core/rules.cpp), as every capture statement calls them.
CREATE FUNCTION autotime.rule_skip_reason(team_enabled boolean, kind_enabled boolean, qualifies boolean,
    has_activity_time boolean, has_actor boolean, member_found boolean, can_log_time boolean,
    own_case_given boolean, case_found boolean, case_client_matches boolean, billing_type text,
    flat_fee_policy text) RETURNS text
  AS 'MODULE_PATHNAME', 'autotime_rule_skip_reason' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_minutes(call_minutes_mode text, increment integer, duration_seconds bigint)
  RETURNS integer AS 'MODULE_PATHNAME', 'autotime_rule_minutes' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_billable(billing_type text, flat_fee_policy text) RETURNS boolean
  AS 'MODULE_PATHNAME', 'autotime_rule_billable' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_description(kind text, direction text, label text) RETURNS text
  AS 'MODULE_PATHNAME', 'autotime_rule_description' LANGUAGE c IMMUTABLE PARALLEL SAFE;

-- Capture triggers. SECURITY DEFINER: an application role that may insert a call needs no rights
-- on the ledger or the time entries, and cannot forge links.
CREATE FUNCTION autotime.capture_insert() RETURNS trigger
  AS 'MODULE_PATHNAME', 'autotime_capture_insert' LANGUAGE c SECURITY DEFINER;
CREATE FUNCTION autotime.capture_update() RETURNS trigger
  AS 'MODULE_PATHNAME', 'autotime_capture_update' LANGUAGE c SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.capture_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION autotime.capture_update() FROM PUBLIC;

-- Why an activity did or did not get an entry.
CREATE FUNCTION autotime.explain(kind text, source_id bigint) RETURNS jsonb
  AS 'MODULE_PATHNAME', 'autotime_explain' LANGUAGE c STABLE;
REVOKE ALL ON FUNCTION autotime.explain(text, bigint) FROM PUBLIC;

-- Entries for a client's past activity; safe to re-run.
CREATE FUNCTION autotime.backfill_automatic_time(client_id bigint) RETURNS integer
  AS 'MODULE_PATHNAME', 'autotime_backfill_automatic_time' LANGUAGE c;
REVOKE ALL ON FUNCTION autotime.backfill_automatic_time(bigint) FROM PUBLIC;

-- Drops every backend's cached capture statements for a source table (sent at commit).
CREATE FUNCTION autotime.invalidate_capture(source regclass) RETURNS void
  AS 'MODULE_PATHNAME', 'autotime_invalidate_capture' LANGUAGE c STRICT;
REVOKE ALL ON FUNCTION autotime.invalidate_capture(regclass) FROM PUBLIC;

-- Prepares a source's statements now, so a bad column or expression fails at attach time.
CREATE FUNCTION autotime.validate_attachment(source regclass) RETURNS void
  AS 'MODULE_PATHNAME', 'autotime_validate_attachment' LANGUAGE c STRICT;
REVOKE ALL ON FUNCTION autotime.validate_attachment(regclass) FROM PUBLIC;

-- Contract columns of an activity kind or a bound role (NULL when unknown), from the C++ core.
CREATE FUNCTION autotime.contract_columns(kind_or_role text) RETURNS text[]
  AS 'MODULE_PATHNAME', 'autotime_contract_columns' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

-- The type family a contract column needs: integer, timestamptz, boolean, numeric, date or any.
CREATE FUNCTION autotime.contract_type(contract_column text) RETURNS text
  AS 'MODULE_PATHNAME', 'autotime_contract_type' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

-- Checks a columns mapping against a table: keys must be contract columns, values existing columns
-- of a compatible type, and the table must have the unique key autotime relies on.
CREATE FUNCTION autotime.check_columns(rel regclass, kind_or_role text, columns jsonb) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  contract text[] := autotime.contract_columns(kind_or_role);
  contract_column text;
  table_column text;
  column_type oid;
  wanted text;
  type_ok boolean;
  key_columns text[];
BEGIN
  IF columns IS NULL OR jsonb_typeof(columns) <> 'object' THEN
    RAISE EXCEPTION 'columns for % must be a JSON object', rel
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Map contract columns to your own, e.g. ''{"case_id": "matter_id"}''.';
  END IF;
  FOR contract_column IN SELECT k FROM jsonb_object_keys(columns) AS k LOOP
    IF NOT contract_column = ANY (contract) THEN
      RAISE EXCEPTION 'columns for % maps "%", which is not a column autotime uses for %', rel, contract_column, kind_or_role
        USING ERRCODE = 'invalid_parameter_value',
              HINT = format('Columns for %s are: %s.', kind_or_role, array_to_string(contract, ', '));
    END IF;
    IF jsonb_typeof(columns -> contract_column) <> 'string' THEN
      RAISE EXCEPTION 'columns for % maps "%" to a non-string value', rel, contract_column
        USING ERRCODE = 'invalid_parameter_value', HINT = 'Each value must be a column name of the table.';
    END IF;
  END LOOP;
  FOREACH contract_column IN ARRAY contract LOOP
    table_column := coalesce(columns ->> contract_column, contract_column);
    SELECT a.atttypid INTO column_type FROM pg_attribute a
     WHERE a.attrelid = rel AND a.attname = table_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'table % has no column "%" for autotime''s "%" (%)', rel, table_column, contract_column, kind_or_role
        USING ERRCODE = 'undefined_column',
              HINT = format('Add the column or map it: columns => ''{"%s": "your_column"}''.', contract_column);
    END IF;
    column_type := coalesce((SELECT t.typbasetype FROM pg_type t WHERE t.oid = column_type AND t.typtype = 'd'), column_type);
    wanted := autotime.contract_type(contract_column);
    type_ok := CASE wanted
         WHEN 'integer' THEN column_type IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
         WHEN 'timestamptz' THEN column_type = 'timestamptz'::regtype
         WHEN 'boolean' THEN column_type = 'bool'::regtype
         WHEN 'numeric' THEN column_type IN ('numeric'::regtype, 'int2'::regtype, 'int4'::regtype, 'int8'::regtype,
                                             'float4'::regtype, 'float8'::regtype)
         WHEN 'date' THEN column_type = 'date'::regtype
         ELSE true END;
    IF NOT type_ok THEN
      RAISE EXCEPTION 'column "%" of table % is %, but autotime''s "%" (%) needs %', table_column, rel,
            format_type(column_type, NULL), contract_column, kind_or_role,
            CASE wanted WHEN 'integer' THEN 'an integer type (smallint, integer or bigint)'
                        WHEN 'timestamptz' THEN 'timestamp with time zone'
                        WHEN 'numeric' THEN 'a numeric type' ELSE wanted END
        USING ERRCODE = 'datatype_mismatch',
              HINT = CASE WHEN wanted = 'timestamptz' AND column_type = 'timestamp'::regtype
                          THEN 'A timestamp without time zone has no instant to date the work by; convert it with ALTER COLUMN ... TYPE timestamptz USING ... AT TIME ZONE ''<zone>''.'
                          ELSE 'Map a column of that type, or convert this one.' END;
    END IF;
  END LOOP;
  key_columns := ARRAY(SELECT coalesce(columns ->> k, k)
                       FROM unnest(CASE WHEN kind_or_role = 'team_members' THEN ARRAY['team_id', 'user_id']
                                        ELSE ARRAY['team_id', 'id'] END) k);
  IF NOT EXISTS (
      SELECT 1 FROM pg_index i
       WHERE i.indrelid = rel AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
         AND ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) k
                   JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = k) <@ key_columns) THEN
    RAISE EXCEPTION 'table % has no unique key on (%)', rel, array_to_string(key_columns, ', ')
      USING ERRCODE = 'invalid_table_definition',
            DETAIL = 'autotime tells rows apart by this key.',
            HINT = format('Add one: ALTER TABLE %s ADD PRIMARY KEY (%s).', rel, array_to_string(key_columns, ', '));
  END IF;
END
$$;
REVOKE ALL ON FUNCTION autotime.check_columns(regclass, text, jsonb) FROM PUBLIC;

-- Points capture at the time entry, case or team member table.
CREATE FUNCTION autotime.bind(role text, rel regclass, columns jsonb DEFAULT '{}') RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF role IS NULL OR role NOT IN ('time_entries', 'cases', 'team_members') THEN
    RAISE EXCEPTION 'unknown autotime role "%"', role
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Roles are time_entries, cases and team_members.';
  END IF;
  PERFORM autotime.check_columns(rel, role, columns);
  DELETE FROM autotime.bindings b WHERE b.role = bind.role;
  INSERT INTO autotime.bindings (role, rel, columns) VALUES (bind.role, bind.rel, bind.columns);
  PERFORM autotime.invalidate_capture(a.source) FROM autotime.attachments a;
END
$$;
REVOKE ALL ON FUNCTION autotime.bind(text, regclass, jsonb) FROM PUBLIC;

-- Drops autotime's triggers from a table, quietly when there are none.
CREATE FUNCTION autotime.drop_capture_triggers(source regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  trigger_name name;
BEGIN
  FOR trigger_name IN SELECT t.tgname FROM pg_trigger t
                      WHERE t.tgrelid = source
                        AND t.tgname IN ('autotime_capture_insert', 'autotime_capture_update', 'autotime_capture_delete')
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, source);
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION autotime.drop_capture_triggers(regclass) FROM PUBLIC;

-- Puts capture on an activity table: statement-level triggers with transition tables.
CREATE FUNCTION autotime.attach(source regclass, kind text, columns jsonb DEFAULT '{}', qualifies text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF kind IS NULL OR kind NOT IN ('call', 'sms', 'document', 'ir_report', 'event') THEN
    RAISE EXCEPTION 'unknown activity kind "%"', kind
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Kinds are call, sms, document, ir_report and event.';
  END IF;
  PERFORM autotime.check_columns(source, kind, columns);
  DELETE FROM autotime.attachments a WHERE a.source = attach.source;
  INSERT INTO autotime.attachments (source, kind, columns, qualifies)
  VALUES (attach.source, attach.kind, attach.columns, nullif(btrim(attach.qualifies), ''));
  PERFORM autotime.drop_capture_triggers(source);
  EXECUTE format('CREATE TRIGGER autotime_capture_insert AFTER INSERT ON %s '
                 'REFERENCING NEW TABLE AS autotime_new FOR EACH STATEMENT '
                 'EXECUTE FUNCTION autotime.capture_insert()', source);
  EXECUTE format('CREATE TRIGGER autotime_capture_update AFTER UPDATE ON %s '
                 'REFERENCING OLD TABLE AS autotime_old NEW TABLE AS autotime_new FOR EACH STATEMENT '
                 'EXECUTE FUNCTION autotime.capture_update()', source);
  EXECUTE format('CREATE TRIGGER autotime_capture_delete AFTER DELETE ON %s '
                 'REFERENCING OLD TABLE AS autotime_old FOR EACH STATEMENT '
                 'EXECUTE FUNCTION autotime.capture_delete()', source);
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

-- Keeps cases.updated_at current, so "most recently updated open case" means what it says.
CREATE FUNCTION autotime.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

-- The invoice gate: a draft entry can't be billed or put on an invoice.
CREATE FUNCTION autotime.refuse_draft_invoicing() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION 'time entry % is a draft and cannot be invoiced', OLD.id
    USING ERRCODE = 'check_violation',
          DETAIL = 'Automatic entries are drafts until a person approves them.',
          HINT = 'Approve it first: SELECT autotime.approve(ARRAY[entry_id], reviewer_user_id).';
END
$$;

-- Creates the reference practice schema in `target` and attaches capture to it. The tables are
-- the firm's data, not extension members: DROP EXTENSION never drops them. With partitions > 0
-- every table is hash-partitioned by team_id into that many partitions.
CREATE FUNCTION autotime.create_practice_schema(target name DEFAULT 'public', partitions integer DEFAULT 0) RETURNS void
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
      invoice_id bigint,
      reviewed_by bigint,
      reviewed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (team_id, id),
      CONSTRAINT time_entries_one_per_activity UNIQUE (team_id, source_kind, source_id),
      CONSTRAINT time_entries_draft_not_invoiced CHECK (status <> 'draft' OR invoice_id IS NULL),
      FOREIGN KEY (team_id, client_id) REFERENCES @s.clients (team_id, id),
      FOREIGN KEY (team_id, case_id) REFERENCES @s.cases (team_id, id)
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
REVOKE ALL ON FUNCTION autotime.create_practice_schema(name, integer) FROM PUBLIC;

-- Deleted activities take their still-draft entries along (statement trigger over autotime_old).
CREATE FUNCTION autotime.capture_delete() RETURNS trigger
  AS 'MODULE_PATHNAME', 'autotime_capture_delete' LANGUAGE c SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.capture_delete() FROM PUBLIC;

-- One batch of a team backfill: activities of `source` with after_id < id <= upto_id.
CREATE FUNCTION autotime.backfill_batch(source regclass, team_id bigint, since timestamptz, after_id bigint,
    upto_id bigint, OUT created bigint, OUT scanned bigint)
  AS 'MODULE_PATHNAME', 'autotime_backfill_batch' LANGUAGE c;
REVOKE ALL ON FUNCTION autotime.backfill_batch(regclass, bigint, timestamptz, bigint, bigint) FROM PUBLIC;

-- The whole firm's past activity, committing every batch_size ids per table and reporting progress.
-- Interrupted, it loses nothing: committed batches stay, and a re-run skips what is linked.
-- No SET clause (a procedure with one can't COMMIT): every name below is qualified.
CREATE PROCEDURE autotime.backfill_team(team_id bigint, since timestamptz DEFAULT NULL, batch_size integer DEFAULT 50000)
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
        elapsed := EXTRACT(epoch FROM pg_catalog.clock_timestamp() - started);
        RAISE NOTICE 'autotime backfill team % %: ids up to % of %, % qualifying scanned, % created',
          team_id, a.kind, after_id, hi, kind_scanned, kind_created
          USING DETAIL = pg_catalog.format('%ss elapsed, about %ss left for this table',
            pg_catalog.round(elapsed::numeric, 1),
            pg_catalog.round((elapsed * (hi - after_id) / GREATEST(after_id - lo + 1, 1))::numeric, 1));
      END LOOP;
    END IF;
    total_created := total_created + kind_created;
    total_scanned := total_scanned + kind_scanned;
    summary := summary || pg_catalog.format(E'\n  %s (%s): %s qualifying, %s created', a.kind, a.source, kind_scanned, kind_created);
  END LOOP;
  RAISE NOTICE 'autotime backfill of team % done: % qualifying activities, % entries created%',
    team_id, total_scanned, total_created, summary
    USING DETAIL = pg_catalog.format('%ss elapsed',
      pg_catalog.round(EXTRACT(epoch FROM pg_catalog.clock_timestamp() - started)::numeric, 1));
END
$$;
REVOKE ALL ON PROCEDURE autotime.backfill_team(bigint, timestamptz, integer) FROM PUBLIC;

-- The bound time entry table and its columns, quoted, for the review functions' dynamic SQL.
CREATE FUNCTION autotime.entry_table(OUT rel regclass, OUT id text, OUT team_id text, OUT client_id text,
    OUT case_id text, OUT user_id text, OUT work_date text, OUT minutes text, OUT description text,
    OUT billable text, OUT status text, OUT rate text, OUT source_kind text, OUT source_id text,
    OUT reviewed_by text, OUT reviewed_at text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  mapping jsonb;
BEGIN
  SELECT b.rel, b.columns INTO rel, mapping FROM autotime.bindings b WHERE b.role = 'time_entries';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'autotime has no table bound for role "time_entries"'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run autotime.bind(''time_entries'', table) or autotime.create_practice_schema().';
  END IF;
  id := quote_ident(coalesce(mapping ->> 'id', 'id'));
  team_id := quote_ident(coalesce(mapping ->> 'team_id', 'team_id'));
  client_id := quote_ident(coalesce(mapping ->> 'client_id', 'client_id'));
  case_id := quote_ident(coalesce(mapping ->> 'case_id', 'case_id'));
  user_id := quote_ident(coalesce(mapping ->> 'user_id', 'user_id'));
  work_date := quote_ident(coalesce(mapping ->> 'work_date', 'work_date'));
  minutes := quote_ident(coalesce(mapping ->> 'minutes', 'minutes'));
  description := quote_ident(coalesce(mapping ->> 'description', 'description'));
  billable := quote_ident(coalesce(mapping ->> 'billable', 'billable'));
  status := quote_ident(coalesce(mapping ->> 'status', 'status'));
  rate := quote_ident(coalesce(mapping ->> 'rate', 'rate'));
  source_kind := quote_ident(coalesce(mapping ->> 'source_kind', 'source_kind'));
  source_id := quote_ident(coalesce(mapping ->> 'source_id', 'source_id'));
  reviewed_by := quote_ident(coalesce(mapping ->> 'reviewed_by', 'reviewed_by'));
  reviewed_at := quote_ident(coalesce(mapping ->> 'reviewed_at', 'reviewed_at'));
END
$$;

-- Raises unless every id names an existing entry.
CREATE FUNCTION autotime.check_entry_ids(entry_ids bigint[]) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  missing bigint;
  missing_count integer;
BEGIN
  IF entry_ids IS NULL THEN
    RAISE EXCEPTION 'entry_ids must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  EXECUTE format('SELECT x FROM unnest($1) x WHERE x IS NULL OR NOT EXISTS (SELECT 1 FROM %s e WHERE e.%s = x) LIMIT 1',
                 t.rel, t.id) INTO missing USING entry_ids;
  GET DIAGNOSTICS missing_count = ROW_COUNT;
  IF missing_count > 0 THEN
    RAISE EXCEPTION 'time entry % does not exist', coalesce(missing::text, 'NULL')
      USING ERRCODE = 'no_data_found', HINT = 'No entry was changed.';
  END IF;
END
$$;

-- Approves draft entries; the reviewer must be a member of each entry's team. Returns how many changed.
CREATE FUNCTION autotime.approve(entry_ids bigint[], reviewer bigint) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  m record;
  stranger bigint;
  changed integer;
BEGIN
  PERFORM autotime.check_entry_ids(entry_ids);
  IF reviewer IS NULL THEN
    RAISE EXCEPTION 'approve needs the reviewer''s user id' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT b.rel, coalesce(b.columns ->> 'team_id', 'team_id') AS team_id, coalesce(b.columns ->> 'user_id', 'user_id') AS user_id
    INTO m FROM autotime.bindings b WHERE b.role = 'team_members';
  EXECUTE format('SELECT e.%1$s FROM %2$s e WHERE e.%1$s = ANY ($1) AND NOT EXISTS '
                 '(SELECT 1 FROM %3$s m WHERE m.%4$I = e.%5$s AND m.%6$I = $2) LIMIT 1',
                 t.id, t.rel, m.rel, m.team_id, t.team_id, m.user_id)
    INTO stranger USING entry_ids, reviewer;
  IF stranger IS NOT NULL THEN
    RAISE EXCEPTION 'user % is not a member of the team that owns time entry %', reviewer, stranger
      USING ERRCODE = 'insufficient_privilege', HINT = 'Only a member of the firm can approve its entries.';
  END IF;
  EXECUTE format('UPDATE %s SET %s = ''approved'', %s = $2, %s = now() WHERE %s = ANY ($1) AND %s = ''draft''',
                 t.rel, t.status, t.reviewed_by, t.reviewed_at, t.id, t.status)
    USING entry_ids, reviewer;
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END
$$;

-- Marks entries non-billable (not billed ones). Returns how many changed.
CREATE FUNCTION autotime.set_non_billable(entry_ids bigint[]) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  changed integer;
BEGIN
  PERFORM autotime.check_entry_ids(entry_ids);
  EXECUTE format('UPDATE %s SET %s = false WHERE %s = ANY ($1) AND %s <> ''billed'' AND %s',
                 t.rel, t.billable, t.id, t.status, t.billable) USING entry_ids;
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END
$$;

-- Moves an unbilled entry to another case of the same team and client.
CREATE FUNCTION autotime.reassign(entry_id bigint, case_id bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  c record;
  entry record;
  target_found boolean;
BEGIN
  PERFORM autotime.check_entry_ids(ARRAY[entry_id]);
  SELECT b.rel, coalesce(b.columns ->> 'team_id', 'team_id') AS team_id, coalesce(b.columns ->> 'id', 'id') AS id,
         coalesce(b.columns ->> 'client_id', 'client_id') AS client_id
    INTO c FROM autotime.bindings b WHERE b.role = 'cases';
  EXECUTE format('SELECT %s AS team_id, %s AS client_id, %s::text AS status FROM %s WHERE %s = $1',
                 t.team_id, t.client_id, t.status, t.rel, t.id) INTO entry USING entry_id;
  IF entry.status = 'billed' THEN
    RAISE EXCEPTION 'time entry % is billed and cannot be reassigned', entry_id
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Correct billed time with a credit on the invoice.';
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %I = $1 AND %I = $2 AND %I = $3)', c.rel, c.team_id, c.id, c.client_id)
    INTO target_found USING entry.team_id, case_id, entry.client_id;
  IF NOT target_found THEN
    RAISE EXCEPTION 'case % is not a case of the same firm and client as time entry %', case_id, entry_id
      USING ERRCODE = 'foreign_key_violation',
            HINT = 'An entry can only move between cases of its own client.';
  END IF;
  EXECUTE format('UPDATE %s SET %s = $2 WHERE %s = $1', t.rel, t.case_id, t.id) USING entry_id, case_id;
END
$$;

-- Dismisses draft entries: they are deleted, and their links remember it so they never come back.
CREATE FUNCTION autotime.dismiss(entry_ids bigint[]) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
  changed integer;
BEGIN
  PERFORM autotime.check_entry_ids(entry_ids);
  EXECUTE format('WITH gone AS (DELETE FROM %1$s WHERE %2$s = ANY ($1) AND %3$s = ''draft'' '
                 'RETURNING %4$s AS team_id, %5$s AS kind, %6$s AS source_id) '
                 'UPDATE autotime.activity_links l SET dismissed_at = now() FROM gone '
                 'WHERE l.team_id = gone.team_id AND l.kind = gone.kind AND l.source_id = gone.source_id',
                 t.rel, t.id, t.status, t.team_id, t.source_kind, t.source_id) USING entry_ids;
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END
$$;

-- Rows behind the review views.
CREATE FUNCTION autotime.review_rows(only_status text) RETURNS TABLE (team_id bigint, id bigint, client_id bigint,
    case_id bigint, user_id bigint, work_date date, minutes integer, description text, billable boolean,
    status text, rate numeric, amount numeric, source_kind text, source_id bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record := autotime.entry_table();
BEGIN
  RETURN QUERY EXECUTE format(
    'SELECT %s::int8, %s::int8, %s::int8, %s::int8, %s::int8, %s::date, %s::int4, %s::text, %s::bool, %s::text, '
    '%s::numeric, CASE WHEN %s THEN round(%s::numeric / 60 * coalesce(%s, 0), 2) ELSE 0 END, %s::text, %s::int8 '
    'FROM %s WHERE $1 IS NULL OR %s::text = $1',
    t.team_id, t.id, t.client_id, t.case_id, t.user_id, t.work_date, t.minutes, t.description, t.billable, t.status,
    t.rate, t.billable, t.minutes, t.rate, t.source_kind, t.source_id, t.rel, t.status) USING only_status;
END
$$;

-- Draft entries waiting for a person, oldest work first.
CREATE VIEW autotime.unreviewed AS
  SELECT r.team_id, r.id, r.client_id, r.case_id, r.user_id, r.work_date, r.minutes, r.description, r.billable,
         r.rate, r.amount, r.source_kind, r.source_id
  FROM autotime.review_rows('draft') r;

-- Time not yet billed, per case and per client (case_id NULL): approved and still-draft minutes and amounts.
CREATE VIEW autotime.unbilled AS
  SELECT r.team_id, r.client_id, r.case_id,
         coalesce(sum(r.minutes) FILTER (WHERE r.status = 'approved'), 0) AS approved_minutes,
         coalesce(sum(r.amount) FILTER (WHERE r.status = 'approved'), 0) AS approved_amount,
         coalesce(sum(r.minutes) FILTER (WHERE r.status = 'draft'), 0) AS draft_minutes,
         coalesce(sum(r.amount) FILTER (WHERE r.status = 'draft'), 0) AS draft_amount
  FROM autotime.review_rows(NULL) r
  WHERE r.status IN ('draft', 'approved')
  GROUP BY GROUPING SETS ((r.team_id, r.client_id, r.case_id), (r.team_id, r.client_id));

REVOKE ALL ON FUNCTION autotime.entry_table() FROM PUBLIC;
REVOKE ALL ON FUNCTION autotime.check_entry_ids(bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION autotime.approve(bigint[], bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION autotime.set_non_billable(bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION autotime.reassign(bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION autotime.dismiss(bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION autotime.review_rows(text) FROM PUBLIC;
REVOKE ALL ON autotime.unreviewed, autotime.unbilled FROM PUBLIC;
