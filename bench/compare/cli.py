"""``python -m bench.compare [--quick | --tiny] [--only KEY,...] [--out DIR]``: run, print, write.

Each architecture in turn: skipped with the reason when it cannot run here (uWSGI not
installed, no Node.js), else its host is started, the load applied (``load.run``), the host
stopped. A failure is a row with the error, never the end of the run. Then the table is printed
and written with the CSVs and the plots (``report.py``); with the default ``--out``, the plots
are also copied to ``slides/diagrams/`` for the pros-and-cons slides.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from workshop import paths

from . import load, report
from .architectures import ARCHITECTURES, BY_KEY
from .host import Host

RESULTS = paths.REPO_ROOT / "bench" / "results"
SLIDE_DIAGRAMS = paths.REPO_ROOT / "slides" / "diagrams"


def _raise_open_files(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
    if limit > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def measure_one(arch, plan: load.Plan, logs: Path) -> dict:
    row = {"key": arch.key, "architecture": arch.label, "lesson": arch.lesson, "processes": arch.processes}
    problem = arch.problem()
    if problem:
        return {**row, "status": "skipped", "note": f"not available: {problem}"}
    started = time.monotonic()
    try:
        host = Host(arch.key, arch.in_process, logs / f"{arch.key}.log")
    except RuntimeError as exc:
        return {**row, "status": "error", "note": f"did not start: {exc}"[:400]}
    try:
        measured = asyncio.run(load.run(host, arch.client, plan))
        row.update(measured, status="measured")
        if "fixed_clients" not in row:
            row["note"] = f"the fixed load ({plan.fixed} clients) was not reached"
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, it goes on with the next one
        row.update(status="error", note=f"{type(exc).__name__}: {exc}"[:400])
    finally:
        host.stop()
    row["load1"] = round(os.getloadavg()[0], 1)
    row["seconds"] = round(time.monotonic() - started, 1)
    return row


def summary(row: dict) -> str:
    if row["status"] != "measured":
        return f"{row['architecture']:<30} {row['status']}: {row.get('note', '')}"
    return (f"{row['architecture']:<30} held {row['clients_held']:>4}  median {row.get('median_ms', float('nan')):7.1f} ms"
            f"  p95 {row.get('p95_ms', float('nan')):7.1f} ms  {row.get('kib_per_conn', float('nan')):7.1f} KiB/conn"
            f"  {row.get('threads_per_100', float('nan')):6.1f} thr/100  {row.get('wire_per_delivery', float('nan')):6.2f}"
            f" wire/dlv  {row.get('cpu_s_per_10k', float('nan')):6.2f} CPU s/10k  lost {row.get('lost', '?')}"
            f"  ({row['seconds']} s, load {row['load1']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_const", const="quick", dest="mode", help="smaller steps")
    size.add_argument("--tiny", action="store_const", const="tiny", dest="mode", help="2-3 clients: a smoke test")
    parser.add_argument("--only", help="comma-separated keys (see --list)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"where to write (default {paths.relative(RESULTS)})")
    parser.add_argument("--list", action="store_true", help="list the architectures and exit")
    args = parser.parse_args(argv)
    mode = args.mode or "full"
    if args.list:
        for arch in ARCHITECTURES:
            print(f"{arch.key:<18} lesson {arch.lesson:<3} {arch.label:<30} {arch.problem() or 'available'}")
        return 0
    chosen = [BY_KEY[k.strip()] for k in args.only.split(",")] if args.only else ARCHITECTURES
    plan = load.PLANS[mode]
    _raise_open_files(4 * max(plan.steps) + 512)
    run = report.machine(mode, plan)
    print(f"bench.compare, {mode} mode, {run['date']}: {run['cores']} cores ({run['cpu']}), {run['kernel']}, "
          f"Python {run['python']}; load average {run['load_start']}"
          + (" - LOADED: other work shares the cores" if run["loaded"] else ""), flush=True)
    logs = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    rows = []
    for arch in chosen:
        print(f"  {arch.key} ...", end=" ", flush=True)
        rows.append(measure_one(arch, plan, logs))
        print(summary(rows[-1]), flush=True)
    run["load_end"] = [round(x, 1) for x in os.getloadavg()]
    written = report.write(rows, run, args.out) + report.plots(rows, args.out, plan.limit_ms)
    if args.out.resolve() == RESULTS.resolve():
        for svg in written[-2:]:
            shutil.copy2(svg, SLIDE_DIAGRAMS / svg.name)
    print()
    print(report.markdown(rows, run))
    print("written: " + ", ".join(paths.relative(p) if p.is_relative_to(paths.REPO_ROOT) else str(p) for p in written))
    if any(r["status"] == "error" for r in rows):
        print(f"server logs of the failures: {logs}")
    else:
        shutil.rmtree(logs, ignore_errors=True)
    return 0
