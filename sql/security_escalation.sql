-- Security catalogue (issue 11, SPEC §4a): a hostile tenant that owns the firm's tables plants code
-- in every place autotime's capture, backfill and explain can reach, then lets capture run (as an
-- application role that may only record activity, or as the superuser DBA running backfill and
-- explain). Each planted function tries ALTER ROLE autotime_tenant SUPERUSER and records which
-- user it ran as; after every triggering statement the report shows whether the tenant became a
-- superuser (it must not), what ran as whom, and whether capture still made the entry.
-- Every attempt is undone by the DBA afterwards (the tenant's code removed first), so attempts are
-- independent; the output is the same on a partitioned practice schema and after an upgrade.
-- Pending: expected output to be reviewed once capture runs firm code as the table's owner; then
-- every `tenant_superuser` must be f and the tenant's code must run as autotime_tenant (a deferred
-- trigger aside, which fires at COMMIT as the session's user). The run on autotime 1.2 is
-- summarised in test/pending/security_escalation_on_1.2.txt.
\i test/fixtures/small_firm.sql

-- The reviewer's view would pin column types the tenant changes below.
DROP VIEW firm.entries;

-- Roles are cluster-wide: leftovers of an interrupted run go first.
\o /dev/null
SET client_min_messages = warning;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['autotime_tenant', 'autotime_escal_app'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('DROP OWNED BY %I CASCADE', r);
      EXECUTE format('DROP ROLE %I', r);
    END IF;
  END LOOP;
END
$$;
DROP SCHEMA IF EXISTS escal CASCADE;
RESET client_min_messages;
\o

-- The tenant: an ordinary role that owns the practice schema and every table in it, partitions
-- included (the normal set-up: the application owns its schema).
CREATE ROLE autotime_tenant NOLOGIN;
ALTER SCHEMA firm OWNER TO autotime_tenant;
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'firm' AND c.relkind IN ('r', 'p') ORDER BY c.oid LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO autotime_tenant', t);
  END LOOP;
END
$$;
SELECT count(*) AS firm_tables_not_owned_by_tenant FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'firm' AND c.relkind IN ('r', 'p') AND c.relowner <> 'autotime_tenant'::regrole;
CREATE SCHEMA tenant AUTHORIZATION autotime_tenant;
-- The application role: records activity, nothing else.
CREATE ROLE autotime_escal_app NOLOGIN;
GRANT USAGE ON SCHEMA firm TO autotime_escal_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON firm.calls, firm.sms, firm.documents, firm.ir_reports, firm.events
  TO autotime_escal_app;

-- The tenant's payload and log. pwn() tries to become superuser, never raises, and logs who it
-- ran as: 'autotime_tenant', 'autotime_escal_app', or 'a superuser' (the extension owner, the DBA).
SET ROLE autotime_tenant;
CREATE TABLE tenant.log (object text, attempt text, phase text, ran_as text, alter_role text);
GRANT USAGE ON SCHEMA tenant TO PUBLIC;
GRANT INSERT ON tenant.log TO PUBLIC;
CREATE FUNCTION tenant.pwn(object text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  outcome text;
BEGIN
  BEGIN
    ALTER ROLE autotime_tenant SUPERUSER;
    outcome := 'ALTER ROLE autotime_tenant SUPERUSER succeeded';
  EXCEPTION WHEN others THEN
    outcome := 'refused: ' || SQLSTATE || ' ' || SQLERRM;
  END;
  INSERT INTO tenant.log (object, attempt, phase, ran_as, alter_role) VALUES (object,
    coalesce(nullif(current_setting('escal.attempt', true), ''), '(none)'),
    coalesce(nullif(current_setting('escal.phase', true), ''), '(none)'),
    CASE WHEN current_user IN ('autotime_tenant', 'autotime_escal_app') THEN current_user::text
         WHEN (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN 'a superuser'
         ELSE current_user::text END,
    outcome);
  RETURN true;
END
$$;
-- The same from a row trigger (TG_ARGV[0] names the object), from a DEFAULT, a CHECK, and from
-- IMMUTABLE wrappers that index expressions, predicates and generated columns accept.
CREATE FUNCTION tenant.pwn_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tenant.pwn(TG_ARGV[0]);
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE FUNCTION tenant.pwn_null(object text) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tenant.pwn(object);
  RETURN NULL;
END
$$;
CREATE FUNCTION tenant.pwn_row(object text, value anyelement) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RETURN tenant.pwn(object);
END
$$;
CREATE FUNCTION tenant.pwn_immutable(object text, value anyelement) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM tenant.pwn(object);
  RETURN 0;
END
$$;
-- Constant arguments: the planner folds a call like this one wherever it meets it in an index.
CREATE FUNCTION tenant.pwn_immutable(object text) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM tenant.pwn(object);
  RETURN 0;
END
$$;
RESET ROLE;

-- The DBA's report after each triggering statement: is the tenant a superuser now, what of the
-- tenant's ran as whom in this phase, and the entries of the given activities. Resets the role.
CREATE SCHEMA escal;
CREATE TABLE escal.results (seq serial, attempt text, phase text, tenant_superuser boolean, ran text);
CREATE FUNCTION escal.report(VARIADIC source_ids bigint[])
RETURNS TABLE (tenant_superuser boolean, ran text, alter_role text, entries text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  this_attempt text := current_setting('escal.attempt');
  this_phase text := current_setting('escal.phase');
BEGIN
  SELECT r.rolsuper INTO tenant_superuser FROM pg_roles r WHERE r.rolname = 'autotime_tenant';
  SELECT coalesce(string_agg(DISTINCT l.object || ' ran as ' || l.ran_as, '; ' ORDER BY l.object || ' ran as ' || l.ran_as),
                  'nothing of the tenant''s ran'),
         coalesce(string_agg(DISTINCT l.alter_role, '; ' ORDER BY l.alter_role), '-')
    INTO ran, alter_role
    FROM tenant.log l WHERE l.attempt = this_attempt AND l.phase = this_phase;
  SELECT string_agg(s.id::text || ': ' || coalesce('entry on case ' || e.case_id, 'no entry'), ', ' ORDER BY s.id)
    INTO entries
    FROM unnest(source_ids) AS s(id) LEFT JOIN firm.time_entries e ON e.team_id = 1 AND e.source_id = s.id;
  INSERT INTO escal.results (attempt, phase, tenant_superuser, ran) VALUES (this_attempt, this_phase, tenant_superuser, ran);
  IF tenant_superuser THEN
    ALTER ROLE autotime_tenant NOSUPERUSER;
  END IF;
  RETURN NEXT;
END
$$;
SET escal.attempt = 'setup';
SET escal.phase = 'setup';

-- ============================================================================================
-- Attempts on the bound time_entries table (capture writes it: INSERT, UPDATE of case, DELETE).
-- ============================================================================================

-- 1. A row trigger on the entries table.
SET escal.attempt = '1 entries: row trigger';
SET ROLE autotime_tenant;
CREATE TRIGGER tenant_entries_trigger BEFORE INSERT OR UPDATE OR DELETE ON firm.time_entries
  FOR EACH ROW EXECUTE FUNCTION tenant.pwn_trigger('entries trigger');
RESET ROLE;
SET escal.phase = 'app inserts two calls';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 101, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 102, 100, 1001, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(101, 102);
SET escal.phase = 'app inserts one call';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 103, 100, NULL, 10, 'inbound', 'completed', '2026-03-10 17:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(103);
SET escal.phase = 'app moves a call to another case';
SET ROLE autotime_escal_app;
UPDATE firm.calls SET case_id = 1000 WHERE team_id = 1 AND id = 102;
RESET ROLE;
SELECT * FROM escal.report(102);
SET escal.phase = 'app deletes a call';
SET ROLE autotime_escal_app;
DELETE FROM firm.calls WHERE team_id = 1 AND id = 101;
RESET ROLE;
SELECT * FROM escal.report(101);
-- A document recorded without capture (replica mode), then the DBA's backfill of the client.
SET session_replication_role = replica;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 104, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(104);
-- The review functions write the entries too: as the superuser reviews, the trigger runs as
-- the entries' owner.
SET escal.phase = 'superuser approves, reassigns, marks non-billable and dismisses';
SELECT autotime.approve(ARRAY(SELECT id FROM firm.time_entries WHERE team_id = 1 AND source_kind = 'call' AND source_id = 103), 10, 1) AS approved;
SELECT autotime.set_non_billable(ARRAY(SELECT id FROM firm.time_entries WHERE team_id = 1 AND source_kind = 'call' AND source_id = 103), 1) AS non_billable;
SELECT autotime.reassign((SELECT id FROM firm.time_entries WHERE team_id = 1 AND source_kind = 'document' AND source_id = 104), 1000, 1);
SELECT autotime.dismiss(ARRAY(SELECT id FROM firm.time_entries WHERE team_id = 1 AND source_kind = 'document' AND source_id = 104), 1) AS dismissed;
SELECT * FROM escal.report(103);
SET escal.phase = 'setup';
DROP TRIGGER tenant_entries_trigger ON firm.time_entries;

-- 2. A DEFAULT on a column capture does not write.
SET escal.attempt = '2 entries: column DEFAULT';
SET ROLE autotime_tenant;
ALTER TABLE firm.time_entries ALTER COLUMN invoice_id SET DEFAULT tenant.pwn_null('entries DEFAULT');
RESET ROLE;
SET escal.phase = 'app inserts one call';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 201, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(201);
SET session_replication_role = replica;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 202, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(202);
SET escal.phase = 'setup';
ALTER TABLE firm.time_entries ALTER COLUMN invoice_id DROP DEFAULT;

-- 3. A CHECK constraint calling the tenant's function.
SET escal.attempt = '3 entries: CHECK constraint';
SET ROLE autotime_tenant;
ALTER TABLE firm.time_entries ADD CONSTRAINT tenant_check CHECK (tenant.pwn_row('entries CHECK', id));
RESET ROLE;
SET escal.phase = 'app inserts two calls';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 301, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 302, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(301, 302);
SET escal.phase = 'app inserts a document';
SET ROLE autotime_escal_app;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 303, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET ROLE;
SELECT * FROM escal.report(303);
SET escal.phase = 'setup';
ALTER TABLE firm.time_entries DROP CONSTRAINT tenant_check;

-- 4. A domain with a CHECK as the type of an entries column capture writes.
SET escal.attempt = '4 entries: domain CHECK';
SET ROLE autotime_tenant;
CREATE DOMAIN tenant.memo AS text CHECK (tenant.pwn_row('entries domain CHECK', VALUE));
ALTER TABLE firm.time_entries ALTER COLUMN description TYPE tenant.memo;
RESET ROLE;
SET escal.phase = 'app inserts one call';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 401, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(401);
SET escal.phase = 'app inserts a document';
SET ROLE autotime_escal_app;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 402, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET ROLE;
SELECT * FROM escal.report(402);
SET escal.phase = 'setup';
ALTER TABLE firm.time_entries ALTER COLUMN description TYPE text;

-- 5. A generated column.
SET escal.attempt = '5 entries: generated column';
SET ROLE autotime_tenant;
ALTER TABLE firm.time_entries ADD COLUMN tenant_generated integer
  GENERATED ALWAYS AS (tenant.pwn_immutable('entries generated column', id)) STORED;
RESET ROLE;
SET escal.phase = 'app inserts one call';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 501, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(501);
SET session_replication_role = replica;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 502, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(502);
SET escal.phase = 'setup';
ALTER TABLE firm.time_entries DROP COLUMN tenant_generated;

-- 6. An assignment cast into the type of an entries column: description becomes a composite
-- type the tenant owns, and text -> that type is the tenant's function.
SET escal.attempt = '6 entries: assignment cast on a column type';
SET ROLE autotime_tenant;
CREATE TYPE tenant.wrapped AS (v text);
CREATE FUNCTION tenant.wrap(text) RETURNS tenant.wrapped LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tenant.pwn('text -> tenant.wrapped assignment cast');
  RETURN ROW($1);
END
$$;
ALTER TABLE firm.time_entries ALTER COLUMN description TYPE tenant.wrapped USING ROW(description);
CREATE CAST (text AS tenant.wrapped) WITH FUNCTION tenant.wrap(text) AS ASSIGNMENT;
RESET ROLE;
SET escal.phase = 'app inserts one call';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 601, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(601);
SET escal.phase = 'app inserts a document';
SET ROLE autotime_escal_app;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 602, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET ROLE;
SELECT * FROM escal.report(602);
SET escal.phase = 'setup';
DROP CAST (text AS tenant.wrapped);
ALTER TABLE firm.time_entries ALTER COLUMN description TYPE text USING (description).v;

-- 7. A cast on an entries column capture reads: source_kind becomes the tenant's enum, whose
-- cast to text (capture's `source_kind::text`) is the tenant's function.
SET escal.attempt = '7 entries: cast of a column capture reads';
SET ROLE autotime_tenant;
CREATE TYPE tenant.kind AS ENUM ('call', 'sms', 'document', 'ir_report', 'event');
CREATE FUNCTION tenant.kind_text(tenant.kind) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tenant.pwn('tenant.kind -> text cast');
  RETURN pg_catalog.textin(pg_catalog.enum_out($1));
END
$$;
RESET ROLE;
ALTER TABLE firm.time_entries DROP CONSTRAINT time_entries_source_kind_check;
SET ROLE autotime_tenant;
ALTER TABLE firm.time_entries ALTER COLUMN source_kind TYPE tenant.kind USING source_kind::tenant.kind;
CREATE CAST (tenant.kind AS text) WITH FUNCTION tenant.kind_text(tenant.kind);
RESET ROLE;
SET escal.phase = 'app inserts two calls';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 701, 100, 1001, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 702, 100, 1001, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(701, 702);
SET escal.phase = 'superuser explains a call';
SELECT autotime.explain('call', 701) ->> 'outcome' AS outcome;
SELECT * FROM escal.report(701);
SET escal.phase = 'app moves a call to another case';
SET ROLE autotime_escal_app;
UPDATE firm.calls SET case_id = 1000 WHERE team_id = 1 AND id = 701;
RESET ROLE;
SELECT * FROM escal.report(701);
SET escal.phase = 'app deletes a call';
SET ROLE autotime_escal_app;
DELETE FROM firm.calls WHERE team_id = 1 AND id = 702;
RESET ROLE;
SELECT * FROM escal.report(702);
SET escal.phase = 'setup';
DROP CAST (tenant.kind AS text);
ALTER TABLE firm.time_entries ALTER COLUMN source_kind TYPE text USING pg_catalog.textin(pg_catalog.enum_out(source_kind));
ALTER TABLE firm.time_entries ADD CONSTRAINT time_entries_source_kind_check
  CHECK (source_kind IN ('call', 'sms', 'document', 'ir_report', 'event'));

-- 8. An expression index and a partial index whose predicate calls the tenant's function.
SET escal.attempt = '8 entries: index expression and partial index predicate';
SET ROLE autotime_tenant;
CREATE INDEX tenant_entries_expression ON firm.time_entries ((tenant.pwn_immutable('entries index expression', id)));
CREATE INDEX tenant_entries_partial ON firm.time_entries (id) WHERE tenant.pwn_immutable('entries index predicate', id) = 0;
RESET ROLE;
SET escal.phase = 'app inserts two calls';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 801, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 802, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(801, 802);
SET session_replication_role = replica;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 803, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(803);
SET escal.phase = 'setup';
DROP INDEX firm.tenant_entries_expression, firm.tenant_entries_partial;

-- 9. A deferred constraint trigger on the entries table: queued by capture's write, it fires at
-- COMMIT, after capture has returned, as whoever is the current user then (the application, or
-- the DBA who ran the backfill), whichever user capture switched to while writing.
SET escal.attempt = '9 entries: deferred constraint trigger';
SET ROLE autotime_tenant;
CREATE CONSTRAINT TRIGGER tenant_entries_deferred AFTER INSERT ON firm.time_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tenant.pwn_trigger('entries deferred trigger');
RESET ROLE;
SET escal.phase = 'app inserts one call and commits';
BEGIN;
SET LOCAL ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 901, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60);
COMMIT;
SELECT * FROM escal.report(901);
SET session_replication_role = replica;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 902, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client and commits';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(902);
SET escal.phase = 'setup';
DROP TRIGGER tenant_entries_deferred ON firm.time_entries;

-- ============================================================================================
-- Attempts on the bound cases and team_members tables (capture reads them).
-- ============================================================================================

-- 10. A cast on cases.status: the tenant's enum, whose cast to text (capture's `status::text`
-- when it looks for the client's latest open case) is the tenant's function.
SET escal.attempt = '10 cases: cast of status';
SET ROLE autotime_tenant;
CREATE TYPE tenant.case_status AS ENUM ('intake', 'open', 'pending', 'closed', 'archived');
CREATE FUNCTION tenant.case_status_text(tenant.case_status) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tenant.pwn('tenant.case_status -> text cast');
  RETURN pg_catalog.textin(pg_catalog.enum_out($1));
END
$$;
RESET ROLE;
ALTER TABLE firm.cases DROP CONSTRAINT cases_status_check, ALTER COLUMN status DROP DEFAULT;
SET ROLE autotime_tenant;
ALTER TABLE firm.cases ALTER COLUMN status TYPE tenant.case_status USING status::tenant.case_status;
CREATE CAST (tenant.case_status AS text) WITH FUNCTION tenant.case_status_text(tenant.case_status);
RESET ROLE;
SET escal.phase = 'app inserts a document';
SET ROLE autotime_escal_app;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 1001, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET ROLE;
SELECT * FROM escal.report(1001);
SET escal.phase = 'superuser explains a document';
SELECT autotime.explain('document', 1001) ->> 'outcome' AS outcome;
SELECT * FROM escal.report(1001);
SET session_replication_role = replica;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 1002, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(1002);

-- 11. The same cast, with the entries table owned by someone else (here the DBA): what capture
-- reads from cases must be evaluated as the owner of cases, not as the owner of the table it
-- writes.
SET escal.attempt = '11 cases: cast of status, entries owned by another role';
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'firm' AND c.relkind IN ('r', 'p') AND c.relname LIKE 'time_entries%' ORDER BY c.oid LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO %I', t, current_user);
  END LOOP;
END
$$;
SET escal.phase = 'app inserts a document';
SET ROLE autotime_escal_app;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 1101, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET ROLE;
SELECT * FROM escal.report(1101);
SET escal.phase = 'setup';
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'firm' AND c.relkind IN ('r', 'p') AND c.relname LIKE 'time_entries%' ORDER BY c.oid LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO autotime_tenant', t);
  END LOOP;
END
$$;
DROP CAST (tenant.case_status AS text);
ALTER TABLE firm.cases ALTER COLUMN status TYPE text USING pg_catalog.textin(pg_catalog.enum_out(status));
ALTER TABLE firm.cases ALTER COLUMN status SET DEFAULT 'open',
  ADD CONSTRAINT cases_status_check CHECK (status IN ('intake', 'open', 'pending', 'closed', 'archived'));

-- 12. An index on cases whose expression calls the tenant's IMMUTABLE function with constant
-- arguments: the planner folds it (runs it) when it first plans a query on cases in a session.
-- A new session plans capture's lookup of the client's latest open case.
SET escal.attempt = '12 cases: index expression folded by the planner';
SET ROLE autotime_tenant;
CREATE INDEX tenant_cases_expression ON firm.cases ((client_id + tenant.pwn_immutable('cases index expression')));
RESET ROLE;
\c -
SET escal.attempt = '12 cases: index expression folded by the planner';
SET escal.phase = 'app inserts a document (new session)';
SET ROLE autotime_escal_app;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 1201, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET ROLE;
SELECT * FROM escal.report(1201);
\c -
SET escal.attempt = '12 cases: index expression folded by the planner';
SET escal.phase = 'superuser explains a document (new session)';
SELECT autotime.explain('document', 1201) ->> 'outcome' AS outcome;
SELECT * FROM escal.report(1201);
SET escal.phase = 'setup';
DROP INDEX firm.tenant_cases_expression;

-- 13. A partial index on team_members whose predicate the planner folds the same way.
SET escal.attempt = '13 team_members: partial index predicate folded by the planner';
SET ROLE autotime_tenant;
CREATE INDEX tenant_members_partial ON firm.team_members (team_id, user_id)
  WHERE tenant.pwn_immutable('team_members index predicate') = 0;
RESET ROLE;
\c -
SET escal.attempt = '13 team_members: partial index predicate folded by the planner';
SET escal.phase = 'app inserts two calls (new session)';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1301, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 1302, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(1301, 1302);
SET session_replication_role = replica;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 1303, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET session_replication_role;
\c -
SET escal.attempt = '13 team_members: partial index predicate folded by the planner';
SET escal.phase = 'superuser backfills the client (new session)';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(1303);
SET escal.phase = 'setup';
DROP INDEX firm.tenant_members_partial;

-- 14. Row-level security on cases, forced on the owner, with a policy calling the tenant's function.
SET escal.attempt = '14 cases: RLS policy function';
SET ROLE autotime_tenant;
CREATE POLICY tenant_cases_policy ON firm.cases USING (tenant.pwn_row('cases RLS policy', team_id));
ALTER TABLE firm.cases ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
RESET ROLE;
SET escal.phase = 'app inserts a document';
SET ROLE autotime_escal_app;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 1401, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET ROLE;
SELECT * FROM escal.report(1401);
SET escal.phase = 'superuser explains a document';
SELECT autotime.explain('document', 1401) ->> 'outcome' AS outcome;
SELECT * FROM escal.report(1401);
SET session_replication_role = replica;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 1402, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(1402);
SET escal.phase = 'setup';
ALTER TABLE firm.cases NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
DROP POLICY tenant_cases_policy ON firm.cases;

-- 15. Row-level security on team_members, the same way.
SET escal.attempt = '15 team_members: RLS policy function';
SET ROLE autotime_tenant;
CREATE POLICY tenant_members_policy ON firm.team_members USING (tenant.pwn_row('team_members RLS policy', team_id));
ALTER TABLE firm.team_members ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
RESET ROLE;
SET escal.phase = 'app inserts two calls';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1501, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 1502, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(1501, 1502);
SET session_replication_role = replica;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 1503, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(1503);
SET escal.phase = 'setup';
ALTER TABLE firm.team_members NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
DROP POLICY tenant_members_policy ON firm.team_members;

-- 16. Triggers on cases and team_members: capture only reads them (and the entries' foreign key
-- only locks the case), so none of these should ever fire.
SET escal.attempt = '16 cases and team_members: triggers';
SET ROLE autotime_tenant;
CREATE TRIGGER tenant_cases_trigger BEFORE INSERT OR UPDATE OR DELETE ON firm.cases
  FOR EACH ROW EXECUTE FUNCTION tenant.pwn_trigger('cases trigger');
CREATE TRIGGER tenant_members_trigger BEFORE INSERT OR UPDATE OR DELETE ON firm.team_members
  FOR EACH ROW EXECUTE FUNCTION tenant.pwn_trigger('team_members trigger');
RESET ROLE;
SET escal.phase = 'app inserts a document';
SET ROLE autotime_escal_app;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 1601, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET ROLE;
SELECT * FROM escal.report(1601);
SET escal.phase = 'app moves a document to another case';
SET ROLE autotime_escal_app;
UPDATE firm.documents SET case_id = 1000 WHERE team_id = 1 AND id = 1601;
RESET ROLE;
SELECT * FROM escal.report(1601);
SET session_replication_role = replica;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 1602, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(1602);
SET escal.phase = 'setup';
DROP TRIGGER tenant_cases_trigger ON firm.cases;
DROP TRIGGER tenant_members_trigger ON firm.team_members;

-- ============================================================================================
-- Attempts on attached activity tables (capture reads their transition tables and rows).
-- ============================================================================================

-- 17. The reproduction of the issue: calls.status becomes the tenant's enum with its own cast to
-- text, which capture's default qualification (`status::text = 'completed'`) calls.
SET escal.attempt = '17 calls: cast of status';
SET ROLE autotime_tenant;
CREATE TYPE tenant.call_state AS ENUM ('ringing', 'in_progress', 'completed', 'missed', 'voicemail', 'failed');
CREATE FUNCTION tenant.call_state_text(tenant.call_state) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tenant.pwn('tenant.call_state -> text cast');
  RETURN pg_catalog.textin(pg_catalog.enum_out($1));
END
$$;
RESET ROLE;
ALTER TABLE firm.calls DROP CONSTRAINT calls_status_check;
SET ROLE autotime_tenant;
ALTER TABLE firm.calls ALTER COLUMN status TYPE tenant.call_state USING status::tenant.call_state;
CREATE CAST (tenant.call_state AS text) WITH FUNCTION tenant.call_state_text(tenant.call_state);
RESET ROLE;
SET escal.phase = 'app inserts two calls';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1701, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 1702, 100, NULL, 10, 'outbound', 'ringing', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(1701, 1702);
SET escal.phase = 'app completes a ringing call';
SET ROLE autotime_escal_app;
UPDATE firm.calls SET status = 'completed' WHERE team_id = 1 AND id = 1702;
RESET ROLE;
SELECT * FROM escal.report(1702);
SET escal.phase = 'superuser explains a call';
SELECT autotime.explain('call', 1701) ->> 'outcome' AS outcome;
SELECT * FROM escal.report(1701);
SET escal.phase = 'app deletes a call';
SET ROLE autotime_escal_app;
DELETE FROM firm.calls WHERE team_id = 1 AND id = 1702;
RESET ROLE;
SELECT * FROM escal.report(1702);
SET session_replication_role = replica;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 1703, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 17:00+00', 60);
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(1703);
SET escal.phase = 'setup';
DROP CAST (tenant.call_state AS text);

-- 18. An operator of the tenant's on its type: calls.status stays the tenant's enum, with an "="
-- of its own in schemas firm and tenant, and the DBA attaches with qualifies => 'status = ...'.
-- (An operator class, what an index or exclusion constraint would need, is for superusers only.)
-- With the application's default search_path the tenant's "=" is not visible; with the
-- application's own schema (firm) on its search_path it is: the kept capture statement is
-- analysed again under the search_path of whoever runs it (PostgreSQL re-plans a cached plan
-- when the search_path differs), so the qualifies expression's "=" resolves there.
SET escal.attempt = '18 calls: operator on the tenant''s type';
SET ROLE autotime_tenant;
CREATE FUNCTION tenant.call_state_eq(tenant.call_state, tenant.call_state) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tenant.pwn('tenant "=" operator on tenant.call_state');
  RETURN pg_catalog.enum_eq($1, $2);
END
$$;
CREATE OPERATOR tenant.= (LEFTARG = tenant.call_state, RIGHTARG = tenant.call_state, FUNCTION = tenant.call_state_eq);
CREATE OPERATOR firm.= (LEFTARG = tenant.call_state, RIGHTARG = tenant.call_state, FUNCTION = tenant.call_state_eq);
CREATE OPERATOR CLASS tenant.call_state_ops FOR TYPE tenant.call_state USING btree AS OPERATOR 3 tenant.=;
RESET ROLE;
SET search_path = tenant, firm, public;
SELECT autotime.attach('firm.calls', 'call', qualifies => 'status = ''completed''');
SET search_path = firm, public;
SET escal.phase = 'app inserts two calls (default search_path)';
SET ROLE autotime_escal_app;
RESET search_path;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1801, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 1802, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(1801, 1802);
SET escal.phase = 'app inserts two calls (search_path firm, public)';
SET ROLE autotime_escal_app;
SET search_path = firm, public;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1803, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 1804, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(1803, 1804);
SET escal.phase = 'setup';
SELECT autotime.attach('firm.calls', 'call');
DROP OPERATOR tenant.= (tenant.call_state, tenant.call_state), firm.= (tenant.call_state, tenant.call_state);
ALTER TABLE firm.calls ALTER COLUMN status TYPE text USING pg_catalog.textin(pg_catalog.enum_out(status));
ALTER TABLE firm.calls ADD CONSTRAINT calls_status_check
  CHECK (status IN ('ringing', 'in_progress', 'completed', 'missed', 'voicemail', 'failed'));

-- 19. The same re-analysis with no type of the tenant's at all: calls.status is varchar (a type
-- with no "=" of its own in pg_catalog), the DBA attaches with qualifies => 'status = ...', and
-- the tenant adds "=" (varchar, varchar) to its schema firm. Whoever has firm on its search_path
-- when capture, backfill or explain runs picks the tenant's "=". With calls owned by the DBA, that
-- is the owner of the table read: switching to the table's owner alone does not help here.
SET escal.attempt = '19 calls: qualifies resolved in the caller''s search_path';
SET ROLE autotime_tenant;
ALTER TABLE firm.calls ALTER COLUMN status TYPE varchar(20);
CREATE FUNCTION tenant.varchar_eq(varchar, varchar) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tenant.pwn('tenant "=" operator on varchar');
  RETURN $1::text OPERATOR(pg_catalog.=) $2::text;
END
$$;
CREATE OPERATOR firm.= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = tenant.varchar_eq);
RESET ROLE;
SELECT autotime.attach('firm.calls', 'call', qualifies => 'status = ''completed''');
SET escal.phase = 'app inserts two calls (default search_path)';
SET ROLE autotime_escal_app;
RESET search_path;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1901, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 1902, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(1901, 1902);
SET escal.phase = 'app inserts two calls (search_path firm, public)';
SET ROLE autotime_escal_app;
SET search_path = firm, public;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1903, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 1904, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(1903, 1904);
SET session_replication_role = replica;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 1905, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 17:00+00', 60);
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client (search_path firm, public)';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(1905);
SET escal.phase = 'superuser explains a call (search_path firm, public)';
SELECT autotime.explain('call', 1905) ->> 'outcome' AS outcome;
SELECT * FROM escal.report(1905);
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'firm' AND c.relkind IN ('r', 'p') AND c.relname ~ '^calls(_p[0-9]+)?$' ORDER BY c.oid LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO %I', t, current_user);
  END LOOP;
END
$$;
SET escal.phase = 'calls owned by the DBA: app inserts two calls (search_path firm, public)';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1906, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 1907, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(1906, 1907);
SET escal.phase = 'setup';
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'firm' AND c.relkind IN ('r', 'p') AND c.relname ~ '^calls(_p[0-9]+)?$' ORDER BY c.oid LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO autotime_tenant', t);
  END LOOP;
END
$$;
SELECT autotime.attach('firm.calls', 'call');
DROP OPERATOR firm.= (varchar, varchar);
ALTER TABLE firm.calls ALTER COLUMN status TYPE text;

-- 20. A cast on documents.name, which capture reads (`name::text`) for the entry's description.
SET escal.attempt = '20 documents: cast of name';
SET ROLE autotime_tenant;
CREATE TYPE tenant.doc_name AS ENUM ('Engagement letter', 'Retainer');
CREATE FUNCTION tenant.doc_name_text(tenant.doc_name) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tenant.pwn('tenant.doc_name -> text cast');
  RETURN pg_catalog.textin(pg_catalog.enum_out($1));
END
$$;
ALTER TABLE firm.documents ALTER COLUMN name TYPE tenant.doc_name USING 'Engagement letter';
CREATE CAST (tenant.doc_name AS text) WITH FUNCTION tenant.doc_name_text(tenant.doc_name);
RESET ROLE;
SET escal.phase = 'app inserts a document';
SET ROLE autotime_escal_app;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 2001, 100, NULL, 10, 'Retainer', 7, '2026-03-10 18:00+00');
RESET ROLE;
SELECT * FROM escal.report(2001);
SET escal.phase = 'superuser explains a document';
SELECT autotime.explain('document', 2001) ->> 'outcome' AS outcome;
SELECT * FROM escal.report(2001);
SET session_replication_role = replica;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 2002, 100, NULL, 10, 'Retainer', 7, '2026-03-10 18:00+00');
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(2002);

-- 21. The same cast when capture fails and the firm records failures (on_error = 'record'): the
-- failed capture is rolled back, and recording the failure reads the activity again.
SET escal.attempt = '21 documents: cast of name while recording a capture failure';
UPDATE autotime.team_settings SET on_error = 'record' WHERE team_id = 1;
SET ROLE autotime_tenant;
CREATE FUNCTION tenant.refuse_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.source_id = 2101 THEN
    RAISE EXCEPTION 'the tenant refuses entries for activity 2101';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER tenant_refuse_entry BEFORE INSERT ON firm.time_entries FOR EACH ROW EXECUTE FUNCTION tenant.refuse_entry();
RESET ROLE;
SET escal.phase = 'app inserts a document whose capture fails';
SET ROLE autotime_escal_app;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 2101, 100, NULL, 10, 'Retainer', 7, '2026-03-10 18:00+00');
RESET ROLE;
SELECT * FROM escal.report(2101);
SELECT kind, source_id, sqlstate, message FROM autotime.capture_failures ORDER BY kind, source_id;
SET escal.phase = 'setup';
DROP TRIGGER tenant_refuse_entry ON firm.time_entries;
UPDATE autotime.team_settings SET on_error = 'raise' WHERE team_id = 1;
DELETE FROM autotime.capture_failures;
SET session_replication_role = replica;
DELETE FROM firm.documents WHERE team_id = 1 AND id = 2101;
RESET session_replication_role;
DROP CAST (tenant.doc_name AS text);
ALTER TABLE firm.documents ALTER COLUMN name TYPE text USING pg_catalog.textin(pg_catalog.enum_out(name));

