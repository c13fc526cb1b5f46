-- The ledger (autotime.activity_links: one row per activity ever captured), the failures capture
-- recorded, and the minutes a daily cap counted.

-- The ledger: one row per activity ever captured. It outlives the entry, so an entry a person
-- deleted or dismissed is never created again.
CREATE TABLE autotime.activity_links (
  team_id bigint NOT NULL,
  kind text NOT NULL
    CONSTRAINT activity_links_kind_valid CHECK (kind IN ('call', 'sms', 'document', 'ir_report', 'event')),
  source_key text NOT NULL,
  source_id bigint NOT NULL,
  linked_at timestamptz NOT NULL DEFAULT now(),
  dismissed_at timestamptz,
  -- Accidental removal is not dismissal: a deleted activity's link is marked released (its draft
  -- went with it), and live capture takes a released link back when the activity is sent again.
  -- A link a person dismissed, or whose entry a person deleted, stays as it is: never again.
  released_at timestamptz,
  -- Two tables attached for one kind never share an id space (autotime.attachments.key_space).
  key_space text,
  -- What capture counted toward a member's day, per link (only while the team has a daily cap;
  -- sessions write user_id and work_date too).
  user_id bigint,
  work_date date,
  minutes integer,
  -- The double-billing guard's span (08_time_guards.sql).
  span tstzrange,
  -- What a session is made of, per link (only while the activity's team has sessions): the
  -- resolved case, the activity's own span and description, and the session's entry.
  case_id bigint,
  worked tstzrange,
  description text,
  session_entry_id bigint,
  CONSTRAINT activity_links_one_per_activity PRIMARY KEY (team_id, kind, source_key)
);
COMMENT ON TABLE autotime.activity_links IS
  'One row per captured activity (dedupe key: team, kind, source key); kept after its entry is deleted or dismissed';
COMMENT ON COLUMN autotime.activity_links.released_at IS
  'Set when the activity was deleted (not dismissed): sending it again captures it again';
COMMENT ON COLUMN autotime.activity_links.key_space IS 'The id space of the attached table the activity is in (NULL: the kind''s default)';
COMMENT ON COLUMN autotime.activity_links.minutes IS
  'Minutes this activity counts toward its member''s day under a daily cap (NULL: not counted)';
COMMENT ON COLUMN autotime.activity_links.span IS
  'The time its entry covers: from the activity''s time, the entry''s minutes long (the double-billing guard''s)';
COMMENT ON COLUMN autotime.activity_links.worked IS
  'The activity''s own span in a session: from its time, a call''s duration when known, else its own minutes (NULL: not in a session)';
COMMENT ON COLUMN autotime.activity_links.session_entry_id IS
  'The entry of the session this activity is billed on (NULL: its own entry, keyed by its kind and id)';

-- Backfill skips activities whose id already has a link with one anti-join per batch.
CREATE INDEX activity_links_by_source_id ON autotime.activity_links (team_id, kind, source_id);
CREATE INDEX activity_links_by_member_day ON autotime.activity_links (team_id, user_id, work_date)
  WHERE worked IS NOT NULL;
CREATE INDEX activity_links_in_sessions ON autotime.activity_links (team_id, session_entry_id) WHERE session_entry_id IS NOT NULL;

-- Whether an activity is already linked, by index probes from C (src/pg/ledger_probes.cpp): what
-- backfill of one client asks of each of the client's activities, whatever the ledger holds.
CREATE FUNCTION autotime.activity_linked(team_id bigint, kind text, source_id bigint, key_space text, source_key text)
  RETURNS boolean AS 'MODULE_PATHNAME', 'autotime_activity_linked' LANGUAGE c STABLE;
REVOKE ALL ON FUNCTION autotime.activity_linked(bigint, text, bigint, text, text) FROM PUBLIC;

-- Capture failures of teams with on_error = 'record', one row per activity (the latest failure).
-- A backfill retries them and clears the rows of activities it links.
CREATE TABLE autotime.capture_failures (
  team_id bigint NOT NULL,
  kind text NOT NULL
    CONSTRAINT capture_failures_kind_valid CHECK (kind IN ('call', 'sms', 'document', 'ir_report', 'event')),
  source regclass NOT NULL,
  source_id bigint NOT NULL,
  sqlstate text NOT NULL,
  message text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now(),
  -- The same id in two attached tables is two activities.
  CONSTRAINT capture_failures_one_per_activity PRIMARY KEY (team_id, kind, source, source_id)
);
COMMENT ON TABLE autotime.capture_failures IS
  'Activities whose capture failed under on_error = ''record''; kept until a backfill links them';

-- The daily cap's count: the day's total per member. Capture adds to it, guarded by the cap; a
-- link released (its activity deleted) or dismissed gives its minutes back.
CREATE TABLE autotime.daily_minutes (
  team_id bigint NOT NULL,
  user_id bigint NOT NULL,
  work_date date NOT NULL,
  minutes integer NOT NULL,
  CONSTRAINT daily_minutes_one_per_day PRIMARY KEY (team_id, user_id, work_date)
);
COMMENT ON TABLE autotime.daily_minutes IS
  'Minutes captured automatically per member and work date, for teams with a daily cap';
REVOKE ALL ON autotime.daily_minutes FROM PUBLIC;
CREATE FUNCTION autotime.uncount_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  UPDATE autotime.daily_minutes d SET minutes = greatest(d.minutes - OLD.minutes, 0)
   WHERE d.team_id = OLD.team_id AND d.user_id = OLD.user_id AND d.work_date = OLD.work_date;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION autotime.uncount_link() FROM PUBLIC;
CREATE TRIGGER activity_links_uncount AFTER UPDATE OF released_at, dismissed_at ON autotime.activity_links
  FOR EACH ROW WHEN (OLD.minutes IS NOT NULL AND OLD.released_at IS NULL AND OLD.dismissed_at IS NULL
                     AND (NEW.released_at IS NOT NULL OR NEW.dismissed_at IS NOT NULL))
  EXECUTE FUNCTION autotime.uncount_link();
CREATE TRIGGER activity_links_uncount_deleted AFTER DELETE ON autotime.activity_links
  FOR EACH ROW WHEN (OLD.minutes IS NOT NULL AND OLD.released_at IS NULL AND OLD.dismissed_at IS NULL)
  EXECUTE FUNCTION autotime.uncount_link();
