"""`bot.collector.freeze_when_warm`: it waits for the messages, collects the garbage before it
freezes (a cycle left at that moment must not be kept for good), and gives up when the service
stops; and the count it waits on, `Metrics.processed`."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.collector import freeze_when_warm
from bot.metrics import Metrics


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test process collects as before


def a_garbage_cycle() -> weakref.ref[Node]:
    first, second = Node(), Node()
    first.other, second.other = second, first
    return weakref.ref(first)


async def test_it_freezes_once_warm_and_collects_first() -> None:
    metrics = Metrics()
    stop = asyncio.Event()
    waiting = asyncio.create_task(freeze_when_warm(metrics.processed, stop, warm=3, poll=0.01))
    for _ in range(2):
        metrics.inbound.labels("telegram", "processed").inc()
        metrics.inbound.labels("telegram", "duplicate").inc()  # not a processed message
    await asyncio.sleep(0.05)
    assert not waiting.done() and gc.get_freeze_count() == 0

    gc.disable()  # no automatic collection may free the cycle before freeze_when_warm does
    try:
        cycle = a_garbage_cycle()
        metrics.inbound.labels("whatsapp", "processed").inc()
        assert await asyncio.wait_for(waiting, timeout=5) is True
    finally:
        gc.enable()
    assert gc.get_freeze_count() > 0
    assert cycle() is None  # collected, not frozen


async def test_it_gives_up_when_the_service_stops() -> None:
    metrics = Metrics()
    stop = asyncio.Event()
    waiting = asyncio.create_task(freeze_when_warm(metrics.processed, stop, warm=3, poll=0.01))
    await asyncio.sleep(0.03)
    stop.set()
    assert await asyncio.wait_for(waiting, timeout=5) is False
    assert gc.get_freeze_count() == 0


def test_processed_counts_every_channel_and_nothing_else() -> None:
    metrics = Metrics()
    metrics.inbound.labels("telegram", "processed").inc(2)
    metrics.inbound.labels("whatsapp", "processed").inc()
    metrics.inbound.labels("telegram", "duplicate").inc(5)
    assert metrics.processed() == 3
