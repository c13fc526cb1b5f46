# Sourced by bench/run.sh and bench/callgrind.sh (from the repository root): builds autotime from a
# snapshot of the working tree in its own folder and installs it into a private copy of the
# PostgreSQL 15 installation, whose binaries then find $libdir and the extension folder relative
# to themselves. Other sessions install (sometimes sanitizer) builds into the shared PostgreSQL
# directories at any time; what is measured is exactly the source printed at the top of the run.
# Sets WORK (removed by the caller), PG_BINDIR (the private copy's bin) and BENCH_SOURCE.
WORK="$(mktemp -d /tmp/autotime-bench.XXXXXX)"
chmod 755 "$WORK"
PRIV="$WORK/pg"
SRC="$WORK/src"
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
