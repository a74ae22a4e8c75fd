"""The person's identity: consent to the processing, NIK, name, and the birth date (checked
against the one the NIK carries)."""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.enrol.draft import Draft
from handlers.enrol.parsers import (
    NIK_LENGTH,
    age_on,
    parse_birth_date,
    parse_full_name,
    parse_nik,
    retired_regencies,
)
from handlers.enrol.steps.assisted import is_assisted
from handlers.enrol.steps.step import Accept, Reject, Step, StepOutcome, Stop, text_step
from handlers.intents import phrase_in, yes_or_no
from handlers.turn import Turn
from handlers.types import Option
from messages.data import data, typed_words

MIN_AGE = 18


def _consent_options(turn: Turn, _draft: Draft) -> list[Option]:
    return [turn.option("enrol.consent.yes", "consent_yes"), turn.option("enrol.consent.no", "consent_no")]


def _consent_context(_turn: Turn, draft: Draft) -> dict[str, Any]:
    return {"retention_years": data("consent")["retention_years"], "assisted": is_assisted(draft)}


def _parse_consent(turn: Turn, draft: Draft) -> StepOutcome:
    """Only a yes is consent and only a no is a refusal: a question or anything unclear is asked
    again ("isih kudu mbayar ta?" is not a no)."""
    choice = {"enrol.consent.yes": "yes", "enrol.consent.no": "no"}.get(turn.choice or "")
    said = choice or yes_or_no(turn.text)
    if said == "no":
        return Stop("enrol_consent_refused")
    if said == "yes":
        version = data("consent")["version"]
        return Accept(
            {"consent": {"version": version, "at": turn.now.isoformat(), "channel": turn.inbound.channel}}
        )
    return Reject("enrol_bad_choice", options=tuple(_consent_options(turn, draft)))


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


def _birth_check_options(turn: Turn, _draft: Draft) -> list[Option]:
    return [turn.option("enrol.check.nik", "nik_wrong"), turn.option("enrol.check.date", "date_wrong")]


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
    names_date = _names(turn.text, "birth_date")
    if turn.choice == "enrol.check.nik" or (_names(turn.text, "nik") and not names_date):
        return Accept({}, clear=("nik", "nik_facts"))
    if turn.choice == "enrol.check.date" or names_date:
        return Accept({}, clear=("birth_date",))
    return Reject("enrol_bad_choice", options=tuple(_birth_check_options(turn, draft)))


def _names(text: str, field: str) -> bool:
    """Whether the message names the field, in any way of writing (form.toml [edit_words])."""
    return any(phrase_in(text, phrase) for phrase in typed_words("form")["edit_words"][field])


CONSENT = Step("consent", ("consent",), _parse_consent, options=_consent_options, context=_consent_context)
NIK = Step("nik", ("nik", "nik_facts"), _parse_nik)
FULL_NAME = text_step("full_name", parse_full_name)
BIRTH_DATE = Step("birth_date", ("birth_date",), _parse_birth_date)
BIRTH_CHECK = Step(
    "birth_check",
    ("birth_date",),
    _parse_birth_check,
    options=_birth_check_options,
    context=_birth_check_context,
    pending=birth_dates_differ,
)
