"""The one load, applied to one architecture at a time, and what ``/proc`` says it cost.

For an architecture whose host is ready (``host.py``), ``run()`` does, in one event loop:

1. a warm-up member joins and leaves (imports, first database queries), then the servers' resident
   memory (VmRSS), OS threads (``Threads:``) and CPU time (utime + stime) are read from
   ``/proc/PID/status`` and ``/proc/PID/stat``, summed over every server process involved;
2. **steps**, as hashrocket's websocket-shootout does: members are added up to the next step's
   count (``plan.steps``), the servers settle, their memory and threads are read (the members are
   idle then), and member 0 sends a few messages at ``plan.rate`` per second. Every member,
   the sender included, must receive each one; a delivery still missing ``plan.drain`` seconds
   after the last send is *lost*. A step *holds* if its p95 (send to receipt, over every
   delivery) is at most ``plan.limit_ms`` and nothing was lost; "clients held" is the last step
   that held before the first that did not;
3. at ``plan.fixed`` members (one of the steps) the **fixed load**: ``plan.messages`` messages,
   whose median and p95, CPU seconds, requests and frames per delivery and losses go in the table.

Stepping goes on past the limit until the fixed load is measured, and stops at the first step
that fails after it, at the last step, or when ``plan.budget`` seconds are used up. Nothing is
asserted. Clients and servers share the machine's cores, which is the first caveat of every number.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass, field

from . import clients

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Plan:
    steps: tuple[int, ...]
    fixed: int
    messages: int  # at the fixed load
    per_step: int  # at every other step
    rate: float = 5.0  # messages per second from the sender
    limit_ms: float = 250.0
    drain: float = 5.0
    settle: float = 0.5
    budget: float = 60.0  # seconds of stepping per architecture
    gate: int = 20  # members joining at once


PLANS = {
    "tiny": Plan(steps=(2, 3), fixed=3, messages=3, per_step=2, drain=5.0, settle=0.3, budget=30.0),
    "quick": Plan(steps=(5, 20, 50), fixed=20, messages=10, per_step=3, drain=3.0, budget=12.0),
    "full": Plan(steps=(10, 25, 50, 100, 200, 400), fixed=50, messages=25, per_step=5, budget=35.0),
}


def sample(pids: list[int]) -> dict:
    """RSS (bytes), threads and CPU seconds per process, from /proc (a process gone is skipped)."""
    found = {}
    for pid in pids:
        try:
            status = open(f"/proc/{pid}/status").read()
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        ticks = stat[stat.rfind(")") + 2:].split()
        found[pid] = {"rss": int(fields.get("VmRSS", "0 kB").split()[0]) * 1024, "threads": int(fields["Threads"]),
                      "cpu": (int(ticks[11]) + int(ticks[12])) / TICKS}
    return found


def total(snapshot: dict, what: str) -> float:
    return sum(each[what] for each in snapshot.values())


def cpu_between(before: dict, after: dict) -> float:
    return sum(after[pid]["cpu"] - before[pid]["cpu"] for pid in after if pid in before)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


@dataclass
class Tally:
    """When each message was sent, how many members must receive it, and when each did."""

    sent: dict = field(default_factory=dict)  # seq -> perf_counter at send
    expected: dict = field(default_factory=dict)  # seq -> members at send
    arrivals: dict = field(default_factory=dict)  # seq -> {member index: perf_counter}

    def __call__(self, client, seq: int, at: float) -> None:
        if seq in self.sent and seq >= client.first_seq and not client.closed:
            self.arrivals.setdefault(seq, {}).setdefault(client.index, at)

    def outcome(self, seqs) -> tuple[list[float], int, int]:
        """(latencies in ms, deliveries expected, deliveries that arrived) of messages ``seqs``."""
        latencies = [(at - self.sent[s]) * 1000 for s in seqs for at in self.arrivals.get(s, {}).values()]
        return latencies, sum(self.expected[s] for s in seqs), len(latencies)


class Room:
    """The members of one architecture's room, and the messages sent to it."""

    def __init__(self, transport: clients.Transport, tally: Tally, plan: Plan):
        self.transport, self.tally, self.plan = transport, tally, plan
        self.members: list = []
        self.next_seq = 0

    async def grow(self, count: int) -> None:
        gate = asyncio.Semaphore(self.plan.gate)

        async def join(index: int):
            async with gate:
                member = await asyncio.wait_for(self.transport.open(index), clients.CONNECT_TIMEOUT * 2)
                member.first_seq = self.next_seq
                return member

        joined = await asyncio.gather(*(join(i) for i in range(len(self.members), count)), return_exceptions=True)
        self.members += [m for m in joined if not isinstance(m, BaseException)]
        failed = [m for m in joined if isinstance(m, BaseException)]
        if failed:
            raise ConnectionError(f"{len(failed)} of {len(joined)} members could not join: "
                                  f"{type(failed[0]).__name__}: {str(failed[0])[:160]}")
        await self.transport.all_joined()

    async def broadcast(self, count: int) -> list[int]:
        """Send ``count`` messages from member 0 at the plan's rate; wait for them; their seqs."""
        seqs, start = [], time.perf_counter()
        for n in range(count):
            await asyncio.sleep(max(0.0, start + n / self.plan.rate - time.perf_counter()))
            seq, self.next_seq = self.next_seq, self.next_seq + 1
            self.tally.sent[seq], self.tally.expected[seq] = time.perf_counter(), len(self.members)
            seqs.append(seq)
            await self.members[0].send(clients.text_for(seq))
        end = time.perf_counter() + self.plan.drain
        while time.perf_counter() < end:
            _, expected, arrived = self.tally.outcome(seqs)
            if arrived >= expected:
                break
            await asyncio.sleep(0.02)
        return seqs

    async def close(self) -> None:
        await asyncio.gather(*(m.close() for m in self.members), return_exceptions=True)


