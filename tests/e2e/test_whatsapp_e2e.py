"""`bpu-bot serve` as a real process, with WhatsApp on, against the fake Graph API.

Signed webhook bodies shaped like Meta's examples go in over HTTP; what the bot sends is read
from the fake's records, and the person taps the buttons and list rows it actually sent.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from fakes import meta_webhooks as meta
from fakes.graph_api import Call, FakeGraphAPI
from fakes.whatsapp import FERNET_KEY, whatsapp_env
from storage.db import Database
from storage.models import OutboxMessage
from storage.outbox import enqueue, lock_contact
from storage.types import utcnow
from tests.ops.test_cli import bpu_bot, cli_env
from tests.ops.test_web import free_port
from tests.support.whatsapp_helpers import outbox, processed_ids

pytestmark = pytest.mark.slow


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]

    def stop(self) -> str:
        self.process.terminate()
        try:
            out, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return out or ""


@dataclass
class Servers:
    tmp_path: Path
    db_url: str
    graph: FakeGraphAPI
    running: list[Server] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        return (
            cli_env(self.db_url)
            | whatsapp_env(self.db_url, self.graph.url, **extra)
            | {"PII_ENCRYPTION_KEY": FERNET_KEY}
        )

    def start(self, **extra: str) -> Server:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=self.tmp_path,
            env=self.env(**extra) | {"PORT": str(port)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        server = Server(f"http://127.0.0.1:{port}", process)
        self.running.append(server)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            assert process.poll() is None, server.stop()
            time.sleep(0.1)
        raise AssertionError("the server did not start: " + server.stop())


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI() as fake:
        yield fake


@pytest.fixture
def servers(tmp_path: Path, db_url: str, graph: FakeGraphAPI) -> Iterator[Servers]:
    pool = Servers(tmp_path, db_url, graph)
    try:
        yield pool
    finally:
        for server in pool.running:
            if server.process.poll() is None:
                server.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@dataclass
class Person:
    """A WhatsApp user: posts what Meta would post, and reads what the bot sent back."""

    http: httpx.AsyncClient
    server: Server
    graph: FakeGraphAPI
    db: Database
    wa_id: str = "6281234567890"
    name: str = "Siti Aminah"
    seen: int = 0

    async def post(self, payload: dict[str, Any]) -> list[Call]:
        raw, headers = meta.encode(payload)
        response = await self.http.post(f"{self.server.url}/webhook/whatsapp", content=raw, headers=headers)
        assert response.status_code == 200, response.text
        return await self.replies()

    async def replies(self) -> list[Call]:
        """What the bot sent since the last look, once its outbox for this person is drained."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rows = await outbox(self.db, self.wa_id)
            if rows and all(r.status not in ("pending", "sending") for r in rows):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"outbox not drained: {[(r.status, r.last_error) for r in rows]}")
        sent = self.graph.sent(self.wa_id)
        new, self.seen = sent[self.seen :], len(sent)
        assert new, "the bot answered nothing"
        return new

    async def say(self, text: str) -> list[Call]:
        return await self.post(meta.from_person(self.wa_id, meta.text(self.wa_id, text), name=self.name))

    async def tap(self, replies: list[Call], title_start: str) -> list[Call]:
        """Taps the button or list row whose title starts with `title_start`, as sent."""
        call = replies[-1]
        matches = [(rid, title) for rid, title in call.choices if title.startswith(title_start)]
        assert len(matches) == 1, f"{title_start!r} not among {call.choices}"
        reply_id, title = matches[0]
        if call.kind == "interactive button":
            message = meta.button_reply(self.wa_id, reply_id, title)
        else:
            assert call.kind == "interactive list", call.kind
            message = meta.list_reply(self.wa_id, reply_id, title)
        return await self.post(meta.from_person(self.wa_id, message, name=self.name))


def text_of(calls: list[Call]) -> str:
    return "\n".join(c.text for c in calls)


