#!/usr/bin/env bash
# Crash recovery: kill -9 the postmaster mid-load, restart, and compare the ledger with the tables.
#
# On its own scratch cluster (fsync=on), three rounds. Each round: team 2 is disabled, history is
# written for it, it is enabled again; then in the background a long capture load runs (one psql
# session, every statement its own transaction unless it says BEGIN: multi-row INSERT ... SELECT
# generate_series for calls, texts with replayed provider ids, documents and events, UPDATEs
# completing calls, events and queued texts, COPY of IR reports, dismissals and drafts deleted by
# hand; and identity changes (SPEC 4.11-12): completed calls renumbered (the latest team 2 history,
# not captured yet, racing the backfill, and calls whose entry a person removed), documents moved
# to another team, IR reports' client corrected, calls and events re-sent by a sync job (DELETE and
# INSERT of the same rows, in one transaction or two), and TRUNCATE of the texts with a third of
# them sent again (same transaction, then the next one); each identity change and removal is
# recorded by its own statement in chk.lineage / chk.removed) while another session runs
# CALL autotime.backfill_team(2) over the history. Every round kills while backfill_team is still
# running, at a different point (once it has committed 25 batches in round 1, 5 in round 2, 50 in
# round 3): the postmaster is SIGKILLed (rounds 1 and 2 also SIGKILL its children at the same
# instant, like a machine crash; round 3 leaves them to notice on their own: a busy backend, e.g. the
# running backfill_team, keeps working and committing until it next waits, so round 3's backfill
# may well finish and leave nothing to resume; that round tests the orphaned backends' commits, and
# its resume check may be 0 = 0), the server is restarted with the same options, and the checks run:
#   - every committed qualifying activity (each dedupe key) of live capture that never changed
#     identity has exactly one link, and its link exactly one entry, unless a person removed it;
#   - no entry without its activity or without its (not released) link; no entry off its
#     activity's current client and open case; no held link for a key that doesn't qualify; a
#     released or dismissed link has no entry, a deleted entry's tombstone none, any other link
#     one; no key with two entries;
#   - an entry a person dismissed or deleted never comes back, also after the activity was
#     renumbered or moved (the removal followed through chk.lineage), and its link keeps it where
#     the activity is;
#   - history not yet reached by the interrupted backfill_team (and team 2 rows whose identity
#     changed) has no link (nothing half-done), and re-running backfill_team captures exactly that
#     remainder, which rounds 1 and 2 require to be more than nothing; after backfilling teams 1
#     and 3 too, no capturable activity lacks its entry;
#   - the load continues after the restart, with capture working (the same checks again, and
#     again after backfilling every team).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cluster.sh
PG_BINDIR="${AUTOTIME_PG_BINDIR:-$PG_BINDIR}"  # e.g. the private copy bench/private_install.sh makes

