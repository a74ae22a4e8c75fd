"""The follow-up queue: filters, search, sorting, pages, a total and the per-status counts.

Sorted by waiting since (`created_at`, then `id`; the default), by the promise made to the
worker (the call-back time asked for, else the call-by date; oldest first), or by status along
the graph. 50 a page: by keyset cursor (the last row's key, waiting-since order: a page costs
the same at row 50 as at row 500,000, served by `ix_submission_queue` and
`ix_submission_queue_status`), or by offset (`offset=`, every order: the pages' previous/next).
The status may be one status, "open" (what still needs action: baru, diproses, dihubungi) or
None (all). NIK and phone searches go through keyed hashes, never through decrypted data.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.access import BRANCH_ROLES, Access, scope_people
from dashboard.service.errors import InvalidInput
from handlers.localtime import WIB
from storage.crypto import Vault
from storage.models import QUEUE_FLAGS, QueueCount, StaffAccount, Submission, flagged
from storage.submissions import ALL_STATUSES, REFERENCE_ALPHABET, normalize_reference
from storage.types import UTCDateTime

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
FILTER_FLAGS = QUEUE_FLAGS
# Statuses an officer still owes the worker a first call in.
NOT_YET_CONTACTED = ("baru", "diproses")
# Statuses in which a requested call-back is still owed.
OPEN_WORK = ("baru", "diproses", "dihubungi")

OPEN_VIEW = "open"
"""The status filter for every open status (OPEN_WORK): what the queue page shows by default."""
SORTS = ("waiting", "promise", "status")
_STATUS_ORDER = {code: n for n, code in enumerate(ALL_STATUSES)}

_NIK = re.compile(r"\d{16}")
_REFERENCE = re.compile(rf"[{REFERENCE_ALPHABET}]{{4}}-?[{REFERENCE_ALPHABET}]{{4}}")


@dataclass(frozen=True)
class QueueFilters:
    """What the officer narrowed the queue to. Every field is optional."""

    status: str | None = None
    created_from: date | None = None
    """First day (WIB) of the sign-up date range, inclusive."""
    created_to: date | None = None
    """Last day (WIB) of the sign-up date range, inclusive."""
    regency_code: str | None = None
    district_code: str | None = None
    occupation: str | None = None
    channel: str | None = None
    attribution_code: str | None = None
    flag: str | None = None
    """"age_over_limit" or "income_below_floor"."""
    assigned: str | None = None
    """"me" (handled by the caller) or "unassigned"."""
    overdue: bool = False
    """Past the call-back date promised to the worker (working days, public holidays excluded)."""
    branch: str | None = None
    """One branch (an admin's choice); a branch account naming another branch gets nothing."""
    search: str | None = None
    """A reference ("K7XQ-M4DA"), a NIK (16 digits) or a phone number in any format: exact."""
    officer: str | None = None
    """The username of the officer handling them (the per-officer view of the team's work)."""
    references: tuple[str, ...] = ()
    """Only these references (a selection to export); empty: no such limit."""
    sort: str | None = None
    """"waiting" (None: the default), "promise" or "status"."""

    def validate(self) -> None:
        if self.sort is not None and self.sort not in SORTS:
            raise InvalidInput("sort", f"Urutan harus salah satu dari: {', '.join(SORTS)}.")
        if self.status is not None and self.status not in (*ALL_STATUSES, OPEN_VIEW):
            raise InvalidInput("status", f"Status harus salah satu dari: {', '.join(ALL_STATUSES)}.")
        if self.flag is not None and self.flag not in FILTER_FLAGS:
            raise InvalidInput("flag", f"Tanda harus salah satu dari: {', '.join(FILTER_FLAGS)}.")
        if self.assigned is not None and self.assigned not in ("me", "unassigned"):
            raise InvalidInput("assigned", 'Penanganan harus "me" atau "unassigned".')
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise InvalidInput("created_to", "Tanggal akhir tidak boleh sebelum tanggal awal.")


@dataclass(frozen=True)
class QueueItem:
    reference: str
    status: str
    branch_code: str
    created_at: datetime
    channel: str
    name: str | None
    regency_name: str | None
    district_name: str | None
    occupation: str
    flags: tuple[str, ...]
    assigned_to: str | None
    call_by: date | None
    callback_at: datetime | None
    overdue: bool
    version: int


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)
    """Submissions per status in the caller's queue (the tabs; other filters aside)."""
    search_kind: str | None = None
    """How the search text was read: "reference", "nik", "phone", or "unreadable"."""
    total: int = 0
    """Submissions under the filters and the status (every page together)."""
    offset: int | None = None
    """Rows before this page (offset paging; None with the cursor)."""
    has_more: bool = False
    """Whether a page follows this one."""


def day_start(day: date) -> datetime:
    """Midnight WIB of `day`, in UTC."""
    return datetime.combine(day, time(0), WIB).astimezone(UTC)


