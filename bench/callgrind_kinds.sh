#!/usr/bin/env bash
# Companion of bench/callgrind.sh (same cluster set-up, same databases, same method): runs
# bench/callgrind_kinds.py (an outbound text, a document, an IR report and a completed event, no capture / floor /
# autotime; with CALLGRIND_ONE_ROW_ONLY=1 only those; else also an outbound text with the
# practice tables owned by a non-superuser role; one INSERT ... SELECT of 1,000 calls), then
# bench/callgrind.py (a call: no capture, floor, autotime, PL/pgSQL; same numbers as callgrind.sh). ~25 min.
#   bash bench/callgrind_kinds.sh [--profile]
# --profile keeps the callgrind files of the text runs and writes an inclusive per-function
# breakdown of one text insert. Writes bench/out/callgrind-kinds-<stamp>/ (calls.json, kinds.json).
# To measure an older commit: git worktree add /tmp/x <commit>, copy the bench/callgrind_kinds.* files
# into it, run from there (bench/setup.sql and bench/callgrind.py are unchanged since 1.2).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
source scripts/cluster.sh
install_packages valgrind
source bench/private_install.sh
cluster_start -c jit=off
cleanup() { cluster_stop; rm -rf "$WORK"; }
trap cleanup EXIT
OUT="bench/out/callgrind-kinds-$(date -u +%Y%m%d-%H%M)"
mkdir -p "$OUT" && chmod 777 "$OUT"
echo "autotime capture under callgrind (calls, texts, documents, bulk) $(date -u '+%F %H:%M') UTC, source: $BENCH_SOURCE" | tee "$OUT/source.txt"
for variant in none floor autotime plpgsql owner; do
  createdb "at_$variant"
  psql -X -q -v ON_ERROR_STOP=1 -d "at_$variant" -f bench/setup.sql >/dev/null
  if [ "$variant" = none ] || [ "$variant" = floor ] || [ "$variant" = plpgsql ]; then
    for t in calls sms documents ir_reports events; do psql -X -q -d "at_$variant" -c "SELECT autotime.detach('bench.$t')" >/dev/null; done
    # The entries' history and guideline triggers (1.3) are autotime's logic, not the floor's.
    psql -X -q -d "at_$variant" -c "DROP TRIGGER IF EXISTS autotime_entry_history ON bench.time_entries; DROP TRIGGER IF EXISTS autotime_entry_guidelines ON bench.time_entries;" >/dev/null
  fi
  if [ "$variant" = plpgsql ]; then
    psql -X -q -v ON_ERROR_STOP=1 -v schema=bench -d "at_$variant" -f bench/plpgsql_reference.sql >/dev/null
  fi
  if [ "$variant" = owner ]; then  # the firm's tables belong to a role that is not autotime's owner
    psql -X -q -v ON_ERROR_STOP=1 -d at_owner -c "DO \$\$ DECLARE t text; BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_firm') THEN CREATE ROLE bench_firm; END IF;
      ALTER SCHEMA bench OWNER TO bench_firm;
      FOR t IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'bench'::regnamespace AND c.relkind IN ('r', 'p')
      LOOP EXECUTE format('ALTER TABLE bench.%I OWNER TO bench_firm', t); END LOOP; END \$\$" >/dev/null
  fi
done
# A single-user backend needs the data directory to itself.
runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null
python3 bench/callgrind_kinds.py "$PG_BINDIR" "$CLUSTER_DIR/data" "$OUT/kinds.json" \
  ${1:+--profile "$ROOT/$OUT"}
python3 bench/callgrind.py "$PG_BINDIR" "$CLUSTER_DIR/data" "$OUT/calls.json"
