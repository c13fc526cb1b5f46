#!/usr/bin/env bash
# pg_dump / pg_restore of a database using autotime.
#
# Builds a source database: the practice schema in a schema of its own ("Practice Data": a name
# that needs quoting, so the regclass columns of autotime.attachments/bindings must round-trip
# as text), settings for two teams, captured activity of every kind, an approved entry, a deleted
# entry (its link stays: the tombstone), a dismissed entry (autotime.dismiss), and history that
# was never captured (written while team 1 was disabled; team 3 has no settings row at all).
# Dumps it (pg_dump -Fc and -Fp) and restores it five ways: pg_restore, pg_restore -j 2,
# pg_restore --single-transaction, pg_dump -Fp | psql, and pg_restore --clean --if-exists over an
# existing copy that has moved on. Each restored database must have:
#   - autotime.team_settings, activity_links, time_entries byte-for-byte as in the source, the
#     attachments and bindings pointing at the restored tables, the capture triggers in place;
#   - the same autotime.explain() verdict for every activity as the source;
#   - live capture working: new activity gets entries, a replayed text does not;
#   - backfill_automatic_time creating exactly the un-captured history, never the tombstoned or
#     dismissed activities, and nothing on a second run; no duplicate entries anywhere.
# A restore that fails is shown with pg_restore's own error output and fails the test.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cluster.sh
cluster_start ""  # no extra server options
WORK="$(mktemp -d /tmp/autotime-dump.XXXXXX)"
chown postgres: "$WORK"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
S='"Practice Data"'

createdb autotime_src
"${PSQL[@]}" -d autotime_src -o /dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION autotime;
SELECT autotime.create_practice_schema('Practice Data');
SET search_path = $S, public;
INSERT INTO teams (team_id, name) VALUES (1, 'Hale & Ortiz'), (2, 'Other Firm'), (3, 'Quiet LLP');
INSERT INTO autotime.team_settings (team_id, enabled, minutes_per_activity, sms_minutes, timezone)
VALUES (1, true, 6, 3, 'America/New_York');
INSERT INTO autotime.team_settings (team_id, enabled, minutes_per_activity, call_minutes_mode, flat_fee_policy, timezone, track_documents)
VALUES (2, true, 10, 'rounded_duration', 'billable', 'Europe/Berlin', false);
INSERT INTO team_members (team_id, user_id, name, can_log_time, hourly_rate) VALUES
  (1, 10, 'Ann', true, 300), (1, 11, 'Bob', false, 250), (2, 20, 'Dee', true, 120), (3, 30, 'Eve', true, 90);
INSERT INTO clients (team_id, id, name) VALUES (1, 100, 'Acme'), (1, 101, 'Zeta'), (2, 200, 'Other'), (3, 300, 'Quiet');
INSERT INTO cases (team_id, id, client_id, title, status, billing_type, updated_at) VALUES
  (1, 1000, 100, 'Acme v. Bolt', 'open', 'hourly', '2026-01-01 00:00+00'),
  (1, 1010, 101, 'Zeta closed', 'closed', 'hourly', '2026-01-01 00:00+00'),
  (2, 2000, 200, 'Other matter', 'open', 'flat_fee', '2026-01-01 00:00+00'),
  (3, 3000, 300, 'Quiet matter', 'open', 'hourly', '2026-01-01 00:00+00');