-- 22. A qualifies expression calling the tenant's function: the tenant, granted attach(), tries
-- to set it itself; then the DBA attaches with the expression the tenant asked for. The
-- expression must be evaluated as the owner of calls, never with autotime's or the caller's rights.
SET escal.attempt = '22 calls: qualifies expression';
GRANT EXECUTE ON FUNCTION autotime.attach(regclass, text, jsonb, text) TO autotime_tenant;
SET ROLE autotime_tenant;
SELECT autotime.attach('firm.calls', 'call', qualifies => 'tenant.pwn(''qualifies expression'') AND status = ''completed''');
RESET ROLE;
SELECT qualifies FROM autotime.attachments WHERE source = 'firm.calls'::regclass;
SELECT autotime.attach('firm.calls', 'call', qualifies => 'tenant.pwn(''qualifies expression'') AND status = ''completed''');
SET escal.phase = 'app inserts two calls';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 2201, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 2202, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(2201, 2202);
SET escal.phase = 'superuser explains a call';
SELECT autotime.explain('call', 2201) ->> 'outcome' AS outcome;
SELECT * FROM escal.report(2201);
SET session_replication_role = replica;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 2203, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 17:00+00', 60);
RESET session_replication_role;
SET escal.phase = 'superuser backfills the client';
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT * FROM escal.report(2203);
SET escal.phase = 'setup';
SELECT autotime.attach('firm.calls', 'call');
REVOKE EXECUTE ON FUNCTION autotime.attach(regclass, text, jsonb, text) FROM autotime_tenant;

