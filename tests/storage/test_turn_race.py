"""Two processes with one person's messages at the same instant: the later one never works from
the conversation as it was before the earlier one committed.

On PostgreSQL the opening (`storage.conversation.open_turn`) locks the contact and reads the
conversation in one statement. Under READ COMMITTED that statement reads with the snapshot it
took before waiting for the lock, so a message that waited for another's transaction would read
the conversation as it was before that transaction, and save its answer over the other's. The
opening therefore updates the contact only if its row is the version of its own snapshot; when
it is not, the statement writes and returns nothing but keeps the lock, and runs once more with
a snapshot that sees the other turn (`storage.turn_statements._contact_upsert`). SQLite takes
its snapshot after the write lock, so it cannot read stale.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from storage import conversation
from storage.db import Database
from storage.models import Conversation
from tests.support.pg_locks import postgres_only, someone_waits_for_a_lock

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
CHAT = "7301"


async def _first_turn(db: Database) -> int:
    async with db.transaction() as session:
        contact, _saved, _held, _dup = await conversation.open_turn(session, "telegram", CHAT, "m1", AT)
        await conversation.save_turn(session, contact, ("enrol", "a", {}), [], AT)
    assert contact.id is not None
    return contact.id


async def _until_waiting_for_a_lock(db: Database) -> None:
    """Until some session of the database waits for a row lock (the other opening)."""
    for _ in range(500):
        if await someone_waits_for_a_lock(db):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second opening never waited for the contact's lock")


async def test_a_message_that_waited_for_the_lock_reads_the_conversation_the_other_committed(
    db: Database,
) -> None:
    postgres_only(db)
    contact_id = await _first_turn(db)
    first_in = asyncio.Event()
    let_go = asyncio.Event()

    async def earlier() -> None:
        async with db.transaction() as session:
            contact, _saved, _held, _dup = await conversation.open_turn(session, "telegram", CHAT, "m2", AT)
            first_in.set()
            await let_go.wait()
            await conversation.save_turn(session, contact, ("enrol", "b", {}), [], AT)

    async def later() -> tuple[str | None, int | None, bool]:
        async with db.transaction() as session:
            contact, saved, _held, duplicate = await conversation.open_turn(
                session, "telegram", CHAT, "m3", AT
            )
            await conversation.save_turn(session, contact, ("enrol", "c", {}), [], AT)
        return (saved.step, saved.version, duplicate) if saved else (None, None, duplicate)

    first = asyncio.create_task(earlier())
    await first_in.wait()
    second = asyncio.create_task(later())
    await _until_waiting_for_a_lock(db)
    let_go.set()
    await first
    # It read the earlier message's step, and its own id was recorded once, by the second run.
    assert await second == ("b", 2, False)
    async with db.reader() as session:
        stored = await session.get(Conversation, contact_id)
    assert stored is not None and (stored.step, stored.version) == ("c", 3)
    async with db.transaction() as session:
        *_, duplicate = await conversation.open_turn(session, "telegram", CHAT, "m3", AT)
    assert duplicate  # the second message's id stands: a redelivery of it changes nothing
