"""Workload per officer: open sign-ups, overdue promises and calls today, for the team page.

"Open" is what the queue calls open work (baru, diproses, dihubungi) assigned to the officer,
plus the open callback requests they hold; "overdue" is the queue's "lewat janji telepon" among
those sign-ups (the call-by date, or the call-back time promised to the worker, passed); "calls
today" are the calls they recorded since midnight WIB, on sign-ups and on callback requests.
The numbers link to the queue filtered by the officer, so each count can be checked row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.access import BRANCH_ROLES, Access
from dashboard.service.queue import OPEN_WORK, day_start, overdue_clause, today_wib
from storage.callbacks import OPEN_STATUSES as OPEN_CALLBACKS
from storage.models import CallAttempt, CallbackRequest, StaffAccount, Submission


@dataclass(frozen=True)
class Workload:
    username: str
    role: str
    branch_code: str | None
    open_submissions: int
    open_callbacks: int
    overdue: int
    calls_today: int


async def _counts(session: AsyncSession, query: object) -> dict[int, int]:
    rows = (await session.exec(query)).all()  # type: ignore[call-overload]
    return {int(owner): int(n) for owner, n in rows if owner is not None}


async def workload(
    session: AsyncSession, access: Access, now: datetime, branch: str | None = None
) -> list[Workload]:
    """Every active officer of the caller's branch (an admin: every branch, or `branch`)."""
    access.require(access.may_reassign)
    chosen = branch if access.all_branches else access.branch_code
    people = select(StaffAccount).where(
        col(StaffAccount.role).in_(BRANCH_ROLES), col(StaffAccount.disabled_at).is_(None)
    )
    if chosen:
        people = people.where(col(StaffAccount.branch_code) == chosen)
    officers = list((await session.exec(people.order_by(col(StaffAccount.username)))).all())
    ids = [o.id for o in officers if o.id is not None]
    if not ids:
        return []
    owner = col(Submission.assigned_to_id)
    open_query = (
        select(owner, func.count())
        .where(owner.in_(ids), col(Submission.status).in_(OPEN_WORK))
        .group_by(owner)
    )
    overdue_query = open_query.where(overdue_clause(now))
    holder = col(CallbackRequest.assigned_to_id)
    callbacks_query = (
        select(holder, func.count())
        .where(holder.in_(ids), col(CallbackRequest.status).in_(OPEN_CALLBACKS))
        .group_by(holder)
    )
    start = day_start(today_wib(now))
    caller = col(CallAttempt.account_id)
    calls_query = (
        select(caller, func.count()).where(caller.in_(ids), col(CallAttempt.at) >= start).group_by(caller)
    )
    closer = col(CallbackRequest.assigned_to_id)
    closed_query = (
        select(closer, func.count())
        .where(
            closer.in_(ids),
            col(CallbackRequest.handled_at) >= start,
            col(CallbackRequest.status).not_in(OPEN_CALLBACKS),
        )
        .group_by(closer)
    )
    opened = await _counts(session, open_query)
    late = await _counts(session, overdue_query)
    held = await _counts(session, callbacks_query)
    calls = await _counts(session, calls_query)
    closed = await _counts(session, closed_query)
    return [
        Workload(
            username=o.username,
            role=o.role,
            branch_code=o.branch_code,
            open_submissions=opened.get(o.id or 0, 0),
            open_callbacks=held.get(o.id or 0, 0),
            overdue=late.get(o.id or 0, 0),
            calls_today=calls.get(o.id or 0, 0) + closed.get(o.id or 0, 0),
        )
        for o in officers
    ]
