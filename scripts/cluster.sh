# Sourced by the demo, test and bench scripts: a throwaway PostgreSQL cluster owned by the
# `postgres` OS user (PostgreSQL refuses to run as root) in its own folder under /tmp.
PG_BINDIR="$(pg_config --bindir)"

# cluster_start [extra postgres options...]: starts a cluster and exports PGHOST/PGPORT/PGUSER.
cluster_start() {
  CLUSTER_DIR="$(mktemp -d /tmp/autotime-cluster.XXXXXX)"
  chown postgres: "$CLUSTER_DIR"
  chmod 700 "$CLUSTER_DIR"
  CLUSTER_PORT="${CLUSTER_PORT:-$(( 20000 + RANDOM % 20000 ))}"
  runuser -u postgres -- "$PG_BINDIR/initdb" -D "$CLUSTER_DIR/data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 >"$CLUSTER_DIR/initdb.log" 2>&1 || { cat "$CLUSTER_DIR/initdb.log"; return 1; }
  # CLUSTER_POSTGRES: another postgres executable (e.g. a wrapper running it under valgrind).
  runuser -u postgres -- env PGCTLTIMEOUT="${PGCTLTIMEOUT:-60}" "$PG_BINDIR/pg_ctl" \
    ${CLUSTER_POSTGRES:+-p "$CLUSTER_POSTGRES"} -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w \
    -o "-k $CLUSTER_DIR -p $CLUSTER_PORT -c listen_addresses='' -c fsync=off $*" start >/dev/null \
    || { cat "$CLUSTER_DIR/server.log"; return 1; }
  export PGHOST="$CLUSTER_DIR" PGPORT="$CLUSTER_PORT" PGUSER=postgres
}

cluster_stop() {
  [ -n "${CLUSTER_DIR:-}" ] || return 0
  runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$CLUSTER_DIR"
  CLUSTER_DIR=
}

# install_packages: what building and testing autotime needs, from Debian's archive.
install_packages() {
  local wanted="g++ make cmake libgtest-dev libpq-dev postgresql-15 postgresql-client-15 postgresql-server-dev-15"
  local missing=""
  for p in $wanted $*; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "installing:$missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
}
