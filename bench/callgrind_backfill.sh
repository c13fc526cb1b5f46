#!/usr/bin/env bash
# Backfill cost in instructions (callgrind), where bench/run.sh's backfill entries/s move with the
# other work on this shared machine. ~6 min. bench/setup.sql's database, N calls (default 20,000;
# 2 % missed) inserted while the team is disabled, then enabled; a single-user backend under
# callgrind runs `CALL autotime.backfill_team(1, batch_size => 100000)` (one batch) and, in a second
# backend, its no-op re-run. Each backend's start-up is measured alone (a SELECT 1) and subtracted.
#   bash bench/callgrind_backfill.sh [N]
# Prints instructions per entry written and per activity for the no-op re-run; keeps the callgrind
# files in bench/out/callgrind-backfill-<stamp>/ (callgrind_annotate --inclusive=yes FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
N="${1:-20000}"
source scripts/cluster.sh
install_packages valgrind
source bench/private_install.sh
cluster_start -c jit=off
cleanup() { cluster_stop; rm -rf "$WORK"; }
trap cleanup EXIT
OUT="bench/out/callgrind-backfill-$(date -u +%Y%m%d-%H%M)"
mkdir -p "$OUT" && chmod 777 "$OUT"
echo "autotime backfill_team of $N calls under callgrind $(date -u '+%F %H:%M') UTC, source: $BENCH_SOURCE" | tee "$OUT/source.txt"
createdb at_backfill
psql -X -q -v ON_ERROR_STOP=1 -d at_backfill -f bench/setup.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d at_backfill <<SQL >/dev/null
UPDATE autotime.team_settings SET enabled = false;
INSERT INTO bench.calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
SELECT 1, g % 1000 + 1, 101 + g % 50, 'outbound', CASE WHEN g % 50 = 0 THEN 'missed' ELSE 'completed' END,
       timestamptz '2026-11-01 12:00+00' + make_interval(secs => g), 300, 'bench' FROM generate_series(1, $N) g;
UPDATE autotime.team_settings SET enabled = true;
VACUUM ANALYZE;
SQL
runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null
count() {  # count NAME SQL: instructions of a single-user backend running SQL
  runuser -u postgres -- valgrind --tool=callgrind --callgrind-out-file="$OUT/$1.callgrind" \
    "$PG_BINDIR/postgres" --single -D "$CLUSTER_DIR/data" -c jit=off at_backfill <<<"$2" 2>"$OUT/$1.log" >"$OUT/$1.out"
  if grep -q ERROR "$OUT/$1.out" "$OUT/$1.log"; then cat "$OUT/$1.out" "$OUT/$1.log" >&2; exit 1; fi
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$OUT/$1.log"
}
CALL=$(printf "SET client_min_messages = warning;\nCALL autotime.backfill_team(1, batch_size => 100000);")
base=$(count startup "SET client_min_messages = warning;")
team=$(count backfill "$CALL")
entries=$(runuser -u postgres -- "$PG_BINDIR/postgres" --single -D "$CLUSTER_DIR/data" at_backfill \
  <<<"SELECT count(*) AS n FROM bench.time_entries;" | sed -n 's/.*n = "\([0-9]*\)".*/\1/p')
noop=$(count noop "$CALL")
python3 - "$base" "$team" "$noop" "$entries" "$N" <<'PY' | tee "$OUT/summary.txt"
import sys
base, team, noop, entries, n = map(int, sys.argv[1:])
print(f"  backfill_team: {entries:,} entries, {(team - base) / 1e9:.2f} G instructions = {(team - base) / entries / 1e3:.1f} k per entry")
print(f"  no-op re-run: {(noop - base) / 1e6:.1f} M instructions = {(noop - base) / n / 1e3:.2f} k per activity")
PY
