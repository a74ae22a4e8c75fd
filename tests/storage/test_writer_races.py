"""Work outside a message's turn that changes a person's conversation or contact, while a message
of theirs is in flight: neither saves over the other.

A message's turn locks the contact and reads the conversation in one statement
(`storage.conversation.open_turn`), and writes both back when it saves. The reminders and the
housekeeping take the same lock first (`storage.contact_lock`, or a locking read of the contact
that checks its condition again), so they wait for a message in flight and then see what it
saved (the first tests: a turn opens, the writer runs until it finishes or waits for a lock,
then the turn saves and commits); and a message that waited for their lock reads what they
wrote (the last ones). SQLite has one writer at a time and takes its snapshot after the write
lock, so it cannot race (PostgreSQL only).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.draft_reminders import remind_drafts
from dashboard.service.payment_reminders import send_payment_reminders
from dashboard.service.reminders import send_followups
from dashboard.service.sessions import create_session
from handlers.enrol.fields import FORM
from handlers.enrol.purge import purge_expired_drafts
from handlers.flows.followup import FollowupFlow
from handlers.localtime import QuietHours
from storage import conversation, erasure
from storage.contact_lock import lock_contacts
from storage.conversation import SavedState
from storage.db import Database
from storage.models import Contact, Conversation, OutboxMessage
from storage.outreach_models import SessionParticipant
from storage.store import Store
from storage.submissions import purge_expired
from tests.dashboard.test_payment_reminders import registered, wib
from tests.handlers.test_sessions import spec
from tests.support.helpers import VAULT, Chat
from tests.support.pg_locks import postgres_only, someone_waits_for_a_lock

QUIET = QuietHours.parse("21:00-07:00")
CHAT = "7302"
DRAFTED_AT = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
"""12:00 WIB: the draft's last answer."""
FOLLOW_UP_AT = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
"""Three days after the session of `_attendee` ended, 12:00 WIB."""
T = TypeVar("T")
State = tuple[str | None, str | None, dict[str, Any]]


async def _first_turn(db: Database, at: datetime, state: State) -> int:
    """The person's earlier message, at `at`: the contact and the conversation `state`."""
    async with db.transaction() as session:
        contact, _saved, _held, _dup = await conversation.open_turn(session, "telegram", CHAT, "m1", at)
        await conversation.save_turn(session, contact, state, [], at)
    assert contact.id is not None
    return contact.id


async def _until_done_or_waiting(db: Database, task: asyncio.Task[Any]) -> None:
    """Until `task` has finished, or some session of the database waits for a row lock."""
    for _ in range(1000):
        if task.done():
            return
        if await someone_waits_for_a_lock(db):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the writer neither finished nor waited for a lock")


async def _while_a_message_is_in_flight(
    db: Database,
    now: datetime,
    answer: Callable[[SavedState | None], State],
    writer: Callable[[], Coroutine[Any, Any, T]],
    *,
    saved_first: bool,
    channel: str = "telegram",
    chat_id: str = CHAT,
) -> T:
    """A message's turn opens (the contact locked, the conversation read); `writer` runs until it
    finishes or waits for a lock; then the turn commits what `answer` makes of the conversation
    it read (saved before the writer starts when `saved_first`, else after). The writer's result."""
    opened, let_go = asyncio.Event(), asyncio.Event()

    async def turn() -> None:
        async with db.transaction() as session:
            contact, saved, _held, _dup = await conversation.open_turn(session, channel, chat_id, "m9", now)
            contact.last_inbound_at = now
            if saved_first:
                await conversation.save_turn(session, contact, answer(saved), [], now)
            opened.set()
            await let_go.wait()
            if not saved_first:
                await conversation.save_turn(session, contact, answer(saved), [], now)

    message = asyncio.create_task(turn())
    await opened.wait()
    writing = asyncio.create_task(writer())
    await _until_done_or_waiting(db, writing)
    let_go.set()
    await message
    return await writing