SERVER_OPTS="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
# shellcheck disable=SC2086
cluster_start $SERVER_OPTS
WORK="$(mktemp -d /tmp/autotime-crash.XXXXXX)"
BG_PIDS=()
cleanup() {
  local p
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  cluster_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
export PGDATABASE=autotime_crash
createdb "$PGDATABASE"
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

# The firm: team t has members t0, t1 (may log time), t2 (may not); t3 is not a member.
# Clients t00..t04; each has an open hourly case, except t04 whose only case is closed.
"${PSQL[@]}" -o /dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION autotime;
SELECT autotime.create_practice_schema();
INSERT INTO teams (team_id, name) SELECT t, 'firm ' || t FROM generate_series(1, 3) t;
INSERT INTO autotime.team_settings (team_id, enabled, timezone)
VALUES (1, true, 'America/Chicago'), (2, true, 'UTC'), (3, true, 'Europe/Paris');
INSERT INTO team_members (team_id, user_id, name, can_log_time, hourly_rate)
SELECT t, t * 10 + u, 'member ' || (t * 10 + u), u < 2, 200 FROM generate_series(1, 3) t, generate_series(0, 2) u;
INSERT INTO clients (team_id, id, name) SELECT t, t * 100 + i, 'client ' || i FROM generate_series(1, 3) t, generate_series(0, 4) i;
INSERT INTO cases (team_id, id, client_id, title, status)
SELECT t, t * 1000 + i, t * 100 + i, 'case ' || i, CASE WHEN i = 4 THEN 'closed' ELSE 'open' END
FROM generate_series(1, 3) t, generate_series(0, 4) i;

-- The checks, written from the rules (not from the extension's code).
CREATE SCHEMA chk;
CREATE VIEW chk.acts AS
  SELECT 'call'::text AS kind, team_id, id, id::text AS key, client_id, case_id, user_id AS actor, started_at AS at,
         status = 'completed' AS q, counterparty LIKE 'history%' AS hist FROM calls
  UNION ALL
  SELECT 'sms', team_id, id, coalesce(CASE WHEN provider_message_id <> '' THEN 'provider:' || provider_message_id END, id::text),
         client_id, case_id, user_id, sent_at, direction = 'outbound' AND status IN ('sent', 'delivered'), body LIKE 'history%'
  FROM sms
  UNION ALL
  SELECT 'document', team_id, id, id::text, client_id, case_id, user_id, created_at, template_id IS NOT NULL, name LIKE 'history%'
  FROM documents
  UNION ALL
  SELECT 'ir_report', team_id, id, id::text, client_id, case_id, user_id, created_at, true, title LIKE 'history%' FROM ir_reports
  UNION ALL
  SELECT 'event', team_id, id, id::text, client_id, case_id, coalesce(completed_by, user_id), completed_at,
         completed_at IS NOT NULL, title LIKE 'history%' FROM events;
-- What the load did to identities and what a person removed, recorded by the load's own statements
-- (same transaction): an identity change old key -> new key; a dismissed or deleted entry's key.
CREATE TABLE chk.lineage (kind text, old_team bigint, old_key text, new_team bigint, new_key text);
CREATE TABLE chk.removed (kind text, team_id bigint, key text, how text);
CREATE TABLE chk.truncations (tag text);  -- written by the TRUNCATE's own transaction
-- A person's removal follows the activity through its identity changes.
CREATE VIEW chk.removed_keys AS
  WITH RECURSIVE r(kind, team_id, key) AS (
    SELECT kind, team_id, key FROM chk.removed
    UNION
    SELECT l.kind, l.new_team, l.new_key FROM r JOIN chk.lineage l ON l.kind = r.kind AND l.old_team = r.team_id
      AND l.old_key = r.key)
  SELECT * FROM r;
-- Capturable keys; history_only: every row is team 2's history (only backfill_team captures it);
-- touched: the key took part in an identity change (such a row may wait for a backfill);
-- removed: a person dismissed or deleted its entry (it must never have one again).
CREATE VIEW chk.keys AS
  SELECT a.kind, a.team_id, a.key, bool_and(a.hist) AS history_only, bool_or(t.key IS NOT NULL) AS touched,
         bool_or(r.key IS NOT NULL) AS removed
  FROM chk.acts a
  JOIN autotime.team_settings s ON s.team_id = a.team_id AND s.enabled
  JOIN team_members m ON m.team_id = a.team_id AND m.user_id = a.actor AND m.can_log_time
  LEFT JOIN (SELECT kind, old_team AS team_id, old_key AS key FROM chk.lineage UNION SELECT kind, new_team, new_key FROM chk.lineage) t
    ON t.kind = a.kind AND t.team_id = a.team_id AND t.key = a.key
  LEFT JOIN (SELECT DISTINCT kind, team_id, key FROM chk.removed_keys) r ON r.kind = a.kind AND r.team_id = a.team_id AND r.key = a.key
  WHERE a.q AND a.at IS NOT NULL
    AND EXISTS (SELECT 1 FROM cases c WHERE c.team_id = a.team_id AND c.client_id = a.client_id
                AND CASE WHEN a.case_id IS NOT NULL THEN c.id = a.case_id ELSE c.status NOT IN ('closed', 'archived') END)
  GROUP BY 1, 2, 3;
-- live_keys_missing: live keys (not history, not touched, not removed) without an entry;
-- pending: keys of team 2 without an entry that a backfill must take (history, or touched), not removed;
-- keys_missing: any capturable key not removed without an entry (zero once every team was backfilled).
CREATE FUNCTION chk.report(OUT activity_rows bigint, OUT qualifying_keys bigint, OUT live_keys_missing bigint,
    OUT history_pending bigint, OUT keys_missing bigint, OUT links bigint, OUT released bigint, OUT dismissed bigint,
    OUT entries bigint, OUT bad_links bigint, OUT unexpected_links bigint, OUT entries_without_activity bigint,
    OUT entries_without_link bigint, OUT keys_with_two_entries bigint, OUT entries_off_client bigint,
    OUT removed_came_back bigint, OUT removals_forgotten bigint)
LANGUAGE sql SET enable_nestloop = off AS $$  -- the CTEs' row estimates are poor: nested loops over them take minutes
  WITH k AS MATERIALIZED (SELECT * FROM chk.keys),
       a AS MATERIALIZED (SELECT * FROM chk.acts),
       rk AS MATERIALIZED (SELECT DISTINCT * FROM chk.removed_keys),
       pd AS MATERIALIZED (SELECT DISTINCT kind, team_id, key FROM chk.removed WHERE how = 'deleted'),
       en AS MATERIALIZED (SELECT team_id, source_kind, source_id, count(*) AS n FROM time_entries GROUP BY 1, 2, 3),
       l AS MATERIALIZED (
         SELECT l.*, coalesce(en.n, 0) AS n, k.key IS NOT NULL AS expected, pd.key IS NOT NULL AS deleted_by_person
         FROM autotime.activity_links l
         LEFT JOIN en ON en.team_id = l.team_id AND en.source_kind = l.kind AND en.source_id = l.source_id
         LEFT JOIN k ON k.kind = l.kind AND k.team_id = l.team_id AND k.key = l.source_key
         LEFT JOIN pd ON pd.kind = l.kind AND pd.team_id = l.team_id AND pd.key = l.source_key),
       held AS MATERIALIZED (SELECT * FROM l WHERE l.released_at IS NULL AND l.n > 0)
  SELECT (SELECT count(*) FROM a),
         (SELECT count(*) FROM k),
         (SELECT count(*) FROM k WHERE NOT k.history_only AND NOT k.touched AND NOT k.removed AND NOT EXISTS (SELECT 1 FROM held
            WHERE held.kind = k.kind AND held.team_id = k.team_id AND held.source_key = k.key)),
         (SELECT count(*) FROM k WHERE k.team_id = 2 AND (k.history_only OR k.touched) AND NOT k.removed AND NOT EXISTS (
            SELECT 1 FROM held WHERE held.kind = k.kind AND held.team_id = k.team_id AND held.source_key = k.key)),
         (SELECT count(*) FROM k WHERE NOT k.removed AND NOT EXISTS (SELECT 1 FROM held WHERE held.kind = k.kind
            AND held.team_id = k.team_id AND held.source_key = k.key)),
         (SELECT count(*) FROM l),
         (SELECT count(*) FROM l WHERE l.released_at IS NOT NULL),
         (SELECT count(*) FROM l WHERE l.dismissed_at IS NOT NULL),
         (SELECT count(*) FROM time_entries),
         -- a released or dismissed link has no entry, a person's deletion's tombstone none, any other link one
         (SELECT count(*) FROM l WHERE CASE WHEN l.released_at IS NOT NULL OR l.dismissed_at IS NOT NULL THEN l.n <> 0
                                            WHEN l.deleted_by_person THEN l.n > 1 ELSE l.n <> 1 END),
         (SELECT count(*) FROM held WHERE NOT held.expected),
         (SELECT count(*) FROM time_entries e WHERE NOT EXISTS (SELECT 1 FROM a WHERE a.kind = e.source_kind
            AND a.team_id = e.team_id AND a.id = e.source_id)),
         (SELECT count(*) FROM time_entries e WHERE NOT EXISTS (SELECT 1 FROM l WHERE l.kind = e.source_kind
            AND l.team_id = e.team_id AND l.source_id = e.source_id AND l.released_at IS NULL AND l.dismissed_at IS NULL)),
         (SELECT count(*) FROM (SELECT 1 FROM time_entries e JOIN a ON a.kind = e.source_kind AND a.team_id = e.team_id
            AND a.id = e.source_id GROUP BY a.kind, a.team_id, a.key HAVING count(*) > 1) d),
         -- each entry on its activity's current client, and on an open case of that client
         (SELECT count(*) FROM time_entries e JOIN a ON a.kind = e.source_kind AND a.team_id = e.team_id AND a.id = e.source_id
          WHERE e.client_id IS DISTINCT FROM a.client_id OR NOT EXISTS (SELECT 1 FROM cases c WHERE c.team_id = e.team_id
            AND c.id = e.case_id AND c.client_id = a.client_id AND c.status NOT IN ('closed', 'archived'))),
         (SELECT count(*) FROM time_entries e JOIN a ON a.kind = e.source_kind AND a.team_id = e.team_id AND a.id = e.source_id
            JOIN rk ON rk.kind = a.kind AND rk.team_id = a.team_id AND rk.key = a.key),
         -- the ledger keeps a removal where the activity is: at the removed key while it never left it
         -- (a dismissal as a dismissed link), and at a key an identity change took it to while a row
         -- is there, in a team that captures (the id key it left may be released)
         (SELECT count(*) FROM (SELECT DISTINCT d.kind, d.team_id, d.key, d.how = 'dismissed' AS dismissed FROM chk.removed d
            WHERE NOT EXISTS (SELECT 1 FROM chk.lineage x WHERE x.kind = d.kind AND x.old_team = d.team_id AND x.old_key = d.key)
            UNION SELECT DISTINCT a.kind, a.team_id, a.key, false FROM a JOIN rk ON rk.kind = a.kind AND rk.team_id = a.team_id
              AND rk.key = a.key WHERE EXISTS (SELECT 1 FROM chk.lineage x WHERE x.kind = a.kind AND x.new_team = a.team_id
              AND x.new_key = a.key) AND EXISTS (SELECT 1 FROM autotime.team_settings s WHERE s.team_id = a.team_id AND s.enabled)) r
          WHERE NOT EXISTS (SELECT 1 FROM l WHERE l.kind = r.kind AND l.team_id = r.team_id AND l.source_key = r.key
            AND l.released_at IS NULL AND (NOT r.dismissed OR l.dismissed_at IS NOT NULL)))
$$;
CREATE TABLE resend_calls (LIKE calls);  -- scratch tables of the load (one load session at a time)
CREATE TABLE resend_events (LIKE events);
CREATE TABLE keep_sms (LIKE sms);
SQL

# History for team 2, written while it is disabled (so only backfill_team can capture it).
write_history() {  # round
  "${PSQL[@]}" <<SQL
UPDATE autotime.team_settings SET enabled = false WHERE team_id = 2;
INSERT INTO calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
SELECT 2, 200 + g % 5, 20 + g % 4, 'outbound', CASE WHEN g % 6 = 0 THEN 'missed' ELSE 'completed' END,
       now() - g * interval '1 minute', g % 900, 'history r$1' FROM generate_series(1, 12000) g;
INSERT INTO sms (team_id, client_id, user_id, direction, status, body, provider_message_id, sent_at)
SELECT 2, 200 + g % 5, 20 + g % 4, 'outbound', 'sent', 'history r$1', 'SM-2-' || (g % 3000), now() - g * interval '1 minute'
FROM generate_series(1, 4000) g;
INSERT INTO documents (team_id, client_id, user_id, name, template_id, created_at)
SELECT 2, 200 + g % 5, 20 + g % 4, 'history r$1 doc ' || g, CASE WHEN g % 4 = 0 THEN NULL ELSE 3 END, now() - g * interval '1 minute'
FROM generate_series(1, 6000) g;
INSERT INTO events (team_id, client_id, user_id, title, starts_at, completed_at)
SELECT 2, 200 + g % 5, 20 + g % 4, 'history r$1 event', now() - g * interval '1 hour', now() - g * interval '1 hour'
FROM generate_series(1, 4000) g;
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 2;
SQL
}

# The load of one round: $2 statements, each its own transaction, rows tagged with round and statement.
# Statement i runs kind ORDER[i % 13]: the identity changes (8-12) and the two TRUNCATEs (statements 4
# and 9) come early, so that every round's kill finds them done or under way.
ORDER=(0 8 2 9 6 10 1 11 3 12 5 4 7)
write_load() {  # round statements file
  local r=$1 n=$2 f=$3 i k tag
  : >"$f"
  for ((i = 1; i <= n; i++)); do
    tag="live r$r s$i"
    k=${ORDER[$((i % 13))]}
    if [ "$i" -eq 4 ] || [ "$i" -eq 9 ]; then
      # TRUNCATE of the texts (all teams, history included), a third of them sent again: in the same
      # transaction, or (the second time) in the next one.
      echo "BEGIN; LOCK TABLE sms IN ACCESS EXCLUSIVE MODE; DELETE FROM keep_sms;
INSERT INTO keep_sms SELECT * FROM sms WHERE id % 3 = 0; TRUNCATE sms; INSERT INTO chk.truncations VALUES ('$tag');"
      if [ "$i" -eq 4 ]; then echo "INSERT INTO sms SELECT * FROM keep_sms; COMMIT;"
      else echo "COMMIT; INSERT INTO sms SELECT * FROM keep_sms;"; fi
    fi
    case $k in
      0) echo "INSERT INTO calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
SELECT t, t * 100 + g % 5, t * 10 + (g * 7) % 4, CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       CASE WHEN g % 5 = 0 THEN 'ringing' WHEN g % 11 = 0 THEN 'missed' ELSE 'completed' END,
       now() - g * interval '1 second', g % 600, '$tag'
FROM generate_series(1, 900) g, LATERAL (SELECT 1 + (g + $i) % 3 AS t) x;" ;;
      1) echo "INSERT INTO sms (team_id, client_id, user_id, direction, status, body, provider_message_id, sent_at)
SELECT t, t * 100 + g % 5, t * 10 + g % 4, 'outbound', CASE WHEN g % 7 = 0 THEN 'queued' ELSE 'sent' END, '$tag',
       CASE WHEN g % 9 = 0 THEN NULL ELSE 'SM-' || t || '-' || ((g * 13 + $i * 31) % 3000) END, now()
FROM generate_series(1, 400) g, LATERAL (SELECT 1 + g % 3 AS t) x;" ;;
      2) echo "INSERT INTO documents (team_id, client_id, user_id, name, template_id)