-- Captured activity of every kind (ids fixed so the checks can name them).
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-01 15:00+00', 300),
  (1, 2, 100, 10, 'inbound', 'completed', '2026-03-02 15:00+00', 60),
  (1, 3, 100, 10, 'outbound', 'completed', '2026-03-03 15:00+00', 60),
  (1, 4, 100, 11, 'outbound', 'completed', '2026-03-03 16:00+00', 60),   -- Bob can't log time
  (1, 5, 101, 10, 'outbound', 'completed', '2026-03-03 17:00+00', 60),   -- no open case
  (2, 6, 200, 20, 'outbound', 'completed', '2026-03-04 23:30+00', 1300); -- rounded: 30 min
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 7, 100, 10, 'outbound', 'ringing', '2026-03-05 15:00+00');
UPDATE calls SET status = 'completed' WHERE team_id = 1 AND id = 7;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, body, provider_message_id, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', 'private body', 'SM-1', '2026-03-01 15:00+00'),
  (1, 2, 100, 10, 'outbound', 'delivered', 'private body', 'SM-1', '2026-03-01 15:00+00'),  -- replay
  (2, 3, 200, 20, 'outbound', 'sent', 'hello', NULL, '2026-03-02 15:00+00');
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at) VALUES
  (1, 1, 100, 10, 'Engagement letter', 7, '2026-03-01 15:00+00'),
  (1, 2, 100, 10, 'Scratch notes', NULL, '2026-03-01 15:00+00'),
  (2, 3, 200, 20, 'Kind turned off for team 2', 7, '2026-03-01 15:00+00');
INSERT INTO ir_reports (team_id, id, client_id, user_id, title, transcript, created_at) VALUES
  (1, 1, 100, 10, 'Intake interview', 'secret', '2026-03-01 15:00+00');
INSERT INTO events (team_id, id, client_id, user_id, title, starts_at) VALUES
  (1, 1, 100, 10, 'Hearing', '2026-03-06 15:00+00');
