#!/usr/bin/env bash
# Mutation check: do the fast suites fail when a rule is broken?
#
# Applies each named mutation of scripts/mutations.txt (name | file | perl substitution) to a
# copy of this tree, builds the copy into a private copy of the PostgreSQL 15 installation
# (bench/private_install.sh; the shared PostgreSQL directories are never touched), and runs the
# fast suites against it: GoogleTest (cmake/ctest), pg_regress (plain run) and
# pg_isolation_regress, not the stress or crash scripts. A mutation is KILLED when some suite
# fails, SURVIVED when all pass. A substitution that no longer matches its file is STALE and a
# mutant that does not build is BROKEN: both fail the run, so an outdated list can't pass quietly.
#
# Usage (as root on Debian 12, from anywhere): bash scripts/mutate.sh [--first] [name ...]
#   name ...   only these mutations (default: all of them; half a minute to a minute each)
#   --first    stop at the first suite that kills a mutant (default: run all three, so the report
#              shows every suite that guards the rule, e.g. not only a unit test on SQL text)
#   --list     print the mutations and exit
# Exit status 0 only when the unmutated tree passes and every mutation is killed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
LIST="$ROOT/scripts/mutations.txt"
ALL_SUITES=yes
WANTED=()
for arg in "$@"; do
  case "$arg" in
    --first) ALL_SUITES=no ;;
    --list) grep -vE '^\s*(#|$)' "$LIST" | cut -d'|' -f1,2; exit 0 ;;
    -*) echo "unknown option $arg"; exit 2 ;;
    *) WANTED+=("$arg") ;;
  esac
done

