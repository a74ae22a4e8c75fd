"""Where the person lives: the region their NIK names (confirmed), or another one found by
name, and the street address as on the KTP and, for people who live elsewhere, where now."""

from __future__ import annotations

from typing import Any

from handlers.enrol.draft import Draft
from handlers.enrol.steps.step import Accept, Reject, Step, StepOutcome
from handlers.intents import answers, normalize, only_answer, place_words, yes_or_no
from handlers.regions import region, search_districts, search_regencies
from handlers.turn import Turn
from handlers.types import Option


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


def _region_confirm_options(turn: Turn, _draft: Draft) -> list[Option]:
    return [turn.option("enrol.region.yes", "confirm_region"), turn.option("enrol.region.no", "other_region")]


def _parse_region_confirm(turn: Turn, draft: Draft) -> StepOutcome:
    """Yes, no, or the place they do live in: "Kabupaten Madiun", "bukan, sy di Sidoarjo"."""
    if turn.choice and turn.choice.startswith("enrol.regency."):
        return Accept({"region_confirmed": False, "regency": turn.choice.removeprefix("enrol.regency.")})
    answer = yes_or_no(turn.text)
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
    found = search_regencies(turn.text) or search_regencies(place_words(turn.text))
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


ADDRESS_MAX = 200


def _street(key: str, text: str) -> StepOutcome:
    text = " ".join(text.split())
    if len(text) < 5 or not any(ch.isalpha() for ch in text):
        return Reject("enrol_bad_address", {"reason": "too_short"})
    if len(text) > ADDRESS_MAX:  # shown back, so nothing typed is lost: copy, shorten, send
        return Reject("enrol_bad_address", {"reason": "too_long", "typed": text, "limit": ADDRESS_MAX})
    return Accept({key: text})


def _parse_address(turn: Turn, _draft: Draft) -> StepOutcome:
    """The street address as on the KTP."""
    return _street("address", turn.text)


def _current_address_options(turn: Turn, _draft: Draft) -> list[Option]:
    return [turn.option("enrol.current.same", "same_as_ktp")]


def _parse_current_address(turn: Turn, _draft: Draft) -> StepOutcome:
    """Where they live now, when that is not the region of their NIK; "sama" keeps the KTP's."""
    if turn.choice == "enrol.current.same" or only_answer(turn.text, ("same",)):
        return Accept({"current_address": None})
    return _street("current_address", turn.text)


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
    skip="enrol.current.same",
)
