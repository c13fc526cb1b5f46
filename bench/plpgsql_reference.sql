-- The PL/pgSQL triggers a team would write instead of autotime, one per activity kind (calls,
-- texts, documents, IR reports, events). Each implements the same rules as autotime's capture of
-- that kind (src/core/rules.cpp, src/core/kinds.cpp) for the settings the benchmark exercises:
--   team settings row enabled and track_<kind> on; the row qualifies (a call: status =
--   'completed'; a text: outbound and 'sent'/'delivered'; a document: template_id present; an IR
--   report: always; an event: completed_at present), an UPDATE captures only when it makes the row
--   qualify; the actor (an event: coalesce(completed_by, user_id)) is a team member with
--   can_log_time, whose hourly_rate is the entry's rate; the activity time (started_at / sent_at /
--   created_at / completed_at) must be present; the activity's own case (same team and client, else
--   skipped) or the client's most recently updated case that is not closed/archived (ties: higher
--   id); flat_fee_policy (skip / non_billable / billable; contingency is recorded non-billable);
--   minutes from the kind's override or minutes_per_activity, a call's duration rounded up to the
--   increment in rounded_duration mode; the link (a text's key: 'provider:' || provider_message_id
--   when present, else its id) is claimed in autotime.activity_links with the entry's span
--   (ON CONFLICT DO NOTHING) before the draft entry is written with the kind's default UTBMS
--   activity code; the description from the kind and the row's name/title (control characters
--   blanked, 200 characters at most, '...' when clipped); work_date is the local date in the
--   team's timezone.
-- Not implemented (the benchmark does not use them): billing increments, daily caps, sessions,
-- case_fallback other than latest_open, team activity codes, on_error, deletes and identity
-- changes. It is the natural way to write it: a FOR EACH ROW trigger, one lookup per fact.
-- Usage: psql -v schema=bench -f bench/plpgsql_reference.sql (after autotime.detach() of the
-- five tables, and with autotime's entry history triggers dropped from the entries table).

\if :{?schema}
\else
\set schema bench
\endif

SET bench.schema = :'schema';

DO $install$
DECLARE
  s text := quote_ident(current_setting('bench.schema'));
  k record;
  body text;
BEGIN
  -- A document's, IR report's or event's description: prefix and label, control characters
  -- blanked, at most 200 characters kept ('...' when clipped), the fallback when nothing is left.
  EXECUTE replace($fn$
CREATE FUNCTION @s.reference_label(prefix text, fallback text, label text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $body$
  SELECT CASE WHEN c = '' THEN fallback ELSE prefix || c END
  FROM (SELECT btrim(regexp_replace(left(coalesce(label, ''), 200), '[\x01-\x1f\x7f]', ' ', 'g'))
               || CASE WHEN length(label) > 200 THEN '...' ELSE '' END AS c) x
$body$;
$fn$, '@s', s);
  FOR k IN SELECT * FROM (VALUES
    -- kind, table, qualifies (NEW), qualified before (OLD), actor, occurred at, source key,
    -- description, minutes setting, track setting, activity code, UPDATE OF columns
    ('call', 'calls', $q$NEW.status IS NOT DISTINCT FROM 'completed'$q$, $q$OLD.status IS NOT DISTINCT FROM 'completed'$q$,
     'NEW.user_id', 'NEW.started_at', 'NEW.id::text',
     $q$CASE NEW.direction WHEN 'inbound' THEN 'Phone call (inbound)' WHEN 'outbound' THEN 'Phone call (outbound)'
          ELSE 'Phone call' END$q$,
     'call_minutes', 'track_calls', 'A106', 'status'),
    ('sms', 'sms', $q$NEW.direction IS NOT DISTINCT FROM 'outbound' AND NEW.status IN ('sent', 'delivered')$q$,
     $q$OLD.direction IS NOT DISTINCT FROM 'outbound' AND OLD.status IN ('sent', 'delivered')$q$,
     'NEW.user_id', 'NEW.sent_at',
     $q$CASE WHEN coalesce(NEW.provider_message_id, '') <> '' THEN 'provider:' || NEW.provider_message_id ELSE NEW.id::text END$q$,
     $q$'Text message to client'$q$, 'sms_minutes', 'track_sms', 'A106', 'status, direction'),
    ('document', 'documents', 'NEW.template_id IS NOT NULL', 'OLD.template_id IS NOT NULL', 'NEW.user_id',
     'NEW.created_at', 'NEW.id::text', $q$@s.reference_label('Prepared document: ', 'Prepared document', NEW.name)$q$,
     'document_minutes', 'track_documents', 'A103', 'template_id'),
    ('ir_report', 'ir_reports', 'true', 'true', 'NEW.user_id', 'NEW.created_at', 'NEW.id::text',
     $q$@s.reference_label('Interaction report: ', 'Interaction report', NEW.title)$q$,
     'ir_report_minutes', 'track_ir_reports', 'A106', 'title'),
    ('event', 'events', 'NEW.completed_at IS NOT NULL', 'OLD.completed_at IS NOT NULL',
     'coalesce(NEW.completed_by, NEW.user_id)', 'NEW.completed_at', 'NEW.id::text',
     $q$@s.reference_label('Completed: ', 'Completed calendar event', NEW.title)$q$,
     'event_minutes', 'track_events', 'A109', 'completed_at')
  ) AS v(kind, tab, qual, was_qual, actor, at, skey, descr, minutes_col, track_col, code, upd_cols)
  LOOP
    body := $fn$
CREATE FUNCTION @s.reference_capture_@kind() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
  st autotime.team_settings%ROWTYPE;
  v_actor bigint;
  v_at timestamptz;
  v_can_log boolean;
  v_rate numeric;
  v_case_id bigint;
  v_case_client bigint;
  v_billing text;
  v_increment integer;
  v_minutes integer;
  v_billable boolean;
BEGIN
  IF NOT (@qual) THEN
    RETURN NULL;                                  -- not_qualifying
  END IF;
  IF TG_OP = 'UPDATE' AND (@was_qual) THEN
    RETURN NULL;                                  -- already qualified before this update
  END IF;
  SELECT * INTO st FROM autotime.team_settings s WHERE s.team_id = NEW.team_id;
  IF NOT FOUND OR NOT st.enabled OR NOT st.@track_col THEN
    RETURN NULL;                                  -- team_disabled / kind_disabled
  END IF;
  v_actor := @actor;
  v_at := @at;
  IF v_at IS NULL OR v_actor IS NULL THEN
    RETURN NULL;                                  -- no_activity_time / no_actor
  END IF;
  SELECT m.can_log_time, m.hourly_rate INTO v_can_log, v_rate
    FROM @s.team_members m WHERE m.team_id = NEW.team_id AND m.user_id = v_actor;
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
  v_increment := coalesce(st.@minutes_col, st.minutes_per_activity);
  v_minutes := v_increment;
  @rounding
  INSERT INTO autotime.activity_links (team_id, kind, source_key, source_id, span)
  VALUES (NEW.team_id, '@kind', @skey, NEW.id, tstzrange(v_at, v_at + make_interval(mins => v_minutes)))
  ON CONFLICT (team_id, kind, source_key) DO NOTHING;
  IF NOT FOUND THEN
    RETURN NULL;                                  -- already_linked
  END IF;
  INSERT INTO @s.time_entries (team_id, client_id, case_id, user_id, work_date, minutes, description, billable,
                               status, rate, source_kind, source_id, activity_code)
  VALUES (NEW.team_id, NEW.client_id, v_case_id, v_actor, (v_at AT TIME ZONE st.timezone)::date, v_minutes,
          @descr, v_billable, 'draft', v_rate, '@kind', NEW.id, '@code');
  RETURN NULL;
END
$body$;
CREATE TRIGGER reference_capture_@kind AFTER INSERT OR UPDATE OF @upd_cols ON @s.@tab
  FOR EACH ROW EXECUTE FUNCTION @s.reference_capture_@kind();
$fn$;
    body := replace(body, '@rounding', CASE WHEN k.kind = 'call' THEN
      $r$IF st.call_minutes_mode = 'rounded_duration' AND NEW.duration_seconds > 0 THEN
    v_minutes := least(1440, ((NEW.duration_seconds + v_increment * 60 - 1) / (v_increment * 60)) * v_increment);
  END IF;$r$ ELSE '' END);
    body := replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(body,
      '@qual', k.qual), '@was_qual', k.was_qual), '@actor', k.actor), '@at', k.at), '@skey', k.skey),
      '@descr', k.descr), '@minutes_col', k.minutes_col), '@track_col', k.track_col), '@code', k.code),
      '@upd_cols', k.upd_cols), '@tab', k.tab), '@kind', k.kind);
    EXECUTE replace(body, '@s', s);
  END LOOP;
END
$install$;
