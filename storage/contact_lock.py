"""The lock a writer outside a message's turn takes before it reads and changes a person's
conversation: reminders that put the conversation on their question, housekeeping that purges
drafts and conversations.

A message's turn locks its contact and reads the conversation in one statement
(`storage.conversation.open_turn`). A turn that had to wait for the lock reads again only when
the contact's row is a newer version than its snapshot (`storage.turn_statements._contact_upsert`),
so the lock here is an UPDATE of the row to itself, which makes that version. A SELECT ... FOR
UPDATE (`storage.outbox.lock_contact`) would not: the waiting turn would read the conversation as
it was before this transaction and save its answer over what this one wrote
(`tests/storage/test_writer_races.py`). On SQLite the write transaction already serialises
everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Contact, Conversation


async def lock_contacts(session: AsyncSession, contact_ids: Iterable[int]) -> None:
    """Locks the contacts' rows for this transaction, as a message's turn does (in id order).

    Read what is to be changed after this, in a statement of its own: under READ COMMITTED it
    sees every turn committed before the lock was granted (an object the session loaded before
    must be read again, `locked_conversation`)."""
    ids = sorted(set(contact_ids))
    if ids:
        await lock_contacts_where(session, col(Contact.id).in_(ids))


async def lock_contacts_where(session: AsyncSession, *conditions: Any) -> None:
    """Locks the rows of the contacts that meet `conditions`, as `lock_contacts` does. An UPDATE
    checks its conditions again on a row it had to wait for, as that row then is."""
    stmt = update(Contact).where(*conditions).values(channel=Contact.channel)
    await session.exec(stmt.execution_options(synchronize_session=False))


async def locked_conversation(session: AsyncSession, contact_id: int) -> Conversation | None:
    """The person's conversation as it is now, with their contact locked (`lock_contacts`)."""
    await lock_contacts(session, (contact_id,))
    return await session.get(Conversation, contact_id, populate_existing=True)
