"""What a step of the form is, and what its parser may answer: accept, reject kindly, or stop.

Each step names the answers it owns, the template that asks for them, the options it offers,
a parser that turns a message into answers (or a friendly error), and when it applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.enrol.draft import Draft
from handlers.intents import answers
from handlers.parsed import Parsed
from handlers.turn import Turn
from handlers.types import Option
from messages.render import has_template


@dataclass(frozen=True)
class Accept:
    """The answer is good: store `values`, optionally say `notice` before the next question.

    `clear` names answers to ask again (a check that found one of them wrong); `contact_phone`
    is a number the platform vouched for as the person's own, kept on the contact; `forget`
    names notes that earlier attempts left in the draft's extras (see `Reject.remember`).
    """

    values: dict[str, Any]
    notice: str | None = None
    notice_context: dict[str, Any] = field(default_factory=dict)
    clear: tuple[str, ...] = ()
    contact_phone: str | None = None
    forget: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reject:
    """The answer cannot be used: say why (kindly); earlier answers stay.

    `remember` is a note for the next attempt at the step (kept in the draft's extras), e.g.
    that this NIK was already questioned once.
    """

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    counts_as_failure: bool = True
    remember: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stop:
    """The form ends here (a minor, an existing sign-up, no consent); the draft is dropped."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


StepOutcome = Accept | Reject | Stop


def _always(_draft: Draft) -> bool:
    return True


def _no_options(_turn: Turn, _draft: Draft) -> list[Option]:
    return []


def _no_context(_turn: Turn, _draft: Draft) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Step:
    name: str
    owns: tuple[str, ...]
    """The answers this step gives; going back to it asks them again."""
    parse: Callable[[Turn, Draft], StepOutcome]
    applies: Callable[[Draft], bool] = _always
    options: Callable[[Turn, Draft], list[Option]] = _no_options
    context: Callable[[Turn, Draft], dict[str, Any]] = _no_context
    ask_phone: bool = False
    pending: Callable[[Draft], bool] | None = None
    """When the step must be asked; by default, while one of its answers is missing."""
    skip: str | None = None
    """The option that leaves an optional step unanswered ("Lewati"); None: it must be answered.
    A native form sends an empty optional input as this choice."""

    @property
    def template(self) -> str:
        """`enrol_ask_<name>`; a step without a question of its own asks with `enrol_ask_field`."""
        own = f"enrol_ask_{self.name}"
        return own if has_template(own) else "enrol_ask_field"

    def needed(self, draft: Draft) -> bool:
        if not self.applies(draft):
            return False
        if self.pending is not None:
            return self.pending(draft)
        return any(not draft.has(key) for key in self.owns)


def text_step(name: str, parse: Callable[[str], Parsed[Any]], *, optional: bool = False) -> Step:
    """A step for one typed answer, read by `parse`; an optional one can be skipped ("lewati").

    An unusable answer is explained by `enrol_bad_<name>` (with the parser's reason and
    details), or by the general `enrol_bad_field`.
    """
    skip = f"{name}.skip"

    def options(turn: Turn, _draft: Draft) -> list[Option]:
        return [turn.option(f"enrol.{skip}", "skip")] if optional else []

    def read(turn: Turn, draft: Draft) -> StepOutcome:
        if optional and (turn.choice == f"enrol.{skip}" or answers(turn.text) & {"skip"}):
            return Accept({name: None})
        parsed = parse(turn.text)
        if not parsed.ok:
            bad = f"enrol_bad_{name}"
            context = {"reason": parsed.error, **(parsed.details or {})}
            return Reject(bad if has_template(bad) else "enrol_bad_field", context)
        return Accept({name: parsed.value})

    return Step(name, (name,), read, options=options, skip=f"enrol.{skip}" if optional else None)
