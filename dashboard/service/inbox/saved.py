"""A branch's saved replies: short texts an officer sends with one click; a supervisor (or an
admin, for a branch) writes and removes them. Every officer of the branch reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import auditlog
from dashboard.service.access import Access, scope_branch
from dashboard.service.errors import InvalidInput, NotFound
from dashboard.service.texts import refusal
from storage.chat_models import SavedReply
from storage.text_guard import typed_text_ok

TITLE_MAX = 80
TEXT_MAX = 1000


@dataclass(frozen=True)
class SavedReplyItem:
    id: int
    title: str
    text: str
    branch_code: str


async def listing(session: AsyncSession, access: Access, branch: str | None = None) -> list[SavedReplyItem]:
    """The caller's branch's saved replies (an admin: `branch`, else every branch's)."""
    access.require(access.sees_people)
    query = scope_branch(select(SavedReply), access, col(SavedReply.branch_code))
    if branch:
        query = query.where(col(SavedReply.branch_code) == branch)
    rows = (await session.exec(query.order_by(col(SavedReply.title), col(SavedReply.id)))).all()
    return [SavedReplyItem(r.id or 0, r.title, r.text, r.branch_code) for r in rows]


async def one(session: AsyncSession, access: Access, reply_id: int) -> SavedReply:
    access.require(access.sees_people)
    query = scope_branch(
        select(SavedReply).where(col(SavedReply.id) == reply_id), access, col(SavedReply.branch_code)
    )
    found = (await session.exec(query)).first()
    if found is None:
        raise NotFound(refusal("saved_reply_not_found"))
    return found


def _clean(title: str | None, text: str | None) -> tuple[str, str]:
    title, text = (title or "").strip(), (text or "").strip()
    if not title or len(title) > TITLE_MAX or not typed_text_ok(title):
        raise InvalidInput("title", refusal("saved_reply_title"))
    if not text or len(text) > TEXT_MAX or not typed_text_ok(text):
        raise InvalidInput("text", refusal("saved_reply_text"))
    return title, text


async def save(
    session: AsyncSession,
    access: Access,
    *,
    title: str | None,
    text: str | None,
    now: datetime,
    reply_id: int | None = None,
    branch: str | None = None,
) -> SavedReplyItem:
    """Adds a saved reply (or changes `reply_id`'s): supervisors of the branch, admins."""
    access.require(access.may_reassign)
    title, text = _clean(title, text)
    if reply_id is not None:
        row = await one(session, access, reply_id)
    else:
        branch_code = access.branch_code if not access.all_branches else branch
        if not branch_code:
            raise InvalidInput("branch", refusal("saved_reply_title"))
        row = SavedReply(branch_code=branch_code, title=title, text=text, updated_by=access.username)
        session.add(row)
    row.title, row.text, row.updated_by, row.updated_at = title, text, access.username, now
    await session.flush()
    auditlog.record(session, access, "saved_reply_saved", now=now, branch=row.branch_code, saved_reply=row.id)
    return SavedReplyItem(row.id or 0, row.title, row.text, row.branch_code)


async def remove(session: AsyncSession, access: Access, reply_id: int, now: datetime) -> None:
    access.require(access.may_reassign)
    row = await one(session, access, reply_id)
    await session.delete(row)
    auditlog.record(
        session, access, "saved_reply_removed", now=now, branch=row.branch_code, saved_reply=reply_id
    )