async def test_a_whole_enrolment_on_whatsapp_reaches_the_export(
    servers: Servers, graph: FakeGraphAPI, db: Database, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    server = servers.start()
    siti = Person(http, server, graph, db)

    # A wa.me link with prefilled text sends "DAFTAR <code>" as the first message.
    replies = await siti.say("DAFTAR KDP2211")
    assert replies[-1].kind == "interactive button" and "setuju" in text_of(replies).lower()
    replies = await siti.tap(replies, "Setuju")
    assert "NIK" in text_of(replies)
    replies = await siti.say("3574011505900001")
    replies = await siti.say("Siti Aminah")
    replies = await siti.say("15-05-1990")
    assert "nomor HP" in text_of(replies)
    # The number WhatsApp already knows is offered as a one-tap answer.
    assert replies[-1].choices == [("enrol.phone.known", "Pakai 0812-3456-7890")]
    replies = await siti.tap(replies, "Pakai 0812")
    assert "Kademangan" in text_of(replies)
    replies = await siti.tap(replies, "Ya, benar")
    replies = await siti.say("Jl. Mawar No. 5 RT 02 RW 03, Kel. Kademangan")
    assert replies[-1].kind == "interactive list" and len(replies[-1].choices) == 9
    replies = await siti.tap(replies, "Pedagang pasar")
    replies = await siti.say("2jt")
    assert replies[-1].kind == "interactive button"
    replies = await siti.tap(replies, "JKK + JKM + JHT")
    assert replies[-1].kind == "interactive list"  # four payment periods, amounts as descriptions
    rows = replies[-1].body["interactive"]["action"]["sections"][0]["rows"]
    assert all(row["description"].startswith("Rp") for row in rows)
    replies = await siti.tap(replies, "3 bulan")
    replies = await siti.say("siti.aminah@example.com")
    assert "Siti Aminah" in text_of(replies) and "357401******0001" in text_of(replies)
    replies = await siti.tap(replies, "Kirim")
    reference = next(word for word in text_of(replies).split() if word.count("-") == 1 and len(word) == 9)
    await siti.tap(replies, "Ya, kabari")

    result = bpu_bot("export", "--format", "json", "--reveal-nik", cwd=tmp_path, env=servers.env())
    assert result.returncode == 0, result.stderr
    (submission,) = [s for s in json.loads(result.stdout) if s["reference"] == reference]
    assert submission["nik"] == "3574011505900001" and submission["name"] == "Siti Aminah"
    assert submission["phone"] == "+6281234567890" and submission["channel"] == "whatsapp"
    assert submission["attribution_code"] == "KDP2211"
    assert submission["occupation"] == "Pedagang pasar / keliling"
    assert submission["income"] == 2_000_000 and submission["payment_period_months"] == 3
    assert submission["regency_name"] == "Kota Probolinggo" and submission["district"] == "Kademangan"
    assert submission["programs"] == "JKK + JKM + JHT"
    server.stop()


async def test_menu_benefits_and_calculator_with_taps_and_typing(
    servers: Servers, graph: FakeGraphAPI, db: Database, http: httpx.AsyncClient
) -> None:
    person = Person(http, servers.start(), graph, db, wa_id="6285700000001", name="Budi")
    replies = await person.say("halo")
    assert "Halo, Budi!" in replies[-1].text and replies[-1].kind == "interactive list"
    replies = await person.tap(replies, "Manfaat program")
    assert "JKK" in text_of(replies)
    replies = await person.say("menu")
    replies = await person.tap(replies, "Hitung iuran")
    replies = await person.say("2jt")
    replies = await person.say("2")  # a typed number picks the second option shown
    assert "Rp26.800" in text_of(replies) and "Rp66.800" in text_of(replies)


async def test_unsigned_wrong_and_redelivered_bodies_change_nothing_across_restarts(
    servers: Servers, graph: FakeGraphAPI, db: Database, http: httpx.AsyncClient
) -> None:
    server = servers.start()
    wa_id = "6285700000002"
    body = meta.from_person(wa_id, meta.text(wa_id, "halo"))
    raw, headers = meta.encode(body)
    url = f"{server.url}/webhook/whatsapp"
    assert (
        await http.post(url, content=raw, headers={"Content-Type": "application/json"})
    ).status_code == 401
    wrong = {
        **headers,
        "X-Hub-Signature-256": meta.encode(body, secret="not-the-secret")[1]["X-Hub-Signature-256"],
    }
    assert (await http.post(url, content=raw, headers=wrong)).status_code == 403
    assert await processed_ids(db) == [] and await outbox(db) == []

    person = Person(http, server, graph, db, wa_id=wa_id)
    first = await person.post(body)
    rows = await outbox(db)
    assert (await http.post(url, content=raw, headers=headers)).status_code == 200
    assert await outbox(db) == rows

    server.stop()  # a restart: the processed wamid is remembered in the database
    person.server = servers.start()
    assert (
        await http.post(f"{person.server.url}/webhook/whatsapp", content=raw, headers=headers)
    ).status_code == 200
    assert [r.id for r in await outbox(db)] == [r.id for r in rows]
    assert len(graph.sent(wa_id)) == len(first)


async def test_two_workers_receiving_the_same_body_process_it_once(
    servers: Servers, graph: FakeGraphAPI, db: Database, http: httpx.AsyncClient
) -> None:
    one, two = servers.start(), servers.start()
    wa_id = "6285700000003"
    raw, headers = meta.encode(meta.from_person(wa_id, meta.text(wa_id, "iuran"), meta.text(wa_id, "2jt")))
    answers = await asyncio.gather(
        *(http.post(f"{s.url}/webhook/whatsapp", content=raw, headers=headers) for s in (one, two, one, two))
    )
    assert [a.status_code for a in answers] == [200] * 4
    assert len(await processed_ids(db)) == 2
    person = Person(http, one, graph, db, wa_id=wa_id)
    replies = await person.replies()
    assert len(await outbox(db, wa_id)) == 2  # one reply to each message, not four
    assert len(replies) == 2 and "pekerjaan" in replies[-1].text.lower()


async def test_a_notification_outside_the_window_goes_out_as_the_configured_template(
    servers: Servers, graph: FakeGraphAPI, db: Database
) -> None:
    servers.start(WHATSAPP_TEMPLATE_NOTIFICATION="bpu_pemberitahuan")
    async with db.transaction() as session:
        for wa_id, since in (("6285700000004", timedelta(days=2)), ("6285700000005", timedelta(hours=2))):
            person = await lock_contact(session, "whatsapp", wa_id)
            person.last_inbound_at = utcnow() - since
            enqueue(
                session,
                channel="whatsapp",
                chat_id=wa_id,
                contact_id=person.id,
                payload={"text": "Pendaftaran Bapak/Ibu sedang diproses petugas.", "options": []},
                priority=1,
                now=utcnow(),
            )
    graph.wait_for(lambda _calls: len(graph.sent()) >= 2)
    (closed,) = graph.sent("6285700000004")
    assert closed.kind == "template" and closed.body["template"]["name"] == "bpu_pemberitahuan"
    assert closed.text == "Pendaftaran Bapak/Ibu sedang diproses petugas."
    (open_,) = graph.sent("6285700000005")
    assert open_.kind == "text"


async def test_without_a_template_the_notification_waits_and_a_131047_status_is_handled(
    servers: Servers, graph: FakeGraphAPI, db: Database, http: httpx.AsyncClient
) -> None:
    server = servers.start()
    wa_id = "6285700000006"
    async with db.transaction() as session:
        person = await lock_contact(session, "whatsapp", wa_id)
        person.last_inbound_at = utcnow() - timedelta(days=3)
        enqueue(
            session,
            channel="whatsapp",
            chat_id=wa_id,
            contact_id=person.id,
            payload={"text": "Jadwal sosialisasi baru.", "options": []},
            priority=2,
            now=utcnow(),
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        async with db.reader() as session:
            row = (await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == wa_id))).one()
        if row.status not in ("pending", "sending"):
            break
        await asyncio.sleep(0.05)
    assert row.status == "waiting" and "WHATSAPP_TEMPLATE_BROADCAST" in (row.last_error or "")
    assert graph.sent(wa_id) == []

    # A reply that WhatsApp later reports undeliverable for the closed window waits too.
    person_ = Person(http, server, graph, db, wa_id="6285700000007")
    replies = await person_.say("halo")
    failed = meta.body(
        [
            meta.change(
                statuses=[
                    meta.status(replies[-1].message_id or "", "failed", person_.wa_id, [meta.error_131047()])
                ]
            )
        ]
    )
    raw, headers = meta.encode(failed)
    assert (
        await http.post(f"{server.url}/webhook/whatsapp", content=raw, headers=headers)
    ).status_code == 200
    (row,) = await outbox(db, person_.wa_id)
    assert row.status == "waiting" and row.delivery_status == "failed" and "131047" in (row.last_error or "")
