"""The WhatsApp channel's receiving side: `GET` and `POST /webhook/whatsapp`.

GET answers Meta's subscription handshake. POST checks `X-Hub-Signature-256` (HMAC-SHA256 of
the raw body with the app secret) before anything else (missing: 401, wrong: 403), refuses
bodies over `MAX_BODY` (413), then takes every entry, change and message of the body in
order: messages become `Inbound`s for the engine (one transaction each; a redelivered wamid
changes nothing), status callbacks update the outbox row they belong to. It answers 200 once
that is committed; sending is the outbox sender's job.

The body is read as plain JSON rather than through pywa's update types: the adapter needs
a handful of fields, must never drop a message of a batch, and must not depend on pywa's
handler machinery to dedupe (the database does that, across restarts and workers).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from bot.channels.base import Channel, ChannelContext, ChannelType
from bot.channels.cleaning import load_json
from bot.channels.whatsapp import (
    CHANNEL,
    FORCE_TEMPLATE,
    WINDOW_CLOSED_ERROR,
    WhatsAppTransport,
    graph_error_summary,
    template_for,
    whatsapp_limits,
)
from bot.settings import Settings
from handlers.engine import Engine
from handlers.types import Inbound
from storage import outbox
from storage.db import Database
from storage.errors import TransientError
from storage.types import utcnow

log = logging.getLogger(__name__)

PATH = "/webhook/whatsapp"
MAX_BODY = 1024 * 1024
"""Meta's webhook bodies are a few kilobytes; anything near a megabyte is not from Meta."""

SIGNATURE_HEADER = "x-hub-signature-256"
IGNORED_TYPES = frozenset({"reaction", "system", "request_welcome"})
"""Message types that are not something the person said to the bot: no reply."""

DELIVERY_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


def sign(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value Meta sends with `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    """Constant-time check of the header against the body.

    pywa's `webhook_updates_validator` compares `str`s, which raises on a non-ASCII header
    (a 500 for a forged request); comparing bytes refuses it like any wrong signature.
    """
    expected = sign(secret, body).encode()
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str
    status: str
    errors: tuple[dict[str, Any], ...] = ()

    @property
    def error_codes(self) -> set[int]:
        codes = set()
        for error in self.errors:
            try:
                codes.add(int(error.get("code")))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
        return codes


@dataclass
class WebhookBatch:
    inbounds: list[Inbound] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _timestamp(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return utcnow()


def _text(content: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "text", "text": str(content.get("body") or "")}


def _interactive(content: dict[str, Any]) -> dict[str, Any]:
    """A tapped reply button or list row; any other interactive message is not an answer."""
    reply_type = content.get("type")
    reply = content.get(reply_type) if reply_type in ("button_reply", "list_reply") else None
    if isinstance(reply, dict) and reply.get("id"):
        return {"kind": "option", "option_id": str(reply["id"]), "text": reply.get("title")}
    return {"kind": "media", "media_type": "interactive"}


def _template_button(content: dict[str, Any]) -> dict[str, Any]:
    """A template's quick-reply button: what it says is the answer."""
    return {"kind": "text", "text": str(content.get("text") or content.get("payload") or "")}


def _media(kind: str, content: dict[str, Any]) -> dict[str, Any]:
    media_type = "voice" if kind == "audio" and content.get("voice") else kind
    return {"kind": "media", "media_type": media_type}


CONTENT_READERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "text": _text,
    "interactive": _interactive,
    "button": _template_button,
}


def _text_field(value: Any) -> str:
    """The value when it is a string, else "" (a malformed field reads as missing)."""
    return value if isinstance(value, str) else ""


def _inbound(message: dict[str, Any], names: dict[str, str]) -> Inbound | None:
    """One message as an `Inbound`; None for one without an id or sender, or not said to the bot."""
    wamid = _text_field(message.get("id"))
    sender = _text_field(message.get("from") or message.get("from_user_id"))
    kind = _text_field(message.get("type"))
    if not (wamid and sender and kind) or kind in IGNORED_TYPES:
        return None
    found = message.get(kind)
    content: dict[str, Any] = found if isinstance(found, dict) else {}
    read = CONTENT_READERS.get(kind, lambda found: _media(kind, found))
    return Inbound(
        channel=CHANNEL,
        chat_id=sender,
        message_id=wamid,
        at=_timestamp(message.get("timestamp")),
        sender_phone=f"+{sender}" if sender.isdigit() else None,
        sender_name=names.get(sender),
        **read(content),
    )


def _status(status: dict[str, Any]) -> StatusUpdate | None:
    if isinstance(status.get("id"), str) and isinstance(status.get("status"), str):
        return StatusUpdate(status["id"], status["status"], tuple(_dicts(status.get("errors"))))
    return None


def _profile_names(value: dict[str, Any]) -> dict[str, str]:
    """The senders' profile names, by WhatsApp id (and by user id where one is given)."""
    names: dict[str, str] = {}
    for contact in _dicts(value.get("contacts")):
        profile = contact.get("profile")
        name = profile.get("name") if isinstance(profile, dict) else None
        if name:
            names.update({str(contact[key]): str(name) for key in ("wa_id", "user_id") if contact.get(key)})
    return names


def _message_values(data: dict[str, Any], phone_number_id: str | None) -> Iterator[dict[str, Any]]:
    """The `value` of every "messages" change of every entry, for our phone number, in order."""
    for entry in _dicts(data.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            target = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
            if phone_number_id and target and str(target) != phone_number_id:
                log.info("skipped a WhatsApp change for another phone number id")
                continue
            yield value


def parse_body(data: Any, phone_number_id: str | None = None) -> WebhookBatch:
    """Every message and status of every entry and change, in order.

    Changes for another phone number of the same WhatsApp Business Account are skipped.
    """
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    batch = WebhookBatch()
    if data.get("object") != "whatsapp_business_account":
        return batch
    for value in _message_values(data, phone_number_id):
        names = _profile_names(value)
        batch.inbounds += [i for m in _dicts(value.get("messages")) if (i := _inbound(m, names))]
        batch.statuses += [u for s in _dicts(value.get("statuses")) if (u := _status(s))]
    return batch


class WhatsAppWebhook:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        engine: Engine,
        *,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        assert settings.whatsapp_app_secret, "WhatsApp needs WHATSAPP_APP_SECRET"
        self.settings = settings
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
            await self.engine.handle(inbound)
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


def whatsapp_routes(webhook: WhatsAppWebhook) -> APIRouter:
    router = APIRouter()

    @router.get(PATH, include_in_schema=False)
    async def whatsapp_handshake(request: Request) -> Response:
        return webhook.handshake(dict(request.query_params))

    @router.post(PATH, include_in_schema=False)
    async def whatsapp_webhook(request: Request) -> Response:
        return await webhook.receive(request)

    return router


def _build(context: ChannelContext) -> Channel:
    webhook = WhatsAppWebhook(context.settings, context.db, context.engine, wake=context.wake)
    return Channel(CHANNEL, WhatsAppTransport(context.settings), routes=whatsapp_routes(webhook))


CHANNEL_TYPE = ChannelType(CHANNEL, whatsapp_limits, _build)
"""WhatsApp: the webhook receives, `WhatsAppTransport` sends (whatsapp.py)."""