-- 23. search_path objects: a tenant schema that shadows every table, operator and function
-- capture uses, first in the search_path of the application and of the DBA, and temporary
-- objects of the application's own session. The generated statements name everything with its
-- schema, so nothing here is reached (unlike a qualifies expression: attempts 18 and 19).
SET escal.attempt = '23 search_path: shadowing schema and temporary objects';
CREATE SCHEMA tenant_path AUTHORIZATION autotime_tenant;
GRANT USAGE ON SCHEMA tenant_path TO PUBLIC;
SET ROLE autotime_tenant;
CREATE TABLE tenant_path.time_entries (LIKE firm.time_entries);
CREATE TABLE tenant_path.cases (LIKE firm.cases);
CREATE TABLE tenant_path.team_members (LIKE firm.team_members);
CREATE TABLE tenant_path.activity_links (team_id bigint, kind text, source_key text, source_id bigint);
CREATE TABLE tenant_path.team_settings (team_id bigint, enabled boolean, track_calls boolean, track_documents boolean);
CREATE TABLE tenant_path.autotime_new (LIKE firm.calls);
CREATE TRIGGER shadow_entries BEFORE INSERT ON tenant_path.time_entries
  FOR EACH ROW EXECUTE FUNCTION tenant.pwn_trigger('shadow table time_entries');
