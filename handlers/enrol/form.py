"""The form's machinery: fields, and everything that derives from their declarations.

A field is one question as the person sees it: one line of the summary, one choice under
"ubah", one line of "data saya". Its declaration (see `fields.py`) carries what the rest of
the system needs: the steps that ask it, which of its answers are personal data (encrypted in
the draft and in the submission, erased by "hapus data"), how it reads (its line in
messages/<lang>/form.toml [show]), where it is kept in a submission and which export columns it
fills. The step order, question numbers, edit menu, summary, draft encryption, submission,
export, "data saya" and erasure are all computed here from the list of fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from handlers.enrol.draft import Draft
from handlers.enrol.steps.step import Step
from handlers.price import Price, contributor, submitted_price
from messages.data import DEFAULT_LANGUAGE
from messages.form_labels import form_labels
from messages.program_data import program_data
from messages.render import render_field
from storage.crypto import Vault
from storage.models import Submission

Answers = Mapping[str, Any]


def amounts_on(answers: Answers, today: date) -> Price | None:
    """What the answered choices cost at today's rates; None until they are all answered."""
    if any(answers.get(key) is None for key in ("income", "programs", "period")):
        return None
    return contributor(answers, today).price(
        today, int(answers["period"]), with_jht=answers["programs"] == "with_jht", data=program_data()
    )


def amounts_submitted(submission: Submission, vault: Vault) -> Price:
    """The price as the person was shown it when the submission was made."""
    reported = submission.reported_income_enc
    return submitted_price(submission, int(vault.decrypt(reported)) if reported else 0)


@dataclass(frozen=True)
class Values:
    """Readable answers (of a draft, or read back from a submission) and what they cost."""

    answers: Answers
    amounts: Price | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.answers.get(key, default)


@dataclass(frozen=True)
class Export:
    """One column of the staff export; `value` gets the values and whether to reveal the NIK."""

    column: str
    value: Callable[[Values, bool], Any]


@dataclass(frozen=True)
class Columns:
    """Typed submission columns of a field (the queue filters, counts and reports use them)."""

    write: Callable[[Values, Vault], dict[str, Any]]
    read: Callable[[Submission, Vault], dict[str, Any]]
    """The field's answers back from a submission (what `write` stored)."""
    erase: tuple[str, ...] = ()
    """The columns "hapus data" empties."""
    kept: tuple[str, ...] = ()
    """Personal answers `write` keeps in `Submission.answers` (under "answers"): "hapus data"
    removes them too."""


@dataclass(frozen=True)
class Line:
    """One line of the summary or of "data saya"."""

    label: str
    text: str


@dataclass(frozen=True)
class Field:
    """One question of the form, declared once."""

    name: str
    """Its id under "ubah", its label key in messages/<lang>/form.toml [fields] and its [show] line."""
    steps: tuple[Step, ...]
    personal: tuple[str, ...] = ()
    """Answers that are personal data: encrypted everywhere, erased by "hapus data"."""
    show: Callable[[Values, str], dict[str, Any] | None] | None = None
    """The values its [show] line uses, given the reader's language (None: no line for these
    answers); by default `value`, the answer named like the field."""
    shown: bool = True
    columns: Columns | None = None
    """None: its answers are kept in `Submission.answers`."""
    exports: tuple[Export, ...] | None = None
    """None: one export column named like the field, with its answer."""
    editable: bool = True
    numbered: bool = True
    """Counted in "Pertanyaan 3 dari 10"."""
    label: str | None = None
    """None: messages/<lang>/form.toml [fields]."""

    @cached_property
    def answers(self) -> tuple[str, ...]:
        """Every answer its steps give."""
        return tuple(dict.fromkeys(key for step in self.steps for key in step.owns))

    @property
    def title(self) -> str:
        """Its name in Indonesian (the staff side)."""
        return self.title_in(DEFAULT_LANGUAGE)

    def title_in(self, lang: str) -> str:
        """Its name in the summary, in `lang`."""
        if self.label is not None:
            return self.label
        title: str = form_labels(lang)["fields"][self.name]
        return title

    def line(self, values: Values, lang: str = DEFAULT_LANGUAGE) -> Line | None:
        """Its line of the summary or of "data saya", in `lang`."""
        if not self.shown:
            return None
        context = self.show(values, lang) if self.show else {"value": values.get(self.name)}
        if context is None:
            return None
        return Line(self.title_in(lang), render_field(self.name, lang, **context))

    def write(self, values: Values, vault: Vault) -> dict[str, Any]:
        """Its submission columns, or its entries of `Submission.answers` under "answers"."""
        if self.columns is not None:
            return self.columns.write(values, vault)
        return {"answers": {key: self._seal(key, values.get(key), vault) for key in self.answers}}

    def read(self, submission: Submission, vault: Vault) -> dict[str, Any]:
        if self.columns is not None:
            return self.columns.read(submission, vault)
        stored = submission.answers
        return {key: self._open(key, stored[key], vault) for key in self.answers if key in stored}

    def _seal(self, key: str, value: Any, vault: Vault) -> Any:
        return vault.encrypt(value) if key in self.personal and isinstance(value, str) else value

    def _open(self, key: str, value: Any, vault: Vault) -> Any:
        return vault.decrypt(value) if key in self.personal and isinstance(value, str) else value

    @cached_property
    def export_columns(self) -> tuple[Export, ...]:
        if self.exports is not None:
            return self.exports
        return (Export(self.name, lambda values, _reveal: values.get(self.name)),)