async def run(host, kind: str, plan: Plan) -> dict:
    """Measure one architecture whose host is ready: its table row, with its steps under ``steps``."""
    wire, tally = clients.Wire(), Tally()
    transport = await clients.make(kind, host.info, wire, tally)
    room = Room(transport, tally, plan)
    row: dict = {"steps": [], "pids": 0}
    try:
        room.members = [await transport.open(-1)]  # the warm-up: joins, sends one message, leaves
        await transport.all_joined()
        await room.broadcast(1)
        await room.close()
        room.members = []
        await asyncio.sleep(plan.settle * 2)
        base = sample(host.pids())
        row.update(rss_base_mib=total(base, "rss") / 2**20, threads_base=total(base, "threads"), pids=len(base))
        started, failed_once = time.monotonic(), False
        for step in plan.steps:
            step_row = {"clients": step}
            row["steps"].append(step_row)
            try:
                await room.grow(step)
            except (ConnectionError, OSError, asyncio.TimeoutError) as exc:
                step_row.update(error=str(exc) or type(exc).__name__, holds=False)
                break
            await asyncio.sleep(plan.settle)
            idle = sample(host.pids())
            step_row.update(rss_mib=total(idle, "rss") / 2**20, threads=total(idle, "threads"))
            if step == plan.fixed:
                wire_before = wire.total()
                seqs = await room.broadcast(plan.messages)
                after = sample(host.pids())
                latencies, expected, arrived = tally.outcome(seqs)
                row.update(fixed_clients=step, median_ms=statistics.median(latencies) if latencies else float("nan"),
                           p95_ms=percentile(latencies, 0.95), expected=expected, delivered=arrived,
                           lost=expected - arrived,
                           kib_per_conn=(step_row["rss_mib"] - row["rss_base_mib"]) * 1024 / step,
                           threads_per_100=(step_row["threads"] - row["threads_base"]) * 100 / step,
                           wire_per_delivery=(wire.total() - wire_before) / arrived if arrived else float("nan"),
                           cpu_s_per_10k=cpu_between(idle, after) * 10_000 / arrived if arrived else float("nan"))
            else:
                seqs = await room.broadcast(plan.per_step)
                latencies, expected, arrived = tally.outcome(seqs)
            step_row.update(p50_ms=statistics.median(latencies) if latencies else float("nan"),
                            p95_ms=percentile(latencies, 0.95), lost=expected - arrived)
            step_row["holds"] = bool(latencies) and step_row["p95_ms"] <= plan.limit_ms and not step_row["lost"]
            failed_once = failed_once or not step_row["holds"]
            if not failed_once:
                row["clients_held"] = step
            if (failed_once and step >= plan.fixed) or time.monotonic() - started > plan.budget:
                break
        row.setdefault("clients_held", 0)
        broke = next((s for s in row["steps"] if not s.get("holds")), None)
        row["broke_at"] = broke and broke["clients"]
        row["why"] = ("did not break up to the last step" if broke is None else broke.get("error")
                      or (f"{broke['lost']} deliveries lost" if broke.get("lost") else f"p95 {broke['p95_ms']:.0f} ms"))
    finally:
        await room.close()
    return row
