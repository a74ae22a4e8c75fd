"""The steps of the enrolment form: how each question is asked and its answer read.

Each step names the answers it owns, the template that asks for them, the options it offers,
a parser that turns a message into answers (or a friendly error), and when it applies. A
parser only reads the message and the draft: it returns what should change, and the flow
applies it. Which steps make up the form, and in what order, is declared in `fields.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from handlers.contribution import Quote, period_totals, quote
from handlers.enrol.draft import Draft
from handlers.enrol.parsers import (
    NIK_LENGTH,
    age_on,
    parse_birth_date,
    parse_email,
    parse_full_name,
    parse_mobile,
    parse_nik,
    retired_regencies,
)
from handlers.intents import answers, months_in, normalize, only_answer, place_words, tokens
from handlers.parsing import Parsed, parse_income
from handlers.regions import region, search_districts, search_regencies
from handlers.turn import Turn, option
from handlers.types import SPONSOR, Option
from messages.form_labels import form_labels
from messages.format import format_rupiah
from messages.program_data import occupations, program_data
from messages.render import has_template

MIN_AGE = 18


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

    def options(_turn: Turn, _draft: Draft) -> list[Option]:
        return [option(f"enrol.{skip}", "skip")] if optional else []

    def read(turn: Turn, draft: Draft) -> StepOutcome:
        if optional and (turn.choice == f"enrol.{skip}" or answers(turn.text) & {"skip"}):
            return Accept({name: None})
        parsed = parse(turn.text)
        if not parsed.ok:
            bad = f"enrol_bad_{name}"
            context = {"reason": parsed.error, **(parsed.details or {})}
            return Reject(bad if has_template(bad) else "enrol_bad_field", context)
        return Accept({name: parsed.value})

    return Step(name, (name,), read, options=options)


# --- consent -------------------------------------------------------------------------------


def _consent_options(_turn: Turn, _draft: Draft) -> list[Option]:
    return [option("enrol.consent.yes", "consent_yes"), option("enrol.consent.no", "consent_no")]


def _consent_context(_turn: Turn, _draft: Draft) -> dict[str, Any]:
    return {"retention_years": form_labels()["consent"]["retention_years"]}


def _parse_consent(turn: Turn, draft: Draft) -> StepOutcome:
    said = answers(turn.text)
    if turn.choice == "enrol.consent.no" or "no" in said:
        return Stop("enrol_consent_refused")
    if turn.choice == "enrol.consent.yes" or only_answer(turn.text) == "yes":
        version = form_labels()["consent"]["version"]
        return Accept(
            {"consent": {"version": version, "at": turn.now.isoformat(), "channel": turn.inbound.channel}}
        )
    return Reject("enrol_bad_choice", options=tuple(_consent_options(turn, draft)))


# --- identity ------------------------------------------------------------------------------


def _parse_nik(turn: Turn, draft: Draft) -> StepOutcome:
    parsed = parse_nik(turn.text, turn.today)
    unlisted = False
    if parsed.error == "district_unknown":
        # Not on the current list: most likely a typo, so ask to check; the same NIK sent
        # again is taken as written on the KTP, and staff check it.
        details = dict(parsed.details or {})
        nik_hash = turn.vault.keyed_hash(details.pop("nik"))
        if draft.extra.get("nik_unlisted") != nik_hash:
            return Reject(
                "enrol_bad_nik", {"reason": parsed.error, **details}, remember={"nik_unlisted": nik_hash}
            )
        parsed = parse_nik(turn.text, turn.today, allow_unlisted_district=True)
        unlisted = True
    if not parsed.ok or parsed.value is None:
        return Reject("enrol_bad_nik", {"reason": parsed.error, **(parsed.details or {})})
    facts = parsed.value
    return Accept(
        {
            "nik": facts.nik,
            "nik_facts": {
                "birth_date": facts.birth_date.isoformat(),
                "sex": facts.sex,
                "regency_code": facts.regency_code,
                "district_code": facts.district_code,
                "region_outdated": facts.region_outdated,
                "district_unlisted": unlisted,
            },
        },
        notice="enrol_nik_unlisted"
        if unlisted
        else "enrol_nik_region_outdated"
        if facts.region_outdated
        else None,
        notice_context={"law": retired_regencies()[facts.regency_code].law} if facts.region_outdated else {},
        forget=("nik_unlisted",),
    )


def _parse_name(turn: Turn, _draft: Draft) -> StepOutcome:
    parsed = parse_full_name(turn.text)
    if not parsed.ok:
        return Reject("enrol_bad_name", {"reason": parsed.error, **(parsed.details or {})})
    return Accept({"full_name": parsed.value})


def nik_birth_date(draft: Draft) -> date | None:
    facts = draft.get("nik_facts")
    return date.fromisoformat(facts["birth_date"]) if facts else None


def _parse_birth_date(turn: Turn, _draft: Draft) -> StepOutcome:
    parsed = parse_birth_date(turn.text, turn.today)
    if not parsed.ok or parsed.value is None:
        return Reject("enrol_bad_birth_date", {"reason": parsed.error})
    if age_on(parsed.value, turn.today) < MIN_AGE:
        return Stop("enrol_minor", {"min_age": MIN_AGE})
    return Accept({"birth_date": parsed.value.isoformat()})


def birth_dates_differ(draft: Draft) -> bool:
    typed = draft.get("birth_date")
    from_nik = nik_birth_date(draft)
    return bool(typed and from_nik and date.fromisoformat(typed) != from_nik)


def _birth_check_options(_turn: Turn, _draft: Draft) -> list[Option]:
    return [option("enrol.check.nik", "nik_wrong"), option("enrol.check.date", "date_wrong")]


def _birth_check_context(_turn: Turn, draft: Draft) -> dict[str, Any]:
    facts = draft.get("nik_facts")
    return {
        "typed": date.fromisoformat(draft.get("birth_date")),
        "from_nik": nik_birth_date(draft),
        "sex": facts["sex"] if facts else None,
    }


def _parse_birth_check(turn: Turn, draft: Draft) -> StepOutcome:
    """Which is wrong: a tap, words ("nik nya yg salah", "tgl lahirnya"), or the corrected value."""
    digits = "".join(ch for ch in turn.text if ch.isdigit())
    if len(digits) == NIK_LENGTH:  # the corrected NIK itself
        return _parse_nik(turn, draft)
    if turn.choice is None and parse_birth_date(turn.text, turn.today).ok:  # the corrected date
        return _parse_birth_date(turn, draft)
    words = set(tokens(turn.text))
    if turn.choice == "enrol.check.nik" or ("nik" in words and not words & DATE_WORDS):
        return Accept({}, clear=("nik", "nik_facts"))
    if turn.choice == "enrol.check.date" or words & DATE_WORDS:
        return Accept({}, clear=("birth_date",))
    return Reject("enrol_bad_choice", options=tuple(_birth_check_options(turn, draft)))


DATE_WORDS = frozenset({"tanggal", "tgl", "lahir", "lahirnya", "ultah"})


# --- phone ---------------------------------------------------------------------------------


def known_phone(turn: Turn) -> str | None:
    """A number the channel already knows (WhatsApp sender, Telegram contact), if it is a mobile."""
    for candidate in (turn.inbound.sender_phone, turn.vault.decrypt_optional(turn.contact.phone_enc)):
        if candidate:
            parsed = parse_mobile(candidate)
            if parsed.ok:
                return parsed.value
    return None


def national(e164: str) -> str:
    """+6281234567890 → 0812-3456-7890, how people read their own number."""
    digits = "0" + e164.removeprefix("+62")
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"


def _phone_options(turn: Turn, _draft: Draft) -> list[Option]:
    phone = known_phone(turn)
    return [option("enrol.phone.known", "use_known_phone", phone=national(phone))] if phone else []


def _parse_phone(turn: Turn, _draft: Draft) -> StepOutcome:
    if turn.inbound.kind == "contact" and turn.inbound.phone:
        text = turn.inbound.phone
    elif turn.choice == "enrol.phone.known" and (phone := known_phone(turn)):
        text = phone
    else:
        text = turn.text
    parsed = parse_mobile(text)
    if not parsed.ok or parsed.value is None:
        return Reject("enrol_bad_phone", {"reason": parsed.error})
    shared = parsed.value if turn.inbound.kind == "contact" else None
    return Accept({"phone": parsed.value}, contact_phone=shared)


# --- residence -----------------------------------------------------------------------------


def _nik_region_known(draft: Draft) -> bool:
    facts = draft.get("nik_facts")
    return bool(
        facts
        and not facts["region_outdated"]
        and not facts.get("district_unlisted")
        and region(facts["district_code"])
    )


def _region_confirm_context(_turn: Turn, draft: Draft) -> dict[str, Any]:
    district = region(draft.get("nik_facts")["district_code"])
    return {"district": district}


def _region_confirm_options(_turn: Turn, _draft: Draft) -> list[Option]:
    return [option("enrol.region.yes", "confirm_region"), option("enrol.region.no", "other_region")]


def _parse_region_confirm(turn: Turn, draft: Draft) -> StepOutcome:
    """Yes, no, or the place they do live in: "Kabupaten Madiun", "bukan, sy di Sidoarjo"."""
    if turn.choice and turn.choice.startswith("enrol.regency."):
        return Accept({"region_confirmed": False, "regency": turn.choice.removeprefix("enrol.regency.")})
    answer = only_answer(turn.text)
    if turn.choice == "enrol.region.no" or answer == "no":
        return Accept({"region_confirmed": False})
    if turn.choice == "enrol.region.yes" or answer == "yes":
        facts = draft.get("nik_facts")
        return Accept(
            {"region_confirmed": True, "regency": facts["regency_code"], "district": facts["district_code"]}
        )
    named = place_words(turn.text)
    found = search_regencies(named) if len(named) >= 3 else []
    if len(found) == 1:
        return Accept({"region_confirmed": False, "regency": found[0].code})
    if found:
        return Reject(
            "enrol_region_choose", {"level": "regency"}, _choose("regency", found), counts_as_failure=False
        )
    if answers(turn.text) & {"no", "moved", "wrong"}:
        return Accept({"region_confirmed": False})
    return Reject("enrol_bad_choice", options=tuple(_region_confirm_options(turn, draft)))


def _not_confirmed(draft: Draft) -> bool:
    return not draft.get("region_confirmed", False)


def _choose(prefix: str, candidates: list[Any]) -> tuple[Option, ...]:
    return tuple(Option(f"enrol.{prefix}.{c.code}", c.label, c.parent) for c in candidates[:10])


def _parse_regency(turn: Turn, _draft: Draft) -> StepOutcome:
    if turn.choice and turn.choice.startswith("enrol.regency."):
        return Accept({"regency": turn.choice.removeprefix("enrol.regency.")})
    found = search_regencies(turn.text)
    if not found:
        return Reject("enrol_region_not_found", {"level": "regency", "text": turn.text})
    exact = [
        r
        for r in found
        if normalize(r.name) == normalize(turn.text) or normalize(r.label) == normalize(turn.text)
    ]
    if len(exact) == 1 or len(found) == 1:
        return Accept({"regency": (exact or found)[0].code})
    return Reject(
        "enrol_region_choose", {"level": "regency"}, _choose("regency", found), counts_as_failure=False
    )


def _regency_context(_turn: Turn, draft: Draft) -> dict[str, Any]:
    return {"regency": region(draft.get("regency")) if draft.has("regency") else None}


def _parse_district(turn: Turn, draft: Draft) -> StepOutcome:
    if turn.choice and turn.choice.startswith("enrol.district."):
        return Accept({"district": turn.choice.removeprefix("enrol.district.")})
    found = search_districts(draft.get("regency"), turn.text)
    regency = region(draft.get("regency"))
    if not found:
        return Reject("enrol_region_not_found", {"level": "district", "text": turn.text, "regency": regency})
    exact = [r for r in found if normalize(r.name) == normalize(turn.text)]
    if len(exact) == 1 or len(found) == 1:
        return Accept({"district": (exact or found)[0].code})
    return Reject(
        "enrol_region_choose", {"level": "district"}, _choose("district", found), counts_as_failure=False
    )


def _street(key: str, text: str) -> StepOutcome:
    text = " ".join(text.split())
    if len(text) < 5 or not any(ch.isalpha() for ch in text):
        return Reject("enrol_bad_address", {"reason": "too_short"})
    if len(text) > 200:
        return Reject("enrol_bad_address", {"reason": "too_long"})
    return Accept({key: text})


def _parse_address(turn: Turn, _draft: Draft) -> StepOutcome:
    """The street address as on the KTP."""
    return _street("address", turn.text)


def _current_address_options(_turn: Turn, _draft: Draft) -> list[Option]:
    return [option("enrol.current.same", "same_as_ktp")]


def _parse_current_address(turn: Turn, _draft: Draft) -> StepOutcome:
    """Where they live now, when that is not the region of their NIK; "sama" keeps the KTP's."""
    if turn.choice == "enrol.current.same" or only_answer(turn.text, ("same",)):
        return Accept({"current_address": None})
    return _street("current_address", turn.text)


