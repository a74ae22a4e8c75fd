"""The console channel: `bpu-bot chat` reads lines from stdin and prints the replies.

It runs the same engine on the same database as the other channels. After each line it
delivers this chat's outbox rows itself, printing options as numbered lines.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from bot.channels.cleaning import clean_fields
from handlers.engine import Engine
from handlers.types import Inbound
from storage import queries
from storage.db import Database
from storage.types import utcnow

CHANNEL = "console"


def format_payload(payload: dict[str, Any]) -> str:
    """A reply as terminal text: the message, then its options numbered from 1 (or by their key)."""
    lines = [payload["text"]]
    for number, item in enumerate(payload.get("options", []), start=1):
        lines.append(f"  {item.get('key') or number}. {item['label']}")
    return "\n".join(lines)


class ConsoleChat:
    def __init__(self, db: Database, engine: Engine, chat_id: str, write: Callable[[str], None]) -> None:
        self.db = db
        self.engine = engine
        self.chat_id = chat_id
        self.write = write

    def inbound(self, line: str) -> Inbound:
        text = line.rstrip("\n")
        start = text.strip().startswith("/start")
        payload = text.strip()[len("/start") :].strip() or None if start else None
        return Inbound(
            channel=CHANNEL,
            chat_id=self.chat_id,
            message_id=uuid.uuid4().hex,
            at=utcnow(),
            kind="start" if start else "text",
            text=None if start else text,
            start_payload=payload,
        )

    async def send_line(self, line: str) -> None:
        await self.engine.handle(clean_fields(self.inbound(line)))
        await self.deliver()

    async def deliver(self) -> None:
        """Prints and marks sent everything queued for this chat (replies and notifications)."""
        async with self.db.transaction() as session:
            rows = await queries.pending_for_chat(session, CHANNEL, self.chat_id)
            now = utcnow()
            for row in rows:
                self.write(format_payload(row.payload))
                await queries.record_attempt(
                    session, row.id or 0, status="sent", now=now, outcome="sent", platform_message_id=None
                )

    async def run(self, lines: Iterable[str]) -> None:
        for line in lines:
            if line.strip():
                await self.send_line(line)
