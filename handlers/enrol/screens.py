"""The enrolment form as screens: the chat's questions grouped the way a person fills a form.

A native form (a WhatsApp Flow, the Telegram Mini App) shows the form a screen at a time. This
module says which fields of the declaration (`fields.py`) form which screen, what each input
is (a line of text, a date, a choice...), what it is filled with (the draft's answer, or what
the chat would suggest: the number the channel knows, the region of the NIK) and what a choice
offers (the chat step's own options, or a list the chat would search instead). Reading a
screen's values back is `screen_reading.py`: the chat's own steps, parsers and errors.

Screens: consent; identity (NIK, name, birth date); contact and where they live; work and
income; programs and period; review. A field the layout does not name (one added to the
declaration later) joins the screen of the field declared before it, as one text input per
step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from handlers.enrol.draft import Draft
from handlers.enrol.form import Field, Form
from handlers.enrol.steps.contact import known_phone
from handlers.enrol.steps.payment import draft_contributor
from handlers.enrol.steps.step import Step
from handlers.regions import districts_of, regencies_of, region
from handlers.turn import Turn
from messages.form_labels import form_labels
from messages.format import format_phone, format_rupiah
from messages.program_data import program_data

Kind = Literal["consent", "text", "longtext", "date", "phone", "email", "choice", "radio"]
REVIEW = "review"


@dataclass(frozen=True)
class Choice:
    """One option of a choice input: its value, title, and an optional line under it."""

    id: str
    title: str
    description: str | None = None


OptionsOf = Callable[[Turn, Draft], list[Choice]]
SuggestionOf = Callable[[Turn, Draft], str | None]


@dataclass(frozen=True)
class Input:
    """One input of a screen. Its key is the answer's key in the draft, the chat step's name,
    and the input's name on every platform."""

    key: str
    kind: Kind = "text"
    choice: str | None = None
    """The prefix of the step's option ids: the value `v` is the option `{choice}{v}`."""
    options: OptionsOf | None = None
    """What a choice offers, when not the step's own options."""
    suggest: SuggestionOf | None = None
    """What it is filled with while the draft has no answer (what the chat would offer)."""
    helper: bool = False
    """It helps fill another input (a search), and is no answer of its own."""
    conditional: bool = False
    """Needed only after certain answers (the other occupation, the current address): the
    form lets it be empty, and the reading asks for it when the chat would."""

    def required(self, step: Step | None) -> bool:
        """Whether the form insists on a value (optional steps can be skipped: "Lewati")."""
        return not (self.helper or self.conditional or (step is not None and step.skip is not None))


@dataclass(frozen=True)
class Screen:
    """One screen: its inputs, and the chat steps (of its fields) it answers."""

    id: str
    inputs: tuple[Input, ...]
    steps: tuple[Step, ...]
    fields: tuple[str, ...]

    @property
    def review(self) -> bool:
        return self.id == REVIEW

    def input(self, key: str) -> Input | None:
        return next((i for i in self.inputs if i.key == key), None)


# --- what the chat would suggest, and lists the chat would search instead ----------------------


def _nik_region(draft: Draft, level: str) -> str | None:
    """The NIK's regency or district, when it is on the current list (the chat's suggestion)."""
    facts = draft.get("nik_facts") or {}
    if facts.get("region_outdated") or facts.get("district_unlisted"):
        return None
    code = facts.get(f"{level}_code")
    return code if code and region(code) else None


def _suggested_phone(turn: Turn, _draft: Draft) -> str | None:
    phone = known_phone(turn)
    return format_phone(phone) if phone else None


def _regency(turn: Turn, draft: Draft) -> str | None:
    return draft.get("regency") or _nik_region(draft, "regency")


def _district(turn: Turn, draft: Draft) -> str | None:
    regency = _regency(turn, draft)
    suggested = _nik_region(draft, "district")
    if draft.get("district"):
        return str(draft.get("district"))
    return suggested if suggested and regency and suggested.startswith(f"{regency}.") else None


def _regency_options(turn: Turn, draft: Draft) -> list[Choice]:
    """The regencies of the NIK's province (its own first), the chosen one and those last found
    by name; "Cari kab/kota lain" finds the others."""
    found = [region(code) for code in draft.extra.get("regencies_found", [])]
    chosen = region(draft.get("regency")) if draft.get("regency") else None
    nik = _nik_region(draft, "regency")
    province = (nik or (chosen.code if chosen else "")).split(".")[0]
    listed = [r for r in found if r] + ([chosen] if chosen else []) + regencies_of(province)
    if nik and (own := region(nik)):
        listed.insert(0, own)
    unique = {r.code: r for r in listed}
    return [Choice(r.code, r.label, r.parent) for r in unique.values()]


def _district_options(turn: Turn, draft: Draft) -> list[Choice]:
    regency = _regency(turn, draft)
    return [Choice(r.code, r.label) for r in districts_of(regency)] if regency else []


def _period_options(turn: Turn, draft: Draft) -> list[Choice]:
    """Each period with what it costs at once, for both programs (chosen on the same screen)."""
    if draft.get("income") is None:
        return [Choice(str(months), f"{months}") for months in program_data().payment_periods]
    who = draft_contributor(turn, draft)
    basic = who.prices(turn.today, with_jht=False, data=program_data())
    with_jht = who.prices(turn.today, with_jht=True, data=program_data())
    labels = form_labels(turn.lang)
    return [
        Choice(
            str(months),
            turn.label("months", months=str(months)),
            labels["native"]["period_totals"].format(
                basic=format_rupiah(basic[months].total), with_jht=format_rupiah(with_jht[months].total)
            ),
        )
        for months in basic
    ]


