"""Rate limits for the outbox sender: a sliding window overall, and spacing per chat.

A sliding window (not a token bucket) guarantees that no window of `period` seconds ever
holds more than `limit` sends, which is what the platforms count; it counts from when each
answer came back, so delays on the way cannot bunch requests at the platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable

# Requests leave here and arrive there a little later and not always in order: keep 5% clear
# of every limit (0.05 s on Telegram's 1 s per chat, without halving a fast configured rate).
SAFETY_MARGIN = 0.05


def _with_margin(seconds: float) -> float:
    return seconds * (1 + SAFETY_MARGIN)


class ChatSpacing:
    """Keeps at least `interval` seconds between two sends to the same chat."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = _with_margin(interval) if interval > 0 else 0.0
        self.clock = clock
        self._next: dict[str, float] = {}

    async def wait(self, chat_id: str) -> None:
        delay = self._next.get(chat_id, 0.0) - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)

    def sent(self, chat_id: str) -> None:
        self._next[chat_id] = self.clock() + self.interval

    def hold(self, chat_id: str, seconds: float) -> None:
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), self.clock() + seconds)

    def forget(self, chat_id: str) -> None:
        if self._next.get(chat_id, 0.0) <= self.clock():
            self._next.pop(chat_id, None)


class SettledWindow:
    """At most `limit` requests in any `period` seconds *where they arrive*, however late they travel.

    A request holds its slot from `acquire` until `period` after `release` (its answer came
    back). Since a request arrives before its answer returns, the receiver can never count more
    than `limit` in any `period`, whatever the delays between our clock, the network and its
    clock (a loaded machine, a stalled thread). The price is one round trip per slot per period.
    """

    def __init__(self, limit: int, period: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(1, limit)
        self.period = period
        self.clock = clock
        self._settled: deque[float] = deque()
        self._in_flight = 0
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._released = asyncio.Event()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self.clock()
                while self._settled and now - self._settled[0] >= self.period:
                    self._settled.popleft()
                wait = self._paused_until - now
                if wait <= 0 and len(self._settled) + self._in_flight < self.limit:
                    self._in_flight += 1
                    return
                if wait <= 0 and self._settled:
                    wait = self.period - (now - self._settled[0])
                self._released.clear()
                with contextlib.suppress(TimeoutError):  # a slot settles, or an answer comes back
                    await asyncio.wait_for(
                        self._released.wait(), timeout=max(wait, 0.001) if wait > 0 else None
                    )

    def release(self) -> None:
        """The request's answer came back (or it failed): its slot frees `period` from now."""
        self._in_flight = max(0, self._in_flight - 1)
        self._settled.append(self.clock())
        self._released.set()

    def pause(self, seconds: float) -> None:
        """Nothing goes out for `seconds` (the platform asked us to slow down)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)
