"""The XLSX workbook: Indonesian headers, people's formats, formula-like cells neutralised, text
columns kept as text, dates and times as real dates (shown 22-11-2026 and 22-11-2026 10:05),
column widths, a frozen header row and filters."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from dashboard.service.export.columns import TEXT_COLUMNS, headers
from dashboard.service.export.styles import neutralise

SHEET = "pendaftaran"
MAX_WIDTH = 60
DAY_FORMAT = "dd-mm-yyyy"
MOMENT_FORMAT = "dd-mm-yyyy hh:mm"


def render(rows: Iterable[dict[str, Any]], keys: tuple[str, ...]) -> bytes:
    # openpyxl (about 13 MB) is loaded by the first XLSX export, not by every running service.
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET
    titles = headers(keys)
    sheet.append(list(titles))
    widths = [len(title) for title in titles]
    count = 0
    for row in rows:
        count += 1
        values = [neutralise(row.get(key)) for key in keys]
        sheet.append(values)
        for index, value in enumerate(values):
            if isinstance(value, datetime):
                sheet.cell(row=count + 1, column=index + 1).number_format = MOMENT_FORMAT
            elif isinstance(value, date):
                sheet.cell(row=count + 1, column=index + 1).number_format = DAY_FORMAT
            shown = (
                len(MOMENT_FORMAT) if isinstance(value, date) else len(str(value)) if value is not None else 0
            )
            widths[index] = max(widths[index], shown)
    for index, key in enumerate(keys, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(MAX_WIDTH, widths[index - 1] + 2)
        if key in TEXT_COLUMNS:
            for cell in sheet[letter][1:]:
                cell.number_format = "@"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{count + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
