"""`bpu-bot export`: the follow-up queue as CSV, JSON or XLSX for branch staff.

The NIK is masked unless the caller asks to reveal it; revealing is written to the audit log.
Cells that a spreadsheet would run as a formula are neutralised in CSV and XLSX.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from openpyxl import Workbook

from messages.program_data import occupation
from storage.crypto import Vault, mask_nik
from storage.db import Database
from storage.models import Submission
from storage.submissions import audit, export_rows
from storage.types import utcnow

COLUMNS = (
    "reference",
    "status",
    "branch",
    "name",
    "nik",
    "birth_date",
    "sex",
    "phone",
    "regency_code",
    "regency_name",
    "district",
    "address",
    "occupation",
    "income",
    "programs",
    "monthly_contribution",
    "payment_period_months",
    "channel",
    "attribution_code",
    "created_at",
)
FORMATS = ("csv", "json", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that starts like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def row_of(submission: Submission, vault: Vault, reveal_nik: bool) -> dict[str, Any]:
    nik = vault.decrypt_optional(submission.nik_enc)
    phone = vault.decrypt_optional(submission.phone_enc)
    work = occupation(submission.occupation).label
    if submission.occupation_other:
        work = f"{work}: {submission.occupation_other}"
    return {
        "reference": submission.reference,
        "status": submission.status,
        "branch": submission.branch_code,
        "name": vault.decrypt_optional(submission.full_name_enc),
        "nik": (nik if reveal_nik else mask_nik(nik)) if nik else None,
        "birth_date": submission.birth_date.isoformat() if submission.birth_date else None,
        "sex": submission.sex,
        "phone": phone,
        "regency_code": submission.regency_code,
        "regency_name": submission.regency_name,
        "district": submission.district_name,
        "address": vault.decrypt_optional(submission.address_enc),
        "occupation": work,
        "income": int(vault.decrypt(submission.income_enc)) if submission.income_enc else None,
        "programs": submission.programs,
        "monthly_contribution": submission.monthly_contribution,
        "payment_period_months": submission.payment_months,
        "channel": submission.channel,
        "attribution_code": submission.attribution_code,
        "created_at": submission.created_at.isoformat(),
    }


def render_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: neutralise(value) for key, value in row.items()})
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def render_json(rows: Iterable[dict[str, Any]]) -> bytes:
    return (json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n").encode()


def render_xlsx(rows: Iterable[dict[str, Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "pendaftaran"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([neutralise(row[column]) for column in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


RENDERERS: dict[str, Callable[[Iterable[dict[str, Any]]], bytes]] = {
    "csv": render_csv,
    "json": render_json,
    "xlsx": render_xlsx,
}


async def export_submissions(
    db: Database,
    vault: Vault,
    *,
    fmt: str,
    status: str | None,
    branch: str | None,
    reveal_nik: bool,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The queue in one format; a revealed NIK is audited in the same transaction as the read."""
    async with db.transaction() as session:
        submissions = await export_rows(session, status=status, branch=branch)
        rows = []
        for number, submission in enumerate(submissions, start=1):
            rows.append(row_of(submission, vault, reveal_nik))
            if progress is not None:
                progress(number, len(submissions))
        if reveal_nik:
            audit(
                session,
                actor=actor,
                action="export_reveal_nik",
                now=utcnow(),
                rows=len(rows),
                status=status,
                branch=branch,
                format=fmt,
            )
    return RENDERERS[fmt](rows)
