"""Channels plug in through one interface: a made-up one is a module plus one registry line.

`tests/pigeon_channel.py` declares the channel; the line below registers it. The real web
app takes its webhook, the engine runs the enrolment, and the real outbox sender delivers the
replies through its transport; its session links come from its own address lookup.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from cryptography.fernet import Fernet
from sqlmodel import col, select

from bot.channels.registry import REGISTRY, Registration, catalogue
from bot.identity import BotIdentity
from bot.service import build_service
from bot.settings import load_settings
from bot.web import create_app
from storage.crypto import Vault
from storage.db import Database
from storage.models import OutboxMessage, Submission
from tests import pigeon_channel
from tests.test_enrol_flow import HAPPY, WOMAN_NIK

PIGEON = Registration("tests.pigeon_channel", pigeon_channel.INFO, lambda _settings: True)  # the one line
WITH_PIGEON = (*REGISTRY, PIGEON)


async def delivered(db: Database, seconds: float = 20.0) -> None:
    """Waits until the sender has no pigeon row left to send."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        async with db.reader() as session:
            query = select(OutboxMessage.id).where(
                OutboxMessage.channel == "pigeon", col(OutboxMessage.status).in_(["pending", "sending"])
            )
            if not (await session.exec(query)).first():
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the sender did not deliver the pigeon's rows")


async def test_a_made_up_channel_runs_an_enrolment(db_url: str) -> None:
    key = Fernet.generate_key().decode()
    settings = load_settings(database_url=db_url, secret_key="s", pii_encryption_key=key)
    service = build_service(settings, registry=WITH_PIGEON)
    assert [c.name for c in service.channels] == ["pigeon"]
    stop = asyncio.Event()
    sending = asyncio.create_task(service.start_sender().run(stop))
    loft = pigeon_channel.LOFT["coo"]
    loft.clear()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(service)), base_url="http://bot.test"
        ) as client:
            for number, line in enumerate([*HAPPY, "kirim"]):
                before = len(loft)
                response = await client.post(
                    "/webhook/pigeon", json={"id": f"m{number}", "from": "coo", "text": line}
                )
                assert response.json() == {"duplicate": False}
                await delivered(service.db)
                assert len(loft) > before, f"no reply to {line!r}"
            # A tapped option comes back as its id.
            await client.post(
                "/webhook/pigeon", json={"id": "m-last", "from": "coo", "option": "enrol.announce.no"}
            )
            await delivered(service.db)
        assert any("Nomor pendaftaran" in payload["text"] for payload in loft)
        async with service.db.reader() as session:
            submission = (await session.exec(select(Submission))).one()
        assert submission.channel == "pigeon" and submission.status == "baru"
        assert Vault(key).decrypt(submission.nik_enc or "") == WOMAN_NIK
    finally:
        stop.set()
        await sending
        await service.close()


async def test_a_made_up_channel_gets_its_session_links() -> None:
    settings = load_settings(secret_key="s", pii_encryption_key=Fernet.generate_key().decode())
    identity = await BotIdentity(settings, registry=WITH_PIGEON).get()
    assert identity.address("pigeon") == "loft-7"
    links = identity.links(catalogue(WITH_PIGEON), "MDN7")
    assert links["pigeon"] == "https://loft.example/loft-7?s=MDN7"
    assert links["telegram"] is None  # off here: no address, no link
