"""Payment reminders end to end, through the real web app, aiogram and pywa, against the fake
Telegram and Graph servers, with a moved clock: two workers registered for one month (paid to the
end of December) are reminded before the 15 January due date, once each, on their own channel
(WhatsApp outside the 24-hour window: as the notification template); "sudah bayar" (a tapped
button on Telegram, typed on WhatsApp) stops it, and the next rounds send nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlmodel import select

from bot.scheduler import Scheduler
from bot.service import Service
from fakes import meta_webhooks as meta
from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import FakeTelegram
from fakes.telegram_user import callback_update, text_update
from fakes.whatsapp import FERNET_KEY
from handlers.localtime import QuietHours
from storage.coverage import coverage_of, record_registration
from storage.crypto import Vault
from storage.db import Database
from storage.models import Submission
from tests.support.backoffice_helpers import seed
from tests.support.helpers import FixedClock
from tests.support.served import served

pytestmark = pytest.mark.slow

SECRET = "remind-e2e_secret"
ANI = 5101
BUDI = "6281300005555"
VAULT = Vault(FERNET_KEY)


def wib(month: int, day: int, hour: int = 10) -> datetime:
    year = 2027 if month < 12 else 2026
    return datetime(year, month, day, hour - 7, tzinfo=UTC)


class World:
    def __init__(self, service: Service, client: httpx.AsyncClient, clock: FixedClock, fakes: Any) -> None:
        self.service, self.client, self.clock = service, client, clock
        self.telegram, self.graph = fakes
        self.updates = 100

    async def telegram_update(self, update: dict[str, Any]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        assert (await self.client.post("/webhook/telegram", json=update, headers=headers)).status_code == 200
        await self.service.deliver("telegram", str(ANI))

    async def taps(self, label: str) -> str:
        sent = self.telegram.sent(ANI)[-1]
        keyboard = sent.params["reply_markup"]["inline_keyboard"]
        (button,) = [b for row in keyboard for b in row if b["text"].startswith(label)]
        self.updates += 1
        message = sent.result | {"chat": {"id": ANI, "type": "private"}}
        await self.telegram_update(callback_update(self.updates, ANI, button["callback_data"], message))
        return str(self.telegram.sent(ANI)[-1].params["text"])

    async def says(self, text: str) -> str:
        self.updates += 1
        before = len(self.telegram.sent(ANI))
        await self.telegram_update(text_update(self.updates, ANI, text))
        return "\n".join(str(c.params["text"]) for c in self.telegram.sent(ANI)[before:])

    async def whatsapp(self, text: str) -> str:
        before = len(self.graph.sent(BUDI))
        raw, headers = meta.encode(meta.from_person(BUDI, meta.text(BUDI, text)))
        assert (await self.client.post("/webhook/whatsapp", content=raw, headers=headers)).status_code == 200
        await self.service.deliver("whatsapp", BUDI)
        return "\n".join(c.text for c in self.graph.sent(BUDI)[before:])

    async def tick(self, at: datetime) -> None:
        self.clock.now = at
        quiet = QuietHours.parse("21:00-07:00")
        await Scheduler(
            self.service.db, quiet=quiet, followup_days=3, clock=self.clock, payments=VAULT
        ).tick()
        await self.service.deliver("telegram", str(ANI))
        await self.service.deliver("whatsapp", BUDI)

    def reminders(self) -> tuple[list[str], list[Any]]:
        telegram = [
            str(c.params["text"])
            for c in self.telegram.sent(ANI)
            if "Pengingat iuran" in str(c.params["text"])
        ]
        whatsapp = [c for c in self.graph.sent(BUDI) if "Pengingat iuran" in c.text]
        return telegram, whatsapp


@pytest.fixture
async def world(db_url: str, fakes: tuple[FakeTelegram, FakeGraphAPI]) -> AsyncIterator[World]:
    telegram, graph = fakes
    clock = FixedClock(wib(12, 1))
    async with served(db_url, telegram, graph, clock, secret=SECRET) as (service, client):
        yield World(service, client, clock, fakes)


async def registered(db: Database, channel: str, chat_id: str) -> int:
    """A worker of KC Madiun registered on 1 December 2026 for one month, paid to 31 December."""
    reference = await seed(db, channel=channel, chat_id=chat_id, vault=VAULT)
    async with db.transaction() as session:
        submission = (await session.exec(select(Submission).where(Submission.reference == reference))).one()
        submission.status, submission.payment_months = "terdaftar", 1
        record_registration(
            session,
            submission,
            None,
            kpj="22223333444",
            registered_on=date(2026, 12, 1),
            now=wib(12, 1),
            paid_until=date(2026, 12, 31),
            paid_until_source="import",
        )
        assert submission.id is not None
        return submission.id


async def test_reminded_once_on_both_channels_and_sudah_bayar_stops_it(world: World) -> None:
    db = world.service.db
    ani = await registered(db, "telegram", str(ANI))
    budi = await registered(db, "whatsapp", BUDI)

    await world.tick(wib(1, 11))  # four days before the due date: nothing yet
    assert world.reminders() == ([], [])
    await world.tick(wib(1, 12))
    telegram, whatsapp = world.reminders()
    assert len(telegram) == 1 and "15 Januari 2027" in telegram[0] and "Rp51.800" in telegram[0]
    assert len(whatsapp) == 1 and whatsapp[0].kind == "template"  # the window closed long ago
    assert "15 Januari 2027" in whatsapp[0].text and "Rp51.800" in whatsapp[0].text
    for later in (wib(1, 12, 15), wib(1, 13), wib(1, 15, 8)):
        await world.tick(later)
    telegram, whatsapp = world.reminders()
    assert (len(telegram), len(whatsapp)) == (1, 1)  # once per due date

    # Ani taps "Sudah bayar" on the reminder; Budi types it on WhatsApp.
    world.clock.now = wib(1, 15, 9)
    assert "sudah dibayar sampai 31 Januari 2027" in await world.taps("Sudah bayar")
    assert "sudah dibayar sampai 31 Januari 2027" in await world.whatsapp("sudah bayar mas")
    async with db.reader() as session:
        for sid in (ani, budi):
            coverage = await coverage_of(session, sid)
            assert coverage is not None and coverage.paid_until == date(2027, 1, 31)
            assert coverage.paid_until_source == "worker"
    for later in (wib(1, 16), wib(1, 25), wib(2, 1)):  # no reminder, no arrears question
        await world.tick(later)
    telegram, whatsapp = world.reminders()
    assert (len(telegram), len(whatsapp)) == (1, 1)
    assert not [c for c in world.telegram.sent(ANI) if "kenapa belum bayar" in str(c.params["text"])]
    await world.tick(wib(2, 12))  # February's reminder, once
    telegram, whatsapp = world.reminders()
    assert (len(telegram), len(whatsapp)) == (2, 2) and "15 Februari 2027" in telegram[1]
