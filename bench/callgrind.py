#!/usr/bin/env python3
"""Instructions per single-row insert, counted by callgrind in a single-user backend: the same
number on every run, where time on this shared machine varies by 1.4x. Run by bench/callgrind.sh.

Each variant runs N prepared one-row INSERTs, each its own transaction (postgres --single commits
every statement), twice: with N = 200 and N = 1200; the difference / 1000 is the cost of one insert
without the backend's start-up. Variants (the databases bench/setup.sql made):
  none      the call insert, capture detached          floor     the floor statement (bench/pgbench/floor.sql)
  autotime  the call insert with capture               plpgsql   the call insert with the PL/pgSQL reference
  *_ringing the same with status 'ringing': a call that does not qualify (nothing to write)
usage: callgrind.py BINDIR DATADIR OUT.json"""
import json
import re
import subprocess
import sys

BINDIR, DATA, OUT = sys.argv[1:4]
INSERT = ("PREPARE ins(int, int) AS INSERT INTO bench.calls (team_id, client_id, user_id, direction, status, started_at, "
          "duration_seconds, counterparty) VALUES (1, $1, $2, 'outbound', '{status}', now(), 300, 'bench');")
FLOOR = ("PREPARE ins(int, int) AS WITH call AS (INSERT INTO bench.calls (team_id, client_id, user_id, direction, status, "
         "started_at, duration_seconds, counterparty) VALUES (1, $1, $2, 'outbound', 'completed', now(), 300, 'bench') "
         "RETURNING team_id, id, client_id, user_id, started_at), link AS (INSERT INTO autotime.activity_links (team_id, "
         "kind, source_key, source_id) SELECT team_id, 'call', id::text, id FROM call ON CONFLICT (team_id, kind, "
         "source_key) DO NOTHING) INSERT INTO bench.time_entries (team_id, client_id, case_id, user_id, work_date, "
         "minutes, description, billable, status, rate, source_kind, source_id) SELECT team_id, client_id, $1 * 10 + 1, "
         "user_id, (started_at AT TIME ZONE 'America/New_York')::date, 15, 'Phone call (outbound)', $1 % 5 <> 0, "
         "'draft', $2 + 100, 'call', id FROM call;")
VARIANTS = {  # name: (database, prepared statement)
    "none": ("at_none", INSERT.format(status="completed")),
    "floor": ("at_floor", FLOOR),
    "autotime": ("at_autotime", INSERT.format(status="completed")),
    "plpgsql": ("at_plpgsql", INSERT.format(status="completed")),
    "none_ringing": ("at_none", INSERT.format(status="ringing")),
    "autotime_ringing": ("at_autotime", INSERT.format(status="ringing")),
    "plpgsql_ringing": ("at_plpgsql", INSERT.format(status="ringing")),
}


def instructions(db, prepare, n):
    script = prepare + "\n" + "".join(f"EXECUTE ins({i % 1000 + 1}, {101 + i % 50});\n" for i in range(n))
    run = subprocess.run(["runuser", "-u", "postgres", "--", "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          f"{BINDIR}/postgres", "--single", "-D", DATA, "-c", "jit=off", db],
                         input=script, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or not found or "ERROR" in run.stdout:
        raise RuntimeError(f"callgrind run of {db} failed:\n{run.stderr[-2000:]}\n{run.stdout[-2000:]}")
    return int(found.group(1))


per_insert = {}
for name, (db, prepare) in VARIANTS.items():
    per_insert[name] = (instructions(db, prepare, 1200) - instructions(db, prepare, 200)) / 1000
    print(f"  {name:17} {per_insert[name] / 1e3:8.1f} k instructions per insert", flush=True)
ratios = {
    "autotime / floor": per_insert["autotime"] / per_insert["floor"],
    "plpgsql / floor": per_insert["plpgsql"] / per_insert["floor"],
    "plpgsql / autotime": per_insert["plpgsql"] / per_insert["autotime"],
    "floor / none": per_insert["floor"] / per_insert["none"],
    "autotime / none, call that does not qualify": per_insert["autotime_ringing"] / per_insert["none_ringing"],
    "plpgsql / none, call that does not qualify": per_insert["plpgsql_ringing"] / per_insert["none_ringing"],
}
for name, value in ratios.items():
    print(f"  {name:45} {value:.3f}")
with open(OUT, "w") as f:
    json.dump({"instructions_per_insert": per_insert, "ratios": ratios}, f, indent=1)
