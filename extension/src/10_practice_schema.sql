-- The reference practice schema (SPEC §3): create_practice_schema() and the trigger functions its
-- tables call, and the invoice gate autotime puts on a bound entries table.

-- Keeps cases.updated_at current, so "most recently updated open case" means what it says.
CREATE FUNCTION autotime.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

-- ---- the invoice gate on a bound entries table ----
-- The gate's trigger function, for the reference schema (no arguments: its key is id) and for a
-- bound table (argument: the table's id column, whose value the message names).
CREATE FUNCTION autotime.refuse_draft_invoicing() RETURNS trigger
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

-- Creates the reference practice schema in `target` and attaches capture to it. The tables are
-- the firm's data, not extension members: DROP EXTENSION never drops them. With partitions > 0
-- every table is hash-partitioned by team_id into that many partitions. Every activity table gets
-- an index on (team_id, client_id): listing a client's activity is what every practice app does,
-- and what backfill_automatic_time(client_id) reads.
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
REVOKE ALL ON FUNCTION autotime.create_practice_schema(name, integer) FROM PUBLIC;
