#!/usr/bin/env bash
# The regression and isolation suites on a server running under valgrind memcheck. Every error
# valgrind reports with autotime.so on its stack fails the run (PostgreSQL's own, which need its
# suppression file, are counted apart). A separate command: it takes several minutes.
# Usage (as root on Debian 12): bash scripts/memcheck.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
source scripts/cluster.sh
install_packages valgrind
make -s >/dev/null && make -s install >/dev/null || exit 1
PGXS_SRC="$(dirname "$(pg_config --pgxs)")/.."
WORK="$(mktemp -d /tmp/autotime-memcheck.XXXXXX)"
chmod 755 "$WORK"; mkdir "$WORK/reports" "$WORK/out"; chown postgres: "$WORK/reports" "$WORK/out"
cat > "$WORK/postgres" <<WRAPPER
#!/bin/sh
exec valgrind --quiet --error-limit=no --num-callers=40 --log-file=$WORK/reports/vg.%p $PG_BINDIR/postgres "\$@"
WRAPPER
chmod 755 "$WORK/postgres"
CLUSTER_POSTGRES="$WORK/postgres" PGCTLTIMEOUT=300 cluster_start || exit 1
trap cluster_stop EXIT

status=0
"$PGXS_SRC/test/regress/pg_regress" --inputdir="$ROOT" --outputdir="$WORK/out/regress" --bindir="$PG_BINDIR" \
  --host="$PGHOST" --port="$PGPORT" --user=postgres --dbname=autotime_memcheck \
  $(ls sql/*.sql | sed 's|sql/||; s|\.sql$||' | sort) | grep -E '^test' || status=1
"$PGXS_SRC/test/isolation/pg_isolation_regress" --inputdir="$ROOT" --outputdir="$WORK/out/isolation" \
  --bindir="$PG_BINDIR" --host="$PGHOST" --port="$PGPORT" --user=postgres --dbname=autotime_memcheck_iso \
  $(ls specs/*.spec | sed 's|specs/||; s|\.spec$||' | sort) | grep -E '^test' || status=1
cluster_stop
grep -l "FAILED" "$WORK"/out/*/regression.out 2>/dev/null && status=1

# One valgrind error = one block of lines after "==pid== <message>" up to a blank "==pid==" line.
read -r ours theirs < <(cat "$WORK"/reports/vg.* 2>/dev/null | awk '
  /^==[0-9]+== *$/ { if (block != "") { if (block ~ /autotime\.so/) o++; else if (block ~ /(at|by) 0x/) t++ } block=""; next }
  /^==[0-9]+== / { block = block "\n" $0 }
  END { if (block ~ /autotime\.so/) o++; else if (block ~ /(at|by) 0x/) t++; print o+0, t+0 }')
if [ "$ours" -gt 0 ]; then
  cat "$WORK"/reports/vg.* | grep -B2 -A30 "autotime.so" | head -200; status=1
fi
echo "valgrind errors outside autotime, by kind:"
cat "$WORK"/reports/vg.* 2>/dev/null | awk '
  /^==[0-9]+== *$/ { start = 1; next }
  /^==[0-9]+== / && start { sub(/^==[0-9]+== /, ""); print; start = 0 }' | grep -v "^at \|^by " | sort | uniq -c | sort -rn | head -10
echo "valgrind: $ours errors in autotime, $theirs elsewhere (PostgreSQL without its suppressions); suites $([ $status -eq 0 ] && echo passed || echo FAILED)"
[ "$status" -eq 0 ] && rm -rf "$WORK"
exit $status