CREATE TRIGGER shadow_links BEFORE INSERT ON tenant_path.activity_links
  FOR EACH ROW EXECUTE FUNCTION tenant.pwn_trigger('shadow table activity_links');
CREATE POLICY shadow_cases ON tenant_path.cases USING (tenant.pwn_row('shadow table cases', team_id));
ALTER TABLE tenant_path.cases ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT ALL ON ALL TABLES IN SCHEMA tenant_path TO PUBLIC;
CREATE FUNCTION tenant_path.bigint_eq(bigint, bigint) RETURNS boolean LANGUAGE sql AS
  'SELECT tenant.pwn(''shadow bigint "="'') AND $1 OPERATOR(pg_catalog.=) $2';
CREATE OPERATOR tenant_path.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = tenant_path.bigint_eq);
CREATE FUNCTION tenant_path.text_eq(text, text) RETURNS boolean LANGUAGE sql AS
  'SELECT tenant.pwn(''shadow text "="'') AND $1 OPERATOR(pg_catalog.=) $2';
CREATE OPERATOR tenant_path.= (LEFTARG = text, RIGHTARG = text, FUNCTION = tenant_path.text_eq);
CREATE FUNCTION tenant_path.now() RETURNS timestamptz LANGUAGE sql AS
  'SELECT pg_catalog.now() WHERE tenant.pwn(''shadow now()'')';
