"""What a channel provides to the outbox sender."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

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


class Transport(Protocol):
    channel: str
    limits: RateLimits

    async def send(self, message: OutgoingMessage) -> SendResult: ...
