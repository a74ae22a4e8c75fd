"""What flows between the channels and the engine: one Inbound in, Replies out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any, Literal

from messages.text import split_text

InboundKind = Literal["text", "option", "contact", "media", "start", "form"]


class Priority(IntEnum):
    """Delivery order in the outbox: replies first, then notifications, then broadcasts."""

    REPLY = 0
    NOTIFICATION = 1
    BROADCAST = 2


@dataclass(frozen=True)
class Inbound:
    """One platform event, reduced to what the conversation needs."""

    channel: str
    chat_id: str
    message_id: str
    at: datetime
    kind: InboundKind = "text"
    text: str | None = None
    option_id: str | None = None
    phone: str | None = None
    """A phone number the platform vouches for as the sender's own (a shared contact)."""
    sender_phone: str | None = None
    """The number the channel already knows (a WhatsApp sender); offered, not assumed."""
    sender_name: str | None = None
    start_payload: str | None = None
    media_type: str | None = None
    fields: dict[str, Any] | None = None
    """A native form's values by field key (`form`: a WhatsApp Flow's completion)."""
    form_token: str | None = None
    """The token the native form was offered with (a WhatsApp Flow's `flow_token`)."""


@dataclass(frozen=True)
class Option:
    """A choice offered with a reply. `id` comes back as `Inbound.option_id` when tapped."""

    id: str
    label: str
    description: str | None = None
    key: str | None = None
    """What to type for this option when its position would mislead: at a list of months,
    "3" means three months, so the option "3 bulan" has key "3" and no list number."""


@dataclass(frozen=True)
class FormLink:
    """The native form a reply opens (a WhatsApp Flow, the Telegram Mini App): the token the
    service issued for it, and its button's label."""

    token: str
    button: str


@dataclass(frozen=True)
class Reply:
    """A message to send. Channels render options as buttons, lists or numbered lines, and a
    form as the button that opens it."""

    text: str
    options: tuple[Option, ...] = ()
    ask_phone: bool = False
    priority: Priority = Priority.REPLY
    form: FormLink | None = None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "text": self.text,
            "options": [
                {
                    "id": o.id,
                    "label": o.label,
                    **({"description": o.description} if o.description else {}),
                    **({"key": o.key} if o.key else {}),
                }
                for o in self.options
            ],
            "ask_phone": self.ask_phone,
        }
        if self.form is not None:
            payload["form"] = {"token": self.form.token, "button": self.form.button}
        return payload


PHONE_SCREEN = 600
"""What one message may hold, options included, so it reads on a cheap phone's screen."""
OPTION_LINE = 7
"""What an option adds where a channel writes it as a line (the console: "  12. ", a line end)."""


def on_screens(reply: Reply, limit: int = PHONE_SCREEN) -> list[Reply]:
    """The reply as messages of at most `limit` characters, counting each option as the line the
    console writes for it: a long page is cut between paragraphs, and its options, the phone
    keyboard and its priority go with the last part."""
    room = limit - sum(len(o.label) + OPTION_LINE for o in reply.options)
    if len(reply.text) <= room:
        return [reply]
    parts = split_text(reply.text, limit)
    if len(parts[-1]) > room:  # the options need space next to the last part
        parts = parts[:-1] + split_text(parts[-1], max(room, limit // 3))
    return [
        Reply(part, reply.options, reply.ask_phone, reply.priority)
        if last
        else Reply(part, priority=reply.priority)
        for last, part in ((i == len(parts) - 1, part) for i, part in enumerate(parts))
    ]


# State data that outlives leaving a flow: the enrolment draft, the options on screen, and the
# sponsor of the session the person attended (who pays their JKK + JKM).
SPONSOR = "sponsor"
# When the one reminder a person asked for ("ingatkan besok") goes out: asking again adds none.
LATER_REMINDER = "later_reminder_at"
# The session on a later day a person arrived for by its link: "ikut" reserves it at any step.
ARRIVED = "arrived_session"
KEPT_ON_RESET = ("draft", "_options", SPONSOR, LATER_REMINDER, ARRIVED)


@dataclass
class State:
    """Where a conversation is: the flow, its step, and the answers so far."""

    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        """Leaves the current flow. An unfinished enrolment draft survives until cancelled."""
        self.flow = None
        self.step = None
        self.data = {k: v for k, v in self.data.items() if k in KEPT_ON_RESET}
