"""The contact a message's turn works with is the stored contact, column for column, and what
the flows change on it is what the turn saves.

`storage.conversation.open_turn` builds the contact from the opening's row as the ORM builds a
loaded object (no validation, no change events), because `Contact(**row)` took 50 µs, 3% of a
message's CPU time. These tests hold that nothing is lost by it: every column reads as the ORM
reads it, the object behaves as any Contact (a dump, a change, a session that never tracked it),
and `save_turn` writes the changes.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import inspect

from storage import conversation
from storage.db import Database
from storage.models import Contact

AT = datetime(2026, 12, 6, 9, 30, 15, 123456, tzinfo=UTC)
EARLIER = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)


async def _stored_contact(db: Database) -> int:
    """A contact with every column set to something other than its default."""
    contact = Contact(
        channel="telegram",
        chat_id="8801",
        phone_enc="gAAAA-encrypted",
        announcements=True,
        announcements_changed_at=EARLIER,
        last_inbound_at=EARLIER,
        unreachable_at=EARLIER,
        reply_keyboard_at=EARLIER,
        attribution_code="AGEN-7",
        regency_code="3578",
        language="jv",
        erased_at=None,
        created_at=EARLIER,
    )
    async with db.transaction() as session:
        session.add(contact)
    assert contact.id is not None
    return contact.id


async def test_the_turns_contact_reads_every_column_as_the_orm_does(db: Database) -> None:
    contact_id = await _stored_contact(db)
    async with db.reader() as session:
        stored = await session.get(Contact, contact_id)
    assert stored is not None
    async with db.transaction() as session:
        opened = await conversation.open_turn(session, "telegram", "8801", "m1", AT)
        contact, duplicate = opened[0], opened[3]
        assert not duplicate
        assert contact.model_dump() == stored.model_dump()
        assert inspect(contact).transient  # no session tracks it: save_turn writes it
        assert contact not in session


async def test_what_a_flow_changes_on_the_turns_contact_is_saved(db: Database) -> None:
    contact_id = await _stored_contact(db)
    async with db.transaction() as session:
        contact, _saved, _held, _dup = await conversation.open_turn(session, "telegram", "8801", "m1", AT)
        contact.language = "mad"
        contact.regency_code = None
        contact.announcements = False
        contact.last_inbound_at = AT
        await conversation.save_turn(session, contact, ("menu", None, {}), [], AT)
    async with db.reader() as session:
        stored = await session.get(Contact, contact_id)
    assert stored is not None
    assert (stored.language, stored.regency_code, stored.announcements) == ("mad", None, False)
    assert stored.last_inbound_at == AT
    assert (stored.attribution_code, stored.phone_enc) == ("AGEN-7", "gAAAA-encrypted")  # untouched


async def test_a_new_persons_contact_has_the_columns_defaults(db: Database) -> None:
    async with db.transaction() as session:
        contact, saved, held, duplicate = await conversation.open_turn(session, "whatsapp", "62811", "w1", AT)
    assert (saved, held, duplicate) == (None, False, False)
    assert contact.id is not None
    assert (contact.language, contact.announcements, contact.created_at) == ("id", False, AT)
    assert contact.last_inbound_at is None and contact.phone_enc is None


FIRST_TURN = """
import asyncio, sys
from datetime import UTC, datetime
from storage import conversation
from storage.db import Database

async def main() -> None:
    db = Database(sys.argv[1])
    async with db.transaction(grouped=True) as session:
        contact, _saved, _held, _dup = await conversation.open_turn(
            session, "telegram", "first", "f1", datetime.now(UTC)
        )
        print(contact.id, contact.language)
    await db.dispose()

asyncio.run(main())
"""


def test_a_fresh_process_can_open_a_turn_before_any_other_orm_use(db_url: str) -> None:
    """The contact is built without the ORM's constructor, which is what configures the mappers
    on first use: a process whose first database work is a message's turn must work too."""
    done = subprocess.run(
        [sys.executable, "-c", FIRST_TURN, db_url], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1", "id"]
