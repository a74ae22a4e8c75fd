"""A busy SQLite loses no answer: another process holds the write lock longer than the service
waits for it (`storage.sqlite_inline.BUSY_WAIT`); the raw `sqlite3.OperationalError` raised
inside BEGIN IMMEDIATE is a passing failure, so the webhook answers 503 (the platform sends the
update again) and the poller fetches it again, and once the lock is free the same message
advances the form. Also the classification of the drivers' raw errors by type."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Iterator

import asyncpg
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.service import build_service
from bot.settings import load_settings
from fakes.telegram_api import TOKEN, FakeTelegram
from fakes.telegram_user import text_update
from storage import sqlite_inline
from storage.db import Database, sqlite_file
from storage.errors import is_transient
from tests.conftest import PG_URL
from tests.handlers.test_edge_input import KEY, post_tg, telegram_client
from tests.support.whatsapp_helpers import outbox

NIK = "3577014708850001"


@pytest.fixture(autouse=True)
def short_busy_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_WAIT", 0.3)


class HeldLock:
    """Another process's write transaction on the same file (as `bpu-bot chat` would hold it)."""

    def __init__(self, db_url: str) -> None:
        path = sqlite_file(db_url)
        assert path is not None
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=5)

    def __enter__(self) -> HeldLock:
        self.connection.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.connection.execute("ROLLBACK")
        self.connection.close()


sqlite_only = pytest.mark.skipif(
    PG_URL is not None, reason="SQLite's write lock: PostgreSQL has no such lock"
)


def test_raw_driver_errors_are_classified_by_type() -> None:
    busy = sqlite3.OperationalError("database is locked")
    assert is_transient(busy)
    connection = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError) as missing:
        connection.execute("SELECT * FROM nowhere")
    assert not is_transient(missing.value)  # a bug, not a busy database
    assert is_transient(asyncpg.exceptions.SerializationError("could not serialize"))
    assert is_transient(asyncpg.exceptions.DeadlockDetectedError("deadlock"))
    assert is_transient(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"))
    assert is_transient(asyncpg.exceptions.TooManyConnectionsError("too many"))
    assert not is_transient(asyncpg.exceptions.UniqueViolationError("duplicate key"))
    assert not is_transient(asyncpg.exceptions.UndefinedTableError("no table"))
    assert not is_transient(IntegrityError("INSERT", {}, Exception("unique")))
    assert not is_transient(OperationalError("SELECT", {}, missing.value))
    assert is_transient(OperationalError("BEGIN", {}, busy))


@sqlite_only
async def test_the_webhook_answers_503_while_the_lock_is_held_and_the_redelivery_advances_the_form(
    db_url: str,
) -> None:
    async with telegram_client(db_url) as (client, service):
        for number, text in enumerate(["daftar", "setuju"], start=1):
            assert (await post_tg(client, _raw(number, text))).status_code == 200
        with HeldLock(db_url):
            held = await post_tg(client, _raw(3, NIK))
        assert held.status_code == 503, held.text
        again = await post_tg(client, _raw(3, NIK))  # Telegram sends the same update again
        assert again.status_code == 200
        texts = await _texts(service.db, "501")
        assert "nama lengkap" in texts[-1].lower(), texts[-1]
        assert not any("gangguan" in text for text in texts), texts


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@sqlite_only
async def test_the_poller_fetches_the_update_again_and_the_form_goes_on(
    db_url: str, fake: FakeTelegram
) -> None:
    settings = load_settings(
        database_url=db_url,
        secret_key="s",
        pii_encryption_key=KEY,
        telegram_bot_token=TOKEN,
        telegram_api_url=fake.url,
    )
    service = build_service(settings)
    sender = service.start_sender()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(channel.run(stop)) for channel in service.channels if channel.run]
    tasks.append(asyncio.create_task(sender.run(stop)))
    try:
        for number, text in enumerate(["daftar", "setuju"], start=1):
            fake.push(text_update(number, 601, text))
            await _until(lambda n=number: len(fake.sent(601)) >= n)  # type: ignore[misc]  # default arg
        with HeldLock(db_url):
            fake.push(text_update(3, 601, NIK))
            await _until(lambda: len(fake.calls("getUpdates")) >= 6)  # polled while it was held
            await asyncio.sleep(0.8)
            assert len(fake.sent(601)) == 2  # nothing answered, nothing lost
        await _until(lambda: len(fake.sent(601)) >= 3, within=20)
        answer = fake.sent(601)[-1].params["text"]
        assert "nama lengkap" in answer.lower(), answer
        assert not any("gangguan" in call.params["text"] for call in fake.sent(601))
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await service.close()


def _raw(update_id: int, text: str) -> str:
    return json.dumps(text_update(update_id, 501, text))


async def _texts(db: Database, chat_id: str) -> list[str]:
    return [row.payload["text"] for row in await outbox(db, chat_id)]


async def _until(condition: Callable[[], bool], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)
