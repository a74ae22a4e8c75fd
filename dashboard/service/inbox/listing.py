"""/staff/inbox: the chats officers hold, those waiting for an answer first (oldest first),
with the worker's unread messages; by officer when asked. The caller's branch only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.access import Access, scope_branch
from handlers.channels import Catalogue
from storage.chat_models import AgentHandoff
from storage.models import Contact, Submission

INBOX_LIMIT = 200


@dataclass(frozen=True)
class InboxItem:
    reference: str | None
    callback_id: int | None
    officer: str
    channel: str
    """The channel's display name."""
    waiting_since: datetime | None
    """The worker's first unanswered message; None: the officer wrote last."""
    unread: int
    officer_at: datetime
    worker_at: datetime | None


@dataclass(frozen=True)
class Inbox:
    items: list[InboxItem]
    officers: list[str]
    """Every officer holding a chat here (for the filter)."""
    waiting: int


async def inbox(
    session: AsyncSession,
    access: Access,
    channels: Catalogue,
    *,
    now: datetime,
    quiet: timedelta,
    officer: str | None = None,
) -> Inbox:
    access.require(access.sees_people)
    query = (
        select(AgentHandoff, Submission.reference, Contact.channel)
        .join(Contact, col(Contact.id) == col(AgentHandoff.contact_id))
        .outerjoin(Submission, col(Submission.id) == col(AgentHandoff.submission_id))
        .where(col(AgentHandoff.closed_at).is_(None), col(AgentHandoff.officer_at) > now - quiet)
    )
    query = scope_branch(query, access, col(AgentHandoff.branch_code))
    rows = (
        await session.exec(
            query.order_by(
                case((col(AgentHandoff.waiting_since).is_(None), 1), else_=0),
                col(AgentHandoff.waiting_since),
                col(AgentHandoff.officer_at),
            ).limit(INBOX_LIMIT)
        )
    ).all()
    items = [
        InboxItem(
            reference=reference,
            callback_id=hold.callback_id if reference is None else None,
            officer=hold.officer,
            channel=channels.display(channel),
            waiting_since=hold.waiting_since,
            unread=hold.unread,
            officer_at=hold.officer_at,
            worker_at=hold.worker_at,
        )
        for hold, reference, channel in rows
    ]
    officers = sorted({item.officer for item in items})
    if officer:
        items = [item for item in items if item.officer == officer]
    return Inbox(items, officers, sum(1 for item in items if item.waiting_since is not None))
