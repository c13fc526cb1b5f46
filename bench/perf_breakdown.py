#!/usr/bin/env python3
"""Folds `perf script` output of one backend into the share of samples spent in each phase of an
INSERT with capture. A sample is charged to the first rule (in order) whose frame is on its stack.
usage: perf script -i perf.data | perf_breakdown.py [--within FRAME]"""
import collections
import sys

# (label, any of these frames on the stack). Order matters: the first match wins.
RULES = [
    ("FK checks (RI_FKey_check_ins: one SPI query per inserted row)", ["RI_FKey_check_ins", "SPI_execute_snapshot"]),
    ("CHECK constraints (ExecConstraints: re-reads ccbin per statement)", ["ExecConstraints"]),
    ("autotime rule functions (C)", ["autotime_rule_skip_reason", "autotime_rule_minutes", "autotime_rule_billable",
                                     "autotime_rule_description"]),
    ("capture: plan lookup/revalidation (GetCachedPlan)", ["GetCachedPlan", "RevalidateCachedQuery"]),
    ("capture: executor startup (ExecInitNode of the plan tree)", ["standard_ExecutorStart"]),
    ("capture: executor end (ExecEndNode, free)", ["standard_ExecutorEnd"]),
    ("capture: index inserts", ["ExecInsertIndexTuples"]),
    ("capture: heap inserts", ["heap_insert"]),
    ("capture: ON CONFLICT arbiter check", ["ExecCheckIndexConstraints"]),
    ("capture: lookups (index scans: settings, member, case)", ["index_getnext_slot", "ExecIndexScan", "ExecSeqScan"]),
    ("capture: sort/unique/CTE/tuplestore", ["ExecSort", "tuplesort_begin_heap", "tuplesort_performsort",
                                            "tuplestore_puttupleslot", "tuplestore_gettupleslot", "ExecUnique"]),
    ("SPI connect/finish/register transition tables", ["SPI_connect", "SPI_finish", "SPI_register_trigger_data",
                                                      "SPI_register_relation"]),
]
OUTER = [
    ("commit (CommitTransactionCommand)", ["CommitTransactionCommand"]),
    ("parse/bind/protocol (exec_bind_message etc.)", ["exec_bind_message", "exec_parse_message", "pq_getbyte",
                                                      "secure_read", "pq_flush", "socket_flush", "ReadCommand"]),
]


def main():
    within = None
    if len(sys.argv) > 2 and sys.argv[1] == "--within":
        within = sys.argv[2]
    other_leaves = collections.Counter()
    totals = collections.Counter()
    n_all = 0
    n_within = 0
    stack = []

    def flush():
        nonlocal n_all, n_within
        if not stack:
            return
        n_all += 1
        frames = [f.split("+")[0] for f in stack]
        if within and not any(within in f for f in frames):
            stack.clear()
            return
        n_within += 1
        for label, names in (RULES if within else OUTER + RULES):
            if any(f in names for f in frames):
                totals[label] += 1
                break
        else:
            totals["other (executor run of the statement, expression eval, ...)"] += 1
            named = [f for f in frames if f != "[unknown]"]
            other_leaves[" < ".join(named[:3])] += 1
        stack.clear()

    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            flush()
            continue
        if line[0] not in " \t":
            flush()
            continue
        parts = line.split()
        if len(parts) >= 2:
            stack.append(parts[1])
    flush()
    base = n_within if within else n_all
    print(f"samples: {n_all} total" + (f", {n_within} ({100 * n_within / max(1, n_all):.1f}%) under {within}"
                                       if within else ""))
    for label, c in totals.most_common():
        print(f"  {100 * c / max(1, base):5.1f}%  {label}")
    print("  top stacks (leaf < caller < caller) inside 'other':")
    for stack, c in other_leaves.most_common(12):
        print(f"    {100 * c / max(1, base):5.1f}%  {stack}")


if __name__ == "__main__":
    main()
