#!/usr/bin/env bash
# autotime benchmark: one command, one cluster, every variant in the same run, ratios printed.
#   bash bench/run.sh [--quick] [--only live,bulk,backfill,bfscale,memory] [--kinds call,sms,...]
#                     [--shapes plain,partitioned] [--bulk-n N] [--mem-n N]
# Default: every SPEC section 5 bar for every kind (call, sms, document, ir_report, event) and both
# table shapes (plain; hash-partitioned by team_id into 4, as the AUTOTIME_PARTITIONS=4 suite):
# live one-row capture in instructions (callgrind, bench/callgrind_live.py, in the background),
# bulk COPY of 1M per kind and shape, backfill per team and per client, backfill_automatic_time
# against table size, no-op re-runs, memory over a 10M COPY. The calls-only sections of 1.x stay
# available: --only single,scaling,bulk_calls,backfill_calls,memory_none,profile.
# Full at the default sizes: not timed (well over an hour on the 2-core dev VM); the reduced run
# recorded in bench/RESULTS.md (--bulk-n 100000 --backfill-n 500000 --backfill-shapes plain
# --mem-n 1000000) took 34 min under load 4-14. --quick: ~10-15 min. Results: bench/out/<stamp>/results.json (+ latest.json), the
# chart bench/per_activity_cost.png, the printed table. See bench/RESULTS.md for how to read it.
#
# Isolation: the scratch cluster runs from a private copy of PostgreSQL with autotime built from a
# snapshot of the working tree (bench/private_install.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
source scripts/cluster.sh
install_packages valgrind

# 1. Build from a snapshot of the working tree and install into a private copy of PostgreSQL.
source bench/private_install.sh

# 2. A scratch cluster from the private copy. fsync on (so synchronous_commit=on means a real
#    flush); the single-row runs set synchronous_commit per connection.
cluster_start -c shared_buffers=512MB -c fsync=on -c max_wal_size=16GB -c min_wal_size=1GB \
  -c checkpoint_timeout=30min -c wal_buffers=16MB -c jit=off -c autovacuum=off -c log_min_messages=warning
cleanup() { cluster_stop; rm -rf "$WORK"; }
trap cleanup EXIT
export BENCH_DATA_DIR="$CLUSTER_DIR/benchdata" BENCH_PGDATA="$CLUSTER_DIR/data" PG_BINDIR
mkdir -p "$BENCH_DATA_DIR" && chown postgres: "$BENCH_DATA_DIR"

# 3. The benchmark, then the chart.
python3 bench/bench.py "$@"
if grep -q '"section": "single"' bench/out/latest.json; then
  python3 bench/chart.py bench/out/latest.json bench/per_activity_cost.png
fi
