"""The context a flow works in for one inbound message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from handlers.attribution import load_agent_codes
from handlers.intents import normalize, number_words, ordinal
from handlers.localtime import WIB
from handlers.types import Inbound, Option, Priority, Reply, State, on_screens
from messages.render import label, render
from storage.crypto import Vault
from storage.models import Contact
from storage.store import Store


@dataclass(frozen=True)
class Rules:
    """Operator-tunable rules the flows follow (from the settings)."""

    draft_expiry_days: int = 7
    max_age_flag: int = 65
    callback_working_days: int = 3
    agent_codes: frozenset[str] = field(default_factory=load_agent_codes)
    """Codes that may be recorded as where a person came from (messages/agents.toml)."""
    agent_handback_minutes: int = 60
    """An officer's hold on a chat ends this long after the officer's last message
    (AGENT_HANDBACK_MINUTES): the bot answers again."""
    native_forms: frozenset[str] = frozenset()
    """Channels whose native form is set up here (the registry says which can show one): the
    enrolment offers it there, next to the questions one at a time."""


@dataclass
class Turn:
    inbound: Inbound
    state: State
    contact: Contact
    store: Store
    now: datetime
    vault: Vault
    rules: Rules = field(default_factory=Rules)
    idle: timedelta = timedelta(0)
    """How long the conversation had been quiet before this message."""
    first_message: bool = False
    """True for the very first message this contact ever sent."""
    held: bool = False
    """An officer's hold on this chat is not closed (read with the conversation; see
    `handlers.flows.handoff`)."""
    replies: list[Reply] = field(default_factory=list)
    choice: str | None = None
    """The option the person picked: tapped, typed as its number, or typed as its label."""

    @property
    def today(self) -> date:
        """The calendar date in Western Indonesia, which the rate periods follow."""
        return self.now.astimezone(WIB).date()

    @property
    def text(self) -> str:
        return (self.inbound.text or "").strip()

    @property
    def lang(self) -> str:
        """The person's language: every text of this turn's replies is in it (messages/<lang>/)."""
        return self.contact.language

    def render(self, template: str, **context: Any) -> str:
        """A template in the person's language (to join several into one message)."""
        return render(template, self.lang, **context)

    def label(self, key: str, **fmt: str) -> str:
        """A button label in the person's language; see `messages.render.label`."""
        return label(key, self.lang, **fmt)

    def option(
        self,
        option_id: str,
        label_key: str | None = None,
        *,
        description: str | None = None,
        key: str | None = None,
        **fmt: str,
    ) -> Option:
        """An option labelled in the person's language; see `option`."""
        return option(option_id, label_key, lang=self.lang, description=description, key=key, **fmt)

    def say(
        self,
        template: str,
        options: list[Option] | tuple[Option, ...] = (),
        *,
        ask_phone: bool = False,
        priority: Priority = Priority.REPLY,
        **context: Any,
    ) -> None:
        reply = Reply(
            self.render(template, **context), tuple(options), ask_phone=ask_phone, priority=priority
        )
        self.replies.extend(on_screens(reply))

    def say_text(
        self, text: str, options: list[Option] | tuple[Option, ...] = (), *, ask_phone: bool = False
    ) -> None:
        """Queues text rendered elsewhere (several templates joined into one message)."""
        self.replies.extend(on_screens(Reply(text, tuple(options), ask_phone=ask_phone)))


def option(
    option_id: str,
    label_key: str | None = None,
    *,
    lang: str,
    description: str | None = None,
    key: str | None = None,
    **fmt: str,
) -> Option:
    """An option labelled from messages/ in `lang` (`label_key`, by default its id); see
    `messages.render.label`. In a flow, `turn.option` says it in the person's language."""
    return Option(option_id, label(label_key or option_id, lang, **fmt), description, key)


# Options that stay valid whatever was shown last: the main menu's items (its buttons stay on
# older messages, and each only opens a flow from its start).
ALWAYS_OFFERED_PREFIX = "menu."
KEPT_OFFERED_PREFIX = "dues."
"""A payment reminder's buttons stay valid after the conversation moved on (the reminder came
days before): the dues flow checks that the option's submission is the person's own."""


def _numbered(typed: str) -> str:
    """An option's number after a word for it: "no 8", "nomer 3", "pilih 2" → the number
    (intents.toml [choice] number_words)."""
    words = typed.split()
    if len(words) == 2 and words[1].isdigit() and words[0] in number_words():
        return words[1]
    return typed


def resolve_choice(inbound: Inbound, shown: list[list[str]]) -> str | None:
    """Which option the message picks among those last shown: by id, number or label.

    A typed number is the option's key when the options have keys (months at the payment
    period), else its position in the list: one reading on every channel. A pressed button's
    id is only trusted when that option was offered: a client can send any button data, and
    anything else is an unrecognised answer.
    """
    if inbound.option_id:
        offered = any(inbound.option_id == entry[0] for entry in shown)
        kept = inbound.option_id.startswith((ALWAYS_OFFERED_PREFIX, KEPT_OFFERED_PREFIX))
        return inbound.option_id if offered or kept else None
    typed = _numbered(normalize(inbound.text or ""))
    if not typed or not shown:
        return None
    if typed.isdigit():
        keys = {entry[2]: entry[0] for entry in shown if len(entry) > 2}
        if keys:  # the options say what to type; their positions mean nothing
            return keys.get(str(int(typed)))
        index = int(typed) - 1
        return shown[index][0] if 0 <= index < len(shown) else None
    exact = [entry[0] for entry in shown if normalize(entry[1]) == typed]
    if exact:
        return exact[0]
    if (place := ordinal(inbound.text or "")) is not None:  # "yang pertama", "sing kapisan"
        return shown[place - 1][0] if place <= len(shown) else None
    if len(typed) >= 3:
        starts = [entry[0] for entry in shown if normalize(entry[1]).startswith(typed)]
        if len(starts) == 1:
            return starts[0]
    return None
