"""Writing and reading the audit log. Entries hold references and counts, never personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.access import Access, scope_audit
from dashboard.service.queue import day_start
from storage.models import AuditLog

AUDIT_PAGE = 100
VIEW_WINDOW = timedelta(minutes=10)
"""One "opened" entry per caller and object in this time: the page shown again after each
action (or a reload) is the same look, not a new one."""


def record(
    session: AsyncSession,
    actor: Access | str,
    action: str,
    *,
    now: datetime,
    branch: str | None = None,
    **details: Any,
) -> None:
    """Adds an entry in the caller's transaction. `branch` is the branch the action concerns."""
    if isinstance(actor, Access):
        name = actor.actor
        branch = branch if branch is not None else actor.branch_code
        details.setdefault("via", actor.via)
    else:
        name = actor
    session.add(AuditLog(at=now, actor=name[:64], action=action, details=details, branch_code=branch))


async def seen_lately(
    session: AsyncSession, access: Access, action: str, reference: str, now: datetime
) -> bool:
    """Whether the caller has an `action` entry about `reference` within VIEW_WINDOW."""
    query = select(AuditLog.details).where(
        col(AuditLog.actor) == access.actor[:64],
        col(AuditLog.action) == action,
        col(AuditLog.at) >= now - VIEW_WINDOW,
    )
    return any(details.get("reference") == reference for details in (await session.exec(query)).all())


CHANGES = ("assign", "reassign", "status_change")
"""Entries that change a submission's version."""


async def last_change_by(session: AsyncSession, reference: str) -> str | None:
    """Who made the latest change to the submission `reference` (its audit actor)."""
    query = select(AuditLog.actor, AuditLog.details).where(col(AuditLog.action).in_(CHANGES))
    recent = (await session.exec(query.order_by(col(AuditLog.id).desc()).limit(200))).all()
    return next((actor for actor, details in recent if details.get("reference") == reference), None)


@dataclass(frozen=True)
class AuditItem:
    id: int
    at: datetime
    actor: str
    action: str
    branch_code: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditItem]
    next_cursor: str | None


async def read(
    session: AsyncSession,
    access: Access,
    *,
    action: str | None = None,
    actor: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    cursor: str | None = None,
    limit: int = AUDIT_PAGE,
) -> AuditPage:
    """Newest first; the cursor is the last entry's id."""
    query = scope_audit(select(AuditLog), access)
    if action:
        query = query.where(col(AuditLog.action) == action)
    if actor:
        query = query.where(col(AuditLog.actor) == actor)
    if date_from:
        query = query.where(col(AuditLog.at) >= day_start(date_from))
    if date_to:
        query = query.where(col(AuditLog.at) < day_start(date_to + timedelta(days=1)))
    if cursor and cursor.isdigit():
        query = query.where(col(AuditLog.id) < int(cursor))
    rows = list((await session.exec(query.order_by(col(AuditLog.id).desc()).limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    items = [AuditItem(r.id or 0, r.at, r.actor, r.action, r.branch_code, dict(r.details)) for r in rows]
    return AuditPage(items, str(items[-1].id) if more and items else None)
