"""The outbox sender: delivers committed replies, per channel, within the platform's limits.

One process sends each channel (bot/leader.py elects it; the others stand by and take over
within seconds when it dies: channel.py). Its loop reads each chat's next due row (replies
before notifications before broadcasts) into memory, and one task per chat sends it, waiting
for the chat's spacing and the channel's overall window (drain.py); the chat's next row is
read once this one's outcome is written (bookkeeping.py, outcomes.py).

Delivery guarantee: at least once, in order per chat, and a duplicate only for what was in
flight at a crash: at most one row per chat. A row is marked "sending" in a committed
transaction before its attempt, and its outcome is written right after; a chat's next row is
not started before that. Rows found "sending" by a newly elected sender were cut off
mid-attempt: they go out again first (the person may get those, at most one per chat, twice;
a broadcast row is closed instead, never sent twice). Rows only read into memory were never
marked, so a restart simply reads them again, in order, and the first of each chat leaves
within seconds of the restart (the claim takes each chat's head, not a whole backlog of one
chat before the next). Rows are marked a little ahead of their window slots (see drain.py);
a crash can cut those off too, a graceful stop hands them back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

from bot.channels.base import Transport
from bot.ratelimit import SlidingWindow
from bot.sender.channel import ChannelSender
from storage.db import Database


class OutboxSender:
    """Runs one ChannelSender per configured transport."""

    def __init__(
        self,
        db: Database,
        transports: Iterable[Transport],
        windows: Mapping[str, SlidingWindow] | None = None,
        **options: object,
    ) -> None:
        windows = windows or {}
        self.channels = {
            t.channel: ChannelSender(db, t, window=windows.get(t.channel), **options)  # type: ignore[arg-type]
            for t in transports
        }

    def wake(self, channel: str) -> None:
        sender = self.channels.get(channel)
        if sender is not None:
            sender.wake()

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(sender.run(stop) for sender in self.channels.values()))