# --- work and money ------------------------------------------------------------------------


def _occupation_options(_turn: Turn, _draft: Draft) -> list[Option]:
    return [Option(f"enrol.occ.{o.code}", o.label) for o in occupations()]


def match_occupation(text: str) -> str | None:
    words = tokens(text)
    joined = " ".join(words)
    for item in occupations():
        if any((" " in w and w in joined) or w in words for w in item.words):
            return item.code
    return None


def _parse_occupation(turn: Turn, draft: Draft) -> StepOutcome:
    code = (
        turn.choice.removeprefix("enrol.occ.")
        if turn.choice and turn.choice.startswith("enrol.occ.")
        else None
    )
    code = code or match_occupation(turn.text)
    if code is None or code not in {o.code for o in occupations()}:
        return Reject("enrol_bad_choice", options=tuple(_occupation_options(turn, draft)))
    values: dict[str, Any] = {"occupation": code}
    if code != "lainnya":
        values["occupation_other"] = None
    return Accept(values)


def _parse_occupation_other(turn: Turn, _draft: Draft) -> StepOutcome:
    text = " ".join(turn.text.split())
    if len(text) < 3 or len(text) > 100:
        return Reject("enrol_bad_occupation_other")
    return Accept({"occupation_other": text})


def discount_group(code: str | None) -> str:
    """The discount group of an occupation (transport workers have their own)."""
    return next((o.group for o in occupations() if o.code == code), "general")


