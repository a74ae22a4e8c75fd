"""WhatsApp webhook bodies shaped exactly like the examples in Meta's webhook reference.

(developers.facebook.com › WhatsApp Business Platform › Webhooks › messages: text,
interactive, image, sticker, location, status). Only ids, names and texts change.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from bot.channels.whatsapp.signature import sign

WABA_ID = "102290129340398"
DISPLAY_NUMBER = "15550783881"
PHONE_NUMBER_ID = "106540352242922"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
ACCESS_TOKEN = "EAAtest"

_ids = itertools.count(1)


def wamid() -> str:
    """A fresh, realistic-looking WhatsApp message id."""
    return f"wamid.HBgLNjI4MTIzNDU2Nzg5FQIAEhgUM0E{next(_ids):010d}QUQ1QjZCNDM0NTA1AA=="


def contact(wa_id: str, name: str = "Sheena Nelson") -> dict[str, Any]:
    return {"profile": {"name": name}, "wa_id": wa_id}


def _message(
    sender: str,
    kind: str,
    content: dict[str, Any],
    *,
    id: str | None = None,
    context: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        **({"context": context} if context else {}),
        "from": sender,
        "id": id or wamid(),
        "timestamp": str(int(time.time())),
        "type": kind,
        kind: content,
    }


def text(sender: str, body: str, *, id: str | None = None) -> dict[str, Any]:
    return _message(sender, "text", {"body": body}, id=id)


def button_reply(sender: str, reply_id: str, title: str) -> dict[str, Any]:
    return _message(
        sender,
        "interactive",
        {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}},
        context={"from": DISPLAY_NUMBER, "id": wamid()},
    )


def list_reply(sender: str, reply_id: str, title: str, description: str | None = None) -> dict[str, Any]:
    reply = {"id": reply_id, "title": title, **({"description": description} if description else {})}
    return _message(
        sender,
        "interactive",
        {"type": "list_reply", "list_reply": reply},
        context={"from": DISPLAY_NUMBER, "id": wamid()},
    )


def flow_reply(sender: str, params: dict[str, Any]) -> dict[str, Any]:
    """A WhatsApp Flow's completion: an `nfm_reply` whose `response_json` holds the params the
    data endpoint closed the Flow with (its `flow_token` among them)."""
    return _message(
        sender,
        "interactive",
        {
            "type": "nfm_reply",
            "nfm_reply": {"name": "flow", "body": "Sent", "response_json": json.dumps(params)},
        },
        context={"from": DISPLAY_NUMBER, "id": wamid()},
    )


def image(sender: str) -> dict[str, Any]:
    return _message(
        sender,
        "image",
        {
            "caption": "Foto KTP saya",
            "mime_type": "image/jpeg",
            "sha256": "3rH2N7a9eF3vDQ9h0p2xw1LXmDBOEWNFq7LqPWK3ZaE=",
            "id": "1003383421387256",
        },
    )


def sticker(sender: str) -> dict[str, Any]:
    return _message(
        sender,
        "sticker",
        {
            "mime_type": "image/webp",
            "sha256": "Jq1ygFuLXnEjD8xq7IQm0Iy3Gz8MOVmJM2Rz7v7EJV8=",
            "id": "1228429575637109",
            "animated": False,
        },
    )


def audio(sender: str) -> dict[str, Any]:
    return _message(
        sender,
        "audio",
        {
            "mime_type": "audio/ogg; codecs=opus",
            "sha256": "0GeGGm4O7jbNL6X4Z8Q4j2Lwn8O2mS2y2Mz3Cw3nC5o=",
            "id": "1003383421387257",
            "voice": True,
        },
    )


def document(sender: str) -> dict[str, Any]:
    return _message(
        sender,
        "document",
        {
            "caption": "KK",
            "filename": "kk.pdf",
            "mime_type": "application/pdf",
            "sha256": "rgkj1sm3GcRBLPBH2CIyE1qK0fCjUDA1J1ZV2ldwPUM=",
            "id": "1003383421387258",
        },
    )


def location(sender: str) -> dict[str, Any]:
    return _message(
        sender,
        "location",
        {
            "address": "Jl. Raya Kedopok, Probolinggo",
            "latitude": -7.7714,
            "longitude": 113.1973,
            "name": "Pasar Kedopok",
            "url": "https://example.com",
        },
    )


def reaction(sender: str, to_message: str) -> dict[str, Any]:
    return _message(sender, "reaction", {"message_id": to_message, "emoji": "\U0001f44d"})


def status(
    message_id: str, state: str, recipient: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": message_id,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
    }
    if errors:
        item["errors"] = errors
    else:
        item["pricing"] = {
            "billable": True,
            "pricing_model": "PMP",
            "category": "service",
            "type": "free_customer_service",
        }
    return item


def error_131047() -> dict[str, Any]:
    return {
        "code": 131047,
        "title": "Re-engagement message",
        "message": "Re-engagement message",
        "error_data": {
            "details": "Message failed to send because more than 24 hours have passed since the "
            "customer last replied to this number."
        },
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }


def change(
    *,
    messages: list[dict[str, Any]] | None = None,
    contacts: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
    }
    if contacts is not None:
        value["contacts"] = contacts
    if messages is not None:
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {"value": value, "field": "messages"}


def body(*entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The webhook body: one entry per argument, each a list of changes."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": changes} for changes in entries],
    }


def from_person(wa_id: str, *messages: dict[str, Any], name: str = "Sheena Nelson") -> dict[str, Any]:
    """The usual body: one entry, one change, messages from one person."""
    return body([change(contacts=[contact(wa_id, name)], messages=list(messages))])


def encode(payload: dict[str, Any], secret: str = APP_SECRET) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers Meta sends with it."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret, raw)}
