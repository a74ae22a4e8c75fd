"""The console's sending side: each reply printed with its options as numbered lines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.channels.base import OutgoingMessage, Pacer, RateLimits, SendResult

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
