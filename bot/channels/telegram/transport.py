"""Telegram's sending side: the Bot API client, and outbox rows turned into its calls.

`TelegramTransport` sends a row as the Bot API calls `render.plan` makes of it, and turns a Bot
API error into the sender's outcome: 429 waits its `retry_after`, 5xx and network errors retry
with backoff, 403 (blocked) marks the person unreachable, other 4xx fail. A row that failed
half-way goes on from the part that failed.

`TELEGRAM_API_URL` points the client at another Bot API server: a local one, or a test fake.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.channels.base import OutgoingMessage, Pacer, RateLimits, SendResult
from bot.channels.telegram.inbound import CHANNEL
from bot.channels.telegram.render import plan
from bot.settings import Settings

REQUEST_TIMEOUT = 30
"""Seconds any Bot API call but getUpdates may take before it counts as failed. A send without
an answer by then may have arrived: it is retried once only (bot/sender/outcomes.py)."""


def telegram_limits(settings: Settings) -> RateLimits:
    return RateLimits(
        overall_per_second=settings.telegram_overall_per_second,
        per_chat_interval=1.0 / settings.telegram_per_chat_per_second,
    )


def make_bot(settings: Settings, timeout: float = REQUEST_TIMEOUT) -> Bot:
    assert settings.telegram_bot_token
    server = TelegramAPIServer.from_base(settings.telegram_api_url)
    return Bot(settings.telegram_bot_token, session=AiohttpSession(api=server, timeout=timeout))


def result_of(exc: BaseException) -> SendResult:
    """The sender's outcome for a failed Bot API call."""
    error = f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"[:300]
    if isinstance(exc, TelegramRetryAfter):
        return SendResult("retry", retry_after=float(exc.retry_after), error=f"429 {exc.message}")
    if isinstance(exc, TelegramForbiddenError):
        return SendResult("unreachable", error=f"403 {exc.message}")
    if isinstance(exc, TelegramEntityTooLarge | TelegramMigrateToChat):
        return SendResult("failed", error=error)
    if isinstance(exc, TimeoutError) or (
        isinstance(exc, TelegramNetworkError) and "timeout" in str(exc.message).lower()
    ):
        return SendResult("retry", error=error, uncertain=True)  # the request may have arrived
    if isinstance(exc, TelegramServerError | TelegramNetworkError | ClientDecodeError):
        return SendResult("retry", error=error)
    if isinstance(exc, TelegramAPIError):  # any other 4xx: the request itself is wrong
        return SendResult("failed", error=error)
    return SendResult("retry", error=error)


class TelegramTransport:
    """Delivers outbox rows with the Bot API, one row per `send`."""

    channel = CHANNEL

    def __init__(self, bot: Bot, limits: RateLimits, form_url: str | None = None) -> None:
        self.bot = bot
        self.limits = limits
        self.form_url = form_url
        """The Mini App's address: a reply with the form gets a button that opens it there."""
        self._progress: dict[int, tuple[int, int | None]] = {}
        """Outbox row id → (steps done, last Telegram message id) of a row that failed half-way."""

    async def aclose(self) -> None:
        """Closes the Bot API client's HTTP session (at shutdown, after the sender stopped)."""
        await self.bot.session.close()

    async def send(self, message: OutgoingMessage, pace: Pacer) -> SendResult:
        payload = message.payload
        remove = self._keyboard_answered(message)
        steps = plan(payload, remove_reply_keyboard=remove, form_url=self.form_url)
        done, last_id = self._progress.pop(message.id, (0, None))
        chat: int | str = int(message.chat_id) if message.chat_id.lstrip("-").isdigit() else message.chat_id
        for index in range(done, len(steps)):
            step = steps[index]
            try:
                if index > 0:
                    await pace(message.chat_id)
                sent = await self.bot.send_message(chat_id=chat, text=step.text, reply_markup=step.markup)
                last_id = sent.message_id
            except Exception as exc:  # every failure becomes an outcome
                result = result_of(exc)
                if result.kind == "retry":
                    self._progress[message.id] = (index, last_id)
                elif message.reply_keyboard_at is not None:
                    result = replace(result, reply_keyboard="removed")
                return result
        keyboard: Literal["shown", "removed"] | None = None
        if payload.get("ask_phone"):
            keyboard = "shown"
        elif remove:
            keyboard = "removed"
        return SendResult(
            "sent", platform_message_id=str(last_id) if last_id is not None else None, reply_keyboard=keyboard
        )

    @staticmethod
    def _keyboard_answered(message: OutgoingMessage) -> bool:
        """True when the phone keyboard is up and the person has written since it went up."""
        shown_at = message.reply_keyboard_at
        if message.payload.get("ask_phone") or shown_at is None:
            return False
        last = message.contact_last_inbound_at
        return last is not None and last > shown_at