def _income_outcome(text: str) -> StepOutcome:
    """The monthly income of an answer; one said per day, per week or as a range is kept with
    how it was said, and the next step asks to confirm the stated conversion."""
    parsed = parse_income(text)
    if not parsed.ok or parsed.value is None:
        return Reject("calc_bad_income", {"reason": parsed.error, **(parsed.details or {})})
    income = parsed.value
    reading = asdict(income) if income.needs_confirming else None
    values = {"income": income.monthly, "income_reading": reading}
    floor = program_data().income_floor
    if income.monthly < floor:
        return Accept(
            values,
            clear=("income_confirmed",),
            notice="enrol_income_floor",
            notice_context={"income": income.monthly, "floor": floor},
        )
    return Accept(values, clear=("income_confirmed",))


def _parse_income(turn: Turn, _draft: Draft) -> StepOutcome:
    return _income_outcome(turn.text)


def _income_check_context(_turn: Turn, draft: Draft) -> dict[str, Any]:
    return {"reading": draft.get("income_reading"), "income": draft.get("income")}


def _income_check_options(_turn: Turn, _draft: Draft) -> list[Option]:
    return [option("enrol.income.ok", "income_ok")]


def _parse_income_check(turn: Turn, draft: Draft) -> StepOutcome:
    """Yes to the stated conversion, no (asked again), or the monthly figure typed instead."""
    answer = only_answer(turn.text)
    if turn.choice == "enrol.income.ok" or answer == "yes":
        return Accept({"income_confirmed": True})
    if answer == "no":
        return Accept({}, clear=("income", "income_reading", "income_confirmed"))
    outcome = _income_outcome(turn.text)
    if isinstance(outcome, Accept) and outcome.values["income_reading"] is None:
        return replace(outcome, values={**outcome.values, "income_confirmed": True})
    if isinstance(outcome, Accept):
        return outcome
    return Reject("enrol_bad_choice", options=tuple(_income_check_options(turn, draft)))


