-- Billing compliance (SPEC §7): the entry history, client billing rules and the flags they raise,
-- and the triggers bind puts on the entries table to keep both.

-- ---- entry history ----
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

-- ---- client billing rules ----
-- Per team, for one client or (client_id NULL) every client of the team; a client's own row wins
-- over the team's for the same rule. Values are checked by the C++ core.
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
