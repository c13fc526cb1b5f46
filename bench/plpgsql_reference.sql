-- The PL/pgSQL trigger a team would write instead of autotime, for calls (the kind the benchmark
-- loads). It implements the same rules as autotime's capture of a call (src/core/rules.cpp):
--   team settings row enabled and track_calls on; the call qualifies (status = 'completed'; an
--   UPDATE captures only when it makes the row qualify); the actor is a team member with
--   can_log_time, whose hourly_rate is the entry's rate; the call's own case (same team and
--   client, else skipped) or the client's most recently updated case that is not closed/archived
--   (ties: higher id); flat_fee_policy (skip / non_billable / billable; contingency is recorded
--   non-billable); minutes from the kind's override or minutes_per_activity, or the duration
--   rounded up to the increment in rounded_duration mode; the link is claimed in
--   autotime.activity_links (ON CONFLICT DO NOTHING) before the draft entry is written;
--   work_date is the local date in the team's timezone.
-- It is the natural way to write it: a FOR EACH ROW trigger, one lookup per fact.
-- Usage: psql -v schema=bench -f bench/plpgsql_reference.sql (after autotime.detach(:schema.calls)).

\if :{?schema}
\else
\set schema bench
\endif

SET bench.schema = :'schema';

DO $install$
DECLARE
  s text := quote_ident(current_setting('bench.schema'));
BEGIN
  EXECUTE replace($fn$
CREATE FUNCTION @s.reference_capture_call() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
  st autotime.team_settings%ROWTYPE;
  v_can_log boolean;
  v_rate numeric;
  v_case_id bigint;
  v_case_client bigint;
  v_billing text;
  v_increment integer;
  v_minutes integer;
  v_billable boolean;
BEGIN
  IF NEW.status IS DISTINCT FROM 'completed' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM 'completed' THEN
    RETURN NULL;                                  -- already qualified before this update
  END IF;
  SELECT * INTO st FROM autotime.team_settings s WHERE s.team_id = NEW.team_id;
  IF NOT FOUND OR NOT st.enabled OR NOT st.track_calls THEN
    RETURN NULL;                                  -- team_disabled / kind_disabled
  END IF;
  IF NEW.started_at IS NULL OR NEW.user_id IS NULL THEN
    RETURN NULL;                                  -- no_activity_time / no_actor
  END IF;
  SELECT m.can_log_time, m.hourly_rate INTO v_can_log, v_rate
    FROM @s.team_members m WHERE m.team_id = NEW.team_id AND m.user_id = NEW.user_id;
  IF NOT FOUND OR NOT v_can_log THEN
    RETURN NULL;                                  -- no_permission
  END IF;
  IF NEW.case_id IS NOT NULL THEN
    SELECT c.id, c.client_id, c.billing_type INTO v_case_id, v_case_client, v_billing
      FROM @s.cases c WHERE c.team_id = NEW.team_id AND c.id = NEW.case_id;
    IF NOT FOUND OR v_case_client <> NEW.client_id THEN
      RETURN NULL;                                -- case_mismatch
    END IF;
  ELSE
    SELECT c.id, c.client_id, c.billing_type INTO v_case_id, v_case_client, v_billing
      FROM @s.cases c
     WHERE c.team_id = NEW.team_id AND c.client_id = NEW.client_id AND c.status NOT IN ('closed', 'archived')
     ORDER BY c.updated_at DESC NULLS LAST, c.id DESC LIMIT 1;
    IF NOT FOUND THEN
      RETURN NULL;                                -- no_open_case
    END IF;
  END IF;
  IF v_billing = 'flat_fee' AND st.flat_fee_policy = 'skip' THEN
    RETURN NULL;                                  -- flat_fee_skip
  END IF;
  v_billable := v_billing = 'hourly' OR (v_billing = 'flat_fee' AND st.flat_fee_policy = 'billable');
  v_increment := coalesce(st.call_minutes, st.minutes_per_activity);
  v_minutes := v_increment;
  IF st.call_minutes_mode = 'rounded_duration' AND NEW.duration_seconds > 0 THEN
    v_minutes := least(1440, ((NEW.duration_seconds + v_increment * 60 - 1) / (v_increment * 60)) * v_increment);
  END IF;
  INSERT INTO autotime.activity_links (team_id, kind, source_key, source_id)
  VALUES (NEW.team_id, 'call', NEW.id::text, NEW.id)
  ON CONFLICT (team_id, kind, source_key) DO NOTHING;
  IF NOT FOUND THEN
    RETURN NULL;                                  -- already_linked
  END IF;
  INSERT INTO @s.time_entries (team_id, client_id, case_id, user_id, work_date, minutes, description, billable,
                               status, rate, source_kind, source_id)
  VALUES (NEW.team_id, NEW.client_id, v_case_id, NEW.user_id, (NEW.started_at AT TIME ZONE st.timezone)::date,
          v_minutes,
          CASE NEW.direction WHEN 'inbound' THEN 'Phone call (inbound)' WHEN 'outbound' THEN 'Phone call (outbound)'
                             ELSE 'Phone call' END,
          v_billable, 'draft', v_rate, 'call', NEW.id);
  RETURN NULL;
END
$body$;
CREATE TRIGGER reference_capture_call AFTER INSERT OR UPDATE OF status ON @s.calls
  FOR EACH ROW EXECUTE FUNCTION @s.reference_capture_call();
$fn$, '@s', s);
END
$install$;