def _program_options(turn: Turn, draft: Draft) -> list[Choice]:
    """Both programs, with today's monthly amount once the income and work are known."""
    labels = form_labels(turn.lang)["programs"]
    if draft.get("income") is None:
        return [Choice(key, labels[key]) for key in ("basic", "with_jht")]
    who = draft_contributor(turn, draft)
    monthly = {
        key: who.price(turn.today, 1, with_jht=key == "with_jht", data=program_data()).person_monthly
        for key in ("basic", "with_jht")
    }
    per_month = form_labels(turn.lang)["native"]["per_month"]
    return [
        Choice(key, labels[key], per_month.format(amount=format_rupiah(monthly[key])))
        for key in ("basic", "with_jht")
    ]


# --- the layout, as data ------------------------------------------------------------------------

LAYOUT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("consent", ("consent",)),
    ("identity", ("nik", "full_name", "birth_date")),
    ("contact", ("phone", "residence", "email")),
    ("work", ("occupation", "income")),
    ("payment", ("programs", "period")),
)
"""Which fields of the declaration form which screen, in order; the review screen comes last."""

CHAT_ONLY = frozenset({"assisted"})
"""Fields a native form leaves out: an enrolment for someone else is done in the chat, where the
helper is first told what it means (handlers/enrol/steps/assisted.py)."""

INPUTS: dict[str, tuple[Input, ...]] = {
    "consent": (Input("consent", "consent"),),
    "birth_date": (Input("birth_date", "date"),),
    "phone": (Input("phone", "phone", suggest=_suggested_phone),),
    "residence": (
        Input("regency", "choice", "enrol.regency.", _regency_options, _regency),
        Input("region_search", helper=True),
        Input("district", "choice", "enrol.district.", _district_options, _district),
        Input("address", "longtext"),
        Input("current_address", conditional=True),
    ),
    "email": (Input("email", "email"),),
    "occupation": (Input("occupation", "choice", "enrol.occ."), Input("occupation_other", conditional=True)),
    "income": (Input("income"),),
    "programs": (Input("programs", "radio", "enrol.prog.", _program_options),),
    "period": (Input("period", "radio", "enrol.period.", _period_options),),
}
"""How a field shows, when not as one text input per step."""


@dataclass(frozen=True)
class Confirmation:
    """A chat question the form answers by sending the review: the option it picks, and the
    note (a template, with the step's context) that shows what is being confirmed."""

    option: str
    note: str


CONFIRMED_AT_REVIEW = {"income_check": Confirmation("enrol.income.ok", "income_assumed")}
"""The income said per day, per week or as a range is shown converted, and the review confirms it."""


def _inputs(field: Field) -> tuple[Input, ...]:
    return INPUTS.get(field.name) or tuple(Input(step.name) for step in field.steps)


def build_screens(form: Form) -> tuple[Screen, ...]:
    """The screens of a form: the layout's, with every other field on its predecessor's screen."""
    placed = {name: screen for screen, names in LAYOUT for name in names}
    members: dict[str, list[Field]] = {screen: [] for screen, _ in LAYOUT}
    current = LAYOUT[0][0]
    for field in form.fields:
        if field.name in CHAT_ONLY:
            continue
        current = placed.get(field.name, current)
        members[current].append(field)
    screens = [
        Screen(
            id=screen,
            inputs=tuple(i for f in fields for i in _inputs(f)),
            steps=tuple(step for f in fields for step in f.steps),
            fields=tuple(f.name for f in fields),
        )
        for screen, fields in members.items()
        if fields
    ]
    return (*screens, Screen(REVIEW, (), (), ()))


def prefill(screen: Screen, turn: Turn, draft: Draft) -> dict[str, Any]:
    """What each input of the screen shows: the draft's answer, else the chat's suggestion."""
    return {i.key: value_of(i, turn, draft) for i in screen.inputs}


def value_of(item: Input, turn: Turn, draft: Draft) -> Any:
    """An input's value, as the form shows it and sends it back."""
    if item.kind == "consent":
        return draft.has("consent")
    if item.helper:
        return ""
    answer = draft.get(item.key)
    if answer is None:
        suggestion = item.suggest(turn, draft) if item.suggest else None
        return suggestion or ""
    if item.kind == "phone":
        return format_phone(str(answer))
    return str(answer)


def options(item: Input, turn: Turn, draft: Draft, step: Step | None) -> list[Choice]:
    """What a choice input offers now: its own list, or its step's options without the prefix."""
    if item.options is not None:
        return item.options(turn, draft)
    if item.choice is None or step is None:
        return []
    return [
        Choice(o.id.removeprefix(item.choice), o.label, o.description)
        for o in step.options(turn, draft)
        if o.id.startswith(item.choice)
    ]


@dataclass(frozen=True)
class Described:
    """How an input reads on a form: its label, help text, and whether it must be filled."""

    label: str
    help: str
    required: bool


def describe(item: Input, form: Form, lang: str) -> Described:
    """An input's label and help text (form.toml [inputs]; a field without an entry there is
    labelled with its title), and whether the form insists on a value."""
    step = form.step(item.key)
    field_title = form.field_of(step).title_in(lang) if step is not None else item.key
    entry = form_labels(lang)["inputs"].get(item.key, {})
    return Described(entry.get("label", field_title), entry.get("help", ""), item.required(step))


def title(screen: Screen, lang: str) -> str:
    """A screen's title (form.toml [screens])."""
    value: str = form_labels(lang)["screens"][screen.id]
    return value
