"""The WhatsApp channel's receiving side: `GET` and `POST /webhook/whatsapp`.

GET answers Meta's subscription handshake. POST checks `X-Hub-Signature-256` (HMAC-SHA256 of
the raw body with the app secret) before anything else (missing: 401, wrong: 403), refuses
bodies over `MAX_BODY` (413), then reads the body (inbound.py): messages become `Inbound`s for
the engine, in order (one transaction each; a redelivered wamid changes nothing), status
callbacks update the outbox row they belong to. It answers 200 once that is committed; sending
is the outbox sender's job.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.routing import Route

from bot.channels.base import Channel, ChannelContext
from bot.channels.cleaning import load_json
from bot.channels.forms import native_form
from bot.channels.whatsapp.flow_endpoint import PATH as FLOW_PATH
from bot.channels.whatsapp.flow_endpoint import FlowEndpoint
from bot.channels.whatsapp.inbound import CHANNEL, StatusUpdate, WebhookBatch, parse_body
from bot.channels.whatsapp.signature import SIGNATURE_HEADER, signature_valid
from bot.channels.whatsapp.templates import FORCE_TEMPLATE, WINDOW_CLOSED_ERROR, template_for
from bot.channels.whatsapp.transport import WhatsAppTransport
from bot.settings import Settings
from handlers.engine import Engine
from handlers.enrol.native import NativeForm
from storage import outbox
from storage.db import Database
from storage.errors import TransientError
from storage.types import utcnow

log = logging.getLogger(__name__)

PATH = "/webhook/whatsapp"
MAX_BODY = 1024 * 1024
"""Meta's webhook bodies are a few kilobytes; anything near a megabyte is not from Meta."""

DELIVERY_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


def graph_error_summary(errors: list[dict[str, Any]]) -> str:
    """'131047 Re-engagement message' from a status callback's errors."""
    parts = (f"{e.get('code')} {e.get('title') or e.get('message') or ''}".strip() for e in errors)
    return "; ".join(parts)[:300]


class WhatsAppWebhook:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        engine: Engine,
        *,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utcnow,
        forms: NativeForm | None = None,
    ) -> None:
        assert settings.whatsapp_app_secret, "WhatsApp needs WHATSAPP_APP_SECRET"
        self.settings = settings
        self.forms = forms
        self.secret: str = settings.whatsapp_app_secret
        self.db = db
        self.engine = engine
        self.wake = wake
        self.clock = clock
        if not settings.whatsapp_verify_token:
            log.warning("WHATSAPP_VERIFY_TOKEN is not set: Meta's webhook handshake will be refused")

    def handshake(self, params: dict[str, str]) -> Response:
        token = self.settings.whatsapp_verify_token
        given = params.get("hub.verify_token", "")
        if (
            params.get("hub.mode") == "subscribe"
            and token
            and hmac.compare_digest(given.encode(), token.encode())
            and "hub.challenge" in params
        ):
            return PlainTextResponse(params["hub.challenge"])
        log.warning("refused a WhatsApp webhook handshake (wrong mode or verify token)")
        return PlainTextResponse("forbidden", status_code=403)

    async def receive(self, request: Request) -> Response:
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            return PlainTextResponse("missing signature", status_code=401)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return PlainTextResponse("body too large", status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return PlainTextResponse("body too large", status_code=413)
        if not signature_valid(self.secret, bytes(body), header):
            log.warning("refused a WhatsApp webhook with a wrong signature")
            return PlainTextResponse("wrong signature", status_code=403)
        try:
            batch = parse_body(load_json(bytes(body)), self.settings.whatsapp_phone_number_id)
        except ValueError:
            return PlainTextResponse("malformed body", status_code=400)
        try:
            await self.process(batch)
        except TransientError:  # the database is busy or away: Meta delivers the body again later
            return PlainTextResponse("try again", status_code=503)
        return PlainTextResponse("ok")

    async def process(self, batch: WebhookBatch) -> None:
        """Runs the messages through the engine, in order, then applies the statuses.

        An exception (the database is down) answers 500, so Meta delivers the body again;
        the messages already committed are then recognised by their wamid.
        """
        for inbound in batch.inbounds:
            # A Flow's completion goes to the enrolment's form path; without a Flow set up it
            # is a message like any other the bot cannot read.
            take = self.forms.take if inbound.kind == "form" and self.forms is not None else None
            await self.engine.handle(inbound, take)
        if batch.statuses:
            await self.apply_statuses(batch.statuses)

    async def apply_statuses(self, statuses: list[StatusUpdate]) -> None:
        requeued = False
        now = self.clock()
        async with self.db.transaction() as session:
            for update in statuses:
                row = await outbox.outbox_by_platform_id(session, CHANNEL, update.message_id)
                if row is None:
                    continue
                if update.status == "failed":
                    error = graph_error_summary(list(update.errors)) or "failed"
                    outbox.log_attempt(row, now, "undelivered", error)
                    if WINDOW_CLOSED_ERROR in update.error_codes and row.status == "sent":
                        # WhatsApp found the 24-hour window closed: send it again as a template.
                        if template_for(self.settings, row.priority) is not None:
                            row.payload = {**row.payload, FORCE_TEMPLATE: True}
                            row.status = "pending"
                            row.next_attempt_at = now
                            row.platform_message_id = None
                            row.delivery_status = None
                            requeued = True
                            continue
                        row.status = "waiting"
                if DELIVERY_RANK.get(update.status, 0) > DELIVERY_RANK.get(row.delivery_status or "", 0):
                    row.delivery_status = update.status
        if requeued:
            self.wake()


def whatsapp_routes(webhook: WhatsAppWebhook, flow: FlowEndpoint | None = None) -> APIRouter:
    router = APIRouter()

    if flow is not None:
        router.routes.append(Route(FLOW_PATH, flow.receive, methods=["POST"], include_in_schema=False))

    @router.get(PATH, include_in_schema=False)
    async def whatsapp_handshake(request: Request) -> Response:
        return webhook.handshake(dict(request.query_params))

    # Plain Starlette routes: no dependency layer on the path every message takes
    # (bot/webhook_shortcut.py).
    router.routes.append(Route(PATH, webhook.receive, methods=["POST"], include_in_schema=False))
    return router


def build_channel(context: ChannelContext) -> Channel:
    """The channel as the service runs it: the transport, the webhook's routes and, with a Flow
    key set, the Flow's data endpoint."""
    settings = context.settings
    forms = native_form(context.engine) if settings.whatsapp_flow_enabled else None
    webhook = WhatsAppWebhook(settings, context.db, context.engine, wake=context.wake, forms=forms)
    flow = FlowEndpoint(settings, context.db, context.engine, forms) if forms is not None else None
    return Channel(CHANNEL, WhatsAppTransport(settings), routes=whatsapp_routes(webhook, flow))
