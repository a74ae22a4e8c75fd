"""An enrolment left half done (here in the native form) is reminded once, outside quiet hours,
and the reminder's "Lanjutkan" goes on in the chat where the form stopped."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from dashboard.service.draft_reminders import remind_drafts
from handlers.engine import Engine
from handlers.localtime import QuietHours
from storage.db import Database
from storage.models import OutboxMessage
from tests.handlers.test_native_form import IDENTITY, begin_in_the_form
from tests.support.helpers import VAULT, Chat, FixedClock

QUIET = QuietHours.parse("21:00-07:00")


@pytest.fixture
def native_forms() -> frozenset[str]:
    return frozenset({"test"})


async def remind(db: Database, clock: FixedClock) -> set[str]:
    return await remind_drafts(db, clock(), vault=VAULT, quiet=QUIET, expiry_days=7, forms={"test"})


async def reminders(db: Database) -> list[OutboxMessage]:
    async with db.reader() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return [row for row in rows if "belum selesai" in row.payload["text"]]


async def test_a_half_done_form_is_reminded_once(
    chat: Chat, engine: Engine, db: Database, clock: FixedClock
) -> None:
    await begin_in_the_form(chat, engine, IDENTITY)

    clock.advance(hours=10)  # not long enough yet
    assert await remind(db, clock) == set() and await reminders(db) == []
    clock.advance(hours=12)  # 22 hours on: 08:00 WIB
    assert await remind(db, clock) == {"test"}
    (row,) = await reminders(db)
    assert "3 dari 10 pertanyaan" in row.payload["text"] and "28 November 2026" in row.payload["text"]
    assert [o["label"] for o in row.payload["options"]] == ["Lanjutkan", "Formulir sekaligus"]
    assert row.priority == 1  # a notification: a template outside WhatsApp's window

    clock.advance(hours=1)
    assert await remind(db, clock) == set() and len(await reminders(db)) == 1  # once

    assert "nomor HP" in await chat.say("1")  # "Lanjutkan": the chat goes on where the form stopped


async def test_no_reminder_in_quiet_hours_nor_for_an_empty_draft(
    chat: Chat, db: Database, clock: FixedClock
) -> None:
    await chat.say("daftar")  # a draft without answers yet
    clock.advance(hours=22)
    assert await remind(db, clock) == set()
    other = Chat(db, chat.engine, chat_id="6285000000001")
    for line in ("daftar", "Tanya satu per satu", "setuju"):
        await other.say(line)
    clock.advance(hours=21)  # answered at 08:00 WIB; 21 hours on it is 05:00 WIB: quiet
    assert await remind(db, clock) == set()
    clock.advance(hours=2)  # 07:00 WIB
    assert await remind(db, clock) == {"test"}
