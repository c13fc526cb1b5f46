-- autotime 1.1 -> 1.2
\echo Use "ALTER EXTENSION autotime UPDATE TO '1.2'" to load this file. \quit

-- Backfill skips activities whose id already has a link with one anti-join per batch (a no-op
-- re-run of backfill_team reads the batch's links in id order instead of probing each activity's
-- key). On a large ledger, build it first without blocking capture, and this step finds it:
--   CREATE INDEX CONCURRENTLY activity_links_by_source_id ON autotime.activity_links (team_id, kind, source_id);
CREATE INDEX IF NOT EXISTS activity_links_by_source_id ON autotime.activity_links (team_id, kind, source_id);
