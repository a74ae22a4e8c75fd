"""Input that must not lock a person out: surrogates, NULs, deep JSON, older Bot API updates.

Both webhooks in-process over HTTP, against the real engine and database.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from cryptography.fernet import Fernet

from bot.channels.cleaning import clean_text, load_json
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.whatsapp.signature import sign
from bot.ratelimit import SlidingWindow
from bot.service import Service, build_service
from bot.settings import Settings, load_settings
from bot.web import create_app
from fakes import meta_webhooks as meta
from fakes.telegram_api import TOKEN, FakeTelegram
from fakes.telegram_user import text_update
from fakes.whatsapp import whatsapp_settings
from handlers.app import build_router
from handlers.engine import Engine
from storage.db import Database
from tests.support.helpers import VAULT
from tests.support.whatsapp_helpers import outbox, post_signed, webhook_client

SECRET = "edge-secret"
KEY = Fernet.generate_key().decode()
WORKER = "6281234567890"
SURROGATE_NAME = '"Sit\\ud800i"'  # JSON text for a name with a lone surrogate


@asynccontextmanager
async def telegram_client(db_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Service]]:
    settings = load_settings(
        database_url=db_url,
        secret_key="s",
        pii_encryption_key=Fernet.generate_key().decode(),
        telegram_bot_token="123456:TEST",
        telegram_api_url="http://127.0.0.1:9",
        telegram_webhook_url="https://bot.example/webhook/telegram",
        telegram_webhook_secret=SECRET,
    )
    service = build_service(settings)
    transport = httpx.ASGITransport(app=create_app(service))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
            yield client, service
    finally:
        await service.close()


def tg_message(update_id: int, text: str, *, first_name: str = "Siti", chat: int = 501) -> str:
    """A Telegram update as raw JSON text (so it can carry escapes json.dumps would not write)."""
    return (
        f'{{"update_id": {update_id}, "message": {{"message_id": {update_id}, "date": 1763700000,'
        f' "chat": {{"id": {chat}, "type": "private"}},'
        f' "from": {{"id": {chat}, "is_bot": false, "first_name": {first_name}}},'
        f' "text": {text}}}}}'
    )


async def post_tg(client: httpx.AsyncClient, body: str | bytes) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    return await client.post("/webhook/telegram", content=body, headers=headers)


async def test_telegram_surrogates_and_nuls_get_replies_and_the_person_goes_on(db_url: str) -> None:
    async with telegram_client(db_url) as (client, service):
        first = await post_tg(client, tg_message(1, '"halo"', first_name=SURROGATE_NAME))
        assert first.status_code == 200
        nul = await post_tg(client, tg_message(2, '"dafta\\u0000r \\udfff"', first_name=SURROGATE_NAME))
        assert nul.status_code == 200
        again = await post_tg(client, tg_message(3, '"menu"', first_name=SURROGATE_NAME))
        assert again.status_code == 200
        rows = await outbox(service.db, "501")
        assert len(rows) >= 3 and all(row.payload["text"] for row in rows)
        assert "Sit\ufffdi" in rows[0].payload["text"]  # greeted by the name, cleaned


async def test_deep_json_is_a_bad_request_not_a_traceback(db_url: str) -> None:
    deep = "[" * 5000 + "]" * 5000
    async with telegram_client(db_url) as (tg, _):
        assert (await post_tg(tg, deep)).status_code == 400
        nested = tg_message(4, '"halo"').replace('"text"', '"x": ' + "[" * 100 + "]" * 100 + ', "text"')
        assert (await post_tg(tg, nested)).status_code == 400
    async with webhook_client(whatsapp_settings(db_url)) as (wa, _):
        raw = ('{"object": ' + "[" * 5000 + "]" * 5000 + "}").encode()
        headers = {"X-Hub-Signature-256": sign(meta.APP_SECRET, raw)}
        assert (await wa.post("/webhook/whatsapp", content=raw, headers=headers)).status_code == 400


async def test_whatsapp_surrogates_and_nuls_in_names_ids_and_answers(db_url: str) -> None:
    async with webhook_client(whatsapp_settings(db_url)) as (client, service):
        message = meta.text(WORKER, "halo\x00")
        message["id"] = "wamid.A\x00B"
        payload = meta.from_person(WORKER, message, name="Sri\ud800")
        raw = json.dumps(payload).encode()  # json.dumps writes the surrogate as \ud800
        headers = {"X-Hub-Signature-256": sign(meta.APP_SECRET, raw)}
        response = await client.post("/webhook/whatsapp", content=raw, headers=headers)
        assert response.status_code == 200
        menu = meta.from_person(WORKER, meta.text(WORKER, "menu"))
        assert (await post_signed(client, menu)).status_code == 200
        rows = await outbox(service.db, WORKER)
        # The answer with a NUL is asked again (storage/text_guard.py); the next one is answered.
        assert len(rows) == 2 and "ketik ulang" in rows[0].payload["text"] and rows[1].payload["text"]


async def test_an_update_from_an_older_bot_api_server_is_read(db_url: str) -> None:
    """A server that predates fields aiogram's models now require still gets answers."""
    old: dict[str, Any] = {
        "update_id": 9,
        "callback_query": {  # no chat_instance, and a sender without is_bot
            "id": "77",
            "from": {"id": 502, "first_name": "Budi"},
            "data": "menu.benefits",
            "message": {"message_id": 1, "date": 1763700000, "chat": {"id": 502, "type": "private"}},
        },
    }
    async with telegram_client(db_url) as (client, service):
        response = await post_tg(client, json.dumps(old))
        assert response.status_code == 200
        assert await outbox(service.db, "502")


def test_cleaning_keeps_ordinary_text_as_it_is() -> None:
    for text in ("halo", "Siti Aminah", "Rp1.500.000\nterima kasih", "日本語 🙂", "tab\there"):
        assert clean_text(text) == text
    assert clean_text("a\x00b\x07c\ud800") == "a\ufffdb\ufffdc\ufffd"
    assert load_json(b'{"a": ["\\u0000x"]}') == {"a": ["\ufffdx"]}


async def test_polling_reads_an_older_servers_updates_and_skips_an_unreadable_one(db: Database) -> None:
    with FakeTelegram() as fake:
        settings = Settings(telegram_bot_token=TOKEN, telegram_api_url=fake.url, pii_encryption_key=KEY)
        channel = TelegramChannel(settings, Engine(db, build_router(), vault=VAULT), SlidingWindow(30))
        fake.push({"update_id": 1, "message": {"message_id": 1, "date": 1763700000, "chat": {"id": 511}}})
        fake.push(  # an older server: no is_bot, no chat_instance
            {
                "update_id": 2,
                "callback_query": {
                    "id": "c2",
                    "from": {"id": 512, "first_name": "Ani"},
                    "data": "menu.benefits",
                    "message": {"message_id": 5, "date": 1763700000, "chat": {"id": 512, "type": "private"}},
                },
            }
        )
        fake.push(text_update(3, 513, "halo"))
        stop = asyncio.Event()
        polling = asyncio.create_task(channel.poll(stop))
        try:
            for _ in range(200):
                if channel.offset == 4:
                    break
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await polling
            await channel.bot.session.close()
    assert channel.offset == 4  # nothing is fetched again and again
    assert await outbox(db, "512") and await outbox(db, "513")
