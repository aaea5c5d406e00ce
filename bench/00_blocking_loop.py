"""Lesson 00 benchmark: how long does a heartbeat task stall while another coroutine "waits"? Prints; asserts nothing.

    .venv/bin/python bench/00_blocking_loop.py                    # 1 s waits, a 10 ms heartbeat, 5 rounds
    .venv/bin/python bench/00_blocking_loop.py --seconds 0.5 --interval 0.005 --rounds 3

A heartbeat task wakes every ``--interval`` seconds and records how late each wake-up is. Beside it,
one coroutine waits ``--seconds`` in one of three ways:

- ``time.sleep`` called in the coroutine, on the loop's thread (a blocking call);
- ``await asyncio.sleep``: the loop is free while it waits;
- ``await asyncio.to_thread(time.sleep, ...)``: the blocking call moved to a worker thread.

Reported per way: the worst lateness of a heartbeat (the stall), the median lateness, and how many
beats happened out of those expected. A WebSocket server's heartbeat is every other connection:
while the loop is stalled, no frame is read, sent or answered.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import time

WAYS = ("time.sleep in the loop", "await asyncio.sleep", "await asyncio.to_thread")


async def _wait(way: str, seconds: float) -> None:
    if way == WAYS[0]:
        time.sleep(seconds)  # the mistake, on purpose
    elif way == WAYS[1]:
        await asyncio.sleep(seconds)
    else:
        await asyncio.to_thread(time.sleep, seconds)


async def one_round(way: str, seconds: float, interval: float) -> tuple[list[float], int]:
    """Lateness of every heartbeat while ``way`` waits ``seconds``; and how many beats there were."""
    lateness: list[float] = []
    stop = asyncio.Event()

    async def heartbeat():
        while not stop.is_set():
            due = time.perf_counter() + interval
            await asyncio.sleep(interval)
            lateness.append(max(0.0, time.perf_counter() - due))

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(interval * 2)  # let the heartbeat settle
    lateness.clear()
    await _wait(way, seconds)
    await asyncio.sleep(interval * 2)  # the beat that was due during a stall lands now
    stop.set()
    await beat
    return lateness, len(lateness)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="how long the coroutine waits (default 1)")
    parser.add_argument("--interval", type=float, default=0.01, help="heartbeat period in seconds (default 0.01)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per way; the table shows medians (default 5)")
    args = parser.parse_args(argv)
    expected = round((args.seconds + 2 * args.interval) / args.interval)
    print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}; a coroutine waits "
          f"{args.seconds:g} s, a heartbeat every {args.interval * 1000:g} ms; median of {args.rounds} rounds")
    print(f"{'way of waiting':<26} {'worst stall':>12} {'median late':>12} {'beats':>12}")
    for way in WAYS:
        worst, median, beats = [], [], []
        for _ in range(args.rounds):
            lateness, count = asyncio.run(one_round(way, args.seconds, args.interval))
            worst.append(max(lateness, default=0.0))
            median.append(statistics.median(lateness) if lateness else 0.0)
            beats.append(count)
        print(f"{way:<26} {statistics.median(worst) * 1000:>9.1f} ms {statistics.median(median) * 1000:>9.2f} ms "
              f"{int(statistics.median(beats)):>5} of ~{expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
