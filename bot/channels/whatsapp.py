"""The WhatsApp channel's sending side: outbox rows to Cloud API calls through pywa.

`WhatsAppTransport.send` renders a row (`whatsapp_render`), picks free-form messages inside
the 24-hour customer service window and the configured template outside it, sends with
pywa's async client, and maps the Cloud API's errors to what the outbox sender does next:

| error | outcome |
|---|---|
| 130429 throughput, 4 / 80007 app rate limits, HTTP 429 | retry; the whole channel pauses (slow_down) |
| 131056 too many messages to one person | retry that chat after a pause |
| 131047 window closed | re-sent as the template; without one the row waits |
| 131048 spam rate limit, 5xx, transient, timeouts, network | retry with backoff |
| 0, 10, 190, 200-299 token or permission | retry with backoff (an operator must fix the token) |
| any other error | failed, recorded on the row |

pywa hard-codes the Graph host (it sets `session.base_url` to graph.facebook.com), so its
httpx client gets a transport (`GraphRouter`) that sends every request to
`{WHATSAPP_API_URL}/{WHATSAPP_API_VERSION}/...` instead: a local proxy, or the test fake.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from pywa_async import WhatsApp
from pywa_async.errors import WhatsAppError
from pywa_async.types import Button, Section, SectionList, SectionRow
from pywa_async.types.templates import TemplateLanguage

from bot.channels.aiohttp_transport import AiohttpTransport
from bot.channels.base import OutgoingMessage, Pacer, RateLimits, SendResult
from bot.channels.whatsapp_render import Buttons, ListMenu, Part, Text, render_reply, template_parameter
from bot.settings import Settings
from handlers.types import Priority
from storage.types import utcnow

log = logging.getLogger(__name__)

# pywa logs request bodies (phone numbers, message texts) at DEBUG: keep them out of our logs.
for _name in ("pywa", "pywa_async"):
    logging.getLogger(_name).setLevel(logging.INFO)

CHANNEL = "whatsapp"
WINDOW = timedelta(hours=24)
WINDOW_MARGIN = timedelta(minutes=5)
"""Our clock notes an inbound a little after the person sent it: stop free-form a bit early."""

FORCE_TEMPLATE = "_force_template"
"""Set on a payload when WhatsApp reported the window closed (131047) after it was sent."""

THROUGHPUT_ERRORS = frozenset({130429, 4, 80007})
PAIR_RATE_ERROR = 131056
WINDOW_CLOSED_ERROR = 131047
TRANSIENT_ERRORS = frozenset({1, 2, 131000, 131016, 131048, 133004})
TOKEN_ERRORS = frozenset({0, 10, 190})
MAX_THROUGHPUT_PAUSE = 60.0


@dataclass(frozen=True)
class TemplateConfig:
    name: str
    language: str
    variable: str
    """The environment variable that names it, for messages to the operator."""


def templates_from(settings: Settings) -> dict[int, TemplateConfig | None]:
    """Which template carries a message of each priority outside the window."""
    notification = (
        TemplateConfig(
            settings.whatsapp_template_notification,
            settings.whatsapp_template_notification_language,
            "WHATSAPP_TEMPLATE_NOTIFICATION",
        )
        if settings.whatsapp_template_notification
        else None
    )
    broadcast = (
        TemplateConfig(
            settings.whatsapp_template_broadcast,
            settings.whatsapp_template_broadcast_language,
            "WHATSAPP_TEMPLATE_BROADCAST",
        )
        if settings.whatsapp_template_broadcast
        else None
    )
    # A reply still unsent a day after the question is, by then, a notification.
    return {Priority.REPLY: notification, Priority.NOTIFICATION: notification, Priority.BROADCAST: broadcast}


def template_for(settings: Settings, priority: int) -> TemplateConfig | None:
    return templates_from(settings).get(min(int(priority), int(Priority.BROADCAST)))


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    return last_inbound_at is not None and now - last_inbound_at < WINDOW - WINDOW_MARGIN


def http_connections(per_second: float) -> int:
    """Requests to the Graph API at once, each on a connection kept open: a tenth of a second's
    worth of the configured rate (the Graph API answers in 100-200 ms), at least 16.

    Unbounded, the sender had hundreds in flight during a broadcast, and httpcore's pool looks at
    every connection and every queued request for each request it places; httpx's default also
    kept only 20 connections open, opening and closing one for every request beyond them. On
    the 2-core bench machine, 16 carried 200 messages/s where 32 or more slowed it down (with
    httpcore; the requests now travel over aiohttp, see `AiohttpTransport`)."""
    return max(16, math.ceil(per_second / 10))


class GraphRouter(httpx.AsyncBaseTransport):
    """Sends pywa's Graph API requests to `{api_url}/{version}/...` instead of graph.facebook.com."""

    def __init__(
        self, api_url: str, version: str, inner: httpx.AsyncBaseTransport | None = None, connections: int = 16
    ) -> None:
        self.root = httpx.URL(api_url.rstrip("/") + "/")
        self.version = version
        self.inner = inner or AiohttpTransport(connections)
        self._slots = asyncio.Semaphore(connections)

    def rewrite(self, url: httpx.URL) -> httpx.URL:
        segments = url.path.lstrip("/").split("/", 1)
        rest = segments[1] if len(segments) == 2 and segments[0].startswith("v") else url.path.lstrip("/")
        base = self.root.path.rstrip("/")
        return self.root.copy_with(path=f"{base}/{self.version}/{rest}", query=url.query or None)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = self.rewrite(request.url)
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]
        routed = httpx.Request(
            request.method,
            url,
            headers=[(b"Host", url.netloc), *headers],
            stream=request.stream,
            extensions=request.extensions,
        )
        async with self._slots:
            return await self.inner.handle_async_request(routed)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _language(config: TemplateConfig) -> TemplateLanguage:
    try:
        return TemplateLanguage(config.language)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{config.variable}_LANGUAGE: {config.language!r} is not a WhatsApp template language"
        ) from exc


