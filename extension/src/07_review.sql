-- The review API: approve, set_non_billable, reassign and dismiss a firm's entries, and the review
-- views. Entries are keyed (team_id, id), and ids are unique only per firm: each function takes
-- team_id DEFAULT NULL; with it, it acts on that firm's entries only (an id it doesn't hold does
-- not exist); without it, an id that more than one firm holds is refused (21000), and so are ids
-- of more than one firm's entries: one call reviews one firm. The functions run with autotime's
-- rights (EXECUTE on them is the right to review) and read and write each table as its owner.

-- The bound time entry table and its columns, quoted, for the review functions' dynamic SQL.
CREATE FUNCTION autotime.entry_table(OUT rel regclass, OUT id text, OUT team_id text, OUT client_id text,
    OUT case_id text, OUT user_id text, OUT work_date text, OUT minutes text, OUT description text,
    OUT billable text, OUT status text, OUT rate text, OUT source_kind text, OUT source_id text,
    OUT reviewed_by text, OUT reviewed_at text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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

-- Internal to the review functions (which run with autotime's rights: EXECUTE on them is the
-- right to review, and each table is read and written as its owner).
REVOKE ALL ON FUNCTION autotime.check_entry_ids(bigint[], bigint, text) FROM PUBLIC;

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

-- Approves draft entries; the reviewer must be a member of the entries' team. Returns how many changed.
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
REVOKE ALL ON FUNCTION autotime.approve(bigint[], bigint, bigint, boolean, boolean) FROM PUBLIC;

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
REVOKE ALL ON FUNCTION autotime.set_non_billable(bigint[], bigint) FROM PUBLIC;

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
REVOKE ALL ON FUNCTION autotime.reassign(bigint, bigint, bigint) FROM PUBLIC;

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
REVOKE ALL ON FUNCTION autotime.dismiss(bigint[], bigint) FROM PUBLIC;

-- Rows behind the review views, read as the entries' owner.
CREATE FUNCTION autotime.review_rows(only_status text) RETURNS TABLE (team_id bigint, id bigint, client_id bigint,
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
REVOKE ALL ON autotime.unreviewed, autotime.unbilled FROM PUBLIC;