SELECT t, t * 100 + g % 5, t * 10 + g % 4, '$tag doc ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 1 END
FROM generate_series(1, 700) g, LATERAL (SELECT 1 + (g + $i) % 3 AS t) x;" ;;
      3) echo "INSERT INTO events (team_id, client_id, user_id, title, starts_at)
SELECT t, t * 100 + g % 5, t * 10 + g % 4, '$tag event', now() FROM generate_series(1, 500) g, LATERAL (SELECT 1 + g % 3 AS t) x;" ;;
      4) echo "UPDATE calls SET status = 'completed' WHERE (team_id, id) IN
  (SELECT team_id, id FROM calls WHERE status = 'ringing' AND counterparty LIKE 'live%' ORDER BY id LIMIT 500);" ;;
      5) echo "UPDATE events SET completed_at = now(), completed_by = CASE WHEN id % 3 = 0 THEN NULL ELSE team_id * 10 + id % 3 END
WHERE (team_id, id) IN (SELECT team_id, id FROM events WHERE completed_at IS NULL ORDER BY id LIMIT 400);" ;;
      6) echo "COPY ir_reports (team_id, client_id, user_id, title, created_at) FROM STDIN;"
         awk -v tag="$tag" 'BEGIN { for (g = 1; g <= 600; g++) { t = 1 + g % 3;
           printf "%d\t%d\t%d\t%s report %d\t2026-05-%02d 10:00:00+00\n", t, t * 100 + g % 5, t * 10 + g % 4, tag, g, 1 + g % 28 } }'
         echo '\.' ;;
      7) echo "UPDATE sms SET status = 'sent', sent_at = now() WHERE (team_id, id) IN
  (SELECT team_id, id FROM sms WHERE status = 'queued' AND body LIKE 'live%' ORDER BY id LIMIT 200);
