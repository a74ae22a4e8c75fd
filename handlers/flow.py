"""The shape of a conversation flow, and the menu every flow can fall back to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from handlers.turn import Turn, option
from handlers.types import Option

MENU_ITEMS = ("benefits", "calculator", "enrol", "status", "sessions", "help")


def menu_options(lang: str, has_draft: bool = False) -> list[Option]:
    """The main menu in `lang`; "Daftar sekarang" reads "Lanjutkan pendaftaran" while a draft waits."""
    return [
        option(f"menu.{item}", "continue_enrol" if item == "enrol" and has_draft else item, lang=lang)
        for item in MENU_ITEMS
    ]


def has_draft(turn: Turn) -> bool:
    """Whether an unfinished enrolment with at least one answer waits in this conversation."""
    draft = turn.state.data.get("draft")
    return bool(draft and draft.get("answers"))


def say_menu(turn: Turn, template: str = "menu", **context: Any) -> None:
    waiting = has_draft(turn)
    turn.say(template, menu_options(turn.lang, waiting), **{"has_draft": waiting, **context})


@dataclass(frozen=True)
class Unclear:
    """A flow could not use the message.

    The router first tries the intent table (someone in the calculator who types "manfaat"
    wants the benefits), then says `template` with its options, in the person's language.
    """

    template: str
    options: tuple[Option, ...] = ()
    context: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def say(cls, template: str, options: tuple[Option, ...] = (), **context: Any) -> Unclear:
        return cls(template, options, context)


class Flow(Protocol):
    name: str

    async def start(self, turn: Turn, topic: str | None = None) -> None:
        """Enters the flow (at `topic`, when the flow has several entry points)."""

    async def handle(self, turn: Turn) -> Unclear | None:
        """Takes the message meant for the current step."""

    async def reprompt(self, turn: Turn) -> None:
        """Says the current question again (after a photo, say)."""


@runtime_checkable
class Cancellable(Protocol):
    """A flow with its own answer to "batal" (the router's default: leave to the menu)."""

    async def cancel(self, turn: Turn) -> None: ...


@runtime_checkable
class Steps(Protocol):
    """A flow with its own answer to "kembali" (the router's default: the menu)."""

    async def back(self, turn: Turn) -> None: ...


@runtime_checkable
class Form(Protocol):
    """A flow that asks questions one by one: a question typed at one of them is answered aside,
    and "later" may leave it with its answers kept."""

    async def reprompt(self, turn: Turn) -> None: ...

    def asking(self, turn: Turn) -> bool:
        """Whether a question of the form is pending (not once it is done)."""
        ...

    def leave_for_later(self, turn: Turn) -> bool:
        """Gets ready to leave the form for "later" (keeping what was answered); False where
        "nanti" answers the question itself."""
        ...
