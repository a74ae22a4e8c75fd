"""The whole road, from the poster to the payments, and why people stopped paying: tables of the
report (`reports.build` adds them, suppressing small counts for a mitra like every table).

For each session or agent code, regency and occupation, people counted once at each stage:

- reached: contacts that first wrote in the period (with the code, or naming the regency), and
  everyone who submitted;
- started: those of them who answered a first question of the form, and everyone who submitted;
- submitted, terdaftar: submissions of the period (not cancelled), in the caller's scope, by the
  submission's code and regency;
- first payment: terdaftar with "paid until" known (`coverage`);
- still paying after 3 and 6 months: covered in the 3rd (6th) month after the month of
  registration, once that month's due date has passed (handlers/dues.py `still_paying`); a
  worker registered more recently is not counted in these columns.

An occupation is known from the form only: its first two columns are empty. Contacts carry no
branch: a branch's or a partner's report counts the contacts whose regency is theirs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import arrears
from dashboard.service.access import Access, scope_figures
from dashboard.service.texts import occupation_label
from handlers.branches import branch_map
from handlers.dues import months_paid, still_paying
from handlers.regions import region
from storage.coverage_models import Coverage
from storage.dues_models import ARREARS, PaymentNotice
from storage.models import Contact, FormStepEvent, Submission
from storage.outreach_models import SocialSession

STAGES = (
    "Dijangkau",
    "Mulai isi",
    "Terkirim",
    "Terdaftar",
    "Bayar pertama",
    "Masih bayar 3 bln",
    "Masih bayar 6 bln",
)
REASONS = {**arrears.REASONS, "": "Belum menjawab"}
"""Why a worker stopped paying, as the arrears list names it; "" for no answer yet."""


@dataclass(frozen=True)
class Spec:
    """A table before suppression: `counts` trailing columns are counts."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    counts: int


class _Road:
    """Counts of people per key at each stage."""

    def __init__(self) -> None:
        self.stages: dict[str, list[set[Any]]] = {}

    def add(self, key: str, stage: int, who: Any) -> None:
        self.stages.setdefault(key, [set() for _ in STAGES])[stage].add(who)

    def rows(self, label: Any = lambda k: (k,), blank_first: int = 0) -> list[tuple[Any, ...]]:
        out = []
        for key, stages in sorted(self.stages.items(), key=lambda kv: (-len(kv[1][3]), kv[0])):
            counts = [None if i < blank_first else len(s) for i, s in enumerate(stages)]
            out.append((*label(key), *counts))
        return out


def _regencies(access: Access, branch: str | None) -> list[str] | None:
    """The regencies whose contacts the caller's report counts (None: every contact)."""
    if access.role == "mitra":
        return list(access.regencies)
    if access.all_branches and not branch:
        return None
    office = branch_map().branches.get((branch if access.all_branches else access.branch_code) or "")
    return list(office.regencies) if office is not None else []


def _regency_name(code: str) -> str:
    found = region(code) if code != "-" else None
    return found.label if found is not None else code


