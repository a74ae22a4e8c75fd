"""Turns a complete draft into a submission in the branch's follow-up queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lokal import add_working_days

from handlers.branches import branch_map
from handlers.contribution import Quote, period_total
from handlers.enrol.draft import Draft
from handlers.enrol.parsers import age_on
from handlers.enrol.steps import discount_group, draft_quote, is_sponsored, national
from handlers.regions import region
from handlers.turn import Turn
from handlers.types import SPONSOR
from messages.form_labels import form_labels
from messages.program_data import occupation, program_data
from storage import outreach
from storage.crypto import mask_nik
from storage.models import Submission
from storage.submissions import add_unless_open, find_open_by_nik_hash


@dataclass(frozen=True)
class SubmitResult:
    submission: Submission
    duplicate: bool
    context: dict[str, Any]


@dataclass(frozen=True)
class Amounts:
    """What the chosen programs cost: per month today, and for the chosen period at once."""

    with_jht: bool
    monthly: int
    months: int
    total: int
    quote: Quote


def amounts(turn: Turn, draft: Draft) -> Amounts:
    q = draft_quote(turn, draft)
    with_jht = draft.get("programs") == "with_jht"
    months = int(draft.get("period"))
    total = period_total(
        int(draft.get("income")),
        discount_group(draft),
        turn.today,
        months,
        program_data(),
        sponsored=is_sponsored(turn),
    )
    return Amounts(with_jht, q.monthly(with_jht), months, total.with_jht if with_jht else total.basic, q)


def _regions(draft: Draft) -> tuple[Any, Any]:
    return region(draft.get("regency")), region(draft.get("district"))


def summary_context(turn: Turn, draft: Draft) -> dict[str, Any]:
    """Everything the summary shows; the NIK masked, amounts for today."""
    cost = amounts(turn, draft)
    regency, district = _regions(draft)
    code = draft.get("occupation")
    facts = draft.get("nik_facts")
    return {
        "nik": mask_nik(draft.get("nik")),
        "full_name": draft.get("full_name"),
        "birth_date": date.fromisoformat(draft.get("birth_date")),
        "sex": form_labels()["sex"][facts["sex"]],
        "phone": national(draft.get("phone")),
        "district": district,
        "regency": regency,
        "address": draft.get("address"),
        "occupation": draft.get("occupation_other") if code == "lainnya" else occupation(code).label,
        "income": int(draft.get("income")),
        "programs": form_labels()["programs"]["with_jht" if cost.with_jht else "basic"],
        "monthly": cost.monthly,
        "discount": cost.quote.discount,
        "months": cost.months,
        "total": cost.total,
        "email": draft.get("email"),
        "sponsor": turn.state.data.get(SPONSOR),
    }


def _flags(turn: Turn, draft: Draft, birth: date) -> list[str]:
    flags = []
    if age_on(birth, turn.today) > turn.rules.max_age_flag:
        flags.append("age_over_limit")
    if draft.get("nik_facts")["region_outdated"]:
        flags.append("nik_region_outdated")
    if int(draft.get("income")) < program_data().income_floor:
        flags.append("income_below_floor")
    return flags


async def submit(turn: Turn, draft: Draft) -> SubmitResult:
    """Stores the submission, unless the same NIK already has one open (then returns that)."""
    vault = turn.vault
    nik = draft.get("nik")
    nik_hash = vault.keyed_hash(nik)
    session = turn.store.session
    existing = await find_open_by_nik_hash(session, nik_hash)
    if existing is not None:
        return SubmitResult(existing, True, {})

    cost = amounts(turn, draft)
    regency, district = _regions(draft)
    branch = branch_map().for_regency(draft.get("regency"))
    birth = date.fromisoformat(draft.get("birth_date"))
    consent = draft.get("consent")
    submission = Submission(
        reference="",
        branch_code=branch.code,
        channel=turn.inbound.channel,
        contact_id=turn.contact.id,
        attribution_code=turn.contact.attribution_code,
        consent_version=consent["version"],
        consent_at=datetime.fromisoformat(consent["at"]),
        nik_enc=vault.encrypt(nik),
        nik_hash=nik_hash,
        full_name_enc=vault.encrypt(draft.get("full_name")),
        birth_date=birth,
        sex=draft.get("nik_facts")["sex"],
        phone_enc=vault.encrypt(draft.get("phone")),
        email_enc=vault.encrypt_optional(draft.get("email")),
        address_enc=vault.encrypt(draft.get("address")),
        regency_code=regency.code if regency else draft.get("regency"),
        regency_name=regency.name if regency else None,
        district_code=district.code if district else draft.get("district"),
        district_name=district.name if district else None,
        occupation=draft.get("occupation"),
        occupation_other=draft.get("occupation_other"),
        income=int(draft.get("income")),
        reported_income=cost.quote.reported_income,
        programs="jkk_jkm_jht" if cost.with_jht else "jkk_jkm",
        monthly_contribution=cost.monthly,
        payment_months=cost.months,
        period_total=cost.total,
        flags=_flags(turn, draft, birth),
    )
    sponsor = await _sponsor(turn)
    if sponsor is not None:
        submission.sponsor, submission.sponsor_months = sponsor["name"], int(sponsor["months"])
    submission, duplicate = await add_unless_open(
        session, submission, actor=f"bot:{turn.inbound.channel}", now=turn.now
    )
    if duplicate:
        return SubmitResult(submission, True, {})
    call_by = date.fromisoformat(add_working_days(turn.today.isoformat(), turn.rules.callback_working_days))
    return SubmitResult(
        submission,
        False,
        {
            "reference": submission.reference,
            "branch": branch,
            "call_by": call_by,
            "working_days": turn.rules.callback_working_days,
            "monthly": submission.monthly_contribution,
            "months": cost.months,
            "total": submission.period_total,
            "sponsor": sponsor,
        },
    )


async def _sponsor(turn: Turn) -> dict[str, Any] | None:
    """The sponsor of the session the person attended, while its quota lasts."""
    sponsor: dict[str, Any] | None = turn.state.data.get(SPONSOR)
    if not sponsor:
        return None
    social = await outreach.session_by_code(turn.store.session, sponsor["session"])
    if social is None or not social.sponsor_quota:
        return None
    if await outreach.sponsored_count(turn.store.session, social) >= social.sponsor_quota:
        return None
    return sponsor
