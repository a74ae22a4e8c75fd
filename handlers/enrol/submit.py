"""Turns a complete draft into a submission in the branch's follow-up queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from handlers.branches import branch_map
from handlers.enrol.draft import Draft
from handlers.enrol.form import Form, Values, amounts_on
from handlers.enrol.parsers import age_on
from handlers.turn import Turn
from handlers.types import SPONSOR
from handlers.workdays import add_working_days
from messages.program_data import program_data
from storage.models import Submission


@dataclass(frozen=True)
class SubmitResult:
    submission: Submission
    duplicate: bool
    context: dict[str, Any]


def _flags(turn: Turn, values: Values) -> list[str]:
    """What staff should look at: an older applicant, an outdated NIK region, a low income."""
    flags = []
    birth = values.get("birth_date")
    if birth and age_on(date.fromisoformat(birth), turn.today) > turn.rules.max_age_flag:
        flags.append("age_over_limit")
    if (values.get("nik_facts") or {}).get("region_outdated"):
        flags.append("nik_region_outdated")
    if (values.get("nik_facts") or {}).get("district_unlisted"):
        flags.append("nik_district_unlisted")
    if int(values.get("income")) < program_data().income_floor:
        flags.append("income_below_floor")
    return flags


async def submit(turn: Turn, draft: Draft, form: Form) -> SubmitResult:
    """Stores the submission, unless the same person already has one open (then returns that).

    A session's sponsor pays only while its quota lasts: when it ran out since the person arrived,
    the price is the person's own, and the confirmation says why.
    """
    values = form.values(draft, turn.today)
    existing = await turn.store.open_submission(turn.vault.keyed_hashes(values.get(form.unique)))
    if existing is not None:
        return SubmitResult(existing, True, {})

    sponsor = await _sponsor(turn)
    lost = values.get(SPONSOR) if sponsor is None else None
    if lost:
        answers = {k: v for k, v in values.answers.items() if k != SPONSOR}
        values = Values(answers, amounts_on(answers, turn.today))
    price = values.amounts
    assert price is not None
    branch = branch_map().for_regency(values.get("regency"))
    days = turn.rules.callback_working_days
    call_by = add_working_days(turn.today, days)
    submission = Submission(
        reference="",
        branch_code=branch.code,
        channel=turn.inbound.channel,
        contact_id=turn.contact.id,
        attribution_code=turn.contact.attribution_code,
        flags=_flags(turn, values),
        call_by=call_by if branch.configured else None,  # no call is promised without a branch
        subsidy_candidate=price.candidate is not None,  # the regency's scheme may pay: staff check
        enrol_path=enrol_path(draft),
        messages_to_enrol=await turn.store.messages_since(turn.contact, draft.created),
        **form.submission_columns(values, turn.vault),
    )
    if sponsor is not None:
        submission.sponsor, submission.sponsor_months = sponsor["name"], int(sponsor["months"])
    submission, duplicate = await turn.store.add_submission(
        submission, actor=f"bot:{turn.inbound.channel}", now=turn.now
    )
    if duplicate:  # another chat sent the same NIK at the same moment and won
        return SubmitResult(submission, True, {})
    return SubmitResult(
        submission,
        False,
        {
            "reference": submission.reference,
            "branch": branch,
            "call_by": call_by,
            "working_days": days,
            "p": price,
            "sponsor_lost": lost["name"] if lost else None,
        },
    )


def enrol_path(draft: Draft) -> str:
    """How the draft was filled: "chat" (questions asked there), "form" (a native form), or both."""
    used = [path for path, was in (("chat", bool(draft.history)), ("form", draft.raw.get("form"))) if was]
    return "+".join(used) or "chat"


async def _sponsor(turn: Turn) -> dict[str, Any] | None:
    """The sponsor of the session the person attended, while its quota lasts."""
    sponsor: dict[str, Any] | None = turn.state.data.get(SPONSOR)
    if not sponsor:
        return None
    social = await turn.store.outreach.by_code(sponsor["session"])
    if social is None or not social.sponsor_quota:
        return None
    if await turn.store.outreach.sponsored_count(social) >= social.sponsor_quota:
        return None
    return sponsor


def duplicate_context(turn: Turn, existing: Submission) -> dict[str, Any]:
    """What may be said about the sign-up a NIK already has: its reference and status only to
    the chat that made it. Typing someone else's NIK reveals nothing about their sign-up."""
    own = existing.contact_id is not None and existing.contact_id == turn.contact.id
    return {
        "own": own,
        "reference": existing.reference if own else None,
        "status": existing.status if own else None,
    }
