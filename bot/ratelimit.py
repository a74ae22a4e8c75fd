"""Rate limits for the outbox sender: a sliding window overall, and spacing per chat.

A sliding window (not a token bucket) guarantees that no window of `period` seconds ever
holds more than `limit` sends, which is what the platforms count.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

# Requests leave here and arrive there a little later and not always in order: keep 5% clear
# of every limit (0.05 s on Telegram's 1 s per chat, without halving a fast configured rate).
SAFETY_MARGIN = 0.05


def _with_margin(seconds: float) -> float:
    return seconds * (1 + SAFETY_MARGIN)


class SlidingWindow:
    """At most `limit` acquisitions in any `period` seconds."""

    def __init__(self, limit: int, period: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(1, limit)
        self.period = _with_margin(period)
        self.clock = clock
        self._times: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self.clock()
                while self._times and now - self._times[0] >= self.period:
                    self._times.popleft()
                wait = self._paused_until - now
                if wait <= 0 and len(self._times) < self.limit:
                    self._times.append(now)
                    return
                if wait <= 0:
                    wait = self.period - (now - self._times[0])
                await asyncio.sleep(max(wait, 0.001))

    def pause(self, seconds: float) -> None:
        """Nothing goes out for `seconds` (the platform asked us to slow down)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)


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