-- dismissals, the keys recorded by the same statement
WITH d AS (SELECT id, team_id, source_kind, source_id FROM time_entries WHERE team_id = 1 + $i % 3 AND status = 'draft'
             AND id % 97 = $i % 97 ORDER BY id DESC LIMIT 3 FOR UPDATE),
     r AS (INSERT INTO chk.removed SELECT d.source_kind, d.team_id, l.source_key, 'dismissed' FROM d
             JOIN autotime.activity_links l ON l.team_id = d.team_id AND l.kind = d.source_kind AND l.source_id = d.source_id
             AND l.released_at IS NULL)
SELECT autotime.dismiss(ARRAY(SELECT id FROM d), team_id => 1 + $i % 3);" ;;
      # Identity changes, each recorded in chk.lineage by its own statement.
      8) echo "-- completed calls renumbered: the latest history (not captured yet: racing backfill_team), or live ones
WITH o AS (SELECT team_id, id FROM calls WHERE id < 1000000000 AND status = 'completed'
             ORDER BY id DESC OFFSET 200 LIMIT 60 FOR UPDATE),
     u AS (UPDATE calls x SET id = x.id + 1000000000 FROM o WHERE x.team_id = o.team_id AND x.id = o.id
             RETURNING o.team_id AS old_team, o.id AS old_id, x.team_id AS new_team, x.id AS new_id)
