"""The bound on duplicates without a crash: a Telegram request that gets no answer within the
client's timeout may have arrived, so it is sent once more only, after a longer wait, and then
the row fails ("may have arrived") rather than risk a third copy. Against the fake Bot API
answering late (the message arrives, the answer does not come in time)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.channels.base import RateLimits
from bot.channels.telegram.transport import TelegramTransport, make_bot
from bot.sender import outcomes
from bot.sender.channel import ChannelSender
from bot.settings import Settings
from fakes.telegram_api import TOKEN, FakeTelegram
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage
from storage.types import utcnow
from tests.channels.test_sender import run_until_done


async def _queue(db: Database, chat_id: str, text: str) -> None:
    async with db.transaction() as session:
        person = await outbox.lock_contact(session, "telegram", chat_id)
        outbox.enqueue(
            session,
            channel="telegram",
            chat_id=chat_id,
            contact_id=person.id,
            payload={"text": text, "options": [], "ask_phone": False},
            priority=0,
            now=utcnow(),
        )


async def _row(db: Database) -> OutboxMessage:
    async with db.reader() as session:
        return (await session.exec(select(OutboxMessage))).one()


async def _send_all(db: Database, fake: FakeTelegram) -> None:
    """Runs a sender whose Bot API client gives up after 0.4 s until nothing is left to send."""
    bot = make_bot(Settings(telegram_bot_token=TOKEN, telegram_api_url=fake.url), timeout=0.4)
    try:
        await run_until_done(ChannelSender(db, TelegramTransport(bot, RateLimits(30, 0.05))), db, 12)
    finally:
        await bot.session.close()


async def test_a_request_without_an_answer_is_sent_at_most_twice(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outcomes, "UNCERTAIN_WAIT", 0.3)
    with FakeTelegram() as fake:
        fake.delay(1.2, times=5)  # every try arrives, no answer within the client's 0.4 s
        await _queue(db, "701", "Pendaftaran Bapak/Ibu sudah kami terima.")
        await _send_all(db, fake)
        copies = fake.sent(701)
        row = await _row(db)
    assert len(copies) == 2, [c.params["text"] for c in copies]
    assert row.status == "failed" and "may have arrived" in (row.last_error or ""), row.last_error
    gap = copies[1].at - copies[0].at
    assert gap >= 0.4 + 0.3 * 0.9, gap  # the retry waited the longer wait, not the 2 s backoff's jitter


async def test_one_late_answer_then_a_prompt_one_is_delivered_once_more(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outcomes, "UNCERTAIN_WAIT", 0.3)
    with FakeTelegram() as fake:
        fake.delay(1.2, times=1)
        await _queue(db, "702", "Halo")
        await _send_all(db, fake)
        assert len(fake.sent(702)) == 2  # the bound: one copy too many at most
    row = await _row(db)
    assert row.status == "sent"
    assert [entry["outcome"] for entry in row.attempt_log] == ["timeout", "sent"]
