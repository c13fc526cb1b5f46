#!/usr/bin/env python3
"""Instructions (callgrind) for what bench/callgrind.py does not count: a live outbound text, a
live document, IR report and completed event (each kind's one-row path), and one INSERT ... SELECT
of 1,000 calls (CALLGRIND_ONE_ROW_ONLY=1: the one-row kinds only, without the other-owner text). Run by bench/callgrind_kinds.sh after bench/callgrind.py, on
the same databases. Same method: a single-user backend under callgrind runs each statement as its
own transaction; one-row kinds N = 200 and N = 1,200 inserts, (difference) / 1,000 per insert; the
bulk statement 1 and 6 times, (difference) / 5 per statement of 1,000 rows.

Variants per kind: none (capture detached), floor (the row plus the same ledger row and draft entry
in one plain statement, like bench/pgbench/floor.sql), autotime; texts also autotime_owner (a
database whose practice tables belong to a non-superuser role, so each per-owner step really
switches user; in the other databases every table belongs to the bootstrap superuser), bulk also
plpgsql (bench/plpgsql_reference.sql). Texts carry a unique provider_message_id (their dedupe key).

  callgrind_kinds.py BINDIR DATADIR OUT.json [--profile DIR]
--profile DIR additionally keeps the callgrind files of the autotime text runs in DIR and writes
DIR/sms-by-function.txt: inclusive instructions per text insert by function (difference of the two
runs / 1,000), from callgrind_annotate (the Debian postgres binary is stripped: its static functions
show as addresses).
  callgrind_kinds.py --annotate DIR [BASELINE_DIR] [OUT.txt]
rewrites that table from DIR's kept files, with a column for another commit's profile and the
difference when BASELINE_DIR is given."""
import json
import os
import re
import subprocess
import sys

ANNOTATE = sys.argv[1] == "--annotate"
ONE_ROW_ONLY = os.environ.get("CALLGRIND_ONE_ROW_ONLY") == "1"
if not ANNOTATE:
    BINDIR, DATA, OUT = sys.argv[1:4]
    PROFILE = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--profile" else None

ENTRY = ("INSERT INTO bench.time_entries (team_id, client_id, case_id, user_id, work_date, minutes, description, billable, "
         "status, rate, source_kind, source_id) ")
SMS = ("INSERT INTO bench.sms (team_id, client_id, user_id, direction, status, body, provider_message_id, sent_at) "
       "VALUES (1, $1, $2, 'outbound', 'delivered', 'bench', $3, now())")
SMS_FLOOR = ("WITH a AS (" + SMS + " RETURNING team_id, id, client_id, user_id, sent_at, provider_message_id), "
             "link AS (INSERT INTO autotime.activity_links (team_id, kind, source_key, source_id) SELECT team_id, 'sms', "
             "'provider:' || provider_message_id, id FROM a ON CONFLICT (team_id, kind, source_key) DO NOTHING) " + ENTRY +
             "SELECT team_id, client_id, $1 * 10 + 1, user_id, (sent_at AT TIME ZONE 'America/New_York')::date, 15, "
             "'Text message (outbound)', $1 % 5 <> 0, 'draft', $2 + 100, 'sms', id FROM a")
DOC = ("INSERT INTO bench.documents (team_id, client_id, user_id, name, template_id) "
       "VALUES (1, $1, $2, 'Engagement letter', 7)")
DOC_FLOOR = ("WITH a AS (" + DOC + " RETURNING team_id, id, client_id, user_id, created_at), "
             "link AS (INSERT INTO autotime.activity_links (team_id, kind, source_key, source_id) SELECT team_id, "
             "'document', id::text, id FROM a ON CONFLICT (team_id, kind, source_key) DO NOTHING) " + ENTRY +
             "SELECT team_id, client_id, $1 * 10 + 1, user_id, (created_at AT TIME ZONE 'America/New_York')::date, 15, "
             "'Document: Engagement letter', $1 % 5 <> 0, 'draft', $2 + 100, 'document', id FROM a")
IR = ("INSERT INTO bench.ir_reports (team_id, client_id, user_id, title, transcript) "
      "VALUES (1, $1, $2, 'Intake interview', 'words')")