def whatsapp_limits(settings: Settings) -> RateLimits:
    return RateLimits(
        overall_per_second=settings.whatsapp_per_second,
        per_chat_interval=settings.whatsapp_per_chat_interval,
    )


class WhatsAppTransport:
    """Delivers WhatsApp outbox rows with pywa's async client."""

    channel = CHANNEL

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        http_transport: httpx.AsyncBaseTransport | None = None,
        pair_rate_pause: float = 6.0,
        throughput_pause: float = 1.0,
    ) -> None:
        assert settings.whatsapp_phone_number_id and settings.whatsapp_access_token
        self.limits = whatsapp_limits(settings)
        self.settings = settings
        self.clock = clock
        self.pair_rate_pause = pair_rate_pause
        self.throughput_pause = throughput_pause
        self.templates = templates_from(settings)
        self._languages = {
            priority: _language(config) for priority, config in self.templates.items() if config is not None
        }
        self.http = httpx.AsyncClient(
            transport=GraphRouter(
                settings.whatsapp_api_url,
                settings.whatsapp_api_version,
                inner=http_transport,
                connections=http_connections(self.limits.overall_per_second),
            ),
            timeout=httpx.Timeout(20.0, connect=5.0),
        )
        self.wa = WhatsApp(
            phone_id=settings.whatsapp_phone_number_id,
            token=settings.whatsapp_access_token,
            session=self.http,
            api_version=settings.whatsapp_api_version.removeprefix("v"),
        )
        self._progress: dict[int, int] = {}
        """Outbox row id → parts already sent, so a retry does not repeat them."""

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(self, message: OutgoingMessage, pace: Pacer) -> SendResult:
        if message.payload.get(FORCE_TEMPLATE) or not window_open(
            message.contact_last_inbound_at, self.clock()
        ):
            return await self._send_template(message)
        parts = render_reply(message.payload)
        if not parts:
            return SendResult("failed", error="empty message")
        done = self._progress.get(message.id, 0)
        last_id: str | None = None
        for index in range(done, len(parts)):
            if index > 0:
                await pace(message.chat_id)
            try:
                last_id = await self._send_part(message.chat_id, parts[index])
            except WhatsAppError as exc:
                if exc.code == WINDOW_CLOSED_ERROR:
                    self._progress.pop(message.id, None)
                    return await self._send_template(message)
                return self._finish(message, self._classify(exc, message))
            except httpx.HTTPError as exc:
                return self._finish(message, SendResult("retry", error=f"network: {type(exc).__name__}"))
            self._progress[message.id] = index + 1
        return self._finish(message, SendResult("sent", platform_message_id=last_id))

    def _finish(self, message: OutgoingMessage, result: SendResult) -> SendResult:
        if result.kind != "retry":
            self._progress.pop(message.id, None)
        return result

    async def _send_part(self, to: str, part: Part) -> str:
        if isinstance(part, Text):
            sent = await self.wa.send_message(to=to, text=part.body)
        elif isinstance(part, Buttons):
            sent = await self.wa.send_message(
                to=to,
                text=part.body,
                buttons=[Button(title=title, callback_data=reply_id) for reply_id, title in part.buttons],
            )
        elif isinstance(part, ListMenu):
            sent = await self.wa.send_message(
                to=to,
                text=part.body,
                buttons=SectionList(
                    button_title=part.button,
                    sections=[
                        Section(
                            title=part.section,
                            rows=[
                                SectionRow(title=r.title, callback_data=r.id, description=r.description)
                                for r in part.rows
                            ],
                        )
                    ],
                ),
            )
        else:  # pragma: no cover - the renderer makes only the three kinds above
            raise TypeError(f"unknown part {part!r}")
        return str(sent.id)

    async def _send_template(self, message: OutgoingMessage) -> SendResult:
        priority = min(int(message.priority), int(Priority.BROADCAST))
        config = self.templates.get(priority)
        if config is None:
            kind = "broadcast" if priority == Priority.BROADCAST else "notification"
            variable = f"WHATSAPP_TEMPLATE_{kind.upper()}"
            return SendResult(
                "wait", error=f"24-hour window closed and no {kind} template is configured ({variable})"
            )
        try:
            sent = await self.wa.send_template(
                to=message.chat_id,
                name=config.name,
                language=self._languages[priority],
                params=[
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": template_parameter(message.payload)}],
                    }
                ],
            )
        except WhatsAppError as exc:
            return self._finish(message, self._classify(exc, message))
        except httpx.HTTPError as exc:
            return SendResult("retry", error=f"network: {type(exc).__name__}")
        return self._finish(message, SendResult("sent", platform_message_id=str(sent.id)))

    def _classify(self, exc: WhatsAppError, message: OutgoingMessage) -> SendResult:
        code = exc.code
        status = exc.status_code or 0
        error = f"{code} {exc.message}"[:300]
        if code in THROUGHPUT_ERRORS or status == 429:
            pause = min(MAX_THROUGHPUT_PAUSE, self.throughput_pause * 2 ** max(0, message.attempts - 1))
            log.warning("WhatsApp throughput limit (%s): pausing the channel for %.1fs", code, pause)
            return SendResult("retry", retry_after=pause, slow_down=True, error=error)
        if code == PAIR_RATE_ERROR:
            return SendResult("retry", retry_after=self.pair_rate_pause, error=error)
        if code == WINDOW_CLOSED_ERROR:  # a template itself refused as outside the window
            return SendResult("wait", error=error)
        if code in TRANSIENT_ERRORS or exc.is_transient or status >= 500:
            return SendResult("retry", error=error)
        if code in TOKEN_ERRORS or 200 <= code < 300:
            log.error("WhatsApp refused the token or its permissions (%s): check WHATSAPP_ACCESS_TOKEN", code)
            return SendResult("retry", error=error)
        return SendResult("failed", error=error)


def graph_error_summary(errors: list[dict[str, Any]]) -> str:
    """'131047 Re-engagement message' from a status callback's errors."""
    parts = (f"{e.get('code')} {e.get('title') or e.get('message') or ''}".strip() for e in errors)
    return "; ".join(parts)[:300]