CREATE FUNCTION tenant_path.rule_skip_reason(boolean, boolean, boolean, boolean, boolean, boolean, boolean, boolean,
    boolean, boolean, text, text) RETURNS text LANGUAGE sql AS 'SELECT NULL::text WHERE tenant.pwn(''shadow rule_skip_reason'')';
CREATE FUNCTION tenant_path.isfinite(timestamptz) RETURNS boolean LANGUAGE sql AS 'SELECT tenant.pwn(''shadow isfinite'')';
RESET ROLE;
SET escal.phase = 'app inserts two calls and a document with a hostile search_path';
BEGIN;
SET LOCAL ROLE autotime_escal_app;
CREATE TEMP TABLE activity_links (team_id bigint, kind text, source_key text, source_id bigint) ON COMMIT DROP;
CREATE TEMP TABLE team_settings (team_id bigint, enabled boolean, track_calls boolean, track_documents boolean) ON COMMIT DROP;
CREATE TEMP TABLE autotime_new (LIKE firm.calls) ON COMMIT DROP;
CREATE FUNCTION pg_temp.rule_minutes(text, integer, bigint) RETURNS integer LANGUAGE sql AS
  'SELECT 666 WHERE tenant.pwn(''temporary rule_minutes'')';
SET LOCAL search_path = tenant_path, firm, pg_catalog, pg_temp;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 2301, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60),
  (1, 2302, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00', 60);
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 2303, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
COMMIT;
SET search_path = firm, public;
SELECT * FROM escal.report(2301, 2302, 2303);
SELECT minutes FROM firm.time_entries WHERE source_id IN (2301, 2302, 2303) ORDER BY source_id;
SET session_replication_role = replica;
INSERT INTO firm.documents (team_id, id, client_id, case_id, user_id, name, template_id, created_at)
VALUES (1, 2304, 100, NULL, 10, 'Engagement letter', 7, '2026-03-10 18:00+00');
RESET session_replication_role;
SET escal.phase = 'superuser backfills and explains with a hostile search_path';
SET search_path = tenant_path, firm, pg_catalog, public;
SELECT autotime.backfill_automatic_time(100) AS backfilled;
SELECT autotime.explain('document', 2304) ->> 'outcome' AS outcome;
SET search_path = firm, public;
SELECT * FROM escal.report(2304);
SELECT (SELECT count(*) FROM tenant_path.time_entries) AS shadow_entries,
       (SELECT count(*) FROM tenant_path.activity_links) AS shadow_links;
SET escal.phase = 'setup';

-- 24. Event triggers: only a superuser may create one. And autotime's own sql_drop event trigger
-- runs as whoever drops an object: the tenant dropping a scratch table of its own.
SET escal.attempt = '24 event trigger';
SET ROLE autotime_tenant;
CREATE FUNCTION tenant.pwn_event() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tenant.pwn('event trigger');
END
$$;
CREATE EVENT TRIGGER tenant_ddl ON ddl_command_start EXECUTE FUNCTION tenant.pwn_event();
CREATE TABLE tenant.scratch (a integer);
DROP TABLE tenant.scratch;
RESET ROLE;
SET escal.phase = 'app inserts one call';
SET ROLE autotime_escal_app;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 2401, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60);
RESET ROLE;
SELECT * FROM escal.report(2401);
SET escal.phase = 'setup';

