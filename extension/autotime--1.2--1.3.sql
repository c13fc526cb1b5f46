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
CREATE FUNCTION autotime.explain(kind text, source_id bigint, team_id bigint DEFAULT NULL) RETURNS jsonb
  AS 'MODULE_PATHNAME', 'autotime_explain' LANGUAGE c STABLE SECURITY DEFINER;
REVOKE ALL ON FUNCTION autotime.explain(text, bigint, bigint) FROM PUBLIC;

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
  FOR a IN SELECT t.source, t.kind FROM autotime.attachments t ORDER BY t.kind, t.source::pg_catalog.oid LOOP
    SELECT r.lo, r.hi INTO lo, hi FROM autotime.backfill_range(a.source, team_id, NULL, since) r;
    kind_created := 0;
    kind_scanned := 0;
    WHILE lo IS NOT NULL LOOP
      upto := CASE WHEN hi::pg_catalog.numeric OPERATOR(pg_catalog.-) lo OPERATOR(pg_catalog.<) batch_size THEN hi
                   ELSE lo OPERATOR(pg_catalog.+) (batch_size OPERATOR(pg_catalog.-) 1) END;
      SELECT * INTO batch FROM autotime.backfill_batch(a.source, team_id, since,
        CASE WHEN lo OPERATOR(pg_catalog.=) (-9223372036854775807 - 1) THEN lo ELSE lo OPERATOR(pg_catalog.-) 1 END, upto);
      kind_created := kind_created OPERATOR(pg_catalog.+) batch.created;
      kind_scanned := kind_scanned OPERATOR(pg_catalog.+) batch.scanned;
      COMMIT;
      PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
      elapsed := EXTRACT(epoch FROM pg_catalog.clock_timestamp() - started);
      RAISE NOTICE 'autotime backfill team % %: ids up to % of %, % new qualifying, % created',
        team_id, a.kind, upto, hi, kind_scanned, kind_created
        USING DETAIL = pg_catalog.format('%ss elapsed', pg_catalog.round(elapsed::numeric, 1));
      EXIT WHEN upto OPERATOR(pg_catalog.>=) hi;
      SELECT r.lo INTO lo FROM autotime.backfill_range(a.source, team_id, upto, since) r;
    END LOOP;
    total_created := total_created OPERATOR(pg_catalog.+) kind_created;
    total_scanned := total_scanned OPERATOR(pg_catalog.+) kind_scanned;
    summary := summary || pg_catalog.format(E'\n  %s (%s): %s new qualifying, %s created', a.kind, a.source, kind_scanned, kind_created);
  END LOOP;
  RAISE NOTICE 'autotime backfill of team % done: % new qualifying activities, % entries created%',
    team_id, total_scanned, total_created, summary
    USING DETAIL = pg_catalog.format('%ss elapsed',
      pg_catalog.round(EXTRACT(epoch FROM pg_catalog.clock_timestamp() - started)::numeric, 1));
END
$$;

-- The entry made for an activity (NULL if none), without reading the ledger.
CREATE FUNCTION autotime.entry_for(kind text, source_id bigint, team_id bigint DEFAULT NULL) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT (autotime.explain(kind, source_id, team_id) OPERATOR(pg_catalog.->>) 'time_entry_id')::pg_catalog.int8
$$;
REVOKE ALL ON FUNCTION autotime.entry_for(text, bigint, bigint) FROM PUBLIC;

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

CREATE OR REPLACE FUNCTION autotime.attach(source regclass, kind text, columns jsonb DEFAULT '{}', qualifies text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF kind IS NULL OR kind NOT IN ('call', 'sms', 'document', 'ir_report', 'event') THEN
    RAISE EXCEPTION 'unknown activity kind "%"', kind
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Kinds are call, sms, document, ir_report and event.';
  END IF;
  PERFORM autotime.check_table_owner(source);
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
CREATE FUNCTION autotime.query_as_owner(rel regclass, statement text, ids bigint[], a bigint, b bigint)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'autotime_query_as_owner' LANGUAGE c;
REVOKE ALL ON FUNCTION autotime.query_as_owner(regclass, text, bigint[], bigint, bigint) FROM PUBLIC;

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
CREATE FUNCTION autotime.approve(entry_ids bigint[], reviewer bigint, team_id bigint DEFAULT NULL) RETURNS integer
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
  SELECT q.n INTO changed FROM autotime.query_as_owner(t.rel,
    format('WITH u AS (UPDATE %s SET %s = ''approved'', %s = $2, %s = now() WHERE %s = $3 AND %s = ANY ($1) AND %s = ''draft'' '
           'RETURNING 1) SELECT count(*) FROM u', t.rel, t.status, t.reviewed_by, t.reviewed_at, t.team_id, t.id, t.status),
    entry_ids, reviewer, team) AS q(n bigint);
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
    entry_ids, team, NULL) AS q(n bigint);
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
    ARRAY[entry_id], case_id, team) AS q(n bigint);
END
$$;

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
    SELECT q.team_id, q.kind, q.source_id FROM autotime.query_as_owner(t.rel,
      format('DELETE FROM %1$s WHERE %4$s = $2 AND %2$s = ANY ($1) AND %3$s = ''draft'' '
             'RETURNING %4$s::int8, %5$s::text, %6$s::int8', t.rel, t.id, t.status, t.team_id, t.source_kind, t.source_id),
      entry_ids, team, NULL) AS q(team_id bigint, kind text, source_id bigint))
  UPDATE autotime.activity_links l SET dismissed_at = now(), released_at = NULL FROM gone
   WHERE l.team_id = gone.team_id AND l.kind = gone.kind AND l.source_id = gone.source_id;
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END
$$;

REVOKE ALL ON FUNCTION autotime.approve(bigint[], bigint, bigint) FROM PUBLIC;
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

-- The EXECUTE grants a DBA gave on the old signatures hold for the new ones. (Made inside this
-- script, they count as the extension's initial privileges: pg_dump of an updated database does
-- not repeat them, so after a restore grant them again.)
DO $$
DECLARE
  g record;
BEGIN
  FOR g IN
    SELECT o.new_signature, a.grantee, a.is_grantable
    FROM (VALUES ('autotime.approve_before_1_3(bigint[], bigint)'::regprocedure, 'autotime.approve(bigint[], bigint, bigint)'),
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
