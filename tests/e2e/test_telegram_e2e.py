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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func
from sqlmodel import select

from fakes.telegram_api import TOKEN, Call, FakeTelegram
from fakes.telegram_user import TelegramUser, text_update
from messages.render import label
from storage.db import Database
from storage.models import OutboxMessage, ProcessedInbound
from tests.handlers.test_enrol_flow import HAPPY, WOMAN_NIK
from tests.ops.test_cli import cli_env
from tests.ops.test_enrol_cli import EXPECTED, assert_expected, exported
from tests.ops.test_web import free_port

pytestmark = pytest.mark.slow

SECRET = "s3cret-Webhook_token"
PII_KEY = Fernet.generate_key().decode()


def bot_env(db_url: str) -> dict[str, str]:
    """What `serve` and `export` share: the database and the key of its encrypted fields."""
    return cli_env(db_url) | {"PII_ENCRYPTION_KEY": PII_KEY}


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
    env = bot_env(db_url) | {"PORT": str(port), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": fake.url}
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


def outbox_statuses(db_url: str, chat_id: str | None = None) -> list[str]:
    async def read() -> list[str]:
        db = Database(db_url)
        query = select(OutboxMessage.status)
        if chat_id is not None:
            query = query.where(OutboxMessage.chat_id == chat_id)
        try:
            async with db.reader() as session:
                return list((await session.exec(query)).all())
        finally:
            await db.dispose()

    return asyncio.run(read())


def replies_to(person: TelegramUser, db_url: str, action: Callable[[], object]) -> list[Call]:
    """Does `action`, waits until the bot delivered all it queued for this person, returns it."""
    before = len(person.received())
    action()

    def answered() -> bool:
        statuses = outbox_statuses(db_url, str(person.user_id))
        return len(person.received()) > before and not {"pending", "sending"} & set(statuses)

    person.fake.wait_for(answered, 20, f"the bot to answer {person.pushed[-1]}")
    return person.received()[before:]


def text(calls: list[Call]) -> str:
    return "\n".join(str(c.params["text"]) for c in calls)


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
        greeting = budi.wait_for_text("Halo, Budi!")
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
            ("halo", "Halo, Siti!"),
            ("2", "penghasilan"),  # the menu's second item, typed
            ("1,5 juta", "pekerjaan"),
            ("2", "Penghasilan Rp1.500.000"),
            ("manfaat", "Pilih untuk membaca lebih lanjut"),  # the last part, with the buttons
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
        andi.wait_for_text("Halo, Andi!")
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


def test_a_whole_enrolment_by_button_presses_and_a_shared_contact(
    tmp_path: Path, db_url: str, fake: FakeTelegram
) -> None:
    with serve(tmp_path, db_url, fake):
        siti = TelegramUser(fake, 8601, "Siti")
        step = lambda action: replies_to(siti, db_url, action)  # noqa: E731

        assert "Halo, Siti!" in text(step(lambda: siti.says("/start s_KDP2211")))  # a deep link with a code
        assert "setuju" in text(step(lambda: siti.taps("Daftar sekarang")))
        assert "NIK" in text(step(lambda: siti.taps("Setuju")))
        step(lambda: siti.says(WOMAN_NIK))
        step(lambda: siti.says("Siti Aminah"))
        ask_phone = step(lambda: siti.says("07-08-1985"))[-1]
        # The phone step: a reply keyboard whose button shares the person's own number.
        keyboard = ask_phone.params["reply_markup"]
        assert keyboard["keyboard"][0][0] == {"text": label("share_phone"), "request_contact": True}
        assert keyboard["one_time_keyboard"] is True
        region = step(lambda: siti.shares_contact("6281234567890"))
        # The next message takes the reply keyboard away, and the question has its buttons.
        assert region[0].params["reply_markup"] == {"remove_keyboard": True}
        assert "Kartoharjo" in str(region[-1].params["text"])
        buttons = [b["text"] for row in region[-1].params["reply_markup"]["inline_keyboard"] for b in row]
        assert buttons == ["Ya, benar", "Bukan, tempat lain"]
        step(lambda: siti.taps("Ya, benar"))
        occupations = step(lambda: siti.says("Jl. Merpati 12 RT 03/RW 05, Kel. Kanigoro"))[-1]
        assert len([b for row in occupations.params["reply_markup"]["inline_keyboard"] for b in row]) >= 9
        step(lambda: siti.taps("Pedagang pasar"))
        step(lambda: siti.says("1,5 juta"))
        step(lambda: siti.taps("JKK + JKM + JHT"))
        step(lambda: siti.taps("3 bulan"))
        summary = text(step(lambda: siti.taps("Lewati")))
        assert "Siti Aminah" in summary and "0812-3456-7890" in summary
        submitted = text(step(lambda: siti.taps("Kirim pendaftaran")))
        assert "Nomor pendaftaran" in submitted
        step(lambda: siti.taps("Ya, kabari"))
        # Every pressed button was answered and every pressed keyboard taken off.
        pressed = [u for u in siti.pushed if "callback_query" in u]
        answered = fake.wait_for(
            lambda: (
                len(fake.calls("answerCallbackQuery")) >= len(pressed) and fake.calls("answerCallbackQuery")
            ),
            10,
            "every button press answered",
        )
        assert {c.params["callback_query_id"] for c in answered} == {
            u["callback_query"]["id"] for u in pressed
        }
        for update in pressed:
            message = update["callback_query"]["message"]
            fake.wait_for(
                lambda m=message: not (fake.message(8601, m["message_id"]) or {}).get("reply_markup"),  # type: ignore[misc]
                10,
                "the pressed keyboards removed",
            )

    (row,) = exported(tmp_path, bot_env(db_url))
    assert_expected(row, channel="telegram", attribution_code="KDP2211")
    assert row["reference"] in submitted


def test_a_whole_enrolment_by_typed_answers_over_the_webhook(
    tmp_path: Path, db_url: str, fake: FakeTelegram
) -> None:
    with serve(tmp_path, db_url, fake, webhook=True):
        budi = TelegramUser(fake, 8701, "Siti", webhook=True)
        out = [
            text(replies_to(budi, db_url, lambda line=line: budi.says(line)))  # type: ignore[misc]
            for line in [*HAPPY, "kirim", "2"]
        ]
        asked_phone = [c for c in budi.received() if "keyboard" in (c.params.get("reply_markup") or {})]
        assert len(asked_phone) == 1  # the phone keyboard was shown; the typed number answered it
        after = budi.received()[budi.received().index(asked_phone[0]) + 1]
        assert after.params["reply_markup"] == {"remove_keyboard": True}

    (row,) = exported(tmp_path, bot_env(db_url))
    assert_expected(row, channel="telegram")
    assert row["reference"] in "\n".join(out)
    assert EXPECTED["phone"] == row["phone"]
