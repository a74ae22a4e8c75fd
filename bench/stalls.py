"""What lands in the p99: `bpu-bot serve` under bench.compare's latency phase, with a probe inside.

    .venv/bin/python -m bench.stalls [--rate 300] [--seconds 10] [--slow 8] [--postgres URL]
    PYTHONPATH=/tmp/worktree .venv/bin/python -m bench.stalls   # that tree's code serves

Runs ours on a fresh SQLite file (or PostgreSQL, whose schema is dropped) with
`bench/probe/sitecustomize.py` loaded, as bench.compare runs it: 50 people enrol unmeasured,
`--people` enrol as fast as they can (whose rate, halved, is the offered rate unless `--rate`
says), then updates go out on a fixed schedule for `--seconds`. It prints, for that phase:

- the latency the client saw, and the time the server spent on each request (its p50/p90/p99);
- each cluster of requests slower than `--slow` ms inside the server (requests 50 ms apart or
  less are one cluster), with what happened from 50 ms before it to its end: full garbage
  collections, SQLite checkpoints, and event-loop callbacks that held the loop over 2.5 ms
  (with the CPU time the loop's thread spent in each, and how often it blocked or was preempted);
- how many slow requests fell in a cluster with each kind of event, and how many with none;
- for all the callbacks over 2.5 ms in the phase, how much of their time the loop's thread was
  on the CPU, and how much off it (preempted by another process, or waiting for the disk or the
  interpreter lock): a long callback with little CPU is time the machine took, not our work.

A cluster with no event is time lost outside the server's own doing (CPU taken by another
process, the kernel). It asserts nothing; the probe's own cost makes its numbers no benchmark's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from bench.compare import (
    PATH,
    Load,
    fake_bot_api,
    free_port,
    ours,
    percentile,
    postgres_url,
    sqlite_url,
    wait_ready,
)

PROBE = Path(__file__).resolve().parent / "probe"
CLUSTER_GAP_S = 0.05
BEFORE_S = 0.05
SHOWN = 12
"""Events listed for one cluster at most (all of them are counted)."""
Event = dict[str, Any]


async def run(args: argparse.Namespace, folder: Path) -> tuple[list[float], float, float, list[Event]]:
    """(client latencies in s, phase start, phase end, the probe's events)."""
    api_port = free_port()
    fake = fake_bot_api(folder, api_port)
    fake.start()
    database = postgres_url(args.postgres) if args.postgres else sqlite_url
    process = ours(database, api_port)(folder, free_port(), 0)
    probe_file = folder / "probe.jsonl"
    # The probe first; then the caller's path, so that a worktree named there is what serves.
    path = os.pathsep.join(p for p in (str(PROBE), os.environ.get("PYTHONPATH", "")) if p)
    process.env.update(PYTHONPATH=path, BPU_PROBE=str(probe_file))
    connector = aiohttp.TCPConnector(limit=args.people + 50, keepalive_timeout=2)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            await wait_ready(session, fake, "/stats")
            process.start()
            await wait_ready(session, process, "/healthz")
            load = Load(session, f"http://127.0.0.1:{process.port}{PATH}")
            await load.closed_loop(range(4_000_000, 4_000_050))
            top = await load.closed_loop(range(1_000_000, 1_000_000 + args.people))
            rate = args.rate or top / 2
            print(f"closed loop {top:.0f} updates/s; offered {rate:.0f} updates/s for {args.seconds:.0f} s")
            start = time.time()
            latencies = await load.open_loop(2_000_000, args.people, rate, int(rate * args.seconds))
            end = time.time()
    finally:
        process.stop()
        fake.stop()
    events = [json.loads(line) for line in probe_file.read_text().splitlines()]
    return latencies, start, end, events


def clusters(slow: Sequence[Event]) -> list[list[Event]]:
    """The slow requests in order of arrival, grouped: one that starts within `CLUSTER_GAP_S` of
    the group's latest end joins it."""
    groups: list[list[Event]] = []
    group_end = 0.0
    for request in sorted(slow, key=lambda r: r["at"]):
        end = request["at"] + request["ms"] / 1000
        if groups and request["at"] - group_end <= CLUSTER_GAP_S:
            groups[-1].append(request)
            group_end = max(group_end, end)
        else:
            groups.append([request])
            group_end = end
    return groups


def describe(event: Event, origin: float) -> str:
    at = f"+{event['at'] - origin:6.3f}s"
    if event["kind"] == "callback":
        return (
            f"{at} callback {event['ms']:.1f} ms (cpu {event['cpu_ms']:.1f}, gc {event['gc_ms']:.1f},"
            f" blocked {event['blocked']}x, preempted {event['preempted']}x) {event['name']}"
        )
    if event["kind"] == "checkpoint":
        return f"{at} checkpoint {event['ms']:.1f} ms {tuple(event['result'])}"
    return f"{at} {event['kind']} {event['ms']:.1f} ms"


def report(
    args: argparse.Namespace, latencies: list[float], start: float, end: float, events: list[Event]
) -> str:
    in_phase = [e for e in events if start <= e["at"] <= end]
    requests = [e for e in in_phase if e["kind"] == "request"]
    inside = [r["ms"] for r in requests]
    lines = [
        f"client: p50 {percentile(latencies, 0.5) * 1000:.1f} ms,"
        f" p99 {percentile(latencies, 0.99) * 1000:.1f} ms ({len(latencies)} updates)",
        f"server: p50 {percentile(inside, 0.5):.1f} ms, p90 {percentile(inside, 0.9):.1f} ms,"
        f" p99 {percentile(inside, 0.99):.1f} ms ({len(inside)} requests)",
    ]
    others = [e for e in in_phase if e["kind"] != "request"]
    kinds: Counter[str] = Counter()
    slow = [r for r in requests if r["ms"] > args.slow]
    for group in clusters(slow):
        first, last = group[0]["at"], max(r["at"] + r["ms"] / 1000 for r in group)
        near = [e for e in others if first - BEFORE_S <= e["at"] + e["ms"] / 1000 and e["at"] <= last]
        worst = max(r["ms"] for r in group)
        lines.append(f"+{first - start:6.3f}s {len(group)} slow requests, up to {worst:.1f} ms")
        lines += ["    " + describe(e, start) for e in near[:SHOWN]]
        if len(near) > SHOWN:
            lines.append(f"    and {len(near) - SHOWN} more")
        for kind in {e["kind"] for e in near} or {"nothing"}:
            kinds[kind] += len(group)
    lines.append(
        f"slow requests (> {args.slow:g} ms): {len(slow)}; in a cluster with "
        + ", ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items()))
    )
    long = [e for e in others if e["kind"] == "callback"]
    wall, cpu = sum(e["ms"] for e in long), sum(e["cpu_ms"] for e in long)
    off = [e for e in long if e["ms"] - e["cpu_ms"] > e["ms"] / 2]
    lines.append(
        f"callbacks over 2.5 ms: {len(long)}, {wall:.0f} ms in all, of it {cpu:.0f} ms on the CPU;"
        f" {len(off)} of them were off the CPU for more than half their time"
        f" (blocked {sum(e['blocked'] for e in off)}x, preempted {sum(e['preempted'] for e in off)}x)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--rate", type=float, help="updates/s offered (default: half the closed loop's)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--slow", type=float, default=8.0, help="ms inside the server that count as slow")
    parser.add_argument("--postgres", help="a PostgreSQL URL whose schema may be dropped")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bpu-stalls-") as name:
        latencies, start, end, events = asyncio.run(run(args, Path(name)))
    print(report(args, latencies, start, end, events))


if __name__ == "__main__":
    main()
