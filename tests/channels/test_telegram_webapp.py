"""The enrolment as a Telegram Mini App, against the real app in-process.

The chat offers the form with a `web_app` button (delivered by aiogram to the fake Bot API); the
Mini App's requests carry `initData` signed like Telegram's; screens are read with the chat's
steps; the submission is the chat's, confirmed in the chat. Forged or stale `initData` is
refused. (The page in a real browser: tests/e2e/test_telegram_webapp_browser.py.)
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from bot.service import Service, build_service
from bot.settings import Settings, load_settings
from bot.web import create_app
from fakes.telegram_api import TOKEN, FakeTelegram
from fakes.telegram_webapp import init_data
from fakes.whatsapp import FERNET_KEY
from handlers.types import Inbound
from storage.db import Database
from storage.models import Submission
from storage.types import utcnow

USER = 5550001
NIK = "3574015505900001"
WEBAPP_URL = "https://bot.example.id/webapp/enrol"
CONTACT = {
    "phone": "0812 3456 7890",
    "regency": "35.74",
    "region_search": "",
    "district": "35.74.01",
    "address": "Jl. Mawar No. 5 RT 02 RW 03, Kel. Kademangan",
    "current_address": "",
    "email": "siti@example.com",
}


def webapp_settings(db_url: str, api_url: str) -> Settings:
    return load_settings(
        database_url=db_url,
        secret_key="test-secret",
        pii_encryption_key=FERNET_KEY,
        telegram_bot_token=TOKEN,
        telegram_api_url=api_url,
        telegram_webapp_url=WEBAPP_URL,
        telegram_per_chat_per_second=50,  # the test reads the chat at once
    )


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def app(db_url: str, telegram: FakeTelegram) -> AsyncIterator[tuple[httpx.AsyncClient, Service]]:
    service = build_service(webapp_settings(db_url, telegram.url))
    transport = httpx.ASGITransport(app=create_app(service))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
            yield client, service
    finally:
        await service.close()


async def say(service: Service, text: str | None = None, option: str | None = None) -> None:
    """A Telegram message from the person, through the engine as the channel hands it over."""
    inbound = Inbound(
        channel="telegram", chat_id=str(USER), message_id=f"u{time.monotonic_ns()}", at=utcnow(),
        kind="option" if option else "text", text=text, option_id=option,
    )  # fmt: skip
    await service.engine.handle(inbound)
    await service.deliver("telegram", str(USER))


async def screen(client: httpx.AsyncClient, name: str | None, fields: dict[str, Any] | None = None) -> Any:
    answer = await client.post(
        "/webapp/enrol/screen",
        json={"init_data": init_data(TOKEN, USER), "screen": name, "fields": fields or {}},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def submissions(db: Database) -> list[Submission]:
    async with db.reader() as session:
        return list((await session.exec(select(Submission))).all())


async def test_the_mini_app_enrols_and_the_chat_confirms(
    app: tuple[httpx.AsyncClient, Service], telegram: FakeTelegram, db: Database
) -> None:
    client, service = app
    await say(service, "daftar")
    await say(service, option="enrol.way.form")
    offered = telegram.sent(USER)[-1].params["reply_markup"]["inline_keyboard"][0][0]
    assert offered["text"] == "Isi formulir" and offered["web_app"] == {"url": WEBAPP_URL}

    page = await client.get("/webapp/enrol")
    assert page.status_code == 200 and 'name="nik"' in page.text and 'data-name="programs"' in page.text
    assert "Nama sesuai KTP" in page.text and "https://" not in page.text.split("<script>")[1]

    view = await screen(client, None)
    assert view["screen"] == "consent" and view["values"] == {"consent": False}
    view = await screen(client, "consent", {"consent": True})
    view = await screen(
        client, "identity", {"nik": NIK, "full_name": "Siti Aminah", "birth_date": "1990-05-14"}
    )
    assert view["screen"] == "identity" and "Mana yang salah" in view["errors"]["birth_date"]
    view = await screen(
        client, "identity", {"nik": NIK, "full_name": "Siti Aminah", "birth_date": "1990-05-15"}
    )
    assert view["screen"] == "contact" and view["values"]["regency"] == "35.74"
    view = await screen(client, "contact", CONTACT)
    assert view["screen"] == "work" and {o["id"] for o in view["options"]["occupation"]} >= {
        "ojek",
        "lainnya",
    }
    view = await screen(
        client, "work", {"occupation": "lainnya", "occupation_other": "", "income": "sehari 100rb"}
    )
    assert view["screen"] == "work" and view["errors"] == {
        "occupation_other": view["errors"]["occupation_other"]
    }
    work = {"occupation": "lainnya", "occupation_other": "penjahit", "income": "sehari 100rb"}
    view = await screen(client, "work", work)
    assert view["screen"] == "payment" and "Rp100.000 per hari" in " ".join(view["notices"])
    view = await screen(client, "payment", {"programs": "basic", "period": "1"})
    assert view["screen"] == "review" and "Penghasilan: Rp2.600.000 per bulan" in view["summary"]

    fields = {"consent": True, "nik": NIK, "full_name": "Siti Aminah", "birth_date": "1990-05-15"}
    fields |= CONTACT | work | {"programs": "basic", "period": "1"}
    sent = await client.post("/webapp/enrol", json={"init_data": init_data(TOKEN, USER), "fields": fields})
    assert sent.status_code == 201, sent.text
    (submission,) = await submissions(db)
    assert sent.json() == {"reference": submission.reference}
    assert submission.channel == "telegram" and submission.occupation_other == "penjahit"
    assert submission.enrol_path == "form" and submission.messages_to_enrol == 2  # "daftar" and the tap
    await service.deliver("telegram", str(USER))
    assert any(submission.reference in call.params["text"] for call in telegram.sent(USER))

    # Sent again (a double tap): nothing new.
    again = await client.post("/webapp/enrol", json={"init_data": init_data(TOKEN, USER), "fields": fields})
    assert again.status_code == 422 and submission.reference in again.json()["errors"]["nik"]
    assert len(await submissions(db)) == 1


async def test_wrong_fields_are_422_with_indonesian_errors(
    app: tuple[httpx.AsyncClient, Service], db: Database
) -> None:
    client, _service = app
    fields = {"consent": True, "nik": "12345", "full_name": "S1t1", "birth_date": "1990-05-15", **CONTACT}
    answer = await client.post("/webapp/enrol", json={"init_data": init_data(TOKEN, USER), "fields": fields})
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert errors["nik"].startswith("NIK harus 16 angka") and "huruf" in errors["full_name"]
    assert await submissions(db) == []


async def test_forged_or_stale_init_data_is_refused(
    app: tuple[httpx.AsyncClient, Service], db: Database
) -> None:
    client, _service = app
    forged = init_data("123456789:not-the-bot-token", USER)
    stale = init_data(TOKEN, USER, auth_date=int(time.time()) - 2 * 86400)
    for given in (forged, stale, "", None):
        for path in ("/webapp/enrol/screen", "/webapp/enrol"):
            answer = await client.post(path, json={"init_data": given, "screen": None, "fields": {}})
            assert answer.status_code == 401 and "init_data" in answer.json()["errors"]
    assert await submissions(db) == []
