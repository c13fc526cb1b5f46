-- Defensible time (SPEC §6): the double-billing guard and sessions. (The billing increment and
-- the daily cap are settings, 03_settings.sql, applied by capture; the cap's count is in
-- 04_ledger.sql.)

-- ---- double-billing guard ----
-- Each auto entry keeps its span (its activity's time, its minutes long) on its link;
-- autotime.overlaps lists a member's auto entries on different clients whose spans overlap, and
-- approve refuses (23P01) to approve an entry overlapping an approved or billed entry of another
-- client unless the reviewer passes allow_overlap => true.
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

-- ---- sessions (session_gap_minutes) ----
-- ==== sessions (SPEC §6 session_gap_minutes) ====
-- Activities of one team, member, resolved case and work date whose spans lie within the gap of
-- each other form a session with one draft entry: last end - first start, rounded up to the
-- billing increment, described by what it covers ("Phone call (outbound); 2 text messages to
-- client"). Capture writes each activity's entry as before and then regroups the member's day
-- (autotime.regroup_sessions): the day's open activities (those whose entry is a draft) are
-- grouped by the core (src/core/sessions.cpp), each session keeps one of its entries and the
-- others go; every activity's link names its session's entry. Approved and billed entries never
-- change: an activity after an approval opens a new entry. NULL: off, one entry per activity.

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
