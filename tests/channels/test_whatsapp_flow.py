"""The enrolment as a WhatsApp Flow, end to end against the real app.

A person on WhatsApp (signed webhook bodies shaped like Meta's) asks for the form; the bot's
Flow message goes out through pywa to the fake Graph API; a fake WhatsApp client that encrypts
as WhatsApp does (RSA-OAEP key exchange, AES-GCM) drives the data endpoint screen by screen;
the Flow's completion comes back as a signed `nfm_reply`; the confirmation goes out to the fake.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from bot.channels.whatsapp.signature import sign
from bot.service import Service
from bot.settings import Settings, SettingsError
from fakes import meta_webhooks as meta
from fakes.graph_api import Call, FakeGraphAPI
from fakes.whatsapp import whatsapp_settings
from fakes.whatsapp_flows import FakeFlowClient, KeyPair, key_pair
from handlers.contribution import quote
from handlers.localtime import WIB
from messages.format import format_rupiah
from messages.program_data import program_data
from storage.db import Database
from storage.form_models import FormToken
from storage.forms import token_hash
from storage.models import Conversation, FormStepEvent, Submission
from storage.types import utcnow
from tests.support.whatsapp_helpers import post_signed, webhook_client

WA_ID = "6281234567890"
NIK = "3574015505900001"


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return key_pair()


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI() as fake:
        yield fake


def flow_settings(db_url: str, graph: FakeGraphAPI, keys: KeyPair) -> Settings:
    return whatsapp_settings(
        db_url,
        graph.url,
        whatsapp_flow_private_key=keys.private_pem,
        whatsapp_flow_key_passphrase=keys.passphrase,
    )


@dataclass
class Person:
    """A WhatsApp user: webhook bodies in, what the bot sent read from the fake Graph API."""

    client: httpx.AsyncClient
    service: Service
    graph: FakeGraphAPI
    wa_id: str = WA_ID
    seen: int = 0
    sent_bodies: list[dict[str, Any]] = field(default_factory=list)

    async def post(self, *messages: dict[str, Any]) -> list[Call]:
        body = meta.from_person(self.wa_id, *messages, name="Siti Aminah")
        self.sent_bodies.append(body)
        response = await post_signed(self.client, body)
        assert response.status_code == 200, response.text
        return await self.replies()

    async def replies(self) -> list[Call]:
        await self.service.deliver("whatsapp", self.wa_id)
        sent = self.graph.sent(self.wa_id)
        new, self.seen = sent[self.seen :], len(sent)
        return new

    async def say(self, text: str) -> list[Call]:
        return await self.post(meta.text(self.wa_id, text))

    async def tap(self, call: Call, title: str) -> list[Call]:
        (reply_id,) = [rid for rid, shown in call.choices if shown == title]
        return await self.post(meta.button_reply(self.wa_id, reply_id, title))


@pytest.fixture
async def app(
    db_url: str, graph: FakeGraphAPI, keys: KeyPair
) -> AsyncIterator[tuple[httpx.AsyncClient, Service]]:
    async with webhook_client(flow_settings(db_url, graph, keys)) as (client, service):
        yield client, service


async def submissions(db: Database) -> list[Submission]:
    async with db.reader() as session:
        return list((await session.exec(select(Submission))).all())


async def open_form(person: Person) -> str:
    """Asks for the form as a person does, and returns the Flow message's token."""
    replies = await person.say("daftar")
    assert [t for _, t in replies[-1].choices] == ["Formulir sekaligus", "Tanya satu per satu"]
    replies = await person.tap(replies[-1], "Formulir sekaligus")
    flow = replies[-1].flow
    assert flow is not None and flow["flow_cta"] == "Isi formulir"
    assert flow["flow_name"].startswith("bpu_pendaftaran_") and flow["flow_action"] == "data_exchange"
    return str(flow["flow_token"])


