"""A submission is written once: one open submission per NIK, each under its own reference.

`storage.submissions.add_unless_open` writes with driver statements (INSERT ... ON CONFLICT DO
NOTHING), and the partial unique index on the NIK hash decides a duplicate, also between two
transactions at the same moment; a reference already taken is drawn again.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import col, func, select

from storage import submissions
from storage.db import Database
from storage.models import Submission, SubmissionEvent
from tests.support.backoffice_helpers import T0, nik_for, seed
from tests.support.helpers import VAULT


async def _stored(db: Database, reference: str) -> Submission:
    async with db.reader() as session:
        return (await session.exec(select(Submission).where(Submission.reference == reference))).one()


def _copy(of: Submission, nik: str | None = None) -> Submission:
    """A new submission with the same answers (and NIK, unless `nik` is given)."""
    values = of.model_dump(exclude={"id", "reference", "status", "created_at", "updated_at"})
    if nik is not None:
        values.update(nik_enc=VAULT.encrypt(nik), nik_hash=VAULT.keyed_hash(nik))
    return Submission(reference="", **values)


async def _counts(db: Database) -> tuple[int, int]:
    async with db.reader() as session:
        rows = (await session.exec(select(func.count()).select_from(Submission))).one()
        events = (await session.exec(select(func.count()).select_from(SubmissionEvent))).one()
    return rows, events


async def test_a_new_submission_is_stored_with_its_first_history_entry(db: Database) -> None:
    first = await _stored(db, await seed(db, n=1))
    second = _copy(first, nik=nik_for(2))
    async with db.transaction() as session:
        stored, duplicate = await submissions.add_unless_open(session, second, "bot:test", T0)
    assert (stored is second, duplicate) == (True, False)
    assert second.id is not None and second.status == "baru"
    again = await _stored(db, second.reference)
    assert (again.id, again.nik_hash, again.flags, again.answers) == (
        second.id,
        VAULT.keyed_hash(nik_for(2)),
        first.flags,
        first.answers,
    )
    async with db.reader() as session:
        history = (
            await session.exec(select(SubmissionEvent).where(col(SubmissionEvent.submission_id) == second.id))
        ).all()
    assert [(e.actor, e.from_status, e.to_status) for e in history] == [("bot:test", None, "baru")]


async def test_an_open_nik_gets_the_submission_it_already_has(db: Database) -> None:
    first = await _stored(db, await seed(db, n=1))
    async with db.transaction() as session:
        stored, duplicate = await submissions.add_unless_open(session, _copy(first), "bot:test", T0)
    assert (stored.reference, duplicate) == (first.reference, True)
    assert await _counts(db) == (1, 1)


async def test_two_transactions_with_one_nik_at_the_same_moment_store_one(db: Database) -> None:
    """The second insert waits for the first transaction (PostgreSQL's row lock on the index
    entry; SQLite's single writer) and then gives way to its submission."""
    first = await _stored(db, await seed(db, n=1))
    earlier, later = _copy(first, nik=nik_for(3)), _copy(first, nik=nik_for(3))
    inserted, release = asyncio.Event(), asyncio.Event()

    async def first_chat() -> tuple[Submission, bool]:
        async with db.transaction() as session:
            result = await submissions.add_unless_open(session, earlier, "bot:a", T0)
            inserted.set()
            await release.wait()  # still not committed
        return result

    async def second_chat() -> tuple[Submission, bool]:
        await inserted.wait()
        async with db.transaction() as session:
            return await submissions.add_unless_open(session, later, "bot:b", T0)

    one = asyncio.create_task(first_chat())
    other = asyncio.create_task(second_chat())
    await asyncio.sleep(0.2)
    assert not other.done()  # waiting for the first transaction
    release.set()
    (stored, duplicate), (given, given_duplicate) = await asyncio.gather(one, other)
    assert (duplicate, given_duplicate) == (False, True)
    assert given.reference == stored.reference == earlier.reference
    assert await _counts(db) == (2, 2)


@pytest.fixture
def references(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The references `generate_reference` hands out, in order."""
    queue: list[str] = []
    monkeypatch.setattr(submissions, "generate_reference", lambda: queue.pop(0))
    return queue


async def test_a_taken_reference_is_drawn_again(db: Database, references: list[str]) -> None:
    references.append("KAFE-1234")
    first = await _stored(db, await seed(db, n=1))
    references.extend([first.reference, "MEJA-4679"])
    second = _copy(first, nik=nik_for(2))
    async with db.transaction() as session:
        stored, duplicate = await submissions.add_unless_open(session, second, "bot:test", T0)
    assert (stored.reference, duplicate, references) == ("MEJA-4679", False, [])
    assert await _counts(db) == (2, 2)
