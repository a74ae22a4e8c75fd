"""A WhatsApp webhook body as the engine's `Inbound`s and the status updates of sent messages.

Every entry, change and message of the body is taken, in order; changes for another phone
number of the same WhatsApp Business Account are skipped. Text, a tapped reply button or list
row, and a template's quick-reply button are answers; media become `media` so the engine answers
politely; reactions and system messages are not something said to the bot (no reply).

The body is read as plain JSON rather than through pywa's update types: the adapter needs
a handful of fields, must never drop a message of a batch, and must not depend on pywa's
handler machinery to dedupe (the database does that, across restarts and workers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.channels.cleaning import load_json
from handlers.types import Inbound
from storage.types import utcnow

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
IGNORED_TYPES = frozenset({"reaction", "system", "request_welcome"})
"""Message types that are not something the person said to the bot: no reply."""


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
    """A tapped reply button or list row, or a Flow's completion; any other interactive message
    is not an answer."""
    reply_type = content.get("type")
    if reply_type == "nfm_reply":
        return _flow_completion(content.get("nfm_reply"))
    reply = content.get(reply_type) if reply_type in ("button_reply", "list_reply") else None
    if isinstance(reply, dict) and reply.get("id"):
        return {"kind": "option", "option_id": str(reply["id"]), "text": reply.get("title")}
    return {"kind": "media", "media_type": "interactive"}


def _flow_completion(reply: Any) -> dict[str, Any]:
    """A WhatsApp Flow sent: its `response_json` holds the `flow_token` and the fields by key."""
    try:
        fields = load_json(reply.get("response_json") or "") if isinstance(reply, dict) else None
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        return {"kind": "media", "media_type": "interactive"}
    token = fields.pop("flow_token", None)
    return {"kind": "form", "fields": fields, "form_token": token if isinstance(token, str) else None}


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
