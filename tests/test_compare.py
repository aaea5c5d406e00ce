"""``python -m bench.compare --tiny``: every architecture serves the one chat, and the outputs are complete.

One real run (every lesson's launcher, real servers, real Redis, real sockets) with 2-3 clients
and a few messages, written to a temporary folder. Checked: every architecture has a row, each
either measured or skipped with the reason (only the optional ones may be skipped), no errors,
every message reached every client, the numbers are numbers, and the table, CSVs and plots exist.
Speed is never asserted: the numbers are whatever this machine gave.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys

import pytest

from workshop import paths

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    done = subprocess.run([sys.executable, "-m", "bench.compare", "--tiny", "--out", str(out)], cwd=paths.REPO_ROOT,
                          capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(out / "compare.csv", newline="") as handle:
        rows = {row["key"]: row for row in csv.DictReader(handle)}
    return out, rows, done.stdout


def test_every_architecture_has_a_row_and_none_failed(tiny_run):
    from bench.compare.architectures import ARCHITECTURES

    _, rows, stdout = tiny_run
    assert list(rows) == [a.key for a in ARCHITECTURES]
    for arch in ARCHITECTURES:
        row = rows[arch.key]
        assert row["status"] in ("measured", "skipped"), f"{arch.key}: {row['status']}: {row['note']}"
        if row["status"] == "skipped":
            assert arch.optional, f"{arch.key} is not optional, yet it was skipped: {row['note']}"
            assert row["note"].startswith("not available: ") and len(row["note"]) > 20


def test_every_message_reached_every_client(tiny_run):
    _, rows, _ = tiny_run
    for key, row in rows.items():
        if row["status"] != "measured":
            continue
        assert row["fixed_clients"] == "3", key
        assert int(row["expected"]) == 9 and int(row["delivered"]) == 9 and row["lost"] == "0", (key, row)


def test_the_numbers_are_sane(tiny_run):
    _, rows, _ = tiny_run
    for key, row in rows.items():
        if row["status"] != "measured":
            continue
        median, p95 = float(row["median_ms"]), float(row["p95_ms"])
        assert 0 < median <= p95, (key, median, p95)
        assert int(row["clients_held"]) in (0, 2, 3), key
        wire = float(row["wire_per_delivery"])
        assert 0 < wire < 100, (key, wire)  # a long poll's answer may carry several messages: under 1 is fine
        for name in ("kib_per_conn", "threads_per_100", "cpu_s_per_10k", "rss_base_mib"):
            assert math.isfinite(float(row[name])), (key, name, row[name])
        assert float(row["rss_base_mib"]) > 1 and int(row["pids"]) >= 1, key


def test_the_table_the_steps_and_the_plots_are_written(tiny_run):
    out, rows, stdout = tiny_run
    run = json.loads((out / "compare-run.json").read_text())
    assert run["mode"] == "tiny" and run["cores"] >= 1 and run["python"] and run["packages"]["Django"]
    table = (out / "compare.md").read_text()
    assert "loaded" in table and run["date"] in table
    for row in rows.values():
        assert row["architecture"] in table
    with open(out / "compare-steps.csv", newline="") as handle:
        steps = list(csv.DictReader(handle))
    measured = {k for k, r in rows.items() if r["status"] == "measured"}
    assert {s["key"] for s in steps} == measured
    for name in ("compare-latency.svg", "compare-memory.svg"):
        svg = (out / name).read_text()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Channels, uvicorn" in (out / "compare-latency.svg").read_text()


def test_the_recorded_run_is_complete():
    """The committed results, which the slides and lesson 08's notebook show, cover every architecture."""
    from bench.compare.architectures import ARCHITECTURES

    results = paths.REPO_ROOT / "bench" / "results"
    with open(results / "compare.csv", newline="") as handle:
        rows = {row["key"]: row for row in csv.DictReader(handle)}
    assert list(rows) == [a.key for a in ARCHITECTURES]
    assert json.loads((results / "compare-run.json").read_text())["mode"] == "full"
    for name in ("compare-latency.svg", "compare-memory.svg"):
        assert (results / name).read_bytes() == (paths.REPO_ROOT / "slides" / "diagrams" / name).read_bytes()
