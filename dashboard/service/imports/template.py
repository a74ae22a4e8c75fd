"""The file an officer fills when their system exports nothing this import reads: the header
row, one example row and, in the XLSX, a second sheet saying what each column takes."""

from __future__ import annotations

import csv
import io

from dashboard.service.imports.read import COLUMNS
from dashboard.service.imports.texts import column_help

EXAMPLE = ("K7XQ-M4DA", "", "terdaftar", "21012345678", "2026-11-05", "2027-02-04", "")


def template_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(EXAMPLE)
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "impor"
    sheet.append(list(COLUMNS))
    sheet.append(list(EXAMPLE))
    for letter in "ABCDEFG":  # every column as text: a NIK or KPJ keeps its digits
        sheet.column_dimensions[letter].width = 18
        for cell in sheet[letter]:
            cell.number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("petunjuk")
    guide.append(["kolom", "isi"])
    for key in COLUMNS:
        guide.append([key, column_help()[key]])
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["B"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
