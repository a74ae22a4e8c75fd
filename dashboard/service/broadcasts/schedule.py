"""A broadcast over time: scheduled ones start when due, pause, resume and cancel, quiet hours in
each recipient's zone, and the end; `tick` is the scheduler's round over all of them.

Quiet hours and pausing are outbox scheduling: a row that must wait is `held` (with the time it
may go, `next_attempt_at`), which the sender does not take; the tick holds rows whose
recipients' quiet hours begin and releases them in the morning. The sender marks a row `sending`
just before the platform call, only if it is still `pending` (so a row paused at the last moment
is not sent); a broadcast row a crash left `sending` is closed as failed ("interrupted") by the
sender that takes over, never sent twice, since nobody can know whether the platform got it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select

from dashboard.service.broadcasts.outbox import QUIET_LEAD, materialise
from handlers.localtime import QuietHours, zone
from storage.db import Database
from storage.models import OutboxMessage
from storage.outreach_models import Broadcast, BroadcastRecipient

OPEN_OUTBOX = ("pending", "held", "sending")


def _rows_of(broadcast_ids: Any, timezone: str | None = None) -> Any:
    query = select(BroadcastRecipient.outbox_id).where(
        col(BroadcastRecipient.broadcast_id).in_(broadcast_ids)
    )
    if timezone is not None:
        query = query.where(BroadcastRecipient.timezone == timezone)
    return query


async def _set_status(
    db: Database, broadcast_id: int, allowed: Collection[str], status: str, now: datetime
) -> bool:
    async with db.transaction() as session:
        broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
        if broadcast is None or broadcast.status not in allowed:
            return False
        broadcast.status = status
        rows = col(OutboxMessage.id).in_(_rows_of([broadcast_id]))
        if status == "paused":
            await session.exec(
                update(OutboxMessage)
                .where(rows, col(OutboxMessage.status) == "pending")
                .values(status="held")
            )
        elif status == "cancelled":
            broadcast.finished_at = now
            await session.exec(
                update(OutboxMessage)
                .where(rows, col(OutboxMessage.status).in_(["pending", "held"]))
                .values(status="cancelled", last_error="broadcast cancelled")
            )
        elif status == "sending" and broadcast.started_at is None:
            broadcast.started_at = now
    return True


async def pause(db: Database, broadcast_id: int, now: datetime) -> bool:
    return await _set_status(db, broadcast_id, ("sending", "scheduled"), "paused", now)


async def resume(db: Database, broadcast_id: int, now: datetime, quiet: QuietHours) -> bool:
    if not await _set_status(db, broadcast_id, ("paused",), "sending", now):
        return False
    await release_and_hold(db, now, quiet)
    return True


async def cancel(db: Database, broadcast_id: int, now: datetime) -> bool:
    return await _set_status(db, broadcast_id, ("draft", "scheduled", "sending", "paused"), "cancelled", now)


async def start_due(db: Database, now: datetime) -> list[int]:
    """Scheduled broadcasts whose time has come start sending."""
    async with db.transaction() as session:
        due = (
            await session.exec(
                select(Broadcast)
                .where(Broadcast.status == "scheduled", col(Broadcast.send_at) <= now)
                .with_for_update()
            )
        ).all()
        for broadcast in due:
            broadcast.status = "sending"
            broadcast.started_at = now
        return [b.id for b in due if b.id is not None]


async def release_and_hold(db: Database, now: datetime, quiet: QuietHours) -> None:
    """Holds sending broadcasts' rows whose recipients' quiet hours begin; releases the others."""
    async with db.transaction() as session:
        sending = select(Broadcast.id).where(Broadcast.status == "sending")
        for tz_name in ("WIB", "WITA", "WIT"):
            tz = zone(tz_name)
            rows = col(OutboxMessage.id).in_(_rows_of(sending, tz_name))
            if quiet.starts_within(now, tz, QUIET_LEAD):
                morning = quiet.next_allowed(now + QUIET_LEAD, tz)
                await session.exec(
                    update(OutboxMessage)
                    .where(rows, col(OutboxMessage.status) == "pending")
                    .values(status="held", next_attempt_at=morning)
                )
            else:
                await session.exec(
                    update(OutboxMessage)
                    .where(
                        rows, col(OutboxMessage.status) == "held", col(OutboxMessage.next_attempt_at) <= now
                    )
                    .values(status="pending", next_attempt_at=now)
                )


async def finish_done(db: Database, now: datetime) -> None:
    """A materialised broadcast with nothing left to send is done."""
    async with db.transaction() as session:
        sending = (
            await session.exec(
                select(Broadcast).where(Broadcast.status == "sending", col(Broadcast.materialised).is_(True))
            )
        ).all()
        for broadcast in sending:
            left = await session.exec(
                select(func.count()).where(
                    col(OutboxMessage.id).in_(_rows_of([broadcast.id])),
                    col(OutboxMessage.status).in_(OPEN_OUTBOX),
                )
            )
            if int(left.one()) == 0:
                broadcast.status = "done"
                broadcast.finished_at = now


async def tick(db: Database, now: datetime, quiet: QuietHours) -> set[str]:
    """One scheduler round for broadcasts: start the due ones, write outbox rows, hold and release
    for quiet hours, close the finished ones. Returns the channels of the broadcasts sending now
    (their senders may have rows to take)."""
    await start_due(db, now)
    async with db.reader() as session:
        ids = (
            await session.exec(
                select(Broadcast.id).where(
                    col(Broadcast.status).in_(["sending", "paused"]), col(Broadcast.materialised).is_(False)
                )
            )
        ).all()
    for broadcast_id in ids:
        if broadcast_id is not None:
            await materialise(db, broadcast_id, now, quiet)
    await release_and_hold(db, now, quiet)
    await finish_done(db, now)
    return await sending_channels(db)


async def sending_channels(db: Database) -> set[str]:
    """The channels the sending broadcasts reach."""
    async with db.reader() as session:
        audiences = (
            await session.exec(select(Broadcast.audience).where(Broadcast.status == "sending"))
        ).all()
    return {channel for audience in audiences for channel in audience.get("channels", ())}
