"""`bpu-bot serve` as a real process on Telegram, against the fake Bot API.

Polling mode (no webhook URL) and webhook mode (the fake POSTs updates to
/webhook/telegram with the secret the bot registered). The replies are read from the fake's
record of sendMessage calls; the database is read to prove that a redelivered update or a
refused webhook call changed nothing.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from storage.db import Database
from storage.models import OutboxMessage, ProcessedInbound
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.fakes.telegram_user import TelegramUser, text_update
from tests.test_cli import cli_env
from tests.test_web import free_port

pytestmark = pytest.mark.slow

SECRET = "s3cret-Webhook_token"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@dataclass
class BotProcess:
    base: str
    process: subprocess.Popen[str]
    log: Path

    @property
    def webhook(self) -> str:
        return f"{self.base}/webhook/telegram"

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def serve(
    tmp_path: Path, db_url: str, fake: FakeTelegram, *, webhook: bool = False, **env_extra: str
) -> Iterator[BotProcess]:
    """Starts `python -m bot serve`; returns once it is polling or its webhook is registered."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = cli_env(db_url) | {"PORT": str(port), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": fake.url}
    if webhook:
        env |= {"TELEGRAM_WEBHOOK_URL": f"{base}/webhook/telegram", "TELEGRAM_WEBHOOK_SECRET": SECRET}
    env |= env_extra
    log = tmp_path / f"serve-{port}.log"
    polls_before = len(fake.calls("getUpdates"))
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    bot = BotProcess(base, process, log)
    try:

        def ready() -> bool:
            assert process.poll() is None, bot.output()
            if webhook:
                return fake.webhook_url == bot.webhook
            return len(fake.calls("getUpdates")) > polls_before

        fake.wait_for(ready, 30, "the bot to start")
        fake.wait_for(lambda: httpx.get(f"{base}/healthz", timeout=2).status_code == 200, 10, "healthz")
        yield bot
    finally:
        process.terminate()
        process.wait(timeout=20)


def db_counts(db_url: str) -> tuple[int, int]:
    """(processed inbound messages, outbox rows)."""

    async def count() -> tuple[int, int]:
        db = Database(db_url)
        try:
            async with db.reader() as session:
                processed = (await session.exec(select(func.count()).select_from(ProcessedInbound))).one()
                outbox = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
        finally:
            await db.dispose()
        return int(processed), int(outbox)

    return asyncio.run(count())


def outbox_statuses(db_url: str) -> list[str]:
    async def read() -> list[str]:
        db = Database(db_url)
        try:
            async with db.reader() as session:
                return list((await session.exec(select(OutboxMessage.status))).all())
        finally:
            await db.dispose()

    return asyncio.run(read())


def keyboard_labels(call: Any) -> list[list[str]]:
    return [[b["text"] for b in row] for row in call.params["reply_markup"]["inline_keyboard"]]


def test_polling_conversation_with_buttons_commands_and_typing(
    tmp_path: Path, db_url: str, fake: FakeTelegram
) -> None:
    with serve(tmp_path, db_url, fake):
        fake.wait_for(lambda: fake.commands, 10, "setMyCommands")
        assert [c["command"] for c in fake.commands] == ["menu", "daftar", "status", "bantuan"]
        assert fake.calls("deleteWebhook"), "polling must remove any webhook first"

        budi = TelegramUser(fake, 8101, "Budi")
        budi.says("/start sosialisasi_kedopok")
        greeting = budi.wait_for_text("Halo Budi")
        assert keyboard_labels(greeting) == [
            ["Manfaat program", "Hitung iuran"],
            ["Daftar sekarang", "Cek status"],
            ["Jadwal sosialisasi", "Bantuan"],
        ]

        tap = budi.taps("Manfaat program")
        budi.wait_for_text("Perlindungan untuk pekerja mandiri", after=1)
        answered = fake.wait_for(lambda: fake.calls("answerCallbackQuery"), 10, "answerCallbackQuery")
        assert answered[0].params["callback_query_id"] == tap["callback_query"]["id"]
        # The pressed keyboard is taken off, so it cannot be pressed twice.
        pressed = greeting.result["message_id"]
        fake.wait_for(
            lambda: not (fake.message(8101, pressed) or {}).get("reply_markup"), 10, "keyboard removal"
        )

        count = len(budi.received())
        budi.says("/menu")
        budi.wait_for_text("pilih menu", after=count)
        count = len(budi.received())
        budi.taps("Hitung iuran")
        budi.wait_for_text("penghasilan", after=count)
        count = len(budi.received())
        budi.says("2jt")
        ask_work = budi.wait_for_text("pekerjaan", after=count)
        assert keyboard_labels(ask_work) == [["Ojek / sopir / kurir"], ["Pekerjaan lain"]]
        count = len(budi.received())
        budi.taps("Pekerjaan lain")
        result = budi.wait_for_text("Penghasilan Rp2.000.000", after=count)
        assert "JKK + JKM" in result.params["text"]

        count = len(budi.received())
        budi.sends(photo=[{"file_id": "f", "file_unique_id": "u", "width": 9, "height": 9}])
        budi.wait_for_text("hanya bisa membaca pesan teks", after=count)
        count = len(budi.received())
        budi.shares_contact("6281299990000", own=False)  # someone else's number is not an answer
        budi.wait_for_text("hanya bisa membaca pesan teks", after=count)

        # Every reply was sent once: one sendMessage per outbox row, each row marked sent.
        fake.wait_for(lambda: set(outbox_statuses(db_url)) == {"sent"}, 10, "all rows sent")
        assert len(outbox_statuses(db_url)) == len(budi.received())
    assert db_counts(db_url)[0] == 8


