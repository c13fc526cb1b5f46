#!/usr/bin/env bash
# Bulk capture in instructions: one INSERT ... SELECT of N activities of a kind (bench/kinds.py's bulk
# rows), counted by callgrind in a single-user backend, for three databases of bench/setup.sql:
#   autotime   the insert, captured (what ships: with the entries' history trigger)
#   nohistory  the same without autotime's entry history trigger (what SPEC section 7's history costs)
#   floor      the insert, then the same links and entries as plain set-based SQL (kinds.py
#              bulk_floor_after, restricted to the new rows), one transaction, no autotime triggers
# Each database runs the statement once and twice; (twice - once) is one statement without the
# backend's start-up. Wall time on this shared machine moves by up to 1.5x between identical runs;
# these counts don't (they leave out the kernel's work: relation extension, WAL writes).
#   bash bench/callgrind_bulk.sh [--kinds call,document] [--n 2000]
# Prints instructions per activity and the ratios; ~3 min per kind.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
KINDS=call,document
N=2000
while [ $# -gt 0 ]; do
  case "$1" in
    --kinds) KINDS="$2"; shift 2 ;;
    --n) N="$2"; shift 2 ;;
    *) echo "usage: bash bench/callgrind_bulk.sh [--kinds call,document] [--n 2000]"; exit 2 ;;
  esac
done
source scripts/cluster.sh
install_packages valgrind
source bench/private_install.sh
echo "bulk capture under callgrind, $N rows per statement, $(date -u '+%F %H:%M') UTC, source: $BENCH_SOURCE"
cluster_start
VARIANTS="autotime nohistory floor"
for v in $VARIANTS; do
  psql -X -q -d postgres -c "CREATE DATABASE cg_$v"
  psql -X -q -v ON_ERROR_STOP=1 -d "cg_$v" -v partitions=0 -f bench/setup.sql >/dev/null
  case $v in
    nohistory) psql -X -q -d "cg_$v" -c "DROP TRIGGER autotime_entry_history ON bench.time_entries" ;;
    floor) python3 -c "import sys; sys.path.insert(0, 'bench'); import kinds as K; print(K.detach_all() + K.NO_ENTRY_TRIGGERS)" |
             psql -X -q -v ON_ERROR_STOP=1 -d "cg_$v" >/dev/null ;;
  esac
done
DATA="$CLUSTER_DIR/data"
runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
trap 'rm -rf "$CLUSTER_DIR" "$WORK"' EXIT

# One line per statement (the single-user backend runs each line as a query).
statement() {
  python3 - "$1" "$N" "$2" <<'PY'
import sys
sys.path.insert(0, "bench")
import kinds as K
kind, n, variant = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# Texts are keyed by their provider id: each statement gets ids of its own (else the second is re-sent texts).
rows = K.bulk_rows(kind, n).replace("'msg-' || g", "'msg-' || pg_catalog.txid_current() || '-' || g")
load = f"INSERT INTO bench.{K.TABLE[kind]} ({K.SPEC[kind]['cols']}) {rows};"
if variant != "floor":
    print(load)
else:  # links and entries of the rows this statement loaded (ids above the entries' last one)
    table = f"FROM bench.{K.TABLE[kind]} WHERE"
    new_rows = (f"{table} id > (SELECT coalesce(max(source_id), 0) FROM bench.time_entries "
                f"WHERE source_kind = '{kind}') AND")
    print("BEGIN; " + load + " " + K.bulk_floor_after(kind).replace("\n", " ").replace(table, new_rows) + " COMMIT;")
PY
}
count() {  # kind variant repetitions -> instructions
  local stmt input=""
  stmt="$(statement "$1" "$2")"
  for _ in $(seq "$3"); do input+="$stmt"$'\n'; done
  local log
  log="$(printf '%s' "$input" | runuser -u postgres -- valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$PG_BINDIR/postgres" --single -D "$DATA" -c jit=off -c fsync=off "cg_$2" 2>&1 >/dev/null)"
  grep -q 'ERROR' <<<"$log" && { echo "$log" | tail -5 >&2; return 1; }
  grep -o 'Collected : [0-9]*' <<<"$log" | grep -o '[0-9]*$'
}
for kind in ${KINDS//,/ }; do
  declare -A per
  for v in $VARIANTS; do
    once=$(count "$kind" "$v" 1)
    twice=$(count "$kind" "$v" 2)
    per[$v]=$(( (twice - once) / N ))
    # (The second statement must capture as the first did: fewer instructions means it did not.)
    [ "${per[$v]}" -gt 100000 ] || { echo "  $kind $v: ${per[$v]} instructions per activity: the two runs differ"; exit 1; }
    echo "  $kind $v: $(( per[$v] )) instructions per activity (statement of $N: $(( twice - once )))"
  done
  awk -v a="${per[autotime]}" -v h="${per[nohistory]}" -v f="${per[floor]}" -v k="$kind" 'BEGIN {
    printf "  %s: autotime / floor %.3f; without the entry history %.3f; the history %.1f k per activity = %.3f of the floor\n",
      k, a / f, h / f, (a - h) / 1000, (a - h) / f }'
  unset per
done
