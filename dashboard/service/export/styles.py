"""How a format writes the values that people and programs read differently.

People (CSV and XLSX, opened in a spreadsheet by branch staff) read "01-07-1990", a time in the
worker's own zone ("22-11-2026 10:05 WIB"), the national phone form ("0812-3456-7801", text a
tap on a phone calls), the channel's name ("Telegram", "Konsol") and an income as it was said in
words ("Rp100.000 per hari"). In XLSX dates and times are real dates (the spreadsheet sorts and
filters them), in the worker's local time. Programs (JSON) read ISO 8601 ("1990-07-01",
"2026-11-22T10:05:00+07:00"), E.164 ("+6281234567801"), the channel's key ("telegram") and
"100000/day", as the JSON API writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from handlers.channels import Catalogue
from handlers.localtime import zone_name, zone_of
from messages.format import format_phone, format_rupiah

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_LEADING_SPACE = " \t\r\n\u00a0\u3000"
_FORMULA_SIGNS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""The signs a spreadsheet may read as a formula, half- and full-width."""


PER = {"day": "hari", "week": "minggu", "month": "bulan", "year": "tahun"}
"""An income's period in words (handlers/enrol income reading `per`)."""


@dataclass(frozen=True)
class Style:
    day: Callable[[date], Any]
    moment: Callable[[datetime, str | None], Any]
    """A stored (UTC) time, in the zone of a region code's province."""
    phone: Callable[[str], str]
    """An E.164 number."""
    channel: Callable[[str, Catalogue], str] = lambda name, _channels: name
    income_said: Callable[[dict[str, Any]], str] = lambda reading: _programs_income(reading)
    """How an income was said (stated, upper, per) when not per month."""


def _programs_income(reading: dict[str, Any]) -> str:
    upper = f"-{reading['upper']}" if reading.get("upper") else ""
    return f"{reading['stated']}{upper}/{reading['per']}"


def _people_income(reading: dict[str, Any]) -> str:
    stated = format_rupiah(int(reading["stated"]))
    upper = f"–{format_rupiah(int(reading['upper']))}" if reading.get("upper") else ""
    per = PER.get(str(reading.get("per")), str(reading.get("per")))
    return f"{stated}{upper} per {per}"


def _people_moment(value: datetime, region_code: str | None) -> str:
    return value.astimezone(zone_of(region_code)).strftime("%d-%m-%Y %H:%M ") + zone_name(region_code)


def _people_phone(e164: str) -> str:
    return format_phone(e164) if e164.startswith("+62") else e164


def _local(value: datetime, region_code: str | None) -> datetime:
    """The worker's local time without a zone: what a spreadsheet's date cell holds."""
    return value.astimezone(zone_of(region_code)).replace(tzinfo=None)


PEOPLE = Style(
    day=lambda value: value.strftime("%d-%m-%Y"),
    moment=_people_moment,
    phone=_people_phone,
    channel=lambda name, channels: channels.display(name),
    income_said=_people_income,
)
SPREADSHEET = Style(
    day=lambda value: value,
    moment=_local,
    phone=_people_phone,
    channel=lambda name, channels: channels.display(name),
    income_said=_people_income,
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
