"""How a broadcast is doing, from its outbox rows: queued, sent, delivered, read, failed (and
why), waiting, cancelled, per channel, and who started the form or signed up within a week; and
the broadcasts a caller's branches may read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.models import FormStepEvent, OutboxMessage, Submission
from storage.outreach_models import Broadcast, BroadcastRecipient

FOLLOW_DAYS = 7


REASONS = {
    "blocked": ("contact unreachable", "403"),
    "not_on_platform": ("131026",),
    "window": ("24-hour window closed", "131047", "template"),
    "interrupted": ("interrupted",),
    "cancelled": ("broadcast cancelled",),
}


def failure_reason(error: str | None) -> str:
    text = (error or "").lower()
    for reason, markers in REASONS.items():
        if any(marker.lower() in text for marker in markers):
            return reason
    return "other"


@dataclass
class Progress:
    status: str
    recipients: int
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    waiting: int = 0
    cancelled: int = 0
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    started_form: int = 0
    submitted: int = 0
    preparing: bool = False
    """The outbox rows are still being written (shown as "menyiapkan")."""
    prepared: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "recipients": self.recipients,
            "queued": self.queued,
            "sent": self.sent,
            "delivered": self.delivered,
            "read": self.read,
            "failed": self.failed,
            "waiting": self.waiting,
            "cancelled": self.cancelled,
            "by_channel": self.by_channel,
            "failures": self.failures,
            "started_form_7d": self.started_form,
            "submitted_7d": self.submitted,
            "preparing": self.preparing,
            "prepared": self.prepared,
        }


async def progress(db: Database, broadcast_id: int, branches: Collection[str] | None) -> Progress | None:
    """Counts from the outbox rows (and the delivery statuses platforms report on them); None if
    not the caller's."""
    async with db.reader() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None or (branches is not None and broadcast.branch_code not in branches):
            return None
        result = Progress(broadcast.status, broadcast.recipients)
        result.preparing = broadcast.status in ("sending", "paused") and not broadcast.materialised
        result.prepared = broadcast.prepared
        query = (
            sa_select(
                col(OutboxMessage.channel),
                col(OutboxMessage.status),
                col(OutboxMessage.delivery_status),
                col(OutboxMessage.last_error),
                func.count(),
            )
            .join(BroadcastRecipient, col(BroadcastRecipient.outbox_id) == col(OutboxMessage.id))
            .where(col(BroadcastRecipient.broadcast_id) == broadcast_id)
            .group_by(
                col(OutboxMessage.channel),
                col(OutboxMessage.status),
                col(OutboxMessage.delivery_status),
                col(OutboxMessage.last_error),
            )
        )
        failures: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        channels: dict[str, Counter[str]] = {}
        for channel, status, delivery, error, n in (await session.exec(query)).all():  # type: ignore[call-overload]
            kind = _kind(status, delivery)
            kinds[kind] += n
            channels.setdefault(channel, Counter())[kind] += n
            if kind in ("failed", "waiting"):
                failures[failure_reason(error)] += n
        result.queued, result.waiting, result.cancelled = (
            kinds["queued"],
            kinds["waiting"],
            kinds["cancelled"],
        )
        result.failed = kinds["failed"]
        result.read = kinds["read"]
        result.delivered = kinds["delivered"] + kinds["read"]
        result.sent = kinds["sent"] + result.delivered
        result.by_channel = {k: dict(v) for k, v in channels.items()}
        result.failures = dict(failures)
        if broadcast.started_at is not None:
            result.started_form, result.submitted = await _after(session, broadcast_id, broadcast.started_at)
    return result


def _kind(status: str, delivery: str | None) -> str:
    if status == "sent":
        if delivery == "failed":
            return "failed"
        return {"read": "read", "delivered": "delivered"}.get(delivery or "", "sent")
    if status in ("pending", "held", "sending"):
        return "queued"
    if status == "waiting":
        return "waiting"
    if status == "cancelled":
        return "cancelled"
    return "failed"


async def _after(session: AsyncSession, broadcast_id: int, started: datetime) -> tuple[int, int]:
    """Recipients who reached the form's first step, and who submitted, within 7 days."""
    until = started + timedelta(days=FOLLOW_DAYS)
    recipients = select(BroadcastRecipient.contact_id).where(BroadcastRecipient.broadcast_id == broadcast_id)
    started_n = await session.exec(
        select(func.count(col(FormStepEvent.contact_id).distinct())).where(
            col(FormStepEvent.contact_id).in_(recipients),
            FormStepEvent.at >= started,
            FormStepEvent.at < until,
        )
    )
    submitted_n = await session.exec(
        select(func.count(col(Submission.contact_id).distinct())).where(
            col(Submission.contact_id).in_(recipients),
            Submission.created_at >= started,
            Submission.created_at < until,
        )
    )
    return int(started_n.one()), int(submitted_n.one())


async def list_broadcasts(db: Database, branches: Collection[str] | None) -> Sequence[Broadcast]:
    query = select(Broadcast).order_by(col(Broadcast.id).desc())
    if branches is not None:
        query = query.where(col(Broadcast.branch_code).in_(list(branches)))
    async with db.reader() as session:
        return (await session.exec(query)).all()


async def get_broadcast(
    db: Database, broadcast_id: int, branches: Collection[str] | None
) -> Broadcast | None:
    async with db.reader() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or (branches is not None and broadcast.branch_code not in branches):
        return None
    return broadcast
