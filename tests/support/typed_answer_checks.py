"""The readings a typed answer is checked against: where the conversation went, what the draft
holds, what the reply said. Shared by the typed-answer table and its rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Seen:
    """What the conversation looks like after the answer."""

    flow: str | None
    step: str | None
    answers: dict[str, Any]
    text: str


Check = Callable[[Seen], bool]


def answer(key: str, value: Any) -> Check:
    return lambda seen: seen.answers.get(key) == value


def no_answer(key: str) -> Check:
    return lambda seen: key not in seen.answers or seen.answers[key] is None


def step(name: str) -> Check:
    return lambda seen: seen.step == name


def flow(name: str | None) -> Check:
    return lambda seen: seen.flow == name


def says(phrase: str) -> Check:
    return lambda seen: phrase in seen.text


def both(*checks: Check) -> Check:
    return lambda seen: all(check(seen) for check in checks)


YES_CONSENT = lambda seen: "consent" in seen.answers  # noqa: E731
REFUSED = both(flow(None), says("tidak apa-apa"))
PHONE = answer("phone", "+6281234567890")
