"""Queries of the native forms: the tokens a form is offered with, and what the form path counts.

Every function takes the session of the caller's unit of work (a form request runs in the
engine's transaction of the person's conversation; the reminder in the scheduler's).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.form_models import FormToken
from storage.models import Conversation, ProcessedInbound

TOKEN_BYTES = 24


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: AsyncSession,
    *,
    channel: str,
    chat_id: str,
    contact_id: int | None,
    now: datetime,
    lifetime: timedelta,
) -> str:
    """A new random token for one offer of the form to this person; only its hash is stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        FormToken(
            token_hash=token_hash(token),
            channel=channel,
            chat_id=chat_id,
            contact_id=contact_id,
            issued_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


async def find_token(session: AsyncSession, token: str) -> FormToken | None:
    """The issued token, or None for one the service never issued."""
    query = select(FormToken).where(FormToken.token_hash == token_hash(token))
    return (await session.exec(query)).first()


async def messages_since(session: AsyncSession, contact_id: int, since: datetime) -> int:
    """How many messages the person sent from `since` on (each platform message once)."""
    query = select(func.count()).where(
        ProcessedInbound.contact_id == contact_id, ProcessedInbound.received_at >= since
    )
    return int((await session.exec(query)).one())


async def idle_conversations(
    session: AsyncSession, after: datetime, before: datetime
) -> Sequence[Conversation]:
    """Conversations last touched between `after` and `before`: drafts to remind of. Not locked:
    the reminder locks each person's contact first, in this order, and reads the conversation
    again (`storage.contact_lock`)."""
    query = (
        select(Conversation)
        .where(col(Conversation.updated_at) > after, col(Conversation.updated_at) <= before)
        .order_by(col(Conversation.contact_id))
    )
    return (await session.exec(query)).all()
