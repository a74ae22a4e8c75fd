"""The Telegram transport and the outbox sender, with the real aiogram client against the fake Bot API."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.channels.base import OutgoingMessage, RateLimits
from bot.channels.telegram.transport import TelegramTransport, make_bot
from bot.sender.channel import ChannelSender
from bot.settings import Settings
from fakes.telegram_api import TOKEN, FakeTelegram
from storage import outbox
from storage.db import Database
from storage.models import Contact, OutboxMessage
from storage.types import utcnow
from tests.channels.test_sender import run_until_done
from tests.support.helpers import no_pace

_ids = itertools.count(1)
T0 = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
async def transport(fake: FakeTelegram) -> AsyncIterator[TelegramTransport]:
    bot = make_bot(Settings(telegram_bot_token=TOKEN, telegram_api_url=fake.url))
    yield TelegramTransport(bot, RateLimits(overall_per_second=30, per_chat_interval=0.2))
    await bot.session.close()


def outgoing(
    payload: dict[str, Any],
    chat_id: str = "501",
    last_inbound: datetime | None = T0,
    keyboard_at: datetime | None = None,
) -> OutgoingMessage:
    return OutgoingMessage(
        id=next(_ids),
        chat_id=chat_id,
        payload={"options": [], **payload},
        priority=0,
        attempts=1,
        contact_last_inbound_at=last_inbound,
        reply_keyboard_at=keyboard_at,
    )


async def test_sends_text_with_an_inline_keyboard(transport: TelegramTransport, fake: FakeTelegram) -> None:
    result = await transport.send(
        outgoing({"text": "Pilih", "options": [{"id": "a", "label": "Ya"}]}), no_pace
    )
    (call,) = fake.sent(501)
    assert result.kind == "sent" and result.platform_message_id == str(call.result["message_id"])
    assert call.params["text"] == "Pilih"
    assert call.params["reply_markup"] == {"inline_keyboard": [[{"text": "Ya", "callback_data": "a"}]]}


@pytest.mark.parametrize(
    ("status", "kind", "retry_after"),
    [(429, "retry", 7.0), (500, "retry", None), (502, "retry", None)],
)
async def test_transient_errors_are_retried(
    transport: TelegramTransport, fake: FakeTelegram, status: int, kind: str, retry_after: float | None
) -> None:
    fake.fail(status, times=1, retry_after=7)
    result = await transport.send(outgoing({"text": "Halo"}), no_pace)
    assert (result.kind, result.retry_after) == (kind, retry_after)
    assert str(status) in (result.error or "") or status != 429


async def test_a_timeout_is_retried(fake: FakeTelegram) -> None:
    bot = make_bot(Settings(telegram_bot_token=TOKEN, telegram_api_url="http://127.0.0.1:9"))  # refused
    try:
        result = await TelegramTransport(bot, RateLimits(30, 1.0)).send(outgoing({"text": "Halo"}), no_pace)
    finally:
        await bot.session.close()
    assert result.kind == "retry" and "NetworkError" in (result.error or "")


async def test_blocked_is_unreachable_and_bad_requests_fail(
    transport: TelegramTransport, fake: FakeTelegram
) -> None:
    fake.block(601)
    blocked = await transport.send(outgoing({"text": "Halo"}, chat_id="601"), no_pace)
    assert blocked.kind == "unreachable" and "403" in (blocked.error or "")
    bad = await transport.send(outgoing({"text": ""}), no_pace)
    assert bad.kind == "failed" and "empty" in (bad.error or "")


async def test_a_long_text_goes_in_paced_parts_and_a_retry_resumes_where_it_stopped(
    transport: TelegramTransport, fake: FakeTelegram
) -> None:
    text = "\n\n".join(f"Bagian {i} " + "kata " * 400 for i in range(5))  # ~10,000 characters
    message = outgoing({"text": text, "options": [{"id": "ok", "label": "Oke"}]})
    paced: list[str] = []

    async def pace(chat_id: str) -> None:  # the sender's wait for the chat's spacing
        paced.append(chat_id)
        await asyncio.sleep(transport.limits.per_chat_interval)

    fake.fail(429, every=2, times=1, retry_after=1)  # the second part is refused once
    first = await transport.send(message, pace)
    assert first.kind == "retry" and len(fake.sent(501)) == 1
    second = await transport.send(message, pace)
    assert second.kind == "sent" and paced == ["501"] * 3  # before each part after the first
    parts = fake.sent(501)
    assert len(parts) == 3 and "".join(str(p.params["text"]) for p in parts).count("Bagian") == 5
    assert all(len(str(p.params["text"])) <= 4096 for p in parts)
    assert [("reply_markup" in p.params) for p in parts] == [False, False, True]
    gaps = [b.at - a.at for a, b in itertools.pairwise(parts)]
    assert min(gaps) >= 0.2  # the chat's spacing holds between parts too


async def test_the_phone_keyboard_is_removed_once_the_person_answered(
    transport: TelegramTransport, fake: FakeTelegram
) -> None:
    # The sender keeps the keyboard's state on the contact: here it is threaded by hand.
    shown = await transport.send(outgoing({"text": "Nomor HP?", "ask_phone": True}, last_inbound=T0), no_pace)
    assert shown.reply_keyboard == "shown"
    up_at = T0 + timedelta(seconds=1)
    ask = fake.sent(501)[-1].params["reply_markup"]
    assert ask["keyboard"][0][0]["request_contact"] is True and ask["one_time_keyboard"] is True
    # Another message before the person answered keeps the keyboard up.
    info = await transport.send(outgoing({"text": "Info"}, last_inbound=T0, keyboard_at=up_at), no_pace)
    assert "reply_markup" not in fake.sent(501)[-1].params and info.reply_keyboard is None
    # The answer came: the next message takes the keyboard down, and its buttons come with the
    # question's last line (Telegram cannot edit a message sent with a keyboard removal).
    later = T0 + timedelta(seconds=5)
    down = await transport.send(
        outgoing(
            {"text": "Baik.\nLanjut?", "options": [{"id": "y", "label": "Ya"}]},
            last_inbound=later,
            keyboard_at=up_at,
        ),
        no_pace,
    )
    assert down.reply_keyboard == "removed"
    removal, question = fake.sent(501)[-2:]
    assert removal.params["reply_markup"] == {"remove_keyboard": True} and removal.params["text"] == "Baik."
    assert question.params["text"] == "Lanjut?"
    assert fake.message(501, question.result["message_id"])["reply_markup"]["inline_keyboard"]  # type: ignore[index]
    assert fake.calls("editMessageReplyMarkup") == []
    # Only once.
    await transport.send(outgoing({"text": "Selesai"}, last_inbound=later), no_pace)
    assert "reply_markup" not in fake.sent(501)[-1].params


async def _seed(db: Database, chat_id: str, texts: list[str]) -> int:
    async with db.transaction() as session:
        contact = await outbox.lock_contact(session, "telegram", chat_id)
        for text in texts:
            outbox.enqueue(
                session,
                channel="telegram",
                chat_id=chat_id,
                contact_id=contact.id,
                payload={"text": text, "options": [], "ask_phone": False},
                priority=0,
                now=utcnow(),
            )
        assert contact.id is not None
        return contact.id


async def test_sender_records_each_attempt_and_stops_at_a_blocked_person(
    db: Database, transport: TelegramTransport, fake: FakeTelegram
) -> None:
    await _seed(db, "701", ["satu", "dua"])
    fake.fail(500, times=1)
    await run_until_done(ChannelSender(db, transport), db, limit=30)
    blocked_id = await _seed(db, "702", ["tiga", "empat"])
    fake.block(702)
    await run_until_done(ChannelSender(db, transport), db, limit=30)

    async with db.reader() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
        contact = await session.get(Contact, blocked_id)
    by_text = {r.payload["text"]: r for r in rows}
    assert [a["outcome"] for a in by_text["satu"].attempt_log] == ["retry", "sent"]
    assert (
        "500" in by_text["satu"].attempt_log[0]["error"]
        or "Server" in by_text["satu"].attempt_log[0]["error"]
    )
    assert by_text["satu"].platform_message_id and by_text["dua"].status == "sent"
    assert [a["outcome"] for a in by_text["tiga"].attempt_log] == ["unreachable"]
    assert by_text["tiga"].status == by_text["empat"].status == "failed"
    assert by_text["empat"].attempt_log == []  # never tried
    assert contact is not None and contact.unreachable_at is not None
    assert [c.params["text"] for c in fake.calls("sendMessage") if c.params["chat_id"] == 702] == ["tiga"]
