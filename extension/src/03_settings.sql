-- Per-team settings (autotime.team_settings) and per-team activity codes, with the checks and
-- triggers that keep them valid and tell every backend's capture when they change.

-- ---- time zones (SPEC §2) ----
-- A timezone name PostgreSQL understands ('UTC', 'America/Chicago', ...): the table's CHECK.
CREATE FUNCTION autotime.is_valid_timezone(zone text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM now() AT TIME ZONE zone;
  RETURN zone IS NOT NULL;
EXCEPTION WHEN invalid_parameter_value THEN
  RETURN false;
END
$$;

-- ---- time zones (SPEC §2) ----
-- What is wrong with a team's time zone, or NULL when it is an IANA name this server knows:
-- 'offset' (a numeric offset or POSIX specification such as '+05:30', whose sign PostgreSQL reads
-- the POSIX way, the opposite of ISO 8601), 'abbreviation' ('IST', 'PST': a fixed offset that
-- ignores daylight saving time, and ambiguous) or 'unknown'. Names without a digit are tried as
-- the session's TimeZone (zone files only; the SET clause restores the caller's setting); names
-- with one that it accepts are zone files ('Etc/GMT+5', 'EST5EDT': looked up in pg_timezone_names)
-- or POSIX specifications.
CREATE FUNCTION autotime.timezone_problem(zone text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$
BEGIN
  IF zone IS NULL THEN
    RETURN NULL;
  END IF;
  IF zone !~ '[0-9]' THEN
    BEGIN
      PERFORM set_config('TimeZone', zone, true);
      RETURN NULL;
    EXCEPTION WHEN invalid_parameter_value THEN
      NULL;
    END;
    IF EXISTS (SELECT 1 FROM pg_timezone_abbrevs a WHERE lower(a.abbrev) = lower(zone)) THEN
      RETURN 'abbreviation';
    END IF;
    RETURN 'unknown';
  END IF;
  BEGIN
    PERFORM set_config('TimeZone', zone, true);
  EXCEPTION WHEN invalid_parameter_value THEN
    RETURN 'unknown';
  END;
  -- A zone file or a POSIX specification: a bare offset is never a name (but GMT0, GMT+0 and
  -- GMT-0 are); anything else is looked up (slow, and rare: Etc/GMT+5, EST5EDT).
  IF zone ~* '^\s*(utc|gmt)?\s*[+-]?[0-9]{1,2}(:?[0-9]{2}){0,2}\s*$' AND zone !~* '^gmt[+-]?0$' THEN
    RETURN 'offset';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_timezone_names n WHERE lower(n.name) = lower(zone)) THEN
    RETURN NULL;
  END IF;
  RETURN 'offset';
END
$$;
GRANT EXECUTE ON FUNCTION autotime.timezone_problem(text) TO PUBLIC;

-- '+05:30', '-08:00', '+00:00': an offset east of Greenwich positive, as ISO 8601 writes it.
CREATE FUNCTION autotime.format_offset(utc_offset interval) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN utc_offset < interval '0' THEN '-' ELSE '+' END
         || to_char(CASE WHEN utc_offset < interval '0' THEN -utc_offset ELSE utc_offset END, 'HH24:MI')
$$;
GRANT EXECUTE ON FUNCTION autotime.format_offset(interval) TO PUBLIC;

-- Refuses a team's time zone that is not an IANA name, with an error naming it (SQLSTATE 23514 and
-- the constraint team_settings_timezone_valid, as the CHECK it runs before).
CREATE FUNCTION autotime.check_team_timezone() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  zone text := NEW.timezone;
  problem text := autotime.timezone_problem(NEW.timezone);
  bare boolean;
  posix interval;
  meant interval;
  names text;
  hint text;
BEGIN
  IF problem IS NULL THEN
    RETURN NEW;
  END IF;
  hint := 'Use the IANA name of the firm''s location, such as ''America/New_York'' or ''Europe/Berlin'' '
          '(SELECT name, utc_offset FROM pg_timezone_names lists them).';
  IF problem = 'unknown' THEN
    RAISE EXCEPTION 'unknown time zone "%" for team %', zone, NEW.team_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'team_settings_timezone_valid', SCHEMA = 'autotime',
            TABLE = 'team_settings', COLUMN = 'timezone',
            DETAIL = 'A team''s timezone must be an IANA time zone name this server knows.', HINT = hint;
  END IF;
  -- The offset PostgreSQL applies (east of Greenwich positive, as ISO 8601 writes it).
  posix := (now() AT TIME ZONE zone) - (now() AT TIME ZONE 'UTC');
  IF problem = 'abbreviation' THEN
    RAISE EXCEPTION 'time zone "%" for team % is an abbreviation, not a time zone name', zone, NEW.team_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'team_settings_timezone_valid', SCHEMA = 'autotime',
            TABLE = 'team_settings', COLUMN = 'timezone',
            DETAIL = format('PostgreSQL reads "%s" as the fixed offset UTC%s all year: an abbreviation can stand for '
                            'different places and never follows daylight saving time.', zone, autotime.format_offset(posix)),
            HINT = CASE WHEN posix = interval '0' THEN 'Use ''UTC''.' ELSE hint END;
  END IF;
  -- A bare offset ('+05:30', 'UTC+3') was almost certainly meant the ISO way round; a POSIX
  -- specification with its own name ('<+0530>-05:30') means what PostgreSQL reads.
  bare := zone ~* '^\s*(utc|gmt)?\s*[+-]?[0-9]{1,2}(:?[0-9]{2}){0,2}\s*$';
  meant := CASE WHEN bare THEN -posix ELSE posix END;
  SELECT string_agg(n.name, ', ' ORDER BY n.name) INTO names
  FROM (SELECT z.name FROM pg_timezone_names z
        WHERE z.utc_offset = meant AND z.name LIKE '%/%' AND z.name !~ '^(posix|right|Etc)/'
        ORDER BY z.name LIMIT 6) n;
  IF names IS NOT NULL THEN
    hint := format('Use the IANA name of the firm''s location; at UTC%s now: %s.', autotime.format_offset(meant), names);
  END IF;
  RAISE EXCEPTION 'time zone "%" for team % is a numeric offset, not a time zone name', zone, NEW.team_id
    USING ERRCODE = 'check_violation', CONSTRAINT = 'team_settings_timezone_valid', SCHEMA = 'autotime',
          TABLE = 'team_settings', COLUMN = 'timezone',
          DETAIL = CASE WHEN bare
            THEN format('PostgreSQL reads a numeric offset as a POSIX time zone, whose sign is the opposite of ISO 8601: '
                        '"%s" means UTC%s, not UTC%s. A fixed offset also never follows daylight saving time.',
                        zone, autotime.format_offset(posix), autotime.format_offset(meant))
            ELSE format('PostgreSQL reads "%s" as a POSIX time zone specification, whose offsets have the opposite sign '
                        'of ISO 8601 (positive is west of Greenwich): it means UTC%s now.', zone, autotime.format_offset(posix))
            END,
          HINT = hint;
