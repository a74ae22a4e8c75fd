"""Exports of the filtered queue (the page's CSV/XLSX buttons and `bpu-bot export`); audited."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.export import FORMATS, RENDERERS, columns, row_of
from dashboard.service import auditlog
from dashboard.service.access import Access
from dashboard.service.errors import InvalidInput
from dashboard.service.queue import QueueFilters, all_matching, usernames
from handlers.enrol.form import Form
from storage.crypto import Vault


async def export(
    session: AsyncSession,
    access: Access,
    vault: Vault,
    form: Form,
    filters: QueueFilters,
    fmt: str,
    *,
    reveal_nik: bool,
    now: datetime,
) -> bytes:
    if fmt not in FORMATS:
        raise InvalidInput("format", f"Format harus salah satu dari: {', '.join(FORMATS)}.")
    access.require(access.sees_people)
    submissions = await all_matching(session, access, vault, filters, now)
    officers = await usernames(session, {s.assigned_to_id for s in submissions if s.assigned_to_id})
    rows = [
        row_of(s, vault, reveal_nik, officers.get(s.assigned_to_id) if s.assigned_to_id else None, form)
        for s in submissions
    ]
    branch = filters.branch if access.all_branches else access.branch_code
    described = {k: v for k, v in vars(filters).items() if v not in (None, False) and k != "search"}
    auditlog.record(
        session,
        access,
        "export_reveal_nik" if reveal_nik else "export",
        now=now,
        branch=branch,
        rows=len(rows),
        format=fmt,
        filters={k: str(v) for k, v in described.items()},
    )
    return RENDERERS[fmt](rows, columns(form))
