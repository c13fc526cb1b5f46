#!/usr/bin/env bash
# Single-row capture cost in instructions (callgrind), which unlike time does not move with the
# other work on this shared machine. ~6 min. Prints instructions per insert for no capture, the
# floor, autotime and the PL/pgSQL reference (a qualifying and a non-qualifying call) and their
# ratios; writes bench/out/callgrind-<stamp>.json. See bench/callgrind.py.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
source scripts/cluster.sh
install_packages valgrind
source bench/private_install.sh
cluster_start -c jit=off
cleanup() { cluster_stop; rm -rf "$WORK"; }
trap cleanup EXIT
echo "autotime single-row capture under callgrind $(date -u '+%F %H:%M') UTC, source: $BENCH_SOURCE"
for variant in none floor autotime plpgsql; do
  createdb "at_$variant"
  psql -X -q -v ON_ERROR_STOP=1 -d "at_$variant" -f bench/setup.sql >/dev/null
  if [ "$variant" != autotime ]; then psql -X -q -d "at_$variant" -c "SELECT autotime.detach('bench.calls')" >/dev/null; fi
  # The entries' history and guideline triggers (1.3) are autotime's logic, not the floor's.
  if [ "$variant" != autotime ]; then psql -X -q -d "at_$variant" -c "DROP TRIGGER IF EXISTS autotime_entry_history ON bench.time_entries; DROP TRIGGER IF EXISTS autotime_entry_guidelines ON bench.time_entries;" >/dev/null; fi
  if [ "$variant" = plpgsql ]; then
    psql -X -q -v ON_ERROR_STOP=1 -v schema=bench -d "at_$variant" -f bench/plpgsql_reference.sql >/dev/null
  fi
done
# A single-user backend needs the data directory to itself.
runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null
mkdir -p bench/out
python3 bench/callgrind.py "$PG_BINDIR" "$CLUSTER_DIR/data" "bench/out/callgrind-$(date -u +%Y%m%d-%H%M).json"