@dataclass(frozen=True)
class Form:
    """The enrolment form: its fields in order, and the answer one open submission is keyed on."""

    fields: tuple[Field, ...]
    unique: str = "nik"
    """Only one submission may stand per value of this (personal) answer."""

    # --- asking ------------------------------------------------------------------------------

    @cached_property
    def steps(self) -> tuple[Step, ...]:
        return tuple(step for field in self.fields for step in field.steps)

    @cached_property
    def _step_by_name(self) -> dict[str, Step]:
        return {step.name: step for step in self.steps}

    @cached_property
    def _field_of_step(self) -> dict[str, Field]:
        return {step.name: field for field in self.fields for step in field.steps}

    def field_of(self, step: Step) -> Field:
        return self._field_of_step[step.name]

    def step(self, name: str | None) -> Step | None:
        return self._step_by_name.get(name) if name else None

    def next_step(self, draft: Draft) -> Step | None:
        """The first step still needing an answer; None when the form is complete."""
        return next((step for step in self.steps if step.needed(draft)), None)

    @cached_property
    def questions(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields if field.numbered)

    def question_number(self, step: Step) -> int | None:
        """1-based position of the step's field among the numbered ones."""
        name = self._field_of_step[step.name].name
        return self.questions.index(name) + 1 if name in self.questions else None

    def answered(self, draft: Draft) -> int:
        """How many numbered questions are fully answered."""
        return sum(
            1
            for field in self.fields
            if field.numbered and not any(step.needed(draft) for step in field.steps)
        )

    @cached_property
    def edit_groups(self) -> dict[str, Field]:
        """What "ubah" offers: each editable field, asked again by clearing its answers."""
        return {field.name: field for field in self.fields if field.editable}

    # --- the draft ---------------------------------------------------------------------------

    @cached_property
    def secret(self) -> frozenset[str]:
        return frozenset(key for field in self.fields for key in field.personal)

    def draft(self, raw: dict[str, Any], vault: Vault) -> Draft:
        return Draft(raw, vault, self.secret)

    def new_draft(self, now: datetime, vault: Vault) -> Draft:
        return Draft.new(now, vault, self.secret)

    def values(self, draft: Draft, today: date) -> Values:
        answers = draft.decrypted()
        return Values(answers, amounts_on(answers, today))

    def summary(self, values: Values, lang: str = DEFAULT_LANGUAGE) -> list[Line]:
        return [line for field in self.fields if (line := field.line(values, lang)) is not None]

    # --- the submission ----------------------------------------------------------------------

    def submission_columns(self, values: Values, vault: Vault) -> dict[str, Any]:
        """Every field's columns; fields without columns of their own go in `answers`."""
        columns: dict[str, Any] = {"answers": {}}
        for field in self.fields:
            written = field.write(values, vault)
            columns["answers"].update(written.pop("answers", {}))
            columns.update(written)
        return columns

    def read(self, submission: Submission, vault: Vault) -> Values:
        """A submission's answers, readable again (for "data saya" and the export)."""
        answers: dict[str, Any] = {}
        for field in self.fields:
            answers.update(field.read(submission, vault))
        return Values(answers, amounts_submitted(submission, vault))

    @cached_property
    def export_columns(self) -> tuple[str, ...]:
        return tuple(export.column for field in self.fields for export in field.export_columns)

    def export_values(self, values: Values, reveal_nik: bool) -> dict[str, Any]:
        return {
            export.column: export.value(values, reveal_nik)
            for field in self.fields
            for export in field.export_columns
        }

    @cached_property
    def erased_columns(self) -> tuple[str, ...]:
        """Submission columns "hapus data" empties."""
        return tuple(column for field in self.fields if field.columns for column in field.columns.erase)

    @cached_property
    def erased_answers(self) -> tuple[str, ...]:
        """Keys of `Submission.answers` "hapus data" removes."""
        return tuple(
            key
            for field in self.fields
            for key in (field.personal if field.columns is None else field.columns.kept)
        )
