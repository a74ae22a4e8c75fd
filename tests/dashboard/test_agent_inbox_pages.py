"""The agent inbox's two faces over the real app: the JSON API (conversation, messages → 202,
close, inbox) and the pages (the conversation opened from the submission page with a button,
writing, a macro, handing back, /staff/inbox, /staff/replies), with the worker on the real
engine in between. Branch isolation of every new route: tests/dashboard/test_isolation.py."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import col, select

from storage.models import AuditLog, Submission
from tests.dashboard.test_staff_pages import csrf_of, log_in
from tests.support.api_helpers import Site, site
from tests.support.backoffice_helpers import account, seed
from tests.support.helpers import Chat


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[Site]:
    async with site(db_url) as running:
        yield running


async def worker(app: Site, *, channel: str = "telegram", n: int = 1) -> tuple[str, Chat]:
    reference = await seed(app.office.db, n=n, channel=channel, vault=app.office.vault)
    return reference, Chat(app.office.db, app.service.engine, chat_id=f"{channel}-{n}", channel=channel)


async def page_client(app: Site, username: str, role: str = "staff") -> httpx.AsyncClient:
    await account(app.office, username, role)
    client = app.client()
    assert (await log_in(client, username)).status_code == 303
    return client


async def test_the_api_round_trip(app: Site) -> None:
    reference, chat = await worker(app)
    await chat.send("halo, nomor saya 081234567890")
    token = await app.token_for("rina")
    async with app.client(token) as api:
        seen = (await api.get(f"/api/v1/submissions/{reference}/conversation")).json()
        assert [i["direction"] for i in seen["items"]] == ["in", "out"]
        assert seen["items"][0]["text"] == "halo, nomor saya 0812-****-890" and seen["items"][0]["by"] is None
        sent = await api.post(f"/api/v1/submissions/{reference}/messages", json={"text": "Halo Bapak."})
        assert sent.status_code == 202 and sent.json()["status"] == "queued" and sent.json()["id"] > 0
        assert await chat.send("iya bu, saya mau tanya") == []  # the bot steps aside
        listed = (await api.get("/api/v1/inbox")).json()
        assert [(i["reference"], i["unread"]) for i in listed["items"]] == [(reference, 1)]
        seen = (await api.get(f"/api/v1/submissions/{reference}/conversation")).json()
        assert seen["held_by"] == "rina"
        assert [(i["direction"], i["by"]) for i in seen["items"]][-2:] == [("out", "rina"), ("in", None)]
        empty = await api.post(f"/api/v1/submissions/{reference}/messages", json={"text": ""})
        assert empty.status_code == 422
        closed = await api.post(f"/api/v1/submissions/{reference}/conversation/close")
        assert closed.status_code == 200 and closed.json() == {"closed": True}
        assert await chat.send("halo") != []
        missing = await api.get("/api/v1/submissions/ACDE-FGHJ/conversation")
        assert missing.status_code == 404
    async with app.office.db.reader() as session:
        actions = (await session.exec(select(AuditLog.action).order_by(col(AuditLog.id)))).all()
    assert (
        actions.count("conversation_viewed") == 2 and "agent_message" in actions and "agent_closed" in actions
    )


async def test_the_pages_open_write_run_a_macro_and_hand_back(app: Site) -> None:
    reference, chat = await worker(app)
    await chat.send("halo")
    client = await page_client(app, "rina")
    detail = await client.get(f"/staff/submissions/{reference}")
    assert f'href="/staff/submissions/{reference}/conversation"' in detail.text
    assert "wa.me" not in detail.text  # a Telegram worker: no click-to-chat
    page = await client.get(f"/staff/submissions/{reference}/conversation")
    assert page.status_code == 200 and "Bot yang menjawab chat ini" in page.text
    csrf = csrf_of(page.text)
    done = await client.post(
        f"/staff/submissions/{reference}/messages", data={"csrf_token": csrf, "text": "Selamat siang, Bu."}
    )
    assert done.status_code == 303 and done.headers["location"].endswith("/conversation?done=sent")
    page = await client.get(done.headers["location"])
    assert "Selamat siang, Bu." in page.text and "Ditangani <strong>rina</strong>" in page.text
    assert "Pesan masuk antrean kirim" in page.text
    await chat.send("baik bu")
    inbox = await client.get("/staff/inbox")
    assert reference in inbox.text and "1 baru" in inbox.text
    assert (await client.get("/staff/inbox?officer=siti")).text.count(reference) == 0

    macro = await client.post(f"/staff/submissions/{reference}/macros/tersambung", data={"csrf_token": csrf})
    assert macro.status_code == 303
    async with app.office.db.reader() as session:
        assert (await session.exec(select(Submission))).one().status == "dihubungi"

    refused = await client.post(
        f"/staff/submissions/{reference}/messages", data={"csrf_token": csrf, "text": " "}
    )
    assert refused.status_code == 422 and "Tulis pesan" in refused.text
    closed = await client.post(
        f"/staff/submissions/{reference}/conversation/close", data={"csrf_token": csrf}
    )
    assert closed.headers["location"].endswith("done=closed")
    assert "Bot yang menjawab chat ini" in (await client.get(closed.headers["location"])).text
    assert reference not in (await client.get("/staff/inbox")).text


async def test_click_to_chat_beside_the_phone_of_a_whatsapp_worker(app: Site) -> None:
    reference, _chat = await worker(app, channel="whatsapp", n=5)
    client = await page_client(app, "rina")
    detail = await client.get(f"/staff/submissions/{reference}")
    assert re.search(r'href="tel:0812340000\d+"', detail.text), detail.text
    assert 'href="https://wa.me/6281234000' in detail.text


async def test_saved_replies_kept_by_a_supervisor_sent_by_an_officer(app: Site) -> None:
    reference, _chat = await worker(app)
    boss = await page_client(app, "sari", "supervisor")
    form = await boss.get("/staff/replies")
    csrf = csrf_of(form.text)
    saved = await boss.post(
        "/staff/replies", data={"csrf_token": csrf, "title": "Jam buka", "text": "Senin-Jumat 08.00-15.00."}
    )
    assert saved.status_code == 303
    officer = await page_client(app, "rina")
    page = await officer.get(f"/staff/submissions/{reference}/conversation")
    found = re.search(rf'action="/staff/submissions/{reference}/saved/(\d+)"', page.text)
    assert found is not None and "Kirim: Jam buka" in page.text
    sent = await officer.post(found.group(0)[8:-1], data={"csrf_token": csrf_of(page.text)})
    assert sent.status_code == 303
    page = await officer.get(sent.headers["location"])
    assert "Senin-Jumat 08.00-15.00." in page.text
    refused = await officer.post(
        "/staff/replies", data={"csrf_token": csrf_of(page.text), "title": "x", "text": "y"}
    )
    assert refused.status_code == 403
