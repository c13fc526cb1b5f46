#!/usr/bin/env bash
# Concurrency stress of live capture and backfill through 8 real connections
# (test/integration/stress_test.cpp, GoogleTest + libpq) on its own scratch cluster.
# Builds the integration test binary with CMake (-DAUTOTIME_INTEGRATION_TESTS=ON), creates a
# database with the extension, the reference practice schema and a firm of three enabled teams,
# then runs the binary against it (connection from PGHOST/PGPORT/PGUSER/PGDATABASE).
# Expects the extension to be installed (scripts/test.sh does `make install` first).
# Knobs: AUTOTIME_STRESS_OPS (operations per connection, default 700), AUTOTIME_STRESS_SEED;
# AUTOTIME_PG_BINDIR: the PostgreSQL binaries to run the scratch cluster with (default: pg_config's,
# e.g. the private copy bench/private_install.sh makes).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
source scripts/cluster.sh
PG_BINDIR="${AUTOTIME_PG_BINDIR:-$PG_BINDIR}"

BUILD_DIR="$(mktemp -d /tmp/autotime-stress-build.XXXXXX)"
cleanup() { cluster_stop; rm -rf "$BUILD_DIR"; }
trap cleanup EXIT

echo "== building the integration tests in $BUILD_DIR"
if ! { cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DAUTOTIME_INTEGRATION_TESTS=ON \
         >"$BUILD_DIR/configure.log" 2>&1 \
       && cmake --build "$BUILD_DIR" -j2 --target autotime_integration_tests >"$BUILD_DIR/build.log" 2>&1; }; then
  cat "$BUILD_DIR"/configure.log "$BUILD_DIR"/build.log 2>/dev/null | tail -n 60
  echo "stress: FAILED to build the integration tests"
  exit 1
fi

cluster_start -c max_connections=40 -c deadlock_timeout=200ms -c log_lock_waits=on
export PGDATABASE=autotime_stress
createdb "$PGDATABASE"

# The firm. Team settings differ on purpose (time zones, increments, a kind turned off, each flat
# fee policy, rounded call minutes). Each team: members x0 and x1 may log time, x2 may not.
# Clients t00..t19; client i has cases t000+4i+k: k=0 open hourly, k=1 varies with i (see below),
# k=2 closed and the most recently updated. i%10=9: nothing open; i%10=8: newest open case is
# flat fee; i%10=7: pending contingency; i%10=6: intake; i%10=5: two open cases updated at the same
# instant (tie: higher id); i=19: no case at all.
psql -X -q -v ON_ERROR_STOP=1 -o /dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION autotime;
SELECT autotime.create_practice_schema();
INSERT INTO teams (team_id, name) VALUES (1, 'Hale & Ortiz'), (2, 'Other Firm'), (3, 'Third Chambers');
INSERT INTO autotime.team_settings (team_id, enabled, minutes_per_activity, sms_minutes, timezone, flat_fee_policy)
VALUES (1, true, 6, 3, 'America/New_York', 'non_billable');
INSERT INTO autotime.team_settings (team_id, enabled, minutes_per_activity, track_ir_reports, timezone, flat_fee_policy)
VALUES (2, true, 15, false, 'UTC', 'skip');
INSERT INTO autotime.team_settings (team_id, enabled, minutes_per_activity, call_minutes_mode, timezone, flat_fee_policy)
VALUES (3, true, 10, 'rounded_duration', 'Asia/Kolkata', 'billable');
INSERT INTO team_members (team_id, user_id, name, can_log_time, hourly_rate)
SELECT t, t * 10 + u, 'member ' || (t * 10 + u), u < 2, 100 + 50 * u + t
FROM generate_series(1, 3) t, generate_series(0, 2) u;
INSERT INTO clients (team_id, id, name)
SELECT t, t * 100 + i, 'client ' || (t * 100 + i) FROM generate_series(1, 3) t, generate_series(0, 19) i;
INSERT INTO cases (team_id, id, client_id, title, status, billing_type, updated_at)
SELECT t, t * 1000 + 4 * i + k, t * 100 + i, 'case ' || (t * 1000 + 4 * i + k),
       CASE WHEN k = 2 THEN 'closed'
            WHEN i % 10 = 9 THEN CASE k WHEN 0 THEN 'closed' ELSE 'archived' END
            WHEN k = 1 AND i % 10 = 7 THEN 'pending'
            WHEN k = 1 AND i % 10 = 6 THEN 'intake'
            ELSE 'open' END,
       CASE WHEN k = 1 AND i % 10 = 8 THEN 'flat_fee' WHEN k = 1 AND i % 10 = 7 THEN 'contingency' ELSE 'hourly' END,
       timestamptz '2026-01-01 00:00+00' + CASE WHEN k = 2 THEN interval '60 days'
                                                 WHEN k = 1 AND i % 10 <> 5 THEN interval '30 days'
                                                 ELSE interval '0' END + i * interval '1 hour'
FROM generate_series(1, 3) t, generate_series(0, 18) i, generate_series(0, 2) k;
SQL

echo "== running the stress test (8 connections)"
started=$SECONDS
rc=0
timeout 300 "$BUILD_DIR/autotime_integration_tests" --gtest_filter='Stress.*' --gtest_color=no \
  | tee "$BUILD_DIR/stress.log" || rc=$?
elapsed=$((SECONDS - started))
if grep -q 'deadlock detected' "$CLUSTER_DIR/server.log"; then
  echo "server log reports deadlocks:"; grep -A3 'deadlock detected' "$CLUSTER_DIR/server.log" | head -n 40
  rc=1
fi
echo
echo "stress summary (${elapsed}s):"
grep -E '^(run:|backfill_team|identity:|after the|checks|final backfill)' "$BUILD_DIR/stress.log" | sed 's/^/  /' || true
if [ "$rc" -ne 0 ]; then echo "stress: FAILED (exit $rc)"; exit 1; fi
echo "stress: passed"
