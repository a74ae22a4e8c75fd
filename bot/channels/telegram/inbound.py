"""Telegram updates as the engine's `Inbound`.

Only private chats are served. Text, button presses (callback queries), a shared contact,
`/start <payload>` and the command menu map to what the engine understands; photos,
stickers, voice notes, locations and the like become `media` so the engine answers politely;
service messages and other update kinds are ignored (None).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from aiogram.types import CallbackQuery, Message, Update
from lokal.phone import normalize_phone

from handlers.types import Inbound

CHANNEL = "telegram"


MEDIA = {
    "photo",
    "sticker",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "live_photo",
    "story",
    "game",
    "checklist",
    "paid_media",
}
"""Content a person sends that the bot cannot read; anything else without text is ignored."""

_COMMAND = re.compile(r"^/(?P<name>[A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(?P<arg>.*))?$", re.DOTALL)
MAX_START_PAYLOAD = 64


def message_key(update: Update) -> str:
    """The dedupe key of an update: its id plus what it carries.

    The update id alone is reused: it restarts with a new bot token, and Telegram picks it at
    random after a week without updates. A redelivered update carries the same message (or
    callback query), so it still gets the same key.
    """
    if update.callback_query is not None:
        return f"{update.update_id}:cb{update.callback_query.id}"
    if update.message is not None:
        return f"{update.update_id}:{update.message.chat.id}:{update.message.message_id}"
    return str(update.update_id)


def phone_e164(number: str) -> str:
    """A number as Telegram shares it (international, with or without "+") in E.164."""
    digits = re.sub(r"\D", "", number)
    if digits.startswith("62"):
        indonesian = normalize_phone(digits)
        if indonesian:
            return indonesian
    return f"+{digits}"


def to_inbound(update: Update, now: datetime) -> Inbound | None:
    if update.callback_query is not None:
        return _callback(update, update.callback_query, now)
    if update.message is not None:
        return _message(update, update.message)
    return None


def _callback(update: Update, query: CallbackQuery, now: datetime) -> Inbound | None:
    message = query.message
    if message is not None and message.chat.type != "private":
        return None
    data = query.data or ""
    base = Inbound(
        channel=CHANNEL,
        chat_id=str(message.chat.id if message is not None else query.from_user.id),
        message_id=message_key(update),
        at=now,
        sender_name=query.from_user.first_name,
    )
    if re.fullmatch(r"#\d+", data):  # an option whose id did not fit: its number, as if typed
        return _with(base, kind="text", text=data[1:])
    if not data:
        return None
    return _with(base, kind="option", option_id=data)


def _message(update: Update, message: Message) -> Inbound | None:
    if message.chat.type != "private":
        return None
    sender = message.from_user
    base = Inbound(
        channel=CHANNEL,
        chat_id=str(message.chat.id),
        message_id=message_key(update),
        at=message.date,
        sender_name=sender.first_name if sender is not None else None,
    )
    if message.text is not None:
        return _text(base, message.text)
    contact = message.contact
    if contact is not None and sender is not None and contact.user_id == sender.id:
        return _with(base, kind="contact", phone=phone_e164(contact.phone_number))
    content = getattr(message.content_type, "value", message.content_type)
    if content in MEDIA:
        return _with(base, kind="media", media_type=content)
    return None


def _text(base: Inbound, text: str) -> Inbound:
    command = _COMMAND.match(text.strip())
    if command is None:
        return _with(base, kind="text", text=text)
    name = command["name"].lower()
    if name == "start":
        payload = (command["arg"] or "").strip()[:MAX_START_PAYLOAD] or None
        return _with(base, kind="start", start_payload=payload)
    # "/daftar@bot" reads as "/daftar", which the intent table (messages/intents.toml) knows.
    return _with(base, kind="text", text=f"/{name}")


def _with(base: Inbound, **fields: object) -> Inbound:
    return replace(base, **fields)  # type: ignore[arg-type]