INSERT INTO chk.lineage SELECT 'call', old_team, old_id::text, new_team, new_id::text FROM u;
-- a call whose entry a person dismissed or deleted, renumbered (the removal must follow it)
WITH o AS (SELECT c.team_id, c.id FROM calls c JOIN chk.removed r ON r.kind = 'call' AND r.team_id = c.team_id
             AND c.id = r.key::bigint WHERE c.id < 1000000000 ORDER BY c.id DESC LIMIT 2 FOR UPDATE OF c),
     u AS (UPDATE calls x SET id = x.id + 1000000000 FROM o WHERE x.team_id = o.team_id AND x.id = o.id
             RETURNING o.team_id AS old_team, o.id AS old_id, x.team_id AS new_team, x.id AS new_id)
INSERT INTO chk.lineage SELECT 'call', old_team, old_id::text, new_team, new_id::text FROM u;" ;;
      9) echo "-- documents moved to the next team (a client, member and no case of that team)
WITH o AS (SELECT team_id, id FROM documents WHERE name LIKE 'live%' ORDER BY id DESC OFFSET 300 LIMIT 40 FOR UPDATE),
     u AS (UPDATE documents x SET team_id = x.team_id % 3 + 1, client_id = (x.team_id % 3 + 1) * 100 + x.client_id % 100,
             user_id = (x.team_id % 3 + 1) * 10 + x.user_id % 10, case_id = NULL FROM o
           WHERE x.team_id = o.team_id AND x.id = o.id
           RETURNING o.team_id AS old_team, o.id AS old_id, x.team_id AS new_team, x.id AS new_id)
