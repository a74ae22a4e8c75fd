"""What one delivery attempt's result does to its outbox row and its contact.

Transient failures are retried with capped backoff for `GIVE_UP_AFTER` (two days: long enough
for an operator to renew an expired token); only a permanent failure, or a message still
undeliverable after that, is failed. A request that got no answer in time may have arrived (the
platform has no idempotency key): it is tried once more after `UNCERTAIN_WAIT`, and after a
second such silence the row fails ("may have arrived") instead of risking a third copy.
A person who blocked the bot is marked unreachable, and
Telegram's phone keyboard going up or down is remembered on the contact.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import OutgoingMessage, SendResult
from storage import outbox

GIVE_UP_AFTER = timedelta(hours=48)
MAX_BACKOFF = 600.0
UNCERTAIN_WAIT = 60.0
"""Seconds before the one retry of a request that may have arrived (twice a client timeout)."""
UNCERTAIN = "timeout"
"""The attempt log's outcome for such a request."""

STATUS = {
    "sent": "sent",
    "retry": "pending",
    UNCERTAIN: "pending",
    "wait": "waiting",
    "unreachable": "failed",
    "failed": "failed",
}
"""The outbox status an attempt's outcome leaves the row in."""


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts`: 2, 4, 8, … up to ten minutes, with jitter."""
    base: float = min(MAX_BACKOFF, 2.0 ** min(max(1, attempts), 16))
    return base * random.uniform(0.8, 1.2)


@dataclass(frozen=True)
class Started:
    """A row marked "sending", as its attempt needs it."""

    message: OutgoingMessage
    created_at: datetime
    contact_id: int | None
    attempt_log: list[dict[str, Any]]


@dataclass(frozen=True)
class Record:
    """What to write after an attempt: onto the row, and onto the contact."""

    outcome: outbox.Outcome
    chat_id: str
    unreachable: bool
    contact_id: int | None
    reply_keyboard: str | None


def decide(started: Started, result: SendResult, now: datetime) -> Record:
    """What an attempt's result leaves: a retry gets its time (the platform's `retry_after`,
    else backoff), or fails once the row is older than `GIVE_UP_AFTER`."""
    message = started.message
    kind: str = result.kind
    retry_at: datetime | None = None
    error = result.error
    if kind == "retry" and result.uncertain:
        if any(entry.get("outcome") == UNCERTAIN for entry in started.attempt_log):
            kind = "failed"
            error = f"no answer twice, may have arrived; not sent a third time: {error or 'timeout'}"
        else:
            kind = UNCERTAIN
            retry_at = now + timedelta(seconds=UNCERTAIN_WAIT)
    elif kind == "retry" and now - started.created_at < GIVE_UP_AFTER:
        delay = result.retry_after if result.retry_after is not None else backoff(message.attempts)
        retry_at = now + timedelta(seconds=delay)
    elif kind == "retry":
        kind = "failed"
        error = f"gave up after {GIVE_UP_AFTER.total_seconds() / 3600:.0f} h: {error or 'retry'}"
    outcome = outbox.Outcome(
        message_id=message.id,
        status=STATUS[kind],
        outcome=kind,
        attempt_log=started.attempt_log,
        error=error,
        next_attempt_at=retry_at,
        platform_message_id=result.platform_message_id,
    )
    return Record(outcome, message.chat_id, kind == "unreachable", started.contact_id, result.reply_keyboard)


async def write_outcomes(
    session: AsyncSession, channel: str, records: Sequence[Record], now: datetime
) -> None:
    """Writes several attempts' outcomes."""
    await outbox.record_attempts(session, [r.outcome for r in records], now)
    for record in records:
        if record.unreachable:
            await outbox.mark_contact_unreachable(session, channel, record.chat_id, now)
        if record.reply_keyboard is not None and record.contact_id is not None:
            shown = now if record.reply_keyboard == "shown" else None
            await outbox.set_reply_keyboard(session, record.contact_id, shown)
