set -euo pipefail
cd /work/wt-bench
ROOT="$PWD"
source scripts/cluster.sh
source bench/private_install.sh
cluster_start -c shared_buffers=512MB -c jit=off -c autovacuum=off -c max_wal_size=16GB
cleanup() { cluster_stop; rm -rf "$WORK"; }
trap cleanup EXIT
export PG_BINDIR
python3 - <<'PY'
import os, subprocess, re, sys, time
sys.path.insert(0, "bench")
import kinds as K
def psql(db, s):
    p = subprocess.run(["psql","-X","-q","-At","-v","ON_ERROR_STOP=1","-d",db], input=s, capture_output=True, text=True)
    if p.returncode: raise RuntimeError(p.stderr)
    return p.stdout
CPU = "SELECT 'CPU ' || pg_read_file('/proc/self/stat');"
def timed(db, stmt):
    out = psql(db, CPU + "\n\\timing on\n" + stmt + "\n\\timing off\n" + CPU)
    ms = sum(float(m) for m in re.findall(r"^Time: ([0-9.]+) ms", out, re.M))
    pr = re.findall(r"^CPU \d+ \(.*?\) (.*)$", out, re.M)
    f = lambda x: (int(x.split()[11]) + int(x.split()[12])) / 100
    return ms / 1000, f(pr[1]) - f(pr[0])
psql("postgres", "CREATE DATABASE h;")
psql("h", open("bench/setup.sql").read())
n = 100000
reset = "TRUNCATE bench.calls, bench.time_entries, autotime.activity_links; CHECKPOINT;"
load = f"INSERT INTO bench.calls ({K.SPEC['call']['cols']}) {K.bulk_rows('call', n)};"
import threading
for label in ("autotime", "floor"):
    if label == "floor":
        psql("h", K.detach_all() + K.NO_ENTRY_TRIGGERS)
    psql("h", reset)
    stmt = load if label == "autotime" else "BEGIN;" + load + K.bulk_floor_after("call") + "COMMIT;"
    env = dict(os.environ, PGAPPNAME="perfbulk")
    p = subprocess.Popen(["psql", "-X", "-q", "-d", "h", "-c", "SELECT pg_sleep(1)", "-c", stmt], env=env)
    time.sleep(0.5)
    pid = psql("postgres", "SELECT pid FROM pg_stat_activity WHERE application_name = 'perfbulk'").strip()
    data = f"/tmp/perfbulk-{label}.data"
    pr = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", pid, "-o", data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p.wait()
    pr.send_signal(2); pr.wait()
    script = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True).stdout
    folded = subprocess.run([sys.executable, "bench/perf_breakdown.py"], input=script, capture_output=True, text=True).stdout
    flat = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "symbol", "-g", "none", "--percent-limit", "2", "--stdio"], capture_output=True, text=True).stdout
    out = f"# bulk INSERT..SELECT of {n} calls, {label}: perf record -g of the backend\n{folded}\n# flat (self)\n" + "\n".join(l for l in flat.splitlines() if l.strip() and not l.startswith("#"))
    open(f"bench/results/2026-12-01-kinds/bulk-perf-{label}.txt", "w").write(out)
    print(out, flush=True)
PY
