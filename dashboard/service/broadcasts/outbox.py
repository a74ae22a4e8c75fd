"""Writing a broadcast: storing it with its recipient count, then (from the scheduler) its outbox
rows, one per recipient at broadcast priority, so replies and notifications go first and the
sender's rate limits hold.

Creating a broadcast counts its recipients and stores it; the rows are written after that by the
scheduler's tick, woken at once by the service, so a request for 100,000 people returns in
seconds while the broadcast's page shows "menyiapkan" with the rows written so far. Recipients
are materialised in chunks, each chunk one transaction that inserts the outbox rows, the
recipient rows (unique per broadcast and contact) and moves the broadcast's cursor, so a crash in
between repeats nothing and skips no one, and the next round resumes at the cursor. A recipient
whose quiet hours are on (or about to begin) gets a `held` row that waits for the morning.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.broadcasts.audience import (
    Audience,
    Reach,
    Selector,
    count_recipients,
    profiles,
    selector_for,
)
from dashboard.service.broadcasts.text import MAX_TEXT, broadcast_payload
from dashboard.service.sessions import Invalid
from handlers.channels import Catalogue
from handlers.localtime import QuietHours, zone, zone_name
from handlers.types import Priority
from storage.db import Database
from storage.models import OutboxMessage
from storage.outreach_models import Broadcast, BroadcastRecipient

QUIET_LEAD = timedelta(minutes=2)
"""Rows are held this long before quiet hours begin: the sender may have leased them already."""
ALL_BRANCHES = "*"


async def create_broadcast(
    db: Database,
    *,
    text: str,
    audience: Audience,
    actor: str,
    branch: str | None,
    now: datetime,
    channels: Catalogue,
    send_at: datetime | None = None,
) -> Broadcast:
    """Stores a broadcast with its recipient count; with `send_at` it is scheduled, else it starts
    sending now. The outbox rows are written afterwards (`materialise`, from the scheduler), so a
    large audience does not hold up the caller.

    `branch` is the author's branch: only contacts whose regency belongs to it are reached.
    None (an administrator) reaches every branch.
    """
    text = (text or "").strip()
    if not text:
        raise Invalid("text", "wajib diisi")
    if len(text) > MAX_TEXT:
        raise Invalid("text", f"paling banyak {MAX_TEXT} huruf")
    audience = audience.on(channels)
    if send_at is not None and send_at.tzinfo is None:
        raise Invalid("send_at", "sertakan zona waktu, misalnya 2026-11-24T08:00:00+07:00")
    async with db.reader() as session:
        await selector_for(session, audience, branch)  # refuses an unknown session before counting
    recipients = (await count_recipients(db, audience, branch, channels))["total"]
    async with db.transaction() as session:
        selector = await selector_for(session, audience, branch)
        broadcast = Broadcast(
            branch_code=branch or ALL_BRANCHES,
            created_by=actor,
            text=text,
            audience=audience.to_dict(),
            status="scheduled" if send_at is not None and send_at > now else "sending",
            send_at=send_at,
            recipients=recipients,
            session_id=selector.session_id,
            created_at=now,
            started_at=None if send_at is not None and send_at > now else now,
        )
        session.add(broadcast)
    return broadcast


async def materialise(db: Database, broadcast_id: int, now: datetime, quiet: QuietHours) -> int:
    """Creates the outbox rows of a sending broadcast, chunk by chunk; returns how many."""
    created = 0
    while True:
        async with db.transaction() as session:
            broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
            if broadcast is None or broadcast.status not in ("sending", "paused") or broadcast.materialised:
                return created
            audience = Audience.from_dict(broadcast.audience)
            branch = None if broadcast.branch_code == ALL_BRANCHES else broadcast.branch_code
            selector = Selector(audience, branch, broadcast.session_id)
            contacts = await selector.walk(session, broadcast.cursor)
            if not contacts:
                broadcast.materialised = True
                broadcast.recipients = broadcast.prepared
                return created
            chosen = [c for c, profile in await profiles(session, contacts) if selector.keep(profile)]
            held = broadcast.status == "paused"
            added = await _add_recipients(session, broadcast, chosen, now, quiet, held=held)
            broadcast.cursor = contacts[-1].id
            broadcast.prepared += added
            created += added


async def _add_recipients(
    session: AsyncSession,
    broadcast: Broadcast,
    contacts: Sequence[Reach],
    now: datetime,
    quiet: QuietHours,
    *,
    held: bool,
) -> int:
    if not contacts:
        return 0
    payload = broadcast_payload(broadcast.text)
    rows: list[dict[str, Any]] = []
    zones: list[str] = []
    timing: dict[str, tuple[datetime, bool]] = {}
    for contact in contacts:
        tz_name = zone_name(contact.regency_code)
        if tz_name not in timing:
            at = quiet.next_allowed(now, zone(tz_name))
            timing[tz_name] = (at, at > now or quiet.starts_within(now, zone(tz_name), QUIET_LEAD))
        at, quiet_now = timing[tz_name]
        waits = held or quiet_now
        zones.append(tz_name)
        rows.append(
            {
                "channel": contact.channel,
                "chat_id": contact.chat_id,
                "contact_id": contact.id,
                "payload": payload,
                "priority": int(Priority.BROADCAST),
                "status": "held" if waits else "pending",
                "attempts": 0,
                "next_attempt_at": at if at > now else now,
                "attempt_log": [],
                "created_at": now,
            }
        )
    result = await session.exec(
        insert(OutboxMessage).returning(col(OutboxMessage.id), sort_by_parameter_order=True),
        params=rows,
    )
    outbox_ids = [row[0] for row in result.all()]
    await session.exec(
        insert(BroadcastRecipient),
        params=[
            {
                "broadcast_id": broadcast.id,
                "contact_id": contact.id,
                "outbox_id": outbox_id,
                "channel": contact.channel,
                "timezone": tz_name,
            }
            for contact, outbox_id, tz_name in zip(contacts, outbox_ids, zones, strict=True)
        ],
    )
    return len(rows)