class _HeldBeforeCommit:
    """The database as a writer sees it: each write transaction, its statements run, stays open
    (its locks held) until `let_go`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.written, self.let_go = asyncio.Event(), asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    @asynccontextmanager
    async def transaction(self, **options: Any) -> AsyncIterator[AsyncSession]:
        async with self._db.transaction(**options) as session:
            yield session
            await session.flush()
            self.written.set()
            await self.let_go.wait()


async def _read_after(
    db: Database,
    now: datetime,
    writer: Callable[[Database], Coroutine[Any, Any, Any]],
    *,
    channel: str = "telegram",
    chat_id: str = CHAT,
) -> SavedState | None:
    """`writer` runs up to its commit; a message's turn opening meanwhile waits for its lock; the
    writer commits. The conversation the turn read."""
    held = _HeldBeforeCommit(db)
    writing = asyncio.create_task(writer(cast(Database, held)))
    await held.written.wait()

    async def turn() -> SavedState | None:
        async with db.transaction() as session:
            *_, saved, _held, _dup = await conversation.open_turn(session, channel, chat_id, "m9", now)
        return saved

    message = asyncio.create_task(turn())
    await _until_done_or_waiting(db, message)
    assert not message.done()  # it waits for the writer
    held.let_go.set()
    await writing
    return await message


async def _stored(db: Database, contact_id: int) -> Conversation | None:
    async with db.reader() as session:
        return await session.get(Conversation, contact_id)


def _draft(at: datetime) -> dict[str, Any]:
    """A draft with an answer, last changed at `at`."""
    raw = FORM.new_draft(at, VAULT).raw
    raw["answers"] = {"consent": True}
    return raw


def _answered(now: datetime) -> Callable[[SavedState | None], State]:
    """The turn answers the form's next question: the draft changed now."""

    def answer(saved: SavedState | None) -> State:
        assert saved is not None
        return (
            "enrol",
            "full_name",
            {**saved.data, "draft": {**saved.data["draft"], "updated": now.isoformat()}},
        )

    return answer


def _elsewhere(saved: SavedState | None) -> State:
    """The turn moves the conversation on to something else (the menu's sessions)."""
    return ("sessions", "list", dict(saved.data) if saved else {})


async def _attendee(db: Database) -> int:
    """Someone who attended a session in Madiun that ended on 24 November, without a submission."""
    created = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    social = await create_session(db, spec(capacity=5), actor="staff", branches=None, now=created)
    contact_id = await _first_turn(db, created, (None, None, {}))
    async with db.transaction() as session:
        attended = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)
        assert social.id is not None
        row = SessionParticipant(session_id=social.id, contact_id=contact_id, attended_at=attended)
        session.add(row)
    return contact_id


async def test_a_turn_that_waited_for_the_lock_reads_what_the_writer_wrote(db: Database) -> None:
    """The lock is an UPDATE of the contact's row: after a bare SELECT ... FOR UPDATE, the turn
    would read the conversation as it was before the writer and save over it."""
    postgres_only(db)
    at = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    contact_id = await _first_turn(db, at, ("enrol", "a", {}))
    written, let_go = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as session:
            await lock_contacts(session, [contact_id])
            stored = await session.get(Conversation, contact_id)
            assert stored is not None
            stored.step, stored.version = "by_the_writer", stored.version + 1
            session.add(stored)
            await session.flush()
            written.set()
            await let_go.wait()

    async def turn() -> str | None:
        async with db.transaction() as session:
            contact, saved, _held, _dup = await conversation.open_turn(session, "telegram", CHAT, "m2", at)
            await conversation.save_turn(session, contact, ("enrol", "b", {}), [], at)
        return saved.step if saved else None

    writing = asyncio.create_task(writer())
    await written.wait()
    message = asyncio.create_task(turn())
    await _until_done_or_waiting(db, message)
    assert not message.done()  # it waits for the writer's lock
    let_go.set()
    await writing
    assert await message == "by_the_writer"


