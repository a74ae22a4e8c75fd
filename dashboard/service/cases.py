"""One submission: its detail, the NIK reveal, assignment, call attempts and status changes.

A submission outside the caller's scope raises NotFound, exactly like one that does not
exist. Changes lock the row, compare `expected_version` when given (a second officer acting
on an old view gets Stale with the current state) and bump the version; every change is kept
in the history or the call log, and the audit log records views and reveals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import auditlog, workflow
from dashboard.service.access import BRANCH_ROLES, Access, scope_people
from dashboard.service.errors import InvalidInput, NotFound, Refused, Stale
from dashboard.service.notify import queue_notification
from dashboard.service.queue import is_overdue, today_wib, usernames
from dashboard.service.repeats import same_call
from dashboard.service.texts import (
    call_outcomes,
    flag_label,
    programs_label,
    refusal,
    rejection_reasons,
    status_label,
)
from handlers.branches import branch_map
from handlers.enrol.fields import FORM
from handlers.enrol.form import Form
from storage.coverage import coverage_of, record_registration
from storage.crypto import Vault, mask_nik
from storage.models import CallAttempt, StaffAccount, Submission
from storage.submissions import change_status as store_status_change
from storage.submissions import history, normalize_reference

NOTE_MAX = 1000


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    from_status: str | None
    to_status: str
    note: str | None


@dataclass(frozen=True)
class CallEntry:
    at: datetime
    officer: str | None
    outcome: str
    outcome_label: str
    callback_at: datetime | None
    note: str | None


@dataclass(frozen=True)
class DetailField:
    """One line of the detail page: a field's key, its Indonesian label, and the value shown."""

    key: str
    label: str
    value: str | None


@dataclass(frozen=True)
class SubmissionDetail:
    """One submission as staff see it. The worker's answers are `fields`, in form order, each
    as the form declares it shows (handlers/enrol/fields.py): nothing is listed twice here."""

    reference: str
    status: str
    status_label: str
    version: int
    branch_code: str
    branch_name: str
    channel: str
    attribution_code: str | None
    created_at: datetime
    updated_at: datetime
    consent_version: str
    consent_at: datetime
    fields: tuple[DetailField, ...]
    """Every shown field of the form: key (the field's name), label, the line shown (NIK masked)."""
    nik_masked: str | None
    birth_date: date | None
    regency_code: str | None
    district_code: str | None
    occupation: str
    programs: str
    programs_label: str
    monthly_contribution: int
    payment_months: int
    period_total: int
    flags: tuple[tuple[str, str], ...]
    """(code, label) pairs."""
    kpj_number: str | None
    rejection_reason: str | None
    assigned_to: str | None
    assigned_at: datetime | None
    call_by: date | None
    callback_at: datetime | None
    overdue: bool
    anonymised: bool
    history: tuple[HistoryEntry, ...]
    calls: tuple[CallEntry, ...]
    allowed_statuses: tuple[str, ...]


def form_fields(submission: Submission, vault: Vault, form: Form) -> tuple[DetailField, ...]:
    """The submission's answers as the form shows them; emptied ones (erased data) as None."""
    if submission.anonymised_at is not None:
        return tuple(DetailField(f.name, f.title, None) for f in form.fields if f.shown)
    values = form.read(submission, vault)
    shown = []
    for field in form.fields:
        line = field.line(values)
        if line is not None:
            shown.append(DetailField(field.name, line.label, line.text))
    return tuple(shown)


async def load(session: AsyncSession, access: Access, reference: str, *, lock: bool = False) -> Submission:
    """The submission, if the caller may see it; NotFound otherwise (missing or another branch)."""
    access.require(access.sees_people)
    query = scope_people(
        select(Submission).where(col(Submission.reference) == normalize_reference(reference)), access
    )
    if lock:
        query = query.with_for_update()
    found = (await session.exec(query)).first()
    if found is None:
        raise NotFound()
    return found


