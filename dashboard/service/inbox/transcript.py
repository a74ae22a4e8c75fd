"""The conversation as an officer reads it: both directions, when, who; personal data masked.

Opening it is deliberate (a button on the submission and callback pages, or the API) and
audited; what it shows masks a NIK as the detail page does (357701******0001) and a phone
number as the callback page does (0812-****-890).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import InvalidToken

from dashboard.service.callbacks import mask_phone
from storage.chat_models import AgentHandoff, ChatMessage
from storage.crypto import Vault, mask_nik

_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
_PHONE = re.compile(r"(?<![\d+])(?:\+62|62|0)8[\d -]{7,14}\d(?!\d)")
UNREADABLE = "(pesan tidak dapat dibaca)"


def mask_text(text: str) -> str:
    """The text with every NIK and phone number masked."""
    text = _NIK.sub(lambda m: mask_nik(m.group()), text)

    def phone(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        e164 = "+62" + digits.removeprefix("62").removeprefix("0")
        return mask_phone(e164)

    return _PHONE.sub(phone, text)


@dataclass(frozen=True)
class ChatLine:
    """One message: "in" (the worker), "out" (the bot when `by` is None, else that officer)."""

    direction: str
    text: str
    at: datetime
    by: str | None


@dataclass(frozen=True)
class Conversation:
    items: list[ChatLine]
    held_by: str | None
    """The officer holding the chat (the bot is silent there), or None: the bot answers."""
    channel: str | None
    """The worker's channel (its display name), None when their data was erased."""
    reference: str | None
    callback_id: int | None
    reachable: bool
    """Whether a message can be sent (the person has not erased their data)."""


def lines(messages: list[ChatMessage], vault: Vault) -> list[ChatLine]:
    return [ChatLine(m.direction, _read(m.text_enc, vault), m.at, m.officer) for m in messages]


def _read(token: str, vault: Vault) -> str:
    try:
        return mask_text(vault.decrypt(token))
    except InvalidToken:
        return UNREADABLE


def holder(hold: AgentHandoff | None, is_open: bool) -> str | None:
    return hold.officer if hold is not None and is_open else None
