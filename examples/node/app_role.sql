-- The application's own role: it records what happened at the firm and lets people review the
-- entries autotime drafts. It never writes a time entry, never reads autotime's ledger, and never
-- changes a firm's autotime settings (opting a firm in is the DBA's call). Run as the owner of the
-- practice tables (or a superuser), after CREATE EXTENSION autotime and create_practice_schema().
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'practice_app') THEN
    CREATE ROLE practice_app LOGIN;  -- in production: LOGIN PASSWORD '...', or your usual authentication
  END IF;
END
$$;

-- The firm's data, written by the app's screens and webhooks (SELECT for INSERT ... RETURNING id).
-- Capture needs no grant at all: autotime writes the entry as the entries table's owner.
GRANT SELECT, INSERT ON teams, team_members, clients, cases, calls, sms, documents TO practice_app;
-- Reading time entries (the billing screens); writing them is autotime's and the reviewers' job.
GRANT SELECT ON time_entries TO practice_app;

-- autotime: the review list, why an activity got (or didn't get) an entry, the entry made for a
-- row, approving entries, and backfilling a client's history. EXECUTE is the right: these read and
-- write the firm's tables as their owners, for one firm per call.
GRANT SELECT ON autotime.unreviewed TO practice_app;
GRANT EXECUTE ON FUNCTION autotime.review_rows(text) TO practice_app;  -- what the view reads
GRANT EXECUTE ON FUNCTION autotime.explain(text, bigint, bigint, regclass), autotime.entry_for(text, bigint, bigint, regclass),
  autotime.approve(bigint[], bigint, bigint, boolean, boolean), autotime.backfill_automatic_time(bigint, bigint) TO practice_app;