INSERT INTO chk.lineage SELECT 'document', old_team, old_id::text, new_team, new_id::text FROM u;" ;;
      10) echo "-- IR reports' client corrected (client 4 has no open case: those lose their entry)
WITH o AS (SELECT team_id, id FROM ir_reports WHERE title LIKE 'live%' AND case_id IS NULL ORDER BY id DESC OFFSET 100 LIMIT 80
             FOR UPDATE),
     u AS (UPDATE ir_reports x SET client_id = x.team_id * 100 + (x.client_id + 1 + x.id % 3) % 5 FROM o
           WHERE x.team_id = o.team_id AND x.id = o.id
           RETURNING o.team_id AS old_team, o.id AS old_id, x.team_id AS new_team, x.id AS new_id)
INSERT INTO chk.lineage SELECT 'ir_report', old_team, old_id::text, new_team, new_id::text FROM u;
-- drafts deleted by hand (the key recorded by the same statement)
WITH e AS (DELETE FROM time_entries WHERE team_id = 1 + $i % 3 AND status = 'draft' AND id IN (SELECT id FROM time_entries
             WHERE team_id = 1 + $i % 3 AND id % 83 = $i % 83 ORDER BY id DESC LIMIT 2)
           RETURNING team_id, source_kind, source_id)
INSERT INTO chk.removed SELECT e.source_kind, e.team_id, l.source_key, 'deleted' FROM e JOIN autotime.activity_links l
  ON l.team_id = e.team_id AND l.kind = e.source_kind AND l.source_id = e.source_id AND l.released_at IS NULL;" ;;
      11) echo "-- a sync job re-sends calls: DELETE and INSERT of the same rows, one transaction
BEGIN; DELETE FROM resend_calls;
WITH d AS (DELETE FROM calls x USING (SELECT team_id, id FROM calls WHERE id % 50 = $i % 50 ORDER BY id DESC LIMIT 100) v
           WHERE x.team_id = v.team_id AND x.id = v.id RETURNING x.*)
INSERT INTO resend_calls SELECT * FROM d;
INSERT INTO calls SELECT * FROM resend_calls; COMMIT;" ;;
      12) echo "-- events re-sent in two transactions (deleted, then inserted again)
DELETE FROM resend_events;
WITH d AS (DELETE FROM events x USING (SELECT team_id, id FROM events WHERE id % 40 = $i % 40 ORDER BY id DESC LIMIT 80) v
           WHERE x.team_id = v.team_id AND x.id = v.id RETURNING x.*)
INSERT INTO resend_events SELECT * FROM d;
INSERT INTO events SELECT * FROM resend_events;" ;;
    esac
  done >>"$f"
}

report() {  # label -> prints the figures, sets VIOLATIONS, HISTORY_PENDING, KEYS_MISSING and ENTRIES
  local row
  row=$(psql -X -At -F ' ' -c "SELECT * FROM chk.report()")
  read -r A_ROWS KEYS LIVE_MISSING HISTORY_PENDING KEYS_MISSING LINKS RELEASED DISMISSED ENTRIES BAD_LINKS UNEXPECTED \
    NO_ACTIVITY NO_LINK TWO_ENTRIES OFF_CLIENT CAME_BACK FORGOTTEN <<<"$row"
  VIOLATIONS=$((LIVE_MISSING + BAD_LINKS + UNEXPECTED + NO_ACTIVITY + NO_LINK + TWO_ENTRIES + OFF_CLIENT + CAME_BACK + FORGOTTEN))
  printf '  %-26s rows %s, qualifying keys %s, links %s (%s released, %s dismissed), entries %s, history pending %s, keys missing %s | ' \
    "$1:" "$A_ROWS" "$KEYS" "$LINKS" "$RELEASED" "$DISMISSED" "$ENTRIES" "$HISTORY_PENDING" "$KEYS_MISSING"
  printf 'live keys missing %s, bad links %s, unexpected links %s, entries w/o activity %s, entries w/o link %s, keys with 2 entries %s, entries off their client %s, removed by a person and back %s, removals forgotten %s\n' \
    "$LIVE_MISSING" "$BAD_LINKS" "$UNEXPECTED" "$NO_ACTIVITY" "$NO_LINK" "$TWO_ENTRIES" "$OFF_CLIENT" "$CAME_BACK" "$FORGOTTEN"
}

backfill_other_teams() {  # teams 1 and 3: identity changes may leave rows waiting for a backfill
  psql -X -q -v ON_ERROR_STOP=1 -c "CALL autotime.backfill_team(1)" -c "CALL autotime.backfill_team(3)" >/dev/null 2>&1
}

