"""The export formats by name: the style each writes in, how it is written, its media type."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from dashboard.service.errors import InvalidInput
from dashboard.service.export import to_csv, to_json, to_xlsx
from dashboard.service.export.styles import PEOPLE, PROGRAMS, SPREADSHEET, Style


@dataclass(frozen=True)
class Format:
    name: str
    style: Style
    render: Callable[[Iterable[dict[str, Any]], tuple[str, ...]], bytes]
    media_type: str


FORMATS = {
    f.name: f
    for f in (
        Format("csv", PEOPLE, to_csv.render, "text/csv; charset=utf-8"),
        Format("json", PROGRAMS, to_json.render, "application/json"),
        Format(
            "xlsx",
            SPREADSHEET,
            to_xlsx.render,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    )
}


def format_named(name: str) -> Format:
    """The format, or InvalidInput naming the ones there are."""
    if name not in FORMATS:
        raise InvalidInput("format", f"Format harus salah satu dari: {', '.join(FORMATS)}.")
    return FORMATS[name]
