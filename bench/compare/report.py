"""What a run writes: the table (Markdown), the CSVs, the run's machine and versions, the plots.

``compare.csv`` has one row per architecture (measured, skipped with the reason, or an error
with its message); ``compare-steps.csv`` one row per step (latency against clients, memory and
threads); ``compare-run.json`` the machine, the versions, the date, the plan and the load average;
``compare.md`` all of it for a human; ``compare-latency.svg`` and ``compare-memory.svg`` the two
plots. Lesson 08's notebook reads the CSVs; the slides show the SVGs.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import shutil
import subprocess
import time
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

COLUMNS = ["key", "architecture", "lesson", "status", "clients_held", "broke_at", "why", "fixed_clients",
           "median_ms", "p95_ms", "kib_per_conn", "threads_per_100", "wire_per_delivery", "cpu_s_per_10k",
           "lost", "delivered", "expected", "rss_base_mib", "threads_base", "pids", "processes", "load1", "note"]
STEP_COLUMNS = ["key", "architecture", "clients", "p50_ms", "p95_ms", "lost", "holds", "rss_mib", "threads", "error"]
PACKAGES = ["Django", "channels", "daphne", "channels-redis", "redis", "websockets", "uvicorn", "uWSGI", "gevent",
            "matplotlib"]


def _version(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip().split("\n")[0]
    except (OSError, subprocess.TimeoutExpired):
        return "not found"


def machine(mode: str, plan) -> dict:
    """Where and when: cores, CPU model, kernel, Python, packages, node and redis-server, load average."""
    from workshop.redis_server import find_redis_server

    model = "unknown"
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    redis = find_redis_server()
    load = os.getloadavg()
    return {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "mode": mode, "plan": asdict(plan),
            "cores": os.cpu_count(), "cpu": model, "kernel": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "packages": versions,
            "node": _version(["node", "--version"]) if shutil.which("node") else "not found",
            "redis_server": _version([redis, "--version"]) if redis else "not found",
            "load_start": [round(x, 1) for x in load], "loaded": load[0] > (os.cpu_count() or 1)}


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def write(rows: list[dict], run: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "compare.csv", out / "compare-steps.csv", out / "compare-run.json", out / "compare.md"]
    with open(written[0], "w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: _cell(row.get(k)) for k in COLUMNS} for row in rows)
    with open(written[1], "w", newline="") as handle:
        writer = csv.DictWriter(handle, STEP_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            for step in row.get("steps", []):
                writer.writerow({k: _cell(v) for k, v in {**step, "key": row["key"],
                                                           "architecture": row["architecture"]}.items()})
    written[2].write_text(json.dumps(run, indent=2) + "\n")
    written[3].write_text(markdown(rows, run))
    return written


def markdown(rows: list[dict], run: dict) -> str:
    plan = run["plan"]
    lines = [
        "# Every architecture, one load (`python -m bench.compare`)", "",
        f"Recorded {run['date']} ({run['mode']} mode): {run['cores']} cores, {run['cpu']}, {run['kernel']}, "
        f"Python {run['python']}, node {run['node']}, {run['redis_server']}. Load average "
        f"{' '.join(map(str, run['load_start']))} at the start, {' '.join(map(str, run.get('load_end', [])))} at "
        f"the end: **{'loaded' if run['loaded'] else 'not loaded'}** (other work shared the cores).", "",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in run["packages"].items()) + ".", "",
        f"One room; member 0 sends messages at {plan['rate']:g}/s, every member (the sender too) must receive each. "
        f"Fixed load: {plan['fixed']} members, {plan['messages']} messages. Steps: {', '.join(map(str, plan['steps']))} "
        f"members, {plan['per_step']} messages each; a step holds while the p95 is at most {plan['limit_ms']:g} ms "
        f"and nothing is lost (a delivery missing {plan['drain']:g} s after the last send).", "",
        "| architecture | lesson | clients held (p95 ≤ 250 ms) | median ms | p95 ms | KiB per idle connection "
        "| threads per 100 clients | requests or frames per delivery | CPU s per 10k deliveries | lost | processes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["status"] != "measured":
            lines.append(f"| {row['architecture']} | {row['lesson']} | {row['status']}: {row.get('note', '')} "
                         "| | | | | | | | |")
            continue
        held = f"{row['clients_held']}" + (f" (broke at {row['broke_at']}: {row['why']})" if row.get("broke_at") else
                                           f" ({row['why']})")
        lost = f"{row.get('lost', '')} of {row.get('expected', '')}" if "expected" in row else "n/a"
        lines.append("| " + " | ".join([
            row["architecture"], row["lesson"], held, _cell(row.get("median_ms")), _cell(row.get("p95_ms")),
            _cell(row.get("kib_per_conn")), _cell(row.get("threads_per_100")), _cell(row.get("wire_per_delivery")),
            _cell(row.get("cpu_s_per_10k")), lost, row["processes"]]) + " |")
    lines += ["", "What these numbers are: one machine, loopback only, the clients in one Python process on the "
              "same cores as the servers, the reference solutions, one run. They rank the architectures under one "
              "load on this machine; they are not any server's limit, and a loaded machine moves every absolute "
              "number (compare rows of the same run, never across runs).", ""]
    return "\n".join(lines)


def plots(rows: list[dict], out: Path, limit_ms: float) -> list[Path]:
    """p95 latency against clients (every step), and memory per idle connection (the fixed load)."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "bench-compare"  # the same run gives the same file
    import matplotlib.pyplot as plt

    measured = [r for r in rows if r["status"] == "measured"]
    written = [out / "compare-latency.svg", out / "compare-memory.svg"]
    fig, ax = plt.subplots(figsize=(9, 5))
    markers = "os^vD<>ph*xP"
    for index, row in enumerate(measured):
        points = [(s["clients"], s["p95_ms"]) for s in row["steps"] if s.get("p95_ms") is not None
                  and not math.isnan(s["p95_ms"])]
        if points:
            ax.plot(*zip(*points), marker=markers[index % len(markers)], label=row["architecture"])
    ax.axhline(limit_ms, color="grey", linestyle="--", linewidth=1)
    ax.text(0.99, limit_ms * 1.05, f"limit {limit_ms:g} ms", color="grey", fontsize=8, ha="right",
            transform=ax.get_yaxis_transform())
    ax.set(xscale="log", yscale="log", xlabel="clients in the room", ylabel="p95 send → receipt (ms)",
           title="Broadcast latency against clients (one machine, loopback)")
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    fig.tight_layout()
    fig.savefig(written[0], metadata={"Date": None})
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 5))
    named = [(r["architecture"], r.get("kib_per_conn")) for r in measured if r.get("kib_per_conn") is not None]
    ax.barh([n for n, _ in named], [max(0.0, v) for _, v in named], color="#4C72B0")
    for position, (_, value) in enumerate(named):
        ax.text(max(0.0, value), position, f" {value:.0f}", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set(xlabel="KiB of server RSS per idle connection (every server process involved)",
           title="Memory per idle connection")
    fig.tight_layout()
    fig.savefig(written[1], metadata={"Date": None})
    plt.close(fig)
    return written