IR_FLOOR = ("WITH a AS (" + IR + " RETURNING team_id, id, client_id, user_id, created_at), "
            "link AS (INSERT INTO autotime.activity_links (team_id, kind, source_key, source_id) SELECT team_id, "
            "'ir_report', id::text, id FROM a ON CONFLICT (team_id, kind, source_key) DO NOTHING) " + ENTRY +
            "SELECT team_id, client_id, $1 * 10 + 1, user_id, (created_at AT TIME ZONE 'America/New_York')::date, 15, "
            "'Interaction report: Intake interview', $1 % 5 <> 0, 'draft', $2 + 100, 'ir_report', id FROM a")
EVENT = ("INSERT INTO bench.events (team_id, client_id, user_id, title, starts_at, completed_at, completed_by) "
         "VALUES (1, $1, $2, 'Hearing', now(), now(), $2)")
EVENT_FLOOR = ("WITH a AS (" + EVENT + " RETURNING team_id, id, client_id, user_id, completed_by, completed_at), "
               "link AS (INSERT INTO autotime.activity_links (team_id, kind, source_key, source_id) SELECT team_id, "
               "'event', id::text, id FROM a ON CONFLICT (team_id, kind, source_key) DO NOTHING) " + ENTRY +
               "SELECT team_id, client_id, $1 * 10 + 1, coalesce(completed_by, user_id), "
               "(completed_at AT TIME ZONE 'America/New_York')::date, 15, "
               "'Completed: Hearing', $1 % 5 <> 0, 'draft', $2 + 100, 'event', id FROM a")
BULK = ("INSERT INTO bench.calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty) "
        "SELECT 1, g % 1000 + 1, 101 + g % 50, 'outbound', 'completed', now(), 300, 'bench' FROM generate_series(1, 1000) g")
BULK_FLOOR = ("WITH call AS (" + BULK + " RETURNING team_id, id, client_id, user_id, started_at), "
              "link AS (INSERT INTO autotime.activity_links (team_id, kind, source_key, source_id) SELECT team_id, 'call', "
              "id::text, id FROM call ON CONFLICT (team_id, kind, source_key) DO NOTHING) " + ENTRY +
              "SELECT team_id, client_id, client_id * 10 + 1, user_id, (started_at AT TIME ZONE 'America/New_York')::date, "
              "15, 'Phone call (outbound)', client_id % 5 <> 0, 'draft', user_id + 100, 'call', id FROM call")

ONE_ROW = {  # name: (database, statement with $1 client, $2 user, $3 text key)
    "sms_none": ("at_none", SMS),
    "sms_floor": ("at_floor", SMS_FLOOR),
    "sms_autotime": ("at_autotime", SMS),
    "sms_autotime_owner": ("at_owner", SMS),
    "document_none": ("at_none", DOC),
    "document_floor": ("at_floor", DOC_FLOOR),
    "document_autotime": ("at_autotime", DOC),
    "ir_report_none": ("at_none", IR),
    "ir_report_floor": ("at_floor", IR_FLOOR),
    "ir_report_autotime": ("at_autotime", IR),
    "event_none": ("at_none", EVENT),
    "event_floor": ("at_floor", EVENT_FLOOR),
    "event_autotime": ("at_autotime", EVENT),
}
if ONE_ROW_ONLY:  # CALLGRIND_ONE_ROW_ONLY=1: the five kinds' one-row variants only (no other owner, no bulk)
    ONE_ROW.pop("sms_autotime_owner")
BULK_VARIANTS = {
    "bulk1000_none": "at_none", "bulk1000_floor": "at_floor", "bulk1000_autotime": "at_autotime",
    "bulk1000_plpgsql": "at_plpgsql",
}


def run(db, script, out_file="/dev/null"):
    done = subprocess.run(["runuser", "-u", "postgres", "--", "valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                           f"{BINDIR}/postgres", "--single", "-D", DATA, "-c", "jit=off", db],
                          input=script, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found or "ERROR" in done.stdout:
        raise RuntimeError(f"callgrind run of {db} failed:\n{done.stderr[-2000:]}\n{done.stdout[-2000:]}")
    return int(found.group(1))


def one_row(name, db, sql, n, out_file="/dev/null"):
    prepare = f"PREPARE ins(int, int, text) AS {sql};\n"
    lines = "".join(f"EXECUTE ins({i % 1000 + 1}, {101 + i % 50}, '{name}-{n}-{i}');\n" for i in range(n))
    return run(db, prepare + lines, out_file)


def by_function(path):
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                          capture_output=True, text=True, check=True).stdout
    counts = {}
    for line in text.splitlines():
        found = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*?)\s*$", line)
        if not found or ":" not in found.group(2) or line.lstrip().startswith(("=>", "<")):
            continue
        name = re.sub(r"\s*\[.*\]$", "", found.group(2))                       # the object file
        name = re.sub(r"/?(tmp/)?autotime-bench\.\w+/src/src/", "src/", name)  # the build folder
        counts[name] = counts.get(name, 0) + int(found.group(1).replace(",", ""))
    return counts


