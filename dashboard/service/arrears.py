"""The branch's workers behind with payments ("menunggak", and "nonaktif" after
`[late] months_before_inactive` unpaid months): a list for the staff page and the API.

Each row is a terdaftar submission of the caller's branch (every branch for an admin; a mitra
sees no one) whose first unpaid month's due date plus the grace days has passed on `today`
(handlers/dues.py), with when the worker was asked "kenapa belum bayar?" and what they answered.
No personal data: the reference opens the submission's page, which shows and audits the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.access import Access
from dashboard.service.queue import today_wib
from dashboard.service.texts import occupation_label
from handlers.dues import MENUNGGAK, NONAKTIF, account_of, standing
from handlers.flows.dues import ARREARS_REASONS
from messages.render import label
from storage import dues
from storage.db import Database
from storage.dues_models import ARREARS, PaymentNotice

STATES = (MENUNGGAK, NONAKTIF)
REASONS = {code: label(f"dues_why_{code}") for code in ARREARS_REASONS}
"""Why a worker stopped paying, named as the worker's buttons name it (messages/id/labels.toml)."""
NOT_ASKED, NOT_ANSWERED = "belum_ditanya", "belum_menjawab"
"""Answer filters besides the reasons: not asked yet; asked, no answer yet."""
LIMIT = 500


class ArrearsItem(BaseModel):
    reference: str
    branch_code: str
    regency: str | None
    occupation: str
    state: str
    """menunggak or nonaktif."""
    registered_on: date
    period_months: int
    paid_until: date | None
    paid_until_source: str | None
    due_on: date
    """The due date of the first unpaid month."""
    months_unpaid: int
    asked_on: datetime | None
    answer: str | None
    answer_label: str | None


@dataclass(frozen=True)
class Filters:
    state: str | None = None
    regency: str | None = None
    answer: str | None = None
    """A reason code, NOT_ASKED or NOT_ANSWERED."""


@dataclass(frozen=True)
class ArrearsPage:
    items: list[ArrearsItem]
    counts: dict[str, int]
    """Workers per state (the filters aside)."""
    today: date
    truncated: bool
    regencies: list[tuple[str, str]]
    """(code, name) of the regencies of the workers behind, for the filter."""


async def list_arrears(
    db: Database, access: Access, now: datetime, filters: Filters = Filters()
) -> ArrearsPage:
    access.require(access.sees_people)
    branches = None if access.all_branches else [access.branch_code or ""]
    today = today_wib(now)
    items: list[ArrearsItem] = []
    counts = dict.fromkeys(STATES, 0)
    truncated = False
    regencies: dict[str, str] = {}
    async with db.reader() as session:
        after = 0
        while True:
            rows = await dues.registered(session, branches, after_id=after, limit=1000)
            if not rows:
                break
            after = rows[-1][1].id or after
            behind = []
            for submission, coverage, _contact in rows:
                found = standing(account_of(submission, coverage), today)
                if found.behind:
                    counts[found.state] += 1
                    if submission.regency_code:
                        regencies[submission.regency_code] = (
                            submission.regency_name or submission.regency_code
                        )
                    behind.append((submission, coverage, found))
            ids = [s.id for s, _, _ in behind if s.id is not None]
            asked = await _asked(session, ids)
            for submission, coverage, found in behind:
                notice = asked.get(submission.id or 0)
                item = ArrearsItem(
                    reference=submission.reference,
                    branch_code=submission.branch_code,
                    regency=submission.regency_name,
                    occupation=occupation_label(submission.occupation),
                    state=found.state,
                    registered_on=coverage.registered_on,
                    period_months=coverage.period_months,
                    paid_until=coverage.paid_until,
                    paid_until_source=coverage.paid_until_source,
                    due_on=found.next_due,
                    months_unpaid=found.months_unpaid,
                    asked_on=notice.sent_at if notice else None,
                    answer=notice.answer if notice else None,
                    answer_label=REASONS.get(notice.answer or "") if notice else None,
                )
                if _matches(item, submission.regency_code, filters):
                    if len(items) >= LIMIT:
                        truncated = True
                    else:
                        items.append(item)
    items.sort(key=lambda i: (i.due_on, i.reference))
    options = sorted(regencies.items(), key=lambda kv: kv[1])
    return ArrearsPage(items, counts, today, truncated, options)


def _matches(item: ArrearsItem, regency_code: str | None, filters: Filters) -> bool:
    if filters.state and item.state != filters.state:
        return False
    if filters.regency and regency_code != filters.regency:
        return False
    if filters.answer == NOT_ASKED:
        return item.asked_on is None
    if filters.answer == NOT_ANSWERED:
        return item.asked_on is not None and item.answer is None
    return not filters.answer or item.answer == filters.answer


async def _asked(session: AsyncSession, ids: list[int]) -> dict[int, PaymentNotice]:
    """The latest "kenapa belum bayar?" of each submission."""
    if not ids:
        return {}
    query = (
        select(PaymentNotice)
        .where(PaymentNotice.kind == ARREARS, col(PaymentNotice.submission_id).in_(ids))
        .order_by(col(PaymentNotice.due_on))
    )
    return {n.submission_id: n for n in (await session.exec(query)).all()}