# The list: name | file | substitution (the rest of the line, which may itself contain '|').
NAMES=(); FILES=(); SUBSTS=()
trim() { local s="${1#"${1%%[![:space:]]*}"}"; echo "${s%"${s##*[![:space:]]}"}"; }
while IFS='|' read -r name file subst; do
  name="$(trim "$name")"
  [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
  file="$(trim "$file")"
  subst="$(trim "$subst")"
  if [ -z "$file" ] || [ -z "$subst" ]; then echo "scripts/mutations.txt: malformed line for $name"; exit 2; fi
  if [ ${#WANTED[@]} -gt 0 ] && [[ ! " ${WANTED[*]} " =~ " $name " ]]; then continue; fi
  NAMES+=("$name"); FILES+=("$file"); SUBSTS+=("$subst")
done <"$LIST"
[ ${#NAMES[@]} -gt 0 ] || { echo "no mutations selected"; exit 2; }

# apply_mutation FILE SUBSTITUTION: the whole file is one string, so a substitution may span lines;
# it must match (non-zero status otherwise, perl's complaint on stderr).
apply_mutation() {
  MUTATION="$2" perl -0777 -i -pe 'BEGIN { $m = $ENV{MUTATION} } $n = eval $m; die "bad substitution: $@" if $@;
    END { $? = 3 if !$? && !$n }' "$1"
}
# Every pattern is checked against this tree before anything is built, so a stale one shows at once.
STALE=()
for i in "${!NAMES[@]}"; do
  probe="$(mktemp)"
  if [ ! -f "${FILES[$i]}" ] || ! cp "${FILES[$i]}" "$probe" || ! apply_mutation "$probe" "${SUBSTS[$i]}" 2>/dev/null \
     || cmp -s "${FILES[$i]}" "$probe"; then
    STALE+=("$i")
    printf '%-9s %-34s %-28s %s\n' STALE "${NAMES[$i]}" "${FILES[$i]}" "the substitution does not match the file (or the file is gone)"
  fi
  rm -f "$probe"
done

source scripts/cluster.sh
install_packages || { echo "package installation failed"; exit 1; }

# A private PostgreSQL with this tree's build installed (sets WORK, SRC, PRIV, PG_LIB, PG_BINDIR),
# then the rest of the tree the suites read, in the same copy.
source bench/private_install.sh
tar cf - CMakeLists.txt test sql expected specs | tar xf - -C "$SRC"
PRISTINE="$WORK/pristine"
cp -a "$SRC" "$PRISTINE"
LOGS="$(mktemp -d /tmp/autotime-mutate-logs.XXXXXX)"
chmod 755 "$LOGS"
cleanup() { cluster_stop; rm -rf "$WORK"; }
trap cleanup EXIT

PGXS_SRC="$(dirname "$(pg_config --pgxs)")/.."
BUILD="$WORK/cmake"
REGRESS_TESTS=$(cd "$SRC" && ls sql/*.sql | sed 's|sql/||; s|\.sql$||' | sort)
ISOLATION_TESTS=$(cd "$SRC" && ls specs/*.spec | sed 's|specs/||; s|\.spec$||' | sort)
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$LOGS/cmake-configure.log" 2>&1 \
  || { cat "$LOGS/cmake-configure.log"; echo "cmake configure failed"; exit 1; }
cluster_start >/dev/null || { echo "could not start a scratch cluster"; exit 1; }

# build LOG: the copy in $SRC into the private install, and the unit tests.
build() {
  (cd "$SRC" && make -s -j2 && make -s install DESTDIR="$PRIV") >"$1" 2>&1 \
    && cmake --build "$BUILD" -j2 >>"$1" 2>&1
}

# run_suite NAME LOGDIR: 0 when the suite passes; the names of failed tests in $LOGDIR/NAME.failed.
run_suite() {
  local suite="$1" dir="$2" rc
  mkdir -p "$dir"; chown postgres: "$dir"
  case "$suite" in
    unit)
      (cd "$BUILD" && timeout 300 ctest --output-on-failure) >"$dir/unit.log" 2>&1; rc=$?
      sed -n 's/^[[:space:]]*[0-9][0-9]* - \(.*\) ([A-Za-z ]*)$/\1/p' "$dir/unit.log" >"$dir/unit.failed" ;;
    regress|isolation)
      local runner="$PGXS_SRC/test/regress/pg_regress"
      local tests="$REGRESS_TESTS"
      if [ "$suite" = isolation ]; then runner="$PGXS_SRC/test/isolation/pg_isolation_regress"; tests="$ISOLATION_TESTS"; fi
      # shellcheck disable=SC2086
      (cd "$SRC" && timeout 600 "$runner" --inputdir="$SRC" --outputdir="$dir/$suite" --bindir="$PG_BINDIR" --host="$PGHOST" \
        --port="$PGPORT" --user=postgres --dbname="autotime_mutate_$suite" $tests) >"$dir/$suite.log" 2>&1; rc=$?
      sed -n 's/^test \([a-z_0-9]*\) *\.\.\. FAILED.*/\1/p; s/^ *\([a-z_0-9]*\) *\.\.\. FAILED.*/\1/p' \
        "$dir/$suite.log" >"$dir/$suite.failed" ;;
  esac
  [ "$rc" -eq 0 ]
}

# Suites that failed for the tree in $SRC, as "suite (test, test)"; empty when all passed.
run_suites() {  # logdir stop_at_first(yes|no)
  local dir="$1" stop="$2" suite failed=""
  runuser -u postgres -- "$PG_BINDIR/pg_isready" -q -h "$PGHOST" -p "$PGPORT" -t 30 || true
  for suite in unit regress isolation; do
    if ! run_suite "$suite" "$dir"; then
      local n names
      n=$(wc -l <"$dir/$suite.failed")
      names=$(head -n 3 "$dir/$suite.failed" | paste -sd, | sed 's/,/, /g')
      [ "$n" -gt 3 ] && names="$names, ..."
      failed="$failed${failed:+; }$suite: $n failed${names:+ ($names)}"
      [ "$stop" = yes ] && break
    fi
  done
  echo "$failed"
}

echo "== mutation check of $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src extension sql expected specs test || echo ' + uncommitted changes'): ${#NAMES[@]} mutations, logs in $LOGS"
[ ${#STALE[@]} -eq 0 ] || echo "== ${#STALE[@]} stale mutations above: retarget them in scripts/mutations.txt"
echo "== unmutated tree"
t0=$SECONDS
build "$LOGS/unmutated-build.log" || { cat "$LOGS/unmutated-build.log"; echo "the unmutated tree does not build"; exit 1; }
baseline=$(run_suites "$LOGS/unmutated" no)
if [ -n "$baseline" ]; then
  echo "the fast suites fail without any mutation: $baseline (logs in $LOGS/unmutated)"
  exit 1
fi
echo "   all fast suites pass ($((SECONDS - t0))s)"

killed=0; survived=0; broken=0
for i in "${!NAMES[@]}"; do
  name="${NAMES[$i]}" file="${FILES[$i]}" subst="${SUBSTS[$i]}"
  dir="$LOGS/$name"; mkdir -p "$dir"
  t0=$SECONDS
  if [[ " ${STALE[*]} " =~ " $i " ]]; then
    broken=$((broken + 1)); continue  # reported above
  elif [ ! -f "$SRC/$file" ]; then
    verdict="STALE"; detail="no file $file"
  else
    apply_mutation "$SRC/$file" "$subst" 2>"$dir/perl.log"
    prc=$?
    diff -u "$PRISTINE/$file" "$SRC/$file" >"$dir/mutation.diff"
    if [ "$prc" -ne 0 ] || [ ! -s "$dir/mutation.diff" ]; then
      verdict="STALE"; detail="the substitution does not match $file$( [ -s "$dir/perl.log" ] && echo ": $(head -c 200 "$dir/perl.log")")"
    elif ! build "$dir/build.log"; then
      verdict="BROKEN"; detail="the mutant does not build (see $dir/build.log)"
    else
      stop=yes; [ "$ALL_SUITES" = yes ] && stop=no
      failed=$(run_suites "$dir" "$stop")
      if [ -n "$failed" ]; then verdict="KILLED"; detail="by $failed"; else verdict="SURVIVED"; detail="every fast suite passed"; fi
    fi
    cp "$PRISTINE/$file" "$SRC/$file"  # a fresh mtime: make rebuilds it for the next mutant
  fi
  case "$verdict" in KILLED) killed=$((killed + 1)) ;; SURVIVED) survived=$((survived + 1)) ;; *) broken=$((broken + 1)) ;; esac
  printf '%-9s %-34s %-28s %s (%ss)\n' "$verdict" "$name" "$file" "$detail" "$((SECONDS - t0))"
done

echo
echo "mutation check: ${#NAMES[@]} mutations, $killed killed, $survived survived, $broken stale or broken"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]
