#!/usr/bin/env bash
# autotime benchmark: one command, one cluster, every variant in the same run, ratios printed.
#   bash bench/run.sh [--quick] [--only single,scaling,bulk,backfill,memory,profile]
# Full: ~30 min; --quick: ~5 min (on the 2-core dev VM). Results: bench/out/<stamp>/results.json (+ latest.json), the
# chart bench/per_activity_cost.png, the printed table. See bench/RESULTS.md for how to read it.
#
# Isolation: other sessions build and install autotime into the shared PostgreSQL directories
# (sometimes under AddressSanitizer). So this script builds the extension from a snapshot of the
# working tree in its own folder with the ordinary flags, installs it (make install DESTDIR=...)
# into a private copy of the PostgreSQL 15 installation, and runs the scratch cluster from that
# copy: PostgreSQL finds $libdir and the extension folder relative to its own binary. What is
# measured is exactly the source printed at the top of the run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
source scripts/cluster.sh
install_packages

WORK="$(mktemp -d /tmp/autotime-bench.XXXXXX)"
chmod 755 "$WORK"
PRIV="$WORK/pg"
SRC="$WORK/src"

# 1. Build from a snapshot of the working tree (no objects: others may have built them with
#    sanitizer flags) and install into a private copy of PostgreSQL.
mkdir -p "$SRC" "$PRIV/usr/lib/postgresql" "$PRIV/usr/share/postgresql"
tar cf - --exclude='*.o' --exclude='*.so' --exclude='*.bc' Makefile autotime.control src extension | tar xf - -C "$SRC"
# What was measured: the commit, whether src/ or extension/ had uncommitted changes, and a hash of
# the exact source files built (the .so's own hash differs per build folder: debug info).
SRC_HASH="$(cd "$SRC" && find . -type f | LC_ALL=C sort | xargs cat | md5sum | cut -c1-12)"
export BENCH_SOURCE="$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src extension Makefile autotime.control || echo ' + uncommitted changes in src/ or extension/'), source files md5 $SRC_HASH"
PG_LIB="$(dirname "$(pg_config --bindir)")"          # /usr/lib/postgresql/15
PG_SHARE="$(pg_config --sharedir)"                   # /usr/share/postgresql/15
cp -a "$PG_LIB" "$PRIV/usr/lib/postgresql/"
cp -a "$PG_SHARE" "$PRIV/usr/share/postgresql/"
rm -f "$PRIV$PG_LIB/lib/autotime.so" "$PRIV$PG_SHARE"/extension/autotime*
( cd "$SRC" && make -s -j2 >"$WORK/build.log" 2>&1 && make -s install DESTDIR="$PRIV" >>"$WORK/build.log" 2>&1 ) \
  || { cat "$WORK/build.log"; exit 1; }
if nm -D "$PRIV$PG_LIB/lib/autotime.so" | grep -q __asan; then echo "private build is instrumented?"; exit 1; fi
PG_BINDIR="$PRIV$PG_LIB/bin"

# 2. A scratch cluster from the private copy. fsync on (so synchronous_commit=on means a real
#    flush); the single-row runs set synchronous_commit per connection.
cluster_start -c shared_buffers=512MB -c fsync=on -c max_wal_size=16GB -c min_wal_size=1GB \
  -c checkpoint_timeout=30min -c wal_buffers=16MB -c jit=off -c autovacuum=off -c log_min_messages=warning
cleanup() { cluster_stop; rm -rf "$WORK"; }
trap cleanup EXIT
export BENCH_DATA_DIR="$CLUSTER_DIR/benchdata" BENCH_PGDATA="$CLUSTER_DIR/data"
mkdir -p "$BENCH_DATA_DIR" && chown postgres: "$BENCH_DATA_DIR"

# 3. The benchmark, then the chart.
python3 bench/bench.py "$@"
python3 bench/chart.py bench/out/latest.json bench/per_activity_cost.png
