"""The channel interface: what one channel is, and what it provides to the outbox sender.

A channel is one package that declares a `ChannelType` named `CHANNEL_TYPE`: its name, its rate
limits, how to build it from a `ChannelContext`, and how the bot's address on it is looked up.
The built `Channel` carries its transport (which renders and sends outbox rows), and how it
receives: web routes (webhooks), a loop (a poller, start-up work), or both.
`bot/channels/registry.py` lists the channels; the service, the web app and the server only
iterate over that list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from fastapi import APIRouter

    from bot.metrics import Metrics
    from bot.ratelimit import SlidingWindow
    from bot.settings import Settings
    from handlers.engine import Engine
    from storage.db import Database

OutcomeKind = Literal["sent", "retry", "failed", "unreachable", "wait"]


@dataclass(frozen=True)
class SendResult:
    """How one delivery attempt ended.

    sent: delivered to the platform (with its message id). retry: a transient failure; try
    again after `retry_after` seconds, or with backoff when None. failed: permanent.
    unreachable: the person blocked the bot; stop sending to them. wait: cannot be sent now
    and must wait for a person to act (e.g. no WhatsApp template is configured).
    """

    kind: OutcomeKind
    platform_message_id: str | None = None
    retry_after: float | None = None
    error: str | None = None
    slow_down: bool = False
    """The platform asked the whole channel to send slower (a throughput error)."""
    reply_keyboard: Literal["shown", "removed"] | None = None
    """Telegram's phone keyboard went up or came down with this message (kept on the contact)."""
    uncertain: bool = False
    """A retry whose request may have reached the platform (no answer within the client's
    timeout): it is tried once more only, after `bot.sender.outcomes.UNCERTAIN_WAIT`."""


@dataclass(frozen=True)
class RateLimits:
    overall_per_second: float
    per_chat_interval: float = 0.0
    """Seconds between two messages to one chat (0: no per-chat limit)."""


@dataclass(frozen=True)
class OutgoingMessage:
    """An outbox row as the channel sees it."""

    id: int
    chat_id: str
    payload: dict[str, Any]
    priority: int
    attempts: int
    contact_last_inbound_at: Any = None
    reply_keyboard_at: Any = None
    """When the phone keyboard went up in this chat, if it is still up."""


Pacer = Callable[[str], Awaitable[None]]
"""Waits, within the channel's limits, before one more message to the chat (a row sent in parts)."""


class Transport(Protocol):
    """Sends outbox rows to the platform, one row per `send`."""

    channel: str
    limits: RateLimits

    async def send(self, message: OutgoingMessage, pace: Pacer) -> SendResult: ...

    async def aclose(self) -> None:
        """Closes its connections (at shutdown, after the sender stopped)."""


@dataclass(frozen=True)
class ChannelContext:
    """What the service hands a channel when it builds it."""

    settings: Settings
    db: Database
    engine: Engine
    metrics: Metrics
    limits: RateLimits
    window: SlidingWindow
    """The channel's overall rate window, shared with its sender: calls outside the outbox
    (acknowledging a pressed button) take a slot too."""
    wake: Callable[[], None]
    """Wakes the channel's sender (rows became due outside an inbound message)."""
    deliver: Callable[[str], Awaitable[None]]
    """Sends a chat's due rows now and returns when they are out (the terminal chat)."""


@dataclass
class Channel:
    """A channel as the service runs it."""

    name: str
    transport: Transport
    routes: APIRouter | None = None
    """Web routes it receives on (webhooks), added to the app."""
    run: Callable[[asyncio.Event], Coroutine[Any, Any, None]] | None = None
    """Its receiving loop or start-up work, run until the event is set."""


@dataclass(frozen=True)
class ChannelType:
    """One channel, declared: its name, its limits from the settings, how to build it."""

    name: str
    limits: Callable[[Settings], RateLimits]
    build: Callable[[ChannelContext], Channel]
    identity: Callable[[Settings], Awaitable[str | None]] | None = None
    """Looks up where people reach the bot on this channel (a username, a number), for session
    links; None: the channel has no such address."""