restart_server() {  # the same start command as cluster_start (scripts/cluster.sh), same options
  # shellcheck disable=SC2086
  runuser -u postgres -- env ${CLUSTER_ENV:-} "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w -t 120 \
    -o "-k $CLUSTER_DIR -p $CLUSTER_PORT -c listen_addresses='' -c fsync=off $SERVER_OPTS" start >/dev/null
}

FAILED=0
SUMMARY=()
BATCHES=(25 5 50)  # when to kill: once backfill_team has reported this many committed batches
LOAD_STATEMENTS=400
for round in 1 2 3; do
  delay="batch ${BATCHES[$((round - 1))]}"
  echo "== round $round: history for team 2, then load + backfill_team(2), kill -9 at: $delay"
  write_history "$round"
  identity_before=$(psql -X -At -c "SELECT (SELECT count(*) FROM chk.lineage) || ' ' || (SELECT count(*) FROM chk.removed)
                                    || ' ' || (SELECT count(*) FROM chk.truncations)")
  report "before round $round"
  base_entries=$ENTRIES
  write_load "$round" "$LOAD_STATEMENTS" "$WORK/load$round.sql"
  : >"$WORK/load$round.log"
  psql -X -q -v ON_ERROR_STOP=1 -f "$WORK/load$round.sql" >"$WORK/load$round.log" 2>&1 &
  load_pid=$!
  psql -X -q -v ON_ERROR_STOP=1 -c "CALL autotime.backfill_team(2, batch_size => 200)" >"$WORK/backfill$round.log" 2>&1 &
  backfill_pid=$!
  BG_PIDS=("$load_pid" "$backfill_pid")
  # Kill once backfill_team has committed that many batches and is still going.
  t0=$SECONDS
  until [ "$(grep -c 'ids up to' "$WORK/backfill$round.log" || true)" -ge "${BATCHES[$((round - 1))]}" ] \
        || ! kill -0 "$backfill_pid" 2>/dev/null || [ $((SECONDS - t0)) -ge 60 ]; do sleep 0.02; done

  load_running=no; backfill_running=no
  kill -0 "$load_pid" 2>/dev/null && load_running=yes
  kill -0 "$backfill_pid" 2>/dev/null && backfill_running=yes
  batches_before=$(grep -c 'ids up to' "$WORK/backfill$round.log" || true)
  pm_pid=$(head -n 1 "$CLUSTER_DIR/data/postmaster.pid")
  children=$(pgrep -P "$pm_pid" | tr '\n' ' ' || true)
  if [ "$round" -eq 3 ]; then
    kill -9 "$pm_pid"
    how="postmaster only"
  else
    # shellcheck disable=SC2086
    kill -9 "$pm_pid" $children 2>/dev/null || true
    how="postmaster and its $(echo "$children" | wc -w) children"
  fi
  echo "  killed ($how) at $delay: load running: $load_running, backfill_team running: $backfill_running" \
       "(backfill had reported $batches_before committed batches)"
  wait "$load_pid" 2>/dev/null || true
  wait "$backfill_pid" 2>/dev/null || true
  BG_PIDS=()
  # The old server's processes must be gone before a new postmaster can take the data directory.
  t0=$SECONDS
  for _ in $(seq 1 300); do
    alive=""
    for p in $pm_pid $children; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  if [ -n "$alive" ]; then
    echo "  old server processes still alive after 30s:$alive; killing them"
    # shellcheck disable=SC2086
    kill -9 $alive 2>/dev/null || true
    sleep 1
  fi
  echo "  old server processes gone $((SECONDS - t0))s after the kill"
  restart_server >"$WORK/restart$round.log" 2>&1 \
    || { cat "$WORK/restart$round.log"; echo "restart failed:"; tail -n 30 "$CLUSTER_DIR/server.log"; exit 1; }
  recovery=$(grep -E 'database system was interrupted|redo done at|redo starts at|database system is ready' \
               "$CLUSTER_DIR/server.log" | tail -n 3 | sed 's/^.*LOG: *//' | tr '\n' ';')
  echo "  restarted; server log: $recovery"

  committed=$(psql -X -At -c "SELECT count(DISTINCT tag) FROM (
      SELECT counterparty AS tag FROM calls UNION ALL SELECT body FROM sms UNION ALL SELECT split_part(name, ' doc ', 1) FROM documents
      UNION ALL SELECT split_part(title, ' report ', 1) FROM ir_reports UNION ALL SELECT split_part(title, ' event', 1) FROM events) t
    WHERE tag LIKE 'live r$round s%'")
  inserts_sent=$(grep -c '^INSERT INTO [a-z_]* (\|^COPY' "$WORK/load$round.sql")
  committed_rows=$(psql -X -At -c "SELECT (SELECT count(*) FROM calls WHERE counterparty LIKE 'live r$round s%')
      + (SELECT count(*) FROM sms WHERE body LIKE 'live r$round s%') + (SELECT count(*) FROM documents WHERE name LIKE 'live r$round s%')
      + (SELECT count(*) FROM ir_reports WHERE title LIKE 'live r$round s%') + (SELECT count(*) FROM events WHERE title LIKE 'live r$round s%')")
  echo "  committed before the kill: $committed of $inserts_sent insert/COPY statements, $committed_rows activity rows"
  read -r lineage0 removed0 truncations0 <<<"$identity_before"
  identity_done=$(psql -X -At -c "SELECT (SELECT count(*) FROM chk.lineage) - $lineage0 || ' identity changes (renumbered,
    moved or client corrected rows), ' || (SELECT count(*) FROM chk.removed) - $removed0 || ' entries dismissed or deleted, '
    || (SELECT count(*) FROM chk.truncations) - $truncations0 || ' TRUNCATEs of sms'" | tr -s ' \n' ' ')
  echo "  identity operations committed before the kill: $identity_done"
  report "after restart"
  v_restart=$VIOLATIONS
  pending=$HISTORY_PENDING
  entries_after_crash=$ENTRIES

  # The interrupted backfill resumes: it must capture exactly the history still pending.
  created=$(psql -X -At -c "CALL autotime.backfill_team(2)" 2>&1 | sed -n 's/.*done: .*, \([0-9]*\) entries created.*/\1/p')
  report "after backfill_team resume"
  v_resume=$VIOLATIONS
  resume_ok=yes
  if [ "$HISTORY_PENDING" -ne 0 ]; then resume_ok="no ($HISTORY_PENDING history keys still pending)"; fi
  if [ "${created:-x}" != "$pending" ]; then resume_ok="no (created ${created:-?}, pending was $pending)"; fi
  if [ "$ENTRIES" -ne $((entries_after_crash + pending)) ]; then
    resume_ok="no (entries went $entries_after_crash -> $ENTRIES, pending was $pending)"
  fi
  # The other teams too: then nothing capturable (and not removed by a person) may lack its entry.
  backfill_other_teams
  report "after backfilling all"
  v_resume=$((v_resume + VIOLATIONS))
  if [ "$KEYS_MISSING" -ne 0 ]; then resume_ok="no ($KEYS_MISSING keys without an entry after backfilling every team)"; fi

  # The load continues on the recovered server, capture working.
  write_load "$round-after" 24 "$WORK/more$round.sql"
  before_more=$ENTRIES
  continue_ok=yes
  psql -X -q -v ON_ERROR_STOP=1 -f "$WORK/more$round.sql" >"$WORK/more$round.log" 2>&1 \
    || { continue_ok="no (load failed: $(tail -n 3 "$WORK/more$round.log" | tr '\n' ' '))"; }
  report "after continuing the load"
  v_continue=$VIOLATIONS
  if [ "$ENTRIES" -le "$before_more" ]; then continue_ok="no (no new entries: $before_more -> $ENTRIES)"; fi
  psql -X -q -v ON_ERROR_STOP=1 -c "CALL autotime.backfill_team(2)" >/dev/null 2>&1
  backfill_other_teams
  report "after backfilling all"
  v_continue=$((v_continue + VIOLATIONS))
  if [ "$KEYS_MISSING" -ne 0 ]; then continue_ok="no ($KEYS_MISSING keys without an entry after backfilling every team)"; fi

  status=passed
  if [ "$v_restart" -ne 0 ] || [ "$v_resume" -ne 0 ] || [ "$v_continue" -ne 0 ] || [ "$resume_ok" != yes ] \
     || [ "$continue_ok" != yes ] || [ "$load_running" != yes ] || [ "$backfill_running" != yes ] \
     || { [ "$round" -ne 3 ] && [ "$pending" -eq 0 ]; }; then
    status=FAILED; FAILED=1
  fi
  echo "  round $round: $status (violations after restart $v_restart, after resume $v_resume, after continuing $v_continue;" \
       "resume exact: $resume_ok; continue: $continue_ok)"
  SUMMARY+=("round $round (kill at $delay, $how, load running: $load_running, backfill running: $backfill_running): $committed/$inserts_sent insert statements committed ($committed_rows rows), $identity_done; entries $base_entries -> $entries_after_crash after restart; history pending $pending, backfill resume created ${created:-?}; entries after continuing $ENTRIES; violations $v_restart/$v_resume/$v_continue -> $status")
done

echo
echo "crash recovery summary:"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
report "final"
if [ "$FAILED" -ne 0 ]; then echo "crash_recovery: FAILED"; exit 1; fi
echo "crash_recovery: passed"
