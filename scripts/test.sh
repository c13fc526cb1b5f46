#!/usr/bin/env bash
# Runs every autotime test suite on a throwaway PostgreSQL cluster it starts itself:
# GoogleTest (pure core), pg_regress (sql/ + expected/), isolation (specs/).
# Usage (as root on Debian 12): scripts/test.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
source scripts/cluster.sh

install_packages || { echo "package installation failed"; exit 1; }
PGXS_SRC="$(dirname "$(pg_config --pgxs)")/.."
PG_REGRESS="$PGXS_SRC/test/regress/pg_regress"
PG_ISOLATION_REGRESS="$PGXS_SRC/test/isolation/pg_isolation_regress"

passed=0
failed=0
count_suite() {  # name, log file, runner exit status
  local ok bad
  ok=$(grep -cE '\.\.\. ok' "$2" || true)
  bad=$(grep -cE '\.\.\. FAILED' "$2" || true)
  if [ "$3" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; echo "== $1: the runner itself failed (exit $3)"; fi
  echo "== $1: $ok passed, $bad failed"
  passed=$((passed + ok))
  failed=$((failed + bad))
}

echo "== build"
make -s clean >/dev/null 2>&1
make -s WERROR=-Werror >/tmp/autotime-build.log 2>&1 && make -s install >>/tmp/autotime-build.log 2>&1 \
  || { cat /tmp/autotime-build.log; echo "build failed"; exit 1; }

echo "== unit tests (GoogleTest)"
BUILD_DIR="$(mktemp -d /tmp/autotime-cmake.XXXXXX)"
if cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DAUTOTIME_WERROR=ON >"$BUILD_DIR/configure.log" 2>&1 \
   && cmake --build "$BUILD_DIR" -j2 >"$BUILD_DIR/build.log" 2>&1; then
  (cd "$BUILD_DIR" && ctest --output-on-failure) | tee "$BUILD_DIR/ctest.log" | tail -n 3
  unit_ok=$(grep -cE 'Test +#[0-9]+: .* +Passed +[0-9.]+ sec' "$BUILD_DIR/ctest.log" || true)
  unit_bad=$(grep -cE 'Test +#[0-9]+: .*(\*\*\*Failed|\*\*\*Exception|\*\*\*Timeout|Not Run)' "$BUILD_DIR/ctest.log" || true)
else
  cat "$BUILD_DIR"/*.log; unit_ok=0; unit_bad=1
fi
echo "== unit: $unit_ok passed, $unit_bad failed"
unit_cases=$((unit_ok + unit_bad))
passed=$((passed + unit_ok)); failed=$((failed + unit_bad))

cluster_start || { echo "could not start a scratch cluster"; exit 1; }
trap cluster_stop EXIT
OUT="$(mktemp -d /tmp/autotime-regress.XXXXXX)"
chown postgres: "$OUT"

# run_suite NAME RUNNER TESTS [VAR=value ...]: one pg_regress-style run, counted and its diffs shown.
run_suite() {
  local name="$1" runner="$2" tests="$3"; shift 3
  env "$@" "$runner" --inputdir="$ROOT" --outputdir="$OUT/$name" --bindir="$PG_BINDIR" --host="$PGHOST" \
    --port="$PGPORT" --user=postgres --dbname="autotime_$name" $tests | tee "$OUT/$name.log"
  count_suite "$name" "$OUT/$name.log" "${PIPESTATUS[0]}"
  [ -f "$OUT/$name/regression.diffs" ] && cat "$OUT/$name/regression.diffs"
  return 0
}
REGRESS_TESTS=$(ls sql/*.sql | sed 's|sql/||; s|\.sql$||' | sort)
ISOLATION_TESTS=$(ls specs/*.spec | sed 's|specs/||; s|\.spec$||' | sort)

echo "== regression tests (pg_regress)"
run_suite regress "$PG_REGRESS" "$REGRESS_TESTS"
echo "== regression tests on a practice schema hash-partitioned by team_id (same expected output)"
run_suite regress_partitioned "$PG_REGRESS" "$REGRESS_TESTS" AUTOTIME_PARTITIONS=4
echo "== regression tests on autotime installed as 1.0 and updated with ALTER EXTENSION UPDATE"
run_suite regress_upgraded "$PG_REGRESS" "$REGRESS_TESTS" AUTOTIME_INSTALL_VERSION=1.0
echo "== isolation tests (pg_isolation_regress)"
run_suite isolation "$PG_ISOLATION_REGRESS" "$ISOLATION_TESTS"

# AUTOTIME_NESTED: a copy of the suite run by a test.d script (the dist test) skips the extras.
extras=0
for extra in $([ -z "${AUTOTIME_NESTED:-}" ] && ls scripts/test.d/*.sh); do
  [ -e "$extra" ] || continue
  name=$(basename "$extra" .sh)
  extras=$((extras + 1))
  echo "== $name"
  if bash "$extra" >"$OUT/$name.log" 2>&1; then
    tail -n 5 "$OUT/$name.log"; passed=$((passed + 1)); echo "== $name: 1 passed, 0 failed"
  else
    cat "$OUT/$name.log"; failed=$((failed + 1)); echo "== $name: 0 passed, 1 failed"
  fi
done

rm -rf "$BUILD_DIR"
echo
# Runs count a regression file once per pg_regress suite above; distinct tests count it once.
n_regress=$(echo $REGRESS_TESTS | wc -w); n_isolation=$(echo $ISOLATION_TESTS | wc -w)
echo "$((unit_cases + n_regress + n_isolation + extras)) distinct tests ($unit_cases unit test cases," \
  "$n_regress regression files, $n_isolation isolation specs, $extras scripts) in $((passed + failed)) runs"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