def draft_quote(turn: Turn, draft: Draft) -> Quote:
    return quote(
        int(draft.get("income")),
        discount_group(draft.get("occupation")),
        turn.today,
        program_data(),
        sponsored=bool(draft.get(SPONSOR)),  # a regency pays JKK + JKM: no PP 50/2025 discount
    )


def _programs_options(_turn: Turn, _draft: Draft) -> list[Option]:
    labels = form_labels()["programs"]
    return [Option("enrol.prog.basic", labels["basic"]), Option("enrol.prog.with_jht", labels["with_jht"])]


def _programs_context(turn: Turn, draft: Draft) -> dict[str, Any]:
    return {"q": draft_quote(turn, draft)}


def _parse_programs(turn: Turn, draft: Draft) -> StepOutcome:
    words, said = set(tokens(turn.text)), answers(turn.text)
    if turn.choice == "enrol.prog.with_jht" or ("jht" in words and not said & {"without", "no"}):
        return Accept({"programs": "with_jht"})
    if turn.choice == "enrol.prog.basic" or said & {"without", "no"} or words & {"jkk", "jkm"}:
        return Accept({"programs": "basic"})
    return Reject("enrol_bad_choice", options=tuple(_programs_options(turn, draft)))


def draft_totals(turn: Turn, draft: Draft) -> dict[int, int]:
    group = discount_group(draft.get("occupation"))
    totals = period_totals(int(draft.get("income")), group, turn.today, program_data())
    with_jht = draft.get("programs") == "with_jht"
    return {t.months: t.with_jht if with_jht else t.basic for t in totals}


