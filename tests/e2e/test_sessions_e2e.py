"""A session end to end, through the real web app, aiogram and pywa, against the fake Telegram
and Graph servers, with an injected clock: created by staff; three people arrive through its two
links (one on the wrong day); two reserve and a third is refused when it is full; reminders go
out the day before and two hours before (local time); the non-registrant gets the follow-up
question on WhatsApp (as the notification template, three days later) and the answer shows in
the session's funnel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.scheduler import Scheduler
from bot.service import Service
from dashboard.service.funnel import session_funnel
from dashboard.service.sessions import SessionSpec, create_session
from fakes import meta_webhooks as meta
from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import FakeTelegram
from fakes.telegram_user import callback_update, text_update
from handlers.channels import Identity
from handlers.localtime import QuietHours
from tests.handlers.test_enrol_flow import HAPPY
from tests.support.helpers import FixedClock
from tests.support.served import served

pytestmark = pytest.mark.slow

SECRET = "session-e2e_secret"
ANI, CITRA = 5001, 5003
BUDI = "6281300004444"


class World:
    def __init__(self, service: Service, client: httpx.AsyncClient, clock: FixedClock, fakes: Any) -> None:
        self.service, self.client, self.clock = service, client, clock
        self.telegram, self.graph = fakes
        self.updates = 100

    async def telegram_update(self, chat: int, update: dict[str, Any]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        assert (await self.client.post("/webhook/telegram", json=update, headers=headers)).status_code == 200
        await self.service.deliver("telegram", str(chat))

    async def says(self, chat: int, text: str) -> str:
        self.updates += 1
        before = len(self.telegram.sent(chat))
        await self.telegram_update(chat, text_update(self.updates, chat, text))
        return "\n".join(str(c.params["text"]) for c in self.telegram.sent(chat)[before:])

    async def starts(self, chat: int, payload: str) -> str:
        self.updates += 1
        before = len(self.telegram.sent(chat))
        await self.telegram_update(chat, text_update(self.updates, chat, f"/start {payload}"))
        return "\n".join(str(c.params["text"]) for c in self.telegram.sent(chat)[before:])

    async def taps(self, chat: int, label: str) -> str:
        sent = self.telegram.sent(chat)[-1]
        keyboard = sent.params["reply_markup"]["inline_keyboard"]
        (button,) = [b for row in keyboard for b in row if b["text"].startswith(label)]
        self.updates += 1
        message = sent.result | {"chat": {"id": chat, "type": "private"}}
        await self.telegram_update(
            chat, callback_update(self.updates, chat, button["callback_data"], message)
        )
        return str(self.telegram.sent(chat)[-1].params["text"])

    async def whatsapp(self, text: str) -> str:
        before = len(self.graph.sent(BUDI))
        raw, headers = meta.encode(meta.from_person(BUDI, meta.text(BUDI, text)))
        assert (await self.client.post("/webhook/whatsapp", content=raw, headers=headers)).status_code == 200
        await self.service.deliver("whatsapp", BUDI)
        return "\n".join(c.text for c in self.graph.sent(BUDI)[before:])

    async def tick(self) -> None:
        await Scheduler(
            self.service.db, quiet=QuietHours.parse("21:00-07:00"), followup_days=3, clock=self.clock
        ).tick()
        for chat in (str(ANI), str(CITRA)):
            await self.service.deliver("telegram", chat)
        await self.service.deliver("whatsapp", BUDI)


@pytest.fixture
async def world(db_url: str, fakes: tuple[FakeTelegram, FakeGraphAPI]) -> AsyncIterator[World]:
    telegram, graph = fakes
    clock = FixedClock(datetime(2026, 11, 21, 3, 0, tzinfo=UTC))  # Saturday 10:00 WIB
    async with served(db_url, telegram, graph, clock, secret=SECRET) as (service, client):
        yield World(service, client, clock, fakes)


async def test_a_session_end_to_end(world: World) -> None:
    spec = SessionSpec(
        title="Sosialisasi BPJS Ketenagakerjaan untuk pedagang Pasar Besar",
        starts_at=datetime(2026, 11, 24, 9, 0),
        ends_at=datetime(2026, 11, 24, 11, 0),
        regency_code="35.77",
        organiser="Dinas Koperasi dan UKM Kota Madiun",
        capacity=2,
        place="Aula Pasar Besar Madiun",
    )
    social = await create_session(world.service.db, spec, actor="staff:ani", branches=None, now=world.clock())
    found = Identity({"telegram": "bpu_test_bot", "whatsapp": "6281200001111"}).links(
        world.service.catalogue, social.code
    )
    assert found["telegram"] and found["whatsapp"]
    payload = found["telegram"].split("start=", 1)[1]

    # Saturday: Citra comes through the Telegram link on the wrong day and reserves.
    assert "Kode ini untuk" in await world.starts(CITRA, payload)
    assert "sudah kami catat" in await world.taps(CITRA, "Ikut")
    # Ani asks for the schedule and reserves the last place; Budi on WhatsApp is refused.
    assert "kabupaten/kota mana" in await world.says(ANI, "jadwal sosialisasi")
    assert "Aula Pasar Besar" in await world.says(ANI, "kota madiun")
    assert "sudah kami catat" in await world.says(ANI, "ikut")
    await world.whatsapp("jadwal sosialisasi")
    await world.whatsapp("Kota Madiun")
    assert "sudah penuh (2 orang)" in await world.whatsapp("ikut 1")

    # Reminders at 09:00 WIB on Monday (a day before) and 07:00 WIB on Tuesday (two hours before).
    world.clock.now = datetime(2026, 11, 23, 1, 59, tzinfo=UTC)
    await world.tick()
    assert not [c for c in world.telegram.sent() if "Pengingat" in str(c.params["text"])]
    world.clock.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    await world.tick()
    day = [int(c.params["chat_id"]) for c in world.telegram.sent() if "besok" in str(c.params["text"])]
    assert sorted(day) == [ANI, CITRA]
    world.clock.now = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    await world.tick()
    hours = [int(c.params["chat_id"]) for c in world.telegram.sent() if "2 jam lagi" in str(c.params["text"])]
    assert sorted(hours) == [ANI, CITRA]
    assert not [c for c in world.graph.sent(BUDI) if "Pengingat" in c.text]

    # Tuesday 10:00 WIB, the session's day: Ani (Telegram link) and Budi (WhatsApp link) arrive.
    world.clock.now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    assert "Kehadiran Bapak/Ibu sudah kami catat" in await world.starts(ANI, payload)
    assert "Kehadiran Bapak/Ibu sudah kami catat" in await world.whatsapp(f"DAFTAR {social.code}")
    for line in HAPPY:  # Ani enrols there and then
        await world.says(ANI, line)
    assert "Nomor pendaftaran" in await world.says(ANI, "kirim")

    # Three days after the session: Budi, who did not register, is asked why (a template).
    world.clock.now = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
    await world.tick()
    (question,) = [c for c in world.graph.sent(BUDI) if "alasannya" in c.text]
    assert question.kind == "template"
    assert not [c for c in world.telegram.sent(ANI) if "alasannya" in str(c.params["text"])]
    reply = await world.whatsapp("2")  # belum paham manfaatnya
    assert "terlindungi" in reply

    funnel = await session_funnel(world.service.db, social)
    stages = dict(funnel.stages)
    assert stages["reserved"] == 2 and stages["attended"] == 2 and stages["submitted"] == 1
    assert stages["consented"] == 1 and stages["terdaftar"] == 0
    assert funnel.reasons["manfaat"] == 1 and sum(funnel.reasons.values()) == 1
