"""The follow-up queue as a file: every submission the caller may see under the filters, oldest
first; audited (with the count and the filters, never a person's data)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import auditlog
from dashboard.service.access import Access
from dashboard.service.export.columns import queue_columns
from dashboard.service.export.formats import format_named
from dashboard.service.export.rows import submission_row
from dashboard.service.queue import QueueFilters, all_matching, usernames
from handlers.channels import Catalogue
from handlers.enrol.form import Form
from storage.crypto import Vault


async def export_queue(
    session: AsyncSession,
    access: Access,
    vault: Vault,
    form: Form,
    filters: QueueFilters,
    fmt: str,
    *,
    reveal_nik: bool,
    now: datetime,
    channels: Catalogue,
) -> bytes:
    chosen = format_named(fmt)
    access.require(access.sees_people)
    submissions = await all_matching(session, access, vault, filters, now)
    officers = await usernames(session, {s.assigned_to_id for s in submissions if s.assigned_to_id})
    rows = [
        submission_row(
            s,
            vault,
            form,
            chosen.style,
            reveal_nik=reveal_nik,
            officer=officers.get(s.assigned_to_id) if s.assigned_to_id else None,
            channels=channels,
        )
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
    return chosen.render(rows, queue_columns(form))
