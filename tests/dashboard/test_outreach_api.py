"""The API's sessions and broadcasts over HTTP (httpx against the real app), with the session
links read from the fake Telegram (getMe, through aiogram) and the fake Graph API (the phone
number object): create and read a session, roles, 404 for another branch, 422 for a bad field,
a broadcast and its progress, pause and cancel, and the OpenAPI document naming them all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from bot.identity import BotIdentity
from bot.settings import load_settings
from fakes import meta_webhooks as meta
from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import TOKEN, FakeTelegram
from handlers.channels import Identity
from storage.models import Contact
from storage.types import utcnow
from tests.support.api_helpers import Site, site
from tests.support.backoffice_helpers import MADURA

BODY = {
    "title": "Sosialisasi Paguyuban Ojek Madiun",
    "starts_at": "2030-03-05T09:00:00",
    "ends_at": "2030-03-05T11:00:00",
    "place": "Gedung Serbaguna",
    "regency_code": "35.77",
    "district": "Taman",
    "organiser": "Paguyuban Ojek Kota Madiun",
    "capacity": 150,
    "sponsor": {"name": "Pemerintah Kota Madiun", "months": 6, "quota": 100},
}


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeTelegram, FakeGraphAPI]]:
    with FakeTelegram() as telegram, FakeGraphAPI() as graph:
        yield telegram, graph


def platform_settings(telegram: FakeTelegram, graph: FakeGraphAPI) -> dict[str, object]:
    return {
        "telegram_bot_token": TOKEN,
        "telegram_api_url": telegram.url,
        "whatsapp_phone_number_id": meta.PHONE_NUMBER_ID,
        "whatsapp_access_token": meta.ACCESS_TOKEN,
        "whatsapp_app_secret": meta.APP_SECRET,
        "whatsapp_verify_token": meta.VERIFY_TOKEN,
        "whatsapp_api_url": graph.url,
    }


@pytest.fixture
async def web(db_url: str, fakes: tuple[FakeTelegram, FakeGraphAPI]) -> AsyncIterator[Site]:
    async with site(db_url, **platform_settings(*fakes)) as running:
        yield running


async def test_the_identity_comes_from_the_platforms_or_the_settings(
    fakes: tuple[FakeTelegram, FakeGraphAPI],
) -> None:
    telegram, graph = fakes
    read = await BotIdentity(load_settings(**platform_settings(telegram, graph))).get()
    assert read == Identity({"whatsapp": "15550783881", "telegram": "bpu_test_bot"})
    assert telegram.calls("getMe") and graph.lookups[-1].path.endswith(
        meta.PHONE_NUMBER_ID + "?fields=display_phone_number"
    )
    given = load_settings(
        **platform_settings(telegram, graph),
        telegram_bot_username="@BpuDaftarBot",
        whatsapp_display_number="+62 812-0000-1111",
    )
    asked = len(telegram.calls("getMe"))
    given_identity = Identity({"whatsapp": "6281200001111", "telegram": "BpuDaftarBot"})
    assert await BotIdentity(given).get() == given_identity
    assert len(telegram.calls("getMe")) == asked  # the settings win: nothing asked
    off = await BotIdentity(load_settings(telegram_bot_username="BpuDaftarBot")).get()
    assert off == Identity({})  # a channel that is off has no address, whatever the settings say


async def test_a_platform_that_does_not_answer_leaves_its_link_unknown(
    fakes: tuple[FakeTelegram, FakeGraphAPI],
) -> None:
    telegram, graph = fakes
    telegram.fail(500, times=1, methods=("getMe",))
    identity = BotIdentity(load_settings(**platform_settings(telegram, graph)))
    try:
        read = await identity.get()
    finally:
        telegram.clear_faults()
    assert (read.address("telegram"), read.address("whatsapp")) == (None, "15550783881")
    identity._retry_at = 0.0  # a minute later
    assert (await identity.get()).address("telegram") == "bpu_test_bot"


async def test_create_list_and_read_a_session(web: Site) -> None:
    token = await web.token_for("ani")
    async with web.client(token) as api:
        created = await api.post("/api/v1/sessions", json=BODY)
        assert created.status_code == 201, created.text
        answer = created.json()
        code = answer["code"]
        assert answer["telegram_link"] == f"https://t.me/bpu_test_bot?start=s_{code}"
        assert answer["whatsapp_link"] == f"https://wa.me/15550783881?text=DAFTAR%20{code}"
        assert answer["timezone"] == "WIB" and answer["branch_code"] == "KC-MADIUN"
        assert datetime.fromisoformat(answer["starts_at"]).hour == 2  # 09:00 WIB in UTC
        assert answer["sponsor"] == BODY["sponsor"]
        assert [row["stage"] for row in answer["funnel"]][:2] == ["reserved", "attended"]
        listed = (await api.get("/api/v1/sessions")).json()["items"]
        assert [s["code"] for s in listed] == [code]
        read = (await api.get(f"/api/v1/sessions/{code.lower()}")).json()
        assert read["code"] == code and "reasons" in read
        bad = await api.post("/api/v1/sessions", json={**BODY, "place": None})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "place"]
        missing = await api.post("/api/v1/sessions", json={k: v for k, v in BODY.items() if k != "title"})
        assert missing.status_code == 422
    other = await web.token_for("bayu", where=MADURA)
    async with web.client(other) as api:
        theirs, nothing = await api.get(f"/api/v1/sessions/{code}"), await api.get("/api/v1/sessions/ZZZ0101")
        assert theirs.status_code == nothing.status_code == 404 and theirs.json() == nothing.json()
        assert (await api.get("/api/v1/sessions")).json()["items"] == []
        refused = await api.post("/api/v1/sessions", json=BODY)  # Madiun is not Madura's
        assert refused.status_code == 422
    partner = await web.token_for("dinas", "mitra", where=None, regencies=["35.77"])
    async with web.client(partner) as api:
        assert (await api.post("/api/v1/sessions", json=BODY)).status_code == 403
        seen = (await api.get(f"/api/v1/sessions/{code}")).json()
        assert seen["funnel"][0]["count"] == 0
        assert (await api.post("/api/v1/broadcasts", json={"text": "x"})).status_code == 403


async def test_a_broadcast_and_its_progress(web: Site) -> None:
    now = utcnow()
    async with web.office.db.transaction() as session:
        await session.exec(
            insert(Contact).values(
                [
                    {
                        "channel": "telegram",
                        "chat_id": "1",
                        "announcements": True,
                        "regency_code": "35.77",
                        "created_at": now,
                    },
                    {
                        "channel": "telegram",
                        "chat_id": "2",
                        "announcements": False,
                        "regency_code": "35.77",
                        "created_at": now,
                    },
                ]
            )
        )
    token = await web.token_for("ani")
    stop = asyncio.Event()
    # The service's scheduler, waiting an hour between rounds unless a new broadcast nudges it.
    scheduler = asyncio.create_task(web.service.start_scheduler().run(stop, interval=timedelta(hours=1)))
    async with web.client(token) as api:
        created = await api.post(
            "/api/v1/broadcasts", json={"text": "Sosialisasi Selasa.", "audience": {"channels": ["telegram"]}}
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["recipients"] == 1 and body["status"] == "sending"
        for _ in range(100):  # the rows are written in the background, at once
            progress = (await api.get(f"/api/v1/broadcasts/{body['id']}")).json()
            if not progress["preparing"]:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await scheduler
        assert progress["recipients"] == 1 and progress["queued"] == 1 and progress["prepared"] == 1
        assert set(progress) >= {"status", "recipients", "queued", "sent", "delivered", "read", "failed"}
        assert (await api.post(f"/api/v1/broadcasts/{body['id']}/pause")).json()["status"] == "paused"
        assert (await api.post(f"/api/v1/broadcasts/{body['id']}/cancel")).json()["status"] == "cancelled"
        assert (await api.post(f"/api/v1/broadcasts/{body['id']}/resume")).status_code == 422
        later = await api.post(
            "/api/v1/broadcasts", json={"text": "Nanti.", "send_at": "2030-01-01T08:00:00+07:00"}
        )
        assert later.json()["status"] == "scheduled"
        assert [b["id"] for b in (await api.get("/api/v1/broadcasts")).json()] == [
            later.json()["id"],
            body["id"],
        ]
        bad = await api.post(
            "/api/v1/broadcasts", json={"text": "x", "audience": {"occupations": ["astronot"]}}
        )
        assert bad.status_code == 422
        assert (await api.post("/api/v1/broadcasts", json={"text": " "})).status_code == 422
        assert (await api.get("/api/v1/broadcasts/abc")).status_code == 404
    other = await web.token_for("bayu", where=MADURA)
    async with web.client(other) as api:
        theirs, nothing = (
            await api.get(f"/api/v1/broadcasts/{body['id']}"),
            await api.get("/api/v1/broadcasts/99999"),
        )
        assert theirs.status_code == nothing.status_code == 404 and theirs.json() == nothing.json()
        assert (await api.post(f"/api/v1/broadcasts/{body['id']}/cancel")).status_code == 404


async def test_the_openapi_document_names_them(web: Site) -> None:
    async with web.client() as anonymous:
        paths = (await anonymous.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/sessions",
        "/api/v1/sessions/{code}",
        "/api/v1/broadcasts",
        "/api/v1/broadcasts/{broadcast_id}",
    ):
        assert path in paths
    assert "post" in paths["/api/v1/sessions"] and "post" in paths["/api/v1/broadcasts"]
