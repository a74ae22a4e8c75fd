"""Nothing lost, nothing doubled, nothing leaked: races on one NIK, passing database failures,
forged button data, and SQL parameters in error messages."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

import asyncpg
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from bot.cli import QUIET_DRIVERS, _logging
from bot.log_redaction import install
from handlers import engine as engine_module
from handlers.app import build_router
from handlers.engine import Engine
from storage.db import Database
from storage.errors import TransientError, is_lost_connection, is_transient
from storage.models import Contact, Conversation, ProcessedInbound, Submission
from tests.handlers.test_enrol_flow import HAPPY, WOMAN_NIK, run
from tests.support.helpers import VAULT, Chat, FixedClock


async def submissions(db: Database) -> list[Submission]:
    async with db.reader() as session:
        return list((await session.exec(select(Submission))).all())


async def test_two_chats_sending_one_nik_at_the_same_moment_get_one_submission(
    db_url: str, clock: FixedClock
) -> None:
    """Two workers (one database each) take "kirim" from two chats with one NIK at once."""
    dbs = [Database(db_url), Database(db_url)]
    try:
        for round_no in range(3):
            chats = [
                Chat(d, Engine(d, build_router(), vault=VAULT, clock=clock), chat_id=f"r{round_no}c{i}")
                for i, d in enumerate(dbs)
            ]
            for chat in chats:
                await run(chat, HAPPY)
            answers = await asyncio.gather(*(chat.say("kirim") for chat in chats))
            stored = [s for s in await submissions(dbs[0]) if s.status == "baru"]
            assert len(stored) == 1, f"round {round_no}: {len(stored)} open submissions for one NIK"
            # The loser (another chat) is told kindly that the NIK is taken, without the reference.
            assert sum("Nomor pendaftaran" in a for a in answers) == 1
            assert sum(stored[0].reference not in a and "sudah punya pendaftaran" in a for a in answers) == 1
            async with dbs[0].transaction() as session:  # free the NIK for the next round
                row = await session.get(Submission, stored[0].id)
                assert row is not None
                row.status = "dibatalkan"
    finally:
        for d in dbs:
            await d.dispose()


async def test_the_database_itself_refuses_a_second_open_submission_for_a_nik(
    db: Database, chat: Chat
) -> None:
    await run(chat, HAPPY)
    await chat.say("kirim")
    (first,) = await submissions(db)
    copy = first.model_dump(exclude={"id", "reference"})
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(Submission(**copy, reference="TEST-COPY"))
    async with db.transaction() as session:  # a closed one does not count
        session.add(Submission(**{**copy, "status": "ditolak"}, reference="TEST-GONE"))
    assert first.nik_hash == VAULT.keyed_hash(WOMAN_NIK)


class _FailOnce:
    """Stands for a database failure in passing: raises `error` on the first call only."""

    def __init__(self, real: Any, error: BaseException) -> None:
        self.real, self.error, self.calls = real, error, 0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            raise self.error
        return await self.real(*args, **kwargs)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")),
        TimeoutError("QueuePool limit reached, connection timed out"),
    ],
    ids=["sqlite-lock", "pool-timeout"],
)
async def test_a_passing_database_failure_leaves_the_message_to_be_redelivered(
    db: Database, chat: Chat, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    await chat.send("iuran")  # asked for the income
    # The turn's first step (PostgreSQL's optimistic opening; on SQLite it returns at once and
    # the transaction's opening follows) fails in passing.
    failing = _FailOnce(engine_module.conversation.peek_turn, error)
    monkeypatch.setattr(engine_module.conversation, "peek_turn", failing)
    inbound = chat.inbound("2jt")

    with pytest.raises(TransientError):
        await chat.engine.handle(inbound)
    async with db.reader() as session:
        ids = (await session.exec(select(ProcessedInbound.message_id))).all()
    assert inbound.message_id not in ids  # not swallowed as a poison message

    outcome = await chat.deliver(inbound)  # the platform sends it again
    assert not outcome.duplicate and "Ojek" in " ".join(o.label for o in outcome.replies[-1].options)


def _caused_by(cause: BaseException) -> BaseException:
    """An error raised from `cause`, as SQLAlchemy's asyncpg adapter translates asyncpg's."""
    try:
        raise RuntimeError("translated") from cause
    except RuntimeError as error:
        return error


@pytest.mark.parametrize(
    ("error", "lost"),
    [
        (asyncpg.InterfaceError("connection is closed"), True),
        (asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"), True),
        (asyncpg.AdminShutdownError("terminating connection due to administrator command"), True),
        (ConnectionResetError("reset by peer"), True),
        (_caused_by(asyncpg.InterfaceError("connection is closed")), True),
        (asyncpg.InterfaceError("cannot perform operation: another operation is in progress"), False),
        (asyncpg.UniqueViolationError("duplicate key value"), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_a_lost_postgresql_connection_is_known_and_passes(error: BaseException, lost: bool) -> None:
    """A lost connection retires the pool (`storage.driver`) and the message is delivered again."""
    assert is_lost_connection(error) is lost
    if lost:
        assert is_transient(error)


def test_bugs_are_not_mistaken_for_passing_failures() -> None:
    assert not is_transient(RuntimeError("a bug"))
    assert not is_transient(IntegrityError("INSERT", {}, Exception("unique")))
    assert is_transient(OperationalError("SELECT", {}, Exception("database is locked")))


async def test_transactions_at_once_are_bounded_by_what_the_database_serves(db: Database, chat: Chat) -> None:
    running = peak = 0
    real = chat.engine._transaction

    async def counted(inbound: Any, work: Any = None) -> Any:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            await asyncio.sleep(0.01)
            return await real(inbound, work)
        finally:
            running -= 1

    chat.engine._transaction = counted  # type: ignore[method-assign]
    people = [Chat(db, chat.engine, chat_id=f"62{i}") for i in range(40)]
    await asyncio.gather(*(p.send("halo") for p in people))
    assert 1 <= peak <= db.max_concurrency


async def test_a_forged_button_is_an_unrecognised_answer(db: Database, chat: Chat) -> None:
    await run(chat, HAPPY[:11])  # now asked for the payment period
    offered = [o.id for o in chat.last.options]
    assert "enrol.period.3" in offered and "enrol.period.1200" not in offered

    replies = await chat.send(option_id="enrol.period.1200", kind="option")
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == chat.chat_id))).one()
        conversation = await session.get(Conversation, contact.id)
    assert conversation is not None and conversation.step is not None
    assert "period" not in conversation.data["draft"]["answers"]
    assert replies and [o.id for o in replies[-1].options] == offered  # asked again, same choices

    await chat.send(option_id="enrol.period.3", kind="option")
    await chat.say("lewati")
    assert "Rp133.600" in chat.last.text  # three months, as offered


async def test_a_forged_region_button_is_not_stored(chat: Chat) -> None:
    await run(chat, HAPPY[:6])  # asked whether the region from the NIK is right
    await chat.say("tidak")  # asked for the regency
    replies = await chat.send(option_id="enrol.regency.=HYPERLINK(1)", kind="option")
    assert replies and "=HYPERLINK" not in " ".join(r.text for r in replies)
    assert "=HYPERLINK" not in str(chat.last.options)


async def test_sql_parameters_stay_out_of_errors_and_logs(db: Database) -> None:
    """The statement's parameters are hidden; PostgreSQL's quoted key values are redacted."""
    async with db.transaction() as session:
        session.add(Contact(channel="test", chat_id="Siti Aminah 1985-08-07"))
    with pytest.raises(IntegrityError) as raised:
        async with db.transaction() as session:
            session.add(Contact(channel="test", chat_id="Siti Aminah 1985-08-07"))
    assert "[SQL parameters hidden" in str(raised.value)

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    install(handler)
    logger = logging.getLogger("test.sql_parameters")
    logger.addHandler(handler)
    try:
        logger.error("insert failed", exc_info=raised.value)
    finally:
        logger.removeHandler(handler)
    assert "insert failed" in stream.getvalue() and "Siti Aminah" not in stream.getvalue()


def test_database_drivers_never_log_statements_with_their_parameters() -> None:
    _logging("DEBUG")  # as `bpu-bot serve` sets logging up, at its most talkative
    for driver in QUIET_DRIVERS:
        assert not logging.getLogger(driver).isEnabledFor(logging.INFO)
