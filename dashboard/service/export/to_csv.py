"""The CSV file: Indonesian headers, people's formats, formula-like cells neutralised, UTF-8
with a byte-order mark so Excel reads it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from dashboard.service.export.columns import headers
from dashboard.service.export.styles import neutralise


def render(rows: Iterable[dict[str, Any]], keys: tuple[str, ...]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers(keys))
    for row in rows:
        writer.writerow([neutralise(row.get(key)) for key in keys])
    return buffer.getvalue().encode("utf-8-sig")
