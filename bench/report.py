#!/usr/bin/env python3
"""Prints the markdown tables of RESULTS.md from one results.json (bench/out/<stamp>/results.json).
usage: report.py results.json"""
import json
import sys

LABEL = {"none": "no capture", "floor": "floor (plain SQL)", "autotime": "autotime", "plpgsql": "PL/pgSQL reference"}


def fmt(x, spec=".1f"):
    return "n/a" if x is None else format(x, spec)


def pick(res, **kw):
    for r in reversed(res):
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def main():
    doc = json.load(open(sys.argv[1]))
    res, env = doc["results"], doc["environment"]
    print(f"Run: {env['date']}, {env['mode']}, {env['wall_s']} s wall; source {env['source']}; "
          f"load average {' '.join(env['loadavg_start'])} at start, {' '.join(env.get('loadavg_end', []))} at end.\n")

    print("### Live single-row capture (µs per insert = 1e6 / TPS; CPU = the backends' own CPU time per insert)\n")
    print("| sync commit | clients | no capture | floor | autotime | PL/pgSQL | autotime / floor | PL/pgSQL / autotime |")
    print("|---|---|---|---|---|---|---|---|")
    for r in [x for x in res if x.get("section") == "single_ratio"]:
        g = {v: pick(res, section="single", variant=v, clients=r["clients"], sync=r["sync"]) for v in LABEL}
        cell = lambda v: f"{g[v]['us_per_insert']:.0f} ({fmt(g[v].get('cpu_us_per_insert'), '.0f')})"
        print(f"| {r['sync']} | {r['clients']} | {cell('none')} | {cell('floor')} | {cell('autotime')} | "
              f"{cell('plpgsql')} | **{r['autotime_over_floor']:.2f}** ({fmt(r.get('cpu_autotime_over_floor'), '.2f')}) | "
              f"**{r['plpgsql_over_autotime']:.2f}** ({fmt(r.get('cpu_plpgsql_over_autotime'), '.2f')}) |")
    print("\nWall µs (backend CPU µs in parentheses); ratios from wall time (from CPU time in parentheses).")
    spread = [x for x in res if x.get("section") == "single" and x.get("round_tps")]
    if spread:
        worst = max(spread, key=lambda x: max(x["round_tps"]) / min(x["round_tps"]))
        print(f"Noise: the widest spread between the three rounds of one cell was "
              f"{max(worst['round_tps']) / min(worst['round_tps']):.2f}x ({LABEL[worst['variant']]}, sync "
              f"{worst['sync']}, {worst['clients']} client(s)).\n")

    print("### Bulk: one statement of N calls (µs per activity, median of runs)\n")
    print("| load | N | no capture | floor | autotime | PL/pgSQL | autotime / no capture | floor / no capture | "
          "autotime / floor | PL/pgSQL / autotime |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in [x for x in res if x.get("section") == "bulk_ratio"]:
        g = {v: pick(res, section="bulk", variant=v, method=r["method"]) for v in LABEL}
        cell = lambda v: (f"{g[v]['us_per_row']:.1f}" if g[v] and g[v].get("us_per_row") else "timeout") + \
            (f" ({len(g[v]['runs'])} runs: {', '.join(fmt(s, '.1f') for s in g[v]['runs'])} s)"
             if g[v] and len(g[v].get("runs", [])) > 1 else "")
        name = "COPY" if r["method"] == "copy" else "INSERT ... SELECT generate_series"
        print(f"| {name} | {r['n']:,} | {cell('none')} | {cell('floor')} | {cell('autotime')} | {cell('plpgsql')} | "
              f"**{fmt(r['autotime_over_off'], '.2f')}** ({fmt(r.get('cpu_autotime_over_off'), '.2f')}) | "
              f"{fmt(r['floor_over_off'], '.2f')} | {fmt(r['autotime_over_floor'], '.2f')} | "
              f"**{fmt(r['plpgsql_over_autotime'], '.2f')}** ({fmt(r.get('cpu_plpgsql_over_autotime'), '.2f')}) |")
    print("\nRatios from wall time (backend CPU time in parentheses).\n")

    sc = pick(res, section="scaling_fit")
    if sc:
        print("### Scaling: COPY with capture\n")
        print("| N | no capture µs/row | autotime µs/row | capture overhead µs/row | per-row cost vs 5,000 |")
        print("|---|---|---|---|---|")
        for p in sc["points"]:
            over = p["us_per_row"] - p["off_us_per_row"] if p["us_per_row"] and p["off_us_per_row"] else None
            print(f"| {p['n']:,} | {fmt(p['off_us_per_row'])} | {fmt(p['us_per_row'])} | {fmt(over)} | "
                  f"{fmt(p['per_row_vs_smallest'], '.2f')}x |")
        print(f"\nFitted exponent (time ~ N^k): k = {fmt(sc['exponent'], '.2f')} -> "
              f"{'linear' if sc['linear'] else 'NOT linear'}.\n")

    bf = [x for x in res if x.get("section") == "backfill"]
    if bf:
        print("### Backfill\n")
        print("| step | result |")
        print("|---|---|")
        for r in bf:
            if r["step"] == "load_disabled":
                print(f"| COPY of {r['n']:,} calls, capture attached, team disabled | {r['seconds']:.1f} s "
                      f"({r['seconds'] * 1e6 / r['n']:.1f} µs/row), {r['entries']} entries |")
            elif r["step"] == "per_client":
                print(f"| `backfill_automatic_time(client)` x {r['clients']} clients | {r['entries']:,} entries in "
                      f"{fmt(r['seconds'], '.2f')} s = **{fmt(r.get('entries_per_s'), ',.0f')} entries/s**, "
                      f"{fmt(r.get('ms_per_call'), '.0f')} ms per call |")
            elif r["step"] == "team":
                print(f"| `CALL backfill_team(1, batch_size => {r['batch_size']})` | {r['entries']:,} entries in "
                      f"{r['seconds']:.1f} s = **{fmt(r.get('entries_per_s'), ',.0f')} entries/s** ({r['status']}) |")
            elif r["step"] == "team_noop":
                print(f"| no-op re-run of `backfill_team` | {r['seconds']:.2f} s = **{r['s_per_million']:.2f} s per "
                      f"million** activities |")
            elif r["step"] == "per_client_noop":
                print(f"| no-op re-run of `backfill_automatic_time` x {r['clients']} | {r['ms_per_call']:.0f} ms per "
                      f"call |")
        print()

    mem = [x for x in res if x.get("section") == "memory"]
    if mem:
        print("### Memory of the loading backend (one COPY)\n")
        print("| variant | N | time | VmHWM | peak RssAnon (private) | peak RssShmem | peak temp files |")
        print("|---|---|---|---|---|---|---|")
        for m in mem:
            print(f"| {LABEL[m['variant']]} | {m['n']:,} | {fmt(m['seconds'], '.0f')} s | {m['hwm_mb']:.0f} MB | "
                  f"{m['peak_anon_mb']:.0f} MB | {m['peak_shmem_mb']:.0f} MB | {m['peak_tmp_mb']:.0f} MB |")
        for m in mem:
            s = m["samples"]
            step = max(1, len(s) // 10)
            print(f"\n{LABEL[m['variant']]} timeline (s: private MB / temp MB): " +
                  ", ".join(f"{x['t']:.0f}: {x.get('RssAnon', 0) / 1024:.0f}/{x.get('tmp_mb') or 0:.0f}" for x in s[::step]))
        print()

    t = pick(res, section="targets")
    if t:
        print("### SPEC §5 targets\n")
        print("| target | this run | verdict |")
        print("|---|---|---|")
        for x in t["targets"]:
            print(f"| {x['target']} | {x['shown']} | {'**met**' if x['met'] else '**not met**'} |")


if __name__ == "__main__":
    main()
