-- The C++ core's rules and contracts (src/core), as SQL functions: capture statements call them,
-- tests and DBAs may too. Pure: no table is read.

-- The pure rules (src/core/rules.cpp), as every capture statement calls them. rule_skip_reason and
-- rule_minutes keep their shorter 1.0 signatures beside the current ones.
CREATE FUNCTION autotime.rule_skip_reason(team_enabled boolean, kind_enabled boolean, qualifies boolean,
    has_activity_time boolean, has_actor boolean, member_found boolean, can_log_time boolean,
    own_case_given boolean, case_found boolean, case_client_matches boolean, billing_type text,
    flat_fee_policy text) RETURNS text
  AS 'MODULE_PATHNAME', 'autotime_rule_skip_reason' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_skip_reason(team_enabled boolean, kind_enabled boolean, qualifies boolean,
    has_activity_time boolean, has_actor boolean, member_found boolean, can_log_time boolean,
    own_case_given boolean, case_found boolean, case_client_matches boolean, billing_type text,
    flat_fee_policy text, case_fallback text, open_cases integer) RETURNS text
  AS 'MODULE_PATHNAME', 'autotime_rule_skip_reason' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_minutes(call_minutes_mode text, increment integer, duration_seconds bigint)
  RETURNS integer AS 'MODULE_PATHNAME', 'autotime_rule_minutes' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_minutes(call_minutes_mode text, increment integer, duration_seconds bigint,
    billing_increment integer) RETURNS integer
  AS 'MODULE_PATHNAME', 'autotime_rule_minutes' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_billable(billing_type text, flat_fee_policy text) RETURNS boolean
  AS 'MODULE_PATHNAME', 'autotime_rule_billable' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_description(kind text, direction text, label text) RETURNS text
  AS 'MODULE_PATHNAME', 'autotime_rule_description' LANGUAGE c IMMUTABLE PARALLEL SAFE;

-- The daily cap's rule in the C++ core (admitted_under_daily_cap), for tests and DBAs: how many of
-- a member's activities of one day (minutes in the order they happened) a day with `counted`
-- minutes admits under `cap`. Capture applies it set-based.
CREATE FUNCTION autotime.rule_daily_cap_admits(counted integer, minutes integer[], cap integer) RETURNS integer
  AS 'MODULE_PATHNAME', 'autotime_rule_daily_cap_admits' LANGUAGE c IMMUTABLE PARALLEL SAFE;

-- What explain would say (src/core): the verdict from what the ledger and the rules say.
CREATE FUNCTION autotime.rule_verdict(linked boolean, linked_to_this_source boolean, entry_exists boolean,
    failure_recorded boolean, live_reason text) RETURNS text[]
  AS 'MODULE_PATHNAME', 'autotime_rule_verdict' LANGUAGE c IMMUTABLE PARALLEL SAFE;

-- The core's session arithmetic (src/core/sessions.cpp), for the capture statements.
CREATE FUNCTION autotime.rule_activity_seconds(minutes integer, duration_seconds bigint) RETURNS bigint
  AS 'MODULE_PATHNAME', 'autotime_rule_activity_seconds' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_sessions(starts timestamptz[], ends timestamptz[], gap_minutes integer) RETURNS integer[]
  AS 'MODULE_PATHNAME', 'autotime_rule_sessions' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_session_minutes(first_start timestamptz, last_end timestamptz, billing_increment integer)
  RETURNS integer AS 'MODULE_PATHNAME', 'autotime_rule_session_minutes' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_session_description(descriptions text[]) RETURNS text
  AS 'MODULE_PATHNAME', 'autotime_rule_session_description' LANGUAGE c IMMUTABLE PARALLEL SAFE;

-- Client billing rules (src/core): a rule's value checked, an entry born non-billable, an entry's flags.
CREATE FUNCTION autotime.rule_billing_problem(rule text, value text) RETURNS text
  AS 'MODULE_PATHNAME', 'autotime_rule_billing_problem' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_born_non_billable(kind text, rules text[], vals text[], client_specific boolean[])
RETURNS boolean AS 'MODULE_PATHNAME', 'autotime_rule_born_non_billable' LANGUAGE c IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION autotime.rule_entry_flags(kind text, minutes integer, billable boolean, activity_code text,
    rules text[], vals text[], client_specific boolean[]) RETURNS TABLE (rule text, detail text)
  AS 'MODULE_PATHNAME', 'autotime_rule_entry_flags' LANGUAGE c IMMUTABLE PARALLEL SAFE;

-- Contract columns of an activity kind or a bound role (NULL when unknown), from the C++ core.
CREATE FUNCTION autotime.contract_columns(kind_or_role text) RETURNS text[]
  AS 'MODULE_PATHNAME', 'autotime_contract_columns' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

-- The type family a contract column needs: integer, timestamptz, boolean, numeric, date or any.
CREATE FUNCTION autotime.contract_type(contract_column text) RETURNS text
  AS 'MODULE_PATHNAME', 'autotime_contract_type' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE;

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