async def test_no_draft_reminder_over_a_message_in_flight(db: Database) -> None:
    """dashboard.service.draft_reminders: the reminder waits for the message, then finds the
    conversation busy again; before, it put the conversation on its question and the message
    saved over that (the "Lanjutkan" it offered not understood, and the draft reminded again)."""
    postgres_only(db)
    earlier = DRAFTED_AT
    now = earlier + timedelta(hours=22)  # 10:00 WIB
    contact_id = await _first_turn(db, earlier, ("enrol", "full_name", {"draft": _draft(earlier)}))

    async def remind() -> set[str]:
        return await remind_drafts(db, now, vault=VAULT, quiet=QUIET, expiry_days=7)

    sent = await _while_a_message_is_in_flight(db, now, _answered(now), remind, saved_first=False)
    assert sent == set()
    stored = await _stored(db, contact_id)
    assert stored is not None and (stored.flow, stored.step) == ("enrol", "full_name")


async def test_no_payment_reminder_over_a_message_in_flight(db: Database, chat: Chat) -> None:
    """dashboard.service.payment_reminders: the reminder waits for the message, then finds the
    person talking (a later round); before, the message saved over the conversation the reminder
    had put on its answers ("sudah bayar", "berhenti ingatkan" no longer understood)."""
    postgres_only(db)
    await registered(db, chat)
    now = wib(2027, 1, 12)

    async def remind() -> set[str]:
        return await send_payment_reminders(db, now, vault=VAULT, quiet=QUIET)

    sent = await _while_a_message_is_in_flight(
        db, now, _elsewhere, remind, saved_first=False, channel=chat.channel, chat_id=chat.chat_id
    )
    assert sent == set()
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == chat.chat_id))).one()
    assert contact.id is not None
    stored = await _stored(db, contact.id)
    assert stored is not None and (stored.flow, stored.step) == ("sessions", "list")


async def test_no_follow_up_question_over_a_message_in_flight(db: Database) -> None:
    """dashboard.service.reminders.send_followups: the question waits for the message, then finds
    the person talking; before, the message saved over the conversation it had put on the question."""
    postgres_only(db)
    contact_id = await _attendee(db)
    now = FOLLOW_UP_AT

    async def ask() -> set[str]:
        return await send_followups(db, now, days=3, quiet=QUIET)

    sent = await _while_a_message_is_in_flight(db, now, _elsewhere, ask, saved_first=False)
    assert sent == set()
    stored = await _stored(db, contact_id)
    assert stored is not None and (stored.flow, stored.step) == ("sessions", "list")
    async with db.reader() as session:
        (participant,) = (await session.exec(select(SessionParticipant))).all()
    assert participant.followup_sent_at is None  # asked in a later round


async def test_an_expired_draft_taken_up_again_is_not_purged(db: Database) -> None:
    """handlers.enrol.purge: the purge waits for the message that took the draft up again and
    leaves it; before, it wrote the conversation it had read over what the message saved."""
    postgres_only(db)
    earlier = DRAFTED_AT
    now = earlier + timedelta(days=8)
    contact_id = await _first_turn(db, earlier, ("enrol", "full_name", {"draft": _draft(earlier)}))

    async def purge() -> int:
        async with Store.transaction(db) as store:
            return await purge_expired_drafts(store, now, expiry_days=7)

    purged = await _while_a_message_is_in_flight(db, now, _answered(now), purge, saved_first=True)
    assert purged == 0
    stored = await _stored(db, contact_id)
    assert stored is not None and stored.data["draft"]["updated"] == now.isoformat()


async def test_the_retention_keeps_the_conversation_of_someone_writing_again(db: Database) -> None:
    """storage.submissions.purge_expired: a contact silent past the retention that writes at that
    moment keeps the conversation the message saved; before, the purge deleted it."""
    postgres_only(db)
    long_ago = datetime(2024, 1, 10, 3, 0, tzinfo=UTC)
    now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    contact_id = await _first_turn(db, long_ago, ("enrol", "a", {}))

    async def purge() -> dict[str, int]:
        async with db.transaction() as session:
            return await purge_expired(session, now, years=1, columns=(), answers=())

    await _while_a_message_is_in_flight(db, now, _elsewhere, purge, saved_first=True)
    stored = await _stored(db, contact_id)
    assert stored is not None and (stored.flow, stored.step) == ("sessions", "list")


