"""Telegram rendering: an outbox payload becomes the Bot API calls that show it.

Pure functions, no network. Long texts are split at paragraph boundaries (Telegram takes at
most 4096 characters, counted in UTF-16 units); options become an inline keyboard laid out for
a small phone screen; the phone step shows a reply keyboard with a "share my number" button.
A reply keyboard stays until a message removes it, so the message after the phone step carries
`ReplyKeyboardRemove`. A message takes one keyboard only, and Telegram refuses to edit one sent
with a reply keyboard or its removal ("message can't be edited"), so when that message also has
options its first line goes out with the removal and the rest with the inline keyboard; a
one-line message is followed by a short body ([telegram] choose in labels.toml) with the buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    WebAppInfo,
)

from messages.render import label, labels
from messages.text import split_text as text_parts

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
SHORT_LABEL = 18
"""Labels up to this many characters fit two to a row on a small phone screen."""

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


@dataclass(frozen=True)
class SendText:
    """One sendMessage call."""

    text: str
    markup: Markup | None = None


Step = SendText


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Parts of at most `limit` UTF-16 units (how Telegram counts), see `messages.text`."""
    return text_parts(text, limit, utf16_len)


def rows(labels: Sequence[str], short: int = SHORT_LABEL) -> list[list[int]]:
    """Indexes of `labels` arranged in rows: two short labels share a row, a long one is alone.

    The order is kept, reading left to right, top to bottom.
    """
    laid: list[list[int]] = []
    waiting: int | None = None
    for index, text in enumerate(labels):
        if len(text) > short:
            if waiting is not None:
                laid.append([waiting])
                waiting = None
            laid.append([index])
        elif waiting is not None:
            laid.append([waiting, index])
            waiting = None
        else:
            waiting = index
    if waiting is not None:
        laid.append([waiting])
    return laid


def callback_data(option_id: str, index: int) -> str:
    """What a button sends back: the option id, or `#<number>` when the id is over 64 bytes."""
    if len(option_id.encode()) <= MAX_CALLBACK_DATA:
        return option_id
    return f"#{index + 1}"


def inline_keyboard(options: Sequence[dict[str, Any]]) -> InlineKeyboardMarkup:
    labels = [str(o["label"]) for o in options]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=labels[i], callback_data=callback_data(str(options[i]["id"]), i))
                for i in row
            ]
            for row in rows(labels)
        ]
    )


def phone_keyboard(options: Sequence[dict[str, Any]] = ()) -> ReplyKeyboardMarkup:
    """The phone step: a button that shares the person's own number, then any options as text.

    Tapping an option button sends its label, which the engine matches like a typed answer.
    """
    labels = [str(o["label"]) for o in options]
    keyboard = [[KeyboardButton(text=label("share_phone"), request_contact=True)]]
    keyboard += [[KeyboardButton(text=labels[i]) for i in row] for row in rows(labels)]
    return ReplyKeyboardMarkup(keyboard=keyboard, resize_keyboard=True, one_time_keyboard=True)


def form_keyboard(form: dict[str, Any], url: str) -> InlineKeyboardMarkup:
    """The button that opens the enrolment form, the Mini App at `url` (a `web_app` button)."""
    button = InlineKeyboardButton(text=str(form.get("button") or ""), web_app=WebAppInfo(url=url))
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def _with_form(parts: list[str], keyboard: InlineKeyboardMarkup, remove_reply_keyboard: bool) -> list[Step]:
    """The parts, the last with the form's button (a reply keyboard still up goes with the first,
    or, for a one-part text, with a part of its own before it)."""
    if remove_reply_keyboard and len(parts) == 1:
        head, _, rest = parts[0].partition("\n")
        parts = [head, rest.strip() or labels()["telegram"]["choose"]]
    steps: list[Step] = [SendText(part) for part in parts]
    steps[-1] = SendText(parts[-1], keyboard)
    if remove_reply_keyboard:
        steps[0] = SendText(parts[0], ReplyKeyboardRemove())
    return steps


def plan(
    payload: dict[str, Any], *, remove_reply_keyboard: bool = False, form_url: str | None = None
) -> list[Step]:
    """The calls that deliver one outbox payload, in order. Keyboards go on the last part.

    A payload with a form (`form`) carries the Mini App's button when `form_url` is set."""
    parts = split_text(str(payload.get("text") or "")) or [""]
    form = payload.get("form")
    if isinstance(form, dict) and form_url:
        return _with_form(parts, form_keyboard(form, form_url), remove_reply_keyboard)
    options = list(payload.get("options") or [])
    if options and remove_reply_keyboard and not payload.get("ask_phone") and len(parts) == 1:
        head, _, rest = parts[0].partition("\n")
        parts = [head, rest.strip() or labels()["telegram"]["choose"]]
    steps: list[Step] = [SendText(part) for part in parts]
    last = len(steps) - 1
    if payload.get("ask_phone"):
        steps[last] = SendText(parts[last], phone_keyboard(options))
    elif options and remove_reply_keyboard:
        steps[0] = SendText(parts[0], ReplyKeyboardRemove())
        steps[last] = SendText(parts[last], inline_keyboard(options))
    elif options:
        steps[last] = SendText(parts[last], inline_keyboard(options))
    elif remove_reply_keyboard:
        steps[0] = SendText(parts[0], ReplyKeyboardRemove())
    return steps