END
$$;
REVOKE ALL ON FUNCTION autotime.check_team_timezone() FROM PUBLIC;

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
    CONSTRAINT team_settings_on_error_valid CHECK (on_error IN ('raise', 'record')),
  -- Defensible time (SPEC §6). Billing increments: every auto entry's minutes rounded up to whole
  -- increments (after per-kind minutes or rounded_duration). NULL: off, minutes as before.
  billing_increment_minutes integer
    CONSTRAINT team_settings_billing_increment_minutes_range CHECK (billing_increment_minutes BETWEEN 1 AND 60),
  -- Daily cap: a member's automatically captured minutes per work date never exceed it; an
  -- activity that would pass it is skipped (daily_cap), not linked. NULL: off.
  daily_cap_minutes integer
    CONSTRAINT team_settings_daily_cap_minutes_range CHECK (daily_cap_minutes BETWEEN 1 AND 1440),
  -- Case policy (SPEC §7): how an activity without its own case finds one. latest_open (the
  -- default, 1.x's rule): the client's most recently updated open case; only_open: the client's
  -- only open case (more than one: skip reason ambiguous_case); none: only the activity's own case
  -- (else no_case).
  case_fallback text NOT NULL DEFAULT 'latest_open'
    CONSTRAINT team_settings_case_fallback_valid CHECK (case_fallback IN ('latest_open', 'only_open', 'none')),
  -- Sessions (SPEC §6; 08_time_guards.sql). NULL: off, one entry per activity.
  session_gap_minutes integer
    CONSTRAINT team_settings_session_gap_minutes_range CHECK (session_gap_minutes BETWEEN 1 AND 240)
);
COMMENT ON TABLE autotime.team_settings IS 'Per-team opt-in and capture settings; no row means disabled';
COMMENT ON COLUMN autotime.team_settings.billing_increment_minutes IS
  'Entries are billed in whole increments of this many minutes, rounded up (6 = tenths of an hour); NULL: off';
COMMENT ON COLUMN autotime.team_settings.daily_cap_minutes IS
  'A member''s automatically captured minutes per work date never exceed this; NULL: no cap';
COMMENT ON COLUMN autotime.team_settings.case_fallback IS
  'An activity without its own case: latest_open (the client''s most recently updated open case), only_open, or none';
COMMENT ON COLUMN autotime.team_settings.session_gap_minutes IS
  'Activities of one member, case and work date whose spans lie within this many minutes of each other share one draft entry (a session); NULL: off';
CREATE TRIGGER team_settings_timezone_check BEFORE INSERT OR UPDATE OF timezone ON autotime.team_settings
  FOR EACH ROW EXECUTE FUNCTION autotime.check_team_timezone();

-- Every backend caches whether any team records failures; a settings change resets that cache.
CREATE FUNCTION autotime.settings_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM autotime.invalidate_capture('autotime.team_settings'::regclass);
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION autotime.settings_changed() FROM PUBLIC;
CREATE TRIGGER team_settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON autotime.team_settings
  FOR EACH STATEMENT EXECUTE FUNCTION autotime.settings_changed();

-- UTBMS activity codes: an entries table with an activity_code column gets each auto entry's
-- code: the team's for the kind (autotime.activity_codes), else the kind's default (call, sms and
-- ir_report A106, document A103, event A109; src/core/kinds.cpp). Codes are A101..A111.
CREATE TABLE autotime.activity_codes (
  team_id bigint NOT NULL,
  kind text NOT NULL CONSTRAINT activity_codes_kind_valid CHECK (kind IN ('call', 'sms', 'document', 'ir_report', 'event')),
  code text NOT NULL CONSTRAINT activity_codes_code_valid CHECK (code ~ '^A1(0[1-9]|1[01])$'),
  CONSTRAINT activity_codes_one_per_kind PRIMARY KEY (team_id, kind)
);
COMMENT ON TABLE autotime.activity_codes IS
  'Per team and kind, the UTBMS activity code (A101..A111) its auto entries get instead of the kind''s default';
REVOKE ALL ON autotime.activity_codes FROM PUBLIC;

-- Capture looks a team's code up only while some team has one: a change here is a settings change.
CREATE TRIGGER activity_codes_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON autotime.activity_codes
  FOR EACH STATEMENT EXECUTE FUNCTION autotime.settings_changed();
