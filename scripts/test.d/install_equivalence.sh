#!/usr/bin/env bash
# The two ways of getting the current version are the same extension: CREATE EXTENSION autotime
# (the install script generated from extension/src/) and CREATE EXTENSION at every older released
# version followed by ALTER EXTENSION autotime UPDATE (the upgrade scripts). Compares a sorted
# catalog dump of everything the extension owns (scripts/extension_catalog.sql) and the reference
# practice schema create_practice_schema() makes (pg_dump --schema-only); prints the diff and
# fails on any difference. A change made in one place and forgotten in the other shows here.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cluster.sh
cluster_start
work="$(mktemp -d /tmp/autotime-equivalence.XXXXXX)"
trap 'cluster_stop; rm -rf "$work"' EXIT
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" autotime.control)
# Released install scripts other than the current version's (the generated one, when built).
older=$(ls extension/autotime--*.sql | sed -n 's|^extension/autotime--\([0-9.]*\)\.sql$|\1|p' | grep -vxF "$current" | sort -V)
[ -n "$older" ] || { echo "no older install script to update from"; exit 1; }

# snapshot DB NAME: the extension's catalog and the practice schema of database DB into $work/NAME.*
snapshot() {
  psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f scripts/extension_catalog.sql >"$work/$2.catalog"
  psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "SET client_min_messages = warning" \
    -c "SELECT autotime.create_practice_schema('practice', partitions => 2)" >/dev/null
  pg_dump --schema-only --schema=practice "$1" | grep -v -e '^-- Dumped \(from\|by\)' -e '^\\\(un\)\?restrict ' >"$work/$2.practice"
}

createdb installed
psql -X -q -v ON_ERROR_STOP=1 -d installed -c "SET client_min_messages = warning" -c "CREATE EXTENSION autotime"
snapshot installed installed
echo "CREATE EXTENSION autotime ($current): $(wc -l <"$work/installed.catalog") catalog lines"

failed=0
for from in $older; do
  db="updated_from_${from//./_}"
  createdb "$db"
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning" \
    -c "CREATE EXTENSION autotime VERSION '$from'" -c "ALTER EXTENSION autotime UPDATE"
  snapshot "$db" "$db"
  for what in catalog practice; do
    if diff -u --label "CREATE EXTENSION autotime ($what)" --label "$from + ALTER EXTENSION UPDATE ($what)" \
         "$work/installed.$what" "$work/$db.$what"; then
      echo "from $from: $what the same ($(wc -l <"$work/$db.$what") lines)"
    else
      echo "from $from: $what differs (above: - fresh install, + updated)"; failed=1
    fi
  done
done
[ "$failed" -eq 0 ] && echo "install script and upgrade chain agree"
exit "$failed"