async def test_someone_who_writes_again_after_erasing_keeps_their_address(db: Database) -> None:
    """storage.erasure.tombstone_erased: a person who erased their data and writes again as the
    run replaces erased numbers keeps their chat id (and so their conversation); before, the run
    decided on the row as it was before the message and replaced it."""
    postgres_only(db)
    erased = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    now = erased + timedelta(days=3)
    contact_id = await _first_turn(db, erased - timedelta(hours=1), (None, None, {}))
    async with db.transaction() as session:
        await session.exec(
            update(Contact)
            .where(col(Contact.id) == contact_id)
            .values(erased_at=erased, last_inbound_at=erased - timedelta(hours=1))
        )

    async def tombstone() -> int:
        async with db.transaction() as session:
            return await erasure.tombstone_erased(session, now)

    assert await _while_a_message_is_in_flight(db, now, _elsewhere, tombstone, saved_first=True) == 0
    async with db.reader() as session:
        contact = await session.get(Contact, contact_id)
        waiting = (await session.exec(select(OutboxMessage))).all()
    assert contact is not None and contact.chat_id == CHAT and waiting == []


# A message that waited for the writer's lock reads what the writer committed. The reminders
# held the contact before too (a key-share lock, by the foreign key of the message they queue),
# but a turn that waited for that lock read the conversation as it was before them.


async def test_a_message_after_a_draft_reminder_reads_its_question(db: Database) -> None:
    postgres_only(db)
    await _first_turn(db, DRAFTED_AT, ("enrol", "full_name", {"draft": _draft(DRAFTED_AT)}))
    now = DRAFTED_AT + timedelta(hours=22)

    async def remind(held: Database) -> set[str]:
        return await remind_drafts(held, now, vault=VAULT, quiet=QUIET, expiry_days=7)

    saved = await _read_after(db, now, remind)
    assert saved is not None and (saved.flow, saved.step) == ("enrol", "resume")
    assert saved.data["draft"]["reminded_at"] == now.isoformat()


async def test_a_message_after_a_payment_reminder_reads_its_question(db: Database, chat: Chat) -> None:
    postgres_only(db)
    await registered(db, chat)
    now = wib(2027, 1, 12)

    async def remind(held: Database) -> set[str]:
        return await send_payment_reminders(held, now, vault=VAULT, quiet=QUIET)

    saved = await _read_after(db, now, remind, channel=chat.channel, chat_id=chat.chat_id)
    assert saved is not None and saved.step == "reminder"


async def test_a_message_after_the_follow_up_question_reads_it(db: Database) -> None:
    postgres_only(db)
    await _attendee(db)

    async def ask(held: Database) -> set[str]:
        return await send_followups(held, FOLLOW_UP_AT, days=3, quiet=QUIET)

    saved = await _read_after(db, FOLLOW_UP_AT, ask)
    assert saved is not None and (saved.flow, saved.step) == (FollowupFlow.name, "ask")


async def test_a_message_after_the_draft_purge_finds_the_draft_gone(db: Database) -> None:
    postgres_only(db)
    await _first_turn(db, DRAFTED_AT, ("enrol", "full_name", {"draft": _draft(DRAFTED_AT)}))
    now = DRAFTED_AT + timedelta(days=8)

    async def purge(held: Database) -> int:
        async with Store.transaction(held) as store:
            return await purge_expired_drafts(store, now, expiry_days=7)

    saved = await _read_after(db, now, purge)
    assert saved is not None and saved.flow is None and "draft" not in saved.data


async def test_a_message_after_the_retention_finds_no_conversation(db: Database) -> None:
    postgres_only(db)
    await _first_turn(db, datetime(2024, 1, 10, 3, 0, tzinfo=UTC), ("enrol", "a", {}))
    now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)

    async def purge(held: Database) -> dict[str, int]:
        async with held.transaction() as session:
            return await purge_expired(session, now, years=1, columns=(), answers=())

    assert await _read_after(db, now, purge) is None
