"""The WhatsApp channel's sending side: outbox rows to Cloud API calls through pywa.

`WhatsAppTransport.send` renders a row (render.py), picks free-form messages inside the 24-hour
customer service window and the configured template outside it (templates.py), sends with
pywa's async client (its requests routed by graph_router.py), and maps the Cloud API's errors to
what the outbox sender does next:

| error | outcome |
|---|---|
| 130429 throughput, 4 / 80007 app rate limits, HTTP 429 | retry; the whole channel pauses (slow_down) |
| 131056 too many messages to one person | retry that chat after a pause |
| 131047 window closed | re-sent as the template; without one the row waits |
| 131048 spam rate limit, 5xx, transient, timeouts, network | retry with backoff |
| 0, 10, 190, 200-299 token or permission | retry with backoff (an operator must fix the token) |
| any other error | failed, recorded on the row |
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import cached_property

import httpx
from pywa_async import WhatsApp
from pywa_async.errors import WhatsAppError
from pywa_async.types import Button, FlowButton, Section, SectionList, SectionRow
from pywa_async.types.flows import FlowActionType

from bot.channels.base import OutgoingMessage, Pacer, RateLimits, SendResult
from bot.channels.whatsapp.flow_json import flow_name, flow_text
from bot.channels.whatsapp.graph_router import GraphRouter, http_connections
from bot.channels.whatsapp.inbound import CHANNEL
from bot.channels.whatsapp.render import (
    Buttons,
    FlowMessage,
    ListMenu,
    Part,
    Text,
    render_reply,
    template_parameter,
)
from bot.channels.whatsapp.templates import (
    AGENT_TEMPLATE,
    FORCE_TEMPLATE,
    WINDOW_CLOSED_ERROR,
    agent_template,
    template_language,
    templates_from,
    window_open,
)
from bot.settings import Settings
from handlers.types import Priority
from storage.types import utcnow

log = logging.getLogger(__name__)

# pywa logs request bodies (phone numbers, message texts) at DEBUG: keep them out of our logs.
for _name in ("pywa", "pywa_async"):
    logging.getLogger(_name).setLevel(logging.INFO)

THROUGHPUT_ERRORS = frozenset({130429, 4, 80007})
PAIR_RATE_ERROR = 131056
TRANSIENT_ERRORS = frozenset({1, 2, 131000, 131016, 131048, 133004})
TOKEN_ERRORS = frozenset({0, 10, 190})
MAX_THROUGHPUT_PAUSE = 60.0


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
            priority: template_language(config)
            for priority, config in self.templates.items()
            if config is not None
        }
        self.agent_template = agent_template(settings)
        self._agent_language = template_language(self.agent_template) if self.agent_template else None
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

    @cached_property
    def flow_name(self) -> str:
        """The published name of the Flow this code describes (`bpu-bot whatsapp flow publish`)."""
        return flow_name(flow_text())

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
        elif isinstance(part, FlowMessage):
            sent = await self.wa.send_message(
                to=to,
                text=part.body,
                buttons=FlowButton(
                    title=part.button,
                    flow_name=self.flow_name,
                    flow_token=part.token,
                    flow_action_type=FlowActionType.DATA_EXCHANGE,
                ),
            )
        else:  # pragma: no cover - the renderer makes only the kinds above
            raise TypeError(f"unknown part {part!r}")
        return str(sent.id)

    async def _send_template(self, message: OutgoingMessage) -> SendResult:
        priority = min(int(message.priority), int(Priority.BROADCAST))
        config = self.templates.get(priority)
        language = self._languages.get(priority)
        if message.payload.get("template") == AGENT_TEMPLATE and self.agent_template is not None:
            config, language = self.agent_template, self._agent_language
        if config is None or language is None:
            kind = "broadcast" if priority == Priority.BROADCAST else "notification"
            variable = f"WHATSAPP_TEMPLATE_{kind.upper()}"
            return SendResult(
                "wait", error=f"24-hour window closed and no {kind} template is configured ({variable})"
            )
        try:
            sent = await self.wa.send_template(
                to=message.chat_id,
                name=config.name,
                language=language,
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
