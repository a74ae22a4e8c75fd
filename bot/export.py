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

from handlers.enrol.fields import FORM
from handlers.enrol.form import Form
from storage.callbacks import callback_queue
from storage.crypto import Vault
from storage.db import Database
from storage.models import Submission
from storage.submissions import audit, export_rows
from storage.types import utcnow

META_BEFORE = ("reference", "status", "branch")
META_AFTER = ("channel", "attribution_code", "created_at")


def columns(form: Form = FORM) -> tuple[str, ...]:
    """The export's columns: the submission's own, and each form field's (declared with it)."""
    return (*META_BEFORE, *form.export_columns, *META_AFTER)


COLUMNS = columns()
FORMATS = ("csv", "json", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that starts like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def row_of(submission: Submission, vault: Vault, reveal_nik: bool, form: Form = FORM) -> dict[str, Any]:
    return {
        "reference": submission.reference,
        "status": submission.status,
        "branch": submission.branch_code,
        **form.export_values(form.read(submission, vault), reveal_nik),
        "channel": submission.channel,
        "attribution_code": submission.attribution_code,
        "created_at": submission.created_at.isoformat(),
    }


def render_csv(rows: Iterable[dict[str, Any]], header: tuple[str, ...] = COLUMNS) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: neutralise(value) for key, value in row.items()})
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def render_json(rows: Iterable[dict[str, Any]], header: tuple[str, ...] = COLUMNS) -> bytes:
    return (json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n").encode()


def render_xlsx(rows: Iterable[dict[str, Any]], header: tuple[str, ...] = COLUMNS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "pendaftaran"
    sheet.append(list(header))
    for row in rows:
        sheet.append([neutralise(row[column]) for column in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


RENDERERS: dict[str, Callable[[Iterable[dict[str, Any]], tuple[str, ...]], bytes]] = {
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
    form: Form = FORM,
) -> bytes:
    """The queue in one format; a revealed NIK is audited in the same transaction as the read."""
    async with db.transaction() as session:
        submissions = await export_rows(session, status=status, branch=branch)
        rows = []
        for number, submission in enumerate(submissions, start=1):
            rows.append(row_of(submission, vault, reveal_nik, form))
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
    return RENDERERS[fmt](rows, columns(form))


CALLBACK_COLUMNS = ("id", "status", "branch", "phone", "question", "channel", "created_at")


async def export_callbacks(db: Database, vault: Vault, *, fmt: str, branch: str | None, actor: str) -> bytes:
    """The open callback requests ("minta ditelepon") of one branch, or all, oldest first.

    Their number and question are personal data: reading them is audited like a reveal.
    """
    async with db.transaction() as session:
        requests = await callback_queue(session, branch=branch)
        rows = [
            {
                "id": r.id,
                "status": r.status,
                "branch": r.branch_code,
                "phone": vault.decrypt_optional(r.phone_enc),
                "question": vault.decrypt_optional(r.question_enc),
                "channel": r.channel,
                "created_at": r.created_at.isoformat(),
            }
            for r in requests
        ]
        audit(session, actor=actor, action="export_callbacks", now=utcnow(), rows=len(rows), branch=branch)
    return RENDERERS[fmt](rows, CALLBACK_COLUMNS)
