"""Telegram's receiving side (aiogram 3): updates in by long polling or webhook.

Each update becomes one `Inbound` (see inbound.py) and one engine transaction. Long polling
when `TELEGRAM_WEBHOOK_URL` is unset (the offset moves on only after the engine committed);
otherwise the webhook is registered at start-up with `TELEGRAM_WEBHOOK_SECRET` and
`POST /webhook/telegram` takes the updates. A pressed button is answered and its keyboard
taken off the old message right after the transaction, each call taking a slot of the
channel's rate window like any message. Replies go out through the outbox sender and
`TelegramTransport` (transport.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, cast

from aiogram.exceptions import (
    AiogramError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand, CallbackQuery, Message, Update
from fastapi import APIRouter
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.base import Channel, ChannelContext
from bot.channels.cleaning import clean_fields, load_json
from bot.channels.forms import native_form
from bot.channels.telegram.inbound import CHANNEL, to_inbound
from bot.channels.telegram.lenient import RawGetUpdates, parse_update, readable_updates
from bot.channels.telegram.transport import TelegramTransport, make_bot, telegram_limits
from bot.channels.telegram.webapp import MiniApp, webapp_routes
from bot.metrics import Metrics
from bot.ratelimit import SlidingWindow
from bot.settings import Settings
from handlers.engine import Engine
from messages.render import labels
from storage.errors import TransientError
from storage.types import utcnow

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
POLL_TIMEOUT = 25
"""Seconds a getUpdates call waits for news."""
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/webhook/telegram"
MAX_STARTUP_BACKOFF = 60.0


class TelegramChannel:
    """The Bot API client, the update receiver (polling or webhook) and the transport."""

    def __init__(
        self, settings: Settings, engine: Engine, window: SlidingWindow, metrics: Metrics | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.metrics = metrics
        self.window = window
        self.bot = make_bot(settings)
        self.transport = TelegramTransport(self.bot, telegram_limits(settings), settings.telegram_webapp_url)
        self.webhook_url = settings.telegram_webhook_url
        self.webhook_secret = settings.telegram_webhook_secret
        self._tasks: set[asyncio.Task[Any]] = set()
        self.offset: int | None = None

    @property
    def webhook_mode(self) -> bool:
        return bool(self.webhook_url)

    # --- start-up and the polling loop -------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Registers the webhook (or removes it and polls) and the command menu, until `stop`."""
        try:
            if self.webhook_mode:
                assert self.webhook_url
                await self._until_done(stop, "setWebhook", self._set_webhook)
            else:
                await self._until_done(stop, "deleteWebhook", lambda: self.bot.delete_webhook())
            self._spawn(self._until_done(stop, "setMyCommands", self._set_commands))
            if self.webhook_mode:
                await stop.wait()
            else:
                log.info("telegram: long polling %s", self.settings.telegram_api_url)
                await self.poll(stop)
        finally:
            await self.drain()

    async def _set_webhook(self) -> None:
        assert self.webhook_url
        await self.bot.set_webhook(
            url=self.webhook_url, secret_token=self.webhook_secret, allowed_updates=ALLOWED_UPDATES
        )
        log.info("telegram: webhook registered")

    async def _set_commands(self) -> None:
        commands = labels().get("telegram_commands", {})
        await self.bot.set_my_commands(
            [BotCommand(command=name, description=text) for name, text in commands.items()]
        )

    async def _until_done(self, stop: asyncio.Event, what: str, call: Callable[[], Awaitable[Any]]) -> None:
        """Retries a start-up call with backoff while the Bot API is unreachable."""
        delay = 1.0
        while not stop.is_set():
            try:
                await call()
                return
            except TelegramRetryAfter as exc:
                delay = float(exc.retry_after)
            except (TelegramBadRequest, TelegramUnauthorizedError) as exc:
                log.error("telegram: %s refused: %s (check the settings)", what, exc.message)
                return
            except (AiogramError, OSError, TimeoutError) as exc:
                log.warning("telegram: %s failed (%s), retrying in %.0f s", what, exc, delay)
            if await _stopped(stop, delay):
                return
            delay = min(delay * 2, MAX_STARTUP_BACKOFF)

    async def poll(self, stop: asyncio.Event) -> None:
        """Long polling: fetch, process in order per chat, then confirm by moving the offset."""
        delay = 1.0
        while not stop.is_set():
            request = asyncio.ensure_future(
                self.bot(
                    RawGetUpdates(offset=self.offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES),
                    request_timeout=POLL_TIMEOUT + 10,
                )
            )
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not request.done():
                request.cancel()
                await asyncio.gather(request, return_exceptions=True)
                break
            try:
                raw_updates = cast(list[dict[str, Any]], request.result())  # see RawGetUpdates
            except TelegramRetryAfter as exc:
                await _stopped(stop, float(exc.retry_after))
                continue
            except TelegramConflictError as exc:
                log.warning("telegram: getUpdates conflict (%s): another poller or a webhook?", exc.message)
                await self._until_done(stop, "deleteWebhook", lambda: self.bot.delete_webhook())
                await _stopped(stop, delay)
                continue
            except (AiogramError, OSError, TimeoutError) as exc:
                log.warning("telegram: getUpdates failed (%s), retrying in %.0f s", exc, delay)
                await _stopped(stop, delay)
                delay = min(delay * 2, MAX_STARTUP_BACKOFF)
                continue
            delay = 1.0
            if not raw_updates:
                continue
            updates = readable_updates(raw_updates, {"bot": self.bot})
            try:
                await self.process_batch(updates)
            except TransientError:  # the database is busy or away: fetch the same updates again
                log.warning("telegram: %d updates will be fetched again (database busy)", len(updates))
                await _stopped(stop, delay)
                continue
            except Exception:
                log.exception("telegram: %d updates failed; they will be fetched again", len(updates))
                await _stopped(stop, delay)
                continue
            self.offset = max(int(raw.get("update_id", 0)) for raw in raw_updates) + 1
        await self._confirm_offset()

    async def _confirm_offset(self) -> None:
        """Tells Telegram what was processed, so a restart does not fetch it again."""
        if self.offset is None:
            return
        with contextlib.suppress(AiogramError, OSError, TimeoutError):  # a restart's repeats are dropped
            await self.bot.get_updates(offset=self.offset, timeout=0, limit=1, request_timeout=5)

    async def process_batch(self, updates: Iterable[Update]) -> None:
        """Processes updates, each chat's in order, different chats side by side."""
        by_chat: dict[str, list[Update]] = {}
        for update in updates:
            by_chat.setdefault(_chat_key(update), []).append(update)

        async def in_order(chat_updates: list[Update]) -> None:
            for update in chat_updates:
                await self.process(update)

        results = await asyncio.gather(*(in_order(u) for u in by_chat.values()), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]

    # --- one update ----------------------------------------------------------------------

    async def process(self, update: Update) -> str:
        """Runs the engine on one update; returns processed, duplicate or ignored."""
        inbound = to_inbound(update, utcnow())
        if inbound is not None:
            inbound = clean_fields(inbound)
        if inbound is None:
            self._count("ignored")
            return "ignored"
        outcome = await self.engine.handle(inbound)
        if outcome.duplicate:
            self._count("duplicate")
            return "duplicate"
        if update.callback_query is not None:
            self._spawn(self._acknowledge(update.callback_query))
        return "processed"

    async def _acknowledge(self, query: CallbackQuery) -> None:
        """Stops the button's spinner and takes the keyboard off the pressed message."""
        await self._within_limits(
            "answerCallbackQuery", self.bot.answer_callback_query(callback_query_id=query.id)
        )
        message = query.message
        if isinstance(message, Message) and message.reply_markup is not None:
            await self._within_limits(
                "removing a pressed keyboard",
                self.bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=message.message_id),
            )

    async def _within_limits(self, what: str, call: Awaitable[Any]) -> None:
        """One Bot API call outside the outbox, in a slot of the channel's rate window."""
        await self.window.acquire()
        try:
            await call
        except (AiogramError, OSError, TimeoutError) as exc:
            log.info("telegram: %s failed: %s", what, exc)
        finally:
            self.window.release()

    def secret_ok(self, given: str | None) -> bool:
        if not self.webhook_secret or given is None:
            return False
        return hmac.compare_digest(given.encode(), self.webhook_secret.encode())

    # --- housekeeping --------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.inbound.labels(CHANNEL, outcome).inc()

    async def drain(self) -> None:
        """Lets pending button acknowledgements finish (for a few seconds at most)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5.0)
        for task in list(self._tasks):
            task.cancel()


def _chat_key(update: Update) -> str:
    if update.callback_query is not None:
        return str(update.callback_query.from_user.id)
    if update.message is not None:
        return str(update.message.chat.id)
    return f"update:{update.update_id}"


async def _stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Waits `seconds`, or less when `stop` is set; returns whether it was."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=max(seconds, 0.0))
    except TimeoutError:
        return False
    return True


def webhook_router(channel: TelegramChannel) -> APIRouter:
    """`POST /webhook/telegram`: the secret header, then one engine transaction, then 200."""
    router = APIRouter()

    async def telegram_webhook(request: Request) -> Response:
        if not channel.secret_ok(request.headers.get(SECRET_HEADER)):
            return JSONResponse({"ok": False, "error": "wrong secret token"}, status_code=401)
        try:
            data = load_json(await request.body())
            update = parse_update(data, context={"bot": channel.bot})
        except (ValueError, ValidationError, RecursionError):
            return JSONResponse({"ok": False, "error": "not a Telegram update"}, status_code=400)
        try:
            await channel.process(update)
        except TransientError:  # the database is busy or away: Telegram delivers it again later
            return JSONResponse({"ok": False, "error": "try again"}, status_code=503)
        except Exception:
            log.exception("telegram: webhook update %s failed", update.update_id)
            return JSONResponse({"ok": False}, status_code=500)
        return JSONResponse({"ok": True})

    # A plain Starlette route: no dependency layer on the path every message takes
    # (bot/webhook_shortcut.py).
    router.routes.append(Route(PATH, telegram_webhook, methods=["POST"], include_in_schema=False))
    return router


def build_channel(context: ChannelContext) -> Channel:
    """The channel as the service runs it: the transport, the webhook route (in webhook mode), the
    Mini App (with its address set) and the loop (webhook registration or long polling, and the
    command menu)."""
    settings = context.settings
    channel = TelegramChannel(settings, context.engine, context.window, context.metrics)
    routes = APIRouter()
    if channel.webhook_mode:
        routes.include_router(webhook_router(channel))
    if settings.telegram_webapp_enabled:
        routes.include_router(webapp_routes(MiniApp(settings, context.engine, native_form(context.engine))))
    return Channel(CHANNEL, channel.transport, routes=routes if routes.routes else None, run=channel.run)
