"""A registrations file (CSV or XLSX) to rows of raw values, and the dates people write.

The header row names the columns (`reference` or `nik`, `status`, `kpj`, `registered_on`,
`paid_until`, `note`; a few Indonesian spellings too). Rows are numbered as the spreadsheet
numbers them (the header is row 1), so an officer finds row 12 where their program shows it.
Blank rows are skipped. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dashboard.service.errors import InvalidInput
from dashboard.service.imports.texts import refusal

COLUMNS = ("reference", "nik", "status", "kpj", "registered_on", "paid_until", "note")
ALIASES = {
    "referensi": "reference",
    "no_referensi": "reference",
    "nomor_referensi": "reference",
    "ref": "reference",
    "no_kpj": "kpj",
    "nomor_kpj": "kpj",
    "kpj_number": "kpj",
    "tanggal_daftar": "registered_on",
    "tgl_daftar": "registered_on",
    "registered": "registered_on",
    "lunas_sampai": "paid_until",
    "dibayar_sampai": "paid_until",
    "catatan": "note",
    "keterangan": "note",
}
MAX_ROWS = 20_000
"""The most data rows one file may hold (10,000 is what a branch's month looks like, twice)."""

EXCEL_EPOCH = date(1899, 12, 30)
"""Day 0 of Excel's 1900 date system (its serial numbers, as a CSV written from Excel may carry)."""
_EXCEL_SERIALS = range(20_000, 80_000)  # 1954 to 2118: a plausible date, not a stray number
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")


@dataclass(frozen=True)
class RawRow:
    """One data row of the file: its number in the sheet and its cells by column key."""

    row: int
    cells: dict[str, Any]

    def text(self, key: str) -> str:
        return cell_text(self.cells.get(key))


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing ".0" (a NIK or KPJ typed as a number)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def parse_date(value: Any) -> date | None:
    """A date as a spreadsheet or a person writes it, or None when it is not one.

    YYYY-MM-DD, DD-MM-YYYY (also with "/" or "."), an XLSX date cell, or an Excel serial number.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(value)
    text = cell_text(value)
    if not text:
        return None
    try:
        if match := _ISO.fullmatch(text):
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
        if match := _DMY.fullmatch(text):
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    if re.fullmatch(r"\d+(\.0+)?", text):
        return _serial(float(text))
    return None


def _serial(number: float) -> date | None:
    whole = int(number)
    return EXCEL_EPOCH + timedelta(days=whole) if whole in _EXCEL_SERIALS else None


def _key(title: Any) -> str | None:
    name = re.sub(r"[\s\-.]+", "_", cell_text(title).lower()).strip("_")
    name = ALIASES.get(name, name)
    return name if name in COLUMNS else None


def _rows(table: Iterable[Iterable[Any]]) -> Iterator[RawRow]:
    lines = iter(table)
    header: list[str | None] | None = None
    number = 0
    for line in lines:
        number += 1
        cells = list(line)
        if all(cell_text(cell) == "" for cell in cells):
            continue
        header = [_key(title) for title in cells]
        break
    if header is None:
        raise InvalidInput("file", refusal("no_rows"))
    if "status" not in header or not ({"reference", "nik"} & set(header)):
        raise InvalidInput("file", refusal("no_header"))
    for line in lines:
        number += 1
        values = {key: value for key, value in zip(header, line, strict=False) if key is not None}
        if all(cell_text(value) == "" for value in values.values()):
            continue
        yield RawRow(number, values)


def read_table(content: bytes, file_name: str = "") -> list[RawRow]:
    """The file's data rows; InvalidInput when it is not a table this import reads."""
    if content[:4] == b"PK\x03\x04" or file_name.lower().endswith(".xlsx"):
        table: Iterable[Iterable[Any]] = _xlsx(content)
    else:
        table = _csv(content)
    rows: list[RawRow] = []
    for row in _rows(table):
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise InvalidInput("file", refusal("too_many_rows", limit=f"{MAX_ROWS:,}".replace(",", ".")))
    if not rows:
        raise InvalidInput("file", refusal("no_rows"))
    return rows


def _csv(content: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything; latin-1 everything
        text = content.decode("latin-1")
    if "\x00" in text:
        raise InvalidInput("file", refusal("not_a_table"))
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ("\t" if "\t" in first else ",")
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _xlsx(content: bytes) -> Iterator[tuple[Any, ...]]:
    # openpyxl (about 13 MB) is loaded by the first XLSX import, not by every running service.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # a zip that is not a workbook, a damaged file: openpyxl raises many kinds
        raise InvalidInput("file", refusal("not_a_table")) from exc
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()
