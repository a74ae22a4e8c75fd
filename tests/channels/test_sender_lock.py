"""The sender's lock. SQLite's belongs to the database, not to its path: a process left running
on a database that was deleted and made again at the same path does not keep the new one's
sender standing by, and a holder whose lock file was deleted stands by. PostgreSQL's: a sender
that lost its lock's connection sends nothing more, though it has not noticed yet, and a lock
connection gone silent counts as lost within seconds. A standby whose channel's replies wait
reports it in /healthz."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import time
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot import leader
from bot.channels.base import RateLimits
from bot.leader import Leadership
from bot.sender.channel import ChannelSender
from bot.service import build_service
from bot.settings import load_settings
from bot.web import create_app
from fakes.telegram_api import TOKEN
from handlers.types import Priority
from storage import outbox
from storage.db import Database, sqlite_file
from storage.types import utcnow
from tests.channels.test_sender import RecordingTransport, enqueue, run_until_done
from tests.conftest import PG_URL
from tests.support.broadcast_harness import max_in_window
from tests.support.helpers import asyncpg_dsn

sqlite_only = pytest.mark.skipif(
    PG_URL is not None, reason="the SQLite lock file; PostgreSQL's is an advisory lock"
)
postgres_only = pytest.mark.skipif(
    PG_URL is None, reason="a lock connection lost while its process runs: PostgreSQL's advisory lock"
)


@sqlite_only
async def test_a_database_made_again_at_the_same_path_has_a_lock_of_its_own(
    db_url: str, _sqlite_template: Path
) -> None:
    path = sqlite_file(db_url)
    assert path is not None
    old = Database(db_url)
    stale = Leadership(old, "sender-telegram")
    assert await stale.try_acquire()
    second = Database(db_url)
    rival = Leadership(second, "sender-telegram")
    assert not await rival.try_acquire()  # one database, one sender
    assert rival.holder() == {"pid": os.getpid(), "since": pytest.approx(rival.holder()["since"])}  # type: ignore[index]
    await second.dispose()

    for leftover in path.parent.glob(path.name + "*"):  # deleted, and a new one in its place
        if not leftover.name.endswith(".lock"):
            leftover.unlink()
    shutil.copy(_sqlite_template, path)  # as `bpu-bot db upgrade` makes it: a token of its own
    fresh = Database(db_url)
    async with fresh.transaction() as session:
        await session.exec(
            text("UPDATE database_instance SET token = :t"), params={"t": secrets.token_hex(16)}
        )  # type: ignore[call-overload]
    try:
        assert await Leadership(fresh, "sender-telegram").try_acquire()
    finally:
        await stale.release()
        await old.dispose()
        await fresh.dispose()


@sqlite_only
async def test_a_sender_whose_lock_file_was_deleted_stands_by(db_url: str) -> None:
    """The lock file is deleted while its holder runs (a clean-up of `*.lock`). Another process
    then locks a new file at the same path; the holder's next check sees that the file there is
    no longer the one it locked, and it stands by: one sender, not two."""
    path = sqlite_file(db_url)
    assert path is not None
    first_db, second_db = Database(db_url), Database(db_url)
    holder = Leadership(first_db, "sender-telegram")
    rival = Leadership(second_db, "sender-telegram")
    try:
        assert await holder.try_acquire()
        assert await holder.still_held()
        (lock_file,) = path.parent.glob(f"{path.name}.*.sender-telegram.lock")
        lock_file.unlink()
        assert await rival.try_acquire()  # a new file at the same path, free to lock
        assert not await holder.still_held()
        assert not holder.held
        assert not await holder.try_acquire()  # the rival sends now
        assert holder.holder() == {"pid": os.getpid(), "since": pytest.approx(time.time(), abs=60)}
    finally:
        await holder.release()
        await rival.release()
        await first_db.dispose()
        await second_db.dispose()


async def test_healthz_reports_a_standby_sender_whose_replies_wait(db_url: str) -> None:
    settings = load_settings(
        database_url=db_url,
        secret_key="s",
        pii_encryption_key=Fernet.generate_key().decode(),
        telegram_bot_token=TOKEN,
        telegram_api_url="http://127.0.0.1:9",
        telegram_webhook_url="https://bot.example/webhook/telegram",
        telegram_webhook_secret="secret",
    )
    service = build_service(settings)
    other = Database(db_url)
    sending_elsewhere = Leadership(other, "sender-telegram")
    assert await sending_elsewhere.try_acquire()
    sender = service.start_sender()
    try:
        assert not await sender.channels["telegram"].leadership.try_acquire()
        async with service.db.transaction() as session:
            person = await outbox.lock_contact(session, "telegram", "801")
            outbox.enqueue(
                session,
                channel="telegram",
                chat_id="801",
                contact_id=person.id,
                payload={"text": "Halo", "options": [], "ask_phone": False},
                priority=0,
                now=utcnow() - timedelta(minutes=5),
            )
        transport = httpx.ASGITransport(app=create_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
            health = (await client.get("/healthz")).json()
        assert health["sender"] == {"telegram": "standby"}
        assert health["status"] == "degraded", health
        stalled = health["standby"]["telegram"]
        assert stalled["oldest_seconds"] >= 290 and stalled["since"]
        if PG_URL is None:
            assert stalled["holder"]["pid"] == os.getpid()
    finally:
        await sending_elsewhere.release()
        await other.dispose()
        await service.close()


@postgres_only
async def test_a_sender_that_lost_its_lock_connection_sends_nothing_more(db: Database) -> None:
    """The first sender's lock connection is ended by the server while its process runs, and its
    own check hangs (a half-open connection: the check would wait for TCP to give up). The
    server freed the lock, so a second sender takes over. The first sends only what it had
    marked before the lock went (one row waiting for a slot, one in flight at most): its marks
    are fenced by the lock as the server sees it. Counted over both, every row goes out, and
    no second holds more than the limit of 10."""
    limits = RateLimits(overall_per_second=10, per_chat_interval=0.0)
    await enqueue(db, [(f"chat{i}", f"m{i}", Priority.REPLY) for i in range(40)])
    first = RecordingTransport(limits=limits)
    cut_off = ChannelSender(db, first)
    stop = asyncio.Event()
    running = asyncio.create_task(cut_off.run(stop))
    deadline = time.monotonic() + 10
    while len(first.calls) < 5 and time.monotonic() < deadline:  # noqa: ASYNC110 - a counter, polled
        await asyncio.sleep(0.01)
    assert len(first.calls) >= 5, "the first sender did not get going"

    async def never_answers() -> bool:
        await asyncio.Event().wait()
        return True

    cut_off.leadership.still_held = never_answers  # type: ignore[method-assign]
    holder = cut_off.leadership.fence()
    assert holder is not None
    admin = await asyncpg.connect(asyncpg_dsn(db.url))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", holder.pid)
    finally:
        await admin.close()
    lost_at = time.monotonic()

    second = RecordingTransport(limits=limits)
    try:
        await run_until_done(ChannelSender(db, second), db, limit=30)
    finally:
        stop.set()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    after_the_loss = [text for at, _, text in first.calls if at > lost_at]
    assert len(after_the_loss) <= 2, after_the_loss
    sent = [text for _, _, text in first.calls + second.calls]
    assert set(sent) == {f"m{i}" for i in range(40)}
    assert len(sent) - 40 <= len(after_the_loss)  # a row in flight at the loss may go twice
    assert max_in_window([at for at, _, _ in first.calls + second.calls]) <= 10


@postgres_only
async def test_a_lock_whose_server_went_silent_counts_as_lost(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server process behind the lock's connection is frozen (SIGSTOP): the connection stays
    open and silent, as after a network cut that sends no reset. The leader's check gives up
    after `CHECK_TIMEOUT`, not when TCP would (a quarter of an hour), and the connection asked
    the server for keepalives, so that the server frees the lock of a vanished holder within
    about 25 s. Once the frozen server process runs again, the lock is free for another."""
    monkeypatch.setattr(leader, "CHECK_TIMEOUT", 1.0)
    leadership = Leadership(db, "sender-telegram")
    assert await leadership.try_acquire()
    holder = leadership.fence()
    assert holder is not None
    connection = leadership._connection
    for name, value in leader.SERVER_KEEPALIVE.items():
        assert (await connection.execute(text(f"SHOW {name}"))).scalar() == value
    if not _postgres_process_here(holder.pid):
        await leadership.release()
        pytest.skip(f"the PostgreSQL server runs elsewhere: its process {holder.pid} is not on this machine")
    try:
        os.kill(holder.pid, signal.SIGSTOP)
    except PermissionError as exc:
        await leadership.release()
        pytest.skip(f"cannot freeze the PostgreSQL server process {holder.pid} from here: {exc}")
    try:
        # asyncpg gives the cancelled query about 2 s more to wind down; TCP would take minutes
        # (here the test's own limit ends the wait, and the check fails with TimeoutError).
        assert not await asyncio.wait_for(leadership.still_held(), leader.CHECK_TIMEOUT + 4)
        assert not leadership.held
    finally:
        os.kill(holder.pid, signal.SIGCONT)
    rival = Leadership(db, "sender-telegram")
    deadline = time.monotonic() + 10
    while not await rival.try_acquire():
        assert time.monotonic() < deadline, "the frozen holder's lock was never freed"
        await asyncio.sleep(0.1)
    await rival.release()


def _postgres_process_here(pid: int) -> bool:
    """A PostgreSQL server process with this id runs on this machine (not some other program)."""
    try:
        return b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
