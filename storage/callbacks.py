"""Callback requests ("minta ditelepon"): stored by the conversation, listed for the branch.

`callback_queue` is the query the export lists them with: one branch, open ones, oldest first.
The dashboard works them (take, reveal the number, close) through dashboard.service.callbacks.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CallbackRequest

CALLBACK_STATUSES = ("baru", "ditangani", "selesai", "tidak_terhubung")
OPEN_STATUSES = ("baru", "ditangani")


def add_callback_request(session: AsyncSession, request: CallbackRequest) -> CallbackRequest:
    session.add(request)
    return request


async def callback_queue(
    session: AsyncSession, *, branch: str | None = None, status: str | None = "open"
) -> Sequence[CallbackRequest]:
    """Requests of one branch (all branches when None), by status ("open": not yet closed), oldest first."""
    query = select(CallbackRequest).order_by(col(CallbackRequest.created_at), col(CallbackRequest.id))
    if branch is not None:
        query = query.where(CallbackRequest.branch_code == branch)
    if status == "open":
        query = query.where(col(CallbackRequest.status).in_(OPEN_STATUSES))
    elif status is not None:
        query = query.where(CallbackRequest.status == status)
    return (await session.exec(query)).all()


async def erase_callbacks_of(session: AsyncSession, contact_id: int) -> int:
    """ "hapus data": the person's requests lose their number and question."""
    query = select(CallbackRequest).where(CallbackRequest.contact_id == contact_id)
    found = (await session.exec(query)).all()
    for request in found:
        request.phone_enc = request.question_enc = None
        request.contact_id = None
    return len(found)