UPDATE events SET completed_at = '2026-03-06 17:00+00', completed_by = 10 WHERE team_id = 1 AND id = 1;
-- Review: one approved, one deleted by a person (tombstone), one dismissed.
SELECT autotime.approve(ARRAY(SELECT id FROM time_entries WHERE source_kind = 'call' AND source_id = 3), 10);
DELETE FROM time_entries WHERE source_kind = 'call' AND source_id = 1;
SELECT autotime.dismiss(ARRAY(SELECT id FROM time_entries WHERE source_kind = 'call' AND source_id = 2));
-- History that was never captured: team 1 disabled for a moment, and team 3 (no settings row).
UPDATE autotime.team_settings SET enabled = false WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 50, 100, 10, 'outbound', 'completed', '2026-02-01 15:00+00');
INSERT INTO ir_reports (team_id, id, client_id, user_id, title, created_at) VALUES
  (1, 50, 100, 10, 'Old report', '2026-02-01 15:00+00');
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (3, 60, 300, 30, 'outbound', 'completed', '2026-02-01 15:00+00');
-- SPEC §7: a billing rule (Acme's entries may be at most 5 minutes: each is flagged) and an
-- application's edit of an entry (in its history).
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (1, 100, 'max_entry_minutes', '5');
UPDATE time_entries SET description = 'Edited by the app' WHERE team_id = 1 AND source_kind = 'call' AND source_id = 3;
-- A backfill with nothing to do: a row of autotime.backfill_runs (after a restore, new runs are
-- numbered after it).
SELECT autotime.backfill_automatic_time(101);
-- Later ids come from the identity sequences, which the restore must carry over.
SELECT setval(pg_get_serial_sequence('$S.calls', 'id'), 100);
SELECT setval(pg_get_serial_sequence('$S.sms', 'id'), 100);
SQL

# What must survive, as text (the same queries on source and targets).
snapshot() {  # db file
  psql -X -At -d "$1" >"$2" <<SQL
SELECT 'settings', s::text FROM autotime.team_settings s ORDER BY team_id;
SELECT 'link', l::text FROM autotime.activity_links l ORDER BY team_id, kind, source_key;
SELECT 'entry', e::text FROM $S.time_entries e ORDER BY team_id, id;
SELECT 'attachment', source::text, kind, columns, qualifies, attached_at FROM autotime.attachments ORDER BY source::text;
SELECT 'binding', role, rel::text, columns FROM autotime.bindings ORDER BY role;
SELECT 'run', r.id, r.team_id, r.client_id, r.entries_created FROM autotime.backfill_runs r ORDER BY id;
SELECT 'rule', r::text FROM autotime.billing_rules r ORDER BY team_id, client_id, rule;
SELECT 'flag', f::text FROM autotime.entry_flags f ORDER BY team_id, entry_id, rule;
SELECT 'history', h.change_id, h.team_id, h.entry_id, h.at, h.actor, h.action, h.changes FROM autotime.entry_history h
 ORDER BY change_id;
SELECT 'explain', kind, id, autotime.explain(kind, id) - 'time_entry_id' FROM (
  SELECT 'call' AS kind, id FROM $S.calls UNION ALL SELECT 'sms', id FROM $S.sms UNION ALL
  SELECT 'document', id FROM $S.documents UNION ALL SELECT 'ir_report', id FROM $S.ir_reports UNION ALL
  SELECT 'event', id FROM $S.events) a ORDER BY 2, 3;
SQL
}
snapshot autotime_src "$WORK/src.txt"
src_links=$(grep -c '^link' "$WORK/src.txt")
src_entries=$(grep -c '^entry' "$WORK/src.txt")
src_tombstones=$(psql -X -At -d autotime_src -c "SELECT count(*) FROM autotime.activity_links l WHERE NOT EXISTS
  (SELECT 1 FROM $S.time_entries e WHERE e.team_id = l.team_id AND e.source_kind = l.kind AND e.source_id = l.source_id)")
echo "source: $src_links links, $src_entries entries, $src_tombstones links without entry (1 deleted, 1 dismissed)"
[ "$src_tombstones" = 2 ] || { echo "dump_restore: FAILED: the source database is not as intended"; exit 1; }

runuser -u postgres -- pg_dump -h "$PGHOST" -p "$PGPORT" -U postgres -Fc -f "$WORK/src.dump" autotime_src \
  2>"$WORK/dump.err" || { cat "$WORK/dump.err"; echo "dump_restore: FAILED: pg_dump failed"; exit 1; }
runuser -u postgres -- pg_dump -h "$PGHOST" -p "$PGPORT" -U postgres -Fp -f "$WORK/src.sql" autotime_src \
  2>>"$WORK/dump.err" || { cat "$WORK/dump.err"; echo "dump_restore: FAILED: pg_dump (plain) failed"; exit 1; }
echo "pg_dump: custom $(stat -c %s "$WORK/src.dump") bytes, plain $(stat -c %s "$WORK/src.sql") bytes$( [ -s "$WORK/dump.err" ] && echo "; stderr: $(tr '\n' ' ' <"$WORK/dump.err")")"

FAILED=0
SUMMARY=()
check() {  # description, test command...
  local what=$1
  shift
  if "$@"; then echo "    ok   $what"; else echo "    FAIL $what"; FAILED=1; TARGET_FAILED=1; fi
}

verify() {  # db, how it was restored
  local db=$1 how=$2 out
  TARGET_FAILED=0
  echo "  $db ($how):"
  snapshot "$db" "$WORK/$db.txt"
  diff -u "$WORK/src.txt" "$WORK/$db.txt" >"$WORK/$db.diff" && out=0 || out=1
  check "settings, links (tombstone and dismissal included), entries, attachments, bindings and every explain() verdict identical" \
    test "$out" -eq 0
  [ $out -eq 0 ] || sed 's/^/      /' "$WORK/$db.diff" | head -n 40
  out=$(psql -X -At -d "$db" -c "SELECT count(*) FROM autotime.attachments a JOIN pg_trigger t ON t.tgrelid = a.source
    AND t.tgname IN ('autotime_capture_insert', 'autotime_capture_update', 'autotime_capture_delete') AND NOT t.tgisinternal")
  check "capture triggers on the 5 attached tables: $out of 15" [ "$out" = 15 ]
  out=$(psql -X -At -d "$db" -c "SELECT count(*) FROM autotime.bindings b JOIN pg_class c ON c.oid = b.rel
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'Practice Data'")
  check "bindings point at the restored tables: $out of 3" [ "$out" = 3 ]
  out=$(psql -X -At -d "$db" -c "SELECT count(*) FROM autotime.bindings b JOIN pg_trigger t ON t.tgrelid = b.rel
    AND t.tgname IN ('autotime_entry_history', 'autotime_entry_guidelines') AND NOT t.tgisinternal")
  check "history and guideline triggers on the entries table: $out of 2" [ "$out" = 2 ]
  local restored_history
  restored_history=$(psql -X -At -d "$db" -c "SELECT coalesce(max(change_id), 0) FROM autotime.entry_history")

  # Capture continues: two new calls, a new text and a replay of SM-1 (already linked) in one statement each.
  out=$("${PSQL[@]}" -At -d "$db" 2>&1 <<SQL
SET search_path = $S, public;
INSERT INTO calls (team_id, client_id, user_id, direction, status, started_at) VALUES
  (1, 100, 10, 'outbound', 'completed', '2026-04-01 15:00+00'), (2, 200, 20, 'inbound', 'completed', '2026-04-01 15:00+00');
INSERT INTO sms (team_id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 100, 10, 'outbound', 'sent', 'SM-1', '2026-04-01 15:00+00'), (1, 100, 10, 'outbound', 'sent', 'SM-NEW', '2026-04-01 15:00+00');
SELECT count(*) FROM time_entries e JOIN calls c ON c.team_id = e.team_id AND c.id = e.source_id AND e.source_kind = 'call'
 WHERE c.id > 100;
SELECT count(*) FROM time_entries e JOIN sms s ON s.team_id = e.team_id AND s.id = e.source_id AND e.source_kind = 'sms'
 WHERE s.id > 100;
SQL
) || true
  out=$(echo "$out" | tr '\n' ' ' | sed 's/ *$//')
  check "new activity captured (new calls: 2 entries, new texts: 1 entry, the SM-1 replay none): $out" [ "$out" = "2 1" ]
  out=$(psql -X -At -d "$db" -c "SELECT count(*) FILTER (WHERE h.action = 'created'), min(h.change_id) > $restored_history,
      (SELECT count(*) FROM autotime.entry_flags f JOIN $S.time_entries e ON e.team_id = f.team_id AND e.id = f.entry_id
        WHERE e.source_kind = 'call' AND e.source_id > 100 AND e.team_id = 1)
    FROM autotime.entry_history h JOIN $S.time_entries e ON e.team_id = h.team_id AND e.id = h.entry_id
   WHERE e.source_kind IN ('call', 'sms') AND e.source_id > 100" | tr '|' ' ')
  check "the new entries' history continues the restored one (3 created, after change $restored_history) and Acme's new call is flagged: $out" \
    [ "$out" = "3 t 1" ]

  # Backfill: the history rows (call 50 and report 50 of team 1) and nothing else; team 3 stays disabled.
  local b1 b2 b3
  b1=$(psql -X -At -d "$db" -c "SELECT autotime.backfill_automatic_time(100)" 2>&1) || true
  b2=$(psql -X -At -d "$db" -c "SELECT autotime.backfill_automatic_time(100)" 2>&1) || true
  b3=$(psql -X -At -d "$db" -c "SELECT autotime.backfill_automatic_time(300)" 2>&1 | tail -n 1) || true
  check "backfill_automatic_time(100) creates the 2 un-captured history activities: $b1; re-run: $b2; team 3 (disabled): $b3" \
    test "$b1" = 2 -a "$b2" = 0 -a "$b3" = 0
  out=$(psql -X -At -d "$db" -c "SELECT count(*) FROM $S.time_entries WHERE team_id = 1 AND source_kind = 'call' AND source_id IN (1, 2)")
  check "the deleted (call 1) and dismissed (call 2) entries are not re-created: $out entries" [ "$out" = 0 ]
  out=$(psql -X -At -d "$db" -c "SELECT autotime.explain('call', 1)->>'reason', autotime.explain('call', 2)->>'reason',
    autotime.explain('call', 50)->>'outcome', autotime.explain('sms', 2)->>'reason'" | tr '|' ' ')
  check "explain after backfill: call 1 / call 2 / call 50 / sms 2 -> $out" [ "$out" = "dismissed dismissed created already_linked" ]
  out=$(psql -X -At -d "$db" -c "SELECT
    (SELECT count(*) FROM autotime.activity_links l WHERE (SELECT count(*) FROM $S.time_entries e WHERE e.team_id = l.team_id
       AND e.source_kind = l.kind AND e.source_id = l.source_id) > 1)
  + (SELECT count(*) FROM $S.time_entries e WHERE NOT EXISTS (SELECT 1 FROM autotime.activity_links l WHERE l.team_id = e.team_id
       AND l.kind = e.source_kind AND l.source_id = e.source_id))
  + (SELECT count(*) FROM (SELECT 1 FROM $S.time_entries GROUP BY team_id, source_kind, source_id HAVING count(*) > 1) d)")
  check "no duplicates: links with 2+ entries, entries without link, repeated activities: $out" [ "$out" = 0 ]
  local links entries
  links=$(psql -X -At -d "$db" -c "SELECT count(*) FROM autotime.activity_links")
  entries=$(psql -X -At -d "$db" -c "SELECT count(*) FROM $S.time_entries")
  check "links $src_links -> $links (+3 live, +2 backfill), entries $src_entries -> $entries (+3, +2)" \
    test "$links" = $((src_links + 5)) -a "$entries" = $((src_entries + 5))
  SUMMARY+=("$how: $([ $TARGET_FAILED -eq 0 ] && echo passed || echo FAILED) (links $links, entries $entries, backfill $b1/$b2)")
}

restore() {  # db, how, command...   (the database is created unless it exists)
  local db=$1 how=$2
  shift 2
  psql -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 || createdb "$db"
  if ! "$@" >"$WORK/$db.restore.log" 2>&1; then
    echo "  $db ($how): RESTORE FAILED ($*):"
    { grep -E -B1 -A6 'ERROR|FATAL|error:' "$WORK/$db.restore.log" || tail -n 20 "$WORK/$db.restore.log"; } \
      | head -n 40 | sed 's/^/      /'
    SUMMARY+=("$how: RESTORE FAILED: $(grep -m1 -E 'ERROR|error' "$WORK/$db.restore.log")")
    FAILED=1
    return
  fi
  verify "$db" "$how"
}

echo "restores:"
restore autotime_r1 "pg_restore" runuser -u postgres -- pg_restore -h "$PGHOST" -p "$PGPORT" -U postgres --exit-on-error \
  -d autotime_r1 "$WORK/src.dump"
restore autotime_r2 "pg_restore -j 2" runuser -u postgres -- pg_restore -h "$PGHOST" -p "$PGPORT" -U postgres --exit-on-error \
  -j 2 -d autotime_r2 "$WORK/src.dump"
restore autotime_r3 "pg_restore --single-transaction" runuser -u postgres -- pg_restore -h "$PGHOST" -p "$PGPORT" -U postgres \
  --exit-on-error --single-transaction -d autotime_r3 "$WORK/src.dump"
restore autotime_r4 "pg_dump -Fp | psql" psql -X -q -v ON_ERROR_STOP=1 -d autotime_r4 -f "$WORK/src.sql"
# Over an existing copy (autotime_r1, which has moved on since its restore): drop and recreate everything.
restore autotime_r1 "pg_restore --clean --if-exists over autotime_r1" runuser -u postgres -- pg_restore -h "$PGHOST" \
  -p "$PGPORT" -U postgres --exit-on-error --clean --if-exists -d autotime_r1 "$WORK/src.dump"

# The source, given the same treatment, for reference (backfill on it must agree with the restores).
echo "  the source itself:"
verify_src_backfill=$(psql -X -At -d autotime_src -c "SELECT autotime.backfill_automatic_time(100)")
echo "    backfill_automatic_time(100) on the source creates $verify_src_backfill"
[ "$verify_src_backfill" = 2 ] || { echo "    FAIL the source's backfill disagrees"; FAILED=1; }

echo
echo "dump/restore summary: source $src_links links, $src_entries entries, $src_tombstones tombstones"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
if [ "$FAILED" -ne 0 ]; then echo "dump_restore: FAILED"; exit 1; fi
echo "dump_restore: passed"