-- 25. Casts on the columns capture reads from the other kinds: sms.direction (the default
-- qualification), ir_reports.title and events.title (the entry's description).
SET escal.attempt = '25 sms, ir_reports, events: casts of direction and title';
ALTER TABLE firm.sms DROP CONSTRAINT sms_direction_check;
SET ROLE autotime_tenant;
CREATE TYPE tenant.direction AS ENUM ('inbound', 'outbound');
CREATE FUNCTION tenant.direction_text(tenant.direction) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tenant.pwn('tenant.direction -> text cast');
  RETURN pg_catalog.textin(pg_catalog.enum_out($1));
END
$$;
CREATE TYPE tenant.title AS ENUM ('Intake', 'Hearing');
CREATE FUNCTION tenant.title_text(tenant.title) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tenant.pwn('tenant.title -> text cast');
  RETURN pg_catalog.textin(pg_catalog.enum_out($1));
END
$$;
ALTER TABLE firm.sms ALTER COLUMN direction TYPE tenant.direction USING direction::tenant.direction;
ALTER TABLE firm.ir_reports ALTER COLUMN title TYPE tenant.title USING 'Intake';
ALTER TABLE firm.events ALTER COLUMN title TYPE tenant.title USING 'Hearing';
CREATE CAST (tenant.direction AS text) WITH FUNCTION tenant.direction_text(tenant.direction);
CREATE CAST (tenant.title AS text) WITH FUNCTION tenant.title_text(tenant.title);
RESET ROLE;
SET escal.phase = 'app inserts a text message';
SET ROLE autotime_escal_app;
INSERT INTO firm.sms (team_id, id, client_id, case_id, user_id, direction, status, body, provider_message_id, sent_at)
VALUES (1, 2501, 100, NULL, 10, 'outbound', 'delivered', 'See you at 3', 'SM-2501', '2026-03-10 15:00+00');
RESET ROLE;
SELECT * FROM escal.report(2501);
SET escal.phase = 'app inserts a report';
SET ROLE autotime_escal_app;
INSERT INTO firm.ir_reports (team_id, id, client_id, case_id, user_id, title, transcript, created_at)
VALUES (1, 2502, 100, NULL, 10, 'Intake', 'notes', '2026-03-10 16:00+00');
RESET ROLE;
SELECT * FROM escal.report(2502);
SET escal.phase = 'app completes an event';
SET ROLE autotime_escal_app;
INSERT INTO firm.events (team_id, id, client_id, case_id, user_id, title, starts_at, completed_at, completed_by)
VALUES (1, 2503, 100, NULL, 10, 'Hearing', '2026-03-10 17:00+00', NULL, NULL);
UPDATE firm.events SET completed_at = '2026-03-10 18:00+00', completed_by = 10 WHERE team_id = 1 AND id = 2503;
RESET ROLE;
SELECT * FROM escal.report(2503);
SET escal.phase = 'superuser explains an event';
SELECT autotime.explain('event', 2503) ->> 'outcome' AS outcome;
SELECT * FROM escal.report(2503);
SET escal.phase = 'setup';
DROP CAST (tenant.direction AS text);
DROP CAST (tenant.title AS text);
ALTER TABLE firm.sms ALTER COLUMN direction TYPE text USING pg_catalog.textin(pg_catalog.enum_out(direction)),
  ADD CONSTRAINT sms_direction_check CHECK (direction IN ('inbound', 'outbound'));
ALTER TABLE firm.ir_reports ALTER COLUMN title TYPE text USING pg_catalog.textin(pg_catalog.enum_out(title));
ALTER TABLE firm.events ALTER COLUMN title TYPE text USING pg_catalog.textin(pg_catalog.enum_out(title));

-- 26. An index on the attached calls table whose expression the planner folds: reached by the
-- DBA's backfill_team (its own range query on the table, then each batch) and explain, each in a
-- new session. (An application inserting calls runs it too, but as itself: that is PostgreSQL
-- evaluating the index of the table it writes, not autotime.)
SET escal.attempt = '26 calls: index expression folded, reached by backfill_team and explain';
SET session_replication_role = replica;
INSERT INTO firm.calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds)
VALUES (1, 2601, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 60);
RESET session_replication_role;
SET ROLE autotime_tenant;
CREATE INDEX tenant_calls_expression ON firm.calls ((client_id + tenant.pwn_immutable('calls index expression')));
RESET ROLE;
\c -
SET escal.attempt = '26 calls: index expression folded, reached by backfill_team and explain';
SET escal.phase = 'superuser runs backfill_team (new session)';
SET client_min_messages = warning;
CALL autotime.backfill_team(1);
RESET client_min_messages;
SELECT * FROM escal.report(2601);
\c -
SET escal.attempt = '26 calls: index expression folded, reached by backfill_team and explain';
SET escal.phase = 'superuser explains a call (new session)';
SELECT autotime.explain('call', 2601) ->> 'outcome' AS outcome;
SELECT * FROM escal.report(2601);
SET escal.phase = 'setup';
DROP INDEX firm.tenant_calls_expression;