def _period_options(turn: Turn, draft: Draft) -> list[Option]:
    return [
        option(
            f"enrol.period.{months}",
            "months",
            description=format_rupiah(total),
            key=str(months),  # "3" is three months on every channel, never the third button
            months=str(months),
        )
        for months, total in draft_totals(turn, draft).items()
    ]


def _period_context(turn: Turn, draft: Draft) -> dict[str, Any]:
    return {"totals": draft_totals(turn, draft), "with_jht": draft.get("programs") == "with_jht"}


def _parse_period(turn: Turn, draft: Draft) -> StepOutcome:
    periods = program_data().payment_periods
    if turn.choice and turn.choice.startswith("enrol.period."):
        return Accept({"period": int(turn.choice.removeprefix("enrol.period."))})
    months = months_in(turn.text)  # "3" means three months here, never the third button
    if months in periods:
        return Accept({"period": months})
    return Reject("enrol_bad_period", {"periods": periods}, options=tuple(_period_options(turn, draft)))


def _email_options(_turn: Turn, _draft: Draft) -> list[Option]:
    return [option("enrol.email.skip", "skip")]


def _parse_email(turn: Turn, draft: Draft) -> StepOutcome:
    no_address = "@" not in turn.text and (answers(turn.text) & {"skip", "no"} or turn.text.strip() == "-")
    if turn.choice == "enrol.email.skip" or no_address:
        return Accept({"email": None})
    parsed = parse_email(turn.text)
    if not parsed.ok:
        return Reject("enrol_bad_email", options=tuple(_email_options(turn, draft)))
    return Accept({"email": parsed.value})


# --- the steps, grouped into the form's fields in fields.py --------------------------------

CONSENT = Step("consent", ("consent",), _parse_consent, options=_consent_options, context=_consent_context)
NIK = Step("nik", ("nik", "nik_facts"), _parse_nik)
FULL_NAME = Step("full_name", ("full_name",), _parse_name)
BIRTH_DATE = Step("birth_date", ("birth_date",), _parse_birth_date)
BIRTH_CHECK = Step(
    "birth_check",
    ("birth_date",),
    _parse_birth_check,
    options=_birth_check_options,
    context=_birth_check_context,
    pending=birth_dates_differ,
)
PHONE = Step("phone", ("phone",), _parse_phone, options=_phone_options, ask_phone=True)
REGION_CONFIRM = Step(
    "region_confirm",
    ("region_confirmed", "regency", "district"),
    _parse_region_confirm,
    applies=_nik_region_known,
    options=_region_confirm_options,
    context=_region_confirm_context,
    pending=lambda d: not d.has("region_confirmed"),
)
REGENCY = Step(
    "regency",
    ("regency", "district"),
    _parse_regency,
    applies=_not_confirmed,
    pending=lambda d: not d.has("regency"),
)
DISTRICT = Step("district", ("district",), _parse_district, applies=_not_confirmed, context=_regency_context)
ADDRESS = Step("address", ("address",), _parse_address)
CURRENT_ADDRESS = Step(
    "current_address",
    ("current_address",),
    _parse_current_address,
    applies=_not_confirmed,
    options=_current_address_options,
    context=lambda _turn, draft: {"district": region(draft.get("district"))},
)
OCCUPATION = Step(
    "occupation",
    ("occupation", "occupation_other"),
    _parse_occupation,
    options=_occupation_options,
    pending=lambda d: not d.has("occupation"),
)
OCCUPATION_OTHER = Step(
    "occupation_other",
    ("occupation_other",),
    _parse_occupation_other,
    applies=lambda d: d.get("occupation") == "lainnya",
    pending=lambda d: not d.get("occupation_other"),
)
INCOME = Step("income", ("income", "income_reading"), _parse_income, pending=lambda d: not d.has("income"))
INCOME_CHECK = Step(
    "income_check",
    ("income_confirmed",),
    _parse_income_check,
    applies=lambda d: d.get("income_reading") is not None,
    options=_income_check_options,
    context=_income_check_context,
)
PROGRAMS = Step(
    "programs", ("programs",), _parse_programs, options=_programs_options, context=_programs_context
)
PERIOD = Step("period", ("period",), _parse_period, options=_period_options, context=_period_context)
EMAIL = Step("email", ("email",), _parse_email, options=_email_options)
