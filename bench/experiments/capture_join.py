#!/usr/bin/env python3
"""Experiment behind RESULTS.md "bulk capture is quadratic": runs autotime's call-capture statement
text (v0, exactly as capture_sql.cpp generated it on 2026-11-27) and a one-clause rewrite (v1: the
final step reads `FROM candidates c WHERE ((c.team_id, c.source_key) IN (SELECT k.team_id,
k.source_key FROM claimed k)) IS TRUE` instead of `FROM claimed k JOIN candidates c ...`) from a
PL/pgSQL statement trigger with the same transition table, so the plans are cached generic plans
like autotime's kept SPI plans. Prints seconds and the backend's peak private memory (RssAnon).
Needs a database `exp` made by setup.sql with bench.calls detached and functions exp_v0/exp_v1
(bench/experiments/make_functions.sql); PGHOST/PGPORT/PGUSER set."""
import subprocess, sys, threading, time

def psql(sql, app=None):
    env = None
    if app:
        import os
        env = dict(os.environ, PGAPPNAME=app)
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", "exp"], input=sql,
                          capture_output=True, text=True, env=env, check=True).stdout

def run(fn, n):
    psql(f"TRUNCATE bench.calls, bench.time_entries, autotime.activity_links; DROP TRIGGER IF EXISTS t ON bench.calls; "
         f"CREATE TRIGGER t AFTER INSERT ON bench.calls REFERENCING NEW TABLE AS autotime_new FOR EACH STATEMENT "
         f"EXECUTE FUNCTION {fn}(); CHECKPOINT;")
    box = {}
    def go():
        out = psql("\\timing on\nINSERT INTO bench.calls (team_id, client_id, user_id, direction, status, started_at, "
                   f"duration_seconds) SELECT 1, 1 + g % 1000, 101 + g % 50, 'outbound', 'completed', now(), 300 "
                   f"FROM generate_series(1, {n}) g;\n", app="exp_join")
        box["ms"] = float(out.split("Time: ")[1].split(" ms")[0])
    th = threading.Thread(target=go); th.start()
    pid = None
    while pid is None and th.is_alive():
        o = psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'exp_join';").strip()
        pid = int(o) if o else None
        time.sleep(0.02)
    peak = 0
    while th.is_alive():
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("RssAnon:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.1)
    th.join()
    entries = psql("SELECT count(*) FROM bench.time_entries;").strip()
    print(f"{fn} n={n:>9,}: {box['ms'] / 1000:8.2f} s  {box['ms'] * 1000 / n:8.1f} us/row  peak RssAnon "
          f"{peak / 1024:7.1f} MB  entries {entries}", flush=True)

if __name__ == "__main__":
    for spec in sys.argv[1:]:
        fn, n = spec.split(":")
        run(fn, int(n))