def today_wib(now: datetime) -> date:
    return now.astimezone(WIB).date()


def encode_cursor(created_at: datetime, row_id: int) -> str:
    raw = f"{created_at.astimezone(UTC).isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, row_id = raw.split("|")
        created_at = datetime.fromisoformat(at)
        if created_at.tzinfo is None:
            raise ValueError("naive")
        return created_at, int(row_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor", "Penanda halaman tidak valid; mulai lagi dari halaman pertama.") from exc


def read_search(text: str, vault: Vault) -> tuple[str, Any]:
    """("reference", ref) | ("nik", hashes) | ("phone", hashes) | ("unreadable", None).

    Hashes: one per configured key, since stored ones may predate a key rotation."""
    from handlers.enrol.parsers import parse_mobile

    compact = re.sub(r"[\s.\-]", "", text.strip())
    if _NIK.fullmatch(compact):
        return "nik", vault.keyed_hashes(compact)
    if _REFERENCE.fullmatch(text.strip().upper()):
        return "reference", normalize_reference(text)
    phone = parse_mobile(text)
    if phone.value is not None:
        return "phone", vault.phone_hashes(phone.value)
    return "unreadable", None


def overdue_clause(now: datetime) -> Any:
    today = today_wib(now)
    return or_(
        and_(col(Submission.status).in_(NOT_YET_CONTACTED), col(Submission.call_by) < today),
        and_(col(Submission.status).in_(OPEN_WORK), col(Submission.callback_at) < now),
    )


def is_overdue(submission: Submission, now: datetime) -> bool:
    today = today_wib(now)
    if submission.status in NOT_YET_CONTACTED and submission.call_by and submission.call_by < today:
        return True
    return bool(submission.status in OPEN_WORK and submission.callback_at and submission.callback_at < now)


def filtered(
    query: Any, access: Access, filters: QueueFilters, vault: Vault, now: datetime
) -> tuple[Any, str | None]:
    """Applies the scope and every filter but the status; returns the query and the search kind."""
    query = scope_people(query, access)
    if filters.branch:  # another branch's code finds nothing, as if it had no submissions
        query = query.where(col(Submission.branch_code) == filters.branch)
    if filters.created_from:
        query = query.where(col(Submission.created_at) >= day_start(filters.created_from))
    if filters.created_to:
        query = query.where(col(Submission.created_at) < day_start(filters.created_to + timedelta(days=1)))
    for name, column in (
        ("regency_code", Submission.regency_code),
        ("district_code", Submission.district_code),
        ("occupation", Submission.occupation),
        ("channel", Submission.channel),
        ("attribution_code", Submission.attribution_code),
    ):
        value = getattr(filters, name)
        if value:
            query = query.where(col(column) == value)
    if filters.flag:
        query = query.where(flagged(filters.flag))
    if filters.assigned == "me":
        query = query.where(col(Submission.assigned_to_id) == access.account_id)
    elif filters.assigned == "unassigned":
        query = query.where(col(Submission.assigned_to_id).is_(None))
    if filters.overdue:
        query = query.where(overdue_clause(now))
    if filters.officer:
        officer_id = select(StaffAccount.id).where(
            col(StaffAccount.username) == filters.officer.strip().lower()
        )
        query = query.where(col(Submission.assigned_to_id).in_(officer_id.scalar_subquery()))
    if filters.references:
        chosen = [normalize_reference(r) for r in filters.references]
        query = query.where(col(Submission.reference).in_(chosen))
    kind = None
    if filters.search and filters.search.strip():
        kind, key = read_search(filters.search, vault)
        searched = {
            "reference": col(Submission.reference),
            "nik": col(Submission.nik_hash),
            "phone": col(Submission.phone_hash),
        }.get(kind)
        if searched is None:
            query = query.where(col(Submission.id) < 0)
        else:
            query = query.where(searched.in_(key) if kind in ("nik", "phone") else searched == key)
    return query, kind


def with_status(query: Any, status: str | None) -> Any:
    """The status filter: one status, "open" (OPEN_WORK) or None (all)."""
    if status == OPEN_VIEW:
        return query.where(col(Submission.status).in_(OPEN_WORK))
    if status:
        return query.where(col(Submission.status) == status)
    return query


def promise_key() -> Any:
    """The promise made to the worker: the call-back time asked for, else the call-by date."""
    return func.coalesce(col(Submission.callback_at), col(Submission.call_by))


def sort_of(filters: QueueFilters) -> str:
    """The chosen order; unchosen, the open view goes by promise and the others by waiting time."""
    return filters.sort or ("promise" if filters.status == OPEN_VIEW else "waiting")


def ordered(query: Any, sort: str) -> Any:
    """The query in the given order; ties oldest first, then by id (stable pages)."""
    waiting = (col(Submission.created_at), col(Submission.id))
    if sort == "promise":
        return query.order_by(promise_key().asc().nulls_last(), *waiting)
    if sort == "status":
        return query.order_by(case(_STATUS_ORDER, value=col(Submission.status)), *waiting)
    return query.order_by(*waiting)


def view_total(counts: dict[str, int], status: str | None) -> int:
    """How many rows the status tab (or "open", or all) holds, from the counts."""
    if status == OPEN_VIEW:
        return sum(counts.get(code, 0) for code in OPEN_WORK)
    if status:
        return counts.get(status, 0)
    return sum(counts.values())


async def list_queue(
    session: AsyncSession,
    access: Access,
    vault: Vault,
    filters: QueueFilters,
    *,
    now: datetime,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    with_counts: bool = True,
    offset: int | None = None,
) -> QueuePage:
    filters.validate()
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query, kind = filtered(select(Submission), access, filters, vault, now)
    counts = await status_counts(session, access, vault, filters, now) if with_counts else {}
    query = with_status(query, filters.status)
    sort = sort_of(filters)
    if offset is None and sort != "waiting":
        offset = 0  # only the waiting-since order has a keyset cursor
    if cursor and offset is None:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(
            tuple_(col(Submission.created_at), col(Submission.id)) > tuple_(cast_utc(after_at), after_id)
        )
    query = ordered(query, sort)
    if offset:
        query = query.offset(max(0, offset))
    rows = list((await session.exec(query.limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    officers = await usernames(session, {r.assigned_to_id for r in rows if r.assigned_to_id})
    items = [
        QueueItem(
            reference=r.reference,
            status=r.status,
            branch_code=r.branch_code,
            created_at=r.created_at,
            channel=r.channel,
            name=vault.decrypt_optional(r.full_name_enc),
            regency_name=r.regency_name,
            district_name=r.district_name,
            occupation=r.occupation,
            flags=tuple(r.flags),
            assigned_to=officers.get(r.assigned_to_id) if r.assigned_to_id else None,
            call_by=r.call_by,
            callback_at=r.callback_at,
            overdue=is_overdue(r, now),
            version=r.version,
        )
        for r in rows
    ]
    last = rows[-1] if rows and more and offset is None else None
    next_cursor = encode_cursor(last.created_at, last.id or 0) if last is not None else None
    return QueuePage(
        items=items,
        next_cursor=next_cursor,
        counts=counts,
        search_kind=kind,
        total=view_total(counts, filters.status),
        offset=offset,
        has_more=more,
    )


def cast_utc(value: datetime) -> Any:
    from sqlalchemy import literal

    return literal(value, UTCDateTime())


NARROWING = (
    "created_from", "created_to", "regency_code", "district_code", "occupation", "channel",
    "attribution_code", "flag", "assigned", "overdue", "search", "officer", "references",
)  # fmt: skip
"""The filters that narrow the queue beyond its branch (the tabs then count under them)."""


async def status_counts(
    session: AsyncSession, access: Access, vault: Vault, filters: QueueFilters, now: datetime
) -> dict[str, int]:
    """{status: n} for every status in the caller's scope, under the filters (the status aside).

    Without a narrowing filter the counts come from `queue_count`, which triggers on
    `submission` keep (migration 0003), so the plain queue costs the same for a branch of 300
    sign-ups as for one of 100,000; with one, they are counted under it (the tabs follow the
    filters: an officer's own, a channel, a date range).
    """
    if any(getattr(filters, name) not in (None, False, "", ()) for name in NARROWING):
        grouped, _ = filtered(select(Submission.status, func.count()), access, filters, vault, now)
        found = dict((await session.exec(grouped.group_by(col(Submission.status)))).all())
        return {status: int(found.get(status, 0)) for status in ALL_STATUSES}
    query = select(QueueCount.status, func.sum(QueueCount.n)).group_by(col(QueueCount.status))
    if access.all_branches:
        if filters.branch:
            query = query.where(col(QueueCount.branch_code) == filters.branch)
    elif access.role in BRANCH_ROLES and access.branch_code and filters.branch in (None, access.branch_code):
        query = query.where(col(QueueCount.branch_code) == access.branch_code)
    else:
        return dict.fromkeys(ALL_STATUSES, 0)
    found = dict((await session.exec(query)).all())
    return {status: int(found.get(status, 0)) for status in ALL_STATUSES}


async def usernames(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.exec(
        select(StaffAccount.id, StaffAccount.username).where(col(StaffAccount.id).in_(ids))
    )
    return {i: name for i, name in rows.all() if i is not None}


async def all_matching(
    session: AsyncSession, access: Access, vault: Vault, filters: QueueFilters, now: datetime
) -> Sequence[Submission]:
    """Every submission under the filters, in the chosen order (for exports)."""
    filters.validate()
    query, _ = filtered(select(Submission), access, filters, vault, now)
    query = with_status(query, filters.status)
    return (await session.exec(ordered(query, sort_of(filters)))).all()