def test_webhook_conversation_by_typed_answers(tmp_path: Path, db_url: str, fake: FakeTelegram) -> None:
    with serve(tmp_path, db_url, fake, webhook=True) as bot:
        (registered,) = fake.calls("setWebhook")
        assert registered.params["url"] == bot.webhook and registered.params["secret_token"] == SECRET
        assert registered.params["allowed_updates"] == ["message", "callback_query"]
        assert not fake.calls("getUpdates")
        fake.wait_for(lambda: fake.commands, 10, "setMyCommands")

        siti = TelegramUser(fake, 8201, "Siti", webhook=True)
        for text, expected in [
            ("halo", "Halo Siti"),
            ("2", "penghasilan"),  # the menu's second item, typed
            ("1,5 juta", "pekerjaan"),
            ("2", "Penghasilan Rp1.500.000"),
            ("manfaat", "Perlindungan untuk pekerja mandiri"),
        ]:
            count = len(siti.received())
            siti.says(text)
            siti.wait_for_text(expected, after=count)
        count = len(siti.received())
        siti.taps("JKK (kecelakaan kerja)")
        siti.wait_for_text("Jaminan Kecelakaan Kerja", after=count)
        fake.wait_for(lambda: fake.calls("answerCallbackQuery"), 10, "answerCallbackQuery")


def test_webhook_refuses_a_missing_or_wrong_secret(tmp_path: Path, db_url: str, fake: FakeTelegram) -> None:
    with serve(tmp_path, db_url, fake, webhook=True) as bot:
        update = text_update(fake.next_update_id(), 8301, "halo")
        before = db_counts(db_url)
        assert httpx.post(bot.webhook, json=update).status_code == 401
        wrong = {"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"}
        assert httpx.post(bot.webhook, json=update, headers=wrong).status_code == 401
        assert fake.deliver_webhook(update, secret="").status_code == 401
        assert db_counts(db_url) == before
        # The same update with the right secret is processed: nothing of it was recorded before.
        assert fake.deliver_webhook(update).status_code == 200
        fake.wait_for(lambda: fake.sent(8301), 10, "the greeting")
        assert db_counts(db_url)[0] == before[0] + 1
        assert (
            httpx.post(
                bot.webhook, content=b"not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            ).status_code
            == 400
        )


def test_a_redelivered_update_changes_nothing_across_two_web_workers(
    tmp_path: Path, db_url: str, fake: FakeTelegram
) -> None:
    with (
        serve(tmp_path, db_url, fake, webhook=True) as one,
        serve(tmp_path, db_url, fake, webhook=True) as two,
    ):
        update = text_update(fake.next_update_id(), 8401, "halo")
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        statuses: list[int] = []

        def post(url: str) -> None:
            statuses.append(httpx.post(url, json=update, headers=headers, timeout=30).status_code)

        threads = [threading.Thread(target=post, args=(w.webhook,)) for w in (one, two, one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200, 200, 200, 200]
        assert db_counts(db_url) == (1, 1)
        post(two.webhook)  # once more, later
        assert db_counts(db_url) == (1, 1)
        # Once the row is marked sent no sender takes it again: exactly one greeting went out.
        fake.wait_for(lambda: outbox_statuses(db_url) == ["sent"], 10, "the greeting to be sent")
        assert len(fake.sent(8401)) == 1


def test_a_polled_update_fetched_again_after_a_restart_changes_nothing(
    tmp_path: Path, db_url: str, fake: FakeTelegram
) -> None:
    andi = TelegramUser(fake, 8501, "Andi")
    with serve(tmp_path, db_url, fake):
        update = andi.says("halo")
        andi.wait_for_text("Halo Andi")
        # Delivered again while running, as Telegram does when an offset was not confirmed.
        fake.push(update)
        fake.wait_for(lambda: not fake.queued(), 10, "the duplicate to be fetched and confirmed")
    assert db_counts(db_url) == (1, 1)
    fake.push(update)  # and fetched once more by a new process
    with serve(tmp_path, db_url, fake):
        fake.wait_for(lambda: not fake.queued(), 15, "the new process to confirm the old update")
        assert db_counts(db_url) == (1, 1)
        andi.says("iuran")  # it carries on the same conversation
        andi.wait_for_text("penghasilan")
    assert len(andi.received()) == 2
