"""Handing an officer's open work on: when an account is disabled, its open sign-ups and open
callback requests go back to the branch's unassigned queue, or to a named colleague.

Each item moved is audited on its own ("handover", with the reference or callback id, from and
to), so the branch can tell afterwards where each piece of work went. Statuses stay as they are
(the graph has no way back); only the owner changes, and the version moves so an officer acting
on an old view is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import auditlog
from dashboard.service.access import BRANCH_ROLES
from dashboard.service.errors import InvalidInput
from dashboard.service.queue import OPEN_WORK
from dashboard.service.texts import refusal
from storage import chat
from storage.callbacks import OPEN_STATUSES as OPEN_CALLBACKS
from storage.models import CallbackRequest, StaffAccount, Submission


@dataclass(frozen=True)
class Handover:
    """What moved: references of sign-ups and ids of callback requests, and to whom (None: the queue)."""

    submissions: tuple[str, ...]
    callbacks: tuple[int, ...]
    to: str | None
    chats: int = 0
    """Chats the officer held: to the colleague, or back to the bot."""


async def colleague(session: AsyncSession, leaving: StaffAccount, username: str) -> StaffAccount:
    """The active officer of the same branch who takes the work, or InvalidInput."""
    name = username.strip().lower()
    found = (await session.exec(select(StaffAccount).where(col(StaffAccount.username) == name))).first()
    if (
        found is None
        or found.id == leaving.id
        or found.disabled_at is not None
        or found.role not in BRANCH_ROLES
        or found.branch_code != leaving.branch_code
    ):
        raise InvalidInput("hand_to", refusal("not_officer", officer=name))
    return found


async def hand_over(
    session: AsyncSession,
    actor: str,
    leaving: StaffAccount,
    now: datetime,
    to: StaffAccount | None = None,
) -> Handover:
    """Moves `leaving`'s open sign-ups and callback requests to `to` (None: unassigned)."""
    to_id = to.id if to is not None else None
    to_name = to.username if to is not None else None
    submissions = (
        await session.exec(
            select(Submission)
            .where(
                col(Submission.assigned_to_id) == leaving.id,
                col(Submission.status).in_(OPEN_WORK),
            )
            .order_by(col(Submission.id))
            .with_for_update()
        )
    ).all()
    for submission in submissions:
        submission.assigned_to_id = to_id
        submission.assigned_at = now if to_id is not None else None
        submission.version += 1
        submission.updated_at = now
        auditlog.record(
            session,
            actor,
            "handover",
            now=now,
            branch=submission.branch_code,
            reference=submission.reference,
            **{"from": leaving.username, "to": to_name or "antrean"},
        )
    requests = (
        await session.exec(
            select(CallbackRequest)
            .where(
                col(CallbackRequest.assigned_to_id) == leaving.id,
                col(CallbackRequest.status).in_(OPEN_CALLBACKS),
            )
            .order_by(col(CallbackRequest.id))
            .with_for_update()
        )
    ).all()
    for request in requests:
        request.assigned_to_id = to_id
        request.assigned_at = now if to_id is not None else None
        request.status = "ditangani" if to_id is not None else "baru"
        request.version += 1
        auditlog.record(
            session,
            actor,
            "callback_handover",
            now=now,
            branch=request.branch_code,
            callback=request.id,
            **{"from": leaving.username, "to": to_name or "antrean"},
        )
    assert leaving.id is not None
    chats = await chat.hand_holds_on(session, leaving.id, (to_id, to.username) if to and to_id else None)
    for contact_id in chats:
        auditlog.record(
            session,
            actor,
            "chat_handover",
            now=now,
            branch=leaving.branch_code,
            contact=contact_id,
            **{"from": leaving.username, "to": to_name or "bot"},
        )
    return Handover(
        tuple(s.reference for s in submissions),
        tuple(r.id for r in requests if r.id is not None),
        to_name,
        len(chats),
    )
