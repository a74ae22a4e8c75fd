"""The console channel: `bpu-bot chat` reads lines from stdin and prints the replies.

It runs the same engine on the same database as the other channels, and its replies go out
the same way: the outbox sender hands them to `ConsoleTransport`, which prints each with its
options as numbered lines. After each line the channel waits until the replies are out, so a
piped conversation prints in order.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from bot.channels.base import (
    Channel,
    ChannelContext,
    ChannelType,
    OutgoingMessage,
    Pacer,
    RateLimits,
    SendResult,
)
from bot.channels.cleaning import clean_fields
from handlers.types import Inbound
from storage.types import utcnow

CHANNEL = "console"
LIMITS = RateLimits(overall_per_second=1000)
"""A terminal has no rate limit worth the name."""


def format_payload(payload: dict[str, Any]) -> str:
    """A reply as terminal text: the message, then its options numbered from 1 (or by their key)."""
    lines = [payload["text"]]
    for number, item in enumerate(payload.get("options", []), start=1):
        lines.append(f"  {item.get('key') or number}. {item['label']}")
    return "\n".join(lines)


class ConsoleTransport:
    channel = CHANNEL
    limits = LIMITS

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write

    async def send(self, message: OutgoingMessage, pace: Pacer) -> SendResult:
        self.write(format_payload(message.payload))
        return SendResult("sent")

    async def aclose(self) -> None:
        return None


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


def _print(text: str) -> None:
    print(text + "\n", flush=True)


def _build(context: ChannelContext) -> Channel:
    return Channel(CHANNEL, ConsoleTransport(_print), run=ConsoleChat(context, sys.stdin).run)


CHANNEL_TYPE = ChannelType(CHANNEL, lambda _settings: LIMITS, _build)