async def fill_the_flow(whatsapp: FakeFlowClient, token: str) -> dict[str, Any]:
    """Goes through every screen as a person does (a wrong NIK first, another district than the
    NIK's); returns the params the Flow closes with."""
    ping = await whatsapp.ping()
    assert ping.status == 200 and ping.body == {"data": {"status": "active"}}

    screen = await whatsapp.init(token)
    assert screen.status == 200 and screen.body is not None
    assert screen.body["screen"] == "CONSENT" and screen.body["data"]["v_consent"] is False

    screen = await whatsapp.exchange(token, "CONSENT", {"consent": True})
    assert screen.body is not None and screen.body["screen"] == "IDENTITY"

    # A wrong NIK is refused on its own field, in Indonesian; the rest is taken.
    wrong = {"nik": "3574 0155 0590", "full_name": "siti aminah", "birth_date": "1990-05-15"}
    screen = await whatsapp.exchange(token, "IDENTITY", wrong)
    assert screen.body is not None and screen.body["screen"] == "IDENTITY"
    data = screen.body["data"]
    assert "NIK harus 16 angka" in data["e_nik"] and data["e_full_name"] == data["e_birth_date"] == ""
    assert data["v_full_name"] == "Siti Aminah"  # accepted, as the chat writes it

    screen = await whatsapp.exchange(token, "IDENTITY", {**wrong, "nik": NIK})
    assert screen.body is not None and screen.body["screen"] == "CONTACT"
    data = screen.body["data"]
    # The number WhatsApp knows and the NIK's region are suggested.
    assert data["v_phone"] == "0812-3456-7890"
    assert data["v_regency"] == "35.74" and data["v_district"] == "35.74.01"
    districts = {o["id"]: o["title"] for o in data["o_district"]}
    assert districts["35.74.02"] == "Kec. Wonoasih"

    # Another district of the same city is chosen: the chat's region steps take it.
    contact = {
        "phone": data["v_phone"],
        "regency": "35.74",
        "region_search": "",
        "district": "35.74.02",
        "address": "Jl. Mawar No. 5 RT 02 RW 03, Kel. Kademangan",
        "current_address": "",
        "email": "",
    }
    screen = await whatsapp.exchange(token, "CONTACT", contact)
    assert screen.body is not None and screen.body["screen"] == "WORK", screen.body

    screen = await whatsapp.exchange(
        token, "WORK", {"occupation": "ojek", "occupation_other": "", "income": "2jt"}
    )
    assert screen.body is not None and screen.body["screen"] == "PAYMENT"
    programs = {o["id"]: o.get("description") for o in screen.body["data"]["o_programs"]}
    today = quote(2_000_000, "transport", utcnow().astimezone(WIB).date(), program_data())
    assert programs["basic"] == f"{format_rupiah(today.basic_due)} per bulan"  # today's rates, an ojek's

    screen = await whatsapp.exchange(token, "PAYMENT", {"programs": "with_jht", "period": "3"})
    assert screen.body is not None and screen.body["screen"] == "REVIEW"
    assert "Kec. Wonoasih" in screen.body["data"]["summary"]

    done = await whatsapp.exchange(token, "REVIEW", {})
    assert done.body is not None and done.body["screen"] == "SUCCESS"
    params: dict[str, Any] = done.body["data"]["extension_message_response"]["params"]
    return params


async def test_a_whole_enrolment_through_the_flow(
    app: tuple[httpx.AsyncClient, Service], graph: FakeGraphAPI, keys: KeyPair, db: Database
) -> None:
    client, service = app
    person = Person(client, service, graph)
    token = await open_form(person)
    whatsapp = FakeFlowClient(client, "/webhook/whatsapp/flow", keys.public_pem)

    params = await fill_the_flow(whatsapp, token)
    assert params["flow_token"] == token and params["nik"] == NIK and params["birth_date"] == "1990-05-15"
    assert await submissions(db) == []  # the completion message makes the submission

    replies = await person.post(meta.flow_reply(WA_ID, params))
    text = "\n".join(call.text for call in replies)
    assert "Nomor pendaftaran" in text
    (submission,) = await submissions(db)
    assert submission.reference in text and submission.channel == "whatsapp"
    assert submission.district_code == "35.74.02" and submission.payment_months == 3
    assert submission.enrol_path == "form" and submission.messages_to_enrol == 3  # daftar, tap, the form

    # The same completion delivered again changes nothing.
    seen = len(graph.sent(WA_ID))
    again = await post_signed(client, person.sent_bodies[-1])
    assert again.status_code == 200
    await service.deliver("whatsapp", WA_ID)
    assert len(await submissions(db)) == 1 and len(graph.sent(WA_ID)) == seen

    async with db.reader() as session:
        steps = set(
            (await session.exec(select(FormStepEvent.step).where(FormStepEvent.path == "form"))).all()
        )
    assert {"form.open", "screen.identity", "screen.review", "form.sent"} <= steps


