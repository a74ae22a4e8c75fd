"""The follow-up queue as CSV, JSON or XLSX, for branch staff (`bpu-bot export`, the queue page).

One row per submission: the submission's own columns (status, branch and officer, flags,
the call-back date promised to the worker and any requested call-back, the KPJ number) around
the columns each form field declares (handlers/enrol/fields.py: NIK masked unless revealed,
phone numbers as text in the national form, so a tap calls them, programs in words). Times are
written in the local time of the worker's region. CSV and XLSX carry Indonesian headers (a new
field's column falls back to its key), JSON the keys. Cells that a spreadsheet would run as a
formula are neutralised in CSV and XLSX; XLSX has column widths, a frozen header and filters.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from handlers.branches import branch_map
from handlers.enrol.fields import FORM
from handlers.enrol.form import Form
from messages.form_labels import form_labels
from storage.callbacks import callback_queue
from storage.crypto import Vault
from storage.db import Database
from storage.models import Submission
from storage.submissions import audit
from storage.types import utcnow

META_BEFORE = ("reference", "status", "status_label", "branch", "branch_name", "assigned_to")
META_AFTER = (
    "period_total",
    "flags",
    "channel",
    "attribution_code",
    "created_at",
    "call_by",
    "callback_at",
    "kpj_number",
)
FORMATS = ("csv", "json", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TEXT_COLUMNS = {"reference", "nik", "phone", "kpj_number", "regency_code", "attribution_code"}

# Indonesia's three time zones, by province code (first two digits of the Kemendagri code).
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}
ZONES = {
    "WIB": timezone(timedelta(hours=7), "WIB"),
    "WITA": timezone(timedelta(hours=8), "WITA"),
    "WIT": timezone(timedelta(hours=9), "WIT"),
}


def columns(form: Form = FORM) -> tuple[str, ...]:
    """The export's columns: the submission's own, and each form field's (declared with it)."""
    return (*META_BEFORE, *form.export_columns, *META_AFTER)


def headers(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The Indonesian column headers (messages/backoffice.toml [export_headers]); else the key."""
    from dashboard.service.texts import texts

    names: dict[str, str] = texts()["export_headers"]
    return tuple(names.get(key, key) for key in keys)


COLUMNS = columns()


def zone_of(regency_code: str | None) -> str:
    province = (regency_code or "")[:2]
    return "WITA" if province in _WITA else "WIT" if province in _WIT else "WIB"


def local_time(value: datetime | None, regency_code: str | None) -> str | None:
    """ "22-11-2026 10:05 WIB" in the time zone of the worker's region."""
    if value is None:
        return None
    zone = zone_of(regency_code)
    return value.astimezone(ZONES[zone]).strftime("%d-%m-%Y %H:%M ") + zone


def neutralise(value: Any) -> Any:
    """A text cell that starts like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def row_of(
    submission: Submission,
    vault: Vault,
    reveal_nik: bool,
    officer: str | None = None,
    form: Form = FORM,
) -> dict[str, Any]:
    from dashboard.service.texts import flag_label

    statuses = form_labels()["statuses"]
    return {
        "reference": submission.reference,
        "status": submission.status,
        "status_label": statuses.get(submission.status, submission.status),
        "branch": submission.branch_code,
        "branch_name": branch_map().get(submission.branch_code).name or submission.branch_code,
        "assigned_to": officer,
        **form.export_values(form.read(submission, vault), reveal_nik),
        "period_total": submission.period_total,
        "flags": ", ".join(flag_label(f) for f in submission.flags),
        "channel": submission.channel,
        "attribution_code": submission.attribution_code,
        "created_at": local_time(submission.created_at, submission.regency_code),
        "call_by": submission.call_by.strftime("%d-%m-%Y") if submission.call_by else None,
        "callback_at": local_time(submission.callback_at, submission.regency_code),
        "kpj_number": submission.kpj_number,
    }


def render_csv(rows: Iterable[dict[str, Any]], keys: tuple[str, ...] = COLUMNS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers(keys))
    for row in rows:
        writer.writerow([neutralise(row.get(key)) for key in keys])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def render_json(rows: Iterable[dict[str, Any]], keys: tuple[str, ...] = COLUMNS) -> bytes:
    return (json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n").encode()


def render_xlsx(rows: Iterable[dict[str, Any]], keys: tuple[str, ...] = COLUMNS) -> bytes:
    # openpyxl (about 13 MB) is loaded by the first XLSX export, not by every running service.
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "pendaftaran"
    titles = headers(keys)
    sheet.append(list(titles))
    widths = [len(title) for title in titles]
    count = 0
    for row in rows:
        count += 1
        values = [neutralise(row.get(key)) for key in keys]
        sheet.append(values)
        for index, value in enumerate(values):
            widths[index] = max(widths[index], len(str(value)) if value is not None else 0)
    for index, key in enumerate(keys, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(60, widths[index - 1] + 2)
        if key in _TEXT_COLUMNS:
            for cell in sheet[letter][1:]:
                cell.number_format = "@"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{count + 1}"
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
    form: Form = FORM,
) -> bytes:
    """The queue as an operator at the server exports it (every branch); audited."""
    from dashboard.service import Access, Backoffice, QueueFilters

    office = Backoffice(db, vault, form=form)
    operator = Access.operator(actor.removeprefix("cli:"))
    return await office.export(
        operator, QueueFilters(status=status, branch=branch), fmt, reveal_nik=reveal_nik
    )


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
