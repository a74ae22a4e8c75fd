"""The open callback requests ("minta ditelepon") as a file, oldest first: the caller's branch
(every branch for an administrator or an operator at the server, or the one `branch` names).

Each row carries the number to call and the question asked, personal data: reading them is
audited like a reveal.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import auditlog, callbacks
from dashboard.service.access import Access
from dashboard.service.export.columns import CALLBACK_COLUMNS
from dashboard.service.export.formats import format_named
from dashboard.service.export.rows import callback_row
from handlers.channels import Catalogue
from storage.crypto import Vault


async def export_callbacks(
    session: AsyncSession,
    access: Access,
    vault: Vault,
    channels: Catalogue,
    fmt: str,
    *,
    branch: str | None,
    now: datetime,
) -> bytes:
    chosen = format_named(fmt)
    found = await callbacks.open_with_phones(session, access, vault, channels, branch=branch)
    rows = [callback_row(request, phone, vault, chosen.style, channels) for request, phone in found]
    auditlog.record(
        session,
        access,
        "export_callbacks",
        now=now,
        branch=branch if access.all_branches else access.branch_code,
        rows=len(rows),
        format=fmt,
    )
    return chosen.render(rows, CALLBACK_COLUMNS)