async def test_tampered_bodies_signatures_and_tokens_are_refused(
    app: tuple[httpx.AsyncClient, Service], graph: FakeGraphAPI, keys: KeyPair, db: Database
) -> None:
    client, service = app
    token = await open_form(Person(client, service, graph))
    whatsapp = FakeFlowClient(client, "/webhook/whatsapp/flow", keys.public_pem)
    request = {"version": "3.0", "action": "INIT", "flow_token": token}

    sealed = whatsapp.seal(request)
    raw = json.dumps(sealed.envelope).encode()
    unsigned = await whatsapp.post_raw(raw, None)
    assert unsigned.status_code == 432
    assert (await whatsapp.post_raw(raw, sign("not-the-secret", raw))).status_code == 432

    # The body changed after encryption: the signature no longer matches; signed again, the
    # AES-GCM tag refuses it.
    data = bytearray(sealed.envelope["encrypted_flow_data"].encode())
    data[10] = ord("A") if data[10] != ord("A") else ord("B")
    tampered = json.dumps({**sealed.envelope, "encrypted_flow_data": data.decode()}).encode()
    assert (await whatsapp.post_raw(tampered, sign(meta.APP_SECRET, raw))).status_code == 432
    assert (await whatsapp.post_raw(tampered, sign(meta.APP_SECRET, tampered))).status_code == 421
    assert (await whatsapp.post_raw(raw, sign(meta.APP_SECRET, raw))).status_code == 200  # untouched

    # A token the service never issued, and one that expired.
    assert (await whatsapp.init("an-invented-token")).status == 427
    async with db.transaction() as session:
        issued = (
            await session.exec(select(FormToken).where(FormToken.token_hash == token_hash(token)))
        ).one()
        issued.expires_at = utcnow() - timedelta(minutes=1)
    expired = await whatsapp.init(token)
    assert expired.status == 427 and expired.body is not None and "tidak berlaku" in expired.body["error_msg"]


async def test_a_completion_with_someone_elses_or_an_invented_token_makes_nothing(
    app: tuple[httpx.AsyncClient, Service], graph: FakeGraphAPI, db: Database
) -> None:
    client, service = app
    token = await open_form(Person(client, service, graph))
    stranger = Person(client, service, graph, wa_id="6285700000099")
    fields = {"consent": True, "nik": NIK, "full_name": "Siti Aminah", "flow_token": token}
    replies = await stranger.post(meta.flow_reply(stranger.wa_id, fields))
    assert "tidak berlaku" in replies[-1].text
    replies = await stranger.post(meta.flow_reply(stranger.wa_id, {**fields, "flow_token": "invented"}))
    assert "tidak berlaku" in replies[-1].text
    assert await submissions(db) == []


def test_the_flow_key_is_read_from_a_file_or_refused_by_name(
    keys: KeyPair, tmp_path: Path, db_url: str
) -> None:
    pem = tmp_path / "flow_private.pem"
    pem.write_text(keys.private_pem)
    settings = whatsapp_settings(
        db_url, whatsapp_flow_private_key=str(pem), whatsapp_flow_key_passphrase=keys.passphrase
    )
    assert settings.whatsapp_flow_enabled and settings.whatsapp_flow_private_key == keys.private_pem.strip()
    one_line = keys.private_pem.strip().replace("\n", "\\n")  # as an .env file holds it
    assert whatsapp_settings(
        db_url, whatsapp_flow_private_key=one_line, whatsapp_flow_key_passphrase=keys.passphrase
    ).whatsapp_flow_enabled
    with pytest.raises(SettingsError, match="WHATSAPP_FLOW_PRIVATE_KEY"):
        whatsapp_settings(db_url, whatsapp_flow_private_key=str(pem), whatsapp_flow_key_passphrase="wrong")
    with pytest.raises(SettingsError, match="WHATSAPP_FLOW_PRIVATE_KEY"):
        whatsapp_settings(db_url, whatsapp_flow_private_key=str(tmp_path / "missing.pem"))


async def test_an_answer_missing_at_the_review_is_said_there(
    app: tuple[httpx.AsyncClient, Service], graph: FakeGraphAPI, keys: KeyPair, db: Database
) -> None:
    """The routing model runs one way: the review names what is missing and sends the person back."""
    client, service = app
    token = await open_form(Person(client, service, graph))
    whatsapp = FakeFlowClient(client, "/webhook/whatsapp/flow", keys.public_pem)
    await whatsapp.init(token)
    await whatsapp.exchange(token, "CONSENT", {"consent": True})
    async with db.transaction() as session:  # the draft expired and was purged on the way
        for conversation in (await session.exec(select(Conversation))).all():
            conversation.data = {k: v for k, v in conversation.data.items() if k != "draft"}
            session.add(conversation)
    answer = await whatsapp.exchange(token, "REVIEW", {})
    assert answer.body is not None and answer.body["screen"] == "REVIEW"
    assert "Ya, saya setuju" in answer.body["data"]["notice"] and "kembali" in answer.body["data"]["notice"]