async def road_tables(
    session: AsyncSession,
    access: Access,
    *,
    since: datetime,
    until: datetime,
    branch: str | None,
    today: date,
) -> list[Spec]:
    by_code, by_regency, by_job = _Road(), _Road(), _Road()
    contacts = sa_select(col(Contact.id), col(Contact.attribution_code), col(Contact.regency_code)).where(
        col(Contact.created_at) >= since, col(Contact.created_at) < until
    )
    regencies = _regencies(access, branch)
    if regencies is not None:
        contacts = contacts.where(col(Contact.regency_code).in_(regencies))
    reached = (await session.exec(contacts)).all()  # type: ignore[call-overload]
    started_query = sa_select(col(FormStepEvent.contact_id)).distinct()
    started_query = started_query.where(
        col(FormStepEvent.contact_id).in_(contacts.with_only_columns(col(Contact.id)))
    )
    started = set((await session.exec(started_query)).scalars().all())  # type: ignore[call-overload]
    for contact_id, code, regency in reached:
        for stage in (0, 1) if contact_id in started else (0,):
            by_code.add(code or "-", stage, contact_id)
            by_regency.add(regency or "-", stage, contact_id)

    query = scope_figures(
        sa_select(
            col(Submission.id),
            col(Submission.contact_id),
            col(Submission.attribution_code),
            col(Submission.regency_code),
            col(Submission.occupation),
            col(Submission.status),
            col(Coverage.registered_on),
            col(Coverage.paid_until),
        ).outerjoin(Coverage, col(Coverage.submission_id) == col(Submission.id)),
        access,
    ).where(
        col(Submission.created_at) >= since,
        col(Submission.created_at) < until,
        col(Submission.status) != "dibatalkan",
    )
    if branch and access.all_branches:
        query = query.where(col(Submission.branch_code) == branch)
    for sid, contact_id, code, regency, job, status, registered_on, paid_until in (
        await session.exec(query)  # type: ignore[call-overload]
    ).all():
        who = contact_id or f"s{sid}"
        for stage in _stages(status, registered_on, paid_until, today):
            by_code.add(code or "-", stage, who)
            by_regency.add(regency or "-", stage, who)
            by_job.add(job, stage, who)

    sessions = set((await session.exec(sa_select(col(SocialSession.code)))).scalars().all())  # type: ignore[call-overload]
    columns = STAGES
    return [
        Spec(
            "road_by_source",
            "Perjalanan peserta per kode sumber: dari dijangkau sampai masih membayar",
            ("Kode sumber", "Jenis", *columns),
            by_code.rows(lambda k: (k, _kind(k, sessions))),
            len(columns),
        ),
        Spec(
            "road_by_regency",
            "Perjalanan peserta per kabupaten/kota",
            ("Kabupaten/kota", *columns),
            by_regency.rows(lambda k: (_regency_name(k),)),
            len(columns),
        ),
        Spec(
            "road_by_occupation",
            "Perjalanan peserta per pekerjaan (pekerjaan diketahui sejak formulir terkirim)",
            ("Pekerjaan", *columns),
            by_job.rows(lambda k: (occupation_label(k),), blank_first=2),
            len(columns),
        ),
        await _reasons(session, access, since, until, branch),
    ]


def _kind(code: str, sessions: set[str]) -> str:
    if code == "-":
        return "-"
    return "Sosialisasi" if code in sessions else "Agen/lainnya"


def _stages(status: str, registered_on: date | None, paid_until: date | None, today: date) -> Iterable[int]:
    yield from (0, 1, 2)  # whoever sent a form was reached and started it
    if status != "terdaftar":
        return
    yield 3
    if registered_on is None:
        return
    if months_paid(registered_on, paid_until) >= 1:
        yield 4
    if still_paying(registered_on, paid_until, 3, today):
        yield 5
    if still_paying(registered_on, paid_until, 6, today):
        yield 6


async def _reasons(
    session: AsyncSession, access: Access, since: datetime, until: datetime, branch: str | None
) -> Spec:
    """The answers to "kenapa belum bayar?" asked in the period, in the caller's scope."""
    query = scope_figures(
        sa_select(col(PaymentNotice.answer)).join(
            Submission, col(Submission.id) == col(PaymentNotice.submission_id)
        ),
        access,
    ).where(
        col(PaymentNotice.kind) == ARREARS,
        col(PaymentNotice.sent_at) >= since,
        col(PaymentNotice.sent_at) < until,
    )
    if branch and access.all_branches:
        query = query.where(col(Submission.branch_code) == branch)
    found = Counter(answer or "" for answer in (await session.exec(query)).scalars().all())  # type: ignore[call-overload]
    rows = [(label, found[code]) for code, label in REASONS.items() if found[code]]
    return Spec(
        "arrears_reasons",
        'Menunggak: jawaban "kenapa belum bayar?"',
        ("Alasan", "Peserta"),
        rows,
        1,
    )
