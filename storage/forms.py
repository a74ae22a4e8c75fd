"""Queries of the native forms: the tokens a form is offered with, and what the form path counts.

Every function takes the session of the caller's unit of work (a form request runs in the
engine's transaction of the person's conversation; the reminder in the scheduler's).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import Session
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.driver import Driver, DriverStatement
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
    """How many messages the person sent from `since` on (each platform message once).

    Counted when a submission is stored, in its message's transaction: a driver statement
    (`storage.driver`), like the rest of that message's reads and writes."""

    def run(sync: Session) -> int:
        connection = sync.connection()
        statement = _messages_since(connection.dialect.name, connection.dialect)
        return int(Driver(connection).one(statement, {"contact_id": contact_id, "since": since})["n"])

    return await session.run_sync(run)


@cache
def _messages_since(_name: str, dialect: Dialect) -> DriverStatement:
    table = ProcessedInbound.__table__  # type: ignore[attr-defined]
    query = sa_select(func.count().label("n")).where(
        table.c.contact_id == bindparam("contact_id"), table.c.received_at >= bindparam("since")
    )
    return DriverStatement.compile(query, dialect)


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
