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
