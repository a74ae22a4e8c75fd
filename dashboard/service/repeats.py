"""The same action twice (a double click, two tabs, a repeated request) counts once."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CallAttempt

SAME_CALL = timedelta(minutes=2)
"""An identical call by the same officer within this time is the same call."""


async def same_call(session: AsyncSession, attempt: CallAttempt) -> CallAttempt | None:
    """The same officer's identical call on the submission moments ago, if there is one. Run
    under the submission's row lock, so two requests at once are ordered and the second finds
    the first."""
    query = select(CallAttempt).where(
        col(CallAttempt.submission_id) == attempt.submission_id,
        col(CallAttempt.account_id) == attempt.account_id,
        col(CallAttempt.at) >= attempt.at - SAME_CALL,
    )
    for earlier in (await session.exec(query)).all():
        if (earlier.outcome, earlier.note, earlier.callback_at) == (
            attempt.outcome,
            attempt.note,
            attempt.callback_at,
        ):
            return earlier
    return None
