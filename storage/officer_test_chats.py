"""An officer's own test chat for "kirim uji", linked once by a one-time code.

The dashboard issues a short code (kept only as its SHA-256, valid for a while, single-use);
the officer sends "UJI <code>" to the bot from a channel that allows test chats; the bot redeems
it, which stores that chat on the staff account. The audit log records linking and unlinking with the
channel only, never the chat's address.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditLog, StaffAccount

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/I: a code read off a screen and typed on a phone."""
CODE_LENGTH = 6
CODE_TTL = timedelta(minutes=30)
_CODE = re.compile(rf"[{ALPHABET}]{{{CODE_LENGTH}}}")


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def new_code() -> str:
    """A code with at least one letter and one digit, so no word a person types is a code."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if any(c.isdigit() for c in code) and any(c.isalpha() for c in code):
            return code


def looks_like_code(text: str) -> bool:
    """Shaped like an issued code: six of the alphabet, letters and digits mixed."""
    code = text.strip().upper()
    return bool(_CODE.fullmatch(code)) and any(c.isdigit() for c in code) and any(c.isalpha() for c in code)


@dataclass(frozen=True)
class Linked:
    username: str
    channel: str


async def issue_code(session: AsyncSession, account_id: int, now: datetime) -> tuple[str, datetime]:
    """A new one-time code for the account (any earlier one stops working); returns it and its expiry."""
    account = await session.get(StaffAccount, account_id, with_for_update=True)
    if account is None:
        raise LookupError(account_id)
    code = new_code()
    account.link_code_hash = code_hash(code)
    account.link_code_expires_at = now + CODE_TTL
    return code, account.link_code_expires_at


async def redeem_code(
    session: AsyncSession,
    code: str,
    *,
    channel: str,
    chat_id: str,
    now: datetime,
    linkable: Collection[str] | None = None,
) -> Linked | None:
    """Links the chat to the account whose valid, unexpired code this is; None otherwise.

    `linkable` names the channels a test chat may be on (the channel catalogue's `linkable()`);
    a chat on any other is never linked. None: the caller checked the channel."""
    if (linkable is not None and channel not in linkable) or not looks_like_code(code):
        return None
    query = (
        select(StaffAccount)
        .where(StaffAccount.link_code_hash == code_hash(code), col(StaffAccount.disabled_at).is_(None))
        .with_for_update()
    )
    account = (await session.exec(query)).first()
    if account is None or account.link_code_expires_at is None or account.link_code_expires_at <= now:
        return None
    account.link_code_hash = None
    account.link_code_expires_at = None
    account.test_channel = channel
    account.test_chat_id = chat_id
    account.test_linked_at = now
    session.add(
        AuditLog(
            at=now,
            actor=f"staff:{account.username}"[:64],
            action="test_chat_linked",
            details={"channel": channel, "via": "bot"},
            branch_code=account.branch_code,
        )
    )
    return Linked(account.username, channel)


async def unlink(session: AsyncSession, account_id: int) -> str | None:
    """Forgets the account's test chat; returns the channel it was on (None if none was linked)."""
    account = await session.get(StaffAccount, account_id, with_for_update=True)
    if account is None or account.test_channel is None:
        return None
    channel = account.test_channel
    account.test_channel = account.test_chat_id = account.test_linked_at = None
    return channel


def masked(chat_id: str) -> str:
    """The chat as the page shows it: the last four characters only."""
    return "•" * 4 + chat_id[-4:] if len(chat_id) > 4 else "•" * 4
