"""The console's receiving side: each typed line through the engine, then its replies out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable

from bot.channels.base import ChannelContext
from bot.channels.cleaning import clean_fields
from bot.channels.console.transport import CHANNEL
from handlers.types import Inbound
from storage.types import utcnow


def inbound(chat_id: str, line: str) -> Inbound:
    """A typed line; "/start CODE" starts as a link would."""
    text = line.rstrip("\n")
    start = text.strip().startswith("/start")
    payload = text.strip()[len("/start") :].strip() or None if start else None
    return Inbound(
        channel=CHANNEL,
        chat_id=chat_id,
        message_id=uuid.uuid4().hex,
        at=utcnow(),
        kind="start" if start else "text",
        text=None if start else text,
        start_payload=payload,
    )


class ConsoleChat:
    """One person at the terminal: each line through the engine, then its replies printed."""

    def __init__(self, context: ChannelContext, lines: Iterable[str]) -> None:
        self.context = context
        self.lines = lines
        self.chat_id = context.settings.console_user

    async def run(self, stop: asyncio.Event) -> None:
        for line in self.lines:
            if stop.is_set():
                return
            if line.strip():
                await self.context.engine.handle(clean_fields(inbound(self.chat_id, line)))
                await self.context.deliver(self.chat_id)
