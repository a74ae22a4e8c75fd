"""The garbage collector kept short under load: what start-up and the first messages build is
frozen, so that a full collection walks only what came after.

A full collection (generation 2) walks every container object that survived two younger ones,
with the event loop held. `bpu-bot serve` freezes what start-up built (`gc.freeze()`: modules,
models, the flows). But much is built on first use, by the first messages: the Bot API models
that `bot.channels.telegram.aiogram_lean` defers, SQLAlchemy's compiled statements, PostgreSQL's
prepared statements, the templates. Under `bench.compare`'s load ~60,000 such objects sat in
the oldest generation, and each full collection (every 1.5 s or so at full speed) held the loop
for 13-28 ms. `freeze_when_warm` waits for `WARM_MESSAGES` processed messages, collects once
(the one long pause, ~50 ms under that load) and freezes what is left: the full collections
after it walked 5,600-15,400 objects in 2.4-4.7 ms.

What is frozen is never collected as a cycle again; it is still freed when nothing refers to it.
The one collection before the freeze leaves no garbage behind to keep for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

WARM_MESSAGES = 500
"""Processed messages after which the service has built what it builds on first use: every step
of the enrolment and its replies, several times over (an enrolment is 13 messages)."""
POLL_SECONDS = 1.0


def freeze_start_up() -> None:
    """Moves every object alive now out of the collector's view (call once start-up is done)."""
    gc.freeze()


async def freeze_when_warm(
    processed: Callable[[], float],
    stop: asyncio.Event,
    *,
    warm: int = WARM_MESSAGES,
    poll: float = POLL_SECONDS,
) -> bool:
    """Once `processed()` reaches `warm`: one full collection, then a freeze. False if `stop` came first."""
    while processed() < warm:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll)
        if stop.is_set():
            return False
    collected = gc.collect()
    gc.freeze()
    log.info("warm: %d objects frozen, %d collected", gc.get_freeze_count(), collected)
    return True
