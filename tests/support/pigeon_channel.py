"""A made-up channel, "pigeon", declared the way a real one is: `CHANNEL_TYPE` in this module (a
real channel's package) and one registry line.

Messages come in as JSON posted to `/webhook/pigeon` and go out into `LOFT` (a stand-in for
the platform's API), through the same outbox sender as every channel; the bot's address on it
(for session links) is looked up like a platform's.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter

from bot.channels.base import (
    Channel,
    ChannelContext,
    ChannelType,
    OutgoingMessage,
    Pacer,
    RateLimits,
    SendResult,
)
from bot.settings import Settings
from handlers.channels import ChannelInfo
from handlers.types import Inbound
from storage.types import utcnow

CHANNEL = "pigeon"
INFO = ChannelInfo(
    CHANNEL, "Merpati", broadcasts=True, session_link="https://loft.example/{address}?s={code}"
)
"""What staff see of it: its name in filters, an audience for broadcasts, a session link."""
LOFT: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
"""What reached each chat, in order."""


class PigeonTransport:
    channel = CHANNEL

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits

    async def send(self, message: OutgoingMessage, pace: Pacer) -> SendResult:
        LOFT[message.chat_id].append(message.payload)
        return SendResult("sent", platform_message_id=f"pigeon-{message.id}")

    async def aclose(self) -> None:
        return None


def _routes(context: ChannelContext) -> APIRouter:
    router = APIRouter()

    @router.post("/webhook/pigeon")
    async def receive(body: dict[str, str]) -> dict[str, bool]:
        inbound = Inbound(
            channel=CHANNEL,
            chat_id=body["from"],
            message_id=body["id"],
            at=utcnow(),
            kind="option" if body.get("option") else "text",
            text=body.get("text"),
            option_id=body.get("option"),
        )
        outcome = await context.engine.handle(inbound)
        return {"duplicate": outcome.duplicate}

    return router


def _build(context: ChannelContext) -> Channel:
    return Channel(CHANNEL, PigeonTransport(context.limits), routes=_routes(context))


async def _loft_address(_settings: Settings) -> str:
    """Where people reach the bot by pigeon (a platform would be asked)."""
    return "loft-7"


CHANNEL_TYPE = ChannelType(
    CHANNEL, lambda _settings: RateLimits(overall_per_second=50), _build, identity=_loft_address
)