async def detail_of(
    session: AsyncSession, submission: Submission, vault: Vault, now: datetime, form: Form = FORM
) -> SubmissionDetail:
    assert submission.id is not None
    events = await history(session, submission.id)
    calls = (
        await session.exec(
            select(CallAttempt)
            .where(col(CallAttempt.submission_id) == submission.id)
            .order_by(col(CallAttempt.id))
        )
    ).all()
    names = await usernames(
        session,
        {c.account_id for c in calls if c.account_id} | ({submission.assigned_to_id} - {None}),  # type: ignore[operator]
    )
    nik = vault.decrypt_optional(submission.nik_enc)
    outcomes = call_outcomes()
    return SubmissionDetail(
        reference=submission.reference,
        status=submission.status,
        status_label=status_label(submission.status),
        version=submission.version,
        branch_code=submission.branch_code,
        branch_name=branch_map().get(submission.branch_code).name or submission.branch_code,
        channel=submission.channel,
        attribution_code=submission.attribution_code,
        created_at=submission.created_at,
        updated_at=submission.updated_at,
        consent_version=submission.consent_version,
        consent_at=submission.consent_at,
        fields=form_fields(submission, vault, form),
        nik_masked=mask_nik(nik) if nik else None,
        birth_date=submission.birth_date,
        regency_code=submission.regency_code,
        district_code=submission.district_code,
        occupation=submission.occupation,
        programs=submission.programs,
        programs_label=programs_label(submission.programs),
        monthly_contribution=submission.monthly_contribution,
        payment_months=submission.payment_months,
        period_total=submission.period_total,
        flags=tuple((f, flag_label(f)) for f in submission.flags),
        kpj_number=submission.kpj_number,
        rejection_reason=submission.rejection_reason,
        assigned_to=names.get(submission.assigned_to_id) if submission.assigned_to_id else None,
        assigned_at=submission.assigned_at,
        call_by=submission.call_by,
        callback_at=submission.callback_at,
        overdue=is_overdue(submission, now),
        anonymised=submission.anonymised_at is not None,
        history=tuple(HistoryEntry(e.at, e.actor, e.from_status, e.to_status, e.note) for e in events),
        calls=tuple(
            CallEntry(
                c.at,
                names.get(c.account_id) if c.account_id else None,
                c.outcome,
                outcomes.get(c.outcome, c.outcome),
                c.callback_at,
                c.note,
            )
            for c in calls
        ),
        allowed_statuses=workflow.allowed_next(submission.status),
    )


async def detail(
    session: AsyncSession,
    access: Access,
    vault: Vault,
    reference: str,
    now: datetime,
    *,
    audit: bool = True,
    form: Form = FORM,
) -> SubmissionDetail:
    submission = await load(session, access, reference)
    if audit and not await auditlog.seen_lately(session, access, "detail_view", reference, now):
        _audit(session, access, "detail_view", submission, now)
    return await detail_of(session, submission, vault, now, form)


async def reveal_nik(
    session: AsyncSession, access: Access, vault: Vault, reference: str, now: datetime, *, audit: bool = True
) -> str:
    """The full NIK; audited unless `audit` is False (the page after an audited reveal)."""
    submission = await load(session, access, reference)
    nik = vault.decrypt_optional(submission.nik_enc)
    if nik is None:
        raise NotFound()
    if audit:
        _audit(session, access, "nik_reveal", submission, now)
    return nik


def _audit(
    session: AsyncSession, access: Access, action: str, submission: Submission, now: datetime, **details: str
) -> None:
    """An audit entry about one submission: its reference and branch, never its data."""
    auditlog.record(
        session,
        access,
        action,
        now=now,
        branch=submission.branch_code,
        reference=submission.reference,
        **details,
    )


async def _check_version(
    session: AsyncSession, access: Access, submission: Submission, expected_version: int | None
) -> None:
    """Stale when the submission changed since the caller read it; says whether they did it."""
    if expected_version is not None and expected_version != submission.version:
        raise Stale(
            None, by_self=await auditlog.last_change_by(session, submission.reference) == access.actor
        )


def _touch(submission: Submission, now: datetime) -> None:
    submission.version += 1
    submission.updated_at = now


async def assign(
    session: AsyncSession, access: Access, reference: str, now: datetime, expected_version: int | None = None
) -> Submission:
    """ "Saya tangani": the caller takes the submission; a new one moves to `diproses`."""
    access.require(access.role in BRANCH_ROLES or access.all_branches)
    submission = await load(session, access, reference, lock=True)
    await _check_version(session, access, submission, expected_version)
    if submission.assigned_to_id == access.account_id:
        return submission
    if submission.assigned_to_id is not None and not access.may_reassign:
        owner = await usernames(session, {submission.assigned_to_id})
        raise Refused(refusal("taken", officer=owner.get(submission.assigned_to_id, "?")))
    if submission.status in workflow.FINAL:
        raise Refused(refusal("final", **{"from": status_label(submission.status), "to": ""}))
    submission.assigned_to_id = access.account_id
    submission.assigned_at = now
    if (moved := workflow.status_when_owned(submission.status)) is not None:
        await store_status_change(
            session, submission, moved, actor=access.actor, now=now, note="Diambil petugas"
        )
    _touch(submission, now)
    _audit(session, access, "assign", submission, now)
    return submission


