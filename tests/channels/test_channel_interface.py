"""Channels plug in through one interface: a made-up one is a module plus one registry line.

`tests/support/pigeon_channel.py` declares the channel; the line below registers it. The real web
app takes its webhook, the engine runs the enrolment, and the real outbox sender delivers the
replies through its transport; its session links come from its own address lookup. The staff
side knows it from the catalogue alone: the queue's channel filter offers it, broadcasts (page
and API) can reach it, and sessions get its link.
"""

from __future__ import annotations

import asyncio
import re
import time

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import insert
from sqlmodel import col, select

from bot.channels.registry import REGISTRY, Registration, catalogue
from bot.identity import BotIdentity
from bot.service import build_service
from bot.settings import load_settings
from bot.web import create_app
from handlers.channels import Identity
from storage.crypto import Vault
from storage.db import Database
from storage.models import Contact, OutboxMessage, Submission
from storage.types import utcnow
from tests.dashboard.test_staff_pages import csrf_of, log_in
from tests.handlers.test_enrol_flow import HAPPY, WOMAN_NIK
from tests.support import pigeon_channel
from tests.support.backoffice_helpers import MADIUN, account

# the one line:
PIGEON = Registration("tests.support.pigeon_channel", pigeon_channel.INFO, lambda _settings: True)
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


async def where_the_bot_is() -> Identity:
    """The bot's address on the pigeon's platform (a real channel's is read from its settings)."""
    return Identity({"pigeon": "loft-7"})


async def test_the_staff_side_knows_a_made_up_channel_from_the_catalogue(db_url: str) -> None:
    settings = load_settings(
        database_url=db_url, secret_key="s", pii_encryption_key=Fernet.generate_key().decode()
    )
    service = build_service(settings, registry=WITH_PIGEON)
    app = create_app(service, identity=where_the_bot_is)
    office = app.state.backoffice
    async with service.db.transaction() as session:
        people = [("pigeon", "coo-1"), ("pigeon", "coo-2"), ("telegram", "55501")]
        rows = [
            {
                "channel": c,
                "chat_id": chat,
                "announcements": True,
                "regency_code": MADIUN[1],
                "created_at": utcnow(),
            }
            for c, chat in people
        ]
        await session.exec(insert(Contact).values(rows))
    await account(office, "ani")
    token = await office.issue_token("test", "ani")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bot.test"
        ) as client:
            assert (await log_in(client, "ani")).status_code == 303
            # The queue's channel filter offers it by the name people read.
            queue = await client.get("/staff")
            assert re.search(r'<option value="pigeon"\s*>Merpati</option>', queue.text), queue.text
            # The broadcast form offers it, counts its people and previews the message on it.
            form = await client.get("/staff/broadcasts")
            assert 'name="channel_pigeon"' in form.text
            data = {"text": "Sosialisasi Selasa.", "channel_pigeon": "1", "csrf_token": csrf_of(form.text)}
            counted = await client.post("/staff/broadcasts", data={**data, "aksi": "hitung"})
            assert counted.status_code == 200, counted.text
            assert '<strong id="recipient-count">2</strong> orang · Merpati 2' in counted.text
            assert "<h4>Merpati</h4>" in counted.text
            # A session shows its link and QR code on the page.
            listing = await client.get("/staff/sessions")
            session_form = {
                "title": "Sosialisasi di Pasar Besar",
                "mode": "place",
                "place": "Balai Kelurahan Kartoharjo",
                "regency_code": "35.77",
                "starts_at": "2030-03-05T09:00",
                "ends_at": "2030-03-05T11:00",
                "organiser": "Dinas Koperasi dan UKM Kota Madiun",
                "capacity": "50",
                "csrf_token": csrf_of(listing.text),
            }
            created = await client.post("/staff/sessions", data=session_form)
            assert created.status_code == 303, created.text
            code = re.sub(r"\?.*", "", created.headers["location"]).rsplit("/", 1)[1]
            page = await client.get(created.headers["location"])
            assert f"https://loft.example/loft-7?s={code}" in page.text and "Kode QR Merpati" in page.text
            qr = await client.get(f"/staff/sessions/{code}/qr.png?kanal=pigeon")
            assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")

            # The API: its schema names the channel, a broadcast reaches it, a session links to it.
            api = {"Authorization": f"Bearer {token}"}
            schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
            assert "pigeon" in schema["BroadcastChannel"]["enum"]
            assert "pigeon_link" in schema["SessionOut"]["properties"]
            sent = await client.post(
                "/api/v1/broadcasts",
                json={"text": "Sosialisasi Selasa.", "audience": {"channels": ["pigeon"]}},
                headers=api,
            )
            assert sent.status_code == 201, sent.text
            assert sent.json()["recipients"] == 2
            refused = await client.post(
                "/api/v1/broadcasts",
                json={"text": "Sosialisasi Selasa.", "audience": {"channels": ["console"]}},
                headers=api,
            )
            assert refused.status_code == 422  # the console receives no broadcasts
            read = await client.get(f"/api/v1/sessions/{code}", headers=api)
            assert read.json()["pigeon_link"] == f"https://loft.example/loft-7?s={code}"
    finally:
        await service.close()
