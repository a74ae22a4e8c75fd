"""How a format writes the values that people and programs read differently.

People (CSV and XLSX, opened in a spreadsheet by branch staff) read "01-07-1990", a time in the
worker's own zone ("22-11-2026 10:05 WIB") and the national phone form ("0812-3456-7801", text a
tap on a phone calls). Programs (JSON) read ISO 8601 ("1990-07-01", "2026-11-22T10:05:00+07:00")
and E.164 ("+6281234567801"), as the JSON API writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from handlers.localtime import zone_name, zone_of
from messages.format import format_phone

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_LEADING_SPACE = " \t\r\n\u00a0\u3000"
_FORMULA_SIGNS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""The signs a spreadsheet may read as a formula, half- and full-width."""


@dataclass(frozen=True)
class Style:
    day: Callable[[date], str]
    moment: Callable[[datetime, str | None], str]
    """A stored (UTC) time, in the zone of a region code's province."""
    phone: Callable[[str], str]
    """An E.164 number."""


def _people_moment(value: datetime, region_code: str | None) -> str:
    return value.astimezone(zone_of(region_code)).strftime("%d-%m-%Y %H:%M ") + zone_name(region_code)


def _people_phone(e164: str) -> str:
    return format_phone(e164) if e164.startswith("+62") else e164


PEOPLE = Style(
    day=lambda value: value.strftime("%d-%m-%Y"),
    moment=_people_moment,
    phone=_people_phone,
)
PROGRAMS = Style(
    day=date.isoformat,
    moment=lambda value, region_code: value.astimezone(zone_of(region_code)).isoformat(),
    phone=lambda e164: e164,
)


def neutralise(value: Any) -> Any:
    """A text cell that starts like a formula, also after spaces or line breaks ("\\n=1+2"),
    gets a leading apostrophe (CSV and XLSX)."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_START) or value.lstrip(_LEADING_SPACE).startswith(_FORMULA_SIGNS)
    ):
        return "'" + value
    return value
