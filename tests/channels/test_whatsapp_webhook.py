"""`/webhook/whatsapp` in-process over HTTP: handshake, signatures, size, mapping, dedupe, statuses."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.channels.whatsapp.inbound import parse_body
from bot.channels.whatsapp.signature import sign
from bot.channels.whatsapp.templates import FORCE_TEMPLATE
from bot.channels.whatsapp.webhook import MAX_BODY
from bot.service import build_service
from bot.settings import SettingsError, load_settings
from bot.web import create_app
from fakes import meta_webhooks as meta
from fakes.whatsapp import whatsapp_settings
from storage.db import Database
from storage.outbox import Outcome, enqueue, lock_contact, record_attempts
from storage.types import utcnow
from tests.support.whatsapp_helpers import contact, outbox, post_signed, processed_ids, webhook_client

AGENT_CODES = Path(__file__).parents[1] / "data" / "agent_codes.toml"

WORKER = "6281234567890"


async def test_handshake_returns_the_challenge_only_for_the_right_token(db_url: str) -> None:
    async with webhook_client(whatsapp_settings(db_url)) as (client, _):
        ok = await client.get(
            "/webhook/whatsapp",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": meta.VERIFY_TOKEN,
                "hub.challenge": "1158201444",
            },
        )
        assert ok.status_code == 200 and ok.text == "1158201444"
        assert ok.headers["content-type"].startswith("text/plain")
        for params in (
            {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
            {"hub.mode": "unsubscribe", "hub.verify_token": meta.VERIFY_TOKEN, "hub.challenge": "1"},
            {"hub.challenge": "1"},
        ):
            refused = await client.get("/webhook/whatsapp", params=params)
            assert refused.status_code == 403 and "1" not in refused.text


async def test_handshake_is_refused_when_no_verify_token_is_configured(db_url: str) -> None:
    settings = whatsapp_settings(db_url, whatsapp_verify_token=None)
    async with webhook_client(settings) as (client, _):
        response = await client.get(
            "/webhook/whatsapp",
            params={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"},
        )
        assert response.status_code == 403


async def test_unsigned_and_wrongly_signed_bodies_change_nothing(db_url: str) -> None:
    async with webhook_client(whatsapp_settings(db_url)) as (client, service):
        raw, headers = meta.encode(meta.from_person(WORKER, meta.text(WORKER, "halo")))
        unsigned = {"Content-Type": "application/json"}
        assert (await client.post("/webhook/whatsapp", content=raw, headers=unsigned)).status_code == 401
        wrong = {**headers, "X-Hub-Signature-256": sign("another-secret", raw)}
        assert (await client.post("/webhook/whatsapp", content=raw, headers=wrong)).status_code == 403
        garbled = {**headers, "X-Hub-Signature-256": "sha256=zz"}
        assert (await client.post("/webhook/whatsapp", content=raw, headers=garbled)).status_code == 403
        no_prefix = {**headers, "X-Hub-Signature-256": headers["X-Hub-Signature-256"].removeprefix("sha256=")}
        assert (await client.post("/webhook/whatsapp", content=raw, headers=no_prefix)).status_code == 403
        non_ascii = [
            *((k.encode(), v.encode()) for k, v in headers.items() if k != "X-Hub-Signature-256"),
            (b"X-Hub-Signature-256", "sha256=\u00e9".encode("latin-1")),
        ]
        assert (await client.post("/webhook/whatsapp", content=raw, headers=non_ascii)).status_code == 403
        tampered = raw.replace(b"halo", b"hala")
        assert (await client.post("/webhook/whatsapp", content=tampered, headers=headers)).status_code == 403
        assert await processed_ids(service.db) == [] and await outbox(service.db) == []
        assert await contact(service.db, WORKER) is None
        # The same body, rightly signed, is processed.
        assert (await client.post("/webhook/whatsapp", content=raw, headers=headers)).status_code == 200
        assert len(await processed_ids(service.db)) == 1


async def test_bodies_over_the_size_limit_are_refused(db_url: str) -> None:
    async with webhook_client(whatsapp_settings(db_url)) as (client, service):
        huge = meta.from_person(WORKER, meta.text(WORKER, "x" * (MAX_BODY + 10)))
        raw, headers = meta.encode(huge)
        response = await client.post("/webhook/whatsapp", content=raw, headers=headers)
        assert response.status_code == 413

        async def chunks() -> object:  # no Content-Length: the limit holds while reading
            for start in range(0, len(raw), 65536):
                yield raw[start : start + 65536]

        streamed = await client.post("/webhook/whatsapp", content=chunks(), headers=headers)  # type: ignore[arg-type]
        assert streamed.status_code == 413
        assert await processed_ids(service.db) == []


async def test_a_signed_body_that_is_not_json_is_a_bad_request(db_url: str) -> None:
    async with webhook_client(whatsapp_settings(db_url)) as (client, _):
        raw = b"{not json"
        headers = {"X-Hub-Signature-256": sign(meta.APP_SECRET, raw)}
        assert (await client.post("/webhook/whatsapp", content=raw, headers=headers)).status_code == 400


async def test_text_message_reaches_the_engine_with_the_senders_number(db_url: str) -> None:
    async with webhook_client(whatsapp_settings(db_url)) as (client, service):
        message = meta.text(WORKER, "halo")
        response = await post_signed(client, meta.from_person(WORKER, message, name="Sri Wahyuni"))
        assert response.status_code == 200
        assert await processed_ids(service.db) == [message["id"]]
        person = await contact(service.db, WORKER)
        assert person is not None and person.last_inbound_at  # the profile name is not stored
        (reply,) = await outbox(service.db, WORKER)
        assert "Halo, Sri Wahyuni!" in reply.payload["text"] and reply.status == "pending"
        assert reply.payload["options"][0]["id"] == "menu.benefits"


def test_mapping_of_each_message_type() -> None:
    button = meta.button_reply(WORKER, "menu.calculator", "Hitung iuran")
    listed = meta.list_reply(WORKER, "menu.benefits", "Manfaat program", "JKK, JKM, JHT")
    media = [
        meta.image(WORKER),
        meta.sticker(WORKER),
        meta.audio(WORKER),
        meta.document(WORKER),
        meta.location(WORKER),
    ]
    text = meta.text(WORKER, "DAFTAR PKL-KEDOPOK")
    reaction = meta.reaction(WORKER, text["id"])
    batch = parse_body(meta.from_person(WORKER, text, button, listed, *media, reaction), meta.PHONE_NUMBER_ID)
    inbounds = batch.inbounds
    assert [i.kind for i in inbounds] == [
        "text",
        "option",
        "option",
        "media",
        "media",
        "media",
        "media",
        "media",
    ]
    assert inbounds[0].text == "DAFTAR PKL-KEDOPOK"  # passed through unchanged
    assert (inbounds[1].option_id, inbounds[2].option_id) == ("menu.calculator", "menu.benefits")
    assert [i.media_type for i in inbounds[3:]] == ["image", "sticker", "voice", "document", "location"]
    for inbound in inbounds:
        assert inbound.channel == "whatsapp" and inbound.chat_id == WORKER
        assert inbound.sender_phone == f"+{WORKER}" and inbound.sender_name == "Sheena Nelson"
        assert inbound.message_id.startswith("wamid.")
    assert inbounds[0].message_id == text["id"]


def test_changes_for_another_phone_number_are_skipped() -> None:
    other = meta.body(
        [
            meta.change(
                contacts=[meta.contact(WORKER)], messages=[meta.text(WORKER, "x")], phone_number_id="999"
            )
        ]
    )
    assert parse_body(other, meta.PHONE_NUMBER_ID).inbounds == []
    assert parse_body({"object": "page", "entry": []}).inbounds == []
    with pytest.raises(ValueError):
        parse_body([1, 2])


async def test_media_gets_the_polite_reply(db_url: str) -> None:
    async with webhook_client(whatsapp_settings(db_url)) as (client, service):
        await post_signed(client, meta.from_person(WORKER, meta.image(WORKER)))
        await post_signed(client, meta.from_person(WORKER, meta.sticker(WORKER)))
        texts = [row.payload["text"] for row in await outbox(service.db, WORKER)]
        assert "hanya bisa membaca pesan teks" in texts[0] and "foto" in texts[0]
        assert "stiker" in texts[1]


async def test_every_message_of_every_entry_and_change_is_processed_in_order(db_url: str) -> None:
    a, b, c = "6281111111111", "6282222222222", "6283333333333"
    payload = meta.body(
        [
            meta.change(
                contacts=[meta.contact(a, "A")], messages=[meta.text(a, "iuran"), meta.text(a, "2jt")]
            ),
            meta.change(contacts=[meta.contact(b, "B")], messages=[meta.text(b, "halo")]),
        ],
        [meta.change(contacts=[meta.contact(c, "C")], messages=[meta.image(c)])],
    )
    async with webhook_client(whatsapp_settings(db_url)) as (client, service):
        assert (await post_signed(client, payload)).status_code == 200
        assert len(await processed_ids(service.db)) == 4
        first = await outbox(service.db, a)
        # "iuran" asked for the income, then "2jt" was read as the income: order was kept.
        assert "penghasilan" in first[0].payload["text"].lower()
        assert "pekerjaan" in first[-1].payload["text"].lower()
        assert await outbox(service.db, b) and await outbox(service.db, c)


async def test_a_redelivered_body_changes_nothing(db_url: str) -> None:
    async with webhook_client(whatsapp_settings(db_url)) as (client, service):
        payload = meta.from_person(WORKER, meta.text(WORKER, "iuran"), meta.text(WORKER, "2jt"))
        assert (await post_signed(client, payload)).status_code == 200
        before = [(r.id, r.payload) for r in await outbox(service.db)]
        person = await contact(service.db, WORKER)
        # Meta redelivers, sometimes twice at once.
        results = await asyncio.gather(post_signed(client, payload), post_signed(client, payload))
        assert [r.status_code for r in results] == [200, 200]
        assert [(r.id, r.payload) for r in await outbox(service.db)] == before
        assert len(await processed_ids(service.db)) == 2
        again = await contact(service.db, WORKER)
        assert again is not None and person is not None and again.last_inbound_at == person.last_inbound_at


async def _sent_row(db: Database, *, priority: int = 0, wamid: str = "wamid.SENT1") -> int:
    async with db.transaction() as session:
        person = await lock_contact(session, "whatsapp", WORKER)
        person.last_inbound_at = utcnow() - timedelta(hours=1)
        row = enqueue(
            session,
            channel="whatsapp",
            chat_id=WORKER,
            contact_id=person.id,
            payload={"text": "Data Bapak sudah kami terima.", "options": []},
            priority=priority,
            now=utcnow(),
        )
        await session.flush()
        sent = Outcome(row.id or 0, "sent", "sent", [], platform_message_id=wamid)
        await record_attempts(session, [sent], utcnow())
        return row.id or 0


async def test_status_callbacks_update_the_outbox_row(db_url: str) -> None:
    async with webhook_client(whatsapp_settings(db_url)) as (client, service):
        row_id = await _sent_row(service.db)

        async def delivery() -> str | None:
            (row,) = [r for r in await outbox(service.db) if r.id == row_id]
            return row.delivery_status

        for state in ("sent", "delivered", "read"):
            payload = meta.body([meta.change(statuses=[meta.status("wamid.SENT1", state, WORKER)])])
            assert (await post_signed(client, payload)).status_code == 200
            assert await delivery() == state
        # A late "delivered" does not undo "read"; an unknown id is ignored.
        late = meta.body(
            [
                meta.change(
                    statuses=[
                        meta.status("wamid.SENT1", "delivered", WORKER),
                        meta.status("wamid.OTHER", "read", WORKER),
                    ]
                )
            ]
        )
        assert (await post_signed(client, late)).status_code == 200
        assert await delivery() == "read"


async def test_a_failed_status_is_recorded(db_url: str) -> None:
    async with webhook_client(whatsapp_settings(db_url)) as (client, service):
        await _sent_row(service.db)
        error = {"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable"}
        payload = meta.body([meta.change(statuses=[meta.status("wamid.SENT1", "failed", WORKER, [error])])])
        assert (await post_signed(client, payload)).status_code == 200
        (row,) = await outbox(service.db)
        assert row.delivery_status == "failed" and row.last_error == "131026 Message undeliverable"
        assert row.attempt_log[-1]["outcome"] == "undelivered"


async def test_failed_131047_status_resends_as_template_when_one_is_configured(db_url: str) -> None:
    settings = whatsapp_settings(db_url, whatsapp_template_notification="bpu_pemberitahuan")
    async with webhook_client(settings) as (client, service):
        row_id = await _sent_row(service.db)
        failed = meta.body(
            [meta.change(statuses=[meta.status("wamid.SENT1", "failed", WORKER, [meta.error_131047()])])]
        )
        assert (await post_signed(client, failed)).status_code == 200
        (row,) = await outbox(service.db)
        assert row.id == row_id and row.status == "pending" and row.payload[FORCE_TEMPLATE] is True
        assert row.platform_message_id is None and "131047" in (row.last_error or "")
        # Redelivered: nothing more happens.
        assert (await post_signed(client, failed)).status_code == 200
        assert [(r.status, r.attempt_log) for r in await outbox(service.db)] == [
            (row.status, row.attempt_log)
        ]


async def test_failed_131047_status_waits_when_no_template_is_configured(db_url: str) -> None:
    async with webhook_client(whatsapp_settings(db_url)) as (client, service):
        await _sent_row(service.db)
        failed = meta.body(
            [meta.change(statuses=[meta.status("wamid.SENT1", "failed", WORKER, [meta.error_131047()])])]
        )
        assert (await post_signed(client, failed)).status_code == 200
        (row,) = await outbox(service.db)
        assert row.status == "waiting" and row.delivery_status == "failed"


async def test_without_whatsapp_settings_the_routes_do_not_exist(db_url: str) -> None:
    settings = whatsapp_settings(db_url, whatsapp_phone_number_id=None, whatsapp_access_token=None)
    async with webhook_client(settings) as (client, _):
        raw, headers = meta.encode(meta.from_person(WORKER, meta.text(WORKER, "halo")))
        assert (await client.post("/webhook/whatsapp", content=raw, headers=headers)).status_code == 404


def test_whatsapp_refuses_to_start_without_an_app_secret(db_url: str) -> None:
    with pytest.raises(SettingsError, match="WHATSAPP_APP_SECRET"):
        whatsapp_settings(db_url, whatsapp_app_secret=None)
    with pytest.raises(SettingsError, match="WHATSAPP_API_VERSION"):
        load_settings(whatsapp_api_version="23", secret_key="x", pii_encryption_key="")


def test_payloads_are_signed_like_meta_signs_them() -> None:
    raw, headers = meta.encode({"a": 1})
    assert json.loads(raw) == {"a": 1}
    # The documented construction: HMAC-SHA256 of the raw body, hex, "sha256=" prefix.
    import hashlib
    import hmac

    expected = hmac.new(meta.APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={expected}"


async def test_database_failure_answers_5xx_so_meta_redelivers(db_url: str) -> None:
    service = build_service(whatsapp_settings(db_url))
    broken = Database("postgresql+asyncpg://nobody@127.0.0.1:1/unreachable")
    service.engine.db = broken
    transport = httpx.ASGITransport(app=create_app(service), raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
            response = await post_signed(client, meta.from_person(WORKER, meta.text(WORKER, "halo")))
        assert response.status_code == 503
    finally:
        await broken.dispose()
        await service.close()


async def test_a_first_daftar_code_message_records_the_attribution(db_url: str) -> None:
    settings = whatsapp_settings(db_url, agent_codes_file=AGENT_CODES)  # KDP2211 is an agent code there
    async with webhook_client(settings) as (client, service):
        assert (
            await post_signed(client, meta.from_person(WORKER, meta.text(WORKER, "DAFTAR KDP2211")))
        ).is_success
        later = "6289999999999"
        await post_signed(client, meta.from_person(later, meta.text(later, "halo")))
        await post_signed(client, meta.from_person(later, meta.text(later, "DAFTAR KDP2211")))
        first, second = await contact(service.db, WORKER), await contact(service.db, later)
        assert first is not None and first.attribution_code == "KDP2211"
        assert second is not None and second.attribution_code is None  # only a first message counts
