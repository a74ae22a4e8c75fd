"""The sender's database work for one channel: reading due rows, marking them "sending",
recording outcomes, handing back what never left, recovering what a dead sender left.

The work is batched (group commit): the rows whose turn came while one transaction ran are
marked "sending" together in the next, and the outcomes that came meanwhile are written in that
same transaction. The read of due rows is index-driven (see `storage.outbox.claim_due`): its
cost follows the rows it returns, not the backlog, so a broadcast of 100,000 rows goes out at
the platform's limit. On PostgreSQL these transactions run on connections of their own, never
queued behind the webhooks' (`urgent`, see `storage.db.Database`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from bot.channels.base import OutgoingMessage
from bot.sender.group_commit import GroupCommit
from bot.sender.outcomes import Record, Started, write_outcomes
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage
from storage.outbox import LockHolder

log = logging.getLogger(__name__)


class Bookkeeping:
    """One channel's outbox rows as the sender reads and writes them."""

    def __init__(
        self,
        db: Database,
        channel: str,
        clock: Callable[[], datetime],
        fence: Callable[[], LockHolder | None] = lambda: None,
    ) -> None:
        self.db = db
        self.channel = channel
        self.clock = clock
        self.fence = fence
        """The session holding this process's sender lock (PostgreSQL): rows are marked only
        while it holds it (`storage.outbox.start_attempts`); None: unfenced."""
        self._writes: GroupCommit[int | Record, Started | None] = GroupCommit(self._write_batch)
        """Rows to mark "sending" (their ids) and outcomes to record, in shared transactions."""
        self._unsent: set[int] = set()
        """Rows marked "sending" whose request has not left yet (handed back when stopping)."""

    async def due(
        self, limit: int, skip_chats: Collection[str], chat_id: str | None = None
    ) -> list[OutboxMessage]:
        """Each chat's next due row (of one chat, if given), chats in `skip_chats` left out."""
        async with self.db.reader(urgent=True) as session:
            return await outbox.claim_due(
                session, self.channel, self.clock(), limit, skip_chats=skip_chats, chat_id=chat_id
            )

    async def recover(self, chat_id: str | None = None) -> int:
        """Rows a dead sender left "sending" (of one chat, if given): due again; returns how many."""
        async with self.db.transaction(urgent=True) as session:
            return await outbox.recover_sending(session, self.channel, self.clock(), chat_id=chat_id)

    def mark(self, message_id: int) -> asyncio.Future[Started | None]:
        """Marks a row "sending" before its attempt; None when it is no longer to be sent (paused,
        cancelled, erased). A failed transaction fails the future: the row stays pending."""
        return self._writes.put(message_id)

    def leaving(self, message_id: int) -> None:
        """The row's request is leaving: from now on it may reach the person."""
        self._unsent.discard(message_id)

    async def record(self, record: Record) -> None:
        """Writes an attempt's outcome (with others in one transaction); returns once written."""
        await self._writes.put(record)

    async def close(self, *, hand_back: bool = True) -> None:
        """Lets what was sent be written, if the database lets it; then hands the rows marked but
        never tried back (pending again: they were not cut off mid-send)."""
        await self._writes.close()
        unsent, self._unsent = sorted(self._unsent), set()
        if unsent and hand_back:
            try:
                async with self.db.transaction(urgent=True) as session:
                    await outbox.hand_back(session, unsent)
            except Exception:
                log.exception("handing back %d untried %s rows failed", len(unsent), self.channel)

    async def _write_batch(self, items: list[int | Record]) -> list[Started | Exception | None]:
        """Records outcomes and marks rows "sending", all in one transaction.

        A mark in a failed transaction is not tried again (its row stays pending and is read
        again); an outcome is, with backoff, until it is written or the sender stops: what was
        sent must be written. Outcomes go first: a chat's next row is marked only after its last
        outcome is written (its task waits for that), so never in the same batch.
        """
        records = [item for item in items if isinstance(item, Record)]
        ids = [item for item in items if not isinstance(item, Record)]
        failed: dict[int, Exception] = {}
        found: dict[int, Any] = {}
        failures = 0
        while True:
            try:
                async with self.db.transaction(urgent=True) as session:
                    if records:
                        await write_outcomes(session, self.channel, records, self.clock())
                    if ids:
                        found = await outbox.start_attempts(session, ids, self.clock(), self.fence())
                break
            except Exception as exc:
                failed.update((message_id, exc) for message_id in ids)
                ids = []
                if not records:
                    break
                failures += 1
                log.warning("writing %d sender outcomes failed (%s); trying again", len(records), exc)
                await asyncio.sleep(min(5.0, 0.1 * 2**failures))
        results: list[Started | Exception | None] = []
        for item in items:
            if isinstance(item, Record):
                results.append(None)
            elif item in failed:
                results.append(failed[item])
            elif item not in found:
                results.append(None)  # no longer to be sent
            else:
                results.append(self._started(found[item]))
        return results

    def _started(self, row: Any) -> Started:
        message = OutgoingMessage(
            id=row.id,
            chat_id=row.chat_id,
            payload=row.payload,
            priority=row.priority,
            attempts=row.attempts,
            contact_last_inbound_at=row.contact_last_inbound_at,
            reply_keyboard_at=row.contact_reply_keyboard_at,
        )
        self._unsent.add(message.id)
        return Started(message, row.created_at, row.contact_id, list(row.attempt_log or []))