async def reassign(
    session: AsyncSession,
    access: Access,
    reference: str,
    username: str,
    now: datetime,
    expected_version: int | None = None,
) -> Submission:
    """A supervisor (or admin) hands the submission to an officer of its branch."""
    access.require(access.may_reassign)
    submission = await load(session, access, reference, lock=True)
    await _check_version(session, access, submission, expected_version)
    officer = (await session.exec(select(StaffAccount).where(col(StaffAccount.username) == username))).first()
    if (
        officer is None
        or officer.disabled_at is not None
        or officer.role not in BRANCH_ROLES
        or officer.branch_code != submission.branch_code
    ):
        raise InvalidInput("username", refusal("not_officer", officer=username))
    submission.assigned_to_id = officer.id
    submission.assigned_at = now
    if (moved := workflow.status_when_owned(submission.status)) is not None:
        note = f"Dialihkan ke {officer.username}"
        await store_status_change(session, submission, moved, actor=access.actor, now=now, note=note)
    _touch(submission, now)
    _audit(session, access, "reassign", submission, now, to=officer.username)
    return submission


async def record_call(
    session: AsyncSession,
    access: Access,
    reference: str,
    outcome: str,
    now: datetime,
    *,
    callback_at: datetime | None = None,
    note: str | None = None,
) -> CallAttempt:
    """Logs a call attempt. "minta_telepon_lagi" needs a future `callback_at`."""
    if outcome not in call_outcomes():
        raise InvalidInput("outcome", refusal("outcome_unknown"))
    if outcome == "minta_telepon_lagi":
        if callback_at is None:
            raise InvalidInput("callback_at", refusal("callback_missing"))
        if callback_at.tzinfo is None or callback_at <= now:
            raise InvalidInput("callback_at", refusal("callback_past"))
    submission = await load(session, access, reference, lock=True)
    if submission.status in workflow.FINAL:
        raise Refused(refusal("final", **{"from": status_label(submission.status), "to": ""}))
    assert submission.id is not None
    attempt = CallAttempt(
        submission_id=submission.id,
        account_id=access.account_id,
        at=now,
        outcome=outcome,
        callback_at=callback_at if outcome == "minta_telepon_lagi" else None,
        note=(note or "").strip()[:NOTE_MAX] or None,
    )
    if (same := await same_call(session, attempt)) is not None:
        return same  # a double click or two tabs: one call (the submission's row lock orders them)
    session.add(attempt)
    submission.callback_at = attempt.callback_at
    if outcome in ("berhasil", "minta_telepon_lagi") and submission.first_contact_at is None:
        submission.first_contact_at = now
    submission.updated_at = now
    _audit(session, access, "call_recorded", submission, now, outcome=outcome)
    return attempt


async def change_status(
    session: AsyncSession,
    access: Access,
    reference: str,
    new_status: str,
    now: datetime,
    *,
    note: str | None = None,
    kpj: str | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> tuple[Submission, bool]:
    """Moves the submission along the graph and queues the worker's notification.

    Returns the submission and whether a notification was queued.
    """
    access.require(access.sees_people)
    note = (note or "").strip()[:NOTE_MAX] or None
    kpj_number = workflow.clean_kpj(kpj) if new_status == "terdaftar" else None
    reason_code = workflow.check_rejection(reason, note) if new_status == "ditolak" else None
    submission = await load(session, access, reference, lock=True)
    await _check_version(session, access, submission, expected_version)
    workflow.check_transition(submission.status, new_status)
    owner = workflow.owner_after(new_status, submission.assigned_to_id, access.account_id)
    if owner != submission.assigned_to_id:
        submission.assigned_to_id, submission.assigned_at = owner, now
    await store_status_change(
        session,
        submission,
        new_status,
        actor=access.actor,
        now=now,
        note=note,
        kpj_number=kpj_number,
        rejection_reason=rejection_reasons()[reason_code]["label"] if reason_code else None,
    )
    if new_status == "dihubungi" and submission.first_contact_at is None:
        submission.first_contact_at = now
    if new_status == "terdaftar":
        submission.registered_at = now
        submission.callback_at = None
        assert submission.id is not None and submission.kpj_number is not None
        existing = await coverage_of(session, submission.id)
        record_registration(
            session, submission, existing, kpj=submission.kpj_number, registered_on=today_wib(now), now=now
        )
    if new_status in workflow.FINAL:
        submission.callback_at = None
    _touch(submission, now)
    queued = await queue_notification(session, submission, now, reason_code=reason_code)
    _audit(session, access, "status_change", submission, now, to=new_status)
    return submission, queued is not None