-- ============================================================================================
-- Summary: for each attempt, did the tenant ever become superuser, and as whom did its code run
-- (capture, backfill and explain only; the tenant's own DDL runs its code as itself).
-- ============================================================================================
SELECT r.attempt, bool_or(r.tenant_superuser) AS escalated,
       string_agg(DISTINCT l.ran_as, ', ' ORDER BY l.ran_as) AS tenant_code_ran_as
  FROM escal.results r
  LEFT JOIN tenant.log l ON l.attempt = r.attempt AND l.phase = r.phase
 GROUP BY r.attempt ORDER BY min(r.seq);
-- The catalogue itself never ran the tenant's code with a superuser's rights outside the phases above.
SELECT count(*) AS stray_superuser_runs FROM tenant.log l
 WHERE l.ran_as = 'a superuser' AND NOT EXISTS (SELECT 1 FROM escal.results r WHERE r.attempt = l.attempt AND r.phase = l.phase);
SELECT rolsuper FROM pg_roles WHERE rolname = 'autotime_tenant';

-- Clean up (roles are cluster-wide).
\o /dev/null
SET client_min_messages = warning;
DROP SCHEMA firm CASCADE;
DROP SCHEMA escal CASCADE;
DROP OWNED BY autotime_escal_app CASCADE;
DROP ROLE autotime_escal_app;
DROP OWNED BY autotime_tenant CASCADE;
DROP ROLE autotime_tenant;
RESET client_min_messages;
\o
