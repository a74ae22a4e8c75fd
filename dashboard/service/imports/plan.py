"""The preview of an import: each row matched (within the caller's scope) or not, and checked.

Rows name a submission by our reference or by NIK. A NIK is looked up through its keyed hashes
(one per configured key, as the staff search does), never stored or compared in clear. The
lookups go by chunks of CHUNK values in read-only transactions, so 10,000 rows cost a few dozen
queries and hold no write lock. A submission of another branch is not loaded at all: its row is
refused exactly as a row naming nobody.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service.access import Access, scope_people
from dashboard.service.imports.check import STATE_COLUMNS, Outcome, check_row
from dashboard.service.imports.read import RawRow
from dashboard.service.imports.texts import refusal
from storage.coverage import coverages_of
from storage.coverage_models import Coverage
from storage.crypto import Vault
from storage.db import Database
from storage.models import OPEN_STATUSES, Submission
from storage.submissions import normalize_reference

CHUNK = 500
T = TypeVar("T")
_NIK = re.compile(r"\d{16}")


@dataclass(frozen=True)
class RowPlan:
    """One row of the file as previewed: which submission, and the outcome of its checks."""

    raw: RawRow
    given_reference: str | None
    submission_id: int | None
    reference: str | None
    """Our reference: the one the row gave (matched or not), or the matched one for a NIK row."""
    outcome: Outcome

    @property
    def row(self) -> int:
        return self.raw.row

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    @property
    def error(self) -> str | None:
        return self.outcome.error

    @property
    def changes(self) -> tuple[str, ...]:
        return self.outcome.changes

    def refused(self, error: str) -> RowPlan:
        return replace(self, outcome=Outcome(error=error))


@dataclass(frozen=True)
class Identity:
    reference: str | None
    nik_hashes: tuple[str, ...]
    error: str | None


def identify(raw: RawRow, vault: Vault) -> Identity:
    reference_text = raw.text("reference")
    nik_text = re.sub(r"[\s.\-]", "", raw.text("nik"))
    if nik_text and not _NIK.fullmatch(nik_text):
        return Identity(
            normalize_reference(reference_text) if reference_text else None, (), refusal("nik_format")
        )
    hashes = tuple(vault.keyed_hashes(nik_text)) if nik_text else ()
    if reference_text:
        return Identity(normalize_reference(reference_text), hashes, None)
    if hashes:
        return Identity(None, hashes, None)
    return Identity(None, (), refusal("no_identity"))


def _chunks(items: Sequence[T], size: int = CHUNK) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _state_query(access: Access) -> Any:
    """The columns a row's checks read (core rows, not ORM objects: 10,000 of them load fast)."""
    return scope_people(select(*(getattr(Submission, name) for name in STATE_COLUMNS)), access)


async def _by_reference(session: AsyncSession, access: Access, references: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for chunk in _chunks(references):
        query = _state_query(access).where(col(Submission.reference).in_(list(chunk)))
        found |= {s.reference: s for s in (await session.exec(query)).all()}
    return found


async def _by_nik_hash(session: AsyncSession, access: Access, hashes: list[str]) -> dict[str, Any]:
    """Each hash's submission: the open one when there is one, else the newest."""
    found: dict[str, Any] = {}
    for chunk in _chunks(hashes):
        query = _state_query(access).where(col(Submission.nik_hash).in_(list(chunk)))
        for submission in (await session.exec(query.order_by(col(Submission.id)))).all():
            held = found.get(submission.nik_hash)
            if held is None or submission.status in OPEN_STATUSES or held.status not in OPEN_STATUSES:
                found[submission.nik_hash] = submission
    return found


async def _coverages(session: AsyncSession, ids: list[int]) -> dict[int, Coverage]:
    found: dict[int, Coverage] = {}
    for chunk in _chunks(ids):
        found |= await coverages_of(session, chunk)
    return found


async def plan_rows(
    db: Database, access: Access, vault: Vault, rows: Sequence[RawRow], now: datetime
) -> list[RowPlan]:
    """Every row, matched and checked, in file order; nothing is written."""
    access.require(access.sees_people)
    identities = await asyncio.to_thread(lambda: [identify(raw, vault) for raw in rows])
    references = sorted({i.reference for i in identities if i.reference and not i.error})
    hashes = sorted({h for i in identities if not i.error and not i.reference for h in i.nik_hashes})
    async with db.reader() as session:
        by_reference = await _by_reference(session, access, references)
        by_hash = await _by_nik_hash(session, access, hashes)
        matched = {s.id for s in (*by_reference.values(), *by_hash.values())}
        coverages = await _coverages(session, sorted(matched))
    first_row: dict[int, int] = {}

    def check_all() -> list[RowPlan]:
        return [
            _plan(raw, identity, by_reference, by_hash, coverages, first_row, now)
            for raw, identity in zip(rows, identities, strict=True)
        ]

    # Pure computation, in a thread: the event loop (the webhooks) keeps its turns meanwhile.
    return await asyncio.to_thread(check_all)


def _plan(
    raw: RawRow,
    identity: Identity,
    by_reference: dict[str, Any],
    by_hash: dict[str, Any],
    coverages: dict[int, Coverage],
    first_row: dict[int, int],
    now: datetime,
) -> RowPlan:
    base = RowPlan(raw, identity.reference, None, identity.reference, Outcome())
    if identity.error:
        return base.refused(identity.error)
    if identity.reference:
        submission = by_reference.get(identity.reference)
        if submission is not None and identity.nik_hashes and submission.nik_hash not in identity.nik_hashes:
            return base.refused(refusal("nik_mismatch"))
    else:
        submission = next((by_hash[h] for h in identity.nik_hashes if h in by_hash), None)
    if submission is None:
        return base.refused(refusal("unknown"))
    matched = replace(base, submission_id=submission.id, reference=submission.reference)
    if submission.id in first_row:
        return matched.refused(refusal("duplicate", first=str(first_row[submission.id])))
    first_row[submission.id] = raw.row
    return replace(matched, outcome=check_row(raw, submission, coverages.get(submission.id), now))
