"""Rate limits for the outbox sender: a sliding window overall, and spacing per chat.

Both count a send from the moment its request leaves until its answer is back, and keep the
window from the answer on. A request reaches the platform somewhere in between, so no window
of `period` seconds at the platform can hold more than `limit` requests, however late they
travel or slow the machine is (an upper bound, not a hope about timing). A sliding window (not
a token bucket) is what the platforms count.

The window also spaces its slots evenly (`SlidingWindow.gap`): a backlog goes out as one send
every 1/30 s, not as 30 sends at the start of each second. The bound is the same; what changes
is that the sender's work (marking, rendering, the request, recording) no longer arrives in a
burst that holds every webhook in flight for tens of milliseconds once a second (the p99 of
`bench.compare`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable

# Requests leave here and arrive there a little later and not always in order: keep 5% clear
# of the per-chat interval (0.05 s on Telegram's 1 s per chat).
SAFETY_MARGIN = 0.05
WINDOW_MARGIN = 0.005
"""The overall window needs no margin for the bound itself (a request reaches the platform
between its slot's start and its answer, see above); 5 ms per second only covers clock
rounding. A wider margin would cost its whole width in throughput: 5% would leave the sender
below 0.95 of the limit however fast it is."""


def _with_margin(seconds: float, margin: float = SAFETY_MARGIN) -> float:
    return seconds * (1 + margin)


class SlidingWindow:
    """At most `limit` sends in flight or answered within the last `period` seconds, their
    starts at least `period / limit` apart (one start may catch up a slot the loop was late for)."""

    def __init__(self, limit: int, period: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(1, limit)
        self.period = _with_margin(period, WINDOW_MARGIN)
        self.gap = self.period / self.limit
        self.clock = clock
        self._next_start = 0.0
        self._done: deque[float] = deque()
        self._in_flight = 0
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._freed = asyncio.Event()

    async def acquire(self) -> None:
        """Takes a slot; every acquire must be matched by one `release` once the answer is back."""
        async with self._lock:
            while True:
                now = self.clock()
                while self._done and now - self._done[0] >= self.period:
                    self._done.popleft()
                wait = max(self._paused_until, self._next_start) - now
                if wait <= 0 and self._in_flight + len(self._done) < self.limit:
                    self._in_flight += 1
                    self._next_start = max(now - self.gap, self._next_start) + self.gap
                    return
                if wait <= 0 and self._done:
                    wait = self.period - (now - self._done[0])
                self._freed.clear()
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._freed.wait(), max(wait, 0.001))
                else:  # every slot is in flight: wait for an answer
                    await self._freed.wait()

    def release(self, count: int = 1) -> None:
        """`count` sends got their answers: they stay in the window for `period` from now."""
        now = self.clock()
        for _ in range(count):
            self._in_flight -= 1
            self._done.append(now)
        self._freed.set()

    def pause(self, seconds: float) -> None:
        """Nothing goes out for `seconds` (the platform asked us to slow down)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)


class ChatSpacing:
    """Keeps at least `interval` seconds between two sends to the same chat.

    Only chats still inside their interval are remembered: an idle chat's entry is dropped,
    so the map holds the chats of the last few seconds, not every chat ever served.
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = _with_margin(interval) if interval > 0 else 0.0
        self.clock = clock
        self._next: dict[str, float] = {}
        self._pruned_at = 0.0

    async def wait(self, chat_id: str) -> None:
        delay = self._next.get(chat_id, 0.0) - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)

    def sent(self, chat_id: str) -> None:
        self._next[chat_id] = self.clock() + self.interval
        self._prune()

    def hold(self, chat_id: str, seconds: float) -> None:
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), self.clock() + seconds)

    def forget(self, chat_id: str) -> None:
        if self._next.get(chat_id, 0.0) <= self.clock():
            self._next.pop(chat_id, None)

    def __len__(self) -> int:
        return len(self._next)

    def _prune(self) -> None:
        now = self.clock()
        if now - self._pruned_at < max(self.interval, 1.0):
            return
        self._pruned_at = now
        for chat_id in [c for c, until in self._next.items() if until <= now]:
            del self._next[chat_id]
