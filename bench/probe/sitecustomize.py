"""What held `bpu-bot serve`'s requests back, recorded inside the server (for `bench.stalls`).

Python imports `sitecustomize` at start-up from the path; `bench.stalls` puts this folder on
`PYTHONPATH` and names an output file in `BPU_PROBE`. In any other process, or without
`BPU_PROBE`, it does nothing. It records, with wall-clock times, and writes as JSON lines when
the process exits:

- `request`: each HTTP request's time inside the server (uvicorn's request cycle, from its head
  parsed to its response sent);
- `callback`: each event-loop callback that held the loop over `STALL_MS`, with the garbage
  collector's time inside it, the CPU time the loop's thread spent in it (the rest of its wall
  time the thread was off the CPU), how often the thread left the CPU on its own (`blocked`: it
  waited for the disk or the interpreter lock) and how often the kernel took the CPU from it
  (`preempted`: another process or thread ran), and the task it ran;
- `gc2`: each full garbage collection;
- `checkpoint`: each round of SQLite's background checkpointer, with its result (1 if it could
  not finish, pages in the log, pages copied).

It costs three clock readings and two `getrusage` calls per callback: measurements taken with it
are not the benchmark's.
"""

from __future__ import annotations

import atexit
import functools
import gc
import json
import os
import resource
import sys
import time
from typing import Any

STALL_MS = 2.5


def _install(out: str) -> None:
    import asyncio.events

    import uvicorn.protocols.http.httptools_impl as httptools_impl

    import storage.sqlite_checkpoint as sqlite_checkpoint

    events: list[dict[str, Any]] = []
    collecting = {"since": 0.0, "total_ms": 0.0}

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting["since"] = time.time()
            return
        ms = (time.time() - collecting["since"]) * 1000
        collecting["total_ms"] += ms
        if info["generation"] == 2:
            events.append({"kind": "gc2", "at": collecting["since"], "ms": ms})

    gc.callbacks.append(on_gc)

    run_callback = asyncio.events.Handle._run

    def timed_callback(handle: asyncio.events.Handle) -> None:
        gc_before, start, cpu_start = collecting["total_ms"], time.time(), time.thread_time()
        usage = resource.getrusage(resource.RUSAGE_THREAD)
        run_callback(handle)
        ms = (time.time() - start) * 1000
        if ms > STALL_MS:
            cpu_ms = (time.thread_time() - cpu_start) * 1000
            after = resource.getrusage(resource.RUSAGE_THREAD)
            blocked, preempted = after.ru_nvcsw - usage.ru_nvcsw, after.ru_nivcsw - usage.ru_nivcsw
            callback = getattr(handle, "_callback", None)
            task = getattr(callback, "__self__", None)
            coroutine = task.get_coro() if isinstance(task, asyncio.Task) else None
            name = getattr(coroutine, "__qualname__", None) or getattr(callback, "__qualname__", "?")
            gc_ms = collecting["total_ms"] - gc_before
            events.append(
                {
                    "kind": "callback",
                    "at": start,
                    "ms": ms,
                    "cpu_ms": cpu_ms,
                    "blocked": blocked,
                    "preempted": preempted,
                    "gc_ms": gc_ms,
                    "name": name,
                }
            )

    asyncio.events.Handle._run = timed_callback  # type: ignore[method-assign,assignment]

    cycle = httptools_impl.RequestResponseCycle
    run_asgi = cycle.run_asgi

    @functools.wraps(run_asgi)  # the task's coroutine keeps uvicorn's name
    async def timed_request(self: Any, app: Any) -> None:
        start = time.time()
        await run_asgi(self, app)
        events.append({"kind": "request", "at": start, "ms": (time.time() - start) * 1000})

    cycle.run_asgi = timed_request  # type: ignore[method-assign]

    checkpoint = sqlite_checkpoint._checkpoint

    def timed_checkpoint(connection: Any, restart_frames: int) -> tuple[int, int, int]:
        start = time.time()
        result = checkpoint(connection, restart_frames)
        ms = (time.time() - start) * 1000
        events.append({"kind": "checkpoint", "at": start, "ms": ms, "result": result})
        return result

    sqlite_checkpoint._checkpoint = timed_checkpoint

    def write() -> None:
        with open(out, "w") as file:
            file.writelines(json.dumps(event) + "\n" for event in events)

    atexit.register(write)


if os.environ.get("BPU_PROBE") and "serve" in sys.argv:
    _install(os.environ["BPU_PROBE"])
