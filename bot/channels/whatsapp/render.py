"""Turns an outbox payload into WhatsApp Cloud API messages, within the platform's limits.

Pure functions, no network: the transport (transport.py) sends what this returns. The limits
are WhatsApp's:

- up to 3 options: an interactive reply-buttons message, button titles of at most 20 characters;
- 4 to 10 options: an interactive list message, row titles of at most 24 characters and row
  descriptions of at most 72 (a label too long for a title goes whole into the description);
- more than 10 options: the options as numbered lines of a text message;
- an interactive body holds at most 1024 characters: a longer text goes first as plain text
  message(s) and the choice follows with a short body (`[whatsapp] choose` in labels.toml);
- a text message holds at most 4096 characters: longer texts are split at paragraph
  boundaries, then lines, then words;
- a reply with a form (`form`: the enrolment as a WhatsApp Flow) is a Flow message whose
  button (at most 20 characters) opens it with the token the service issued.

Typed answers keep working everywhere: the engine matches a typed number or label against
the options it last showed, whatever they looked like on the screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from messages.render import labels
from messages.text import split_text as text_parts

TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
BUTTON_TITLE_LIMIT = 20
MAX_BUTTONS = 3
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
MAX_ROWS = 10
LIST_BUTTON_LIMIT = 20
SECTION_TITLE_LIMIT = 24
TEMPLATE_PARAMETER_LIMIT = 900
"""The message text put into a template's {{1}}; the template's own words fit in the rest of
the 1024 characters a template body may hold."""

ELLIPSIS = "…"


@dataclass(frozen=True)
class Text:
    body: str


@dataclass(frozen=True)
class Buttons:
    body: str
    buttons: tuple[tuple[str, str], ...]
    """(reply id, title) pairs."""


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    description: str | None = None


@dataclass(frozen=True)
class ListMenu:
    body: str
    button: str
    section: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class FlowMessage:
    """An interactive Flow message: its body, the button that opens the Flow, the token."""

    body: str
    button: str
    token: str


Part = Text | Buttons | ListMenu | FlowMessage


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word boundary when one is near."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–(/") + ELLIPSIS


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, see `messages.text`."""
    return text_parts(text.strip(), limit)


def _whatsapp_label(key: str) -> str:
    value: str = labels()["whatsapp"][key]
    return value


def _options(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in payload.get("options") or [] if o.get("id") and o.get("label")]


def _button_titles(options: list[dict[str, Any]]) -> list[str]:
    titles = [shorten(o["label"], BUTTON_TITLE_LIMIT) for o in options]
    if len(set(titles)) < len(titles):  # WhatsApp refuses two buttons with the same title
        titles = []
        for number, option in enumerate(options, start=1):
            prefix = f"{option.get('key') or number}. "
            titles.append(prefix + shorten(option["label"], BUTTON_TITLE_LIMIT - len(prefix)))
    return titles


def _row(option: dict[str, Any]) -> Row:
    label: str = option["label"]
    title = shorten(label, ROW_TITLE_LIMIT)
    extra: str | None = option.get("description")
    if title != " ".join(label.split()):
        description: str | None = f"{label}: {extra}" if extra else label
    else:
        description = extra
    return Row(
        id=option["id"],
        title=title,
        description=shorten(description, ROW_DESCRIPTION_LIMIT) if description else None,
    )


def _numbered(text: str, options: list[dict[str, Any]]) -> str:
    lines = [
        f"{option.get('key') or number}. {option['label']}" for number, option in enumerate(options, start=1)
    ]
    return f"{text}\n\n" + "\n".join(lines) if text.strip() else "\n".join(lines)


def render_reply(payload: dict[str, Any]) -> list[Part]:
    """The messages that show one outbox payload ({"text", "options", "ask_phone"}).

    `ask_phone` needs nothing here: the WhatsApp sender's number is already known, and the
    engine offers it as an option (Inbound.sender_phone).
    """
    text: str = (payload.get("text") or "").strip()
    options = _options(payload)
    form = payload.get("form")
    if isinstance(form, dict) and form.get("token"):
        return _flow_message(text, form)
    if not options:
        return [Text(piece) for piece in split_text(text)]
    if len(options) > MAX_ROWS:
        return [Text(piece) for piece in split_text(_numbered(text, options))]

    lead: list[Part] = []
    body = text
    if not body or len(body) > INTERACTIVE_BODY_LIMIT:
        lead = [Text(piece) for piece in split_text(body)]
        body = _whatsapp_label("choose")

    if len(options) <= MAX_BUTTONS:
        titles = _button_titles(options)
        return [*lead, Buttons(body, tuple((o["id"], t) for o, t in zip(options, titles, strict=True)))]
    return [
        *lead,
        ListMenu(
            body=body,
            button=shorten(_whatsapp_label("list_button"), LIST_BUTTON_LIMIT),
            section=shorten(_whatsapp_label("list_section"), SECTION_TITLE_LIMIT),
            rows=tuple(_row(o) for o in options),
        ),
    ]


def _flow_message(text: str, form: dict[str, Any]) -> list[Part]:
    """The text (first on its own when too long for an interactive body), then the Flow's button."""
    lead = [Text(piece) for piece in split_text(text)] if len(text) > INTERACTIVE_BODY_LIMIT else []
    body = _whatsapp_label("choose") if lead else text
    button = shorten(str(form.get("button") or ""), BUTTON_TITLE_LIMIT)
    return [*lead, FlowMessage(body, button, str(form["token"]))]


_SPACES = re.compile(r"\s+")


def template_parameter(payload: dict[str, Any]) -> str:
    """The message as one template body parameter.

    WhatsApp refuses template parameters with line breaks, tabs or runs of spaces, so lines
    are joined with " · ", and the options follow as numbered items (the person answers by
    typing the number once the window is open again). A broadcast's `template_text` leaves out
    the stop line its approved template already ends with.
    """
    text = payload.get("template_text") or payload.get("text") or ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    options = _options(payload)
    lines += [f"{number}. {option['label']}" for number, option in enumerate(options, start=1)]
    flat = _SPACES.sub(" ", " · ".join(lines)).strip()
    return shorten(flat, TEMPLATE_PARAMETER_LIMIT)
