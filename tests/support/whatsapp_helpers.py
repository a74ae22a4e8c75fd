"""Shared pieces of the WhatsApp tests: settings, an in-process app, database look-ups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlmodel import col, select

from bot.service import Service, build_service
from bot.settings import Settings
from bot.web import create_app
from fakes import meta_webhooks as meta
from storage.db import Database
from storage.models import Contact, OutboxMessage, ProcessedInbound


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
