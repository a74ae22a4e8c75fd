"""The follow-up queue as CSV, JSON or XLSX, for branch staff (`bpu-bot export`, the queue page).

One row per submission: every field the worker gave (NIK masked unless revealed), flags,
the branch and its officer, the call-back date promised to the worker and any requested
call-back. Phone numbers are text in the national form (0812-3456-7890), so a tap calls them;
programs and times are written for people, times in the local time of the worker's region.
Cells that a spreadsheet would run as a formula are neutralised in CSV and XLSX. XLSX has
column widths, a frozen header row and filters.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from handlers.branches import branch_map
from handlers.enrol.steps import national
from messages.form_labels import form_labels
from messages.program_data import occupation
from storage.crypto import Vault, mask_nik
from storage.models import Submission

# (key, header): JSON uses the keys, CSV and XLSX the Indonesian headers.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("reference", "Nomor pendaftaran"),
    ("status", "Status"),
    ("status_label", "Keterangan status"),
    ("branch", "Kode cabang"),
    ("branch_name", "Cabang"),
    ("assigned_to", "Petugas"),
    ("name", "Nama"),
    ("nik", "NIK"),
    ("birth_date", "Tanggal lahir"),
    ("sex", "Jenis kelamin"),
    ("phone", "Nomor HP"),
    ("email", "Email"),
    ("regency_code", "Kode kabupaten/kota"),
    ("regency_name", "Kabupaten/kota"),
    ("district", "Kecamatan"),
    ("address", "Alamat"),
    ("occupation", "Pekerjaan"),
    ("income", "Penghasilan"),
    ("programs", "Program"),
    ("monthly_contribution", "Iuran per bulan"),
    ("payment_period_months", "Masa bayar (bulan)"),
    ("period_total", "Jumlah bayar"),
    ("flags", "Tanda"),
    ("channel", "Kanal"),
    ("attribution_code", "Kode sumber"),
    ("created_at", "Waktu daftar"),
    ("call_by", "Batas telepon"),
    ("callback_at", "Minta ditelepon"),
    ("kpj_number", "Nomor KPJ"),
)
KEYS = tuple(key for key, _ in COLUMNS)
HEADERS = tuple(header for _, header in COLUMNS)
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
    submission: Submission, vault: Vault, reveal_nik: bool, officer: str | None = None
) -> dict[str, Any]:
    nik = vault.decrypt_optional(submission.nik_enc)
    phone = vault.decrypt_optional(submission.phone_enc)
    try:
        work = occupation(submission.occupation).label
    except KeyError:
        work = submission.occupation
    if submission.occupation_other:
        work = f"{work}: {submission.occupation_other}"
    labels = form_labels()
    flag_names = _flag_labels()
    return {
        "reference": submission.reference,
        "status": submission.status,
        "status_label": labels["statuses"].get(submission.status, submission.status),
        "branch": submission.branch_code,
        "branch_name": branch_map().get(submission.branch_code).name or submission.branch_code,
        "assigned_to": officer,
        "name": vault.decrypt_optional(submission.full_name_enc),
        "nik": (nik if reveal_nik else mask_nik(nik)) if nik else None,
        "birth_date": submission.birth_date.strftime("%d-%m-%Y") if submission.birth_date else None,
        "sex": labels["sex"].get(submission.sex or "", submission.sex),
        "phone": national(phone) if phone else None,
        "email": vault.decrypt_optional(submission.email_enc),
        "regency_code": submission.regency_code,
        "regency_name": submission.regency_name,
        "district": submission.district_name,
        "address": vault.decrypt_optional(submission.address_enc),
        "occupation": work,
        "income": submission.income,
        "programs": labels["programs"]["with_jht" if submission.programs == "jkk_jkm_jht" else "basic"],
        "monthly_contribution": submission.monthly_contribution,
        "payment_period_months": submission.payment_months,
        "period_total": submission.period_total,
        "flags": ", ".join(flag_names.get(f, f) for f in submission.flags),
        "channel": submission.channel,
        "attribution_code": submission.attribution_code,
        "created_at": local_time(submission.created_at, submission.regency_code),
        "call_by": submission.call_by.strftime("%d-%m-%Y") if submission.call_by else None,
        "callback_at": local_time(submission.callback_at, submission.regency_code),
        "kpj_number": submission.kpj_number,
    }


def _flag_labels() -> dict[str, str]:
    from dashboard.service.texts import texts

    flags: dict[str, str] = texts()["flags"]
    return flags


def render_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([neutralise(row[key]) for key in KEYS])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def render_json(rows: Iterable[dict[str, Any]]) -> bytes:
    return (json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n").encode()


def render_xlsx(rows: Iterable[dict[str, Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "pendaftaran"
    sheet.append(list(HEADERS))
    widths = [len(header) for header in HEADERS]
    count = 0
    for row in rows:
        count += 1
        values = [neutralise(row[key]) for key in KEYS]
        sheet.append(values)
        for index, value in enumerate(values):
            widths[index] = max(widths[index], len(str(value)) if value is not None else 0)
    for index, key in enumerate(KEYS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(60, widths[index - 1] + 2)
        if key in _TEXT_COLUMNS:
            for cell in sheet[letter][1:]:
                cell.number_format = "@"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(KEYS))}{count + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


RENDERERS: dict[str, Callable[[Iterable[dict[str, Any]]], bytes]] = {
    "csv": render_csv,
    "json": render_json,
    "xlsx": render_xlsx,
}