def per_text_insert(folder):
    big, small = by_function(f"{folder}/sms-1200.callgrind"), by_function(f"{folder}/sms-200.callgrind")
    return {name: (big.get(name, 0) - small.get(name, 0)) / 1000 for name in big.keys() | small.keys()}


def annotate(folder, baseline=None, out=None):
    here = per_text_insert(folder)
    base = per_text_insert(baseline) if baseline else {}
    names = sorted(here.keys() | base.keys(), key=lambda n: -max(here.get(n, 0), base.get(n, 0)))
    with open(out or f"{folder}/sms-by-function.txt", "w") as f:
        f.write("inclusive instructions per outbound text insert (1,200-run minus 200-run, / 1,000), by function"
                + (f"\n{'this':>10} {'baseline':>10} {'difference':>10}\n" if baseline else "\n"))
        for name in names:
            if max(here.get(name, 0), base.get(name, 0)) < 500 and abs(here.get(name, 0) - base.get(name, 0)) < 500:
                continue
            if baseline:
                f.write(f"{here.get(name, 0):10.0f} {base.get(name, 0):10.0f} {here.get(name, 0) - base.get(name, 0):+10.0f}  {name}\n")
            else:
                f.write(f"{here.get(name, 0):10.0f}  {name}\n")


if ANNOTATE:
    annotate(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None, sys.argv[4] if len(sys.argv) > 4 else None)
    sys.exit(0)


per_insert = {}
for name, (db, sql) in ONE_ROW.items():
    keep = PROFILE is not None and name == "sms_autotime"
    big = one_row(name, db, sql, 1200, f"{PROFILE}/sms-1200.callgrind" if keep else "/dev/null")
    small = one_row(name, db, sql, 200, f"{PROFILE}/sms-200.callgrind" if keep else "/dev/null")
    per_insert[name] = (big - small) / 1000
    print(f"  {name:21} {per_insert[name] / 1e3:8.1f} k instructions per insert", flush=True)
for name, db in ({} if ONE_ROW_ONLY else BULK_VARIANTS).items():
    sql = BULK_FLOOR if name.endswith("_floor") else BULK
    per_insert[name] = (run(db, (sql + ";\n") * 6) - run(db, sql + ";\n")) / 5
    print(f"  {name:21} {per_insert[name] / 1e6:8.2f} M instructions per statement of 1,000 calls "
          f"({per_insert[name] / 1e6:.2f} k per row)", flush=True)

ratios = {}
for kind in ("sms", "document", "ir_report", "event"):
    ratios[f"{kind}: autotime / floor"] = per_insert[f"{kind}_autotime"] / per_insert[f"{kind}_floor"]
    ratios[f"{kind}: autotime / none"] = per_insert[f"{kind}_autotime"] / per_insert[f"{kind}_none"]
    ratios[f"{kind}: floor / none"] = per_insert[f"{kind}_floor"] / per_insert[f"{kind}_none"]
if not ONE_ROW_ONLY:
    ratios["sms, tables owned by another role: autotime / floor"] = per_insert["sms_autotime_owner"] / per_insert["sms_floor"]
    ratios["bulk 1,000 calls: autotime / none"] = per_insert["bulk1000_autotime"] / per_insert["bulk1000_none"]
    ratios["bulk 1,000 calls: autotime / floor"] = per_insert["bulk1000_autotime"] / per_insert["bulk1000_floor"]
    ratios["bulk 1,000 calls: floor / none"] = per_insert["bulk1000_floor"] / per_insert["bulk1000_none"]
    ratios["bulk 1,000 calls: plpgsql / autotime"] = per_insert["bulk1000_plpgsql"] / per_insert["bulk1000_autotime"]
for name, value in ratios.items():
    print(f"  {name:52} {value:.3f}")
with open(OUT, "w") as f:
    json.dump({"instructions_per_insert_or_statement": per_insert, "ratios": ratios}, f, indent=1)

if PROFILE is not None:
    annotate(PROFILE)
    print(f"  profile: {PROFILE}/sms-by-function.txt")
