#!/usr/bin/env python3
"""Live (one-row) capture cost in instructions, for every kind and both table shapes: callgrind
counts what a single-user backend executes, the same number on every run, where wall time on this
shared machine moves by 1.4x. Run by bench/bench.py (section `live`), or alone:
  callgrind_live.py BINDIR WORKDIR OUT.json [--n SMALL,BIG] [--kinds call,sms,...] [--shapes plain,partitioned] [--workers 2] [--variants none,floor,floor_history,autotime,plpgsql]
      [--profile DIR --profile-cases call/partitioned/autotime,...]  (keeps those runs' callgrind files, by-function tables)
as root, with BINDIR the private PostgreSQL copy's bin (bench/private_install.sh) and WORKDIR a new
folder: it makes its own cluster there (so the benchmark's cluster keeps running), one database per
shape and variant (bench/setup.sql, partitions 0 or 4), stops it, and runs callgrind.

Method (as bench/callgrind.py since 1.2): each variant runs SMALL and BIG prepared one-row INSERTs,
each its own transaction (postgres --single commits every statement); (BIG - SMALL) / (BIG - SMALL
count) is the cost of one insert without the backend's start-up. Variants: none (the insert,
capture detached), floor (bench/kinds.py one_row_floor: the insert, the same link and entry as one
plain statement), floor_history (the floor with the entry's 'created' history row, the row as jsonb, in
the same statement: work SPEC section 7 asks of autotime), autotime (the insert, captured), plpgsql
(the insert, bench/plpgsql_reference.sql).
none, floor and plpgsql run without autotime's entry history/guideline triggers on the entries table
(autotime's logic, not the floor's); autotime with them (that is what ships). Two copies of the data
directory let two backends run at once (instruction counts do not depend on it)."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import kinds as K  # noqa: E402

VARIANTS = ["none", "floor", "floor_history", "autotime", "plpgsql"]


def as_pg(cmd, **kw):
    return subprocess.run(["runuser", "-u", "postgres", "--"] + cmd, **kw)


def make_cluster(bindir, work, shapes, variants):
    data = os.path.join(work, "data")
    os.makedirs(work, exist_ok=True)
    shutil.chown(work, "postgres")
    as_pg([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
          check=True, capture_output=True)
    port = str(40000 + os.getpid() % 20000)
    as_pg([f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(work, "server.log"), "-w", "-o",
           f"-k {work} -p {port} -c listen_addresses='' -c fsync=off -c jit=off", "start"], check=True,
          capture_output=True)
    env = dict(os.environ, PGHOST=work, PGPORT=port, PGUSER="postgres")

    def psql(db, script, extra=()):
        p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", *extra, "-d", db], input=script,
                           capture_output=True, text=True, env=env)
        if p.returncode:
            raise RuntimeError(f"psql {db}: {p.stderr}")
        return p.stdout
    try:
        for shape in shapes:
            for v in variants:
                db = f"live_{v}_{shape}"
                psql("postgres", f"CREATE DATABASE {db};")
                psql(db, open(os.path.join(BENCH, "setup.sql")).read(), ["-v", f"partitions={K.SHAPES[shape]}"])
                if v != "autotime":
                    psql(db, K.detach_all() + K.NO_ENTRY_TRIGGERS)
                if v == "plpgsql":
                    psql(db, open(os.path.join(BENCH, "plpgsql_reference.sql")).read(), ["-v", "schema=bench"])
        # Every variant makes the same entry and link for one row of each kind (the floor: the same
        # statement with its parameters; the others: the insert).
        for shape in shapes:
            for kind in K.KINDS:
                want = None
                for v in [v for v in VARIANTS[1:] if v in variants]:
                    db = f"live_{v}_{shape}"
                    sql = K.one_row_floor(kind, v == "floor_history") if v.startswith("floor") else K.one_row(kind)
                    psql(db, f"PREPARE p(int, int, text) AS {sql};\nEXECUTE p(35, 117, 'check');\n")
                    got = psql(db, "SELECT e.client_id, e.case_id, e.user_id, e.minutes, e.description, e.billable, "
                                   "e.status, e.rate, e.source_kind, e.activity_code, e.work_date = (l.span_start AT TIME "
                                   "ZONE 'America/New_York')::date, l.kind, l.source_key LIKE '%check' OR "
                                   "l.source_key ~ '^[0-9]+$', l.span_len FROM bench.time_entries e JOIN (SELECT *, "
                                   "lower(span) AS span_start, upper(span) - lower(span) AS span_len FROM "
                                   "autotime.activity_links) l ON l.source_id = e.source_id AND l.kind = e.source_kind;")
                    psql(db, f"TRUNCATE bench.{K.TABLE[kind]}, bench.time_entries, autotime.activity_links;")
                    if want is None:
                        want = got
                    if not got.strip() or got != want:
                        raise RuntimeError(f"{shape} {kind}: variant {v} wrote [{got}], autotime-less floor wrote [{want}]")
                print(f"  {shape:11} {kind:9}: {', '.join(v for v in VARIANTS[1:] if v in variants)} write the same entry and link: "
                      f"{want.strip()}", flush=True)
        psql("postgres", "CHECKPOINT;")
    finally:
        as_pg([f"{bindir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], capture_output=True)
    copy = data + "2"
    as_pg(["cp", "-a", data, copy], check=True)
    return [data, copy]


def count(bindir, data, db, prepare, n, label, keep=None):
    lines = "".join(f"EXECUTE ins({i % 1000 + 1}, {101 + i % 50}, '{label}-{n}-{i}');\n" for i in range(n))
    run = as_pg(["valgrind", "--tool=callgrind", f"--callgrind-out-file={keep or '/dev/null'}", f"{bindir}/postgres", "--single",
                 "-D", data, "-c", "jit=off", "-c", "fsync=off", db], input=prepare + lines, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or not found or "ERROR" in run.stdout:
        raise RuntimeError(f"callgrind run of {db} failed:\n{run.stderr[-2000:]}\n{run.stdout[-2000:]}")
    return int(found.group(1))


def by_function(big_file, small_file, diff, out):
    """Inclusive instructions per insert by function: (big run - small run) / their difference."""
    def read(path):
        text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                              capture_output=True, text=True, check=True).stdout
        counts = {}
        for line in text.splitlines():
            found = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*?)\s*$", line)
            # (Call lines of the annotated sources, "N  => callee (Kx)", are the callee's whole cost
            # over both runs, not a function's: skipped.)
            if not found or ":" not in found.group(2) or found.group(2).startswith(("=>", "<")):
                continue
            name = re.sub(r"\s*\[.*\]$", "", found.group(2))
            name = re.sub(r"/?(tmp/)?autotime-bench\.\w+/src/src/", "src/", name)
            counts[name] = counts.get(name, 0) + int(found.group(1).replace(",", ""))
        return counts
    b, s = read(big_file), read(small_file)
    per = {k: (b.get(k, 0) - s.get(k, 0)) / diff for k in b.keys() | s.keys()}
    with open(out, "w") as f:
        f.write(f"inclusive instructions per insert ({os.path.basename(big_file)} minus {os.path.basename(small_file)}, "
                f"/ {diff}), by function\n")
        for k in sorted(per, key=lambda k: -per[k]):
            if per[k] >= 2000:
                f.write(f"{per[k]:10.0f}  {k}\n")


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))   # stop our cluster (the finally below) when stopped
    args = sys.argv[1:]
    bindir, work, out = args[:3]
    opts = dict(zip(args[3::2], args[4::2]))
    small, big = (int(x) for x in opts.get("--n", "200,1200").split(","))
    kinds = opts.get("--kinds", ",".join(K.KINDS)).split(",")
    shapes = opts.get("--shapes", ",".join(K.SHAPES)).split(",")
    profile = opts.get("--profile")
    profile_cases = opts.get("--profile-cases", "").split(",")
    if profile:
        os.makedirs(profile, exist_ok=True)
    variants = opts.get("--variants", ",".join(VARIANTS)).split(",")
    datas = make_cluster(bindir, work, shapes, variants)[:int(opts.get("--workers", "2"))]
    jobs = [(k, s, v) for s in shapes for k in kinds for v in variants]
    per_insert, lock = {}, threading.Lock()

    def worker(data):
        while True:
            with lock:
                if not jobs:
                    return
                kind, shape, v = jobs.pop(0)
            sql = K.one_row_floor(kind, v == "floor_history") if v.startswith("floor") else K.one_row(kind)
            prepare = f"PREPARE ins(int, int, text) AS {sql};\n"
            db = f"live_{v}_{shape}"
            label = f"{kind}-{v}"
            name = f"{kind}-{shape}-{v}"
            keep = (lambda n: os.path.join(work, f"{name}-{n}.callgrind")) if profile and \
                f"{kind}/{shape}/{v}" in profile_cases else (lambda n: None)
            cost = (count(bindir, data, db, prepare, big, label, keep(big)) -
                    count(bindir, data, db, prepare, small, label, keep(small))) / (big - small)
            if keep(big):
                by_function(keep(big), keep(small), big - small, os.path.join(profile, f"{name}-by-function.txt"))
            with lock:
                per_insert[f"{kind}/{shape}/{v}"] = cost
                print(f"  {kind:9} {shape:11} {v:8} {cost / 1e3:8.1f} k instructions per insert", flush=True)
    threads = [threading.Thread(target=worker, args=(d,)) for d in datas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if len(per_insert) != len(kinds) * len(shapes) * len(variants):
        raise RuntimeError("some callgrind runs failed")
    rows = []
    for shape in shapes:
        for kind in kinds:
            c = {v: per_insert[f"{kind}/{shape}/{v}"] for v in variants}
            row = dict(kind=kind, shape=shape, instructions=c)
            ratios = {"autotime_over_floor": ("autotime", "floor"), "plpgsql_over_autotime": ("plpgsql", "autotime"),
                      "plpgsql_over_floor": ("plpgsql", "floor"),
                      "autotime_over_floor_history": ("autotime", "floor_history")}
            row.update({name: c[a] / c[b] for name, (a, b) in ratios.items() if a in c and b in c})
            if "none" in c:
                row.update(floor_over_none=c["floor"] / c["none"],
                           capture_over_floor_work=(c["autotime"] - c["none"]) / (c["floor"] - c["none"]))
            rows.append(row)
    with open(out, "w") as f:
        json.dump({"n": [small, big], "instructions_per_insert": per_insert, "rows": rows}, f, indent=1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
