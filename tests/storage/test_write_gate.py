"""The in-process queue of SQLite writers: one at a time, urgent ones first, cancellation safe."""

from __future__ import annotations

import asyncio

from storage.sqlite_writer import WriteGate


async def test_writers_go_one_at_a_time_urgent_ones_first() -> None:
    gate = WriteGate()
    order: list[str] = []
    await gate.acquire()  # a transaction is running

    async def writer(name: str, urgent: bool) -> None:
        await gate.acquire(urgent=urgent)
        order.append(name)
        await asyncio.sleep(0)
        gate.release()

    tasks = [asyncio.create_task(writer(n, n.startswith("sender"))) for n in ("in1", "in2", "sender")]
    await asyncio.sleep(0.01)
    assert order == []  # all wait while the gate is held
    gate.release()
    await asyncio.gather(*tasks)
    assert order == ["sender", "in1", "in2"]


async def test_a_cancelled_waiter_does_not_keep_the_gate() -> None:
    gate = WriteGate()
    await gate.acquire()
    waiting = asyncio.create_task(gate.acquire())
    later = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0.01)
    waiting.cancel()
    gate.release()
    await asyncio.wait_for(later, 1)  # the gate went past the cancelled waiter
    gate.release()
    await asyncio.wait_for(gate.acquire(), 1)  # and is free again afterwards
