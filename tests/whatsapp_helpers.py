"""Shared pieces of the WhatsApp tests: settings, an in-process app, database look-ups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlmodel import col, select

from bot.service import Service, build_service
from bot.settings import Settings, load_settings
from bot.web import create_app
from storage.db import Database
from storage.models import Contact, OutboxMessage, ProcessedInbound
from tests.fakes import meta_webhooks as meta

FERNET_KEY = Fernet.generate_key().decode()


def whatsapp_env(db_url: str, api_url: str = "http://127.0.0.1:9", **extra: str) -> dict[str, str]:
    """The environment variables that enable WhatsApp against a fake Graph API."""
    return {
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-secret",
        "PII_ENCRYPTION_KEY": FERNET_KEY,
        "WHATSAPP_PHONE_NUMBER_ID": meta.PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": meta.ACCESS_TOKEN,
        "WHATSAPP_APP_SECRET": meta.APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": meta.VERIFY_TOKEN,
        "WHATSAPP_API_URL": api_url,
        **extra,
    }


def whatsapp_settings(db_url: str, api_url: str = "http://127.0.0.1:9", **extra: Any) -> Settings:
    values = {k.lower(): v for k, v in whatsapp_env(db_url, api_url).items()}
    return load_settings(**{**values, **extra})


@asynccontextmanager
async def webhook_client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Service]]:
    """The real FastAPI app in-process, with an HTTP client posting to it."""
    service = build_service(settings)
    app = create_app(service)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
            yield client, service
    finally:
        await service.close()


async def post_signed(client: httpx.AsyncClient, payload: dict[str, Any]) -> httpx.Response:
    raw, headers = meta.encode(payload)
    return await client.post("/webhook/whatsapp", content=raw, headers=headers)


async def outbox(db: Database, chat_id: str | None = None) -> list[OutboxMessage]:
    async with db.reader() as session:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        if chat_id is not None:
            query = query.where(OutboxMessage.chat_id == chat_id)
        return list((await session.exec(query)).all())


async def processed_ids(db: Database) -> list[str]:
    async with db.reader() as session:
        return list((await session.exec(select(ProcessedInbound.message_id))).all())


async def contact(db: Database, chat_id: str) -> Contact | None:
    async with db.reader() as session:
        return (
            await session.exec(
                select(Contact).where(Contact.channel == "whatsapp", Contact.chat_id == chat_id)
            )
        ).first()
