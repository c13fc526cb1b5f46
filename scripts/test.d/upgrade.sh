#!/usr/bin/env bash
# ALTER EXTENSION autotime UPDATE from every released version keeps a live database's settings,
# ledger and entries, and capture goes on without duplicates (and, from 1.3, with each new entry's
# history: the bound entries table gets its triggers). (The regression suite also runs
# once on an extension installed as 1.0 and updated: AUTOTIME_INSTALL_VERSION=1.0.)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cluster.sh
cluster_start
trap cluster_stop EXIT
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" autotime.control)
# Every released version: those with an install script and every target of an update script.
released=$(ls extension/autotime--*.sql | sed -n -e 's|extension/autotime--\([0-9.]*\)\.sql$|\1|p' \
  -e 's|extension/autotime--[0-9.]*--\([0-9.]*\)\.sql$|\1|p' | sort -uV)
for from in $released; do
  [ "$from" = "$current" ] && continue
  db="upgrade_from_${from//./_}"
  createdb "$db"
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION autotime VERSION '$from';
SELECT autotime.create_practice_schema();
INSERT INTO teams (team_id, name) VALUES (1, 'Firm');
INSERT INTO autotime.team_settings (team_id, enabled, minutes_per_activity) VALUES (1, true, 12);
INSERT INTO team_members (team_id, user_id, name, hourly_rate) VALUES (1, 10, 'Ann', 300);
INSERT INTO clients (team_id, id, name) VALUES (1, 100, 'Acme');
INSERT INTO cases (team_id, id, client_id, title) VALUES (1, 1000, 100, 'Acme v. Bolt');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 16:00+00');
SELECT autotime.dismiss(ARRAY(SELECT id FROM time_entries WHERE source_id = 2));
DROP ROLE IF EXISTS upgrade_view_reader, upgrade_other_role;
CREATE ROLE upgrade_view_reader;
CREATE ROLE upgrade_other_role;
GRANT SELECT ON autotime.unreviewed TO upgrade_view_reader;
SQL
  before=$(psql -X -At -d "$db" -c "SELECT (SELECT count(*) FROM time_entries) || '/' || (SELECT count(*) FROM autotime.activity_links)")
  if [ "$from" = "1.1" ]; then
    # The recipe in autotime--1.1--1.2.sql for a large ledger: the index first, without blocking capture.
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
      -c "CREATE INDEX CONCURRENTLY activity_links_by_source_id ON autotime.activity_links (team_id, kind, source_id)"
  fi
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "ALTER EXTENSION autotime UPDATE"
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at)
VALUES (1, 3, 100, 10, 'outbound', 'completed', '2026-03-11 15:00+00');
SELECT autotime.backfill_automatic_time(100);
SQL
  result=$(psql -X -At -d "$db" -c "
    SELECT extversion || ' ' || (SELECT count(*) FROM time_entries) || '/' || (SELECT count(*) FROM autotime.activity_links)
           || ' ' || (SELECT string_agg(minutes::text, ',' ORDER BY source_id) FROM time_entries)
           || ' ' || (autotime.explain('call', 2) ->> 'reason')
           || ' ' || (SELECT count(*) FROM pg_indexes WHERE schemaname = 'autotime' AND indexname = 'activity_links_by_source_id')
           || ' ' || (SELECT coalesce(string_agg(h.action, ','), 'no-history') FROM autotime.entry_history h)
    FROM pg_extension WHERE extname = 'autotime'")
  echo "from $from: entries/links before $before; after update and a new call: $result"
  [ "$result" = "$current 2/3 12,12 dismissed 1 created" ] || { echo "unexpected state after upgrading from $from"; exit 1; }
  # A role that read the review view still does; the function behind it (every firm's entries,
  # with autotime's rights since 1.3) is nobody else's.
  readers=$(psql -X -q -At -d "$db" -c "SET ROLE upgrade_view_reader" -c "SELECT count(*) FROM autotime.unreviewed" \
              -c "RESET ROLE" -c "SELECT has_function_privilege('upgrade_other_role', 'autotime.review_rows(text)', 'EXECUTE')")
  echo "from $from: the view's reader sees $(echo $readers | cut -d' ' -f1) drafts; another role may call review_rows: $(echo $readers | cut -d' ' -f2)"
  [ "$(echo $readers)" = "2 f" ] || { echo "unexpected review privileges after upgrading from $from"; exit 1; }
  psql -X -q -d "$db" -c "DROP OWNED BY upgrade_view_reader, upgrade_other_role" -c "DROP ROLE upgrade_view_reader, upgrade_other_role"
done
echo "upgrades to $current checked"
