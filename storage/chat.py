"""The conversation kept for officers (`chat_message`) and who holds a chat (`agent_handoff`).

The engine writes a turn's messages here in its own transaction (one multi-row insert, see
`storage.conversation.save_turn`); the staff side reads them, writes an officer's replies and
opens and closes the hold. Texts are encrypted with the vault before they reach this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import delete, func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.chat_models import AgentHandoff, ChatMessage

CONVERSATION_LIMIT = 200
LAPSED = datetime(2000, 1, 1, tzinfo=UTC)
"""An officer's last message long ago: the hold's quiet time has passed."""
"""The newest messages a conversation page shows."""


@cache
def message_insert() -> Any:
    return insert(ChatMessage.__table__)  # type: ignore[attr-defined]


MESSAGE_KEYS = ("contact_id", "direction", "text_enc", "at", "officer_id", "officer", "channel_message_id")
"""The columns of a `message_row`."""


def message_row(
    contact_id: int,
    direction: str,
    text_enc: str,
    at: datetime,
    *,
    officer_id: int | None = None,
    officer: str | None = None,
    channel_message_id: str | None = None,
) -> dict[str, Any]:
    """One `chat_message` row as `add_messages` takes it."""
    return {
        "contact_id": contact_id,
        "direction": direction,
        "text_enc": text_enc,
        "at": at,
        "officer_id": officer_id,
        "officer": officer,
        "channel_message_id": channel_message_id,
    }


async def add_messages(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Keeps messages of a chat: one statement for all of them."""
    if rows:
        await session.exec(message_insert(), params=list(rows))


async def messages_of(
    session: AsyncSession, contact_id: int, limit: int = CONVERSATION_LIMIT
) -> list[ChatMessage]:
    """The person's newest messages, oldest first."""
    query = (
        select(ChatMessage)
        .where(col(ChatMessage.contact_id) == contact_id)
        .order_by(col(ChatMessage.id).desc())
        .limit(limit)
    )
    return list(reversed((await session.exec(query)).all()))


async def erase_chat(session: AsyncSession, contact_id: int, now: datetime) -> int:
    """ "hapus data": the person's kept conversation goes, and an officer's hold ends."""
    removed = await session.exec(delete(ChatMessage).where(col(ChatMessage.contact_id) == contact_id))
    await release(session, contact_id, now, "erased")
    return int(removed.rowcount or 0)


async def erase_old_messages(session: AsyncSession, before: datetime) -> int:
    """Retention: messages older than the consent's promise go."""
    removed = await session.exec(delete(ChatMessage).where(col(ChatMessage.at) < before))
    return int(removed.rowcount or 0)


# --- the hold -----------------------------------------------------------------------------------


def is_open(hold: AgentHandoff | None, now: datetime, quiet: timedelta) -> bool:
    """Whether an officer still holds the chat: not closed, and the quiet time not passed."""
    return hold is not None and hold.closed_at is None and now - hold.officer_at < quiet


async def hold_of(session: AsyncSession, contact_id: int) -> AgentHandoff | None:
    return await session.get(AgentHandoff, contact_id)


async def note_worker_message(session: AsyncSession, contact_id: int, now: datetime) -> None:
    """The worker wrote while an officer holds the chat: it waits in the officer's inbox."""
    table = AgentHandoff.__table__  # type: ignore[attr-defined]
    await session.exec(
        update(table)
        .where(table.c.contact_id == contact_id)
        .values(
            unread=table.c.unread + 1, worker_at=now, waiting_since=func.coalesce(table.c.waiting_since, now)
        )
    )


async def release(session: AsyncSession, contact_id: int, now: datetime, reason: str) -> bool:
    """Ends an officer's hold (the bot answers again); False when none was open."""
    result = await session.exec(
        update(AgentHandoff)
        .where(col(AgentHandoff.contact_id) == contact_id, col(AgentHandoff.closed_at).is_(None))
        .values(closed_at=now, close_reason=reason, waiting_since=None, unread=0)
    )
    return bool(result.rowcount)


async def hand_holds_on(session: AsyncSession, officer_id: int, to: tuple[int, str] | None) -> list[int]:
    """The chats `officer_id` holds go to another officer (`to`: id and username), or, without one,
    lapse at once: the bot answers the person's next message and says first that it is back.
    Returns the contact ids."""
    holds = (
        await session.exec(
            select(AgentHandoff).where(
                col(AgentHandoff.officer_id) == officer_id, col(AgentHandoff.closed_at).is_(None)
            )
        )
    ).all()
    for hold in holds:
        if to is not None:
            hold.officer_id, hold.officer = to
        else:
            hold.officer_at = LAPSED
        session.add(hold)
    return [hold.contact_id for hold in holds]


async def take(
    session: AsyncSession,
    contact_id: int,
    *,
    branch_code: str,
    officer_id: int | None,
    officer: str,
    now: datetime,
    quiet: timedelta,
    submission_id: int | None = None,
    callback_id: int | None = None,
) -> bool:
    """An officer writes in the chat: the hold opens (True) or goes on (False), answered."""
    hold = await session.get(AgentHandoff, contact_id, with_for_update=True)
    opened = not is_open(hold, now, quiet)
    if hold is None:
        hold = AgentHandoff(
            contact_id=contact_id, branch_code=branch_code, officer=officer, started_at=now, officer_at=now
        )
        session.add(hold)
    if opened:
        hold.started_at, hold.closed_at, hold.close_reason = now, None, None
    hold.branch_code = branch_code
    hold.officer_id, hold.officer, hold.officer_at = officer_id, officer, now
    hold.waiting_since, hold.unread = None, 0
    hold.submission_id = submission_id if submission_id is not None else hold.submission_id
    hold.callback_id = callback_id if callback_id is not None else hold.callback_id
    await session.flush()
    return opened


async def mark_read(session: AsyncSession, contact_id: int) -> None:
    """An officer opened the conversation: nothing of it is unread any more."""
    await session.exec(
        update(AgentHandoff).where(col(AgentHandoff.contact_id) == contact_id).values(unread=0)
    )
