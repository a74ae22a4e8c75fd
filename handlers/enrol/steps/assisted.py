"""Enrolling someone else: a child for an elderly father, a wife for her husband.

Each person enrols with their own NIK and their own consent, and must be there and agree; the
helper types for them. The form then asks who the person is to the helper (unless the message
that opened it said so: "daftarke bapakku"), the consent is read out to the person, and the
phone number may be the helper's, labelled as the helper's for the officer.
"""

from __future__ import annotations

from functools import cache

from handlers.enrol.draft import Draft
from handlers.enrol.steps.step import Accept, Reject, Step, StepOutcome
from handlers.intents import tokens
from handlers.turn import Turn
from handlers.types import Option
from messages.data import typed_words
from messages.form_labels import form_labels

ASSISTED = "assisted"
"""A draft's extra note: this form is filled in for someone else."""


@cache
def _relation_phrases() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(relation code, phrase) from form.toml [relation_words] of every way of writing, longest first."""
    table: dict[str, list[str]] = typed_words("form")["relation_words"]
    pairs = {(code, tuple(tokens(phrase))) for code, phrases in table.items() for phrase in phrases}
    return tuple(sorted(pairs, key=lambda pair: -len(pair[1])))


def relation_in(text: str) -> str | None:
    """Who the person is to the helper, when the message says ("bapakku", "istri saya")."""
    words = tokens(text)
    for code, phrase in _relation_phrases():
        if phrase and any(tuple(words[i : i + len(phrase)]) == phrase for i in range(len(words))):
            return code
    return None


def relation_answer(text: str) -> dict[str, str]:
    """The relation answer a message gives already ("daftarke bapakku"), or none."""
    relation = relation_in(text)
    return {"assisted_relation": relation} if relation is not None else {}


def is_assisted(draft: Draft) -> bool:
    return bool(draft.extra.get(ASSISTED) or draft.get("assisted_relation"))


def _options(turn: Turn, _draft: Draft) -> list[Option]:
    labels = form_labels(turn.lang)["relations"]
    return [Option(f"enrol.relation.{code}", label) for code, label in labels.items()]


def _parse_relation(turn: Turn, draft: Draft) -> StepOutcome:
    if turn.choice and turn.choice.startswith("enrol.relation."):
        return Accept({"assisted_relation": turn.choice.removeprefix("enrol.relation.")})
    if (relation := relation_in(turn.text)) is not None:
        return Accept({"assisted_relation": relation})
    return Reject("enrol_bad_choice", options=tuple(_options(turn, draft)))


RELATION = Step(
    "assisted_relation",
    ("assisted_relation",),
    _parse_relation,
    applies=is_assisted,
    options=_options,
)
